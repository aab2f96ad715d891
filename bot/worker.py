"""Worker loops: claim jobs from "inbound" and "outbox", handle them, never die of one bad job."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable

import redis.exceptions
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.hub import Hub
from bot.outbox import backoff_delay, send_job
from bot.pipeline import INBOUND, OUTBOX, handle_inbound
from bot.queue import Job

log = logging.getLogger(__name__)

#: A job that keeps crashing its handler is dead-lettered after this many attempts (outages never are).
MAX_HANDLER_ATTEMPTS = 5


def is_outage(exc: BaseException) -> bool:
    """A failure of the infrastructure (database, Redis, network), not of the job itself."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated
    return isinstance(exc, ConnectionError | TimeoutError | OSError | redis.exceptions.ConnectionError
                      | redis.exceptions.TimeoutError)


def consumer_name(role: str, n: int) -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{role}-{n}"


async def _inbound_job(hub: Hub, job: Job) -> None:
    await handle_inbound(hub, job.payload)
    await hub.queue.ack(job)


async def _keep_lease(hub: Hub, job: Job) -> None:
    """Renew ``job``'s lease every third of the lease time while its handler runs."""
    every = max(hub.queue.lease_seconds / 3, 0.05)
    while True:
        await asyncio.sleep(every)
        try:
            if not await hub.queue.extend(job):
                log.warning("job %s on %s lost its lease while running; another worker may take it",
                            job.id, job.queue)
                return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an outage: the handler will meet it too; try again next time
            log.warning("could not renew the lease of job %s on %s: %s", job.id, job.queue, exc)


async def _handle(hub: Hub, job: Job, handler: Callable[[Hub, Job], Awaitable[None]]) -> None:
    renewer = asyncio.create_task(_keep_lease(hub, job), name=f"lease-{job.queue}-{job.id}")
    try:
        await handler(hub, job)
    finally:
        renewer.cancel()


async def _run_loop(hub: Hub, queue: str, consumer: str, stop: asyncio.Event) -> None:
    handler = _inbound_job if queue == INBOUND else send_job
    while not stop.is_set():
        try:
            job = await hub.queue.claim(queue, consumer, timeout=1.0)
        except Exception:
            log.exception("claim from %s failed; retrying", queue)
            await asyncio.sleep(1.0)
            continue
        if job is None:
            continue
        try:
            await _handle(hub, job, handler)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("job %s on %s failed (attempt %d)", job.id, queue, job.attempts)
            try:
                if is_outage(exc):
                    # The database or Redis is away: wait and try again, however long it takes.
                    await hub.queue.retry(job, backoff_delay(hub, min(job.attempts, 12)))
                elif job.attempts >= MAX_HANDLER_ATTEMPTS:
                    await hub.queue.dead(job, f"{type(exc).__name__}: {exc}"[:500])
                else:
                    await hub.queue.retry(job, backoff_delay(hub, job.attempts))
            except Exception:
                log.exception("could not reschedule job %s; its lease will expire", job.id)


async def run_worker(hub: Hub, stop: asyncio.Event, concurrency: int | None = None) -> None:
    """Run ``concurrency`` loops per queue until ``stop`` is set."""
    n = concurrency or hub.settings.workers
    tasks = [asyncio.create_task(_run_loop(hub, q, consumer_name(q, i), stop), name=f"{q}-{i}")
             for q in (INBOUND, OUTBOX) for i in range(n)]
    log.info("worker started: %d loops per queue", n)
    try:
        await stop.wait()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
