"""Outbound side of the worker: rate limit, send, record; retry transient failures; dead-letter the rest.

A message row moves ``pending → sent`` (or ``window_expired`` / ``failed``) once.
The row is checked before sending and written right after, so a crash after the
send was recorded never sends it again. (A crash between the platform's answer and
the record can still repeat that one send; no platform offers an idempotent send.)
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.faults import crash_point
from bot.hub import Hub
from bot.queue import Job
from connectors.base import Outbound, SendError, SendErrorKind, conversation_key
from connectors.windows import WINDOW_EXPIRED_NOTE, human_agent, window_open
from storage.db import session_scope
from storage.models import Channel, ChannelIdentity, Message, utcnow

log = logging.getLogger(__name__)

CHANNEL_NEEDS_REAUTH = "kênh cần được cấp quyền lại"
CHANNEL_INACTIVE = "kênh đã tắt"


def backoff_delay(hub: Hub, attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter; the platform's retry_after wins when larger."""
    base = min(hub.settings.retry_max_delay, hub.settings.retry_base_delay * 2 ** max(0, attempt - 1))
    delay = base * (0.5 + random.random() / 2)
    return max(delay, retry_after or 0.0)


async def _finish(hub: Hub, message_id: int, status: str, *, error: str | None = None,
                  platform_id: str | None = None, attempts: int | None = None) -> None:
    values: dict = {"status": status, "error": error[:500] if error else None}
    if platform_id is not None:
        values["platform_id"] = platform_id
    if attempts is not None:
        values["attempts"] = attempts
    if status == "sent":
        values["sent_at"] = utcnow()
    names = tuple(sorted(values))
    stmt = _UPDATES.get(names)
    if stmt is None:  # one statement per set of columns, built once
        stmt = _UPDATES[names] = update(Message).where(Message.id == bindparam("message_id")).values(
            {name: bindparam(name) for name in names})
    async with session_scope(hub.sessions) as session:
        await (await session.connection()).execute(stmt, {"message_id": message_id, **values})


_UPDATES: dict[tuple[str, ...], Any] = {}
_PENDING = select(Message.status, Message.body, Message.channel_id).where(Message.id == bindparam("id"))


async def _pending(hub: Hub, message_id: int) -> tuple[str, dict, int] | None:
    """(status, body, channel id) of a stored reply."""
    async with hub.sessions() as session:
        row = (await session.exec(_PENDING, params={"id": message_id})).first()
    return tuple(row) if row else None  # type: ignore[return-value]


async def _mark_needs_reauth(hub: Hub, channel_id: int | None, reason: str) -> None:
    """Credentials were refused (Facebook 190, Telegram invalid token, Zalo refresh refused): a person must act."""
    if channel_id is None:
        return
    async with session_scope(hub.sessions) as session:
        await session.exec(update(Channel).where(col(Channel.id) == channel_id).values(  # type: ignore[call-overload]
            needs_reauth=True, status_note=f"Cần kết nối lại kênh (credentials refused): {reason}"[:500]))
    hub.cache.clear()
    log.error("channel %s needs re-authorisation by a person / kênh cần được kết nối lại", channel_id)


@dataclass(slots=True)
class Outcome:
    """What to do with the queue job after an attempt: "ack" (final), "retry" after ``delay``, or "dead"."""

    action: str
    delay: float = 0.0
    reason: str = ""


ACK = Outcome("ack")


def outbox_payload(message_id: int, identity: ChannelIdentity, channel_id: int) -> dict:
    """What the sender needs without reading the identity again (the row stays the source of truth)."""
    last = identity.last_interaction_at
    return {"message_id": message_id, "channel_id": channel_id, "user_id": identity.platform_user_id,
            "last_at": last.timestamp() if last else None}


def outbox_job(message_id: int, identity: ChannelIdentity, channel_id: int) -> tuple[str, dict]:
    """(queue key, payload) of the outbox job sending a stored message: keyed by the conversation, so
    it runs after what the citizen sent before and never beside another send to them."""
    return conversation_key(channel_id, identity.platform_user_id), outbox_payload(message_id, identity, channel_id)


class NotRetryable(Exception):
    """A message that cannot be sent again (message in Vietnamese / English)."""


async def reset_failed(session: AsyncSession, message_id: int) -> tuple[str, dict]:
    """Make a failed outbound message pending again (after its channel was re-authorised, say) and
    return the outbox job that sends it; the caller queues it after committing."""
    msg = await session.get(Message, message_id)
    if msg is None or msg.direction != "out" or msg.status != "failed":
        raise NotRetryable(f"#{message_id} không phải tin gửi lỗi / not a failed message")
    identity = await session.get(ChannelIdentity, msg.identity_id) if msg.identity_id else None
    if identity is None:
        raise NotRetryable(f"#{message_id}: người nhận đã bị xóa / recipient deleted")
    msg.status, msg.error, msg.attempts = "pending", None, 0
    session.add(msg)
    return outbox_job(message_id, identity, msg.channel_id)


