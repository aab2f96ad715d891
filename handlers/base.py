"""Handlers: the business side of a conversation, free of platforms and HTTP.

Modelled on python-telegram-bot: a :class:`Dispatcher` holds handlers in
order; the first whose ``check`` accepts the event handles it and returns the
messages to send. A handler gets a :class:`Context` with the event, the
citizen's identity, the unit and a database session; whatever it changes in
that session is committed together with the replies it returns.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.base import Inbound, Outbound
from storage.models import Channel, ChannelIdentity, Citizen, Unit

log = logging.getLogger(__name__)


@dataclass
class Context:
    event: Inbound
    channel: Channel
    unit: Unit
    citizen: Citizen
    identity: ChannelIdentity
    session: AsyncSession
    services: dict[str, Any] = field(default_factory=dict)  # shared services (e.g. "faq")

    @property
    def text(self) -> str:
        return (self.event.text or "").strip()

    @property
    def payload(self) -> str | None:
        return self.event.payload

    @property
    def state(self) -> dict[str, Any]:
        return self.identity.state

    def set_state(self, **values: Any) -> None:
        """Replace the conversation state (a new dict, so the ORM sees a change; none if it is the same)."""
        state = {k: v for k, v in values.items() if v is not None}
        if state != self.identity.state:
            self.identity.state = state


class Handler(Protocol):
    def check(self, ctx: Context) -> bool: ...

    async def handle(self, ctx: Context) -> list[Outbound]: ...


HandleFn = Callable[[Context], Awaitable[list[Outbound]]]


@dataclass
class FnHandler:
    """A handler made of a predicate and a coroutine."""

    predicate: Callable[[Context], bool]
    fn: HandleFn

    def check(self, ctx: Context) -> bool:
        return self.predicate(ctx)

    async def handle(self, ctx: Context) -> list[Outbound]:
        return await self.fn(ctx)


class Dispatcher:
    def __init__(self, handlers: list[Handler] | None = None) -> None:
        self.handlers: list[Handler] = list(handlers or [])

    def add(self, handler: Handler) -> None:
        self.handlers.append(handler)

    async def dispatch(self, ctx: Context) -> list[Outbound]:
        for handler in self.handlers:
            if handler.check(ctx):
                return await handler.handle(ctx)
        return []


def fold(text: str) -> str:
    """Lower-case, accents removed, spaces collapsed: for matching commands typed any way."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", re.sub(r"[^\w/#]+", " ", text)).strip()
