"""What the command-line modules share: user errors and a database session per command."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from storage import repo
from storage.db import make_async_engine, session_factory, session_scope
from storage.models import Unit

T = TypeVar("T")


class CliError(Exception):
    """A user error: printed without a traceback, exit status 2."""


async def with_session(settings: Settings, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``fn`` in one committed transaction on a short-lived engine."""
    engine = make_async_engine(settings.database_url)
    try:
        async with session_scope(session_factory(engine)) as session:
            return await fn(session)
    finally:
        await engine.dispose()


async def unit_or_fail(session: AsyncSession, code: str) -> Unit:
    unit = await repo.unit_by_code(session, code)
    if unit is None:
        raise CliError(f"Không có đơn vị mã {code} / unknown unit {code}")
    return unit


__all__ = ["CliError", "unit_or_fail", "with_session"]
