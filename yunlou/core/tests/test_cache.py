import pytest
from django.conf import settings

from yunlou.core.cache import ReusingRedisCache

# Runs where Redis is configured — CI's PostgreSQL run sets REDIS_URL; the in-memory cache needs no test.
pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI's PostgreSQL run sets it)")


def test_the_redis_cache_reuses_one_client_and_still_works_as_a_cache():
    cache = ReusingRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-reusing"})
    cache.clear()
    cache.set("page", ("v1", "<html>"), 30)
    assert cache.get("page") == ("v1", "<html>")
    assert cache.get_many(["page", "missing"]) == {"page": ("v1", "<html>")}
    assert cache.add("counter", 0) and cache.incr("counter") == 1
    cache.delete_many(["page", "counter"])
    assert cache.get("page") is None
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client and cache._cache.get_client(write=True) is client
