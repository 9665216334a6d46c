"""Fixed-window counters in the cache (Redis in production and CI, so every process shares them)."""

from django.core.cache import cache, caches

from yunlou.core.cache import ReusingRedisCache
from yunlou.core.errors import RateLimited


def count(key: str, *, window_seconds: int) -> int:
    """Add one to the counter `key` and return it; the window starts with the first event."""
    # add() creates the counter only if absent, so the expiry is set once, by the first event.
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.set(key, 1, timeout=window_seconds)
        return 1


def hit(key: str, *, limit: int, window_seconds: int, message: str, field: str | None = None) -> int:
    """Count one event under `key`; refuse it (and every further one in the window) past `limit`."""
    events = count(f"ratelimit:{key}", window_seconds=window_seconds)
    if events > limit:
        raise RateLimited(message, field=field)
    return events


def hit_all(*limits: tuple[str, int, str], window_seconds: int) -> None:
    """`hit` for several (key, limit, message) at once — on Redis in one round trip, for the hottest endpoint."""
    backend = caches["default"]
    if not isinstance(backend, ReusingRedisCache):
        for key, limit, message in limits:
            hit(key, limit=limit, window_seconds=window_seconds, message=message)
        return
    keys = [backend.make_and_validate_key(f"ratelimit:{key}") for key, _limit, _message in limits]
    pipeline = backend.redis(keys[0]).pipeline(transaction=False)
    for key in keys:
        pipeline.set(key, 0, ex=window_seconds, nx=True)  # the window starts with the first event, as in count()
        pipeline.incr(key)
    answers = pipeline.execute()
    for (_key, limit, message), events in zip(limits, answers[1::2], strict=True):
        if events > limit:
            raise RateLimited(message)
