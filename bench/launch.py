"""Opening day (开盘): every pledged buyer selects at the same instant, served the production way.

What runs: gunicorn with sync workers (2 × cores + 1, persistent database connections, DEBUG off,
TRUSTED_PROXY_COUNT=1) for the pages and the API, the live-update ASGI process (uvicorn
yunlou.live.asgi:application) beside it, PostgreSQL (a database of its own, `yunlou_bench_launch`, created and
migrated when missing; BENCH_LAUNCH_DATABASE_URL overrides) and Redis (BENCH_REDIS_URL, db 13 by default).

Seeded directly with the ORM, afresh each run: a published project with a presale permit, buildings with
`--units` offered units plus `--reserved` reserved (预留) ones, `--buyers` active pledges each with a buyer
account, the launch's eligible list (LaunchEntry, lottery places drawn at random), and each buyer's favourites:
about 10 units in order of preference, drawn with a Zipf-like skew so that the popular units are on most lists
and near the top. With `--batches` > 1 the launch lets buyers in by batches of lottery places (LaunchBatch rows);
for the bench **all batch windows open at once**, at the launch's start, so the stampede still comes at one
instant while each claim goes through the batch check.

Logged in beforehand: the bench writes each buyer's Django session row itself (the session store's encoding, the
auth hash Django checks) and records it as the user's one active session (`User.active_session_key`), as the
SMS-code login would — the SMS codes themselves are not exercised here.

The live grid open: before the start one helper process opens an SSE connection
(`/live/launches/<id>/events`) per buyer (`--sse-clients`, default all) and records, for every unit message,
its arrival time minus the message's `at` (the time of the claim's commit) — `grid_lag_p99_ms`. The helper runs
on the machine under test, so it reads its sockets as cheaply as a client can (asyncio protocols on uvloop, a
regular expression over what arrived); the bench's own HTTP clients run on uvloop too.

The start: the launch opens START_SECONDS after everyone is ready (logged in, grid open). A sample of buyers
loads `GET /api/v1/launches/<id>/units` before the start (tokens must be hidden) and after it (tokens must be
shown, and be those in the database); every buyer's favourite tokens are then read from the database — loading
the whole grid for every buyer would be a different benchmark. At one instant every buyer POSTs
`/api/v1/launches/<id>/selections` for their first favourite over loopback (a distinct X-Forwarded-For each, as
behind the production proxy); on 409 `taken` they go on with `details.next` when given, else their own next
favourite; when their favourites are all gone, with any unit their live grid still shows available. A buyer
stops when they hold the limit, are told `limit_reached`, or nothing is left; a 429 waits and repeats.

The ceiling, in the same run against the same server: the same buyers, the same concurrency, the same
walk through their favourites, against `POST /bench/claim/<unit id>/` (bench/launch_bare.py: the same
middleware, then only the conditional UPDATE) on a building of units in no launch.

p99_ms counts the wait in the listen queue: every tap arrives at one instant, so the last answered waits for all
before it, and the bare endpoint's own p99 (bare_p99_ms, printed beside it) is the floor on this machine.

Afterwards the database is checked. The last line printed is one JSON object: units_held, buyers_holding,
double_sold (units with more than one active order, or held with none), over_limit (pledges with more active
orders than the limit), reserved_sold, rps / p50_ms / p99_ms of the selections, bare_rps, ratio (= rps /
bare_rps), grid_lag_p99_ms, sse_clients, and more. Targets: double_sold, over_limit and reserved_sold 0;
units_held = min(offered, buyers × limit); ratio ≥ 0.6; p99_ms < 1000; grid_lag_p99_ms < 2000.

Run: `.venv/bin/python bench/launch.py [--buyers 2000] [--units 300] [--limit 1] [--reserved 0] [--batches 1]`.
Everything the bench starts (gunicorn, uvicorn, the SSE helper) is stopped on exit, Ctrl-C and errors included.
"""

import argparse
import asyncio
import datetime
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import uvloop  # noqa: E402

