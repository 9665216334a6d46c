"""Telling every open grid of a launch that a unit changed, once the change is committed.

Services call `launch_unit_changed` inside their transaction; nothing leaves before the commit, and a rolled-back
transaction sends nothing. The message carries the status read *after* the commit rather than the status the
service meant to set: two transactions' on-commit callbacks may run in either order, and a late "held" after an
"available" would leave every grid wrong until the next change. Reading it afresh, the last message is right.

With REDIS_URL one Lua script numbers the change (INCR), appends it to the launch's stream (which a reconnecting
page replays from its Last-Event-ID) and publishes it on the channel, atomically. Without Redis (the demo on
SQLite) only the version in Django's cache moves, and pages keep up by polling `views.launch_state`.

Units are named by their catalogue id, never by their launch token: the stream is public and a token is what a
claim is made with.
"""

import functools
import json
import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from yunlou.live import channels
from yunlou.live.selectors import launch_unit_statuses

logger = logging.getLogger(__name__)

# KEYS: version, stream, channel; ARGV: the message as a JSON object, the stream's length, seconds to keep.
# The counter follows the stream when it was lost (an evicted key): entry ids must keep growing.
_PUBLISH_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if newest then
  local newest_seq = tonumber(string.match(newest[1], '^%d+'))
  if newest_seq >= seq then
    seq = newest_seq + 1
    redis.call('SET', KEYS[1], seq)
  end
end
local message = string.sub(ARGV[1], 1, -2) .. ',"seq":' .. seq .. '}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'data', message)
redis.call('PUBLISH', KEYS[3], message)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return seq
"""


@functools.cache
def _client(url: str) -> redis.Redis:
    # Short timeouts: this runs in a request after its commit, and a live update is not worth a stuck worker.
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


@functools.cache
def _script(url: str):
    return _client(url).register_script(_PUBLISH_SCRIPT)


def _cache_version_key(launch_id: int) -> str:
    return f"live:{channels.version_key(launch_id)}"


def launch_version(launch_id: int) -> int:
    """The launch's change counter: the seq of its last message, 0 before the first."""
    try:
        if settings.REDIS_URL:
            return int(_client(settings.REDIS_URL).get(channels.version_key(launch_id)) or 0)
    except redis.RedisError:
        logger.warning("live: reading launch %s's version failed", launch_id, exc_info=True)
        return -1  # never equal to what a page holds: it gets the full state
    return int(cache.get(_cache_version_key(launch_id)) or 0)


def _send(launch_id: int, message: dict) -> int | None:
    message = {**message, "at": timezone.localtime().isoformat(timespec="milliseconds")}
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    if not settings.REDIS_URL:
        key = _cache_version_key(launch_id)
        cache.add(key, 0, timeout=None)
        return cache.incr(key)
    try:
        return _script(settings.REDIS_URL)(
            keys=[channels.version_key(launch_id), channels.stream_key(launch_id), channels.channel(launch_id)],
            args=[body, channels.STREAM_LENGTH, channels.KEEP_SECONDS])
    except redis.RedisError:
        # The change itself is committed; the pages' periodic state check will show it.
        logger.warning("live: publishing launch %s's change failed", launch_id, exc_info=True)
        return None


def _unit_publish(launch_id: int, unit_id: int, rehearsal: bool) -> None:
    status = launch_unit_statuses(launch_id=launch_id, rehearsal=rehearsal, unit_ids=[unit_id]).get(unit_id)
    if status is None:  # reserved, or not in this launch: not on any buyer's grid
        return
    message = {"unit": unit_id, "status": status}
    if rehearsal:
        message["rehearsal"] = True
    _send(launch_id, message)


def launch_unit_changed(*, launch_id: int, unit_id: int, rehearsal: bool = False) -> None:
    """After the current transaction commits, tell the launch's grids the unit's status (read then)."""
    transaction.on_commit(functools.partial(_unit_publish, launch_id, unit_id, rehearsal), robust=True)


def order_unit_changed(order) -> None:
    """The same for an order's unit, in the order's launch (real or rehearsal) — the one line services add."""
    launch_unit_changed(launch_id=order.launch_id, unit_id=order.unit_id, rehearsal=order.is_rehearsal)


def launch_units_reset(*, launch_id: int, rehearsal: bool = False) -> None:
    """After the commit, tell the launch's grids to fetch every status again (many units changed at once)."""
    message = {"reset": True, **({"rehearsal": True} if rehearsal else {})}
    transaction.on_commit(functools.partial(_send, launch_id, message), robust=True)
