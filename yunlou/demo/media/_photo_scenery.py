"""Shared by the perspective renderings (photos and the promo video).

A level pinhole camera, boxes and rooms drawn through it, trees, bloom and vignette.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ._drawing import Color, _shade


@dataclass(frozen=True)
class _Camera:
    """Level pinhole camera looking down +z; keeps verticals vertical like an architectural shot."""

    width: int
    height: int
    focal: float  # px
    eye: float  # eye height, m
    horizon: float  # px from the top
    x: float = 0.0  # position, m
    z: float = 0.0
    mirrored: bool = False  # renders the reflection in a glossy floor

    def project(self, x: float, y: float, z: float) -> tuple[float, float]:
        z -= self.z
        u = self.width / 2 + self.focal * (x - self.x) / z
        if self.mirrored:
            return u, self.horizon + self.focal * (y + self.eye) / z
        return u, self.horizon - self.focal * (y - self.eye) / z

    def quad(self, corners: Sequence[tuple[float, float, float]]) -> list[tuple[float, float]]:
        return [self.project(*c) for c in corners]


Box3 = tuple[float, float, float, float, float, float]  # x0, y0, z0, x1, y1, z1


def _draw_box(
    draw: ImageDraw.ImageDraw, cam: _Camera, box: Box3, color: Color, *, top: float = 1.12, side: float = 0.8
) -> None:
    """Solid box with flat face shading; only faces turned towards the camera are drawn."""
    x0, y0, z0, x1, y1, z1 = box
    if x0 > cam.x:
        draw.polygon(
            cam.quad([(x0, y0, z0), (x0, y1, z0), (x0, y1, z1), (x0, y0, z1)]), fill=_shade(color, side)
        )
    if x1 < cam.x:
        draw.polygon(
            cam.quad([(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)]), fill=_shade(color, side)
        )
    if y1 < cam.eye and not cam.mirrored:
        draw.polygon(
            cam.quad([(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)]), fill=_shade(color, top)
        )
    draw.polygon(cam.quad([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)]), fill=color)


def _room_shell(
    draw: ImageDraw.ImageDraw,
    cam: _Camera,
    half_width: float,
    height: float,
    depth: float,
    colors: tuple[Color, Color, Color, Color, Color],
) -> None:
    """Ceiling, floor, side walls and back wall of a box room (colours in that order)."""
    near = cam.z + 0.3
    ceiling, floor, left, right, back = colors
    draw.polygon(
        cam.quad(
            [
                (-half_width, height, near),
                (half_width, height, near),
                (half_width, height, depth),
                (-half_width, height, depth),
            ]
        ),
        fill=ceiling,
    )
    draw.polygon(
        cam.quad(
            [(-half_width, 0, near), (half_width, 0, near), (half_width, 0, depth), (-half_width, 0, depth)]
        ),
        fill=floor,
    )
    draw.polygon(
        cam.quad(
            [
                (-half_width, 0, near),
                (-half_width, height, near),
                (-half_width, height, depth),
                (-half_width, 0, depth),
            ]
        ),
        fill=left,
    )
    draw.polygon(
        cam.quad(
            [
                (half_width, 0, near),
                (half_width, height, near),
                (half_width, height, depth),
                (half_width, 0, depth),
            ]
        ),
        fill=right,
    )
    draw.polygon(
        cam.quad(
            [
                (-half_width, 0, depth),
                (half_width, 0, depth),
                (half_width, height, depth),
                (-half_width, height, depth),
            ]
        ),
        fill=back,
    )


def _glow(img: Image.Image, layer: Image.Image, radius: float, strength: float = 1.0) -> Image.Image:
    """Additive bloom: blur the emissive layer and add it on top of the picture."""
    blurred = np.asarray(layer.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
    base = np.asarray(img, dtype=np.float32)
    sharp = np.asarray(layer, dtype=np.float32)
    return Image.fromarray(np.clip(base + (blurred * strength + sharp * 0.5), 0, 255).astype(np.uint8))


def _vignette(img: Image.Image, amount: float = 0.35) -> Image.Image:
    w, h = img.size
    ys, xs = np.ogrid[-1 : 1 : complex(0, h), -1 : 1 : complex(0, w)]
    falloff = 1 - amount * np.clip((xs**2 * 0.6 + ys**2 * 0.9) - 0.25, 0, None)
    out = np.asarray(img, dtype=np.float32) * falloff[..., None].astype(np.float32)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _tree(
    draw: ImageDraw.ImageDraw,
    x: float,
    base_y: float,
    radius: float,
    rng: np.random.Generator,
    palette: Sequence[Color],
    conifer: bool = False,
) -> None:
    """Stylised tree: trunk plus a cluster of overlapping canopy blobs, darker underneath."""
    trunk_w = max(2.0, radius * 0.16)
    top = base_y - radius * 2.6
    draw.rectangle((x - trunk_w / 2, base_y - radius * 1.3, x + trunk_w / 2, base_y), fill=(70, 54, 42))
    if conifer:
        for k in range(4):
            t = k / 4
            half = radius * (1.0 - t * 0.7)
            y_b = base_y - radius * 0.6 - t * radius * 1.9
            draw.polygon([(x - half, y_b), (x + half, y_b), (x, y_b - radius * 1.1)], fill=palette[min(k, 2)])
        return
    cy = top + radius * 1.1
    for _ in range(9):
        angle = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(0, radius * 0.55)
        r = radius * rng.uniform(0.45, 0.7)
        bx, by = x + math.cos(angle) * dist, cy + math.sin(angle) * dist * 0.8
        shade = (
            palette[0] if by > cy + radius * 0.15 else palette[1] if by > cy - radius * 0.2 else palette[2]
        )
        draw.ellipse((bx - r, by - r, bx + r, by + r), fill=shade)
