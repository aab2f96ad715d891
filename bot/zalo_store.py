"""Zalo token pairs kept in the channel's row (the database is the source of truth)."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.locks import LockFactory
from bot.logsetup import register_channel_secrets
from connectors.zalo_tokens import ZaloTokens
from storage.db import session_scope
from storage.models import Channel

log = logging.getLogger(__name__)


class DbZaloTokenStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], locks: LockFactory) -> None:
        self._sessions = sessions
        self._locks = locks

    async def load(self, channel_id: int) -> ZaloTokens:
        async with self._sessions() as session:
            channel = await session.get(Channel, channel_id)
            if channel is None:
                raise LookupError(f"channel {channel_id} not found")
            cfg = channel.config
            return ZaloTokens(access_token=cfg.get("access_token", ""), refresh_token=cfg.get("refresh_token", ""),
                              expires_at=float(cfg.get("access_expires_at") or 0))

    async def save(self, channel_id: int, tokens: ZaloTokens) -> None:
        register_channel_secrets({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token})
        async with session_scope(self._sessions) as session:
            channel = await session.get(Channel, channel_id, with_for_update=True)
            if channel is None:
                raise LookupError(f"channel {channel_id} not found")
            channel.config = {**channel.config, "access_token": tokens.access_token,
                              "refresh_token": tokens.refresh_token, "access_expires_at": tokens.expires_at}
            channel.needs_reauth = False
            channel.status_note = None
            session.add(channel)

    async def mark_needs_reauth(self, channel_id: int, reason: str) -> None:
        async with session_scope(self._sessions) as session:
            channel = await session.get(Channel, channel_id)
            if channel is None:
                return
            channel.needs_reauth = True
            channel.status_note = f"Cần cấp quyền lại cho OA (needs re-authorisation): {reason}"[:500]
            session.add(channel)

    def lock(self, name: str) -> AbstractAsyncContextManager[None]:
        return self._locks.lock(name)
