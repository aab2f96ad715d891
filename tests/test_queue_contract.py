"""One contract, every queue transport: SQL on SQLite, SQL on PostgreSQL, Redis Streams."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from bot.queue.base import Queue
from storage.db import migrate

ROOT = Path(__file__).resolve().parent.parent
Q = "inbound"


# -- opening a queue (also used by the child processes below) -----------------------------
def open_queue(spec: dict[str, Any], lease_seconds: float = 30.0) -> tuple[Queue, Any]:
    """A fresh queue object for ``spec``; returns (queue, async close function)."""
    if spec["kind"] == "redis":
        from bot.queue.redis_streams import RedisQueue

        q = RedisQueue(spec["url"], prefix=spec["prefix"], lease_seconds=lease_seconds)
        return q, q.close
    from bot.queue.sql import SqlQueue
    from storage.db import make_async_engine

    engine = make_async_engine(spec["url"])
    q = SqlQueue(engine, lease_seconds=lease_seconds)

    async def close() -> None:
        await q.close()
        await engine.dispose()

    return q, close


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def spec(request, tmp_path) -> dict[str, Any]:
    if request.param == "redis":
        return {"kind": "redis", "url": request.getfixturevalue("redis_url"),
                "prefix": request.getfixturevalue("redis_prefix")}
    url = f"sqlite:///{tmp_path / 'queue.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    migrate(url)
    return {"kind": "sql", "url": url}


@pytest.fixture
async def make(spec):
    """``make(lease_seconds=30)`` -> a new queue object (like another process would have)."""
    closers = []

    async def _make(lease_seconds: float = 30.0) -> Queue:
        q, close = open_queue(spec, lease_seconds)
        closers.append(close)
        await q.start()
        return q

    yield _make
    for close in closers:
        await close()


@pytest.fixture
async def queue(make) -> Queue:
    return await make()


# -- basics ---------------------------------------------------------------------------------
async def test_enqueue_claim_ack_roundtrip(queue):
    await queue.enqueue(Q, "zalo:1", {"text": "Xin chào xã Tân Lập", "n": 1})
    assert await queue.pending_count(Q) == 1
    job = await queue.claim(Q, "c1", timeout=1)
    assert job is not None
    assert (job.queue, job.key, job.payload, job.attempts) == (Q, "zalo:1", {"text": "Xin chào xã Tân Lập", "n": 1}, 1)
    assert await queue.pending_count(Q) == 1  # leased still counts
    await queue.ack(job)
    assert await queue.pending_count(Q) == 0
    assert await queue.claim(Q, "c1", timeout=0.1) is None


async def test_queues_are_separate(queue):
    await queue.enqueue("outbox", "k", {"n": 1})
    assert await queue.claim(Q, "c1", timeout=0.1) is None
    assert await queue.pending_count(Q) == 0
    job = await queue.claim("outbox", "c1", timeout=1)
    assert job is not None and job.payload == {"n": 1}


async def test_claim_waits_at_most_timeout(queue):
    t0 = time.monotonic()
    assert await queue.claim(Q, "c1", timeout=0.3) is None
    assert 0.25 <= time.monotonic() - t0 < 1.0


async def test_waiting_claim_wakes_on_enqueue(queue):
    async def later() -> None:
        await asyncio.sleep(0.2)
        await queue.enqueue(Q, "k", {"n": 1})

    task = asyncio.create_task(later())
    t0 = time.monotonic()
    job = await queue.claim(Q, "c1", timeout=5)
    await task
    assert job is not None and time.monotonic() - t0 < 1.5


async def test_enqueue_many_keeps_order(queue):
    await queue.enqueue_many(Q, [("a", {"n": 1}), ("b", {"n": 1}), ("a", {"n": 2}), ("a", {"n": 3})])
    await queue.enqueue_many(Q, [])
    assert await queue.pending_count(Q) == 4
    seen = []
    while (job := await queue.claim(Q, "c1", timeout=0.2)) is not None:
        seen.append((job.key, job.payload["n"]))
        await queue.ack(job)
    assert [n for k, n in seen if k == "a"] == [1, 2, 3]
    assert sorted(seen) == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]


# -- order per key ----------------------------------------------------------------------------
async def test_key_blocked_while_earlier_job_leased(queue):
    await queue.enqueue_many(Q, [("k", {"n": 1}), ("k", {"n": 2}), ("other", {"n": 1})])
    a = await queue.claim(Q, "c1", timeout=1)
    b = await queue.claim(Q, "c2", timeout=1)  # other keys go on in parallel
    assert sorted([(a.key, a.payload["n"]), (b.key, b.payload["n"])]) == [("k", 1), ("other", 1)]
    first = a if a.key == "k" else b
    assert await queue.claim(Q, "c3", timeout=0.2) is None  # k:2 waits for k:1
    await queue.ack(first)
    third = await queue.claim(Q, "c3", timeout=1)
    assert (third.key, third.payload["n"]) == ("k", 2)


async def test_concurrent_consumers_exactly_once_in_order(queue):
    keys, per_key = 20, 25
    await queue.enqueue_many(Q, [(f"key{k}", {"k": k, "seq": i}) for i in range(per_key) for k in range(keys)])
    handled: dict[str, list[int]] = defaultdict(list)
    in_flight: set[str] = set()
    violations: list[str] = []

    async def consumer(name: str) -> None:
        idle = 0
        while idle < 3:
            job = await queue.claim(Q, name, timeout=0.2)
            if job is None:
                idle += 1
                continue
            idle = 0
            if job.key in in_flight:
                violations.append(f"{job.key} handed out twice at once")
            in_flight.add(job.key)
            await asyncio.sleep(0)  # let the others run while we "work"
            handled[job.key].append(job.payload["seq"])
            in_flight.discard(job.key)
            await queue.ack(job)

    await asyncio.gather(*(consumer(f"c{i}") for i in range(4)))
    assert not violations
    assert len(handled) == keys
    for key, seqs in handled.items():
        assert seqs == list(range(per_key)), key
    assert await queue.pending_count(Q) == 0


# -- leases -----------------------------------------------------------------------------------
async def test_expired_lease_is_handed_over_and_late_ack_is_harmless(make):
    q1 = await make(lease_seconds=0.5)
    q2 = await make(lease_seconds=0.5)
    await q1.enqueue_many(Q, [("k", {"n": 1}), ("k", {"n": 2})])
    lost = await q1.claim(Q, "worker-1", timeout=1)
    assert lost.payload == {"n": 1} and lost.attempts == 1
    assert await q2.claim(Q, "worker-2", timeout=0.1) is None  # leased, and k:2 is blocked
    await asyncio.sleep(0.6)
    again = await q2.claim(Q, "worker-2", timeout=2)
    assert again is not None and again.id == lost.id and again.payload == {"n": 1}
    assert again.attempts == 2
    # worker-1 comes back late: none of its calls may touch the job worker-2 now holds
    await q1.ack(lost)
    await q1.retry(lost, 0)
    await q1.dead(lost, "late")
    assert await q1.pending_count(Q) == 2
    assert await q1.dead_jobs(Q) == []
    assert await q1.claim(Q, "worker-3", timeout=0.1) is None  # k still blocked by worker-2's lease
    await q2.ack(again)
    nxt = await q1.claim(Q, "worker-3", timeout=1)
    assert nxt is not None and nxt.payload == {"n": 2}
    await q1.ack(nxt)
    assert await q1.pending_count(Q) == 0


async def test_extended_lease_keeps_a_long_job_and_a_lost_one_cannot_be_extended(make):
    q1 = await make(lease_seconds=0.5)
    q2 = await make(lease_seconds=0.5)
    await q1.enqueue(Q, "k", {"n": 1})
    job = await q1.claim(Q, "worker-1", timeout=1)
    for _ in range(4):  # runs 1.2 s, three times its lease, renewing as the worker does
        await asyncio.sleep(0.3)
        assert await q1.extend(job)
        assert await q2.claim(Q, "worker-2", timeout=0) is None
    await asyncio.sleep(0.6)  # stops renewing: the lease runs out and another worker takes it
    again = await q2.claim(Q, "worker-2", timeout=2)
    assert again is not None and again.id == job.id and again.attempts == 2
    assert not await q1.extend(job)  # the first claim no longer holds it
    assert await q2.extend(again)
    await q2.ack(again)
    assert not await q2.extend(again)  # acked
    await q1.enqueue(Q, "k", {"n": 2})
    retried = await q1.claim(Q, "worker-1", timeout=1)
    await q1.retry(retried, 5)
    assert not await q1.extend(retried)  # waiting for its retry, not leased


async def test_acked_job_is_not_handed_out_after_lease_time(make):
    q = await make(lease_seconds=0.3)
    await q.enqueue(Q, "k", {"n": 1})
    job = await q.claim(Q, "c1", timeout=1)
    await q.ack(job)
    await asyncio.sleep(0.4)
    assert await q.claim(Q, "c2", timeout=0.1) is None


# -- retry and dead letters ---------------------------------------------------------------------
async def test_retry_delay_blocks_the_key(queue):
    await queue.enqueue_many(Q, [("k", {"n": 1}), ("k", {"n": 2})])
    job = await queue.claim(Q, "c1", timeout=1)
    assert job.payload == {"n": 1}
    await queue.enqueue(Q, "other", {"n": 1})
    t0 = time.monotonic()
    await queue.retry(job, 0.6)
    other = await queue.claim(Q, "c1", timeout=1)  # other keys are not held up
    assert other.key == "other"
    await queue.ack(other)
    assert await queue.claim(Q, "c1", timeout=0.2) is None  # k:1 delayed, k:2 behind it
    assert await queue.pending_count(Q) == 2
    again = await queue.claim(Q, "c2", timeout=3)
    assert again is not None and again.payload == {"n": 1} and again.attempts == 2
    assert time.monotonic() - t0 >= 0.55
    await queue.ack(again)
    last = await queue.claim(Q, "c2", timeout=1)
    assert last.payload == {"n": 2} and last.attempts == 1


async def test_retry_without_delay(queue):
    await queue.enqueue(Q, "k", {"n": 1})
    job = await queue.claim(Q, "c1", timeout=1)
    await queue.retry(job, 0)
    again = await queue.claim(Q, "c1", timeout=1)
    assert again is not None and again.id == job.id and again.attempts == 2


async def test_dead_letters(queue):
    await queue.enqueue_many(Q, [("k", {"n": 1}), ("k", {"n": 2})])
    job = await queue.claim(Q, "c1", timeout=1)
    await queue.dead(job, "token expired")
    assert await queue.pending_count(Q) == 1
    dead = await queue.dead_jobs(Q)
    assert [(d.queue, d.key, d.payload, d.reason) for d in dead] == [(Q, "k", {"n": 1}, "token expired")]
    assert dead[0].failed_at > time.time() - 60
    nxt = await queue.claim(Q, "c1", timeout=1)  # the key moves on
    assert nxt.payload == {"n": 2}
    await queue.dead(nxt, "second")
    assert [d.reason for d in await queue.dead_jobs(Q)] == ["second", "token expired"]  # newest first
    assert len(await queue.dead_jobs(Q, limit=1)) == 1
    assert await queue.dead_jobs("outbox") == []
    assert (await queue.dead_count(Q), await queue.dead_count("outbox")) == (2, 0)
    assert await queue.pending_count(Q) == 0


# -- processes ------------------------------------------------------------------------------------
_CHILD_PRELUDE = f"""
import asyncio, json, random, sys, time
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]
from test_queue_contract import open_queue
spec = json.loads(sys.argv[1])
"""

_CHILD_ENQUEUE = _CHILD_PRELUDE + """
async def main():
    q, close = open_queue(spec)
    await q.start()
    for i in range(int(sys.argv[2])):
        await q.enqueue("inbound", f"k{i % 7}", {"i": i})
    print("enqueued", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""

_CHILD_CONSUME = _CHILD_PRELUDE + """
async def main():
    q, close = open_queue(spec)
    await q.start()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the parent's "go"

    async def task(name):
        while True:
            job = await q.claim("inbound", name, timeout=0.3)
            if job is None:
                if await q.pending_count("inbound") == 0:
                    return
                continue
            t0 = time.time()
            await asyncio.sleep(random.random() * 0.003)
            print(json.dumps([job.key, job.payload["seq"], t0, time.time()]), flush=True)
            await q.ack(job)

    await asyncio.gather(*(task(f"{sys.argv[2]}-{i}") for i in range(2)))
    await close()

asyncio.run(main())
"""


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-c", *args, cwd=ROOT,
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)


