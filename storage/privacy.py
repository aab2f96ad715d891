"""Citizens' personal data: export on request, delete on request, and purge after the retention period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelIdentity, Citizen, FaqQuery, Message, utcnow

DELETED_NOTE = "không gửi: người dân đã yêu cầu xóa dữ liệu"


async def find_identity(session: AsyncSession, channel_id: int, platform_user_id: str) -> ChannelIdentity | None:
    return (await session.exec(select(ChannelIdentity).where(
        ChannelIdentity.channel_id == channel_id, ChannelIdentity.platform_user_id == platform_user_id))).first()


async def export_citizen(session: AsyncSession, citizen_id: int) -> dict[str, Any]:
    """Everything the hub keeps about one citizen, as JSON-ready data."""
    citizen = await session.get(Citizen, citizen_id)
    if citizen is None:
        raise LookupError(citizen_id)
    identities = (await session.exec(select(ChannelIdentity).where(ChannelIdentity.citizen_id == citizen_id))).all()
    messages = (await session.exec(select(Message).where(Message.citizen_id == citizen_id)
                                   .order_by(col(Message.id)))).all()
    queries = (await session.exec(select(FaqQuery).where(FaqQuery.citizen_id == citizen_id))).all()
    return {
        "citizen": {"id": citizen.id, "display_name": citizen.display_name, "phone": citizen.phone,
                    "created_at": citizen.created_at.isoformat()},
        "identities": [{"channel_id": i.channel_id, "platform_user_id": i.platform_user_id,
                        "last_interaction_at": i.last_interaction_at.isoformat() if i.last_interaction_at else None,
                        "following": i.following, "consent": i.consent} for i in identities],
        "messages": [{"direction": m.direction, "channel_id": m.channel_id, "kind": m.kind, "text": m.text,
                      "status": m.status, "created_at": m.created_at.isoformat()} for m in messages],
        "faq_questions": [{"text": q.text, "outcome": q.outcome, "created_at": q.created_at.isoformat()}
                          for q in queries],
    }


async def delete_citizen(session: AsyncSession, citizen_id: int) -> int:
    """Erase a citizen: their messages' content, questions, identities and the citizen row.

    Message rows stay (without text, body or link to the person) so that deduplication and
    statistics keep working; returns the number of messages blanked.  Messages still waiting to be
    sent to them are given up (the sender only sends ``pending`` rows).
    """
    await session.exec(update(Message).where(  # type: ignore[call-overload]
        col(Message.citizen_id) == citizen_id, Message.direction == "out", Message.status == "pending").values(
        status="failed", error=DELETED_NOTE))
    result = await session.exec(update(Message).where(col(Message.citizen_id) == citizen_id).values(  # type: ignore[call-overload]
        text=None, body={}, citizen_id=None, identity_id=None))
    await session.exec(delete(FaqQuery).where(col(FaqQuery.citizen_id) == citizen_id))  # type: ignore[call-overload]
    await session.exec(delete(ChannelIdentity).where(col(ChannelIdentity.citizen_id) == citizen_id))  # type: ignore[call-overload]
    await session.exec(delete(Citizen).where(col(Citizen.id) == citizen_id))  # type: ignore[call-overload]
    return result.rowcount or 0


async def purge_old_messages(session: AsyncSession, older_than_days: int) -> int:
    """Blank the content of messages (and drop logged questions) older than the retention period.

    Returns how many messages were blanked. Messages still waiting to be sent are kept.
    """
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = await session.exec(update(Message).where(  # type: ignore[call-overload]
        col(Message.created_at) < cutoff, col(Message.status) != "pending",
        col(Message.text).is_not(None)).values(text=None, body={}))
    await session.exec(delete(FaqQuery).where(col(FaqQuery.created_at) < cutoff))  # type: ignore[call-overload]
    return result.rowcount or 0
