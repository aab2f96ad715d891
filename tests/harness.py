"""An in-process hub for end-to-end tests: real database, real queue, real HTTP, simulated platforms."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.hub import Hub
from bot.settings import Settings
from bot.web import create_app
from bot.worker import run_worker
from storage.db import migrate, session_scope
from storage.models import Channel, Unit


@dataclass
class HubHarness:
    hub: Hub
    client: TestClient
    settings: Settings
    stop: asyncio.Event
    units: dict[str, Unit] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    worker: asyncio.Task | None = None

    async def add_unit(self, code: str, name: str, kind: str = "commune", parent: str | None = None) -> Unit:
        async with session_scope(self.hub.sessions) as session:
            unit = Unit(code=code, name=name, kind=kind,
                        parent_id=self.units[parent].id if parent else None)
            session.add(unit)
            await session.flush()
        self.units[code] = unit
        return unit

    async def add_channel(self, name: str, unit: str, platform: str, external_id: str,
                          config: dict[str, Any]) -> Channel:
        async with session_scope(self.hub.sessions) as session:
            channel = Channel(unit_id=self.units[unit].id, platform=platform, external_id=external_id,
                              name=name, config=config)
            session.add(channel)
            await session.flush()
        self.channels[name] = channel
        return channel

    def start_worker(self, concurrency: int = 2) -> None:
        self.stop.clear()
        self.worker = asyncio.create_task(run_worker(self.hub, self.stop, concurrency))

    async def stop_worker(self) -> None:
        self.stop.set()
        if self.worker is not None:
            await self.worker
            self.worker = None


async def wait_until(predicate: Callable[[], Awaitable[bool] | bool], timeout: float = 15.0,
                     what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running_hub(db_url: str, *, redis_url: str | None = None, redis_prefix: str = "coso:",
                      worker: bool = True, **overrides: Any) -> AsyncIterator[HubHarness]:
    # Platforms not simulated by a test point at a closed local port: tests never reach the internet.
    nowhere = "http://127.0.0.1:9"
    for name in ("zalo_api_base", "zalo_oauth_base", "facebook_graph_base", "telegram_api_base"):
        overrides.setdefault(name, nowhere)
    settings = Settings(database_url=db_url, redis_url=redis_url, redis_prefix=redis_prefix, seed_demo=False,
                        retry_base_delay=0.05, retry_max_delay=0.5, lease_seconds=5.0, **overrides)
    migrate(db_url)
    hub = await Hub.open(settings)
    client = TestClient(TestServer(create_app(hub)))
    await client.start_server()
    harness = HubHarness(hub=hub, client=client, settings=settings, stop=asyncio.Event())
    try:
        if worker:
            harness.start_worker()
        yield harness
    finally:
        await harness.stop_worker()
        await client.close()
        await hub.close()
