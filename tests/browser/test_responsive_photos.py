"""A phone downloads the photo it shows: after a 12-megapixel cover upload, a 375 px phone at DPR 2 picks a
960 px WebP rendition for the cover (and renditions everywhere else), never the original."""

import io
import os

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect

from yunlou.catalogue.models import ProjectPhoto
from yunlou.core.images import renditions_make
from yunlou.core.tests.photos import camera_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _drawing() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (1200, 900), "white")
    image.paste((40, 40, 40), (100, 100, 1100, 110))
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def photographed(project, plans, building):
    project.cover.save("IMG_0412.JPG", ContentFile(camera_jpeg(4000, 3000)), save=False)
    project.save()
    for order in range(3):
        ProjectPhoto.objects.create(project=project, caption=f"效果图{order + 1}", sort_order=order,
                                    image=ContentFile(camera_jpeg(1600, 900, seed=order), name=f"photo{order}.jpg"))
    for plan in plans:
        plan.drawing.save(f"plan-{plan.pk}.png", ContentFile(_drawing()), save=True)
    for file in [project.cover, *(p.image for p in project.photos.all()), *(p.drawing for p in plans)]:
        renditions_make(file)
    return project


def _current(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "img => ({src: img.currentSrc, width: img.naturalWidth, "
                                           "complete: img.complete})")


def test_a_phone_downloads_renditions_not_the_12_megapixel_original(live_server, phone, photographed, plans,
                                                                     artifacts_dir):
    requested = []
    phone.on("request", lambda request: requested.append(request.url))

    phone.goto(f"{live_server.url}/p/{photographed.pk}/", wait_until="networkidle")

    hero = _current(phone, "img.hero-img")
    assert "/media/renditions/projects/covers/IMG_0412" in hero["src"] and hero["src"].endswith(".webp")
    # 375 CSS px × DPR 2 = 750 device pixels: the 960 px rendition, not the 4000 px original.
    assert ".960x0_" in hero["src"] and hero["complete"] and hero["width"] > 0
    originals = {photographed.cover.url, *(p.image.url for p in photographed.photos.all())}
    assert not [url for url in requested if any(url.endswith(original) for original in originals)]
    phone.screenshot(path=os.path.join(artifacts_dir, "photos-01-project.png"))
    phone.screenshot(path=os.path.join(artifacts_dir, "photos-01-project-full.png"), full_page=True)

    # The full-screen viewer loads its images only when opened, and then renditions too.
    viewer_images = phone.locator("#gallery-viewer img")
    assert viewer_images.first.get_attribute("src") is None
    phone.locator("[data-gallery-index='1']").click()
    expect(phone.locator("#gallery-viewer")).to_be_visible()
    phone.wait_for_function("() => document.querySelectorAll('#gallery-viewer img')[1].naturalWidth > 0")
    opened = viewer_images.nth(1).evaluate("img => ({src: img.currentSrc, width: img.naturalWidth})")
    assert "/media/renditions/projects/photos/photo1" in opened["src"] and opened["src"].endswith(".webp")
    assert ".960x0_" in opened["src"]
    phone.screenshot(path=os.path.join(artifacts_dir, "photos-02-viewer.png"))
    phone.locator("#gallery-viewer").get_by_role("button", name="关闭").click()

    # Floor plans: a drawing shown full width picks the 960 px WebP; the list of projects, the cover.
    phone.goto(f"{live_server.url}/p/{photographed.pk}/plans/{plans[1].pk}/", wait_until="networkidle")
    drawing = _current(phone, ".plan-drawing img")
    assert "/media/renditions/" in drawing["src"] and drawing["src"].endswith(".webp") and ".960x0_" in drawing["src"]
    phone.screenshot(path=os.path.join(artifacts_dir, "photos-03-floor-plan.png"))
    phone.goto(f"{live_server.url}/", wait_until="networkidle")
    card = _current(phone, ".project-card img")
    assert "/media/renditions/" in card["src"] and ".960x0_" in card["src"]
    phone.screenshot(path=os.path.join(artifacts_dir, "photos-04-list.png"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert not [url for url in requested if any(url.endswith(original) for original in originals)]
