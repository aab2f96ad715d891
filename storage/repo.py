"""Small queries shared by the web app, the worker and the command line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditLog, Channel, ChannelIdentity, Citizen, Message, Unit

# Statements of the per-message hot path, built once (building them costs more than running them).
_IDENTITY = (select(ChannelIdentity, Citizen).join(Citizen, Citizen.id == ChannelIdentity.citizen_id)
             .where(ChannelIdentity.channel_id == bindparam("channel_id"),
                    ChannelIdentity.platform_user_id == bindparam("user")))
_INBOUND_ID = select(Message.id).where(Message.channel_id == bindparam("channel_id"), Message.direction == "in",
                                       Message.platform_id == bindparam("platform_id"))


MAX_ID = 2**31 - 1  # INTEGER primary keys (PostgreSQL refuses a bigger number in a query)


def audit(session: AsyncSession, actor: str, action: str, unit_id: int | None, **detail: object) -> None:
    """Write an ``audit_log`` row (the caller commits); never pass a citizen's text or a secret."""
    session.add(AuditLog(actor=actor[:64], action=action, unit_id=unit_id, detail=detail))


def parse_id(text: object) -> int | None:
    """A row id from untrusted text (a button payload, a form field, a URL), or None."""
    value = str(text or "")
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    return (await session.exec(select(Unit).where(Unit.code == code))).first()


async def channel_by_external(session: AsyncSession, platform: str, external_id: str) -> Channel | None:
    stmt = select(Channel).where(Channel.platform == platform, Channel.external_id == external_id)
    return (await session.exec(stmt)).first()


async def channels_of(session: AsyncSession, platform: str) -> list[Channel]:
    return list((await session.exec(select(Channel).where(Channel.platform == platform))).all())


async def identity_for(session: AsyncSession, channel: Channel, platform_user_id: str, **on_create: Any,
                       ) -> tuple[ChannelIdentity, Citizen, bool]:
    """The citizen's identity on this channel, created on first contact (with ``on_create`` fields).

    Returns (identity, citizen, created).
    """
    found = await existing_identity(session, channel.id, platform_user_id)  # type: ignore[arg-type]
    if found is not None:
        return found[0], found[1], False
    # One conversation is handled by one worker at a time (the queue orders by conversation), so
    # no one else creates this identity meanwhile; if it happened anyway, the unique constraint
    # fails the transaction and the job is retried, finding the identity.
    citizen = Citizen(unit_id=channel.unit_id)
    session.add(citizen)
    await session.flush()
    identity = ChannelIdentity(channel_id=channel.id, citizen_id=citizen.id, platform_user_id=platform_user_id,
                               **on_create)
    session.add(identity)
    await session.flush()
    return identity, citizen, True


async def existing_identity(session: AsyncSession, channel_id: int, platform_user_id: str,
                            ) -> tuple[ChannelIdentity, Citizen] | None:
    """The identity and citizen if this user has written to the channel before (never creates one)."""
    found = (await session.exec(_IDENTITY, params={"channel_id": channel_id, "user": platform_user_id})).first()
    return (found[0], found[1]) if found is not None else None


async def inbound_message_id(session: AsyncSession, channel_id: int, platform_id: str) -> int | None:
    """The id of an inbound message already stored (the deduplication check)."""
    return (await session.exec(_INBOUND_ID, params={"channel_id": channel_id, "platform_id": platform_id})).first()


async def pending_replies(session: AsyncSession, inbound_id: int) -> list[Message]:
    stmt = (select(Message).where(Message.reply_to_id == inbound_id, Message.direction == "out",
                                  Message.status == "pending").order_by(col(Message.id)))
    return list((await session.exec(stmt)).all())


async def failed_outbound(session: AsyncSession, limit: int = 100) -> list[Message]:
    stmt = (select(Message).where(Message.direction == "out",
                                  col(Message.status).in_(["failed", "window_expired"]))
            .order_by(col(Message.id).desc()).limit(limit))
    return list((await session.exec(stmt)).all())


def unit_subtree_ids(units: list[Unit], root_id: int) -> set[int]:
    """Ids of a unit and every unit below it."""
    children: dict[int | None, list[int]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.id)  # type: ignore[arg-type]
    out, stack = set(), [root_id]
    while stack:
        uid = stack.pop()
        if uid in out:
            continue
        out.add(uid)
        stack.extend(children.get(uid, []))
    return out


async def unit_chain(session: AsyncSession, unit: Unit) -> list[Unit]:
    """The unit and its ancestors, nearest first."""
    chain, current, seen = [unit], unit, {unit.id}
    while current.parent_id is not None and current.parent_id not in seen:
        parent = await session.get(Unit, current.parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        current = parent
    return chain
