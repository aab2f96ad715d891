"""Group commit for webhook acknowledgements.

Every webhook must be durably queued before it is answered 200. Under load, many
requests are in flight at once; instead of one queue write (a Redis script call or
an SQLite commit with fsync) per request, the requests waiting at the same moment
are written together in one ``enqueue_many``, and each is answered when that write
has completed. One write is in flight at a time, so jobs reach the queue in the
order their requests arrived.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.queue import Queue

Item = tuple[str, dict[str, Any]]


class EnqueueBatcher:
    def __init__(self, queue: Queue, name: str, max_batch: int = 256) -> None:
        self._queue, self._name, self._max = queue, name, max_batch
        self._waiting: list[tuple[list[Item], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def enqueue_many(self, items: list[Item]) -> None:
        """Return once ``items`` are durably queued (raises what the queue raised)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((items, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch: list[tuple[list[Item], asyncio.Future[None]]] = []
            size = 0
            while self._waiting and (not batch or size + len(self._waiting[0][0]) <= self._max):
                entry = self._waiting.pop(0)
                batch.append(entry)
                size += len(entry[0])
            try:
                await self._queue.enqueue_many(self._name, [item for items, _ in batch for item in items])
            except Exception as exc:  # every request of the batch learns it was not queued
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
