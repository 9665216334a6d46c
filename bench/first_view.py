"""`project_page_first_view_kb`: everything a phone downloads to show the first screen of the project page.

A 12-megapixel camera photo (4000 × 3000 JPEG of several MB, drawn with detail and sensor noise so that it
does not compress to nothing) is uploaded as the project's cover and its renditions are made — what the
Celery task does after an upload (`yunlou.core.images.renditions_make`, timed as `cover_renditions_s`).
Then the app is served the production way — gunicorn, DEBUG off, WhiteNoise for static files, uploaded media
from the app, the benchmark's PostgreSQL database — and Debian's chromium, driven by Playwright as a
375 × 812 phone at device pixel ratio 2, opens the page as a first-time visitor (empty cache, no cookies),
without scrolling, and waits for the network to be idle. The figure sums, over every response, the bytes as
transferred: headers plus the body as it came over the wire (this server does not compress: the body sizes
are the files' own sizes). Images the browser loads on its own below the fold (lazy images within its
loading distance) count too. 1 KB = 1024 bytes. Each resource is listed on stderr; a screenshot of the
first screen goes to artifacts/first-view.png. The original cover is put back afterwards.

Used by bench/showroom.py; alone: `.venv/bin/python bench/first_view.py` (seeds the bench database first).
"""

import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._setup import gunicorn_served, log  # noqa: E402

TARGET_KB = 600
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]



def _upload_camera_cover(project) -> tuple[str, float, float]:
    """Replace the cover with a 12-megapixel camera photo and make its renditions; returns the old cover's name,
    the upload's size in MB and the seconds its renditions took."""
    from django.core.files.base import ContentFile

    from yunlou.core.images import renditions_make
    from yunlou.core.tests.photos import camera_jpeg

    previous = project.cover.name
    photo = camera_jpeg(4000, 3000)
    project.cover.save("bench-camera-12mp.jpg", ContentFile(photo), save=False)
    project.save(update_fields=["cover"])
    started = time.perf_counter()
    renditions = renditions_make(project.cover)
    seconds = time.perf_counter() - started
    log(f"  cover: {project.cover.name}, 4000 × 3000, {len(photo) / 1024 / 1024:.1f} MB; {len(renditions)} "
        f"renditions in {seconds:.2f} s")
    return previous, len(photo) / 1024 / 1024, seconds


def _restore_cover(project, previous: str) -> None:
    from yunlou.core.images import renditions_delete

    uploaded = project.cover
    renditions_delete(uploaded)
    uploaded.storage.delete(uploaded.name)
    project.cover = previous
    project.save(update_fields=["cover"])


def _load(url: str) -> list[dict]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(**PHONE)
            page = context.new_page()
            finished, failed = [], []
            page.on("requestfinished", lambda request: finished.append(request))
            page.on("requestfailed", lambda request: failed.append(request))
            page.goto(url, wait_until="networkidle")
            screenshots = ROOT / "artifacts"
            screenshots.mkdir(exist_ok=True)
            page.screenshot(path=str(screenshots / "first-view.png"))
            rows = []
            for request in finished:
                response = request.response()
                sizes = request.sizes()
                rows.append({
                    "url": request.url, "status": response.status if response else 0,
                    "type": (response.headers.get("content-type", "") if response else "").split(";")[0],
                    "body": sizes["responseBodySize"], "headers": sizes["responseHeadersSize"],
                    "encoding": response.headers.get("content-encoding", "") if response else "",
                })
            for request in failed:
                log(f"  failed: {request.url} ({request.failure})")
            context.close()
        finally:
            browser.close()
    return rows


def first_view_figures(project) -> dict:
    """Upload a 12-megapixel cover to `project`, load its page in a phone-sized chromium, and return the figures."""
    if shutil.which("chromium") is None:
        raise SystemExit("project_page_first_view_kb needs Debian's chromium: apt-get install chromium")
    log(f"first view of /p/{project.pk}/ on a 375 px phone at DPR 2:")
    previous, upload_mb, rendition_seconds = _upload_camera_cover(project)
    # No REDIS_URL: the server starts with an empty cache of its own, so no page or project cached before the
    # cover changed can be served (the first view is a first visit to a fresh page).
    env = {**{k: v for k, v in os.environ.items() if k != "REDIS_URL"}, "DJANGO_SETTINGS_MODULE": "yunlou.settings",
           "DJANGO_DEBUG": "0", "SERVE_MEDIA": "1", "PYTHONWARNINGS": "ignore:No directory at"}
    try:
        with gunicorn_served(env=env, app="yunlou.wsgi:application") as (base, _server):
            rows = _load(f"{base}/p/{project.pk}/")
    finally:
        _restore_cover(project, previous)
    for row in sorted(rows, key=lambda r: -(r["body"] + r["headers"])):
        encoding = f" {row['encoding']}" if row["encoding"] else ""
        log(f"  {(row['body'] + row['headers']) / 1024:8.1f} KB  {row['status']}  {row['type']:24}{encoding}  "
            f"{row['url'].removeprefix(base)}")
    total = sum(row["body"] + row["headers"] for row in rows)
    images = sum(row["body"] + row["headers"] for row in rows if row["type"].startswith("image/"))
    bad = [row for row in rows if row["status"] >= 400]
    if bad:
        log(f"  {len(bad)} responses failed: {[row['url'] for row in bad]}")
    compressed = any(row["encoding"] for row in rows)
    log(f"  {len(rows)} responses, {total / 1024:.1f} KB as transferred (headers + bodies, "
        f"{'some compressed' if compressed else 'none compressed by the server'}), of which images "
        f"{images / 1024:.1f} KB")
    return {
        "project_page_first_view_kb": round(total / 1024, 1),
        "project_page_first_view_images_kb": round(images / 1024, 1),
        "project_page_first_view_requests": len(rows),
        "cover_upload_mb": round(upload_mb, 1),
        "cover_renditions_s": round(rendition_seconds, 2),
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    import json

    from bench._setup import django_on_postgres

    django_on_postgres(with_media=True)
    from yunlou.catalogue.models import Project

    figures = first_view_figures(Project.objects.get(name="云栖府"))
    verdict = "ok" if figures["project_page_first_view_kb"] < TARGET_KB else "MISSED"
    log(f"project_page_first_view_kb: {figures['project_page_first_view_kb']} KB (target < {TARGET_KB} KB) {verdict}")
    print(json.dumps(figures))
