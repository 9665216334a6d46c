"""Camera-like test photos: large, detailed and noisy like a real one, so sizes and timings are honest."""

import io

import numpy as np
from PIL import Image


def camera_photo(width: int = 4000, height: int = 3000, *, seed: int = 7) -> Image.Image:
    """A street scene of sorts: sky gradient, towers with rows of windows, foliage texture and sensor noise.
    A 4000 × 3000 one saves as a JPEG of several megabytes, as a 12-megapixel camera photo does."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    rgb = np.empty((height, width, 3), dtype=np.float32)
    rgb[..., 0] = 120 + 90 * y + 10 * x
    rgb[..., 1] = 160 + 60 * y
    rgb[..., 2] = 230 - 40 * y
    horizon = int(height * 0.62)
    for _ in range(14):  # towers
        left = int(rng.integers(0, width - width // 10))
        tower_width = int(rng.integers(width // 20, width // 8))
        top = int(rng.integers(height // 6, horizon - height // 10))
        shade = rng.uniform(90, 200, size=3).astype(np.float32)
        rgb[top:horizon, left:left + tower_width] = shade
        rows = np.arange(top + 12, horizon - 12, 36)
        for row in rows:  # windows
            lit = rng.uniform(0.55, 1.25)
            rgb[row:row + 18, left + 8:left + tower_width - 8:1] *= lit
        cols = np.arange(left + 8, left + tower_width - 8, 28)
        rgb[top:horizon, cols] *= 0.6
    ground = rgb[horizon:]
    texture = rng.normal(0, 28, size=(ground.shape[0] // 4 + 1, ground.shape[1] // 4 + 1, 1)).astype(np.float32)
    texture = np.repeat(np.repeat(texture, 4, axis=0), 4, axis=1)[:ground.shape[0], :ground.shape[1]]
    ground[:] = np.array([70, 110, 60], dtype=np.float32) + texture
    rgb += rng.normal(0, 7, size=rgb.shape).astype(np.float32)  # sensor noise
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def camera_jpeg(width: int = 4000, height: int = 3000, *, seed: int = 7, orientation: int | None = None,
                gps: bool = True, quality: int = 92) -> bytes:
    """JPEG bytes with the EXIF a phone writes: camera model, orientation, and the GPS position of the taker."""
    image = camera_photo(width, height, seed=seed)
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd.update({1: "N", 2: (30.0, 17.0, 21.12), 3: "E", 4: (120.0, 0.0, 23.4)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()
