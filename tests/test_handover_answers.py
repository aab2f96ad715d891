"""Staff answer questions citizens handed over: the answer reaches the citizen on the channel they
used, once, and only staff of the question's unit may answer it."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlmodel import select

from bot.staff_reply import answer_handover
from connectors.base import Outbound
from connectors.facebook import FacebookConnector
from connectors.windows import window_open
from storage.db import session_scope
from storage.models import AuditLog, Channel, ChannelIdentity, FaqQuery, Message, StaffUser, utcnow
from tests.harness import wait_until
from tests.simulators.signing import (
    facebook_body,
    facebook_postback_event,
    facebook_text_event,
    facebook_webhook,
)
from tests.test_console_faq import hub, login  # noqa: F401  (the console fixture: demo commune, staff users)
from tests.test_e2e_platforms import FB_APP_SECRET, PAGE_ID, env  # noqa: F401
from tests.test_faq_chat import Chat

STAFF_TEXT = "Chào bạn, giá vàng không thuộc thông tin xã cung cấp; bạn xem trên báo hoặc hỏi tiệm vàng nhé."


async def _handover(chat: Chat, question: str) -> None:
    [reply] = await chat.say(question)
    [button] = [b for b in reply["buttons"] if b["title"] == "Gửi câu hỏi cho cán bộ"]
    [done] = await chat.say(payload=button["payload"])
    assert "đã được chuyển tới cán bộ" in done["text"]


async def test_staff_answer_reaches_the_web_chat_once(hub):  # noqa: F811
    chat = Chat(hub.client)
    await _handover(chat, "giá vàng hôm nay bao nhiêu vậy")
    async with hub.hub.sessions() as s:
        question = (await s.exec(select(FaqQuery).where(FaqQuery.outcome == "handover"))).one()
    action = f"/console/handovers/{question.id}/answer"

    csrf = await login(hub, "canbo-khac", "mk-khac-1")  # another commune's staff
    assert "giá vàng hôm nay" not in await (await hub.client.get("/console")).text()
    resp = await hub.client.post(action, data={"csrf": csrf, "text": "Tôi trả lời thay xã khác"})
    assert resp.status == 404 and "Không tìm thấy câu hỏi này" in await resp.text()

    csrf = await login(hub, "canbo", "mk-canbo-1")
    page = await (await hub.client.get("/console")).text()
    assert "giá vàng hôm nay" in page and f'action="{action}"' in page and "Gửi trả lời" in page
    assert "1 câu hỏi đang chờ cán bộ trả lời." in page
    assert (await hub.client.post(action, data={"text": STAFF_TEXT})).status == 403  # no form token
    resp = await hub.client.post(action, data={"csrf": csrf, "text": "   "})
    assert resp.status == 400 and "Hãy nhập nội dung trả lời." in await resp.text()
    resp = await hub.client.post(action, data={"csrf": csrf, "text": "x" * 2001})
    assert resp.status == 400 and "dài quá 2000 ký tự" in await resp.text()

    # sent twice (a double click): answered once
    first, second = await asyncio.gather(hub.client.post(action, data={"csrf": csrf, "text": STAFF_TEXT}),
                                         hub.client.post(action, data={"csrf": csrf, "text": STAFF_TEXT + " (lần 2)"}))
    assert {first.status, second.status} == {200}  # both follow the redirect to the console
    resp = await hub.client.get("/api/webchat/demo/messages",
                                params={"session": chat.session, "after": chat.after, "wait": 10})
    messages = (await resp.json())["messages"]
    assert [m["text"] for m in messages] in ([STAFF_TEXT], [STAFF_TEXT + " (lần 2)"])

    async def sent() -> bool:
        async with hub.hub.sessions() as s:
            rows = (await s.exec(select(Message).where(Message.idempotency_key == f"handover:{question.id}"))).all()
            return len(rows) == 1 and rows[0].status == "sent"
    await wait_until(sent, what="the answer recorded as sent")
    await asyncio.sleep(0.3)
    resp = await hub.client.get("/api/webchat/demo/messages", params={"session": chat.session, "after": chat.after})
    assert len((await resp.json())["messages"]) == 1  # nothing more came
    page = await (await hub.client.get("/console")).text()
    assert "đã gửi tới người dân" in page and f'action="{action}"' not in page
    assert "0 câu hỏi đang chờ cán bộ trả lời." in page
    async with hub.hub.sessions() as s:
        audit = (await s.exec(select(AuditLog).where(AuditLog.action == "faq_handover_answer"))).all()
        question = await s.get(FaqQuery, question.id)
    assert [(a.actor, a.detail["question_id"]) for a in audit] == [("canbo", question.id)]
    assert question.answered_by == "canbo" and question.answered_at is not None

    # the conversation around the question: what the citizen wrote, what the bot and staff answered
    html = await (await hub.client.get(f"/console/handovers/{question.id}")).text()
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>(.*?)</td></tr>", html)
    assert ("Người dân", "giá vàng hôm nay bao nhiêu vậy") in rows
    assert any(who == "Bot" and "chưa có thông tin" in text for who, text in rows)
    assert rows[-1][0] == "Cán bộ" and rows[-1][1].startswith("Chào bạn, giá vàng")
    await login(hub, "canbo-khac", "mk-khac-1")
    assert (await hub.client.get(f"/console/handovers/{question.id}")).status == 404
    async with hub.hub.sessions() as s:
        views = (await s.exec(select(AuditLog).where(AuditLog.action == "view_conversation"))).all()
    assert [(v.actor, v.detail["question_id"]) for v in views] == [("canbo", question.id)]


async def test_answer_from_the_conversation_page_returns_to_it(hub):  # noqa: F811
    chat = Chat(hub.client)
    await _handover(chat, "xã có tổ chức lớp dạy bơi cho trẻ hè này không")
    async with hub.hub.sessions() as s:
        question = (await s.exec(select(FaqQuery).where(FaqQuery.outcome == "handover"))).one()
    csrf = await login(hub, "canbo", "mk-canbo-1")
    resp = await hub.client.get(f"/console/handovers/{question.id}")
    assert resp.status == 200 and 'name="back" value="conversation"' in await resp.text()
    resp = await hub.client.post(f"/console/handovers/{question.id}/answer",
                                 data={"csrf": csrf, "text": "Lớp bơi mở từ 1/6.", "back": "conversation"})
    assert resp.status == 200 and resp.url.path == f"/console/handovers/{question.id}"
    assert "Lớp bơi mở từ 1/6." in await resp.text()
    # a newer question still waiting is listed before the answered one
    await _handover(Chat(hub.client), "giá vàng hôm nay bao nhiêu vậy")
    page = await (await hub.client.get("/console")).text()
    assert page.index("giá vàng hôm nay") < page.index("lớp dạy bơi")


async def test_an_unsent_answer_queued_again_is_still_sent_once(hub):  # noqa: F811
    # as after a crash between writing the answer and queueing it: staff press "Gửi lại"
    chat = Chat(hub.client)
    await _handover(chat, "giá vàng hôm nay bao nhiêu vậy")
    await hub.stop_worker()
    async with hub.hub.sessions() as s:
        question = (await s.exec(select(FaqQuery).where(FaqQuery.outcome == "handover"))).one()
        staff = (await s.exec(select(StaffUser).where(StaffUser.username == "canbo"))).one()
    scope = {question.unit_id}
    first = await answer_handover(hub.hub, staff, scope, question.id, STAFF_TEXT)
    again = await answer_handover(hub.hub, staff, scope, question.id, "ignored: answered already")
    assert first.queued and again.queued and first.message_id == again.message_id and again.status == "pending"
    hub.start_worker()
    resp = await hub.client.get("/api/webchat/demo/messages",
                                params={"session": chat.session, "after": chat.after, "wait": 10})
    assert [m["text"] for m in (await resp.json())["messages"]] == [STAFF_TEXT]
    await asyncio.sleep(0.5)
    resp = await hub.client.get("/api/webchat/demo/messages", params={"session": chat.session, "after": chat.after})
    assert len((await resp.json())["messages"]) == 1
    done = await answer_handover(hub.hub, staff, scope, question.id, "")
    assert (done.queued, done.status) == (False, "sent")


def test_facebook_staff_answers_use_the_human_agent_tag_only_where_the_page_opted_in():
    conn = FacebookConnector.__new__(FacebookConnector)
    [bot] = conn.build_messages("psid", Outbound(text="Chào bạn"))
    [staff] = conn.build_messages("psid", Outbound(text="Chào bạn", human=True), human_agent=True)
    assert bot["messaging_type"] == "RESPONSE" and "tag" not in bot
    assert (staff["messaging_type"], staff["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    now, three_days = utcnow(), utcnow() - timedelta(days=3)
    assert not window_open("facebook", three_days, now)
    assert window_open("facebook", three_days, now, human_agent=True)
    assert not window_open("facebook", now - timedelta(days=8), now, human_agent=True)
    assert not window_open("zalo", now - timedelta(days=8), now, human_agent=True)


async def test_facebook_answer_days_later_needs_the_human_agent_tag(env):  # noqa: F811
    graph = env.sims["graph"]

    async def hand_over(psid: str, question: str, n: int) -> FaqQuery:
        for event in (facebook_text_event(PAGE_ID, psid, question, f"mid.q{n}", wrap=False),
                      facebook_postback_event(PAGE_ID, psid, "#faq:staff", f"mid.h{n}", wrap=False)):
            raw, headers = facebook_webhook(FB_APP_SECRET, facebook_body(PAGE_ID, [event]))
            assert (await env.client.post("/webhooks/facebook", data=raw, headers=headers)).status == 200

        async def stored():
            async with env.hub.sessions() as s:
                return (await s.exec(select(FaqQuery).where(FaqQuery.outcome == "handover",
                                                            FaqQuery.text == question))).first()
        await wait_until(stored, what="the hand-over stored")
        async with session_scope(env.hub.sessions) as s:  # the citizen wrote three days ago
            identity = (await s.exec(select(ChannelIdentity).where(ChannelIdentity.platform_user_id == psid))).one()
            identity.last_interaction_at = utcnow() - timedelta(days=3)
            s.add(identity)
        return await stored()

    staff = StaffUser(username="canbo", password_hash="-", role="staff", unit_id=env.units["XA1"].id)
    scope = {env.units["XA1"].id}
    question = await hand_over("psid-late", "lịch tiêm phòng dại năm nay thế nào", 1)
    before = len(graph.sent)
    await answer_handover(env.hub, staff, scope, question.id, "Tiêm ngày 15/3 tại nhà văn hoá.")

    async def status_of(q: FaqQuery, status: str) -> bool:
        async with env.hub.sessions() as s:
            q = await s.get(FaqQuery, q.id)
            return (await s.get(Message, q.answer_message_id)).status == status
    await wait_until(lambda: status_of(question, "window_expired"), what="recorded outside the 24-hour window")
    assert len(graph.sent) == before

    async with session_scope(env.hub.sessions) as s:  # the page passed review for HUMAN_AGENT
        channel = await s.get(Channel, env.channels["facebook"].id)
        channel.config = {**channel.config, "human_agent": True}
        s.add(channel)
    env.hub.cache.clear()
    question = await hand_over("psid-late2", "lịch thu gom rác tuần này", 2)
    await answer_handover(env.hub, staff, scope, question.id, "Thứ ba và thứ sáu.")
    await wait_until(lambda: status_of(question, "sent"), what="sent with the HUMAN_AGENT tag")
    [last] = [m for m in graph.sent if m["recipient"]["id"] == "psid-late2" and
              m["message"].get("text") == "Thứ ba và thứ sáu."]
    assert (last["messaging_type"], last["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


async def test_conversation_shows_what_a_person_typed_in_the_zalo_oa_tool(env):  # noqa: F811
    from bot.seed import hash_password
    from tests.simulators.signing import zalo_echo_event
    from tests.test_e2e_platforms import APP_ID, OA_ID, post_zalo, zalo_text

    zalo = env.sims["zalo"]
    assert (await post_zalo(env, zalo_text("u-echo", "menu", "m-e1"))).status == 200
    await wait_until(lambda: len(zalo.sent) == 1, what="the bot's menu")
    for event in (zalo_echo_event(APP_ID, OA_ID, "u-echo", zalo.sent[0].message["text"], "m-e2"),  # our own
                  zalo_echo_event(APP_ID, OA_ID, "u-echo", "Chú ơi mai lên xã ký giấy nhé", "m-e3", admin_id="ad1"),
                  zalo_echo_event(APP_ID, OA_ID, "u-stranger", "Tin gửi người chưa từng nhắn", "m-e4", admin_id="ad1")):
        assert (await post_zalo(env, event)).status == 200

    async def stored() -> bool:
        async with env.hub.sessions() as s:
            return len((await s.exec(select(Message).where(Message.kind == "echo"))).all()) == 3
    await wait_until(stored, what="the echoes stored")
    async with session_scope(env.hub.sessions) as s:
        identity = (await s.exec(select(ChannelIdentity).where(ChannelIdentity.platform_user_id == "u-echo"))).one()
        echoes = (await s.exec(select(Message).where(Message.kind == "echo").order_by(Message.platform_id))).all()
        assert [e.citizen_id for e in echoes] == [identity.citizen_id, identity.citizen_id, None]  # no new citizen
        assert len((await s.exec(select(ChannelIdentity))).all()) == 1
        question = FaqQuery(unit_id=env.units["XA1"].id, channel_id=identity.channel_id,
                            citizen_id=identity.citizen_id, text="cho hỏi lịch ký giấy", outcome="handover")
        s.add(question)
        s.add(StaffUser(username="canbo", password_hash=hash_password("mk-canbo-1"), role="staff",
                        unit_id=env.units["XA1"].id))
    resp = await env.client.post("/login", data={"username": "canbo", "password": "mk-canbo-1"})
    assert resp.status == 200
    html = await (await env.client.get(f"/console/handovers/{question.id}")).text()
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>(.*?)</td></tr>", html)
    assert [who for who, _ in rows] == ["Người dân", "Bot", "Cán bộ (trên ứng dụng của nền tảng)"]
    assert rows[2][1] == "Chú ơi mai lên xã ký giấy nhé"
