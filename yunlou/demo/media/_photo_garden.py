"""Garden rendering: a landscaped courtyard with a winding path, a pond and a pavilion."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ._drawing import _gradient, _rng
from ._photo_scenery import _Camera, _draw_box, _tree, _vignette


def _garden_scene(size: tuple[int, int], seed: int) -> Image.Image:
    """Daytime landscaped courtyard: winding path, pond with a pavilion, trees, towers beyond."""
    w, h = size
    rng = _rng(seed, "garden")
    # Seen from a first-floor terrace so the lawn, path and pond open up.
    cam = _Camera(w, h, focal=w * 0.75, eye=4.5, horizon=h * 0.36)
    img = _gradient(
        size, [(0.0, (96, 152, 216)), (0.36, (206, 226, 240)), (0.361, (132, 170, 98)), (1.0, (74, 132, 60))]
    )
    draw = ImageDraw.Draw(img)
    clouds = Image.new("L", size, 0)
    cloud_draw = ImageDraw.Draw(clouds)
    for _ in range(7):
        cx, cy = rng.uniform(0, w), rng.uniform(h * 0.05, h * 0.3)
        for _ in range(5):
            rx, ry = rng.uniform(w * 0.03, w * 0.08), rng.uniform(h * 0.02, h * 0.05)
            ox = rng.uniform(-w * 0.06, w * 0.06)
            cloud_draw.ellipse((cx + ox - rx, cy - ry, cx + ox + rx, cy + ry), fill=200)
    img.paste((255, 255, 255), (0, 0), clouds.filter(ImageFilter.GaussianBlur(w / 120)))

    for x in np.linspace(-260, 260, 7) + rng.uniform(-20, 20, 7):
        height = rng.uniform(70, 100)
        _draw_box(draw, cam, (float(x) - 15, 0, 420, float(x) + 15, height, 440), (196, 204, 218), side=0.9)
        for y in np.arange(3.0, height, 3.0):
            draw.line(cam.quad([(float(x) - 15, y, 420), (float(x) + 15, y, 420)]), fill=(182, 190, 206))
    haze = [(120, 150, 120), (134, 164, 128), (150, 178, 140)]
    for tx in np.arange(-200, 200, 4.0):
        px, py = cam.project(float(tx), 0, 150)
        _tree(draw, px, py, cam.focal * rng.uniform(2.5, 4.0) / 150, rng, haze)

    path = _path_centreline(rng)
    pond = (6.0 + rng.uniform(-1, 1), 27.0, 8.0, 6.5)
    pavilion = (pond[0] + 2.0, pond[1] + pond[3] + 3.0)
    _draw_pond(img, cam, pond, rng)
    draw = ImageDraw.Draw(img)
    _draw_path(draw, cam, path)
    spots = _garden_tree_spots(path, pond, pavilion, rng)
    _draw_garden_trees(draw, cam, [s for s in spots if s[1] > pavilion[1]], rng)  # painter's order
    _draw_pavilion(draw, cam, *pavilion)
    _draw_garden_trees(draw, cam, [s for s in spots if s[1] <= pavilion[1]], rng)
    _draw_flower_borders(draw, cam, path, rng)
    return _vignette(img, 0.22)


def _path_centreline(rng: np.random.Generator) -> np.ndarray:
    zs = np.arange(1.5, 70, 0.5)
    phase = rng.uniform(0, math.pi)
    return np.stack([-3.5 + 3.0 * np.sin(zs / 9 + phase), zs], axis=1)


def _draw_path(draw: ImageDraw.ImageDraw, cam: _Camera, centre: np.ndarray) -> None:
    half = 1.2
    left = [cam.project(x - half, 0, z) for x, z in centre]
    right = [cam.project(x + half, 0, z) for x, z in centre]
    draw.polygon(left + right[::-1], fill=(226, 214, 192))
    for k in range(0, len(centre), 2):  # paving joints every metre
        draw.line((left[k], right[k]), fill=(200, 186, 164), width=1)
    draw.line(left, fill=(180, 170, 150), width=2)
    draw.line(right, fill=(180, 170, 150), width=2)


def _pond_outline(
    pond: tuple[float, float, float, float], rng: np.random.Generator
) -> list[tuple[float, float]]:
    cx, cz, ax, az = pond
    angles = np.linspace(0, 2 * math.pi, 90, endpoint=False)
    wobble = 1 + 0.1 * np.sin(3 * angles + rng.uniform(0, 6)) + 0.05 * np.sin(5 * angles + rng.uniform(0, 6))
    return [
        (cx + ax * r * math.cos(a), cz + az * r * math.sin(a)) for a, r in zip(angles, wobble, strict=True)
    ]


def _draw_pond(
    img: Image.Image, cam: _Camera, pond: tuple[float, float, float, float], rng: np.random.Generator
) -> None:
    outline = [cam.project(x, 0, z) for x, z in _pond_outline(pond, rng)]
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    top = min(y for _, y in outline) / img.height
    bottom = max(y for _, y in outline) / img.height
    water = _gradient(img.size, [(top, (170, 206, 226)), (bottom, (54, 112, 130))])
    img.paste(water, (0, 0), mask)
    draw = ImageDraw.Draw(img)
    draw.line(outline + [outline[0]], fill=(190, 186, 172), width=4)
    xs = [x for x, _ in outline]
    for _ in range(40):
        x, y = rng.uniform(min(xs), max(xs)), rng.uniform(top, bottom) * img.height
        # A ripple is drawn only where it stays on the water; the pond may reach the frame's edge.
        inside = x >= 0 and x + 30 < img.width and 0 <= y < img.height
        if inside and mask.getpixel((int(x), int(y))) and mask.getpixel((int(x + 30), int(y))):
            draw.line((x, y, x + rng.uniform(8, 30), y), fill=(214, 236, 244), width=1)


def _draw_pavilion(draw: ImageDraw.ImageDraw, cam: _Camera, x: float, z: float) -> None:
    """A small Chinese pavilion (亭): plinth, red columns and a hipped roof with upturned eaves."""
    _draw_box(draw, cam, (x - 2.2, 0, z - 2.2, x + 2.2, 0.4, z + 2.2), (206, 200, 188))
    for dz in (1.46, -1.7):  # back pair first
        for dx in (-1.7, 1.7):
            _draw_box(
                draw, cam, (x + dx - 0.12, 0.4, z + dz, x + dx + 0.12, 3.0, z + dz + 0.24), (150, 44, 36)
            )
    eave = [
        (x - 2.7, 3.35, z - 2.7),
        (x - 1.2, 3.0, z - 2.6),
        (x + 1.2, 3.0, z - 2.6),
        (x + 2.7, 3.35, z - 2.7),
    ]
    ridge = [(x + 0.5, 4.6, z), (x - 0.5, 4.6, z)]
    draw.polygon(cam.quad(eave + ridge), fill=(66, 72, 82))
    draw.line(cam.quad(eave), fill=(40, 44, 52), width=3)
    draw.polygon(
        cam.quad(
            [
                (x - 2.4, 3.0, z - 2.45),
                (x + 2.4, 3.0, z - 2.45),
                (x + 2.4, 3.2, z - 2.45),
                (x - 2.4, 3.2, z - 2.45),
            ]
        ),
        fill=(120, 40, 34),
    )


def _garden_tree_spots(
    path: np.ndarray,
    pond: tuple[float, float, float, float],
    pavilion: tuple[float, float],
    rng: np.random.Generator,
) -> list[tuple[float, float]]:
    """Tree positions on the lawn (x, z), far to near, clear of the path, pond and sight line."""
    cx, cz, ax, az = pond
    px, pz = pavilion
    spots = []
    for _ in range(70):
        x, z = rng.uniform(-45, 45), rng.uniform(5, 90)
        path_x = np.interp(z, path[:, 1], path[:, 0])
        in_pond = ((x - cx) / (ax + 3)) ** 2 + ((z - cz) / (az + 3)) ** 2 < 1
        # Nothing in front of the pavilion (compared as view angles) or right behind it.
        hides_pavilion = z < pz + 12 and abs(x / z - px / pz) < 3.5 / pz + 3.0 / z
        if abs(x - path_x) > 2.8 and not in_pond and not hides_pavilion:
            spots.append((x, z))
    return sorted(spots, key=lambda s: -s[1])


def _draw_garden_trees(
    draw: ImageDraw.ImageDraw, cam: _Camera, spots: list[tuple[float, float]], rng: np.random.Generator
) -> None:
    greens = [[(46, 92, 48), (68, 122, 60), (102, 150, 78)], [(40, 84, 58), (58, 110, 72), (90, 140, 92)]]
    for x, z in spots:
        px, py = cam.project(x, 0, z)
        radius = cam.focal * rng.uniform(1.6, 2.8) / z
        # Afternoon sun from the left: shadows fall to the right of the trunk.
        draw.ellipse(
            (px - radius * 0.4, py - radius * 0.16, px + radius * 1.6, py + radius * 0.2), fill=(80, 128, 64)
        )
        _tree(draw, px, py, radius, rng, greens[int(rng.integers(0, 2))], conifer=rng.random() < 0.2)


def _draw_flower_borders(
    draw: ImageDraw.ImageDraw, cam: _Camera, path: np.ndarray, rng: np.random.Generator
) -> None:
    flowers = [(232, 118, 140), (250, 210, 90), (255, 250, 240), (196, 120, 200)]
    for x, z in path:
        for side in (-1, 1):
            for _ in range(3):
                fx, fz = x + side * rng.uniform(1.4, 2.6), z + rng.uniform(-0.3, 0.3)
                px, py = cam.project(fx, 0.1, fz)
                r = min(6.0, max(1.2, cam.focal * 0.06 / fz))
                draw.ellipse(
                    (px - r, py - r, px + r, py + r), fill=flowers[int(rng.integers(0, len(flowers)))]
                )
