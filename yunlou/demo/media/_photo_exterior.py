"""Exterior rendering: towers at dusk across a lake (also the backdrop of the promo video)."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ._drawing import Box, Color, _gradient, _mix, _rng, _shade
from ._photo_scenery import Box3, _Camera, _draw_box, _glow, _tree, _vignette


def _skyline(
    draw: ImageDraw.ImageDraw,
    base_y: float,
    width: int,
    rng: np.random.Generator,
    color: Color,
    heights: tuple[float, float],
) -> None:
    x = -rng.uniform(0, 40)
    while x < width:
        w = rng.uniform(25, 70) * width / 1600
        h = rng.uniform(*heights)
        draw.rectangle((x, base_y - h, x + w, base_y), fill=color)
        x += w + rng.uniform(-8, 12)


def _exterior_scene(size: tuple[int, int], seed: int) -> Image.Image:
    """Towers at dusk seen across a lake, lit windows reflected in the water."""
    w, h = size
    rng = _rng(seed, "exterior")
    shore = h * 0.7
    img = _gradient(
        size,
        [
            (0.0, (18, 28, 60)),
            (0.35, (52, 66, 116)),
            (0.56, (168, 118, 134)),
            (0.7, (250, 180, 126)),
            (1.0, (250, 180, 126)),
        ],
    )
    draw = ImageDraw.Draw(img)
    for _ in range(50):  # first stars of the evening
        draw.point((rng.uniform(0, w), rng.uniform(0, h * 0.3)), fill=(214, 220, 255))
    for _ in range(5):
        cx, cy, cw = rng.uniform(0, w), rng.uniform(h * 0.4, h * 0.6), rng.uniform(w * 0.1, w * 0.25)
        draw.ellipse((cx - cw, cy - h * 0.008, cx + cw, cy + h * 0.008), fill=(196, 132, 140))
    img = img.filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(img)
    _skyline(draw, shore, w, rng, (104, 92, 122), (h * 0.02, h * 0.08))

    cam = _Camera(w, h, focal=w * 0.9, eye=1.7, horizon=shore - h * 0.02, x=rng.uniform(-15, 15))
    glow = Image.new("RGB", size, (0, 0, 0))
    glow_draw = ImageDraw.Draw(glow)
    count = int(rng.integers(4, 6))
    towers = [
        (float(x), rng.uniform(260, 350), rng.uniform(26, 32), rng.uniform(72, 108))
        for x in np.linspace(-120, 120, count) + rng.uniform(-10, 10, count)
    ]
    for tx, tz, tw, th in sorted(towers, key=lambda t: -t[1]):
        _tower(draw, glow_draw, cam, (tx - tw / 2, tz, tx + tw / 2, th), rng)
    img = _glow(img, glow, radius=w / 260, strength=1.4)

    # Far shore: podium, a row of trees and landscape lights at the water's edge.
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, shore - h * 0.012, w, shore), fill=(30, 34, 44))
    lamps = Image.new("RGB", size, (0, 0, 0))
    lamp_draw = ImageDraw.Draw(lamps)
    palette = [(12, 22, 24), (20, 34, 32), (30, 48, 42)]
    tx = -260.0
    while tx < 260:  # an irregular tree belt rather than a row of lollipops
        tx += rng.uniform(3.0, 9.0)
        px, _ = cam.project(tx, 0, 140)
        _tree(
            draw,
            px,
            shore,
            cam.focal * rng.uniform(1.8, 3.4) / 140,
            rng,
            palette,
            conifer=rng.random() < 0.15,
        )
        if rng.random() < 0.5:
            lamp_draw.ellipse((px - 2, shore - 5, px + 2, shore - 1), fill=(255, 196, 120))
    img = _glow(img, lamps, radius=w / 400, strength=2.0)
    img = _reflect(img, shore, rng)

    draw = ImageDraw.Draw(img)
    near = [(8, 14, 14), (12, 20, 18), (18, 28, 24)]
    for fx in (rng.uniform(-0.02, 0.05), rng.uniform(0.93, 1.02)):
        _tree(draw, fx * w, h * 1.02, h * 0.16, rng, near)
    return _vignette(img, 0.3)


def _reflect(img: Image.Image, waterline: float, rng: np.random.Generator) -> Image.Image:
    """Mirror everything above the waterline into a rippled, darkened lake below it."""
    arr = np.asarray(img).copy()
    h, w, _ = arr.shape
    top = int(waterline)
    rows = np.arange(top, h)
    src_rows = np.clip(2 * top - rows - 1, 0, h - 1)
    depth = (rows - top) / max(1, h - top)
    phase = rng.uniform(0, 2 * math.pi)
    shift = np.round(np.sin(rows * 0.35 + phase) * (0.5 + depth * 3)).astype(np.int64)
    cols = (np.arange(w)[None, :] + shift[:, None]) % w
    mirrored = arr[src_rows[:, None], cols]
    mirrored = np.asarray(Image.fromarray(mirrored).filter(ImageFilter.BoxBlur(1)), dtype=np.float32)
    water = np.array([18, 28, 46], dtype=np.float32)
    fade = (0.62 - depth * 0.3)[:, None, None]
    arr[top:] = np.clip(mirrored * fade + water * (1 - fade), 0, 255).astype(np.uint8)
    out = Image.fromarray(arr)
    draw = ImageDraw.Draw(out)
    for _ in range(int(h * 0.06)):  # sparkle of ripples catching the sky
        y = rng.uniform(waterline + 4, h)
        x = rng.uniform(0, w)
        length = rng.uniform(10, 60) * (y - waterline) / (h - waterline)
        draw.line((x, y, x + length, y), fill=(112, 110, 132), width=1)
    return out


def _tower(
    draw: ImageDraw.ImageDraw,
    glow: ImageDraw.ImageDraw,
    cam: _Camera,
    footprint: Box,
    rng: np.random.Generator,
) -> None:
    """Residential tower (x0, z0, x1, height) with floor slabs and a random pattern of lit flats."""
    x0, z0, x1, height = footprint
    depth = 18.0
    box: Box3 = (x0, 0.0, z0, x1, height, z0 + depth)
    _draw_box(draw, cam, box, (122, 116, 132), side=0.6)
    storey, bay = 3.0, 3.6
    lit_share = rng.uniform(0.35, 0.6)
    side_x = x0 if x0 > cam.x else x1 if x1 < cam.x else None
    for floor in range(2, int(height / storey) - 1):
        y = floor * storey
        for bx in np.arange(x0 + 1.2, x1 - 1.8, bay):
            _tower_window(
                draw,
                glow,
                cam.quad(
                    [(bx, y + 0.7, z0), (bx + 2.2, y + 0.7, z0), (bx + 2.2, y + 2.5, z0), (bx, y + 2.5, z0)]
                ),
                rng,
                lit_share,
            )
        if side_x is not None:
            for bz in np.arange(z0 + 1.2, z0 + depth - 1.8, bay):
                _tower_window(
                    draw,
                    glow,
                    cam.quad(
                        [
                            (side_x, y + 0.7, bz),
                            (side_x, y + 0.7, bz + 2.2),
                            (side_x, y + 2.5, bz + 2.2),
                            (side_x, y + 2.5, bz),
                        ]
                    ),
                    rng,
                    lit_share * 0.8,
                    dim=0.75,
                )
    # Crown lighting strip along the roof edge.
    left, top = cam.project(x0, height, z0)
    right, _ = cam.project(x1, height, z0)
    glow.line((left, top + 1, right, top + 1), fill=(255, 236, 200), width=2)


def _tower_window(
    draw: ImageDraw.ImageDraw,
    glow: ImageDraw.ImageDraw,
    quad: list[tuple[float, float]],
    rng: np.random.Generator,
    lit_share: float,
    dim: float = 1.0,
) -> None:
    if rng.random() < lit_share:
        warm = _mix((255, 196, 120), (255, 232, 190), rng.random())
        draw.polygon(quad, fill=_shade(warm, 0.78 * dim))
        glow.polygon(quad, fill=_shade(warm, 0.25 * dim))
    else:
        draw.polygon(quad, fill=_shade((44, 56, 86), dim * rng.uniform(0.85, 1.15)))
