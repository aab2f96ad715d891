"""The durable work queue: one interface, two transports (SQL table, Redis Streams).

Guarantees every transport keeps (see tests/test_queue_contract.py):

* ``enqueue`` returns only after the job is durably stored.
* A claimed job that is neither acked nor retried before its lease runs out
  (the worker died) is handed out again.  ``extend(job)`` renews a lease still held, so a
  job that runs long (a send waiting for the platform's rate limit) is not handed out twice;
  the worker renews every third of ``lease_seconds`` while a handler runs.
* Jobs with the same ``key`` are handed out one at a time, in enqueue order:
  a job is not claimable while an earlier job with its key is pending or leased.
* ``retry(job, delay)`` makes the job claimable again after ``delay`` seconds;
  ``dead(job, reason)`` removes it from the queue and keeps it in the dead-letter list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Job:
    queue: str  # "inbound" | "outbox" | ...
    key: str  # ordering key (conversation)
    payload: dict[str, Any]
    id: str  # transport's id for the job
    attempts: int = 1  # how many times it has been claimed, this one included
    meta: dict[str, Any] = field(default_factory=dict)  # transport-private (lease token, stream, ...)


@dataclass(slots=True)
class DeadJob:
    queue: str
    key: str
    payload: dict[str, Any]
    reason: str
    failed_at: float


class Queue(Protocol):
    lease_seconds: float

    async def start(self) -> None:
        """Connect / create what the transport needs."""

    async def close(self) -> None: ...

    async def enqueue(self, queue: str, key: str, payload: dict[str, Any]) -> None:
        """Store one job durably."""

    async def enqueue_many(self, queue: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Store several (key, payload) jobs durably, in order, at once."""

    async def claim(self, queue: str, consumer: str, timeout: float = 1.0) -> Job | None:
        """Take the next claimable job, waiting up to ``timeout`` seconds for one."""

    async def ack(self, job: Job) -> None:
        """The job is done: remove it."""

    async def extend(self, job: Job) -> bool:
        """Renew the job's lease for ``lease_seconds`` from now; False if this claim no longer holds
        it (acked, retried, or handed to another consumer after the lease ran out)."""

    async def retry(self, job: Job, delay: float) -> None:
        """Hand the job out again after ``delay`` seconds (its key stays blocked meanwhile)."""

    async def dead(self, job: Job, reason: str) -> None:
        """Give up on the job: move it to the dead-letter list."""

    async def dead_jobs(self, queue: str, limit: int = 100) -> list[DeadJob]: ...

    async def dead_count(self, queue: str) -> int:
        """Dead letters kept for ``queue`` (the Redis transport keeps the newest 10,000)."""

    async def pending_count(self, queue: str) -> int:
        """Jobs not yet acked (ready, leased or delayed)."""
