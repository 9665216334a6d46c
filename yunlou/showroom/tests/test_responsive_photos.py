"""Showroom pages offer every photo as WebP and JPEG renditions through srcset/sizes, so a phone downloads
what it shows; until the renditions exist they show the original."""

import io
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from yunlou.catalogue.models import ProjectPhoto, ProjectVideo
from yunlou.core.images import renditions_make
from yunlou.core.tests.photos import camera_jpeg
from yunlou.showroom.page_cache import shared_page_forget

pytestmark = pytest.mark.django_db


class Images(HTMLParser):
    """Every <img>, <source> and <video> with its attributes, and the <picture> it sits in (if any)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict] = []
        self._picture: list[dict] | None = None

    def handle_starttag(self, tag, attrs):
        values = {k: v or "" for k, v in attrs}
        if tag == "picture":
            self._picture = []
        elif tag in {"img", "source", "video"}:
            element = {"tag": tag, **values}
            if self._picture is not None and tag != "video":
                element["picture"] = self._picture
                self._picture.append(element)
            self.elements.append(element)

    def handle_endtag(self, tag):
        if tag == "picture":
            self._picture = None


def images_of(html: str) -> list[dict]:
    parser = Images()
    parser.feed(html)
    return parser.elements


def _png(width, height) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def photographed(project, plans, building, consultant):
    """A project whose cover, gallery, floor plans, video poster and consultant photo are real-sized images."""
    project.cover = ContentFile(camera_jpeg(2000, 1500), name="cover.jpg")
    project.save()
    for order in range(2):
        ProjectPhoto.objects.create(project=project, caption=f"效果图{order}", sort_order=order,
                                    image=ContentFile(camera_jpeg(1600, 900, seed=order), name=f"g{order}.jpg"))
    for plan in plans:
        plan.drawing = ContentFile(_png(1200, 900), name=f"plan-{plan.pk}.png")
        plan.save()
    ProjectVideo.objects.create(project=project, title="宣传片", file=ContentFile(b"\x00", name="v.mp4"),
                                poster=ContentFile(camera_jpeg(1280, 720), name="poster.jpg"))
    consultant.user.avatar = ContentFile(camera_jpeg(400, 400), name="wang.jpg")
    consultant.user.save()
    return project


def _make_all(project, consultant):
    for file in [project.cover, *(p.image for p in project.photos.all()),
                 *(p.drawing for p in project.floor_plans.all()), *(v.poster for v in project.videos.all()),
                 consultant.user.avatar]:
        renditions_make(file)


def _candidates(srcset: str) -> list[tuple[str, str]]:
    return [tuple(candidate.strip().split(" ")) for candidate in srcset.split(",")]


def test_the_project_page_offers_webp_and_jpeg_renditions_through_srcset_and_sizes(client, photographed,
                                                                                   consultant):
    _make_all(photographed, consultant)

    elements = images_of(client.get(f"/p/{photographed.pk}/").content.decode())

    hero = next(e for e in elements if e["tag"] == "img" and "hero-img" in e.get("class", ""))
    webp, jpeg = hero["picture"]
    assert webp["tag"] == "source" and webp["type"] == "image/webp"
    assert [w for _url, w in _candidates(webp["srcset"])] == ["480w", "960w", "1600w"]
    assert all(url.endswith(".webp") for url, _w in _candidates(webp["srcset"]))
    assert [w for _url, w in _candidates(jpeg["srcset"])] == ["480w", "960w", "1600w"]
    assert all(url.endswith(".jpg") for url, _w in _candidates(jpeg["srcset"]))
    assert webp["sizes"] == jpeg["sizes"] == "(min-width: 720px) 720px, 100vw"
    assert jpeg["src"].endswith("cover.jpg.960x0_q80.jpg")  # for the rare browser without srcset

    gallery = [e for e in elements if e["tag"] == "img" and e.get("width") == "320"]
    assert len(gallery) == 2 and all(e["srcset"] and e["sizes"] and e["picture"][0]["srcset"] for e in gallery)
    viewer = [e for e in elements if "data-srcset" in e]
    assert len(viewer) == 4  # a WebP source and a JPEG img per photo, loaded only when the viewer opens
    assert not any("srcset" in e or "src" in e for e in viewer)

    plan_sources = [e for e in elements if e["tag"] == "source" and "plan-" in e.get("srcset", "")]
    assert len(plan_sources) == 2 and all(e["sizes"] == "112px" for e in plan_sources)
    assert all(url.endswith(".png") for e in plan_sources for url, _w in _candidates(e["picture"][1]["srcset"]))
    video = next(e for e in elements if e["tag"] == "video")
    assert video["poster"].endswith("poster.jpg.960x0_q80.jpg")
    avatar = next(e for e in elements if e["tag"] == "img" and "avatar" in e.get("class", ""))
    assert [w for _url, w in _candidates(avatar["picture"][0]["srcset"])] == ["96w", "192w"]

    originals = {photographed.cover.url, *(p.image.url for p in photographed.photos.all()), consultant.user.avatar.url}
    referenced = {candidate[0] for e in elements for name in ("src", "srcset", "data-src", "data-srcset", "poster")
                  if name in e for candidate in _candidates(e[name])}
    assert not originals & referenced, "no page makes a phone download an original upload"


def test_until_renditions_exist_the_pages_show_the_originals(client, photographed, consultant):
    page = client.get(f"/p/{photographed.pk}/").content.decode()

    elements = images_of(page)
    hero = next(e for e in elements if e["tag"] == "img" and "hero-img" in e.get("class", ""))
    assert hero["src"] == photographed.cover.url and "srcset" not in hero and "picture" not in hero
    assert next(e for e in elements if e["tag"] == "video")["poster"].endswith("poster.jpg")
    assert client.get("/").status_code == 200


def test_the_project_list_offers_the_cover_renditions(client, photographed, consultant):
    _make_all(photographed, consultant)

    card = next(e for e in images_of(client.get("/").content.decode()) if e["tag"] == "img")

    assert card["sizes"] == "(min-width: 720px) 696px, calc(100vw - 24px)"
    assert card["picture"][0]["type"] == "image/webp" and "960w" in card["picture"][0]["srcset"]
    assert card["loading"] == "eager"


def test_the_api_offers_the_renditions_of_the_cover_and_the_photos(client, photographed, consultant):
    _make_all(photographed, consultant)

    body = client.get(f"/api/v1/projects/{photographed.pk}").json()

    assert [(r["format"], r["width"], r["height"]) for r in body["cover_renditions"]] == [
        ("jpeg", 480, 360), ("jpeg", 960, 720), ("jpeg", 1600, 1200),
        ("webp", 480, 360), ("webp", 960, 720), ("webp", 1600, 1200)]
    photo = body["photos"][0]
    assert photo["url"].endswith("g0.jpg") and (photo["width"], photo["height"]) == (1600, 900)
    assert {r["format"] for r in photo["renditions"]} == {"webp", "jpeg"}
    assert all(r["url"].startswith("http://testserver/media/renditions/") for r in photo["renditions"])


def test_the_openapi_document_declares_the_renditions(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "renditions" in schemas["PhotoOut"]["properties"]
    assert "cover_renditions" in schemas["ProjectDetailOut"]["properties"]
    assert set(schemas["RenditionOut"]["properties"]) == {"width", "height", "format", "url"}


def test_a_returning_visitor_costs_no_rendition_query_and_new_photos_none_either(client, photographed, consultant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _make_all(photographed, consultant)
    url = f"/p/{photographed.pk}/"
    client.get(url)
    ProjectPhoto.objects.create(project=photographed, caption="新照片", sort_order=9,
                                image=ContentFile(camera_jpeg(800, 450), name="new.jpg"))
    shared_page_forget(f"project:{photographed.pk}")  # the shared page lives PAGE_SECONDS: render it anew

    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()

    assert not [q["sql"] for q in captured if "easy_thumbnails" in q["sql"]]
    assert "new.jpg" in page  # shown as the original until its renditions are made


def test_the_site_plan_floor_plan_and_unit_pages_offer_renditions_of_their_drawings(client, photographed,
                                                                                    consultant, plans, building):
    photographed.site_plan = ContentFile(_png(1600, 1000), name="site.png")
    photographed.save()
    _make_all(photographed, consultant)
    renditions_make(photographed.site_plan)
    unit = building.units.filter(floor_plan=plans[1]).first()

    for url, name in [(f"/p/{photographed.pk}/site/", "site.png"),
                      (f"/p/{photographed.pk}/plans/{plans[1].pk}/", f"plan-{plans[1].pk}.png"),
                      (f"/p/{photographed.pk}/units/{unit.pk}/", f"plan-{plans[1].pk}.png")]:
        drawing = next(e for e in images_of(client.get(url).content.decode())
                       if e["tag"] == "img" and name in e.get("src", ""))
        assert drawing["sizes"] == "(min-width: 720px) 664px, calc(100vw - 56px)", url
        webp = drawing["picture"][0]
        assert webp["type"] == "image/webp" and "960w" in webp["srcset"], url
