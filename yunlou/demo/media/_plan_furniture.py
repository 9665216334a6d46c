"""Light outline furniture on a floor plan so each room reads at a glance."""

from __future__ import annotations

from PIL import ImageDraw

from ._drawing import Box
from ._plan_layout import _PlanRoom
from ._plan_symbols import _FURNITURE, _WHITE, _PlanCanvas


def _furnish(
    draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, room: _PlanRoom, box: Box, door_left: bool
) -> None:
    """Light outline furniture so each room reads at a glance."""
    if room.kind == "bedroom" and room.label == "书房":
        _desk(draw, canvas, box)
    elif room.kind == "bedroom":
        _bed(draw, canvas, room, box, door_left)
    elif room.kind == "living":
        _sofa_set(draw, canvas, box, door_left)
    elif room.kind == "kitchen":
        _kitchen(draw, canvas, box)
    elif room.kind == "bath":
        _bathroom(draw, canvas, box, door_left)


def _outline(draw: ImageDraw.ImageDraw, box: Box, radius: float = 3, width: int = 2) -> None:
    draw.rounded_rectangle(box, radius=radius, fill=_WHITE, outline=_FURNITURE, width=width)


def _bed(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, room: _PlanRoom, box: Box, door_left: bool) -> None:
    s = canvas.scale
    x0, y0, x1, y1 = box
    bed_w = (1.8 if room.label == "主卧" else 1.5) * s
    bed_w = min(bed_w, (y1 - y0) - 0.3 * s)
    bed_l = min(2.0 * s, (x1 - x0) - 0.5 * s)
    cy = (y0 + y1) / 2
    head_x = x0 if not door_left else x1  # headboard on the wall away from the door
    direction = 1 if head_x == x0 else -1
    foot_x = head_x + direction * bed_l
    bed = (min(head_x, foot_x), cy - bed_w / 2, max(head_x, foot_x), cy + bed_w / 2)
    _outline(draw, bed)
    pillow_depth = 0.35 * s
    px0, px1 = sorted((head_x + direction * 0.08 * s, head_x + direction * (0.08 * s + pillow_depth)))
    gap = 0.06 * s
    _outline(draw, (px0, bed[1] + gap, px1, cy - gap / 2), radius=6)
    _outline(draw, (px0, cy + gap / 2, px1, bed[3] - gap), radius=6)
    fold = head_x + direction * 0.65 * s
    draw.line((fold, bed[1] + 2, fold, bed[3] - 2), fill=_FURNITURE, width=2)
    stand = 0.42 * s
    for top in (bed[1] - stand - 4, bed[3] + 4):
        if top > y0 and top + stand < y1:
            sx0, sx1 = sorted((head_x, head_x + direction * stand))
            _outline(draw, (sx0, top, sx1, top + stand))


def _desk(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, box: Box) -> None:
    s = canvas.scale
    x0, y0, x1, _ = box
    cx = (x0 + x1) / 2
    desk = (cx - 0.7 * s, y0, cx + 0.7 * s, y0 + 0.6 * s)
    _outline(draw, desk)
    draw.ellipse(
        (cx - 0.25 * s, desk[3] + 0.15 * s, cx + 0.25 * s, desk[3] + 0.65 * s),
        fill=_WHITE,
        outline=_FURNITURE,
        width=2,
    )
    _outline(draw, (x1 - 0.4 * s, y0, x1, y0 + 1.6 * s))


