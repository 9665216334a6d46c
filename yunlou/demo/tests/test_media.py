"""Smoke tests for the generated demo media: every file decodes and has the promised shape.

The generators are pure Pillow/NumPy/ffmpeg functions returning encoded bytes.
"""

import io
from decimal import Decimal

import imageio_ffmpeg
import pytest
from PIL import Image, ImageFont

from yunlou.core import fonts
from yunlou.demo import media


def _open(data: bytes, fmt: str) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == fmt
    img.load()  # forces a full decode, not just the header
    return img


@pytest.mark.parametrize(("rooms", "bathrooms"), [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_floor_plan_is_png(rooms: int, bathrooms: int) -> None:
    data = media.floor_plan_drawing(
        name="B",
        rooms=rooms,
        halls=2,
        bathrooms=bathrooms,
        gross_area=Decimal("89.5"),
        orientation="南北通透",
        seed=rooms,
    )
    assert _open(data, "PNG").size == (1200, 900)


def test_floor_plan_is_deterministic() -> None:
    kwargs = {"name": "C", "rooms": 3, "halls": 2, "bathrooms": 2, "gross_area": 105, "orientation": "东南"}
    assert media.floor_plan_drawing(**kwargs, seed=7) == media.floor_plan_drawing(**kwargs, seed=7)


@pytest.mark.parametrize("kind", ["exterior", "garden", "lobby", "showflat"])
def test_project_photo_is_jpeg(kind: str) -> None:
    img = _open(media.project_photo(title="云楼·栖湖", kind=kind, seed=1, size=(320, 180)), "JPEG")
    assert img.size == (320, 180)


def test_project_photo_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        media.project_photo(title="x", kind="rooftop")


@pytest.mark.parametrize("kind", media.PANORAMA_KINDS)
def test_panorama_is_equirectangular_jpeg(kind: str) -> None:
    img = _open(media.panorama_scene(kind=kind, size=(256, 128), seed=1), "JPEG")
    assert img.size == (256, 128)


def test_panoramas_differ_and_doors_point_somewhere_sensible() -> None:
    living = media.panorama_scene(kind="living", size=(128, 64))
    bedroom = media.panorama_scene(kind="bedroom", size=(128, 64))
    assert living != bedroom
    for kind in media.PANORAMA_KINDS:
        yaw, pitch = media.door_direction(kind)
        assert -180 <= yaw <= 180
        assert -30 < pitch < 10  # door centres sit a little below eye level


def test_video_is_h264_mp4_with_expected_frames(tmp_path) -> None:
    data = media.promo_video(title="云楼", seconds=1, size=(160, 90), fps=12)
    assert data[4:8] == b"ftyp"
    path = tmp_path / "promo.mp4"
    path.write_bytes(data)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert abs(frames - 12) <= 1
    assert seconds == pytest.approx(1.0, abs=0.1)


def test_video_poster_is_jpeg() -> None:
    assert _open(media.video_poster(title="云楼", size=(160, 90)), "JPEG").size == (160, 90)


def test_site_plan_is_png() -> None:
    buildings = [{"name": f"{i}号楼", "x": 0.2 + 0.25 * i, "y": 0.3, "w": 0.1, "h": 0.08} for i in range(3)]
    assert _open(media.site_plan(buildings=buildings, size=(400, 250)), "PNG").size == (400, 250)


def test_person_portrait_is_jpeg() -> None:
    assert _open(media.person_portrait(name="王小明", size=(96, 96)), "JPEG").size == (96, 96)


@pytest.fixture
def _no_cjk_font(monkeypatch: pytest.MonkeyPatch):
    """As on a machine without fonts-noto-cjk: fontconfig finds no Chinese font."""
    monkeypatch.setattr(fonts, "cjk_font_path", lambda bold=False: None)
    fonts.cjk_font.cache_clear()  # drop fonts loaded by earlier tests, and ours afterwards
    yield
    fonts.cjk_font.cache_clear()


@pytest.mark.usefixtures("_no_cjk_font")
def test_renders_without_a_cjk_font() -> None:
    # Machines without fonts-noto-cjk must still produce images (Chinese as boxes).
    assert fonts.cjk_font(20).getname() == ImageFont.load_default(20).getname()
    data = media.floor_plan_drawing(name="A", rooms=2, halls=1, bathrooms=1, gross_area=60, orientation="南")
    assert _open(data, "PNG").size == (1200, 900)
    assert _open(media.person_portrait(name="李"), "JPEG").size == (400, 400)
