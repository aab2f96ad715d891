"""Staff send a failed message again from the console once its channel works (no command line needed)."""

from __future__ import annotations

from sqlmodel import select

from storage.db import session_scope
from storage.models import AuditLog, Channel, Message
from tests.harness import wait_until
from tests.test_console_faq import hub, login  # noqa: F401  (demo commune with its web chat, staff users)
from tests.test_faq_chat import Chat


async def test_failed_message_sent_again_from_the_console(hub):  # noqa: F811
    chat = Chat(hub.client)
    await chat.say("menu")
    async with session_scope(hub.hub.sessions) as s:  # a reply the platform refused, as during an outage
        sent = (await s.exec(select(Message).where(Message.direction == "out"))).first()
        failed = Message(direction="out", channel_id=sent.channel_id, unit_id=sent.unit_id,
                         citizen_id=sent.citizen_id, identity_id=sent.identity_id, idempotency_key="test:failed",
                         text="Lịch họp thôn tối nay 19 giờ.", body={"text": "Lịch họp thôn tối nay 19 giờ."},
                         status="failed", error="platform unavailable")
        s.add(failed)
        channel = await s.get(Channel, sent.channel_id)
        channel.needs_reauth = True
        s.add(channel)
    hub.hub.cache.clear()
    action = f"/console/messages/{failed.id}/retry"

    csrf = await login(hub, "canbo", "mk-canbo-1")
    page = await (await hub.client.get("/console")).text()
    assert "Lịch họp thôn tối nay" in page and "cần cấp quyền lại cho kênh trước" in page and action not in page
    resp = await hub.client.post(action, data={"csrf": csrf})
    assert resp.status == 409 and "hãy cấp quyền lại cho kênh trước" in await resp.text()

    async with session_scope(hub.hub.sessions) as s:  # the channel was re-authorised
        channel = await s.get(Channel, sent.channel_id)
        channel.needs_reauth = False
        s.add(channel)
    hub.hub.cache.clear()
    csrf = await login(hub, "canbo-khac", "mk-khac-1")
    assert (await hub.client.post(action, data={"csrf": csrf})).status == 404  # another commune's message
    csrf = await login(hub, "canbo", "mk-canbo-1")
    assert action in await (await hub.client.get("/console")).text()
    assert (await hub.client.post(action, data={})).status == 403  # no form token
    resp = await hub.client.post(action, data={"csrf": csrf})
    assert resp.status == 200 and resp.url.path == "/console"

    resp = await hub.client.get("/api/webchat/demo/messages",
                                params={"session": chat.session, "after": chat.after, "wait": 10})
    assert [m["text"] for m in (await resp.json())["messages"]] == ["Lịch họp thôn tối nay 19 giờ."]

    async def recorded() -> bool:
        async with hub.hub.sessions() as s:
            return (await s.get(Message, failed.id)).status == "sent"
    await wait_until(recorded, what="the message recorded as sent")
    assert (await hub.client.post(action, data={"csrf": csrf})).status == 409  # sent now: nothing to retry
    async with hub.hub.sessions() as s:
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "message_retry"))).all()
    assert [(a.actor, a.detail["message_id"]) for a in audit] == [("canbo", failed.id)]
