"""The promo video and its poster: a slow push-in over the dusk exterior rendering."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from yunlou.core.fonts import cjk_font

from ._drawing import _encode
from ._photo_exterior import _exterior_scene

_PROMO_OVERSCAN = 1.2  # the rendering is larger than the frame so the camera can push in and pan


def _promo_base(size: tuple[int, int]) -> Image.Image:
    # Slightly softened so the window grid doesn't shimmer as the camera creeps; it also
    # keeps the H.264 stream small.
    scene = _exterior_scene((round(size[0] * _PROMO_OVERSCAN), round(size[1] * _PROMO_OVERSCAN)), seed=0)
    return scene.filter(ImageFilter.GaussianBlur(0.7))


def _promo_overlay(title: str, size: tuple[int, int]) -> tuple[Image.Image, Image.Image]:
    """Title card as (colour, alpha): a dark band at the bottom with the title and a tagline."""
    w, h = size
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    band = np.zeros((h, w, 4), np.uint8)
    fade = np.clip((np.arange(h) - h * 0.5) / (h * 0.5), 0, 1) ** 1.4
    band[..., 3] = (fade * 190).astype(np.uint8)[:, None]
    layer.alpha_composite(Image.fromarray(band, "RGBA"))
    draw = ImageDraw.Draw(layer)
    title_font = cjk_font(max(12, round(h * 0.085)), bold=True)
    draw.text((w / 2, h * 0.8), title, font=title_font, fill=(255, 255, 255, 255), anchor="mb")
    draw.line(
        (w / 2 - h * 0.08, h * 0.835, w / 2 + h * 0.08, h * 0.835),
        fill=(214, 176, 98, 255),
        width=max(1, h // 270),
    )
    tagline = cjk_font(max(10, round(h * 0.035)))
    draw.text((w / 2, h * 0.87), "效果图 · 仅供参考", font=tagline, fill=(236, 230, 220, 230), anchor="mt")
    return layer.convert("RGB"), layer.getchannel("A")


def _promo_frame(
    base: Image.Image,
    size: tuple[int, int],
    progress: float,
    overlay: tuple[Image.Image, Image.Image],
    title_alpha: float,
) -> Image.Image:
    eased = progress * progress * (3 - 2 * progress)  # smoothstep: no jolt at either end
    zoom = 1 + 0.12 * eased
    bw, bh = base.size
    cw, ch = bw / zoom, bh / zoom
    cx = bw / 2 + (eased - 0.5) * (bw - cw) * 0.9
    cy = bh / 2 - eased * (bh - ch) * 0.3
    # A float crop box gives sub-pixel camera moves, so the slow pan doesn't judder.
    frame = base.resize(size, Image.Resampling.BOX, box=(cx - cw / 2, cy - ch / 2, cx + cw / 2, cy + ch / 2))
    if title_alpha > 0:
        colour, alpha = overlay
        frame.paste(colour, (0, 0), alpha.point([round(v * title_alpha) for v in range(256)]))
    return frame


def _even(size: tuple[int, int]) -> tuple[int, int]:
    # H.264 in yuv420p needs even dimensions.
    return size[0] - size[0] % 2, size[1] - size[1] % 2


def promo_video(*, title: str, seconds: int = 6, size: tuple[int, int] = (960, 540), fps: int = 24) -> bytes:
    """MP4 (H.264, yuv420p, faststart, silent): slow push-in over the dusk rendering, title fading in."""
    size = _even(size)
    base = _promo_base(size)
    overlay = _promo_overlay(title, size)
    frames = max(1, round(seconds * fps))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "promo.mp4")
        writer = imageio_ffmpeg.write_frames(
            path,
            size,
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=["-crf", "26", "-preset", "veryfast", "-movflags", "+faststart"],
        )
        writer.send(None)

        def render(index: int) -> bytes:
            title_alpha = min(max((index / fps - 0.8) / 1.2, 0.0), 1.0)  # fades in from 0.8 s to 2 s
            return _promo_frame(base, size, index / max(frames - 1, 1), overlay, title_alpha).tobytes()

        # Pillow releases the GIL while resampling: render frames on threads while ffmpeg encodes,
        # a second's worth at a time to bound memory.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for start in range(0, frames, fps):
                for frame in pool.map(render, range(start, min(start + fps, frames))):
                    writer.send(frame)
        writer.close()
        with open(path, "rb") as handle:
            return handle.read()


def video_poster(*, title: str, size: tuple[int, int] = (960, 540)) -> bytes:
    """JPEG poster matching the video's opening shot, with the title already shown."""
    size = _even(size)
    return _encode(_promo_frame(_promo_base(size), size, 0.0, _promo_overlay(title, size), 1.0), "JPEG")