def _sofa_set(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, box: Box, door_left: bool) -> None:
    s = canvas.scale
    x0, y0, x1, y1 = box
    cy = (y0 + y1) / 2 + 0.2 * s
    length = min(2.6 * s, (y1 - y0) - 0.8 * s)
    depth = 0.9 * s
    sofa_x = x1 - depth if door_left else x0
    sofa = (sofa_x, cy - length / 2, sofa_x + depth, cy + length / 2)
    _outline(draw, sofa, radius=8)
    back = 0.2 * s
    seat = (
        (sofa[0] + back, sofa[1] + back, sofa[2], sofa[3] - back)
        if not door_left
        else (sofa[0], sofa[1] + back, sofa[2] - back, sofa[3] - back)
    )
    _outline(draw, seat, radius=5)
    table_cx = sofa_x - 0.9 * s if door_left else sofa_x + depth + 0.9 * s
    _outline(draw, (table_cx - 0.35 * s, cy - 0.6 * s, table_cx + 0.35 * s, cy + 0.6 * s), radius=6)
    tv_x = x0 if door_left else x1 - 0.45 * s
    _outline(draw, (tv_x, cy - 1.0 * s, tv_x + 0.45 * s, cy + 1.0 * s))
    rug_w = 1.4 * s
    draw.rectangle(
        (
            table_cx - rug_w / 2 - 0.2 * s,
            cy - rug_w / 2 - 0.4 * s,
            table_cx + rug_w / 2 + 0.2 * s,
            cy + rug_w / 2 + 0.4 * s,
        ),
        outline=_FURNITURE,
        width=1,
    )


def _dining_table(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, cx: float, box: Box) -> None:
    s = canvas.scale
    _, y0, _, y1 = box
    cy = (y0 + y1) / 2
    half_w, half_d = 0.7 * s, 0.4 * s
    chair = 0.42 * s
    for dx in (-0.38 * s, 0.38 * s):
        for top in (cy - half_d - chair + 0.1 * s, cy + half_d - 0.1 * s):
            if top > y0 and top + chair < y1:
                _outline(draw, (cx + dx - chair / 2, top, cx + dx + chair / 2, top + chair), radius=4)
    _outline(draw, (cx - half_w, cy - half_d, cx + half_w, cy + half_d), radius=4)


def _kitchen(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, box: Box) -> None:
    s = canvas.scale
    x0, y0, x1, y1 = box
    counter = 0.6 * s
    draw.rectangle((x0, y0, x1, y0 + counter), fill=_WHITE, outline=_FURNITURE, width=2)
    draw.rectangle((x0, y0 + counter, x0 + counter, y1 - 0.9 * s), fill=_WHITE, outline=_FURNITURE, width=2)
    sink_cx = x0 + (x1 - x0) * 0.62
    draw.rounded_rectangle(
        (sink_cx - 0.35 * s, y0 + 0.1 * s, sink_cx + 0.35 * s, y0 + counter - 0.1 * s),
        radius=5,
        outline=_FURNITURE,
        width=2,
    )
    hob_y = y0 + counter + 0.55 * s
    for dy in (0.0, 0.45 * s):
        r = 0.14 * s
        cx, cy = x0 + counter / 2, hob_y + dy
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=_FURNITURE, width=2)


def _bathroom(draw: ImageDraw.ImageDraw, canvas: _PlanCanvas, box: Box, door_left: bool) -> None:
    s = canvas.scale
    x0, y0, x1, y1 = box
    # Toilet and basin against the back wall, shower tray in the corner the door doesn't swing into.
    tx = x0 + 0.45 * s
    _outline(draw, (tx - 0.22 * s, y0, tx + 0.22 * s, y0 + 0.2 * s))
    draw.ellipse(
        (tx - 0.2 * s, y0 + 0.18 * s, tx + 0.2 * s, y0 + 0.72 * s), fill=_WHITE, outline=_FURNITURE, width=2
    )
    basin = (x1 - 0.75 * s, y0, x1 - 0.05 * s, y0 + 0.48 * s)
    _outline(draw, basin)
    bcx, bcy = (basin[0] + basin[2]) / 2, (basin[1] + basin[3]) / 2
    draw.ellipse(
        (bcx - 0.22 * s, bcy - 0.15 * s, bcx + 0.22 * s, bcy + 0.15 * s), outline=_FURNITURE, width=2
    )
    shower = 0.9 * s
    if y1 - y0 > 0.72 * s + shower:
        tray = (x1 - shower, y1 - shower, x1, y1) if door_left else (x0, y1 - shower, x0 + shower, y1)
        draw.rectangle(tray, outline=_FURNITURE, width=2)
        draw.line((tray[0], tray[1], tray[2], tray[3]), fill=_FURNITURE, width=1)
        draw.line((tray[0], tray[3], tray[2], tray[1]), fill=_FURNITURE, width=1)
