"""Drafting symbols of a floor plan: the metre-to-pixel canvas, floors, doors, windows, labels, dimensions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from yunlou.core.fonts import cjk_font

from ._drawing import Box, Color
from ._plan_layout import _PlanRoom

_INK = (52, 52, 56)
_PLAN_GREY = (120, 120, 124)
_FURNITURE = (176, 170, 160)
_WHITE: Color = (255, 255, 255)

_FLOOR_STYLE: dict[str, tuple[Color, Color, float, str]] = {
    # kind: (base, line colour, pattern pitch in metres, pattern)
    "living": ((250, 248, 243), (226, 221, 211), 0.8, "grid"),
    "dining": ((250, 248, 243), (226, 221, 211), 0.8, "grid"),
    "bedroom": ((246, 236, 220), (228, 212, 188), 0.16, "planks"),
    "kitchen": ((240, 245, 248), (214, 224, 230), 0.3, "grid"),
    "bath": ((240, 245, 248), (214, 224, 230), 0.3, "grid"),
    "storage": ((244, 242, 238), (226, 222, 214), 0.3, "grid"),
    "balcony": ((243, 244, 240), (222, 224, 216), 0.3, "grid"),
}


@dataclass(frozen=True)
class _PlanCanvas:
    """Maps plan metres to pixels and carries the wall thicknesses in pixels."""

    origin: tuple[float, float]
    scale: float  # px per metre
    width: float  # body size in metres
    depth: float

    @property
    def outer(self) -> float:
        return max(12.0, 0.22 * self.scale)

    @property
    def inner(self) -> float:
        return max(6.0, 0.11 * self.scale)

    def pt(self, x: float, y: float) -> tuple[float, float]:
        return self.origin[0] + x * self.scale, self.origin[1] + y * self.scale

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        return (*self.pt(x0, y0), *self.pt(x1, y1))

    def floor_box(self, room: _PlanRoom) -> Box:
        """Pixel box of a room's visible floor: walls eat half an inner or a full outer wall."""
        x0, y0, x1, y1 = self.rect(room.x0, room.y0, room.x1, room.y1)
        if room.kind == "balcony":  # thin balustrade, not a wall
            t = self.inner * 0.6
            return x0 + t, y0 + self.outer / 2, x1 - t, y1 - t

        def inset(coord: float, limit_lo: float, limit_hi: float) -> float:
            on_facade = math.isclose(coord, limit_lo) or math.isclose(coord, limit_hi)
            return self.outer if on_facade else self.inner / 2

        return (
            x0 + inset(room.x0, 0, self.width),
            y0 + inset(room.y0, 0, self.depth),
            x1 - inset(room.x1, 0, self.width),
            y1 - inset(room.y1, 0, self.depth),
        )


def _fill_floor(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, box: Box, kind: str) -> None:
    base, line, pitch, pattern = _FLOOR_STYLE[kind]
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=base)
    step = pitch * canvas.scale
    # Anchor the pattern to the plan origin so it continues through door openings.
    ox, oy = canvas.origin
    first_y = oy + math.ceil((y0 - oy) / step) * step
    for y in np.arange(first_y, y1, step):
        draw.line((x0, y, x1, y), fill=line, width=1)
    if pattern == "grid":
        first_x = ox + math.ceil((x0 - ox) / step) * step
        for x in np.arange(first_x, x1, step):
            draw.line((x, y0, x, y1), fill=line, width=1)
        return
    plank = 1.2 * canvas.scale
    for row, y in enumerate(np.arange(first_y - step, y1, step)):
        offset = (row * 0.37 % 1.0) * plank
        for x in np.arange(ox + offset - plank * 20, x1, plank):
            if x0 < x < x1:
                draw.line((x, max(y, y0), x, min(y + step, y1)), fill=line, width=1)


def _door(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, room: _PlanRoom, *, hinge_left: bool) -> None:
    """A 0.9 m swing door in the wall between `room` and the central hall."""
    s = canvas.scale
    leaf = 0.85 * s
    # Rooms north of the hall (and the ensuite, north of its bedroom) have the door in their south wall.
    north_side = room.ensuite or room.y1 <= canvas.depth / 2
    wall_y = canvas.pt(0, room.y1 if north_side else room.y0)[1]
    rx0, _, rx1, _ = canvas.rect(room.x0, room.y0, room.x1, room.y1)
    margin = canvas.inner / 2 + 0.12 * s
    x_a = rx0 + margin if hinge_left else rx1 - margin - leaf
    x_b = x_a + leaf
    half = canvas.inner / 2 + 1
    _fill_floor(draw, canvas, (x_a, wall_y - half, x_b, wall_y + half), room.kind)

    hinge_x = x_a if hinge_left else x_b
    face_y = wall_y - half if north_side else wall_y + half
    tip_y = face_y - leaf if north_side else face_y + leaf
    draw.line((hinge_x, face_y, hinge_x, tip_y), fill=_INK, width=2)
    bbox = (hinge_x - leaf, face_y - leaf, hinge_x + leaf, face_y + leaf)
    start, end = _swing_angles(hinge_left, north_side)
    draw.arc(bbox, start, end, fill=_PLAN_GREY, width=1)


def _swing_angles(hinge_left: bool, opens_up: bool) -> tuple[float, float]:
    # PIL angles run clockwise from 3 o'clock; the arc joins the open leaf to the closed one.
    if opens_up:
        return (270, 360) if hinge_left else (180, 270)
    return (0, 90) if hinge_left else (90, 180)


