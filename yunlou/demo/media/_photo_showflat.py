"""Show-flat rendering: a furnished living room with a city view at golden hour."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ._drawing import _gradient, _rng, _shade
from ._photo_scenery import _Camera, _draw_box, _glow, _room_shell, _tree, _vignette


def _city_view(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """Golden-hour skyline seen through a living-room window."""
    w, h = size
    view = _gradient(
        size,
        [(0.0, (120, 160, 204)), (0.55, (246, 214, 170)), (0.75, (236, 190, 150)), (1.0, (150, 150, 150))],
    )
    draw = ImageDraw.Draw(view)
    for layer, (tone, top) in enumerate(
        (((176, 170, 180), 0.35), ((132, 132, 150), 0.5), ((96, 100, 118), 0.62))
    ):
        x = -rng.uniform(0, w * 0.05)
        while x < w:
            bw = rng.uniform(0.04, 0.1) * w
            bh = rng.uniform(0.0, 0.3) * h
            y = h * top + bh * (1 - layer * 0.3) - h * 0.12
            draw.rectangle((x, y, x + bw, h), fill=tone)
            if layer == 2:
                for wy in np.arange(y + 6, h, 9):
                    for wx in np.arange(x + 4, x + bw - 4, 8):
                        if rng.random() < 0.18:
                            draw.rectangle((wx, wy, wx + 3, wy + 3), fill=(250, 214, 150))
            x += bw + rng.uniform(0.002, 0.02) * w
    return view.filter(ImageFilter.GaussianBlur(0.6))


def _showflat_scene(size: tuple[int, int], seed: int) -> Image.Image:
    """Show-flat living room: floor-to-ceiling window, sofa, rug, TV wall, pendant light."""
    w, h = size
    rng = _rng(seed, "showflat")
    cam = _Camera(w, h, focal=w * 0.5, eye=1.3, horizon=h * 0.5, x=-0.4, z=-1.6)
    half, height, depth = 2.8, 2.9, 6.4
    img = Image.new("RGB", size, (236, 230, 220))
    draw = ImageDraw.Draw(img)
    _room_shell(
        draw,
        cam,
        half,
        height,
        depth,
        ((244, 241, 236), (196, 160, 122), (226, 220, 210), (214, 206, 194), (238, 232, 222)),
    )

    # Window wall: city view pasted into the glazing, mullions and sheer curtains.
    wx0, wy0 = cam.project(-2.3, 2.75, depth)
    wx1, wy1 = cam.project(2.3, 0.05, depth)
    window = (round(wx0), round(wy0), round(wx1), round(wy1))
    img.paste(_city_view((window[2] - window[0], window[3] - window[1]), rng), window[:2])
    for x in (-2.3, -0.77, 0.77, 2.3):
        draw.line(cam.quad([(x, 0.05, depth), (x, 2.75, depth)]), fill=(70, 70, 74), width=4)
    draw.line(cam.quad([(-2.3, 2.75, depth), (2.3, 2.75, depth)]), fill=(70, 70, 74), width=4)
    for x0, x1 in ((-2.8, -2.0), (2.0, 2.8)):
        draw.polygon(
            cam.quad(
                [
                    (x0, 0.02, depth - 0.15),
                    (x1, 0.02, depth - 0.15),
                    (x1, 2.85, depth - 0.15),
                    (x0, 2.85, depth - 0.15),
                ]
            ),
            fill=(240, 232, 218),
        )
        for fold in np.arange(x0 + 0.1, x1, 0.14):
            draw.line(
                cam.quad([(fold, 0.02, depth - 0.15), (fold, 2.85, depth - 0.15)]), fill=(222, 212, 196)
            )

    _draw_plank_floor(draw, cam, half, depth, rng)
    _sun_patch(img, cam, depth)
    draw = ImageDraw.Draw(img)
    _living_furniture(draw, cam, half, rng)

    glow = Image.new("RGB", size, (0, 0, 0))
    glow_draw = ImageDraw.Draw(glow)
    lamp_x, lamp_z = 0.2, 3.6
    draw.line(cam.quad([(lamp_x, height, lamp_z), (lamp_x, 2.15, lamp_z)]), fill=(60, 60, 60), width=2)
    shade = cam.quad(
        [
            (lamp_x - 0.3, 1.95, lamp_z),
            (lamp_x + 0.3, 1.95, lamp_z),
            (lamp_x + 0.12, 2.17, lamp_z),
            (lamp_x - 0.12, 2.17, lamp_z),
        ]
    )
    draw.polygon(shade, fill=(52, 52, 56))
    bulb_x, bulb_y = cam.project(lamp_x, 1.93, lamp_z)
    glow_draw.ellipse((bulb_x - 40, bulb_y - 12, bulb_x + 40, bulb_y + 12), fill=(255, 210, 140))
    img = _glow(img, glow, radius=w / 60, strength=1.0)
    return _vignette(img, 0.25)


def _draw_plank_floor(
    draw: ImageDraw.ImageDraw, cam: _Camera, half: float, depth: float, rng: np.random.Generator
) -> None:
    width = 0.19
    for x in np.arange(-half, half, width):
        near = cam.z + 0.3
        z = near - rng.uniform(0, 1.4)
        while z < depth:  # planks of random length, each with its own tone
            length = rng.uniform(0.9, 1.8)
            z0, z1 = max(z, near), min(z + length, depth)
            tone = _shade((198, 162, 122), rng.uniform(0.92, 1.06))
            draw.polygon(
                cam.quad([(x, 0, z0), (x + width, 0, z0), (x + width, 0, z1), (x, 0, z1)]),
                fill=tone,
                outline=(172, 136, 100),
            )
            z += length


def _sun_patch(img: Image.Image, cam: _Camera, depth: float) -> None:
    """Low sun through the window panes, cast across the floor towards the viewer."""
    mask = Image.new("L", img.size, 0)
    draw = ImageDraw.Draw(mask)
    slope_x, slope_z = -0.35, -1.3  # floor offset per metre of height
    for x0, x1 in ((-2.25, -0.82), (-0.72, 0.72), (0.82, 2.25)):
        corners = [(x0, 0.05), (x1, 0.05), (x1, 2.7), (x0, 2.7)]
        draw.polygon([cam.project(x + slope_x * y, 0, depth + slope_z * y) for x, y in corners], fill=70)
    mask = mask.filter(ImageFilter.GaussianBlur(img.width / 400))
    img.paste((255, 226, 170), (0, 0), mask)


def _living_furniture(draw: ImageDraw.ImageDraw, cam: _Camera, half: float, rng: np.random.Generator) -> None:
    # TV wall on the left with a floating cabinet; art above the sofa on the right.
    draw.polygon(
        cam.quad([(-half, 0.3, 2.2), (-half, 2.6, 2.2), (-half, 2.6, 5.2), (-half, 0.3, 5.2)]),
        fill=(200, 196, 190),
    )
    draw.polygon(
        cam.quad([(-half, 1.0, 2.9), (-half, 1.85, 2.9), (-half, 1.85, 4.5), (-half, 1.0, 4.5)]),
        fill=(24, 26, 30),
    )
    _draw_box(draw, cam, (-half, 0.18, 2.3, -half + 0.42, 0.52, 5.1), (112, 80, 58), side=0.9)
    art = [(half, 1.35, 2.9), (half, 2.2, 2.9), (half, 2.2, 4.3), (half, 1.35, 4.3)]
    draw.polygon(cam.quad(art), fill=(236, 228, 214), outline=(120, 96, 70))
    for k, tone in enumerate(((208, 150, 96), (70, 98, 122), (186, 174, 150))):
        za, zb = 3.0 + k * 0.42, 3.35 + k * 0.42
        draw.polygon(
            cam.quad([(half, 1.45, za), (half, 2.1, za), (half, 2.1, zb), (half, 1.45, zb)]), fill=tone
        )

    rug = cam.quad([(-1.3, 0.005, 2.0), (2.0, 0.005, 2.0), (2.0, 0.005, 5.0), (-1.3, 0.005, 5.0)])
    draw.polygon(rug, fill=(226, 218, 204), outline=(186, 170, 150))
    plant_x, plant_z = 2.25, 5.7
    _draw_box(
        draw, cam, (plant_x - 0.22, 0, plant_z - 0.22, plant_x + 0.22, 0.45, plant_z + 0.22), (60, 60, 62)
    )
    px, py = cam.project(plant_x, 0.45, plant_z)
    _tree(draw, px, py, cam.focal * 0.32 / plant_z, rng, [(40, 84, 50), (58, 112, 64), (92, 142, 84)])

    fabric = (206, 200, 190)
    for box in (
        (1.6, 0, 2.3, 2.6, 0.42, 5.0),  # seat
        (2.3, 0.42, 2.3, 2.6, 0.86, 5.0),  # back
        (1.6, 0, 4.8, 2.6, 0.62, 5.0),  # far arm
    ):
        _draw_box(draw, cam, box, fabric, side=0.86)
    for k, tone in enumerate(((70, 96, 122), (208, 150, 96))):
        z = 3.0 + k * 1.1
        _draw_box(draw, cam, (2.05, 0.42, z, 2.3, 0.8, z + 0.45), tone, side=0.9)
    _draw_box(draw, cam, (1.6, 0, 2.3, 2.6, 0.62, 2.5), fabric, side=0.86)  # near arm
    _draw_box(draw, cam, (-0.1, 0, 3.2, 0.9, 0.3, 4.0), (236, 232, 226), side=0.88)  # marble coffee table
    _draw_box(draw, cam, (-0.1, 0.3, 3.2, 0.9, 0.34, 4.0), (120, 88, 62))
