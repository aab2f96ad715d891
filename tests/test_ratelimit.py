"""Rate limiter: in memory and on Redis (GCRA). Waits are checked by value, not by wall clock."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from bot.ratelimit import MemoryRateLimiter, RedisRateLimiter, make_rate_limiter
from bot.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def limiter(request):
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    client = aioredis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisRateLimiter(client, prefix=request.getfixturevalue("redis_prefix"))
    await client.aclose()


def _assert_spread(waits: list[float], interval: float, first_free: int = 1) -> None:
    """The first ``first_free`` go now, then one every ``interval`` (a little slack for Redis' clock)."""
    assert waits[:first_free] == pytest.approx([0.0] * first_free, abs=0.01)
    for i, w in enumerate(waits[first_free:], start=first_free):
        assert w == pytest.approx((i - first_free + 1) * interval, abs=0.02), (i, waits)


async def test_burst_is_spread_evenly(limiter):
    waits = [await limiter.acquire("telegram:bot1", 10, 1.0) for _ in range(25)]
    _assert_spread(waits, 0.1)
    # never more than `limit` slots in any window of `period`
    slots = sorted(waits)
    assert all(slots[i + 10] - slots[i] >= 1.0 - 0.02 for i in range(len(slots) - 10))


async def test_burst_option_lets_a_burst_through(limiter):
    waits = [await limiter.acquire("zalo:oa1", 5, 1.0, burst=5) for _ in range(8)]
    _assert_spread(waits, 0.2, first_free=5)


async def test_keys_are_independent(limiter):
    for _ in range(5):
        await limiter.acquire("a", 2, 1.0)
    assert await limiter.acquire("b", 2, 1.0) == pytest.approx(0.0, abs=0.01)
    assert await limiter.acquire("a", 2, 1.0) == pytest.approx(2.5, abs=0.03)


async def test_idle_key_recovers():
    clock = FakeClock()
    lim = MemoryRateLimiter(clock=clock)
    assert [await lim.acquire("k", 2, 1.0) for _ in range(3)] == [0.0, 0.5, 1.0]
    clock.now += 10
    assert await lim.acquire("k", 2, 1.0) == 0.0
    clock.now += 0.2
    assert await lim.acquire("k", 2, 1.0) == pytest.approx(0.3)


async def test_redis_limiter_is_shared_between_clients(redis_url, redis_prefix):
    c1, c2 = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    try:
        l1, l2 = RedisRateLimiter(c1, prefix=redis_prefix), RedisRateLimiter(c2, prefix=redis_prefix)
        waits = [await (l1 if i % 2 else l2).acquire("fb:page", 4, 1.0) for i in range(8)]
        _assert_spread(waits, 0.25)
    finally:
        await c1.aclose()
        await c2.aclose()


async def test_invalid_limits_rejected():
    with pytest.raises(ValueError):
        await MemoryRateLimiter().acquire("k", 0, 1.0)


async def test_factory(redis_url):
    assert isinstance(make_rate_limiter(Settings(), None), MemoryRateLimiter)
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert isinstance(make_rate_limiter(Settings(redis_url=redis_url), client), RedisRateLimiter)
    finally:
        await client.aclose()
