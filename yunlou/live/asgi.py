"""The live event server: `GET /live/launches/<id>/events` as server-sent events, in an ASGI process of its own.

    REDIS_URL=redis://… uvicorn yunlou.live.asgi:application --port 8001 --timeout-graceful-shutdown 5

It holds the long-lived connections that would each tie up a gunicorn sync worker, and needs neither Django nor
the database: everything it sends is in Redis. Per launch one reader task follows the launch's stream
(`XREAD BLOCK`) and fans what it read out to the pages watching, encoded once; it pauses COALESCE_SECONDS
after each read, so that a stampede's changes reach each page in a few writes a second. A page that reconnects
with Last-Event-ID (or opens with `?since=<version>`, the version its HTML was rendered at) first gets what it missed
from the stream, or one `{"reset": true}` telling it to fetch the whole state when that is no longer there.
A page too slow to keep up is closed, and its browser reconnects and catches up the same way.

Public read, like the statuses themselves; units are named by catalogue id, never by their claim token.
"""

import asyncio
import logging
import os
import re
from urllib.parse import parse_qs

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from yunlou.live import channels

logger = logging.getLogger("yunlou.live")

HEARTBEAT_SECONDS = float(os.environ.get("LIVE_HEARTBEAT_SECONDS", "15"))
RETRY_MILLISECONDS = 2000
QUEUE_SIZE = 512
MAX_LAUNCHES = 1000  # launches followed at once by one process; more answer 503 rather than open more readers
READ_BLOCK_MILLISECONDS = 10_000
READ_COUNT = 2000
COALESCE_SECONDS = float(os.environ.get("LIVE_COALESCE_SECONDS", "0.5"))
EVENTS_PATH = re.compile(r"^/live/launches/([1-9][0-9]{0,11})/events$")


class Watcher:
    """One open page: the batches waiting to be sent to it, and the event that wakes its sender.

    Waking costs one Event.set() per page per batch — no task, queue future or timer per message — which is
    what lets one process keep thousands of pages current during a stampede."""

    __slots__ = ("pending", "wake", "dropped", "closed", "heartbeat_due")

    def __init__(self) -> None:
        self.pending: list[Batch] = []
        self.wake = asyncio.Event()
        self.dropped = False  # fell QUEUE_SIZE batches behind: its response ends, the browser reconnects
        self.closed = False  # the page went away
        self.heartbeat_due = False

    def offer(self, batch: "Batch") -> bool:
        if len(self.pending) >= QUEUE_SIZE:
            self.dropped = True
        else:
            self.pending.append(batch)
        self.wake.set()
        return not self.dropped

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    def beat(self) -> None:
        self.heartbeat_due = True
        self.wake.set()


class LaunchFeed:
    """Follows one launch's stream and hands every new entry to each watcher."""

    def __init__(self, client: aioredis.Redis, launch_id: int) -> None:
        self.client = client
        self.launch_id = launch_id
        self.key = channels.stream_key(launch_id)
        self.watchers: set[Watcher] = set()
        self.position = 0  # the seq of the last entry handed out (or present when the feed began)
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        newest = await self.client.xrevrange(self.key, count=1)
        self.position = channels.seq_of(newest[0][0]) if newest else 0
        self.task = asyncio.create_task(self._follow(), name=f"live-feed-{self.launch_id}")

    async def _follow(self) -> None:
        while True:
            try:
                answer = await self.client.xread({self.key: f"{self.position}-0"}, count=READ_COUNT,
                                                 block=READ_BLOCK_MILLISECONDS)
            except RedisError:
                logger.warning("live: reading launch %s's stream failed", self.launch_id, exc_info=True)
                await asyncio.sleep(1)
                continue
            for _stream, entries in answer or ():
                batch = Batch([(channels.seq_of(entry_id), fields[b"data"]) for entry_id, fields in entries])
                self.position = batch.last
                self._hand_out(batch)
            if answer:
                # Let the next changes gather: under a stampede every page gets a few writes a second, each
                # with all that changed meanwhile, instead of one write per change per page.
                await asyncio.sleep(COALESCE_SECONDS)

    def _hand_out(self, batch: "Batch") -> None:
        for watcher in list(self.watchers):
            if not watcher.offer(batch):
                self.watchers.discard(watcher)


class Batch:
    """Entries read from the stream at once, with their events encoded once for every page."""

    __slots__ = ("entries", "first", "last", "body")

    def __init__(self, entries: list[tuple[int, bytes]]) -> None:
        self.entries = entries
        self.first, self.last = entries[0][0], entries[-1][0]
        self.body = b"".join(_event(seq, data) for seq, data in entries)

    def after(self, sent: int) -> bytes:
        """The events of this batch a page that has everything up to `sent` still needs."""
        if self.first > sent:
            return self.body
        return b"".join(_event(seq, data) for seq, data in self.entries if seq > sent)


