"""Queue transport on the SQL database (tables ``queue_job`` and ``queue_dead``).

The embedded default (SQLite) and a Redis-less PostgreSQL deployment use it.

* A job is a row; ack deletes it, ``dead`` moves it to ``queue_dead``.
* A row is claimable when it is due (``available_at <= now``), not leased (or its lease
  ran out) and it is the oldest row of its (queue, key): rows are only removed by ack or
  dead, so a key stays blocked while its head job is leased or waiting for a retry.
* Claiming is a conditional ``UPDATE ... WHERE id = :id AND <still claimable>``: when two
  processes race for one row, PostgreSQL re-checks the condition after the first commit
  and the second update matches nothing; SQLite serialises writers.
* Every claim writes a fresh lease token; ack / retry / dead only touch the row when the
  token still matches, so a worker that lost its lease cannot remove someone else's job.
* Waiting in ``claim`` polls with short sleeps; an ``asyncio.Event`` wakes waiters of the
  same process at once on enqueue / ack / retry / dead.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.queue.base import DeadJob, Job

# Oldest row of its key, due, and not leased. The lease check on the key's other rows also
# closes the window where two rows of one key are both "oldest" (concurrent enqueues in
# PostgreSQL may commit out of id order). ``{t}`` is the alias of the row being tested.
# Scalar subqueries (not NOT EXISTS) keep PostgreSQL on per-row index lookups of
# (queue, key, id) even with stale statistics, which queue tables always have.
_CLAIMABLE = """
    {t}.queue = :queue
    AND {t}.available_at <= :now
    AND ({t}.leased_until IS NULL OR {t}.leased_until < :now)
    AND {t}.id = (SELECT min(e.id) FROM queue_job e WHERE e.queue = {t}.queue AND e.key = {t}.key)
    AND COALESCE((SELECT max(o.leased_until) FROM queue_job o
                  WHERE o.queue = {t}.queue AND o.key = {t}.key AND o.id <> {t}.id), 0) < :now
"""

_SELECT_CANDIDATES = text(
    f"SELECT j.id FROM queue_job j WHERE {_CLAIMABLE.format(t='j')} ORDER BY j.id LIMIT :limit"
)

# The conditions on the row itself are in the UPDATE's own WHERE: PostgreSQL re-checks them
# against the newest row version when a concurrent claim committed first (no double claim).
_CLAIM = text(f"""
    UPDATE queue_job SET leased_until = :until, lease_token = :token, attempts = attempts + 1
    WHERE queue_job.id = :id AND {_CLAIMABLE.format(t='queue_job')}
    RETURNING key, payload, attempts
""")

_INSERT = text("""
    INSERT INTO queue_job (queue, key, payload, available_at, leased_until, lease_token, attempts, created_at)
    VALUES (:queue, :key, :payload, :now, NULL, NULL, 0, :now)
