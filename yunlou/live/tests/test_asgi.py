"""The event server, run as it is deployed (uvicorn, a process of its own), read as a browser reads it."""

import asyncio
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from yunlou.live import asgi, channels
from yunlou.live.tests.conftest import LIVE_REDIS_URL

ALLOWED_ORIGIN = "http://showroom.test"
_launch_ids = itertools.count(900_001)  # a launch of its own per test: the server's feeds outlive a test


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def event_server():
    port = _free_port()
    env = {**os.environ, "REDIS_URL": LIVE_REDIS_URL, "LIVE_HEARTBEAT_SECONDS": "0.5",
           "LIVE_ALLOWED_ORIGINS": ALLOWED_ORIGIN}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "yunlou.live.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--timeout-graceful-shutdown", "1"],
        cwd=Path(__file__).resolve().parents[3], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/live/healthz")
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the event server did not start: " + process.stderr.read().decode()[-2000:])
        time.sleep(0.1)
    yield port
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class EventStream:
    """A browser's EventSource, by hand: reads `id:`/`data:` events and comment lines from the response."""

    def __init__(self, port: int, launch_id: int, *, since: int | None = None, last_event_id: int | None = None,
                 origin: str | None = None, timeout: float = 3) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        if origin:
            headers["Origin"] = origin
        query = f"?since={since}" if since is not None else ""
        self.connection.request("GET", f"/live/launches/{launch_id}/events{query}", headers=headers)
        self.response = self.connection.getresponse()
        self.comments: list[str] = []

    def next_event(self) -> dict:
        """The next event as {"id", "data"}; raises TimeoutError if none comes in time."""
        event = {}
        while True:
            line = self.response.readline().decode()
            if not line:
                raise ConnectionError("the server ended the stream")
            line = line.rstrip("\n")
            if line.startswith(":"):
                self.comments.append(line)
            elif line.startswith("id: "):
                event["id"] = int(line[4:])
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif line == "" and "data" in event:
                return event

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def streams(event_server):
    opened = []

    def open_stream(launch_id, **options):
        stream = EventStream(event_server, launch_id, **options)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def _publish(client, launch_id: int, unit: int, status: str = "held") -> int:
    """What yunlou.live.publish sends, through the same script (no database needed here)."""
    from yunlou.live.publish import _PUBLISH_SCRIPT

    body = json.dumps({"unit": unit, "status": status, "at": "2025-05-01T10:00:00.000+08:00"})
    return client.eval(_PUBLISH_SCRIPT, 3, channels.version_key(launch_id), channels.stream_key(launch_id),
                       channels.channel(launch_id), body, channels.STREAM_LENGTH, channels.KEEP_SECONDS)


def _wait_until_watched(stream: EventStream) -> None:
    """The first chunk (retry:) arrives once the server follows the launch."""
    assert stream.response.readline() == b"retry: 2000\n"


def test_a_published_change_reaches_an_open_page_within_two_seconds(streams, live_redis):
    launch_id = next(_launch_ids)
    stream = streams(launch_id)
    assert stream.response.status == 200
    assert stream.response.getheader("Content-Type").startswith("text/event-stream")
    assert stream.response.getheader("X-Accel-Buffering") == "no"
    _wait_until_watched(stream)
    started = time.monotonic()
    seq = _publish(live_redis, launch_id, unit=31)
    event = stream.next_event()
    assert time.monotonic() - started < 2
    assert event["id"] == seq == 1
    assert event["data"] == {"unit": 31, "status": "held", "at": "2025-05-01T10:00:00.000+08:00", "seq": 1}


def test_every_page_of_the_launch_gets_the_change_and_other_launches_do_not(streams, live_redis):
    launch_id, other_launch_id = next(_launch_ids), next(_launch_ids)
    pages = [streams(launch_id) for _ in range(3)]
    other = streams(other_launch_id, timeout=1)
    for page in [*pages, other]:
        _wait_until_watched(page)
    _publish(live_redis, launch_id, unit=7, status="subscribed")
    assert [page.next_event()["data"]["unit"] for page in pages] == [7, 7, 7]
    _publish(live_redis, other_launch_id, unit=8)
    assert other.next_event()["data"]["unit"] == 8  # its first event is its own launch's


def test_a_reconnecting_page_first_gets_what_it_missed_after_its_last_event_id(streams, live_redis):
    launch_id = next(_launch_ids)
    for unit in (1, 2, 3, 4):
        _publish(live_redis, launch_id, unit=unit)
    stream = streams(launch_id, last_event_id=2)
    assert [stream.next_event()["data"]["unit"] for _ in range(2)] == [3, 4]
    _publish(live_redis, launch_id, unit=5)
    assert stream.next_event() == {"id": 5, "data": {"unit": 5, "status": "held",
                                                     "at": "2025-05-01T10:00:00.000+08:00", "seq": 5}}


def test_a_page_opened_at_a_rendered_version_catches_up_from_it(streams, live_redis):
    launch_id = next(_launch_ids)
    for unit in (1, 2, 3):
        _publish(live_redis, launch_id, unit=unit)
    stream = streams(launch_id, since=1)
    assert [stream.next_event()["id"] for _ in range(2)] == [2, 3]


