"""Top-down master plan (总平面图) of an estate."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from yunlou.core.fonts import cjk_font

from ._drawing import _F32, Box, _encode, _gradient, _rng, _shade


def _grass(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """Mottled lawn: low-frequency noise so the aerial view doesn't look like flat fill."""
    w, h = size
    coarse = rng.normal(0, 1, (h // 40 + 2, w // 40 + 2)).astype(_F32)
    noise = np.asarray(Image.fromarray(coarse, mode="F").resize(size, Image.BICUBIC), dtype=_F32)
    base = np.asarray((128, 172, 100), _F32)
    rgb = base[None, None, :] * (1 + 0.05 * noise[..., None])
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _blob(
    cx: float, cy: float, radius: float, rng: np.random.Generator, points: int = 72
) -> list[tuple[float, float]]:
    angles = np.linspace(0, 2 * math.pi, points, endpoint=False)
    wobble = 1 + 0.14 * np.sin(2 * angles + rng.uniform(0, 6)) + 0.07 * np.sin(5 * angles + rng.uniform(0, 6))
    return [
        (cx + radius * r * math.cos(a) * 1.3, cy + radius * r * math.sin(a))
        for a, r in zip(angles, wobble, strict=True)
    ]


def _free_spot(rects: list[Box], size: tuple[int, int], margin: float) -> tuple[float, float, float]:
    """Centre and clearance of the open ground farthest from every building (for the lake)."""
    w, h = size
    best = (w / 2, h / 2, 0.0)
    for fx in np.linspace(0.2, 0.8, 13):
        for fy in np.linspace(0.25, 0.75, 11):
            x, y = fx * w, fy * h
            clearance = min(
                (math.hypot(max(r[0] - x, 0, x - r[2]), max(r[1] - y, 0, y - r[3])) for r in rects),
                default=min(w, h) / 4,
            )
            clearance = min(clearance, x - margin, w - margin - x, y - margin, h - margin - y)
            if clearance > best[2]:
                best = (x, y, clearance)
    return best


def site_plan(*, buildings: list[dict], size: tuple[int, int] = (1600, 1000), seed: int = 0) -> bytes:
    """Top-down master plan (总平面图) PNG; building x/y/w/h are fractions of the image size."""
    w, h = size
    rng = _rng(seed, "site-plan")
    rects = [(b["x"] * w, b["y"] * h, (b["x"] + b["w"]) * w, (b["y"] + b["h"]) * h) for b in buildings]
    img = _grass(size, rng)
    draw = ImageDraw.Draw(img)
    unit = min(w, h) / 100  # layout unit so small thumbnails keep their proportions

    # City streets along two sides, the estate's ring road and entrance drive.
    street = 7 * unit
    for box in ((0, 0, w, street), (0, 0, street, h)):
        draw.rectangle(box, fill=(92, 96, 102))
    for x in np.arange(street, w, 6 * unit):
        draw.line(
            (x, street / 2, x + 3 * unit, street / 2), fill=(236, 236, 230), width=max(1, round(unit / 3))
        )
    for y in np.arange(street, h, 6 * unit):
        draw.line(
            (street / 2, y, street / 2, y + 3 * unit), fill=(236, 236, 230), width=max(1, round(unit / 3))
        )
    site = (street + 2 * unit, street + 2 * unit, w - 2 * unit, h - 2 * unit)
    ring_inset = 6 * unit
    ring = (site[0] + ring_inset, site[1] + ring_inset, site[2] - ring_inset, site[3] - ring_inset)
    road = (214, 208, 196)
    draw.rounded_rectangle(ring, radius=8 * unit, outline=road, width=round(2.4 * unit))
    gate_x = (site[0] + site[2]) / 2
    draw.rectangle((gate_x - 1.6 * unit, site[1] - 2 * unit, gate_x + 1.6 * unit, ring[1]), fill=road)

    paths = []
    for x0, y0, x1, y1 in rects:  # footpath from each entrance lobby to the ring road
        door_x, middle = (x0 + x1) / 2, (y0 + y1) / 2
        target = ring[3] if middle > (ring[1] + ring[3]) / 2 else ring[1]
        paths.append((door_x - unit / 2, min(middle, target), door_x + unit / 2, max(middle, target)))
        draw.rectangle(paths[-1], fill=(226, 220, 206))

    lake_x, lake_y, clearance = _free_spot(rects, size, margin=ring_inset + site[0])
    radius = max(3 * unit, min(clearance * 0.6, 14 * unit))
    _site_water(img, _blob(lake_x, lake_y, radius, rng), rng)
    draw = ImageDraw.Draw(img)
    _site_trees(draw, size, rects + paths, (lake_x, lake_y, radius), ring, rng, unit)

    draw.rounded_rectangle(site, radius=3 * unit, outline=(214, 64, 52), width=max(2, round(unit / 3)))
    img = _site_buildings(img, buildings, rects, unit)
    draw = ImageDraw.Draw(img)
    _site_legend(draw, size, unit)
    # A 256-colour palette keeps the PNG small; the flat-shaded plan survives it unchanged.
    return _encode(img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE), "PNG")


def _site_water(img: Image.Image, outline: list[tuple[float, float]], rng: np.random.Generator) -> None:
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    ys = [y for _, y in outline]
    water = _gradient(
        img.size, [(min(ys) / img.height, (120, 188, 214)), (max(ys) / img.height, (64, 138, 176))]
    )
    rim = mask.filter(ImageFilter.MaxFilter(9))
    img.paste((226, 220, 206), (0, 0), rim)  # paved edge
    img.paste(water, (0, 0), mask)
    draw = ImageDraw.Draw(img)
    xs = [x for x, _ in outline]
    for _ in range(14):  # sparkles
        x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
        if mask.getpixel((int(x), int(y))):
            draw.line((x, y, x + rng.uniform(6, 18), y), fill=(196, 230, 242), width=1)


def _site_trees(
    draw: ImageDraw.ImageDraw,
    size: tuple[int, int],
    keep_clear: list[Box],
    lake: tuple[float, float, float],
    ring: Box,
    rng: np.random.Generator,
    unit: float,
) -> None:
    w, h = size
    lake_x, lake_y, radius = lake
    greens = [(58, 112, 62), (72, 130, 70), (86, 146, 78), (48, 100, 70)]
    road_half = 1.8 * unit
    avenue = 3.0 * unit  # street trees planted in rows along both kerbs of the ring road
    spots = [
        (float(x), y + side * avenue, 1.2 * unit)
        for x in np.arange(ring[0] + 8 * unit, ring[2] - 8 * unit, 4 * unit)
        for y in (ring[1], ring[3])
        for side in (-1, 1)
    ]
    spots += [
        (x + side * avenue, float(y), 1.2 * unit)
        for y in np.arange(ring[1] + 8 * unit, ring[3] - 8 * unit, 4 * unit)
        for x in (ring[0], ring[2])
        for side in (-1, 1)
    ]
    spots += [
        (rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.9, 1.8) * unit) for _ in range(int(w * h / 4500))
    ]
    for x, y, r in spots:
        on_building = any(
            b[0] - r - unit < x < b[2] + r + unit and b[1] - r - unit < y < b[3] + r + unit
            for b in keep_clear
        )
        on_lake = ((x - lake_x) / (radius * 1.55)) ** 2 + ((y - lake_y) / (radius * 1.25)) ** 2 < 1
        on_ring = (
            min(abs(x - ring[0]), abs(x - ring[2])) < road_half + r * 0.5 and ring[1] < y < ring[3]
        ) or (min(abs(y - ring[1]), abs(y - ring[3])) < road_half + r * 0.5 and ring[0] < x < ring[2])
        outside = x < 9 * unit or y < 9 * unit or x > w - 2 * unit or y > h - 2 * unit
        if on_building or on_lake or on_ring or outside:
            continue
        draw.ellipse(
            (x - r + r * 0.35, y - r + r * 0.35, x + r + r * 0.35, y + r + r * 0.35), fill=(84, 122, 70)
        )
        color = greens[int(rng.integers(0, len(greens)))]
        draw.ellipse((x - r, y - r, x + r, y + r), fill=color)
        draw.ellipse((x - r * 0.5, y - r * 0.6, x + r * 0.1, y), fill=_shade(color, 1.18))


