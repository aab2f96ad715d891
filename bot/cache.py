"""Short-lived in-process caches of rows that change rarely (channels, units).

Reads on the hot paths (every webhook, every message) come from here; a change made
elsewhere (a channel disabled, a token re-authorised) is seen within ``ttl`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import repo
from storage.models import Channel, Unit


class RowCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl: float = 10.0) -> None:
        self._sessions, self._ttl = sessions, ttl
        self._items: dict[Any, tuple[float, Any]] = {}

    async def _get(self, key: Any, load: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        hit = self._items.get(key)
        now = time.monotonic()
        if hit and now - hit[0] < self._ttl:
            return hit[1]
        async with self._sessions() as session:
            value = await load(session)
        self._items[key] = (now, value)
        return value

    async def channel_by_external(self, platform: str, external_id: str) -> Channel | None:
        return await self._get(("channel", platform, external_id),
                               lambda s: repo.channel_by_external(s, platform, external_id))

    async def channel(self, channel_id: int) -> Channel | None:
        return await self._get(("channel", channel_id), lambda s: s.get(Channel, channel_id))

    async def unit(self, unit_id: int) -> Unit | None:
        return await self._get(("unit", unit_id), lambda s: s.get(Unit, unit_id))

    def clear(self) -> None:
        self._items.clear()
