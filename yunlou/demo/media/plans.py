"""Architect-style floor plans of apartment types."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from PIL import Image, ImageDraw

from yunlou.core.fonts import cjk_font

from ._drawing import Box, _encode, _rng
from ._plan_furniture import _dining_table, _furnish
from ._plan_layout import _BALCONY_DEPTH, _BAND_DEPTH, _door_sides, _plan_layout, _PlanRoom
from ._plan_symbols import (
    _INK,
    _PLAN_GREY,
    _WHITE,
    _dimension,
    _door,
    _entrance,
    _fill_floor,
    _north_arrow,
    _PlanCanvas,
    _room_label,
    _window,
)


def _format_area(area: Decimal | float) -> str:
    value = round(float(area), 1)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def floor_plan_drawing(
    *,
    name: str,
    rooms: int,
    halls: int,
    bathrooms: int,
    gross_area: Decimal | float,
    orientation: str,
    seed: int = 0,
) -> bytes:
    """Architect-style 1200×900 PNG floor plan of an apartment type."""
    rng = _rng(seed, "floor-plan", name)
    # The drawing covers 1–4 bedrooms and 1–3 bathrooms; the title always states the real type.
    plan, width, depth = _plan_layout(
        min(max(rooms, 1), 4), max(halls, 1), min(max(bathrooms, 1), 3), float(gross_area), rng
    )
    balcony_depth = _BALCONY_DEPTH * depth / sum(_BAND_DEPTH.values())
    img = Image.new("RGB", (1200, 900), _WHITE)
    draw = ImageDraw.Draw(img)

    region = (150, 190, 1080, 815)
    scale = min((region[2] - region[0]) / width, (region[3] - region[1]) / (depth + balcony_depth))
    ox = (region[0] + region[2]) / 2 - width * scale / 2
    canvas = _PlanCanvas((ox, region[1]), scale, width, depth)

    _draw_plan_body(draw, canvas, plan, rng)
    _draw_plan_dimensions(draw, canvas, plan)
    _north_arrow(draw, (1120, 82), orientation)
    _draw_plan_title(draw, name, rooms, halls, bathrooms, gross_area, orientation)
    return _encode(img, "PNG")


def _draw_plan_body(
    draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, plan: list[_PlanRoom], rng: np.random.Generator
) -> None:
    living = next(r for r in plan if r.kind == "living")
    hall = next(r for r in plan if r.kind == "dining")
    boxes = _draw_walls_and_floors(draw, canvas, plan)

    # Living room is open to the hall and, through a sliding door, to the balcony.
    lx0, _, lx1, _ = boxes[living]
    hall_y = canvas.pt(0, living.y0)[1]
    _fill_floor(
        draw, canvas, (lx0 + 0.3 * canvas.scale, hall_y - canvas.inner, lx1, hall_y + canvas.inner), "living"
    )
    _window(draw, canvas, living, north=False, fraction=0.8)

    east_entrance = (living.x0 + living.x1) / 2 < canvas.width / 2
    doors_left = _door_sides(plan, living, east_entrance, rng)
    for room, door_left in doors_left.items():
        _door(draw, canvas, room, hinge_left=door_left)
        on_facade = room.y0 == 0 or math.isclose(room.y1, canvas.depth)
        if room.kind != "storage" and on_facade and not room.ensuite:
            _window(draw, canvas, room, north=room.y0 == 0, fraction=0.55 if room.kind == "bedroom" else 0.45)
    _entrance(draw, canvas, hall, east=east_entrance)

    table_x = (boxes[living][0] + boxes[living][2]) / 2
    for room in plan:
        inner = next((r for r in plan if room.contains(r)), None)
        box = boxes[room]
        if inner is not None:  # furnish and label only the part outside the ensuite
            box = (box[0], boxes[inner][3] + canvas.inner, box[2], box[3])
        _furnish(draw, canvas, room, box, doors_left.get(room, east_entrance))
        if room.kind == "dining":
            _dining_table(draw, canvas, table_x, box)
        net_area = room.area - (inner.area if inner else 0.0)
        at = (table_x, (box[1] + box[3]) / 2) if room.kind == "dining" else None
        _room_label(draw, room.label, net_area, box, at)

    foyer_x = (
        canvas.pt(canvas.width, 0)[0] - canvas.outer - 0.8 * canvas.scale
        if east_entrance
        else canvas.pt(0, 0)[0] + canvas.outer + 0.8 * canvas.scale
    )
    if abs(foyer_x - table_x) > 1.8 * canvas.scale:
        draw.text(
            (foyer_x, (boxes[hall][1] + boxes[hall][3]) / 2),
            "玄关",
            font=cjk_font(19, bold=True),
            fill=_INK,
            anchor="mm",
            stroke_width=4,
            stroke_fill=_WHITE,
        )


def _draw_walls_and_floors(
    draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, plan: list[_PlanRoom]
) -> dict[_PlanRoom, Box]:
    """Fill the footprint with wall colour, then floors on top: what stays dark are the walls."""
    balcony = next(r for r in plan if r.kind == "balcony")
    draw.rectangle(canvas.rect(balcony.x0, balcony.y0, balcony.x1, balcony.y1), fill=_INK)
    draw.rectangle(canvas.rect(0, 0, canvas.width, canvas.depth), fill=_INK)
    boxes = {room: canvas.floor_box(room) for room in plan}
    for room in sorted(plan, key=lambda r: r.ensuite):  # nested rooms go on top of their host
        if room.ensuite:
            x0, y0, x1, y1 = canvas.rect(room.x0, room.y0, room.x1, room.y1)
            pad = canvas.inner / 2
            draw.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=_INK)
        _fill_floor(draw, canvas, boxes[room], room.kind)
    return boxes


def _draw_plan_dimensions(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, plan: list[_PlanRoom]) -> None:
    top = canvas.pt(0, 0)[1]
    north = sorted((r for r in plan if r.y0 == 0), key=lambda r: r.x0)
    for room in north:
        _dimension(
            draw,
            (canvas.pt(room.x0, 0)[0], top - 34),
            (canvas.pt(room.x1, 0)[0], top - 34),
            room.x1 - room.x0,
        )
    _dimension(draw, (canvas.pt(0, 0)[0], top - 70), (canvas.pt(canvas.width, 0)[0], top - 70), canvas.width)
    left = canvas.pt(0, 0)[0]
    _dimension(draw, (left - 40, top), (left - 40, canvas.pt(0, canvas.depth)[1]), canvas.depth)


def _draw_plan_title(
    draw: ImageDraw.ImageDraw,
    name: str,
    rooms: int,
    halls: int,
    bathrooms: int,
    gross_area: Decimal | float,
    orientation: str,
) -> None:
    type_name = name if "户型" in name else f"{name}户型"
    draw.rectangle((48, 40, 56, 96), fill=(190, 150, 80))
    title_font = cjk_font(40, bold=True)
    draw.text((74, 68), type_name, font=title_font, fill=_INK, anchor="lm")
    x = 74 + title_font.getlength(type_name) + 24
    details = f"{rooms}室{halls}厅{bathrooms}卫   建面约{_format_area(gross_area)}㎡   {orientation}"
    draw.text((x, 70), details, font=cjk_font(28), fill=(90, 90, 96), anchor="lm")
    draw.line((48, 118, 1152, 118), fill=(220, 216, 208), width=1)
    draw.text(
        (48, 872),
        "户型图仅供参考，面积为建筑面积，以最终交付及不动产权证为准",
        font=cjk_font(15),
        fill=_PLAN_GREY,
        anchor="lm",
    )
