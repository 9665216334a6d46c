"""The live channel is tested against the Redis on this machine, in a database of its own (13), whatever
REDIS_URL the run has: the SQLite run sets none, and these tests must not skip."""

import pytest
import redis

LIVE_REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def live_redis():
    client = redis.Redis.from_url(LIVE_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def publishing_to_redis(settings, live_redis):
    """The publisher sends to the test database 13 (only REDIS_URL changes; the cache stays as the run has it)."""
    settings.REDIS_URL = LIVE_REDIS_URL
    return live_redis


@pytest.fixture
def units(building):
    return list(building.units.order_by("code")[:4])
