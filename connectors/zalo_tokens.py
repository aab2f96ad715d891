"""Zalo OA token pairs and the store that keeps them (the database is the source of truth).

Access tokens live 25 hours; refresh tokens are single use: every refresh returns a
new pair and burns the old refresh token. Refreshes therefore happen under a lock that
serialises every process, and the new pair is stored before it is used.
"""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol


@dataclass
class ZaloTokens:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds; 0 or less: unknown (no refresh ahead, only on -216/-220)

    def expiring(self, ahead: float, now: float | None = None) -> bool:
        """True if the access token is missing or expires within ``ahead`` seconds."""
        if not self.access_token:
            return True
        if self.expires_at <= 0:
            return False
        return (now if now is not None else time.time()) >= self.expires_at - ahead

    def __repr__(self) -> str:  # never print tokens
        return f"ZaloTokens(expires_at={self.expires_at!r})"


class ZaloTokenStore(Protocol):
    async def load(self, channel_id: int) -> ZaloTokens: ...

    async def save(self, channel_id: int, tokens: ZaloTokens) -> None: ...

    async def mark_needs_reauth(self, channel_id: int, reason: str) -> None: ...

    def lock(self, name: str) -> AbstractAsyncContextManager[None]:
        """A lock shared by every process (Redis / PostgreSQL advisory lock / in-process)."""
        ...
