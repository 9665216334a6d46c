"""拓客辅助: materials uploaded by the channel team, and the personal poster a broker or consultant shares."""

import io
import os

import pytest
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from yunlou.accounts.tests.factories import make_staff
from yunlou.brokers.models import BrokerStatus, MaterialKind, PromoMaterial
from yunlou.brokers.posters import POSTER_SIZE
from yunlou.brokers.tests.factories import broker_make
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.core.urls import public_url
from yunlou.showroom.models import ShareCode

pytestmark = pytest.mark.django_db


def png_bytes(size=(1200, 900), colour=(180, 120, 60), kind="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind)
    return buffer.getvalue()


def upload(name="poster.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, png_bytes() if data is None else data, content_type=content_type)


@pytest.fixture
def channel(project):
    return make_staff(role="channel", organization=project.organization, projects=[project], display_name="渠道")


@pytest.fixture
def broker(project):
    return broker_make(project.organization, name="赵经纪")


def poster_of(client, project, **params) -> Image.Image:
    response = client.get(reverse("promo:poster", args=[project.pk]), params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def decoded_link(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code found on the poster"
    return found[0].text


def link_of(user, project) -> str:
    code = ShareCode.objects.get(owner=user, project=project).code
    return public_url(f"/p/{project.pk}/?s={code}")


def test_a_brokers_poster_is_a_750_by_1334_png_whose_qr_opens_his_own_share_link(client, project, broker,
                                                                                    artifacts_dir):
    client.force_login(broker.user)
    image = poster_of(client, project)
    assert image.format == "PNG" and image.size == POSTER_SIZE == (750, 1334)
    link = decoded_link(image)
    assert link == link_of(broker.user, project)
    assert link.endswith(f"/p/{project.pk}/?s={ShareCode.objects.get(owner=broker.user).code}")
    image.save(os.path.join(artifacts_dir, "referral-poster.png"))


def test_the_poster_uses_the_chosen_poster_material_and_the_qr_still_decodes(client, project, broker, channel,
                                                                              artifacts_dir):
    client.force_login(channel.user)
    response = client.post(reverse("promo:materials", args=[project.pk]), {
        "kind": MaterialKind.POSTER, "title": "春季样板间开放", "body": "",
        "image": upload(data=png_bytes((1600, 1200), (30, 140, 90)))})
    assert response.status_code == 302, response.content[:500]
    material = PromoMaterial.objects.get()
    client.force_login(broker.user)
    image = poster_of(client, project, material=material.pk)
    red, green, blue = image.getpixel((375, 300))[:3]  # the material's picture (stored as JPEG) fills the top
    assert abs(red - 30) < 4 and abs(green - 140) < 4 and abs(blue - 90) < 4
    assert decoded_link(image) == link_of(broker.user, project)
    image.save(os.path.join(artifacts_dir, "referral-poster-material.png"))


def test_a_consultant_gets_a_poster_with_his_own_link_and_one_share_code_is_reused(client, project, consultant):
    client.force_login(consultant.user)
    first = decoded_link(poster_of(client, project))
    second = decoded_link(poster_of(client, project))
    assert first == second == link_of(consultant.user, project)
    assert ShareCode.objects.filter(owner=consultant.user, project=project).count() == 1


def test_the_materials_page_lists_posters_copy_and_tutorials_for_a_broker(client, project, broker):
    PromoMaterial.objects.create(project=project, kind=MaterialKind.COPY, title="朋友圈文案", body="云栖府，城芯墅居")
    PromoMaterial.objects.create(project=project, kind=MaterialKind.TUTORIAL, title="如何报备", body="先填写手机号")
    client.force_login(broker.user)
    response = client.get(reverse("promo:materials", args=[project.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "云栖府，城芯墅居" in page and "如何报备" in page
    assert link_of(broker.user, project) in page
    assert 'id="upload"' not in page  # brokers do not upload


def test_another_organisations_broker_gets_404_for_the_poster_and_the_materials(client, project):
    stranger = broker_make(ProjectFactory(name="别家楼盘").organization, name="钱经纪")
    client.force_login(stranger.user)
    assert client.get(reverse("promo:poster", args=[project.pk])).status_code == 404
    assert client.get(reverse("promo:materials", args=[project.pk])).status_code == 404


def test_a_broker_awaiting_approval_or_frozen_gets_404(client, project):
    for status in (BrokerStatus.PENDING, BrokerStatus.FROZEN):
        waiting = broker_make(project.organization, status=status)
        client.force_login(waiting.user)
        assert client.get(reverse("promo:poster", args=[project.pk])).status_code == 404


def test_a_consultant_of_another_project_of_the_same_developer_gets_404(client, project):
    other = ProjectFactory(organization=project.organization, name="同集团另一盘")
    elsewhere = make_staff(role="consultant", organization=project.organization, projects=[other])
    client.force_login(elsewhere.user)
    assert client.get(reverse("promo:poster", args=[project.pk])).status_code == 404


def test_a_poster_of_an_unpublished_project_is_not_made(client, project, broker):
    project.is_published = False
    project.save(update_fields=["is_published"])
    client.force_login(broker.user)
    assert client.get(reverse("promo:poster", args=[project.pk])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, project):
    assert client.get(reverse("promo:poster", args=[project.pk])).status_code == 302


def test_a_broker_cannot_upload_materials(client, project, broker):
    client.force_login(broker.user)
    response = client.post(reverse("promo:materials", args=[project.pk]),
                           {"kind": MaterialKind.COPY, "title": "x", "body": "y"})
    assert response.status_code == 403
    assert not PromoMaterial.objects.exists()


def test_upload_refuses_a_file_that_is_not_an_image_with_a_400_naming_the_field(client, project, channel):
    client.force_login(channel.user)
    response = client.post(reverse("promo:materials", args=[project.pk]), {
        "kind": MaterialKind.POSTER, "title": "假图片",
        "image": upload("poster.png", b"#!/bin/sh\necho not a picture\n")})
    assert response.status_code == 400
    assert "Image" in response.content.decode() or "图片" in response.content.decode()
    assert response.context["form"].errors["image"]
    assert not PromoMaterial.objects.exists()


def test_upload_refuses_a_truncated_jpeg(client, project, channel):
    client.force_login(channel.user)
    damaged = png_bytes((800, 600), kind="JPEG")[:400]
    response = client.post(reverse("promo:materials", args=[project.pk]), {
        "kind": MaterialKind.POSTER, "title": "残图", "image": upload("p.jpg", damaged, "image/jpeg")})
    assert response.status_code == 400 and response.context["form"].errors["image"]


def test_upload_refuses_a_decompression_bomb_before_decoding_it(client, project, channel):
    client.force_login(channel.user)
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")  # 100 megapixels in a few kilobytes
    response = client.post(reverse("promo:materials", args=[project.pk]), {
        "kind": MaterialKind.POSTER, "title": "炸弹", "image": upload("bomb.png", buffer.getvalue())})
    assert response.status_code == 400 and response.context["form"].errors["image"]
    assert not PromoMaterial.objects.exists()


def test_an_uploaded_poster_is_stored_small_and_without_its_metadata(client, project, channel):
    client.force_login(channel.user)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    Image.new("RGB", (4000, 3000), (200, 10, 10)).save(buffer, "JPEG", exif=exif)
    response = client.post(reverse("promo:materials", args=[project.pk]), {
        "kind": MaterialKind.POSTER, "title": "大图", "image": upload("big.jpg", buffer.getvalue(), "image/jpeg")})
    assert response.status_code == 302
    stored = PromoMaterial.objects.get().image
    with Image.open(stored.open("rb")) as image:
        assert max(image.size) <= 1600
        assert not image.getexif()


def test_copy_needs_text_and_a_poster_needs_an_image(client, project, channel):
    client.force_login(channel.user)
    url = reverse("promo:materials", args=[project.pk])
    assert client.post(url, {"kind": MaterialKind.COPY, "title": "空文案", "body": ""}).status_code == 400
    assert client.post(url, {"kind": MaterialKind.POSTER, "title": "无图"}).status_code == 400
    assert client.post(url, {"kind": MaterialKind.TUTORIAL, "title": "教程", "body": "第一步"}).status_code == 302
    assert list(PromoMaterial.objects.values_list("title", flat=True)) == ["教程"]


def test_a_poster_material_of_another_project_is_not_found(client, project, broker):
    other = ProjectFactory(organization=project.organization)
    foreign = PromoMaterial.objects.create(project=other, kind=MaterialKind.POSTER, title="别盘")
    client.force_login(broker.user)
    assert client.get(reverse("promo:poster", args=[project.pk]), {"material": foreign.pk}).status_code == 404


def test_posters_are_drawn_with_a_font_that_covers_chinese():
    """Without one (fonts-noto-cjk: `make test` installs it) every Chinese character on a poster is a box."""
    from yunlou.core.fonts import cjk_font, cjk_font_path

    assert cjk_font_path(bold=True) and cjk_font_path()
    font = cjk_font(40)
    assert font.getmask("云").getbbox() != font.getmask("\U0010fffd").getbbox()  # not the missing-glyph box


def test_without_a_chosen_material_the_poster_shows_the_projects_cover(client, project, broker):
    from django.core.files.base import ContentFile

    project.cover.save("cover.png", ContentFile(png_bytes((1200, 900), (200, 40, 160))), save=True)
    client.force_login(broker.user)
    image = poster_of(client, project)
    assert image.getpixel((375, 300))[:3] == (200, 40, 160)
    assert decoded_link(image) == link_of(broker.user, project)
