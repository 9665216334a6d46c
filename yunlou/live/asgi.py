"""The live event server: `GET /live/launches/<id>/events` as server-sent events, in an ASGI process of its own.

    REDIS_URL=redis://… uvicorn yunlou.live.asgi:application --port 8001 --timeout-graceful-shutdown 5

It holds the long-lived connections that would each tie up a gunicorn sync worker, and needs neither Django nor
the database: everything it sends is in Redis. Per launch one reader task follows the launch's stream
(`XREAD BLOCK`) and fans each entry out to the queues of the pages watching; a page that reconnects with
Last-Event-ID (or opens with `?since=<version>`, the version its HTML was rendered at) first gets what it missed
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
EVENTS_PATH = re.compile(r"^/live/launches/([1-9][0-9]{0,11})/events$")


class Watcher:
    """One open page: the entries waiting to be sent to it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(QUEUE_SIZE)
        self.dropped = False


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
                answer = await self.client.xread({self.key: f"{self.position}-0"}, count=500,
                                                 block=READ_BLOCK_MILLISECONDS)
            except RedisError:
                logger.warning("live: reading launch %s's stream failed", self.launch_id, exc_info=True)
                await asyncio.sleep(1)
                continue
            for _stream, entries in answer or ():
                for entry_id, fields in entries:
                    self.position = channels.seq_of(entry_id)
                    self._hand_out(self.position, fields[b"data"])

    def _hand_out(self, seq: int, data: bytes) -> None:
        for watcher in list(self.watchers):
            try:
                watcher.queue.put_nowait((seq, data))
            except asyncio.QueueFull:
                watcher.dropped = True
                self.watchers.discard(watcher)


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

        disconnected = asyncio.ensure_future(_disconnect(receive))
        getter: asyncio.Future | None = None
        try:
            while True:
                getter = getter or asyncio.ensure_future(watcher.queue.get())
                done, _pending = await asyncio.wait({getter, disconnected}, timeout=HEARTBEAT_SECONDS,
                                                    return_when=asyncio.FIRST_COMPLETED)
                if disconnected in done:
                    return
                if getter not in done:
                    await send({"type": "http.response.body", "body": b": heartbeat\n\n", "more_body": True})
                    continue
                entries = [getter.result()]
                getter = None
                while not watcher.queue.empty():
                    entries.append(watcher.queue.get_nowait())
                body = b"".join(_event(seq, data) for seq, data in entries if seq > sent)
                sent = max(sent, entries[-1][0])
                if body:
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                if watcher.dropped:  # fell behind: end, and let the browser reconnect from `sent`
                    await send({"type": "http.response.body", "body": b""})
                    return
        finally:
            for future in (getter, disconnected):
                if future is not None:
                    future.cancel()


async def _disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


application = LiveEvents()
