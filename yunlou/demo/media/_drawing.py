"""Helpers shared by every kind of demo media: seeded randomness, encoding, colours, gradients, captions."""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from yunlou.core.fonts import cjk_font

Color = tuple[int, int, int]
Box = tuple[float, float, float, float]
_F32 = np.float32


def _rng(seed: int, *salt: str) -> np.random.Generator:
    # Salting by purpose keeps e.g. the window pattern stable when tree placement changes.
    return np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32("|".join(salt).encode())])


def _encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(buf, "JPEG", quality=82, progressive=True, optimize=True)
    else:
        img.save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def _mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _shade(c: Color, factor: float) -> Color:
    return tuple(max(0, min(255, round(x * factor))) for x in c)  # type: ignore[return-value]


def _gradient(size: tuple[int, int], stops: Sequence[tuple[float, Color]]) -> Image.Image:
    """Vertical multi-stop gradient; stops are (position 0..1 from the top, colour)."""
    w, h = size
    ys = (np.arange(h, dtype=np.float32) + 0.5) / h
    positions = [p for p, _ in stops]
    channels = [np.interp(ys, positions, [c[i] for _, c in stops]) for i in range(3)]
    column = np.stack(channels, axis=-1).astype(np.uint8)
    return Image.fromarray(np.repeat(column[:, None, :], w, axis=1))


def _caption(img: Image.Image, title: str) -> None:
    """Bottom-left title plate and a top-right "效果图" (artist's impression) tag."""
    w, h = img.size
    unit = max(10, h // 36)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)

    font = cjk_font(round(unit * 1.1), bold=True)
    pad = unit
    text_w = font.getlength(title)
    box = (pad, h - pad - unit * 2.6, pad + text_w + unit * 2.4, h - pad)
    draw.rounded_rectangle(box, radius=unit // 2, fill=(12, 18, 28, 150))
    draw.rectangle((box[0], box[1], box[0] + unit * 0.3, box[3]), fill=(214, 176, 98, 230))
    draw.text(
        (box[0] + unit * 1.2, (box[1] + box[3]) / 2), title, font=font, fill=(255, 255, 255, 240), anchor="lm"
    )

    tag_font = cjk_font(round(unit * 0.8))
    tag_w = tag_font.getlength("效果图")
    tag = (w - pad - tag_w - unit * 1.4, pad, w - pad, pad + unit * 1.8)
    draw.rounded_rectangle(tag, radius=unit // 3, fill=(0, 0, 0, 70), outline=(255, 255, 255, 190), width=2)
    draw.text(
        ((tag[0] + tag[2]) / 2, (tag[1] + tag[3]) / 2),
        "效果图",
        font=tag_font,
        fill=(255, 255, 255, 230),
        anchor="mm",
    )
    img.paste(overlay, (0, 0), overlay)
