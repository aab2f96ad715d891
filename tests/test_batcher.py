"""Group commit of webhook acknowledgements: every caller returns only after its jobs are stored, in order."""

from __future__ import annotations

import asyncio

import pytest

from bot.batcher import EnqueueBatcher
from bot.queue.sql import SqlQueue
from storage.db import make_async_engine, migrate


async def test_concurrent_callers_are_batched_in_arrival_order(sqlite_url):
    migrate(sqlite_url)
    engine = make_async_engine(sqlite_url)
    queue = SqlQueue(engine)
    await queue.start()
    calls = []
    real = queue.enqueue_many

    async def counting(name, items):
        calls.append(len(items))
        await real(name, items)

    queue.enqueue_many = counting  # type: ignore[method-assign]
    batcher = EnqueueBatcher(queue, "inbound", max_batch=64)
    try:
        await asyncio.gather(*(batcher.enqueue_many([("k", {"n": i})]) for i in range(200)))
        assert sum(calls) == 200 and len(calls) < 200  # fewer writes than requests
        assert max(calls) <= 64
        seen = []
        while (job := await queue.claim("inbound", "c", timeout=0.1)) is not None:
            seen.append(job.payload["n"])
            await queue.ack(job)
        assert seen == list(range(200))
    finally:
        await queue.close()
        await engine.dispose()


async def test_a_failed_write_fails_every_caller_of_the_batch():
    class Down:
        async def enqueue_many(self, name, items):
            raise ConnectionError("down")

    batcher = EnqueueBatcher(Down(), "inbound")  # type: ignore[arg-type]
    results = await asyncio.gather(*(batcher.enqueue_many([("k", {})]) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    with pytest.raises(ConnectionError):
        await batcher.enqueue_many([("k", {})])
