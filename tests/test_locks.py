"""Named locks: in memory (one process) and on Redis (across processes)."""

from __future__ import annotations

import asyncio
import random

import pytest
import redis.asyncio as aioredis

from bot.locks import MemoryLockFactory, RedisLockFactory, make_lock_factory
from bot.settings import Settings


@pytest.fixture(params=["memory", "redis"])
async def factories(request):
    """Two lock factories standing for two contenders (two processes for Redis)."""
    if request.param == "memory":
        f = MemoryLockFactory()
        yield f, f
        return
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    c1, c2 = aioredis.Redis.from_url(url), aioredis.Redis.from_url(url)
    yield RedisLockFactory(c1, prefix=prefix, sleep=0.01), RedisLockFactory(c2, prefix=prefix, sleep=0.01)
    await c1.aclose()
    await c2.aclose()


async def test_contenders_never_inside_together(factories):
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    entries = 0

    async def contender(name: str, locks) -> None:
        nonlocal entries
        for _ in range(10):
            async with locks.lock("zalo-token:oa1", timeout=5):
                inside.append(name)
                if len(inside) > 1:
                    overlaps.append(tuple(inside))
                entries += 1
                await asyncio.sleep(random.random() * 0.005)
                inside.remove(name)

    f1, f2 = factories
    await asyncio.gather(contender("a", f1), contender("b", f2), contender("c", f1))
    assert overlaps == []
    assert entries == 30


async def test_different_names_do_not_block(factories):
    f1, f2 = factories
    async with f1.lock("zalo-token:oa1"):
        async with asyncio.timeout(1):
            async with f2.lock("zalo-token:oa2"):
                pass


async def test_lock_released_after_error(factories):
    f1, f2 = factories
    with pytest.raises(RuntimeError):
        async with f1.lock("x"):
            raise RuntimeError("boom")
    async with asyncio.timeout(1):
        async with f2.lock("x"):
            pass


async def test_redis_lock_expires_when_holder_dies(redis_url, redis_prefix):
    client = aioredis.Redis.from_url(redis_url)
    try:
        dead = client.lock(f"{redis_prefix}lock:oa9", timeout=0.3)  # a holder that never releases
        assert await dead.acquire(blocking=False)
        locks = RedisLockFactory(client, prefix=redis_prefix, sleep=0.01)
        async with asyncio.timeout(2):
            async with locks.lock("oa9"):
                pass
    finally:
        await client.aclose()


async def test_factory(redis_url):
    assert isinstance(make_lock_factory(Settings(), None), MemoryLockFactory)
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert isinstance(make_lock_factory(Settings(redis_url=redis_url), client), RedisLockFactory)
    finally:
        await client.aclose()


async def test_living_holder_keeps_the_lock_past_timeout(factories):
    f1, f2 = factories
    async with f1.lock("leader", timeout=0.3):
        await asyncio.sleep(0.7)  # longer than the lease: renewed while we live
        with pytest.raises(TimeoutError):
            async with f2.lock("leader", timeout=0.3, wait=0.2):
                pass
    async with f2.lock("leader", timeout=0.3, wait=1):
        pass
