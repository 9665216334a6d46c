"""Sales control grid speed on PostgreSQL: the staff page and the JSON API for the 40 × 8 tower.

Server time is measured in process (the full Django stack: middleware, session, view, template or
serialiser, database) so that the figure is the server's, not the network's.
Run: `make bench` or `DATABASE_URL=postgres://postgres@127.0.0.1:5432/yunlou_bench .venv/bin/python bench/grid.py`
The last line printed is one JSON object.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import django_on_postgres, median_ms  # noqa: E402

ROUNDS = 200
WARMUP = 20


def main() -> None:
    django_on_postgres()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yunlou.accounts.models import User
    from yunlou.catalogue.models import Building

    tower = Building.objects.get(project__name="云栖府", number="8")
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    urls = {"grid_page_ms": f"/staff/buildings/{tower.pk}/grid/", "grid_api_ms": f"/api/v1/buildings/{tower.pk}/grid"}

    figures: dict[str, float | int | str] = {}
    for key, url in urls.items():
        for _ in range(WARMUP):
            assert client.get(url).status_code == 200
        samples = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200
        figures[key] = median_ms(samples)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        figures[key.replace("_ms", "_queries")] = len(captured)
        print(f"{url}: median {figures[key]} ms over {ROUNDS} requests, {len(captured)} queries", file=sys.stderr)

    figures["units"] = tower.units.count()
    figures["queries"] = figures["grid_api_queries"]
    figures["database"] = connection.vendor
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