def _site_buildings(img: Image.Image, buildings: list[dict], rects: list[Box], unit: float) -> Image.Image:
    shadow = Image.new("L", img.size, 0)
    shadow_draw = ImageDraw.Draw(shadow)
    offset = 1.4 * unit  # afternoon sun from the north-west throws shadows to the south-east
    for x0, y0, x1, y1 in rects:
        shadow_draw.rectangle((x0 + offset, y0 + offset, x1 + offset, y1 + offset), fill=120)
    img.paste((40, 56, 40), (0, 0), shadow.filter(ImageFilter.GaussianBlur(unit * 0.6)))
    draw = ImageDraw.Draw(img)
    for building, (x0, y0, x1, y1) in zip(buildings, rects, strict=True):
        draw.rectangle((x0, y0, x1, y1), fill=(246, 244, 238), outline=(150, 146, 138), width=2)
        inset = min(x1 - x0, y1 - y0) * 0.18
        draw.rectangle((x0 + inset, y0 + inset, x1 - inset, y1 - inset), outline=(214, 210, 200), width=1)
        name = str(building.get("name", ""))
        size = max(
            10, min(round((y1 - y0) * 0.42), round((x1 - x0) / max(1, len(name)) * 0.9), round(unit * 2.6))
        )
        draw.text(
            ((x0 + x1) / 2, (y0 + y1) / 2),
            name,
            font=cjk_font(size, bold=True),
            fill=(52, 52, 56),
            anchor="mm",
            stroke_width=max(1, size // 8),
            stroke_fill=(255, 255, 255),
        )
    return img


def _site_legend(draw: ImageDraw.ImageDraw, size: tuple[int, int], unit: float) -> None:
    w, h = size
    font = cjk_font(max(12, round(unit * 2.8)), bold=True)
    label = "总平面图"
    box = (
        10 * unit,
        10 * unit,
        10 * unit + font.getlength(label) + 3 * unit,
        10 * unit + font.size + 2 * unit,
    )
    draw.rounded_rectangle(box, radius=unit, fill=(255, 255, 255))
    draw.text(
        ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), label, font=font, fill=(52, 52, 56), anchor="mm"
    )
    cx, cy, r = w - 8 * unit, 14 * unit, 3.2 * unit
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255), outline=(52, 52, 56), width=2)
    draw.polygon([(cx, cy - r * 0.85), (cx - r * 0.35, cy + r * 0.45), (cx, cy + r * 0.2)], fill=(52, 52, 56))
    draw.polygon(
        [(cx, cy - r * 0.85), (cx + r * 0.35, cy + r * 0.45), (cx, cy + r * 0.2)],
        fill=(255, 255, 255),
        outline=(52, 52, 56),
    )
    draw.text(
        (cx, cy - r - 1.8 * unit),
        "北",
        font=cjk_font(max(11, round(unit * 2)), bold=True),
        fill=(255, 255, 255),
        anchor="mm",
        stroke_width=2,
        stroke_fill=(52, 52, 56),
    )
    bar_x, bar_y = w - 26 * unit, h - 6 * unit
    segment = 5 * unit
    for k in range(4):
        fill = (52, 52, 56) if k % 2 == 0 else (255, 255, 255)
        draw.rectangle(
            (bar_x + k * segment, bar_y, bar_x + (k + 1) * segment, bar_y + unit),
            fill=fill,
            outline=(52, 52, 56),
        )
    small = cjk_font(max(10, round(unit * 1.6)))
    for k, text in ((0, "0"), (2, "50"), (4, "100m")):
        draw.text(
            (bar_x + k * segment, bar_y - 0.6 * unit),
            text,
            font=small,
            fill=(255, 255, 255),
            anchor="ms",
            stroke_width=2,
            stroke_fill=(52, 52, 56),
        )
