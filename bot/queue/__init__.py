"""The durable work queue: ``make_queue`` picks the transport from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.queue.base import DeadJob, Job, Queue

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.settings import Settings

__all__ = ["DeadJob", "Job", "Queue", "make_queue"]


def make_queue(settings: Settings, engine: AsyncEngine | None, redis: Redis | None = None) -> Queue:
    """Redis Streams when ``settings.redis_url`` is set, else the SQL table on ``engine``.

    ``redis``: an existing client to share (else the queue opens and closes its own).
    """
    if settings.redis_url:
        from bot.queue.redis_streams import RedisQueue

        return RedisQueue(redis if redis is not None else settings.redis_url, prefix=settings.redis_prefix,
                          lease_seconds=settings.lease_seconds)
    if engine is None:
        raise ValueError("the SQL queue transport needs a database engine")
    from bot.queue.sql import SqlQueue

    return SqlQueue(engine, lease_seconds=settings.lease_seconds)
