"""Buyer's showroom speed and weight on PostgreSQL, for 云栖府 (about 800 units, photos, a video, a VR tour).

Measured, all in process through Django's test Client (the full stack: middleware, session, view,
template, database), so the figures are the server's, not the network's:
- `project_page_ms`: median time of `GET /p/<id>/` for a returning visitor (the Client keeps the cookies
  of its warm-up requests), and `project_page_queries`; the page's shared rendering is reused
  (showroom/page_cache.py), so `project_page_render_ms` times the same request with the rendering forgotten
  first, as happens every few seconds;
- `unit_list_ms`: median time of the floor-plan page's live unit list, the fragment the page polls
  (`GET /p/<id>/plans/<B户型 id>/` with `HX-Request: true`), and `unit_list_queries`;
  `unit_list_api_ms` for `GET /api/v1/units?project_id=<id>&page_size=100`;
- `project_page_kb`: what a first visit's browser transfers for the page with photos and video left out:
  the HTML plus every `<link rel="stylesheet">` and `<script src>` it references (static files come from
  WhiteNoise in process), text gzipped at level 6 as a production proxy would; `project_page_raw_kb` is
  the same uncompressed. 1 KB = 1024 bytes. The excluded image, video and poster URLs go to stderr.
- the crowd (`bench/crowd.py`): the project page served the production way — gunicorn, DEBUG off,
  PostgreSQL, Redis — under concurrent anonymous visitors, half arriving through share links, against a bare
  endpoint through the same middleware in the same run: `project_page_rps`, `hello_rps`, `page_ratio`, and
  `card_mismatches` (visitors shown another consultant's card while the crowd runs).
- `project_page_first_view_kb` (`bench/first_view.py`): all a 375 px phone at DPR 2 downloads for the project
  page's first screen, images included, after a 12-megapixel cover upload (chromium, gunicorn); < 600 KB.
The demo data is seeded with media (drawn under /tmp the first time, about 15 s; MEDIA_ROOT overrides).
Targets (printed, not asserted): project page < 40 ms, unit list < 40 ms, first load < 400 KB,
page_ratio ≥ 0.5 with 0 card mismatches.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/yunlou_bench .venv/bin/python bench/showroom.py`
Human-readable lines go to stderr; the last line on stdout is one JSON object.
"""

import gzip
import json
import os
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import django_on_postgres, log, median_ms  # noqa: E402
from bench.first_view import first_view_figures  # noqa: E402

ROUNDS = 200
WARMUP = 20
GZIP_LEVEL = 6
TARGETS = {"project_page_ms": 40, "project_page_render_ms": 40, "unit_list_ms": 40, "project_page_kb": 400,
           "project_page_first_view_kb": 600}
AT_LEAST = {"page_ratio": 0.5}
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
GZIPPABLE = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")
MEDIA_ATTRIBUTES = {"img": ("src", "srcset", "data-src"), "video": ("src", "poster"), "source": ("src", "srcset")}



class PageAssets(HTMLParser):
    """The stylesheets and scripts a page makes the browser fetch, and the photo/video URLs left out."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.excluded: list[tuple[str, str]] = []  # (tag and attribute, URL)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value}
        if tag == "link" and "stylesheet" in values.get("rel", "").lower().split() and "href" in values:
            self.fetched.append(values["href"])
        elif tag == "script" and "src" in values:
            self.fetched.append(values["src"])
        for name in MEDIA_ATTRIBUTES.get(tag, ()):
            if name in values:
                self.excluded.append((f"<{tag} {name}>", values[name]))


def body_of(response) -> bytes:
    if not response.streaming:
        return response.content
    body = b"".join(response.streaming_content)  # WhiteNoise answers with a file
    response.close()
    return body


def local_path(client_url: str, href: str) -> str:
    parts = urlsplit(urljoin(f"http://testserver{client_url}", href))
    assert parts.netloc == "testserver", f"{href} is not served by this site: cannot be measured in process"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def gzipped_size(body: bytes, content_type: str) -> int:
    if not content_type.startswith(GZIPPABLE):
        return len(body)
    return len(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))


def checked(response):
    assert response.status_code == 200, (response.status_code, response.get("Content-Type"))
    return response


def timed(client, url: str, headers: dict | None = None, before=None) -> tuple[float, int]:
    """Median server time over ROUNDS requests after WARMUP, and the queries of one more request; `before` runs
    ahead of each request, untimed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = before or (lambda: None)
    for _ in range(WARMUP):
        checked(client.get(url, headers=headers))
    samples = []
    for _ in range(ROUNDS):
        before()
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append(time.perf_counter() - started)
        checked(response)
    before()
    with CaptureQueriesContext(connection) as captured:
        checked(client.get(url, headers=headers))
    median = median_ms(samples)
    log(f"GET {url}{' (HX-Request)' if headers else ''}: median {median} ms over {ROUNDS} requests, "
        f"{len(captured)} queries")
    return median, len(captured)


