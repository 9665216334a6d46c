"""Lobby rendering: the double-height sales-centre lobby with a glossy marble floor."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ._drawing import Box, _rng
from ._photo_scenery import _Camera, _draw_box, _glow, _room_shell, _tree, _vignette


def _lobby_scene(size: tuple[int, int], seed: int) -> Image.Image:
    """Double-height sales-centre lobby: marble floor with reflections, feature wall, chandelier."""
    w, h = size
    cam = _Camera(w, h, focal=w * 0.5, eye=1.6, horizon=h * 0.56)
    half, height, depth = 8.0, 7.5, 24.0
    img = Image.new("RGB", size, (230, 224, 214))
    draw = ImageDraw.Draw(img)
    _room_shell(
        draw,
        cam,
        half,
        height,
        depth,
        ((238, 234, 226), (226, 220, 210), (210, 222, 230), (148, 106, 72), (206, 190, 164)),
    )

    # Glazed left wall looking onto the garden, timber slats on the right.
    for z in np.arange(1.0, depth - 1, 3.0):
        glass = cam.quad([(-half, 0.2, z), (-half, 7.0, z), (-half, 7.0, z + 2.7), (-half, 0.2, z + 2.7)])
        draw.polygon(glass, fill=(214, 228, 236))
        trees = cam.quad([(-half, 0.2, z), (-half, 2.6, z), (-half, 2.6, z + 2.7), (-half, 0.2, z + 2.7)])
        draw.polygon(trees, fill=(112, 150, 104))
    for z in np.arange(0.6, depth, 0.35):
        draw.line(cam.quad([(half, 0, z), (half, height, z)]), fill=(118, 84, 58), width=1)
    for y in np.arange(0.9, height, 0.9):  # stone coursing on the feature wall
        draw.line(cam.quad([(-half, y, depth), (half, y, depth)]), fill=(190, 172, 146), width=1)

    # Polished marble: render the room once more through a mirrored camera and let it show in the floor.
    mirror = dataclasses.replace(cam, mirrored=True)
    reflection = Image.new("RGB", size, (226, 220, 210))
    reflection_draw = ImageDraw.Draw(reflection)
    _room_shell(
        reflection_draw,
        mirror,
        half,
        height,
        depth,
        ((238, 234, 226), (226, 220, 210), (210, 222, 230), (148, 106, 72), (206, 190, 164)),
    )
    _lobby_fixtures(reflection_draw, ImageDraw.Draw(Image.new("RGB", size)), mirror, seed)
    _glossy_floor(img, reflection, cam, half, depth)

    glow = Image.new("RGB", size, (0, 0, 0))
    _lobby_fixtures(ImageDraw.Draw(img), ImageDraw.Draw(glow), cam, seed)
    img = _glow(img, glow, radius=w / 200, strength=1.0)
    return _vignette(img, 0.28)


def _glossy_floor(img: Image.Image, reflection: Image.Image, cam: _Camera, half: float, depth: float) -> None:
    floor = cam.quad([(-half, 0, 0.3), (half, 0, 0.3), (half, 0, depth), (-half, 0, depth)])
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).polygon(floor, fill=80)
    img.paste(reflection.filter(ImageFilter.GaussianBlur(img.width / 500)), (0, 0), mask)
    draw = ImageDraw.Draw(img)
    tile = 1.2
    for x in np.arange(-half, half + 0.01, tile):
        draw.line(cam.quad([(x, 0, 0.8), (x, 0, depth)]), fill=(206, 198, 186), width=1)
    z = 1.2
    while z < depth:
        draw.line(cam.quad([(-half, 0, z), (half, 0, z)]), fill=(206, 198, 186), width=1)
        z += tile


def _lobby_fixtures(draw: ImageDraw.ImageDraw, glow: ImageDraw.ImageDraw, cam: _Camera, seed: int) -> None:
    """Everything that also shows in the floor reflection, drawn back to front."""
    rng = _rng(seed, "lobby-fixtures")  # fresh per call so the reflection matches the room
    depth, height = 24.0, 7.5
    _ink_landscape(draw, cam, (-4.5, 2.0, 4.5, 6.0), depth - 0.01, rng)
    for x in (-3.0, -1.0, 1.0, 3.0):  # linear ceiling lights
        line = cam.quad([(x, height - 0.01, 1.0), (x, height - 0.01, depth - 1)])
        draw.line(line, fill=(255, 250, 236), width=3)
        glow.line(line, fill=(120, 110, 90), width=3)
    _draw_box(draw, cam, (-3.4, 0, 19.5, 3.4, 1.1, 20.6), (242, 238, 232), side=0.9)
    _draw_box(draw, cam, (-3.4, 0.86, 19.46, 3.4, 0.94, 19.5), (206, 168, 98))
    for ring, (radius, y) in enumerate(((2.0, 5.3), (1.5, 5.7), (1.0, 6.1))):
        for angle in np.linspace(0, 2 * math.pi, 28 - ring * 6, endpoint=False):
            px, py = cam.project(radius * math.cos(angle), y, 12.0 + radius * math.sin(angle))
            r = cam.focal * 0.035 / (12.0 + radius * math.sin(angle))
            draw.ellipse((px - r, py - r, px + r, py + r), fill=(255, 246, 224))
            glow.ellipse((px - r * 1.5, py - r * 1.5, px + r * 1.5, py + r * 1.5), fill=(90, 76, 50))
    for x in (-5.2, 5.2):
        _draw_box(draw, cam, (x - 0.45, 0, 14.0, x + 0.45, height, 14.9), (228, 220, 204), side=0.86)
    _draw_box(draw, cam, (-4.6, 0, 9.8, -2.0, 0.42, 10.7), (172, 160, 146))  # lounge sofa
    _draw_box(draw, cam, (-4.6, 0.42, 10.4, -2.0, 0.86, 10.7), (160, 148, 134))
    _draw_box(draw, cam, (-4.0, 0, 8.4, -2.6, 0.38, 9.2), (112, 80, 58))
    for x in (-4.3, 4.3):  # potted trees either side of the reception desk
        _draw_box(draw, cam, (x - 0.4, 0, 19.6, x + 0.4, 0.7, 20.4), (200, 192, 180))
        px, py = cam.project(x, 0.7, 20.0)
        _tree(draw, px, py, cam.focal * 0.9 / 20.0, rng, [(40, 80, 48), (58, 104, 60), (84, 132, 76)])
    for x in (-5.6, 5.6):
        _draw_box(draw, cam, (x - 0.45, 0, 8.5, x + 0.45, height, 9.4), (228, 220, 204), side=0.86)


def _ink_landscape(
    draw: ImageDraw.ImageDraw, cam: _Camera, rect: Box, z: float, rng: np.random.Generator
) -> None:
    """Framed ink-wash mountain painting hung on a wall facing the camera."""
    x0, y0, x1, y1 = rect
    draw.polygon(cam.quad([(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)]), fill=(238, 234, 224))
    xs = np.linspace(x0, x1, 60)
    for layer, tone in enumerate(((196, 196, 192), (150, 152, 150), (96, 100, 102))):
        base = y0 + (y1 - y0) * (0.5 - layer * 0.17)
        ridge = base + (y1 - y0) * 0.16 * (
            np.sin(xs * rng.uniform(0.6, 1.4) + rng.uniform(0, 6)) ** 2
            + 0.5 * np.sin(xs * rng.uniform(1.5, 3) + rng.uniform(0, 6))
        )
        ridge = np.clip(ridge, y0, y1)
        points = [(float(x), float(y), z) for x, y in zip(xs, ridge, strict=True)] + [
            (x1, y0, z),
            (x0, y0, z),
        ]
        draw.polygon(cam.quad(points), fill=tone)
    draw.line(
        cam.quad([(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z), (x0, y0, z)]),
        fill=(190, 152, 86),
        width=max(2, round(cam.focal * 0.06 / z)),
    )
