"""A round red company seal (公章) drawn from the organisation's name, for the demo.

Real developers upload the image of their registered seal; this one only has to look like one: a red ring,
the name running clockwise along the upper arc, a five-pointed star in the middle and the seal's purpose
(合同专用章) across the bottom.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from yunlou.core.fonts import cjk_font
from yunlou.core.text import strip_controls

SEAL_RED = (214, 24, 32, 235)
SIZE = 480
# The name fills at most this arc of the ring, centred on the top; short names are spaced out, long ones squeezed.
_MAX_ARC_DEGREES = 250
_MAX_NAME_CHARS = 24


def _star(center: tuple[float, float], radius: float) -> list[tuple[float, float]]:
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for index in range(10):
        angle = math.radians(-90 + index * 36)
        length = radius if index % 2 == 0 else inner
        points.append((center[0] + length * math.cos(angle), center[1] + length * math.sin(angle)))
    return points


def _glyph(character: str, size: int) -> Image.Image:
    font = cjk_font(size, bold=True)
    tile = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((size, size), character, font=font, fill=SEAL_RED, anchor="mm")
    return tile


def company_seal_png(organization_name: str, *, purpose: str = "合同专用章") -> bytes:
    """The seal as a transparent PNG, `SIZE` pixels square."""
    name = "".join(strip_controls(organization_name).split())[:_MAX_NAME_CHARS] or "公司"
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    center = SIZE / 2
    ring = SIZE * 0.035
    draw.ellipse((ring / 2, ring / 2, SIZE - ring / 2, SIZE - ring / 2), outline=SEAL_RED, width=round(ring))
    draw.polygon(_star((center, center), SIZE * 0.16), fill=SEAL_RED)

    glyph_size = round(SIZE * (0.13 if len(name) <= 12 else 0.10))
    text_radius = center - ring - glyph_size * 0.85
    step = min(_MAX_ARC_DEGREES / max(len(name) - 1, 1), 24)
    start = -90 - step * (len(name) - 1) / 2  # degrees, 0 = east, clockwise on screen
    for index, character in enumerate(name):
        angle = start + index * step
        tile = _glyph(character, glyph_size).rotate(-(angle + 90), resample=Image.BICUBIC)
        x = center + text_radius * math.cos(math.radians(angle)) - tile.width / 2
        y = center + text_radius * math.sin(math.radians(angle)) - tile.height / 2
        image.alpha_composite(tile, (round(x), round(y)))

    purpose_font = cjk_font(round(SIZE * 0.08), bold=True)
    draw.text((center, SIZE * 0.74), strip_controls(purpose)[:8], font=purpose_font, fill=SEAL_RED, anchor="mm")
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