class Hub:
    """The feeds of the launches that at least one page watches."""

    def __init__(self, url: str) -> None:
        # No read timeout: XREAD BLOCK waits longer than redis-py's default (5 s), and a timed-out read would
        # cost a reconnect and a pause exactly when a change may be arriving.
        self.client = aioredis.Redis.from_url(url, socket_timeout=None)
        self.feeds: dict[int, LaunchFeed] = {}
        self._lock = asyncio.Lock()

    async def watch(self, launch_id: int) -> tuple[LaunchFeed, Watcher, int] | None:
        """A new watcher of the launch, with the seq from which its queue has every entry (None: too busy)."""
        async with self._lock:
            feed = self.feeds.get(launch_id)
            if feed is None:
                if len(self.feeds) >= MAX_LAUNCHES:
                    return None
                feed = LaunchFeed(self.client, launch_id)
                await feed.start()
                self.feeds[launch_id] = feed
            watcher = Watcher()
            feed.watchers.add(watcher)
            return feed, watcher, feed.position

    def leave(self, feed: LaunchFeed, watcher: Watcher) -> None:
        feed.watchers.discard(watcher)
        if not feed.watchers and self.feeds.get(feed.launch_id) is feed:
            del self.feeds[feed.launch_id]
            feed.task.cancel()

    async def close(self) -> None:
        for feed in list(self.feeds.values()):
            feed.task.cancel()
        self.feeds.clear()
        await self.client.aclose()


def _event(seq: int, data: bytes) -> bytes:
    return b"id: %d\ndata: %s\n\n" % (seq, data)


def _reset_event(seq: int) -> bytes:
    return _event(seq, b'{"reset":true,"seq":%d}' % seq)


def _header(scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _since(scope) -> int | None:
    """Where the page stands: Last-Event-ID on a reconnection, else `?since=` from the page's HTML."""
    raw = _header(scope, b"last-event-id") or parse_qs(scope.get("query_string", b"").decode()).get("since", [""])[0]
    return int(raw) if raw.isdigit() and len(raw) < 16 else None


async def _catch_up(client: aioredis.Redis, launch_id: int, since: int, until: int) -> list[bytes]:
    """The events after `since` up to `until`, or a reset when the stream no longer has them all."""
    if since == until:
        return []
    if since > until:  # the page knows a newer stream than Redis has (it was lost): start afresh
        return [_reset_event(until)]
    entries = await client.xrange(channels.stream_key(launch_id), min=f"{since + 1}-0", max=f"{until}-0",
                                  count=channels.STREAM_LENGTH * 2)
    if not entries or channels.seq_of(entries[0][0]) != since + 1:
        return [_reset_event(until)]
    return [_event(channels.seq_of(entry_id), fields[b"data"]) for entry_id, fields in entries]


def _allowed_origins() -> set[str]:
    return {origin for origin in os.environ.get("LIVE_ALLOWED_ORIGINS", "").split(",") if origin}


async def _plain(send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-cache")]})
    await send({"type": "http.response.body", "body": text.encode()})


class LiveEvents:
    """The ASGI application."""

    def __init__(self) -> None:
        self.hub: Hub | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.hub is not None:
                    await self.hub.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _hub(self) -> Hub | None:
        if self.hub is None and os.environ.get("REDIS_URL"):
            self.hub = Hub(os.environ["REDIS_URL"])
        return self.hub

    async def _http(self, scope, receive, send) -> None:
        match = EVENTS_PATH.match(scope["path"])
        if scope["path"] == "/live/healthz":
            return await self._health(send)
        if match is None:
            return await _plain(send, 404, "Not found")
        if scope["method"] != "GET":
            return await _plain(send, 405, "Method not allowed")
        hub = self._hub()
        if hub is None:
            return await _plain(send, 503, "Live events need REDIS_URL.")
        launch_id = int(match.group(1))
        try:
            watching = await hub.watch(launch_id)
        except RedisError:
            logger.warning("live: Redis unavailable", exc_info=True)
            watching = None
        if watching is None:
            return await _plain(send, 503, "Live events are unavailable; poll the state.")
        feed, watcher, position = watching
        try:
            await self._stream(scope, receive, send, hub, feed, watcher, position)
        finally:
            hub.leave(feed, watcher)

    async def _health(self, send) -> None:
        hub = self._hub()
        try:
            healthy = hub is not None and await hub.client.ping()
        except RedisError:
            healthy = False
        await _plain(send, 200 if healthy else 503, "ok" if healthy else "Redis unavailable")

    async def _stream(self, scope, receive, send, hub: Hub, feed: LaunchFeed, watcher: Watcher,
                      position: int) -> None:
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"),
                   (b"cache-control", b"no-cache, no-transform"),
                   (b"x-accel-buffering", b"no")]  # nginx: pass each event on at once
        origin = _header(scope, b"origin")
        if origin and origin in _allowed_origins():
            headers += [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        sent = position
        since = _since(scope)
        chunks = [b"retry: %d\n\n" % RETRY_MILLISECONDS]
        if since is not None:
            chunks += await _catch_up(hub.client, feed.launch_id, since, position)
        await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})

        loop = asyncio.get_running_loop()
        disconnected = asyncio.ensure_future(_disconnect(receive, watcher))
        heartbeat = loop.call_later(HEARTBEAT_SECONDS, watcher.beat)
        try:
            while True:
                await watcher.wake.wait()
                watcher.wake.clear()
                if watcher.closed:
                    return
                batches, watcher.pending = watcher.pending, []
                parts = []
                for batch in batches:
                    parts.append(batch.after(sent))
                    sent = max(sent, batch.last)
                if watcher.heartbeat_due:
                    watcher.heartbeat_due = False
                    heartbeat = loop.call_later(HEARTBEAT_SECONDS, watcher.beat)
                    if not parts:
                        parts.append(b": heartbeat\n\n")
                body = b"".join(parts)
                if body:
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                if watcher.dropped:  # fell behind: end, and let the browser reconnect from `sent`
                    await send({"type": "http.response.body", "body": b""})
                    return
        finally:
            heartbeat.cancel()
            disconnected.cancel()


async def _disconnect(receive, watcher: Watcher) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    watcher.close()


application = LiveEvents()