from bench._setup import ensure_database, free_port, gunicorn_served, log, percentile  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_LAUNCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yunlou_bench_launch")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SETTINGS = "bench.launch_bare"
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
FAVOURITES = 10
POPULARITY_SKEW = 0.8  # Zipf exponent of the units' popularity
START_SECONDS = 2.0
SAMPLE_GRIDS = 20
UNITS_PER_FLOOR = 8
FLOORS_PER_BUILDING = 32
CSRF_TOKEN = "benchlaunchcsrftoken0123456789ab"  # 32 characters: a CSRF secret sent as cookie and header
SSE_SETTLE_SECONDS = 20
REQUEST_TIMEOUT_SECONDS = 600  # a tap waits in the listen queue as long as the workers need to get to it
TARGETS_ZERO = ("double_sold", "over_limit", "reserved_sold")




# ------------------------------------------------------------------------------------------------ seeding


def django_ready() -> None:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["DJANGO_DEBUG"] = "0"
    ensure_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def popular_first(units: list, rng: random.Random) -> list:
    """FAVOURITES distinct units, drawn by popularity without replacement: the popular ones first."""
    weights = [1 / (rank + 1) ** POPULARITY_SKEW for rank in range(len(units))]
    chosen: list = []
    indices = list(range(len(units)))
    for _ in range(min(FAVOURITES, len(units))):
        pick = rng.choices(range(len(indices)), weights=[weights[i] for i in indices])[0]
        chosen.append(units[indices.pop(pick)])
    return chosen


def _units_make(building, count: int, *, start: int = 0) -> list:
    from yunlou.catalogue.models import Unit, UnitStatus

    units = []
    for n in range(start, start + count):
        floor, position = n // UNITS_PER_FLOOR + 1, n % UNITS_PER_FLOOR + 1
        code = f"{building.number}-{floor}{position:02d}"
        units.append(Unit(building=building, floor=floor, position=position, code=code,
                          area="98.50", list_price=3_000_000_00 + n * 1_000_00, unit_price=3_000_000,
                          status=UnitStatus.AVAILABLE))
    return Unit.objects.bulk_create(units)


