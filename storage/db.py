"""Database URLs, engines, sessions and migrations.

``COSO_DATABASE_URL`` accepts ``sqlite:///path.db`` and ``postgresql://user@host/db``;
the async driver (aiosqlite, psycopg) is chosen here, so callers never name one.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _driver_url(url: str, *, is_async: bool) -> URL:
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return u.set(drivername="sqlite+aiosqlite" if is_async else "sqlite")
    if backend in ("postgresql", "postgres"):
        # asyncpg on the hot paths (much less overhead per statement); psycopg for migrations.
        return u.set(drivername="postgresql+asyncpg" if is_async else "postgresql+psycopg")
    raise ValueError(f"Unsupported database URL scheme: {u.drivername} (use sqlite:/// or postgresql://)")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before we answer a webhook 200.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_async_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(_driver_url(url, is_async=True))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping (a round trip on every checkout, on the hot path); connections are recycled instead.
    return create_async_engine(_driver_url(url, is_async=True), pool_size=pool_size, max_overflow=pool_size,
                               pool_recycle=1800)


def make_sync_engine(url: str) -> Engine:
    engine = create_engine(_driver_url(url, is_async=False))
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that commits on success and rolls back on error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", _driver_url(url, is_async=False).render_as_string(hide_password=False)
                        .replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Create or upgrade the schema to the newest revision (safe to run from several processes)."""
    if is_sqlite(url):
        db_path = make_url(url).database
        if not db_path or db_path == ":memory:":
            command.upgrade(alembic_config(url), "head")
            return
        path = Path(db_path).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Serialise processes starting together on one file (web, worker, scheduler).
        with open(path.with_name(path.name + ".migrate.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            command.upgrade(alembic_config(url), "head")
        return
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            # Serialise concurrent migrations of web, worker and scheduler starting together.
            conn.execute(text("SELECT pg_advisory_lock(727274)"))
            try:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(727274)"))
                conn.commit()
    finally:
        engine.dispose()
