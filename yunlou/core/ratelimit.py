"""Fixed-window counters in the cache (Redis in production and CI, so every process shares them)."""

from django.core.cache import cache

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
