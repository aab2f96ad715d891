"""The Alembic revisions build exactly the schema the models declare, on SQLite and PostgreSQL.

A model change without its revision (or a revision that differs from the model) would work in
tests that create tables from the models and fail on a commune's upgraded database.
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import alembic_config, make_sync_engine, migrate


def _schema_diff(url: str) -> list:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()


def _names(url: str, table: str, what: str) -> set[str]:
    """Names of the table's ``what`` ("indexes" or "columns") as the database has them."""
    engine = make_sync_engine(url)
    try:
        return {item["name"] for item in getattr(inspect(engine), f"get_{what}")(table)}
    finally:
        engine.dispose()


def test_migrations_match_the_models(db_url):
    migrate(db_url)
    assert _schema_diff(db_url) == []
    assert "ix_auditlog_actor_at" in _names(db_url, "auditlog", "indexes")


def test_the_newest_revision_downgrades_and_upgrades_again(db_url):
    migrate(db_url)
    command.downgrade(alembic_config(db_url), "-1")
    assert "answered_by" not in _names(db_url, "faq_query", "columns")
    migrate(db_url)
    assert _schema_diff(db_url) == []
