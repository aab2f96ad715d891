"""Named mutual-exclusion locks (e.g. one Zalo token refresh per OA at a time).

``async with locks.lock(f"zalo-token:{oa_id}"):`` — across processes with Redis, within
the process otherwise (the embedded deployment is one process).

``timeout`` is a lease, not a limit on how long the body may run: while the holder lives the
Redis lock is renewed every ``timeout / 3`` seconds, so it only lapses ``timeout`` seconds
after the holder died. ``wait``: give up with ``TimeoutError`` when the lock could not be
taken within that many seconds (``None``: wait as long as it takes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import LockError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.settings import Settings

log = logging.getLogger(__name__)


class LockFactory(Protocol):
    def lock(self, name: str, timeout: float = 30, *, wait: float | None = None
             ) -> AbstractAsyncContextManager[None]:
        """Hold the lock ``name`` inside the ``async with`` (see the module docstring)."""
        ...


class MemoryLockFactory:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def lock(self, name: str, timeout: float = 30, *, wait: float | None = None) -> AsyncIterator[None]:
        lk = self._locks.get(name)
        if lk is None:
            lk = self._locks[name] = asyncio.Lock()
        async with asyncio.timeout(wait):
            await lk.acquire()
        try:
            yield
        finally:
            lk.release()


class RedisLockFactory:
    def __init__(self, redis: Redis, *, prefix: str = "coso:", sleep: float = 0.05) -> None:
        self.redis = redis
        self.prefix = prefix
        self.sleep = sleep

    @asynccontextmanager
    async def lock(self, name: str, timeout: float = 30, *, wait: float | None = None) -> AsyncIterator[None]:
        lk = self.redis.lock(f"{self.prefix}lock:{name}", timeout=timeout, sleep=self.sleep)
        if not await lk.acquire(blocking_timeout=wait):
            raise TimeoutError(f"lock {name!r} not acquired within {wait}s")
        renew = asyncio.create_task(self._renew(lk, name, timeout))
        try:
            yield
        finally:
            renew.cancel()
            try:
                await lk.release()
            except LockError:  # the lease lapsed (renewal failed): someone else may hold it now
                log.warning("lock %s was lost before release", name)

    @staticmethod
    async def _renew(lk, name: str, timeout: float) -> None:  # type: ignore[no-untyped-def]
        while True:
            await asyncio.sleep(timeout / 3)
            try:
                await lk.reacquire()  # TTL back to ``timeout``, only if we still own it
            except LockError:
                log.error("lock %s lost: its lease could not be renewed", name)
                return
            except Exception as exc:  # noqa: BLE001 - Redis briefly unreachable: try again
                log.warning("lock %s renewal failed: %s", name, exc)


def make_lock_factory(settings: Settings, redis: Redis | None) -> LockFactory:
    if redis is not None:
        return RedisLockFactory(redis, prefix=settings.redis_prefix)
    return MemoryLockFactory()
