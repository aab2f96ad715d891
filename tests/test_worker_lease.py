"""A job that runs longer than its lease (a send waiting out a platform's rate limit) is run once.

Two worker loops, each with its own queue object as two processes would have, on the embedded
transport (SQLite) and on Redis; the lease is far shorter than the job.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

import bot.worker as worker
from bot.pipeline import OUTBOX
from bot.queue import Job
from tests.test_queue_contract import open_queue


@pytest.fixture(params=["sqlite", "redis"])
def spec(request, tmp_path):
    if request.param == "redis":
        return {"kind": "redis", "url": request.getfixturevalue("redis_url"),
                "prefix": request.getfixturevalue("redis_prefix")}
    from storage.db import migrate

    url = f"sqlite:///{tmp_path / 'queue.db'}"
    migrate(url)
    return {"kind": "sql", "url": url}


async def test_a_job_longer_than_its_lease_runs_once(spec, monkeypatch):
    runs: list[tuple[str, dict]] = []

    async def slow_send(hub, job: Job) -> None:
        runs.append((job.meta["consumer"], job.payload))
        await asyncio.sleep(1.5)  # five leases of 0.3 s
        await hub.queue.ack(job)

    monkeypatch.setattr(worker, "send_job", slow_send)
    queues = [open_queue(spec, lease_seconds=0.3) for _ in range(2)]
    hubs = [SimpleNamespace(queue=q) for q, _ in queues]
    stop = asyncio.Event()
    await hubs[0].queue.enqueue(OUTBOX, "1:citizen", {"message_id": 7})
    loops = [asyncio.create_task(worker._run_loop(h, OUTBOX, f"w{i}", stop)) for i, h in enumerate(hubs)]
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if runs and await hubs[0].queue.pending_count(OUTBOX) == 0:
                break
        await asyncio.sleep(0.5)  # a second run would start here if the lease had been lost
    finally:
        stop.set()
        await asyncio.gather(*loops)
        for _, close in queues:
            await close()
    assert len(runs) == 1 and runs[0][1] == {"message_id": 7}
