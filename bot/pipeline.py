"""Inbound side of the worker: deduplicate → store → dispatch → record replies → queue them.

Exactly-once: the inbound message row is unique per (channel, platform id); the
replies are written in the same transaction that marks it handled, each with an
idempotency key. A redelivered event finds its row handled and only re-queues
replies that are still pending, so a crash anywhere after the commit neither
loses nor duplicates a reply.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.faults import crash_point
from bot.hub import Hub
from bot.outbox import deliver, outbox_payload
from connectors.base import EventKind, Inbound
from handlers.base import Context
from storage import repo
from storage.db import session_scope
from storage.models import ChannelIdentity, Message, utcnow

log = logging.getLogger(__name__)

INBOUND = "inbound"
OUTBOX = "outbox"

#: Events that come from the citizen and so open the interaction window (a Page comment does not:
#: it only allows one private reply).
USER_INITIATED = {EventKind.TEXT, EventKind.POSTBACK, EventKind.ATTACHMENT, EventKind.LOCATION,
                  EventKind.FOLLOW, EventKind.SUBMIT_INFO}
#: Events a handler answers.
ANSWERED = {EventKind.TEXT, EventKind.POSTBACK, EventKind.ATTACHMENT, EventKind.LOCATION, EventKind.FOLLOW,
            EventKind.SUBMIT_INFO}


_INSERT_ONE = insert(Message).returning(Message.id)
_INSERT_MANY = insert(Message).returning(Message.id, sort_by_parameter_order=True)
_OLDER_PENDING = select(Message.id).where(Message.citizen_id == bindparam("citizen_id"), Message.direction == "out",
                                          Message.status == "pending").limit(1)


def inbound_job(event: Inbound) -> tuple[str, dict]:
    return event.conversation_key, {"event": event.to_dict()}


async def handle_inbound(hub: Hub, payload: dict) -> None:
    event = Inbound.from_dict(payload["event"])
    try:
        async with session_scope(hub.sessions) as session:
            replies = await _process(hub, session, event)
    except IntegrityError:
        # A row this event needs (its own, or the citizen's identity) was stored meanwhile by another
        # worker: once more from the top, now finding those rows.
        log.info("inbound %s on channel %s raced another worker; handling again", event.event_id,
                 event.channel_id)
        async with session_scope(hub.sessions) as session:
            replies = await _process(hub, session, event)
    crash_point("inbound-after-commit")
    to_outbox: list[tuple[str, dict]] = []
    for key, payload, body in replies:
        if body is None or to_outbox:  # once one reply goes through the outbox, the later ones follow it
            to_outbox.append((key, payload))
            continue
        # Send at once from here (no queue hop); a failed or rate-delayed attempt goes to the outbox.
        outcome = await deliver(hub, payload, 1, body=body, max_wait=1.0)
        if outcome.action == "retry":
            to_outbox.append((key, {**payload, "tries": 1}))
    if to_outbox:
        await hub.queue.enqueue_many(OUTBOX, to_outbox)
    await _acknowledge(hub, event)


async def _acknowledge(hub: Hub, event: Inbound) -> None:
    """Connectors that want to know an event was handled (Telegram: stop a button's spinner)."""
    connector = hub.connectors.get(event.platform)
    acknowledge = getattr(connector, "acknowledge", None)
    if acknowledge is None or event.kind != EventKind.POSTBACK:
        return
    channel = await hub.cache.channel(event.channel_id)
    if channel is None:
        return
    try:
        await acknowledge(channel, event)
    except Exception as exc:  # cosmetic: never fail or retry the job for it
        log.info("acknowledging %s event %s failed: %s", event.platform, event.event_id, type(exc).__name__)


async def _process(hub: Hub, session, event: Inbound) -> list[tuple[str, dict, dict | None]]:
    """Store the event and its replies; returns (key, outbox payload, body to send inline or None)."""
    key = event.conversation_key
    stored_id = await repo.inbound_message_id(session, event.channel_id, event.event_id)
    if stored_id is not None:
        # Seen before (platform retry, or our crash after commit): re-queue what was not sent yet.
        pending = await repo.pending_replies(session, stored_id)
        if not pending:
            return []
        identity = await session.get(ChannelIdentity, pending[0].identity_id)
        if identity is None:
            return []
        return [(key, outbox_payload(m.id, identity, m.channel_id), None) for m in pending]  # type: ignore[arg-type]

    channel = await hub.cache.channel(event.channel_id)
    unit = await hub.cache.unit(channel.unit_id) if channel is not None else None
    if channel is None or unit is None:
        log.warning("event for deleted channel %s dropped", event.channel_id)
        return []

    identity = citizen = None
    new_citizen = False
    if event.user_id and event.kind not in (EventKind.ECHO,):
        at = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC) if event.timestamp_ms else utcnow()
        following = {EventKind.FOLLOW: True, EventKind.UNFOLLOW: False}.get(event.kind)
        identity, citizen, new_citizen = await repo.identity_for(
            session, channel, event.user_id,
            last_interaction_at=at if event.kind in USER_INITIATED else None, following=following)
        if not new_citizen:
            if event.kind in USER_INITIATED and (identity.last_interaction_at is None
                                                 or at > identity.last_interaction_at):
                identity.last_interaction_at = at
            if following is not None:
                identity.following = following
            session.add(identity)
    elif event.user_id and event.kind == EventKind.ECHO:
        # a message the page/OA sent to this citizen (ours, or typed by a person in the platform's own
        # inbox): kept with the conversation — and erased with it — but never a contact of theirs
        found = await repo.existing_identity(session, channel.id, event.user_id)  # type: ignore[arg-type]
        if found is not None:
            identity, citizen = found

    replies = []
    if identity is not None and citizen is not None and event.kind in ANSWERED and channel.active \
            and event.answer:
        ctx = Context(event=event, channel=channel, unit=unit, citizen=citizen, identity=identity,
                      session=session, services=hub.services)
        replies = await hub.dispatcher.dispatch(ctx)
    status = "handled" if replies or event.kind in ANSWERED else "ignored"
    now = utcnow()
    common = {"channel_id": channel.id, "unit_id": unit.id, "citizen_id": citizen.id if citizen else None,
              "identity_id": identity.id if identity else None, "error": None, "attempts": 0, "sent_at": None,
              "created_at": now}
    # Core inserts (not the ORM unit of work): this runs for every message.
    conn = await session.connection()
    stored_id = (await conn.execute(_INSERT_ONE, [{
        **common, "direction": "in", "platform_id": event.event_id, "idempotency_key": None,
        "kind": event.kind.value, "text": event.text, "reply_to_id": None, "status": status,
        "body": {"event": event.raw_event, "payload": event.payload, "raw": event.raw, "info": event.info}}])).scalar_one()
    if not replies:
        return []
    # Inline sending keeps replies in order only if nothing older of this citizen waits in the outbox.
    inline = hub.settings.inline_send and (new_citizen or (await session.exec(
        _OLDER_PENDING, params={"citizen_id": citizen.id})).first() is None)  # type: ignore[union-attr]
    rows = [{**common, "direction": "out", "platform_id": None, "idempotency_key": f"reply:{stored_id}:{i}",
             "kind": "text", "text": reply.text, "body": reply.to_dict(), "status": "pending",
             "reply_to_id": stored_id} for i, reply in enumerate(replies)]
    ids = (await conn.execute(_INSERT_MANY, rows)).scalars().all()
    return [(key, outbox_payload(mid, identity, channel.id), row["body"] if inline else None)  # type: ignore[arg-type]
            for mid, row in zip(ids, rows, strict=True)]
