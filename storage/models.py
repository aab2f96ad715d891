"""SQLModel tables: the source of truth.

Every schema change goes through an Alembic migration in storage/migrations.
Times are timezone-aware UTC (sqlmodel's UTCDateTime); they are shown in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

#: 64-bit ids on PostgreSQL; SQLite needs INTEGER for its rowid autoincrement.
BIGINT_PK = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Unit(SQLModel, table=True):
    """A province, commune or village; units form a tree."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=255)
    kind: str = Field(default="commune", max_length=16)  # province | commune | village
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Channel(SQLModel, table=True):
    """A platform account of a unit (Zalo OA, Facebook Page, Telegram bot, web chat)."""

    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_channel_platform_external"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=128)  # OA id, page id, bot id, web chat slug
    name: str = Field(default="", max_length=255)
    # Credentials and platform settings. Secrets: never log this.
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)
    needs_reauth: bool = Field(default=False)
    status_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Citizen(SQLModel, table=True):
    """One person. Identities on several platforms stay separate until linked."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    display_name: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class ChannelIdentity(SQLModel, table=True):
    """A citizen's id on one channel, with the last interaction time the window rules need."""

    __table_args__ = (UniqueConstraint("channel_id", "platform_user_id", name="uq_identity_channel_user"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    platform_user_id: str = Field(max_length=128)
    last_interaction_at: datetime | None = Field(default=None)
    following: bool | None = Field(default=None)
    consent: bool = Field(default=False)
    # Conversation state of handlers (e.g. a multi-step form), small JSON.
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    """Every inbound and outbound message.

    Inbound: unique on (channel, platform_id) — that is the deduplication.
    Outbound: unique on idempotency_key — a reply is created once and sent once.
    """

    __table_args__ = (
        UniqueConstraint("channel_id", "direction", "platform_id", name="uq_message_platform_id"),
        Index("ix_message_status_direction", "direction", "status"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIGINT_PK, primary_key=True, autoincrement=True))
    direction: str = Field(max_length=3)  # in | out
    channel_id: int = Field(foreign_key="channel.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", index=True)
    identity_id: int | None = Field(default=None, foreign_key="channelidentity.id")
    platform_id: str | None = Field(default=None, max_length=255)  # msg_id / mid / update_id / sent id
    idempotency_key: str | None = Field(default=None, max_length=255, unique=True)
    kind: str = Field(default="text", max_length=32)
    text: str | None = Field(default=None, sa_column=Column(Text))
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # in: received | handled | ignored
    # out: pending | sent | failed (dead letter) | window_expired ("ngoài thời hạn tương tác")
    status: str = Field(default="received", max_length=32)
    error: str | None = Field(default=None, max_length=500)
    attempts: int = Field(default=0)
    reply_to_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = Field(default=None)


class StaffUser(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(default="", max_length=255)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="staff", max_length=32)  # admin | province_officer | officer | staff
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    # (actor, at): the log-in guard reads one account's latest attempts (bot/login_guard.py)
    __table_args__ = (Index("ix_auditlog_actor_at", "actor", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    unit_id: int | None = Field(default=None)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class QueueJob(SQLModel, table=True):
    """The embedded queue transport's jobs (bot/queue/sql.py)."""

    __tablename__ = "queue_job"
    __table_args__ = (
        Index("ix_queue_job_queue_key_id", "queue", "key", "id"),
        Index("ix_queue_job_queue_available", "queue", "available_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIGINT_PK, primary_key=True, autoincrement=True))
    queue: str = Field(max_length=32)
    key: str = Field(max_length=255)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON text
    available_at: float = Field(default=0.0)  # epoch seconds
    leased_until: float | None = Field(default=None)
    lease_token: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0)
    created_at: float = Field(default=0.0)


class QueueDead(SQLModel, table=True):
    """Jobs given up on (dead letters) of the embedded queue transport."""

    __tablename__ = "queue_dead"

    id: int | None = Field(default=None, primary_key=True)
    queue: str = Field(max_length=32, index=True)
    key: str = Field(max_length=255)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    failed_at: float = Field(default=0.0)


class FaqEntry(SQLModel, table=True):
    """A knowledge-base entry of a unit; a province's entries serve its communes."""

    __tablename__ = "faq_entry"
    __table_args__ = (UniqueConstraint("unit_id", "ext_id", name="uq_faq_unit_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    ext_id: str = Field(max_length=64)  # the import file's id column
    question: str = Field(sa_column=Column(Text, nullable=False))
    variants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    category: str | None = Field(default=None, max_length=128)
    attachment: str | None = Field(default=None, max_length=1000)
    active: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow)


class FaqQuery(SQLModel, table=True):
    """Citizens' questions as the bot handled them: answered, answered with low confidence or not at
    all, handed over to staff, or rejected by the citizen; kept for staff review and spot checks."""

    __tablename__ = "faq_query"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id")
    message_id: int | None = Field(default=None)
    text: str = Field(sa_column=Column(Text, nullable=False))
    normalized: str = Field(default="", max_length=500, index=True)
    # answered | suggested | unanswered | handover | chosen (a suggestion picked) | rejected
    outcome: str = Field(max_length=16)
    best_entry_id: int | None = Field(default=None)
    score: float | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    # Staff review in the console: "entry" (the question belongs to ``reviewed_entry_id``) or "none"
    # (no entry should answer it). Reviewed questions are labelled data: `coso faq labelled`.
    review: str | None = Field(default=None, max_length=16)
    reviewed_entry_id: int | None = Field(default=None)
    reviewed_by: str | None = Field(default=None, max_length=64)
    reviewed_at: datetime | None = Field(default=None)
    # A question handed over to staff, answered from the console (bot/staff_reply.py): the reply is an
    # outbound Message (its status says whether it reached the citizen).
    answered_by: str | None = Field(default=None, max_length=64)
    answered_at: datetime | None = Field(default=None)
    answer_message_id: int | None = Field(default=None)


class StaffSession(SQLModel, table=True):
    """A logged-in staff member's session (server side, so every web replica sees it)."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)  # sha256 of the cookie value
    user_id: int = Field(foreign_key="staffuser.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