""")


class SqlQueue:
    """The ``Queue`` protocol on an async SQLAlchemy engine (sqlite+aiosqlite, postgresql+psycopg)."""

    def __init__(self, engine: AsyncEngine, *, lease_seconds: float = 30.0, poll_interval: float = 0.2,
                 candidates: int = 8) -> None:
        self.engine = engine
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.candidates = candidates
        self._wakeups: dict[str, asyncio.Event] = {}

    async def start(self) -> None:
        """Nothing to do: the tables come from the migrations (storage.db.migrate)."""

    async def close(self) -> None:
        for ev in self._wakeups.values():
            ev.set()

    # -- wake-up of waiters in this process ------------------------------------------------
    def _event(self, queue: str) -> asyncio.Event:
        ev = self._wakeups.get(queue)
        if ev is None:
            ev = self._wakeups[queue] = asyncio.Event()
        return ev

    def _notify(self, queue: str) -> None:
        ev = self._wakeups.pop(queue, None)
        if ev is not None:
            ev.set()  # wakes everyone waiting on it; later waiters get a fresh event

    # -- producing -------------------------------------------------------------------------
    async def enqueue(self, queue: str, key: str, payload: dict[str, Any]) -> None:
        await self.enqueue_many(queue, [(key, payload)])

    async def enqueue_many(self, queue: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        if not items:
            return
        now = time.time()
        rows = [{"queue": queue, "key": key, "payload": json.dumps(payload, ensure_ascii=False), "now": now}
                for key, payload in items]
        async with self.engine.begin() as conn:  # one transaction, committed on exit
            await conn.execute(_INSERT, rows)  # executemany runs in list order: ids follow it
        self._notify(queue)

    # -- consuming -------------------------------------------------------------------------
    async def claim(self, queue: str, consumer: str, timeout: float = 1.0) -> Job | None:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            wake = self._event(queue)  # taken before looking, so no enqueue is missed
            job = await self._try_claim(queue)
            if job is not None:
                job.meta["consumer"] = consumer
                return job
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                await asyncio.wait_for(wake.wait(), timeout=min(self.poll_interval, left))
            except TimeoutError:
                pass

    async def _try_claim(self, queue: str) -> Job | None:
        now = time.time()
        async with self.engine.connect() as conn:
            ids = list((await conn.execute(_SELECT_CANDIDATES,
                                      {"queue": queue, "now": now, "limit": self.candidates})).scalars().all())
            await conn.rollback()  # end the read before writing: short transactions on SQLite
            # Concurrent claimers see the same oldest rows: try them in a random order.
            random.shuffle(ids)
            for job_id in ids:
                token = uuid.uuid4().hex
                params = {"queue": queue, "now": now, "id": job_id, "token": token,
                          "until": now + self.lease_seconds}
                async with conn.begin():
                    row = (await conn.execute(_CLAIM, params)).one_or_none()
                if row is None:
                    continue  # someone else got it first
                return Job(queue=queue, key=row.key, payload=json.loads(row.payload), id=str(job_id),
                           attempts=row.attempts, meta={"token": token})
        return None

    async def ack(self, job: Job) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text("DELETE FROM queue_job WHERE id = :id AND lease_token = :token"),
                               {"id": int(job.id), "token": job.meta.get("token")})
        self._notify(job.queue)

    async def extend(self, job: Job) -> bool:
        async with self.engine.begin() as conn:
            res = await conn.execute(
                text("UPDATE queue_job SET leased_until = :until WHERE id = :id AND lease_token = :token"),
                {"id": int(job.id), "token": job.meta.get("token"), "until": time.time() + self.lease_seconds},
            )
        return res.rowcount == 1

    async def retry(self, job: Job, delay: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                text("UPDATE queue_job SET available_at = :at, leased_until = NULL, lease_token = NULL "
                     "WHERE id = :id AND lease_token = :token"),
                {"id": int(job.id), "token": job.meta.get("token"), "at": time.time() + max(delay, 0.0)},
            )
        self._notify(job.queue)

    async def dead(self, job: Job, reason: str) -> None:
        async with self.engine.begin() as conn:
            res = await conn.execute(text("DELETE FROM queue_job WHERE id = :id AND lease_token = :token"),
                                     {"id": int(job.id), "token": job.meta.get("token")})
            if res.rowcount == 1:
                await conn.execute(
                    text("INSERT INTO queue_dead (queue, key, payload, reason, failed_at) "
                         "VALUES (:queue, :key, :payload, :reason, :at)"),
                    {"queue": job.queue, "key": job.key, "reason": reason, "at": time.time(),
                     "payload": json.dumps(job.payload, ensure_ascii=False)},
                )
        self._notify(job.queue)

    # -- inspection ------------------------------------------------------------------------
    async def dead_jobs(self, queue: str, limit: int = 100) -> list[DeadJob]:
        """Dead letters of ``queue``, newest first."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                text("SELECT key, payload, reason, failed_at FROM queue_dead WHERE queue = :queue "
                     "ORDER BY id DESC LIMIT :limit"), {"queue": queue, "limit": limit},
            )).all()
        return [DeadJob(queue=queue, key=r.key, payload=json.loads(r.payload), reason=r.reason,
                        failed_at=r.failed_at) for r in rows]

    async def dead_count(self, queue: str) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM queue_dead WHERE queue = :queue"),
                                           {"queue": queue})).scalar_one())

    async def pending_count(self, queue: str) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM queue_job WHERE queue = :queue"),
                                           {"queue": queue})).scalar_one())