async def send_job(hub: Hub, job: Job) -> None:
    """Handle one outbox job: the queue job is acked, retried or dead-lettered here."""
    # "tries": attempts already made inline by the inbound job before it handed the message over.
    outcome = await deliver(hub, job.payload, job.attempts + int(job.payload.get("tries", 0)))
    if outcome.action == "retry":
        await hub.queue.retry(job, outcome.delay)
    elif outcome.action == "dead":
        await hub.queue.dead(job, outcome.reason)
    else:
        await hub.queue.ack(job)


async def deliver(hub: Hub, payload: dict, attempt: int, *, body: dict | None = None,
                  max_wait: float | None = None) -> Outcome:
    """One attempt to send one stored reply; records the result on the message row.

    ``body`` is given when the caller has just created the pending row (sending inline from the
    inbound job): the row is not read again. ``max_wait``: if the rate limit asks to wait longer,
    give up with "retry" (the caller hands the message to the outbox instead of blocking).
    """
    # Every outbox payload is made by outbox_payload: the recipient travels with it.
    message_id, user_id = int(payload["message_id"]), payload.get("user_id")
    last_at = datetime.fromtimestamp(payload["last_at"], UTC) if payload.get("last_at") else None
    if body is None:
        stored = await _pending(hub, message_id)
        if stored is None or stored[0] != "pending":
            return ACK  # already sent or decided: exactly once
        body, channel_id = stored[1], stored[2]
    else:
        channel_id = int(payload["channel_id"])
    channel = await hub.cache.channel(channel_id)
    if channel is None or user_id is None:
        return ACK
    if not channel.active or channel.needs_reauth:
        note = CHANNEL_NEEDS_REAUTH if channel.needs_reauth else CHANNEL_INACTIVE
        await _finish(hub, message_id, "failed", error=note, attempts=attempt)
        return Outcome("dead", reason=note)
    if not window_open(channel.platform, last_at, utcnow(), human_agent=human_agent(channel, bool(body.get("human")))):
        await _finish(hub, message_id, "window_expired", error=WINDOW_EXPIRED_NOTE)
        return ACK

    connector = hub.connectors[channel.platform]
    for limit in connector.rate_limits(channel, user_id):
        wait = await hub.limiter.acquire(limit.key, limit.limit, limit.period)
        if max_wait is not None and wait > max_wait:
            return Outcome("retry")
        if wait > 0:
            await asyncio.sleep(wait)
    try:
        result = await connector.send(channel, user_id, Outbound.from_dict(body))
    except SendError as exc:
        return await _failed(hub, payload, message_id, attempt, exc)
    except (TimeoutError, OSError) as exc:
        error = SendError(SendErrorKind.TRANSIENT, type(exc).__name__, str(exc))
        return await _failed(hub, payload, message_id, attempt, error)
    await _finish(hub, message_id, "sent", platform_id=result.platform_message_id, attempts=attempt)
    crash_point("outbox-after-record")
    return ACK


async def _failed(hub: Hub, payload: dict, message_id: int, attempt: int, exc: SendError) -> Outcome:
    if exc.kind == SendErrorKind.WINDOW:
        await _finish(hub, message_id, "window_expired", error=f"{WINDOW_EXPIRED_NOTE} ({exc.code})",
                      attempts=attempt)
        return ACK
    retryable = exc.kind in (SendErrorKind.TRANSIENT, SendErrorKind.TOKEN)  # TOKEN: still rejected after refresh
    if retryable and attempt < hub.settings.send_max_attempts:
        delay = backoff_delay(hub, attempt, exc.retry_after)
        log.warning("send of message %s failed (%s), retry %d in %.1fs", message_id, exc.code, attempt, delay)
        await _finish(hub, message_id, "pending", error=f"{exc.code}: {exc.message}", attempts=attempt)
        return Outcome("retry", delay=delay)
    reason = f"{exc.kind}: {exc.code} {exc.message}".strip()
    log.error("send of message %s failed permanently: %s", message_id, reason)
    if exc.kind == SendErrorKind.AUTH:
        await _mark_needs_reauth(hub, payload.get("channel_id"), reason)
    await _finish(hub, message_id, "failed", error=reason, attempts=attempt)
    return Outcome("dead", reason=reason)