def seed(*, buyers: int, units: int, limit: int, reserved: int, batches: int, rng: random.Random) -> dict:
    """The launch, its buyers logged in, their favourites; returns what the load needs."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from yunlou.accounts.buyers import BACKEND
    from yunlou.accounts.models import Organization, User
    from yunlou.catalogue.models import Building, PresalePermit, Project
    from yunlou.core.crypto import blind_index
    from yunlou.core.id_numbers import check_character
    from yunlou.launch.models import (
        EntryOrder,
        Favourite,
        Launch,
        LaunchBatch,
        LaunchEntry,
        LaunchUnit,
        Pledge,
        PledgeStatus,
    )

    run = timezone.now().strftime("%Y%m%d%H%M%S") + get_random_string(4, "abcdefghijklmnopqrstuvwxyz")
    Session.objects.all().delete()  # this database is the bench's own: earlier runs' sessions go
    organization = Organization.objects.create(name=f"开盘压测 {run}")
    project = Project.objects.create(organization=organization, name="压测府", is_published=True)
    permit = PresalePermit.objects.create(project=project, number=f"预{run}", issued_on=datetime.date(2026, 1, 1),
                                          authority="住建局")
    offered_units, reserved_units = [], []
    total = units + reserved
    per_building = UNITS_PER_FLOOR * FLOORS_PER_BUILDING
    for index in range(0, total, per_building):
        count = min(per_building, total - index)
        building = Building.objects.create(project=project, number=str(index // per_building + 1),
                                           floors=FLOORS_PER_BUILDING, units_per_floor=UNITS_PER_FLOOR,
                                           presale_permit=permit)
        made = _units_make(building, count)
        for unit in made:
            (offered_units if len(offered_units) < units else reserved_units).append(unit)
    # The bare endpoint's units: as many as offered, in no launch.
    shadow_building = Building.objects.create(project=project, number="B", floors=FLOORS_PER_BUILDING * 10,
                                              units_per_floor=UNITS_PER_FLOOR)
    shadow_units = _units_make(shadow_building, units)

    far = timezone.now() + datetime.timedelta(days=1)  # the real start is set once everyone is ready
    launch = Launch.objects.create(project=project, name="压测开盘", starts_at=far,
                                   ends_at=far + datetime.timedelta(hours=2), per_buyer_limit=limit,
                                   hold_minutes=120,
                                   entry_order=EntryOrder.BATCHES if batches > 1 else EntryOrder.ALL_AT_ONCE)
    launch_units = LaunchUnit.objects.bulk_create([
        LaunchUnit(launch=launch, unit=unit, token=get_random_string(22), rehearsal_token=get_random_string(22),
                   is_reserved=unit in reserved_units)
        for unit in [*offered_units, *reserved_units]])
    offered_rows = [row for row in launch_units if not row.is_reserved]

    users = []
    for n in range(buyers):
        user = User(username=f"bench-{run}-{n}")
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    pledges = []
    for n, user in enumerate(users):
        born = datetime.date(1970, 1, 1) + datetime.timedelta(days=n // 1000)
        first_17 = f"110105{born:%Y%m%d}{n % 1000:03d}"
        phone, id_number = f"139{n:08d}", first_17 + check_character(first_17)
        pledges.append(Pledge(project=project, number=f"P{n + 1:05d}", buyer=user, name=f"买家{n}", phone=phone,
                              phone_hash=blind_index(phone), id_number=id_number,
                              id_number_hash=blind_index(id_number, purpose="id_number"), amount=5_000_000,
                              status=PledgeStatus.ACTIVE))
    pledges = Pledge.objects.bulk_create(pledges)
    places = list(range(1, buyers + 1))
    rng.shuffle(places)
    LaunchEntry.objects.bulk_create([LaunchEntry(launch=launch, pledge=pledge, place=place)
                                     for pledge, place in zip(pledges, places, strict=True)])
    if batches > 1:
        size = -(-buyers // batches)
        LaunchBatch.objects.bulk_create([
            LaunchBatch(launch=launch, number=b + 1, first_place=b * size + 1,
                        last_place=min(buyers, (b + 1) * size), starts_at=far, ends_at=launch.ends_at)
            for b in range(batches) if b * size < buyers])

    # Popularity: a random order of the offered units, the first most wanted.
    by_popularity = list(range(len(offered_rows)))
    rng.shuffle(by_popularity)
    favourites, buyer_rows = [], []
    for pledge in pledges:
        wanted = popular_first(by_popularity, rng)
        favourites += [Favourite(launch=launch, pledge=pledge, launch_unit=offered_rows[i], rank=rank)
                       for rank, i in enumerate(wanted, start=1)]
        buyer_rows.append({"pledge": pledge.pk, "wanted": wanted})
    Favourite.objects.bulk_create(favourites, batch_size=5000)

    # Logged in: the session row the SMS login would leave, and the user's one active session pointing at it.
    sessions = []
    for user, row in zip(users, buyer_rows, strict=True):
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: BACKEND, HASH_SESSION_KEY: user.get_session_auth_hash()}
        sessions.append(Session(session_key=key, session_data=SessionStore().encode(data),
                                expire_date=timezone.now() + datetime.timedelta(days=1)))
        user.active_session_key = key
        row["session"] = key
    Session.objects.bulk_create(sessions, batch_size=2000)
    User.objects.bulk_update(users, ["active_session_key"], batch_size=2000)

    for n, row in enumerate(buyer_rows):
        row["address"] = f"10.{n // 65_536}.{n // 256 % 256}.{n % 256}"
        row["tokens"] = [offered_rows[i].token for i in row["wanted"]]
        row["units"] = [offered_rows[i].unit_id for i in row["wanted"]]
        row["shadow"] = [shadow_units[i].pk for i in row["wanted"]]
    return {"launch_id": launch.pk, "project_id": project.pk, "buyers": buyer_rows,
            "tokens": {row.token: row.unit_id for row in offered_rows},
            "shadow_ids": [unit.pk for unit in shadow_units], "shadow_building": shadow_building.pk}


def launch_open_at(launch_id: int, starts_at: datetime.datetime) -> None:
    from yunlou.launch.models import Launch, LaunchBatch

    Launch.objects.filter(pk=launch_id).update(starts_at=starts_at)
    LaunchBatch.objects.filter(launch_id=launch_id).update(starts_at=starts_at)


def redis_forget(launch_id: int) -> None:
    """A launch id an earlier run used (databases recreated by hand) must not inherit its stream."""
    import redis

    from yunlou.live import channels

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(channels.stream_key(launch_id), channels.version_key(launch_id))
    client.close()


def database_checks(*, launch_id: int, limit: int) -> dict:
    from django.db import connection

    active = "('held', 'subscribed', 'signed')"
    with connection.cursor() as cursor:
        def one(sql: str) -> int:
            cursor.execute(sql, {"launch": launch_id, "limit": limit})
            return cursor.fetchone()[0]

        offered = "SELECT unit_id FROM launch_launchunit WHERE launch_id = %(launch)s AND NOT is_reserved"
        reserved = "SELECT unit_id FROM launch_launchunit WHERE launch_id = %(launch)s AND is_reserved"
        return {
            "units_held": one(f"SELECT count(*) FROM catalogue_unit WHERE id IN ({offered}) AND status = 'held'"),
            "orders_active": one(f"SELECT count(*) FROM launch_order WHERE launch_id = %(launch)s "
                                 f"AND NOT is_rehearsal AND status IN {active}"),
            "buyers_holding": one(f"SELECT count(DISTINCT pledge_id) FROM launch_order WHERE launch_id = %(launch)s "
                                  f"AND NOT is_rehearsal AND status IN {active}"),
            "double_sold": one(
                f"SELECT (SELECT count(*) FROM (SELECT unit_id FROM launch_order WHERE NOT is_rehearsal "
                f"AND status IN {active} AND unit_id IN ({offered}) GROUP BY unit_id HAVING count(*) > 1) AS twice)"
                f" + (SELECT count(*) FROM catalogue_unit u WHERE u.id IN ({offered}) AND u.status <> 'available' "
                f"AND NOT EXISTS (SELECT 1 FROM launch_order o WHERE o.unit_id = u.id AND NOT o.is_rehearsal "
                f"AND o.status IN {active}))"
                f" + (SELECT count(*) FROM catalogue_unit u WHERE u.id IN ({offered}) AND u.status = 'available' "
                f"AND EXISTS (SELECT 1 FROM launch_order o WHERE o.unit_id = u.id AND NOT o.is_rehearsal "
                f"AND o.status IN {active}))"),
            "over_limit": one(f"SELECT count(*) FROM (SELECT pledge_id FROM launch_order WHERE launch_id = %(launch)s "
                              f"AND NOT is_rehearsal AND status IN {active} GROUP BY pledge_id "
                              f"HAVING count(*) > %(limit)s) AS over"),
            "reserved_sold": one(
                f"SELECT (SELECT count(*) FROM launch_order WHERE NOT is_rehearsal AND status IN {active} "
                f"AND unit_id IN ({reserved})) + (SELECT count(*) FROM catalogue_unit WHERE id IN ({reserved}) "
                f"AND status <> 'available')"),
        }


def shadow_reset(building_id: int) -> None:
    from yunlou.catalogue.models import Unit, UnitStatus

    Unit.objects.filter(building_id=building_id).update(status=UnitStatus.AVAILABLE)


# ------------------------------------------------------------------------------------------------ servers


@contextmanager
def uvicorn_served(env: dict):
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "yunlou.live.asgi:application", "--host", "127.0.0.1", "--port",
               str(port), "--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "2",
               "--backlog", "4096"]
    server = subprocess.Popen(command, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/live/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("uvicorn stopped while starting") from None
                time.sleep(0.2)
        else:
            raise SystemExit("uvicorn did not start")
        yield base
    finally:
        stop_group(server)


def stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


@contextmanager
def sse_helper(live_base: str, launch_id: int, clients: int):
    """The helper process holding the buyers' open grids; yields it once every connection is open."""
    command = [sys.executable, __file__, "--sse-helper", f"{live_base}/live/launches/{launch_id}/events",
               "--sse-clients", str(clients)]
    helper = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        line = helper.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit(f"the SSE helper did not get ready: {line!r}")
        log(f"live grid: {line.strip()}")
        yield helper
    finally:
        stop_group(helper)


