"""Shared start-up for benchmarks: a PostgreSQL database of their own, migrated and seeded; a gunicorn server."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yunlou_bench"
# Where a benchmark that seeds media draws it: outside the repository, reused between runs.
BENCH_MEDIA_ROOT = "/tmp/yunlou-bench-media"


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def django_on_postgres(*, seed: bool = True, with_media: bool = False) -> None:
    """Migrate (and seed) the benchmark database; `with_media` also draws the demo photos, video and VR
    tour (about 15 s the first time) into MEDIA_ROOT, which defaults to a directory under /tmp."""
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("benchmarks measure PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(url)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunlou.settings")
    if with_media:
        os.environ.setdefault("MEDIA_ROOT", BENCH_MEDIA_ROOT)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if seed:
        from yunlou.demo.seed import seed_demo

        seed_demo(with_media=with_media)


def log(message: str) -> None:
    """Progress, to stderr: stdout is for the figures (the JSON line last)."""
    print(message, file=sys.stderr, flush=True)


def percentile(samples: list[float], fraction: float, *, digits: int = 1) -> float | None:
    """The nearest-rank percentile of `samples` (in the unit they are in), or None for none."""
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], digits)


def median_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(value * 1000, 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_served(*, env: dict, app: str = "bench.wsgi_app", workers: int = 2, ready_path: str = "/healthz"):
    """Serve `app` with gunicorn sync workers on a free loopback port, the production way; yields the base URL
    and the server process, and stops it (workers included) afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "sync", "--backlog", "2048", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2):
                    break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("gunicorn stopped while starting") from None
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        yield base, server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
