"""Django's Redis cache, keeping one Redis client per connection pool.

Django's client builds a new `redis.Redis` for every cache operation, and building one fills its table of
~170 response callbacks: measured here, that was most of the cost of a cache hit (about 0.15 ms of the
~0.25 ms). `redis.Redis` is safe to share between threads (connections come from the pool per command),
so one per pool does the same work without the rebuild.
"""

import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def redis(self, key: str):
        """The redis-py client that holds `key` (made with make_and_validate_key), for a pipeline of commands."""
        return self._cache.get_client(key, write=True)


# --- a worker's own short-lived copies of shared, slowly changing answers ---

class LocalCopies:
    """A worker's own copies of values it fetched from the shared cache, each kept `seconds`.

    For answers that every request of a hot page needs and that may be a few seconds late anyway (a project's
    published state, its consultants, a share code's owner): reading them from process memory instead of
    Redis saved a round trip per page view. Derived data only — any process can fetch it again — bounded in
    number, and never for anything a write must make visible at once.
    """

    def __init__(self, seconds: float, max_entries: int = 1024):
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, object]] = {}

    def get(self, key: str, fetch):
        """The value for `key`: this worker's copy while fresh, else `fetch()` (which may return None for
        "nothing there"; that answer is kept too)."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = fetch()
        self.put(key, value)
        return value

    def put(self, key: str, value) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.seconds, value)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


_all_local_copies: list[LocalCopies] = []


def local_copies(seconds: float, max_entries: int = 1024) -> LocalCopies:
    copies = LocalCopies(seconds, max_entries)
    _all_local_copies.append(copies)
    return copies


def local_copies_clear() -> None:
    """Forget every worker-local copy (tests start each case from nothing)."""
    for copies in _all_local_copies:
        copies.clear()