async def test_enqueued_jobs_survive_kill_9(spec, make):
    n = 40
    child = await _spawn(_CHILD_ENQUEUE, json.dumps(spec), str(n))
    try:
        line = await asyncio.wait_for(child.stdout.readline(), timeout=30)
        assert line.strip() == b"enqueued"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    q = await make()
    assert await q.pending_count(Q) == n
    got: dict[str, list[int]] = defaultdict(list)
    while (job := await q.claim(Q, "fresh", timeout=0.3)) is not None:
        got[job.key].append(job.payload["i"])
        await q.ack(job)
    assert sorted(i for seqs in got.values() for i in seqs) == list(range(n))
    for seqs in got.values():
        assert seqs == sorted(seqs)


async def test_order_per_key_across_processes(spec, make):
    q = await make()
    keys, per_key = 8, 12
    children = [await _spawn(_CHILD_CONSUME, json.dumps(spec), f"p{i}") for i in range(3)]
    for child in children:  # all started before there is work, so that all take part
        assert await asyncio.wait_for(child.stdout.readline(), timeout=30) == b"ready\n"
    await q.enqueue_many(Q, [(f"key{k}", {"seq": i}) for i in range(per_key) for k in range(keys)])
    outputs = await asyncio.wait_for(asyncio.gather(*(c.communicate(b"go\n") for c in children)), timeout=45)
    assert [c.returncode for c in children] == [0, 0, 0]
    records = [json.loads(line) for out, _ in outputs for line in out.decode().splitlines() if line.strip()]
    by_key: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for key, seq, t0, t1 in records:
        by_key[key].append((t0, t1, seq))
    assert len(records) == keys * per_key  # exactly once
    assert sum(1 for out, _ in outputs if out.strip()) >= 2  # the work was really shared
    for key, items in by_key.items():
        items.sort()
        assert [seq for _, _, seq in items] == list(range(per_key)), key
        for (_, end, _), (start, _, _) in zip(items, items[1:], strict=False):
            assert start >= end, f"{key}: overlapping jobs"
    assert await q.pending_count(Q) == 0


async def test_make_queue_picks_transport(tmp_path, redis_url):
    from bot.queue import make_queue
    from bot.queue.redis_streams import RedisQueue
    from bot.queue.sql import SqlQueue
    from bot.settings import Settings
    from storage.db import make_async_engine

    engine = make_async_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert isinstance(make_queue(Settings(), engine), SqlQueue)
        rq = make_queue(Settings(redis_url=redis_url, lease_seconds=12), engine)
        assert isinstance(rq, RedisQueue) and rq.lease_seconds == 12
        await rq.close()
    finally:
        await engine.dispose()
