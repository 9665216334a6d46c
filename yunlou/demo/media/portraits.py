"""Avatar portraits of people: a suited silhouette with the surname on the face."""

from __future__ import annotations

import zlib

from PIL import ImageDraw

from yunlou.core.fonts import cjk_font

from ._drawing import Color, _encode, _gradient, _shade

_PORTRAIT_COLORS: tuple[Color, ...] = (
    (58, 100, 142),
    (44, 122, 108),
    (148, 86, 70),
    (104, 84, 146),
    (170, 128, 62),
    (66, 88, 118),
)


def person_portrait(*, name: str, seed: int = 0, size: tuple[int, int] = (400, 400)) -> bytes:
    """Avatar JPEG: tinted background, suited head-and-shoulders silhouette, surname large on the face."""
    w, h = size
    color = _PORTRAIT_COLORS[(zlib.crc32(name.encode()) + seed) % len(_PORTRAIT_COLORS)]
    img = _gradient(size, [(0.0, _shade(color, 1.22)), (1.0, _shade(color, 0.82))])
    draw = ImageDraw.Draw(img)
    skin = (250, 248, 244)
    suit = _shade(color, 0.5)

    shoulders = (w * 0.12, h * 0.72, w * 0.88, h * 1.3)
    draw.ellipse(
        (shoulders[0] + w * 0.02, shoulders[1] + h * 0.02, shoulders[2] + w * 0.02, shoulders[3]),
        fill=_shade(color, 0.7),
    )  # soft drop shadow
    draw.ellipse(shoulders, fill=suit)
    draw.polygon([(w * 0.41, h * 0.72), (w * 0.59, h * 0.72), (w * 0.5, h * 0.9)], fill=skin)  # shirt
    draw.polygon(
        [
            (w * 0.48, h * 0.75),
            (w * 0.52, h * 0.75),
            (w * 0.535, h * 0.86),
            (w * 0.5, h * 0.9),
            (w * 0.465, h * 0.86),
        ],
        fill=_shade(color, 1.1),
    )  # tie
    draw.rectangle((w * 0.445, h * 0.62, w * 0.555, h * 0.73), fill=_shade(skin, 0.9))  # neck

    radius = w * 0.2
    cx, cy = w * 0.5, h * 0.45
    draw.ellipse(
        (cx - radius * 1.06, cy - radius * 1.06, cx + radius * 1.06, cy + radius * 1.06),
        fill=_shade(color, 1.35),
    )
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=skin)
    surname = (name.strip()[:1] or "?").upper()
    draw.text(
        (cx, cy),
        surname,
        font=cjk_font(round(radius * 1.15), bold=True),
        fill=_shade(color, 0.9),
        anchor="mm",
    )
    return _encode(img, "JPEG")