def sse_figures(helper: subprocess.Popen, expected_units: set[int]) -> dict:
    helper.stdin.write(json.dumps(sorted(expected_units)) + "\n")
    helper.stdin.flush()
    return json.loads(helper.stdout.readline())


# ------------------------------------------------------------------------------------------------ the SSE helper


_UNIT_EVENT = re.compile(rb'^data: \{"unit":(\d+),"status":"(\w+)","at":"([^"]+)"', re.MULTILINE)
_EVENT_ID = re.compile(rb"^id: (\d+)$", re.MULTILINE)


class _GridPage(asyncio.Protocol):
    """One buyer's open grid, reading the event stream off the socket: the helper holds 2,000 of these in one
    process on the machine under test, so it does as little as a client can — a regular expression over what
    arrived, no HTTP client library, no JSON parsing per event."""

    def __init__(self, helper: "_SseHelper", n: int, last_id: bytes | None) -> None:
        self.helper, self.n, self.last_id = helper, n, last_id
        self.buffer = b""
        self.streaming = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        last = b"Last-Event-ID: %s\r\n" % self.last_id if self.last_id else b""
        transport.write(b"GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n%s\r\n"
                        % (self.helper.path, self.helper.host, last))

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        buffer = self.buffer + data
        if not self.streaming:
            head, separator, buffer = buffer.partition(b"\r\n\r\n")
            if not separator:
                self.buffer = head
                return
            if not head.startswith(b"HTTP/1.1 200"):
                self.transport.close()
                return
            self.streaming = True
            self.helper.opened(self.n)
        cut = buffer.rfind(b"\n\n") + 2  # whole events only; the rest waits for the next read
        complete, self.buffer = buffer[:cut], buffer[cut:]
        if not complete:
            return
        seen, lags, moments = self.helper.seen[self.n], self.helper.lags, self.helper.moments
        for unit, status, at in _UNIT_EVENT.findall(complete):
            moment = moments.get(at)
            if moment is None:  # every page gets the same change: its time is parsed once
                moment = moments[at] = datetime.datetime.fromisoformat(at.decode()).timestamp()
            lags.append((arrived - moment) * 1000)
            if status != b"available":
                seen.add(int(unit))
            else:
                seen.discard(int(unit))
        ids = _EVENT_ID.findall(complete)
        if ids:
            self.last_id = ids[-1]

    def connection_lost(self, exc) -> None:
        if not self.helper.stopping:
            self.helper.reconnects += 1
            asyncio.get_running_loop().call_later(0.5, self.helper.connect, self.n, self.last_id)


