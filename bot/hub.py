"""The Hub: every long-lived service a process needs, opened and closed together.

Web, worker and scheduler processes each open one Hub; ``coso serve`` opens one
and runs all three roles on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cache import RowCache
from bot.locks import LockFactory, make_lock_factory
from bot.logsetup import register_channel_secrets
from bot.queue import Queue, make_queue
from bot.ratelimit import RateLimiter, make_rate_limiter
from bot.settings import Settings
from bot.zalo_store import DbZaloTokenStore
from connectors.base import Platform
from connectors.registry import make_connectors
from connectors.webchat import WebchatConnector
from handlers.base import Dispatcher
from handlers.conversation import build_dispatcher
from handlers.faq_chat import FaqService
from storage.db import make_async_engine, session_factory
from storage.models import Channel

log = logging.getLogger(__name__)


@dataclass
class Hub:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    queue: Queue
    limiter: RateLimiter
    locks: LockFactory
    http: aiohttp.ClientSession
    connectors: dict[str, Any]
    dispatcher: Dispatcher
    cache: RowCache = None  # type: ignore[assignment]
    redis: aioredis.Redis | None = None
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def open(cls, settings: Settings) -> Hub:
        engine = make_async_engine(settings.database_url)
        sessions = session_factory(engine)
        client = None
        if settings.redis_url:
            # A blocking pool: under a burst, requests wait for a connection instead of failing.
            pool = aioredis.BlockingConnectionPool.from_url(settings.redis_url, max_connections=settings.redis_pool_size,
                                                            timeout=10)
            client = aioredis.Redis(connection_pool=pool)
        queue = make_queue(settings, engine, client)
        await queue.start()
        locks = make_lock_factory(settings, client)
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.send_timeout))
        token_store = DbZaloTokenStore(sessions, locks)
        connectors: dict[str, Any] = dict(make_connectors(settings, http, token_store))
        connectors[Platform.WEBCHAT] = WebchatConnector()
        hub = cls(settings=settings, engine=engine, sessions=sessions, queue=queue,
                  limiter=make_rate_limiter(settings, client), locks=locks, http=http,
                  connectors=connectors, dispatcher=build_dispatcher(), cache=RowCache(sessions), redis=client)
        hub.services["faq"] = FaqService(max_indexes=settings.faq_index_cache)
        await hub.load_secrets()
        return hub

    async def load_secrets(self) -> None:
        """Register every channel's secrets with the log redactor."""
        async with self.sessions() as session:
            for channel in (await session.exec(select(Channel))).all():
                register_channel_secrets(channel.config)

    async def close(self) -> None:
        for connector in self.connectors.values():
            try:
                await connector.close()
            except Exception:  # closing must not stop the rest from closing
                log.exception("closing connector failed")
        await self.http.close()
        await self.queue.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