def _window(
    draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, room: _PlanRoom, *, north: bool, fraction: float
) -> None:
    """Architectural window symbol (four parallel lines) cut into the outer wall."""
    x0, _, x1, _ = canvas.rect(room.x0, 0, room.x1, 0)
    span = (x1 - x0 - canvas.inner) * fraction
    cx = (x0 + x1) / 2
    wall_top = canvas.pt(0, 0 if north else canvas.depth)[1] - (0 if north else canvas.outer)
    box = (cx - span / 2, wall_top, cx + span / 2, wall_top + canvas.outer)
    draw.rectangle(box, fill=_WHITE)
    for k in range(4):
        y = wall_top + k * (canvas.outer - 1) / 3
        draw.line((box[0], y, box[2], y), fill=_INK, width=1)
    draw.line((box[0], box[1], box[0], box[3]), fill=_INK, width=1)
    draw.line((box[2], box[1], box[2], box[3]), fill=_INK, width=1)


def _entrance(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, hall: _PlanRoom, *, east: bool) -> None:
    s = canvas.scale
    leaf = 1.0 * s
    wall_x = canvas.pt(canvas.width if east else 0, 0)[0]
    y_a = canvas.pt(0, hall.y0)[1] + canvas.inner / 2 + 0.15 * s
    y_b = y_a + leaf
    outer_x = wall_x if east else wall_x - canvas.outer
    inner_x = wall_x - canvas.outer if east else wall_x + canvas.outer
    _fill_floor(draw, canvas, (min(outer_x, inner_x) - 1, y_a, max(outer_x, inner_x) + 1, y_b), "dining")
    # Leaf hinged at the top jamb, shown open into the hall.
    tip_x = inner_x - leaf if east else inner_x + leaf
    draw.line((inner_x, y_a, tip_x, y_a), fill=_INK, width=3)
    bbox = (inner_x - leaf, y_a - leaf, inner_x + leaf, y_a + leaf)
    draw.arc(bbox, *((90, 180) if east else (0, 90)), fill=_PLAN_GREY, width=1)
    font = cjk_font(15)
    label_x = wall_x + 10 if east else wall_x - canvas.outer - 10
    draw.text((label_x, (y_a + y_b) / 2), "入户", font=font, fill=_PLAN_GREY, anchor="lm" if east else "rm")


def _room_label(
    draw: ImageDraw.ImageDraw, label: str, area: float, box: Box, at: tuple[float, float] | None = None
) -> None:
    if not label:
        return
    cx, cy = at or ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    name_font = cjk_font(24 if box[2] - box[0] > 110 else 19, bold=True)
    draw.text((cx, cy - 2), label, font=name_font, fill=_INK, anchor="ms", stroke_width=4, stroke_fill=_WHITE)
    draw.text(
        (cx, cy + 4),
        f"{area:.1f}㎡",
        font=cjk_font(15),
        fill=_PLAN_GREY,
        anchor="mt",
        stroke_width=3,
        stroke_fill=_WHITE,
    )


def _dimension(
    draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], metres: float
) -> None:
    """Architect's dimension line with oblique ticks; text in millimetres."""
    (xa, ya), (xb, yb) = a, b
    draw.line((xa, ya, xb, yb), fill=_PLAN_GREY, width=1)
    for x, y in (a, b):
        draw.line((x - 5, y + 5, x + 5, y - 5), fill=_INK, width=2)
        if ya == yb:
            draw.line((x, y - 8, x, y + 8), fill=_PLAN_GREY, width=1)
        else:
            draw.line((x - 8, y, x + 8, y), fill=_PLAN_GREY, width=1)
    label = f"{round(metres * 1000 / 50) * 50}"
    font = cjk_font(14)
    if ya == yb:
        draw.text(((xa + xb) / 2, ya - 4), label, font=font, fill=_INK, anchor="mb")
        return
    width = round(font.getlength(label)) + 4
    tile = Image.new("L", (width, 20), 0)
    ImageDraw.Draw(tile).text((width / 2, 10), label, font=font, fill=255, anchor="mm")
    tile = tile.rotate(90, expand=True)
    x, y = round(xa - 4 - tile.width), round((ya + yb) / 2 - tile.height / 2)
    draw.bitmap((x, y), tile, fill=_INK)


_BEARINGS = {"东南": 135, "西南": 225, "东北": 45, "西北": 315, "南": 180, "东": 90, "西": 270, "北": 0}


def _north_arrow(draw: ImageDraw.ImageDraw, centre: tuple[float, float], orientation: str) -> None:
    # The plan's living side (bottom of the page) faces the advertised orientation,
    # so the arrow turns by how far that is from due south.
    facing = next((b for key, b in _BEARINGS.items() if key in orientation), 180)
    angle = math.radians((180 - facing) % 360)
    cx, cy = centre
    r = 34
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=_INK, width=2)

    def rot(dx: float, dy: float) -> tuple[float, float]:
        return cx + dx * math.cos(angle) - dy * math.sin(angle), cy + dx * math.sin(angle) + dy * math.cos(
            angle
        )

    draw.polygon([rot(0, -r + 3), rot(-11, 14), rot(0, 6)], fill=_INK)
    draw.polygon([rot(0, -r + 3), rot(11, 14), rot(0, 6)], fill=_WHITE, outline=_INK)
    lx, ly = rot(0, -r - 16)
    draw.text((lx, ly), "北", font=cjk_font(18, bold=True), fill=_INK, anchor="mm")