class _SseHelper:
    def __init__(self, url: str, clients: int) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.address, self.host, self.path = ((parsed.hostname, parsed.port), parsed.netloc.encode(),
                                              parsed.path.encode())
        self.clients = clients
        self.seen: list[set[int]] = [set() for _ in range(clients)]
        self.lags: list[float] = []
        self.moments: dict[bytes, float] = {}
        self.reconnects = 0
        self.stopping = False
        self.all_open = asyncio.Event()
        self._opened: set[int] = set()

    def opened(self, n: int) -> None:
        self._opened.add(n)
        if len(self._opened) == self.clients:
            self.all_open.set()

    def connect(self, n: int, last_id: bytes | None = None) -> None:
        async def attempt() -> None:
            try:
                await asyncio.get_running_loop().create_connection(lambda: _GridPage(self, n, last_id),
                                                                   *self.address)
            except OSError:
                if not self.stopping:
                    self.reconnects += 1
                    asyncio.get_running_loop().call_later(0.5, self.connect, n, last_id)

        asyncio.get_running_loop().create_task(attempt())


async def sse_helper_main(url: str, clients: int) -> None:
    """Open `clients` event streams; on a line of unit ids from stdin, wait until every client has seen them
    held (or SSE_SETTLE_SECONDS), then print the lag figures as JSON."""
    helper = _SseHelper(url, clients)
    for n in range(clients):
        helper.connect(n)
        if n % 100 == 99:
            await asyncio.sleep(0.05)  # not all 2,000 connections in one burst into the listen queue
    try:
        await asyncio.wait_for(helper.all_open.wait(), timeout=120)
    except TimeoutError:
        print(f"failed: only {len(helper._opened)} of {clients} connections opened", flush=True)
        return
    print(f"ready: {clients} SSE connections open", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    expected = set(json.loads(line))
    deadline = time.monotonic() + SSE_SETTLE_SECONDS
    while time.monotonic() < deadline and not all(expected <= s for s in helper.seen):
        await asyncio.sleep(0.2)
    helper.stopping = True
    lags = helper.lags
    complete = sum(expected <= s for s in helper.seen)
    figures = {"sse_clients": clients, "sse_clients_complete": complete, "sse_reconnects": helper.reconnects,
               "grid_messages": len(lags), "grid_lag_p50_ms": percentile(lags, 0.5),
               "grid_lag_p99_ms": percentile(lags, 0.99), "grid_lag_max_ms": round(max(lags), 1) if lags else None}
    print(json.dumps(figures), flush=True)


# ------------------------------------------------------------------------------------------------ the stampede


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.codes: dict[str, int] = {}
        self.first: float | None = None
        self.last = 0.0

    def add(self, started: float, status: int, code: str = "") -> None:
        ended = time.perf_counter()
        self.latencies.append((ended - started) * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if code:
            self.codes[code] = self.codes.get(code, 0) + 1
        self.first = started if self.first is None else min(self.first, started)
        self.last = max(self.last, ended)

    def figures(self) -> dict:
        seconds = self.last - (self.first or self.last)
        return {"requests": len(self.latencies), "seconds": round(seconds, 2),
                "rps": round(len(self.latencies) / seconds, 1) if seconds else None,
                "p50_ms": percentile(self.latencies, 0.5), "p99_ms": percentile(self.latencies, 0.99),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "codes": self.codes}


def headers_of(buyer: dict) -> dict:
    return {"Cookie": f"sessionid={buyer['session']}; csrftoken={CSRF_TOKEN}", "X-CSRFToken": CSRF_TOKEN,
            "X-Forwarded-For": buyer["address"]}


async def buyer_walk(session, base: str, buyer: dict, *, limit: int, tally: Tally, real: bool, launch_id: int,
                     gone: set, all_targets: list, go_at: float, rng: random.Random) -> int:
    """One buyer's taps: favourites in order (or the server's next one), then whatever still looks available."""
    headers = headers_of(buyer)
    own = list(buyer["tokens"] if real else buyer["shadow"])
    tried: set = set()
    held = 0
    target = own[0]
    await asyncio.sleep(max(0.0, go_at - time.perf_counter()))
    while target is not None:
        tried.add(target)
        started = time.perf_counter()
        if real:
            async with session.post(f"{base}/api/v1/launches/{launch_id}/selections", json={"token": target},
                                    headers=headers) as response:
                body = await response.json(content_type=None)
                status = response.status
            code = body.get("code", "") if isinstance(body, dict) and status != 201 else ""
        else:
            async with session.post(f"{base}/bench/claim/{target}/", headers=headers) as response:
                await response.read()
                status = response.status
            code = "taken" if status == 409 else ""
        tally.add(started, status, code)
        if status == 429:
            tried.discard(target)
            await asyncio.sleep(0.25)
            continue
        suggested = None
        if status in (200, 201):
            held += 1
            gone.add(target)
            if held >= limit:
                return held
        elif status == 409 and code == "taken":
            gone.add(target)
            following = (body.get("details") or {}).get("next") if real else None
            suggested = following.get("token") if following else None
        elif status == 409 and code == "limit_reached":
            return held
        else:
            raise SystemExit(f"selection answered {status}: {body if real else ''}")
        target = suggested if suggested and suggested not in tried else next(
            (t for t in own if t not in tried and t not in gone), None)
        if target is None:  # favourites all gone: anything the grid still shows available
            left = [t for t in all_targets if t not in tried and t not in gone]
            target = rng.choice(left) if left else None
    return held


async def stampede(base: str, buyers: list[dict], *, limit: int, real: bool, launch_id: int,
                   all_targets: list, gone: set, rng: random.Random) -> Tally:
    import aiohttp

    tally = Tally()
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        go_at = time.perf_counter() + 0.5  # every walk is scheduled and waiting before the instant
        progress = asyncio.create_task(_progress(tally, "selections" if real else "bare claims"))
        try:
            await asyncio.gather(*(buyer_walk(session, base, buyer, limit=limit, tally=tally, real=real,
                                              launch_id=launch_id, gone=gone, all_targets=all_targets, go_at=go_at,
                                              rng=random.Random(rng.random()))
                                   for buyer in buyers))
        finally:
            progress.cancel()
    return tally


async def _progress(tally: Tally, name: str) -> None:
    while True:
        await asyncio.sleep(10)
        log(f"  {name}: {len(tally.latencies)} answered, {tally.statuses}")


async def live_gone_follower(live_base: str, launch_id: int, token_of_unit: dict, gone: set,
                             stop: asyncio.Event) -> None:
    """The grid as the buyers' pages show it: units the live stream reports held count as gone for the walk."""
    import aiohttp

    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session,
                session.get(f"{live_base}/live/launches/{launch_id}/events") as response):
        reader = asyncio.create_task(_gone_lines(response, token_of_unit, gone))
        await stop.wait()
        reader.cancel()


async def _gone_lines(response, token_of_unit: dict, gone: set) -> None:
    async for raw in response.content:
        if raw.startswith(b"data: "):
            message = json.loads(raw[6:])
            if "unit" in message and message["status"] != "available":
                gone.add(token_of_unit[message["unit"]])


async def grids_sample(base: str, launch_id: int, buyers: list[dict], tokens: dict, *, revealed: bool) -> None:
    """A sample of buyers loads the launch's grid: tokens hidden before the start, shown (and right) after."""
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        for buyer in buyers:
            async with session.get(f"{base}/api/v1/launches/{launch_id}/units", headers=headers_of(buyer)) as answer:
                assert answer.status == 200, answer.status
                grid = await answer.json()
            shown = {unit["token"]: unit["unit_id"] for unit in grid if unit["token"]}
            if not revealed and shown:
                raise SystemExit("tokens were shown before the start")
            if revealed and shown != tokens:
                raise SystemExit("the grid's tokens are not the launch's")
            ranked = [unit["token"] for unit in sorted(grid, key=lambda u: u["favourite_rank"] or 99)
                      if unit["favourite_rank"]]
            if revealed and ranked != buyer["tokens"]:
                raise SystemExit("a buyer's favourites on the grid differ from the seeded ones")


async def warm(base: str, launch_id: int, buyers: list[dict]) -> None:
    """Every worker's database connection open and code loaded, as in a server that has been up a while."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WORKERS * 4),
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        async def one(buyer):
            async with session.get(f"{base}/api/v1/launches/{launch_id}", headers=headers_of(buyer)) as response:
                assert response.status == 200, response.status
                me = (await response.json())["me"]
                assert me["eligible"], me

        await asyncio.gather(*(one(buyer) for buyer in buyers))


# ------------------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=300, help="units offered (reserved ones come on top)")
    parser.add_argument("--limit", type=int, default=1)
    parser.add_argument("--reserved", type=int, default=0)
    parser.add_argument("--batches", type=int, default=1)
    parser.add_argument("--sse-clients", type=int, default=None, help="open grids (default: one per buyer)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sse-helper", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # the clients cost the machine less CPU
    if args.sse_helper:
        asyncio.run(sse_helper_main(args.sse_helper, args.sse_clients))
        return
    # Ctrl-C and kill end the run at once, through the cleanup below (asyncio's own Ctrl-C handling would
    # wait for every tap in flight first).
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    sse_clients = args.sse_clients if args.sse_clients is not None else args.buyers

    django_ready()
    started = time.perf_counter()
    seeded = seed(buyers=args.buyers, units=args.units, limit=args.limit, reserved=args.reserved,
                  batches=args.batches, rng=rng)
    launch_id, buyers = seeded["launch_id"], seeded["buyers"]
    log(f"seeded launch {launch_id}: {args.buyers} buyers logged in, {args.units} units offered, {args.reserved} "
        f"reserved, limit {args.limit}, batches {args.batches} ({time.perf_counter() - started:.1f} s)")
    redis_forget(launch_id)
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:  # the planner's statistics, as autovacuum keeps them on a live database
        cursor.execute("ANALYZE")
    connection.close()

    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "DJANGO_DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": SETTINGS, "CONN_MAX_AGE": "600", "TRUSTED_PROXY_COUNT": "1",
           "LOG_LEVEL": "WARNING"}
    figures: dict = {}
    with ExitStack() as stack:
        base, _server = stack.enter_context(gunicorn_served(env=env, app="yunlou.wsgi:application",
                                                            workers=WORKERS))
        live_base = stack.enter_context(uvicorn_served(env))
        log(f"gunicorn: {WORKERS} sync workers at {base}; live events (uvicorn) at {live_base}")
        sample = buyers[:: max(1, len(buyers) // SAMPLE_GRIDS)][:SAMPLE_GRIDS]
        asyncio.run(warm(base, launch_id, buyers[: WORKERS * 40]))
        asyncio.run(grids_sample(base, launch_id, sample, seeded["tokens"], revealed=False))
        helper = stack.enter_context(sse_helper(live_base, launch_id, sse_clients))

        starts_at = timezone.now() + datetime.timedelta(seconds=START_SECONDS)
        launch_open_at(launch_id, starts_at)
        connection.close()
        time.sleep(max(0.0, (starts_at - timezone.now()).total_seconds()) + 0.05)
        asyncio.run(grids_sample(base, launch_id, sample, seeded["tokens"], revealed=True))
        log(f"the launch is open; {len(sample)} sampled grids show the right tokens; {args.buyers} buyers tap…")

        token_of_unit = {unit: token for token, unit in seeded["tokens"].items()}

        async def launch_run() -> Tally:
            gone: set = set()
            stop = asyncio.Event()
            follower = asyncio.create_task(live_gone_follower(live_base, launch_id, token_of_unit, gone, stop))
            await asyncio.sleep(0.2)
            try:
                return await stampede(base, buyers, limit=args.limit, real=True, launch_id=launch_id,
                                      all_targets=list(seeded["tokens"]), gone=gone, rng=rng)
            finally:
                stop.set()
                await follower

        real = asyncio.run(launch_run())
        log(f"selections: {real.figures()}")
        checks = database_checks(launch_id=launch_id, limit=args.limit)
        held_units = _held_units(launch_id)
        figures.update(sse_figures(helper, held_units))
        log(f"live grid: {figures}")

        shadow_reset(seeded["shadow_building"])
        connection.close()
        bare = asyncio.run(stampede(base, buyers, limit=args.limit, real=False, launch_id=launch_id,
                                    all_targets=list(seeded["shadow_ids"]), gone=set(), rng=rng))
        log(f"bare claims: {bare.figures()}")

    offered = args.units
    expected = min(offered, args.buyers * args.limit)
    real_figures, bare_figures = real.figures(), bare.figures()
    result = {
        **{key: checks[key] for key in ("units_held", "buyers_holding", "double_sold", "over_limit",
                                        "reserved_sold")},
        "units_held_expected": expected, "orders_active": checks["orders_active"],
        "rps": real_figures["rps"], "p50_ms": real_figures["p50_ms"], "p99_ms": real_figures["p99_ms"],
        "bare_rps": bare_figures["rps"], "bare_p50_ms": bare_figures["p50_ms"], "bare_p99_ms": bare_figures["p99_ms"],
        "ratio": round(real_figures["rps"] / bare_figures["rps"], 3) if bare_figures["rps"] else None,
        "grid_lag_p99_ms": figures.get("grid_lag_p99_ms"), "grid_lag_p50_ms": figures.get("grid_lag_p50_ms"),
        "grid_lag_max_ms": figures.get("grid_lag_max_ms"), "grid_messages": figures.get("grid_messages"),
        "sse_clients": figures.get("sse_clients"), "sse_clients_complete": figures.get("sse_clients_complete"),
        "sse_reconnects": figures.get("sse_reconnects"),
        "selection_requests": real_figures["requests"], "selection_seconds": real_figures["seconds"],
        "selection_statuses": real_figures["statuses"], "selection_codes": real_figures["codes"],
        "bare_requests": bare_figures["requests"], "bare_statuses": bare_figures["statuses"],
        "buyers": args.buyers, "units": offered, "limit": args.limit, "reserved": args.reserved,
        "batches": args.batches, "batch_windows": "all open at the launch's start" if args.batches > 1 else None,
        "gunicorn_workers": WORKERS, "login": "session rows written directly (SessionStore encoding)",
        "tokens": "read from the database; a sample of grids checked over the API before and after the start",
        "database": "postgresql",
    }
    report(result)
    print(json.dumps(result, ensure_ascii=False))


def _held_units(launch_id: int) -> set[int]:
    from yunlou.catalogue.models import Unit
    from yunlou.launch.models import LaunchUnit

    offered = LaunchUnit.objects.filter(launch_id=launch_id, is_reserved=False).values("unit_id")
    return set(Unit.objects.filter(pk__in=offered).exclude(status="available").values_list("pk", flat=True))


def report(result: dict) -> None:
    for key in TARGETS_ZERO:
        log(f"{key}: {result[key]} (target 0) {'ok' if result[key] == 0 else 'MISSED'}")
    held, expected = result["units_held"], result["units_held_expected"]
    log(f"units_held: {held} (target {expected}) {'ok' if held == expected else 'MISSED'}")
    for key, target, better in (("ratio", 0.6, "≥"), ("p99_ms", 1000, "<"), ("grid_lag_p99_ms", 2000, "<")):
        value = result[key]
        ok = value is not None and (value >= target if better == "≥" else value < target)
        log(f"{key}: {value} (target {better} {target}) {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
