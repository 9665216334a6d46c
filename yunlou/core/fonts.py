"""Locate a Chinese-capable font for server-side image rendering.

Pure functions, no Django: used by the demo media generators and anything else that
draws Chinese text with Pillow. When no CJK font is installed we degrade to Pillow's
built-in font so rendering never crashes (Chinese then shows as boxes).
"""

from __future__ import annotations

import functools
import os
import subprocess

from PIL import ImageFont

# Tried in order; the final ':lang=zh' lets fontconfig pick any installed Chinese font.
_PATTERNS = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", ":lang=zh")
_FC_TIMEOUT_S = 10


def _fontconfig(*args: str) -> str | None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=_FC_TIMEOUT_S, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def _chinese_font_files() -> frozenset[str]:
    # fc-match always answers with *something* (DejaVu as a last resort), so a match
    # only counts when the file is one fontconfig lists as covering Chinese.
    listing = _fontconfig("fc-list", ":lang=zh", "file") or ""
    return frozenset(line.strip().rstrip(":") for line in listing.splitlines() if line.strip())


@functools.lru_cache(maxsize=2)
def cjk_font_path(bold: bool = False) -> str | None:
    """Path of an installed font file that can render Simplified Chinese, or None."""
    chinese_files = _chinese_font_files()
    for pattern in _PATTERNS:
        query = f"{pattern}:bold" if bold else pattern
        path = _fontconfig("fc-match", "-f", "%{file}", query)
        if path and path in chinese_files and os.path.isfile(path):
            return path
    return None


@functools.lru_cache(maxsize=8)
def _simplified_chinese_face_index(path: str) -> int:
    # Collections (.ttc) bundle JP/KR/SC/TC/HK faces; the first face is usually Japanese,
    # whose glyph shapes look wrong to mainland readers.
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    index = 0
    while True:
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            return 0
        if family and ("SC" in family.split() or "Simplified" in family):
            return index
        index += 1


@functools.lru_cache(maxsize=64)
def cjk_font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font of `size` pixels for Chinese text; Pillow's default font if none is installed."""
    path = cjk_font_path(bold)
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size, index=_simplified_chinese_face_index(path))
