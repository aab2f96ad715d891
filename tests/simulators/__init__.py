"""Local HTTP simulators of Zalo OA, the Facebook Graph API and the Telegram Bot API.

Each simulator is a class with ``.app`` (an aiohttp ``web.Application``), a ``calls`` list of
every request it received, and failure injection. Run one as a real HTTP server with::

    async with serve(ZaloSim().app) as url:     # url = "http://127.0.0.1:<port>"
        ...

or ``server = await start(app)`` / ``await server.close()`` when a context manager does not fit.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    """One request a simulator received."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    status: int = 200  # what the simulator answered
    response: Any = None


@dataclass
class Injected:
    """A queued failure: answer ``status`` with ``body`` instead of handling the request."""

    status: int
    body: Any


class SimBase:
    """Shared plumbing: call recording, latency, queued failures."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.latency: float = 0.0
        self._injected: deque[Injected] = deque()
        self.app = web.Application(client_max_size=16 * 1024 * 1024)

    def inject(self, status: int, body: Any, n: int = 1) -> None:
        """Answer the next ``n`` (API) requests with ``status`` and JSON ``body``."""
        for _ in range(n):
            self._injected.append(Injected(status, body))

    def clear_failures(self) -> None:
        self._injected.clear()

    def calls_to(self, suffix: str) -> list[Call]:
        return [c for c in self.calls if c.path.endswith(suffix)]

    async def _record(self, request: web.Request) -> Call:
        json_body = form = None
        ctype = request.content_type
        if request.can_read_body:
            if ctype == "application/json":
                try:
                    json_body = await request.json()
                except ValueError:
                    json_body = None
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = {k: v if isinstance(v, str) else "<file>" for k, v in (await request.post()).items()}
        call = Call(method=request.method, path=request.path, headers=dict(request.headers),
                    query=dict(request.query), json=json_body, form=form)
        self.calls.append(call)
        return call

    async def _delay(self) -> None:
        if self.latency > 0:
            await asyncio.sleep(self.latency)

    def _take_injected(self) -> Injected | None:
        return self._injected.popleft() if self._injected else None

    @staticmethod
    def _answer(call: Call, status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        call.status = status
        call.response = body
        return web.json_response(body, status=status, headers=headers)


@dataclass
class Server:
    runner: web.AppRunner
    url: str
    extra: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        await self.runner.cleanup()


async def start(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> Server:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sock_host, sock_port = runner.addresses[0][:2]
    return Server(runner=runner, url=f"http://{sock_host}:{sock_port}")


@asynccontextmanager
async def serve(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    server = await start(app, host, port)
    try:
        yield server.url
    finally:
        await server.close()


# ---------------------------------------------------------------------------- test doubles


@dataclass
class FakeChannel:
    """Implements connectors.base.ChannelLike without a database."""

    id: int
    platform: str
    external_id: str
    config: dict[str, Any]
    unit_id: int = 1


class MemoryTokenStore:
    """An in-memory ZaloTokenStore (one process): counts saves and records re-auth marks."""

    def __init__(self) -> None:
        from connectors.zalo_tokens import ZaloTokens

        self._cls = ZaloTokens
        self.tokens: dict[int, Any] = {}
        self.saves: list[tuple[int, Any]] = []
        self.reauth: list[tuple[int, str]] = []
        self._locks: dict[str, asyncio.Lock] = {}
        self.on_save: Any = None  # optional async callback(channel_id, tokens), called before storing

    def put(self, channel_id: int, access: str, refresh: str, expires_at: float) -> None:
        self.tokens[channel_id] = self._cls(access, refresh, expires_at)

    async def load(self, channel_id: int) -> Any:
        t = self.tokens[channel_id]
        return self._cls(t.access_token, t.refresh_token, t.expires_at)

    async def save(self, channel_id: int, tokens: Any) -> None:
        if self.on_save is not None:
            await self.on_save(channel_id, tokens)
        self.tokens[channel_id] = self._cls(tokens.access_token, tokens.refresh_token, tokens.expires_at)
        self.saves.append((channel_id, tokens))

    async def mark_needs_reauth(self, channel_id: int, reason: str) -> None:
        self.reauth.append((channel_id, reason))

    def lock(self, name: str) -> asyncio.Lock:
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        return lock