def test_a_page_behind_what_the_stream_still_keeps_is_told_to_fetch_everything(streams, live_redis):
    launch_id = next(_launch_ids)
    for unit in (1, 2, 3):
        _publish(live_redis, launch_id, unit=unit)
    live_redis.xtrim(channels.stream_key(launch_id), maxlen=1, approximate=False)  # only seq 3 left
    stream = streams(launch_id, last_event_id=1)
    assert stream.next_event() == {"id": 3, "data": {"reset": True, "seq": 3}}


def test_a_page_ahead_of_a_lost_stream_is_told_to_fetch_everything(streams, live_redis):
    launch_id = next(_launch_ids)
    _publish(live_redis, launch_id, unit=1)
    stream = streams(launch_id, last_event_id=40)
    assert stream.next_event()["data"] == {"reset": True, "seq": 1}


def test_an_idle_stream_sends_heartbeats(streams, live_redis):
    stream = streams(next(_launch_ids))
    _wait_until_watched(stream)
    lines, deadline = [], time.monotonic() + 1.6
    while time.monotonic() < deadline:
        lines.append(stream.response.readline())
    assert lines.count(b": heartbeat\n") >= 2
    assert not any(line.startswith(b"data:") for line in lines)


def test_cross_origin_pages_are_allowed_only_from_the_listed_origins(streams):
    allowed = streams(next(_launch_ids), origin=ALLOWED_ORIGIN)
    refused = streams(next(_launch_ids), origin="http://elsewhere.test")
    assert allowed.response.getheader("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert refused.response.getheader("Access-Control-Allow-Origin") is None


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/live/launches/abc/events", 404),
    ("GET", "/live/launches/1/state", 404),
    ("POST", "/live/launches/1/events", 405),
])
def test_anything_but_a_launchs_event_stream_is_refused(event_server, method, path, status):
    connection = http.client.HTTPConnection("127.0.0.1", event_server, timeout=3)
    connection.request(method, path)
    assert connection.getresponse().status == status
    connection.close()


def _call(app, path, *, receive_disconnect: asyncio.Event):
    """Run the ASGI app in this process for one request; returns what it sent."""
    sent = []

    async def receive():
        if not sent:
            return {"type": "http.request", "body": b"", "more_body": False}
        await receive_disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}
    return scope, receive, send, sent


def test_without_redis_the_server_answers_503_so_that_pages_poll(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    scope, receive, send, sent = _call(asgi.LiveEvents(), "/live/launches/1/events",
                                       receive_disconnect=asyncio.Event())
    asyncio.run(asgi.LiveEvents()(scope, receive, send))
    assert sent[0]["status"] == 503


def test_a_closed_page_stops_its_launchs_reader(monkeypatch, live_redis):
    monkeypatch.setenv("REDIS_URL", LIVE_REDIS_URL)
    app = asgi.LiveEvents()

    async def scenario():
        gone = asyncio.Event()
        scope, receive, send, sent = _call(app, "/live/launches/5/events", receive_disconnect=gone)
        serving = asyncio.create_task(app(scope, receive, send))
        while len(sent) < 2:
            await asyncio.sleep(0.01)
        feed = app.hub.feeds[5]
        gone.set()
        await asyncio.wait_for(serving, 2)
        await asyncio.sleep(0)
        followed, cancelled = set(app.hub.feeds), feed.task.cancelled() or feed.task.cancelling()
        await app.hub.close()
        return followed, cancelled

    followed, cancelled = asyncio.run(scenario())
    assert followed == set()
    assert cancelled


def test_lag_from_publish_to_a_page_p99_over_200_changes(streams, live_redis):
    launch_id = next(_launch_ids)
    stream = streams(launch_id)
    _wait_until_watched(stream)
    published, received = {}, {}

    def read():
        while len(received) < 200:
            seq = stream.next_event()["id"]
            received[seq] = time.perf_counter()

    reader = threading.Thread(target=read)
    reader.start()
    for unit in range(200):
        published[unit + 1] = time.perf_counter()
        _publish(live_redis, launch_id, unit=unit)
        time.sleep(0.005)
    reader.join(10)
    lags = sorted((received[seq] - published[seq]) * 1000 for seq in published)
    p50, p99 = statistics.median(lags), lags[int(len(lags) * 0.99) - 1]
    print(f"\nlive lag over {len(lags)} changes: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {lags[-1]:.2f} ms")
    assert len(received) == 200
    assert p99 < 2000


def test_a_batch_is_encoded_once_and_a_page_gets_only_the_events_it_lacks():
    from yunlou.live.asgi import Batch, _event

    batch = Batch([(3, b'{"unit":1}'), (4, b'{"unit":2}')])
    assert batch.after(2) == _event(3, b'{"unit":1}') + _event(4, b'{"unit":2}')
    assert batch.after(3) == _event(4, b'{"unit":2}')
    assert batch.after(4) == b""


def test_a_page_that_falls_a_queue_behind_is_dropped_and_told_to_end():
    from yunlou.live.asgi import QUEUE_SIZE, Batch, Watcher

    watcher = Watcher()
    assert all(watcher.offer(Batch([(seq, b"{}")])) for seq in range(1, QUEUE_SIZE + 1))
    assert not watcher.offer(Batch([(QUEUE_SIZE + 1, b"{}")]))
    assert watcher.dropped and watcher.wake.is_set() and len(watcher.pending) == QUEUE_SIZE