def page_weight(client, url: str) -> tuple[float, float]:
    """A first visit's transfer, photos and video excluded: (gzip KB, raw KB) of the HTML and its assets."""
    response = checked(client.get(url))
    html = body_of(response)
    parser = PageAssets()
    parser.feed(html.decode(response.charset or "utf-8"))
    parser.close()
    rows = [(url, response["Content-Type"], html)]
    for href in parser.fetched:
        asset = checked(client.get(local_path(url, href)))
        rows.append((href, asset["Content-Type"], body_of(asset)))
    raw = gzipped = 0
    for name, content_type, body in rows:
        size = gzipped_size(body, content_type)
        raw, gzipped = raw + len(body), gzipped + size
        log(f"  {len(body) / 1024:8.1f} KB raw {size / 1024:8.1f} KB gzip  {name} ({content_type})")
    log_excluded(client, url, parser.excluded)
    return round(gzipped / 1024, 1), round(raw / 1024, 1)


def log_excluded(client, page_url: str, excluded: list[tuple[str, str]]) -> None:
    """List the image and video URLs left out of the weight, with their size for information."""
    log(f"  excluded by definition (images and video, {len(excluded)} references):")
    seen: set[str] = set()
    for label, href in excluded:
        response = client.get(local_path(page_url, href))
        status = response.status_code
        size = f"{len(body_of(response)) / 1024:8.1f} KB" if status == 200 else f"HTTP {status:>8}"
        note = "  (again)" if href in seen else ""
        seen.add(href)
        log(f"    {size}  {label:16} {href}{note}")


def report_targets(figures: dict) -> None:
    for key, target in TARGETS.items():
        unit = "KB" if key.endswith("_kb") else "ms"
        verdict = "ok" if figures[key] < target else "MISSED"
        log(f"{key}: {figures[key]} {unit} (target < {target} {unit}) {verdict}")
    for key, target in AT_LEAST.items():
        log(f"{key}: {figures[key]} (target ≥ {target}) {'ok' if figures[key] >= target else 'MISSED'}")
    log(f"card_mismatches: {figures['card_mismatches']} of {figures['card_checks']} checks (target 0) "
        f"{'ok' if figures['card_mismatches'] == 0 else 'MISSED'}")


def crowd(project) -> dict:
    """The crowd figures (bench/crowd.py): each consultant's share code and who owns it, then the load."""
    from bench.crowd import crowd_figures
    from yunlou.crm.services import project_consultants
    from yunlou.showroom.services import share_code_for

    shares = [(share_code_for(owner=user, project=project).code, user.pk)
              for user in project_consultants(project=project)]
    return crowd_figures(database_url=os.environ["DATABASE_URL"], redis_url=REDIS_URL, project_id=project.pk,
                         shares=shares)


def main() -> None:
    django_on_postgres(with_media=True)
    from django.db import connection
    from django.test import Client

    from yunlou.catalogue.models import FloorPlan, Project, Unit
    from yunlou.showroom.page_cache import project_page_forget

    project = Project.objects.get(name="云栖府")
    plan = FloorPlan.objects.get(project=project, name="B户型")
    page_url = f"/p/{project.pk}/"
    figures: dict[str, float | int | str] = {
        "units": Unit.objects.filter(building__project=project).count(),
        "photos": project.photos.count(),
    }
    log(f"{project.name}: {figures['units']} units, {figures['photos']} photos, {project.videos.count()} videos")

    visitor = Client()
    figures["project_page_ms"], figures["project_page_queries"] = timed(visitor, page_url)
    # The same page when its shared rendering has just run out (every PAGE_SECONDS): rendered from scratch.
    figures["project_page_render_ms"], figures["project_page_render_queries"] = timed(
        visitor, page_url, before=lambda: project_page_forget(project.pk))
    figures["unit_list_ms"], figures["unit_list_queries"] = timed(
        visitor, f"/p/{project.pk}/plans/{plan.pk}/", headers={"HX-Request": "true"})
    figures["unit_list_api_ms"], figures["unit_list_api_queries"] = timed(
        visitor, f"/api/v1/units?project_id={project.pk}&page_size=100")

    log(f"first load of {page_url} (a new visitor):")
    figures["project_page_kb"], figures["project_page_raw_kb"] = page_weight(Client(), page_url)
    figures["database"] = connection.vendor
    figures.update(first_view_figures(project))
    figures.update(crowd(project))
    report_targets(figures)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
