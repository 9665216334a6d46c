"""Uploaded photos get responsive renditions: made once, upright, stripped of EXIF, HEIC included; hostile or
huge images are refused at the door with a form error naming the field."""

import io
import logging
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from yunlou.catalogue.models import FloorPlan, ProjectPhoto
from yunlou.catalogue.tests.factories import FloorPlanFactory
from yunlou.core import images
from yunlou.core.tasks import renditions_make_task
from yunlou.core.tests.admin_forms import admin_form_data
from yunlou.core.tests.photos import camera_jpeg, camera_photo

pytestmark = pytest.mark.django_db


def _open(rendition: images.Rendition) -> Image.Image:
    from django.core.files.storage import default_storage

    with default_storage.open(rendition.name) as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def _sizes(renditions, image_format):
    return [(r.width, r.height) for r in renditions if r.format == image_format]


def test_a_12_megapixel_cover_uploaded_through_the_admin_gets_webp_and_jpeg_renditions(
        admin_client, project, django_capture_on_commit_callbacks):
    url = reverse("admin:catalogue_project_change", args=[project.pk])
    data = admin_form_data(admin_client.get(url).content.decode(), "project_form")
    original = camera_jpeg(4000, 3000)
    assert len(original) > 3_000_000  # a camera's several megabytes, not a flat test card
    data["cover"] = SimpleUploadedFile("IMG_0412.JPG", original, content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(callbacks) == 1  # one task queued for the one new image
    project.refresh_from_db()
    renditions = images.renditions_of(project.cover)
    assert _sizes(renditions, "webp") == [(480, 360), (960, 720), (1600, 1200)]
    assert _sizes(renditions, "jpeg") == [(480, 360), (960, 720), (1600, 1200)]
    for rendition in renditions:
        image = _open(rendition)
        assert image.format == {"webp": "WEBP", "jpeg": "JPEG"}[rendition.format]
        assert image.size == (rendition.width, rendition.height)
        assert not image.getexif(), "renditions carry no EXIF (and so no GPS position)"
    assert project.cover.size == len(original)  # the original is kept as uploaded


def test_a_sideways_camera_photo_is_turned_upright_and_loses_its_gps_position(project):
    photo = ProjectPhoto.objects.create(
        project=project, image=ContentFile(camera_jpeg(1200, 900, orientation=6), name="sideways.jpg"))
    with Image.open(photo.image) as original:
        assert original.getexif().get_ifd(0x8825), "the upload has a GPS position"

    renditions = images.renditions_make(photo.image)

    # Orientation 6 means "turn 90° clockwise to view": the 1200 × 900 sensor image is a 900 × 1200 portrait.
    assert _sizes(renditions, "webp") == [(480, 640), (900, 1200)]
    assert all(not _open(r).getexif() for r in renditions)
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (900, 1200)


def test_an_iphone_heic_photo_is_accepted_and_rendered_as_webp_and_jpeg(admin_client, project,
                                                                        django_capture_on_commit_callbacks):
    buffer = io.BytesIO()
    camera_photo(1600, 1200).save(buffer, format="HEIF", quality=80)
    heic = SimpleUploadedFile("IMG_0413.HEIC", buffer.getvalue(), content_type="image/heic")
    plan = FloorPlanFactory(project=project)
    url = reverse("admin:catalogue_floorplan_change", args=[plan.pk])
    data = admin_form_data(admin_client.get(url).content.decode(), "floorplan_form")
    data["drawing"] = heic

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.drawing.name.endswith(".HEIC")
    renditions = images.renditions_of(plan.drawing)
    assert _sizes(renditions, "webp") == [(320, 240), (960, 720), (1600, 1200)]
    assert _sizes(renditions, "png") == [(320, 240), (960, 720), (1600, 1200)]


def _post_drawing(admin_client, plan, upload):
    url = reverse("admin:catalogue_floorplan_change", args=[plan.pk])
    data = admin_form_data(admin_client.get(url).content.decode(), "floorplan_form")
    data["drawing"] = upload
    return admin_client.post(url, data)


def _bomb() -> bytes:
    """A 100-megapixel PNG of a few kilobytes: harmless to store, a gigabyte of memory to decode."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: SimpleUploadedFile("plan.png", _bomb(), content_type="image/png"), "8000"),
    (lambda: SimpleUploadedFile("plan.png", b"%PDF-1.4 not an image", content_type="image/png"), "HEIC"),
    (lambda: SimpleUploadedFile("plan.jpg", camera_jpeg(400, 300)[:3000], content_type="image/jpeg"), "HEIC"),
], ids=["decompression bomb", "not an image", "truncated JPEG"])
def test_a_hostile_or_broken_image_is_a_form_error_naming_the_field_not_a_500(admin_client, project, upload,
                                                                               message):
    plan = FloorPlanFactory(project=project)

    response = _post_drawing(admin_client, plan, upload())

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["drawing"]
    assert len(errors) == 1
    assert errors[0].startswith("户型图：") and message in errors[0], errors[0]
    plan.refresh_from_db()
    assert not plan.drawing


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(admin_client, project, monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 1024 * 1024)
    plan = FloorPlanFactory(project=project)

    photo = camera_jpeg(2400, 1800)
    assert len(photo) > 1024 * 1024

    response = _post_drawing(admin_client, plan, SimpleUploadedFile("big.jpg", photo))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["drawing"] == ["户型图：文件超过 1 MB，请上传较小的文件。"]


def test_renditions_are_made_once(project):
    photo = ProjectPhoto.objects.create(project=project, image=ContentFile(camera_jpeg(1000, 750), name="a.jpg"))
    first = images.renditions_make(photo.image)
    stamps = {r.name: os.stat(_path(r)).st_mtime_ns for r in first}

    again = images.renditions_make(photo.image)

    assert again == first
    assert {r.name: os.stat(_path(r)).st_mtime_ns for r in again} == stamps


def _path(rendition):
    from django.core.files.storage import default_storage

    return default_storage.path(rendition.name)


def test_a_small_image_is_not_blown_up(project):
    photo = ProjectPhoto.objects.create(project=project, image=ContentFile(camera_jpeg(600, 400), name="s.jpg"))

    renditions = images.renditions_make(photo.image)

    assert _sizes(renditions, "webp") == [(480, 320), (600, 400)]


def test_a_transparent_drawing_keeps_its_transparency(project):
    buffer = io.BytesIO()
    Image.new("RGBA", (1000, 750), (255, 255, 255, 0)).save(buffer, "PNG")
    plan = FloorPlanFactory(project=project, drawing=ContentFile(buffer.getvalue(), name="plan.png"))

    renditions = images.renditions_make(plan.drawing)

    assert {r.format for r in renditions} == {"webp", "png"}
    assert all(_open(r).mode == "RGBA" for r in renditions)


def test_an_upload_saved_with_its_record_queues_its_renditions_after_commit(project,
                                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        photo = ProjectPhoto.objects.create(project=project, image=ContentFile(camera_jpeg(800, 600), name="q.jpg"))
        FloorPlan.objects.filter(pk=FloorPlanFactory(project=project).pk).update(name="X")  # not an image

    assert len(callbacks) == 1
    assert images.renditions_of(photo.image) == []  # nothing before the transaction commits
    callbacks[0]()
    assert _sizes(images.renditions_of(photo.image), "jpeg") == [(480, 360), (800, 600)]


def test_the_task_skips_a_file_replaced_since_and_logs_an_unreadable_one(project, caplog):
    photo = ProjectPhoto.objects.create(project=project, image=ContentFile(b"not an image", name="bad.jpg"))

    assert renditions_make_task(photo._meta.label, photo.pk, "image", "projects/photos/older.jpg") == 0
    with caplog.at_level(logging.WARNING, logger="yunlou.core.images"):
        assert renditions_make_task(photo._meta.label, photo.pk, "image", photo.image.name) == 0
    assert "no renditions for projects/photos/bad" in caplog.text
    assert images.renditions_of(photo.image) == []



def test_make_renditions_backfills_images_uploaded_before_renditions_existed(project):
    from django.core.management import call_command

    photo = ProjectPhoto.objects.create(project=project, image=ContentFile(camera_jpeg(1000, 750), name="old.jpg"))
    assert images.renditions_of(photo.image) == []
    out = io.StringIO()

    call_command("make_renditions", stdout=out)

    assert _sizes(images.renditions_of(photo.image), "webp") == [(480, 360), (960, 720), (1000, 750)]
    assert "1 images have their renditions" in out.getvalue()


def test_a_consultant_photo_too_large_is_refused_in_the_user_admin_and_a_good_one_gets_small_renditions(
        admin_client, consultant, django_capture_on_commit_callbacks):
    url = reverse("admin:accounts_user_change", args=[consultant.user.pk])
    data = admin_form_data(admin_client.get(url).content.decode(), "user_form")

    response = admin_client.post(url, {**data, "avatar": SimpleUploadedFile("me.png", _bomb())})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["avatar"][0].startswith("照片：")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {**data, "avatar": SimpleUploadedFile("me.jpg", camera_jpeg(900, 1200))})
    assert response.status_code == 302
    consultant.user.refresh_from_db()
    assert _sizes(images.renditions_of(consultant.user.avatar), "webp") == [(96, 96), (192, 192)]
