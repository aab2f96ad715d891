"""Zalo, Facebook and Telegram end to end through real HTTP: webhook in → worker → simulator out.

Runs on the embedded form (SQLite + queue table) and on the scaled form (PostgreSQL + Redis).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time

import pytest
from sqlmodel import select

from bot.logsetup import RedactingFilter
from storage.models import Channel, ChannelIdentity, Message
from tests.harness import running_hub, wait_until
from tests.simulators import start
from tests.simulators.graph import GraphSim
from tests.simulators.signing import (
    facebook_body,
    facebook_text_event,
    facebook_webhook,
    telegram_text_update,
    telegram_webhook,
    zalo_follow_event,
    zalo_signature,
    zalo_text_event,
    zalo_webhook,
)
from tests.simulators.telegram import TelegramSim
from tests.simulators.zalo import ZaloSim

OA_ID, APP_ID, OA_SECRET, APP_SECRET = "579745863508352884", "1234567890", "oa-secret-key-xyz", "zalo-app-secret"
PAGE_ID, PAGE_TOKEN, FB_APP_SECRET, VERIFY = "112233445566", "EAAG-page-token", "fb-app-secret-123", "verify-me"
BOT_TOKEN, TG_SECRET = "123456789:AAEsimulatedTokenForTests_abcdefghij", "tg-secret-token-1"


@pytest.fixture(params=["embedded", "scaled"])
async def env(request, tmp_path):
    zalo, graph, tg = ZaloSim(app_id=APP_ID, app_secret=APP_SECRET, oa_id=OA_ID), GraphSim(PAGE_ID, PAGE_TOKEN), \
        TelegramSim(BOT_TOKEN)
    servers = [await start(s.app) for s in (zalo, graph, tg)]
    if request.param == "embedded":
        url, redis_url, prefix = f"sqlite:///{tmp_path / 'hub.db'}", None, "coso:"
    else:
        url = request.getfixturevalue("pg_url")
        redis_url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    try:
        async with running_hub(url, redis_url=redis_url, redis_prefix=prefix, zalo_api_base=servers[0].url,
                               zalo_oauth_base=servers[0].url, facebook_graph_base=servers[1].url,
                               telegram_api_base=servers[2].url) as h:
            await h.add_unit("XA1", "UBND xã Một")
            access, refresh = zalo.current[OA_ID]
            await h.add_channel("zalo", "XA1", "zalo", OA_ID, {
                "oa_id": OA_ID, "app_id": APP_ID, "oa_secret_key": OA_SECRET, "app_secret": APP_SECRET,
                "access_token": access, "refresh_token": refresh, "access_expires_at": 0})
            await h.add_channel("facebook", "XA1", "facebook", PAGE_ID, {
                "page_id": PAGE_ID, "app_secret": FB_APP_SECRET, "page_token": PAGE_TOKEN, "verify_token": VERIFY})
            await h.add_channel("telegram", "XA1", "telegram", BOT_TOKEN.split(":")[0],
                                {"bot_token": BOT_TOKEN, "secret_token": TG_SECRET})
            h.sims = {"zalo": zalo, "graph": graph, "tg": tg}  # type: ignore[attr-defined]
            yield h
    finally:
        for s in servers:
            await s.close()


async def _status_is(load, status: str) -> bool:
    return (await load()).status == status


async def post_zalo(h, event: dict, headers: dict | None = None):
    raw, hdrs = zalo_webhook(APP_ID, OA_SECRET, event)
    return await h.client.post("/webhooks/zalo", data=raw, headers=headers or hdrs)


def zalo_text(user: str, text: str, msg_id: str) -> dict:
    return zalo_text_event(APP_ID, OA_ID, user, text, msg_id)


async def test_zalo_menu_reply_and_records(env):
    zalo = env.sims["zalo"]
    resp = await post_zalo(env, zalo_text("u1", "menu", "m1"))
    assert resp.status == 200
    await wait_until(lambda: len(zalo.sent) == 1, what="zalo reply")
    sent = zalo.sent[0]
    assert sent.user_id == "u1" and "UBND xã Một" in sent.message["text"]
    buttons = sent.message["attachment"]["payload"]["buttons"]
    assert [b["title"] for b in buttons] == ["Hỏi đáp thủ tục", "Gửi phản ánh", "Tra cứu phản ánh",
                                             "Đăng ký nhận tin"]
    async with env.hub.sessions() as s:
        msgs = (await s.exec(select(Message).order_by(Message.id))).all()
        identity = (await s.exec(select(ChannelIdentity))).one()
    assert [(m.direction, m.platform_id) for m in msgs][0] == ("in", "m1")
    assert identity.platform_user_id == "u1" and identity.last_interaction_at is not None

    async def sent_recorded():
        async with env.hub.sessions() as s:
            out = (await s.exec(select(Message).where(Message.direction == "out"))).one()
            return out.status == "sent" and out.platform_id is not None
    await wait_until(sent_recorded, what="sent recorded")


async def test_zalo_follow_gets_menu_and_button_press_is_postback(env):
    zalo = env.sims["zalo"]
    assert (await post_zalo(env, zalo_follow_event(APP_ID, OA_ID, "u2"))).status == 200
    await wait_until(lambda: len(zalo.sent) == 1, what="greeting")
    assert (await post_zalo(env, zalo_text("u2", "#subscribe", "m2"))).status == 200
    await wait_until(lambda: len(zalo.sent) == 2, what="subscribe answer")
    assert zalo.sent[1].message["text"].startswith("Đăng ký nhận tin")


async def test_duplicate_delivery_gives_one_reply(env):
    zalo = env.sims["zalo"]
    event = zalo_text("u3", "bắt đầu", "dup-1")
    for _ in range(3):
        assert (await post_zalo(env, event)).status == 200
    await wait_until(lambda: len(zalo.sent) >= 1, what="reply")

    async def drained():
        return await env.hub.queue.pending_count("inbound") == 0 and await env.hub.queue.pending_count("outbox") == 0
    await wait_until(drained, what="queues drained")
    assert len(zalo.sent) == 1


async def test_order_per_citizen_with_several_workers(env):
    zalo = env.sims["zalo"]
    zalo.latency = 0.02
    payloads = ["#faq", "#report", "#lookup", "#subscribe", "menu"] * 2
    for i, p in enumerate(payloads):
        assert (await post_zalo(env, zalo_text("order-user", p, f"o{i}"))).status == 200
    await wait_until(lambda: len(zalo.sent) == len(payloads), what="all replies")
    expected_start = {"#faq": "Hỏi đáp thủ tục", "#report": "Gửi phản ánh", "#lookup": "Tra cứu phản ánh",
                      "#subscribe": "Đăng ký nhận tin", "menu": "Xin chào!"}
    got = [m.message["text"] for m in zalo.sent]
    assert all(text.startswith(expected_start[p]) for text, p in zip(got, payloads, strict=True)), got


@pytest.mark.parametrize("case", ["bad_sig", "no_sig", "malformed", "unknown_oa", "huge", "not_object"])
async def test_zalo_bad_input(env, case):
    event = zalo_text("u4", "menu", "bad-1")
    raw, headers = zalo_webhook(APP_ID, OA_SECRET, event)
    if case == "bad_sig":
        headers = {**headers, "X-ZEvent-Signature": "mac=" + "0" * 64}
        expected = (401, 403)
    elif case == "no_sig":
        headers = {"Content-Type": "application/json"}
        expected = (401, 403)
    elif case == "malformed":
        raw, expected = b'{"app_id": "1", ', (400,)
    elif case == "unknown_oa":
        event = zalo_text_event(APP_ID, "999", "u4", "menu", "bad-2")
        raw, headers = zalo_webhook(APP_ID, OA_SECRET, event)
        expected = (404,)
    elif case == "huge":
        raw, expected = b"{" + b" " * (1024 * 1024 + 100) + b"}", (413,)
    else:
        raw, expected = b'"just a string"', (400,)
    resp = await env.client.post("/webhooks/zalo", data=raw, headers=headers)
    assert resp.status in expected
    assert await env.hub.queue.pending_count("inbound") == 0


async def test_zalo_signature_uses_raw_body(env):
    """A re-serialised body (other spacing) must not verify against the original signature."""
    event = zalo_text("u5", "menu", "raw-1")
    raw, headers = zalo_webhook(APP_ID, OA_SECRET, event)
    respaced = json.dumps(json.loads(raw), indent=2).encode()
    assert (await env.client.post("/webhooks/zalo", data=respaced, headers=headers)).status in (401, 403)
    mac = zalo_signature(APP_ID, respaced, event["timestamp"], OA_SECRET)
    ok = await env.client.post("/webhooks/zalo", data=respaced,
                               headers={**headers, "X-ZEvent-Signature": f"mac={mac}"})
    assert ok.status == 200


async def test_facebook_handshake_batch_and_reply(env):
    graph = env.sims["graph"]
    ok = await env.client.get("/webhooks/facebook", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                                            "hub.challenge": "12345"})
    assert ok.status == 200 and await ok.text() == "12345"
    bad = await env.client.get("/webhooks/facebook", params={"hub.mode": "subscribe", "hub.verify_token": "x",
                                                             "hub.challenge": "1"})
    assert bad.status == 403
    body = facebook_body(PAGE_ID, [facebook_text_event(PAGE_ID, "psid-1", "menu", "mid.1", wrap=False),
                                   facebook_text_event(PAGE_ID, "psid-2", "bắt đầu", "mid.2", wrap=False)])
    raw, headers = facebook_webhook(FB_APP_SECRET, body)
    assert (await env.client.post("/webhooks/facebook", data=raw, headers=headers)).status == 200
    await wait_until(lambda: len(graph.sent) == 2, what="two facebook replies")
    assert {m["recipient"]["id"] for m in graph.sent} == {"psid-1", "psid-2"}
    assert all(m["messaging_type"] == "RESPONSE" for m in graph.sent)
    bad_sig = await env.client.post("/webhooks/facebook", data=raw,
                                    headers={**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert bad_sig.status in (401, 403)


async def test_telegram_reply_and_secret(env):
    tg = env.sims["tg"]
    channel_id = env.channels["telegram"].id
    raw, headers = telegram_webhook(TG_SECRET, telegram_text_update(1001, 555, "/start"))
    assert (await env.client.post(f"/webhooks/telegram/{channel_id}", data=raw, headers=headers)).status == 200
    await wait_until(lambda: any(m["method"].lower() == "sendmessage" for m in tg.sent), what="telegram reply")
    reply = [m for m in tg.sent if m["method"].lower() == "sendmessage"][0]
    assert str(reply["chat_id"]) == "555" and "UBND xã Một" in reply["text"]
    wrong = await env.client.post(f"/webhooks/telegram/{channel_id}", data=raw,
                                  headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "nope"})
    assert wrong.status in (401, 403)
    assert (await env.client.post("/webhooks/telegram/99999", data=raw, headers=headers)).status == 404


async def test_transient_errors_are_retried_then_sent(env):
    zalo = env.sims["zalo"]
    zalo.fail_next(2, code=-32)
    assert (await post_zalo(env, zalo_text("u6", "menu", "t1"))).status == 200
    await wait_until(lambda: len(zalo.sent) == 1, what="sent after retries")

    async def recorded():
        async with env.hub.sessions() as s:
            return (await s.exec(select(Message).where(Message.direction == "out"))).one()
    await wait_until(lambda: _status_is(recorded, "sent"), what="send recorded")
    out = await recorded()
    assert out.status == "sent" and out.attempts >= 3  # two failures, then the send (a lease hand-over adds one)
    assert len([c for c in zalo.calls if c.path.endswith("/message/cs")]) == 3


async def test_window_error_is_recorded_not_retried(env):
    zalo = env.sims["zalo"]
    zalo.user_errors["u7"] = -230
    assert (await post_zalo(env, zalo_text("u7", "menu", "w1"))).status == 200

    async def recorded():
        async with env.hub.sessions() as s:
            out = (await s.exec(select(Message).where(Message.direction == "out"))).first()
            return out is not None and out.status == "window_expired"
    await wait_until(recorded, what="window expired recorded")
    attempts = [c for c in zalo.calls if c.path.endswith("/message/cs")]
    assert len(attempts) == 1


async def test_permanent_failure_is_dead_lettered_and_listed(env):
    graph = env.sims["graph"]
    graph.unavailable_users.add("psid-dead")
    body = facebook_text_event(PAGE_ID, "psid-dead", "menu", "mid.dead")
    raw, headers = facebook_webhook(FB_APP_SECRET, body)
    assert (await env.client.post("/webhooks/facebook", data=raw, headers=headers)).status == 200

    async def failed():
        async with env.hub.sessions() as s:
            out = (await s.exec(select(Message).where(Message.direction == "out"))).first()
            return out is not None and out.status == "failed"
    await wait_until(failed, what="failed recorded")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "outbox", "failed", stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "COSO_DATABASE_URL": env.settings.database_url})
    out = (await proc.communicate())[0].decode()
    assert proc.returncode == 0
    assert "gửi lỗi" in out and "551" in out

    # The person is reachable again: staff send the message once more.
    graph.unavailable_users.discard("psid-dead")
    async with env.hub.sessions() as s:
        failed_id = (await s.exec(select(Message).where(Message.direction == "out"))).one().id
    env_vars = {**os.environ, "COSO_DATABASE_URL": env.settings.database_url,
                "COSO_REDIS_PREFIX": env.settings.redis_prefix}
    if env.settings.redis_url:
        env_vars["COSO_REDIS_URL"] = env.settings.redis_url
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "outbox", "retry", str(failed_id),
                                                stdout=asyncio.subprocess.PIPE, env=env_vars)
    assert "gửi lại" in (await proc.communicate())[0].decode() and proc.returncode == 0
    await wait_until(lambda: any(m["recipient"]["id"] == "psid-dead" for m in graph.sent), what="resent message")


async def test_zalo_token_expired_refreshes_and_retries_once(env):
    zalo = env.sims["zalo"]
    zalo.expire_access_token()
    assert (await post_zalo(env, zalo_text("u8", "menu", "tok-1"))).status == 200
    await wait_until(lambda: len(zalo.sent) == 1, what="sent after refresh")
    assert len(zalo.refresh_calls) == 1
    async with env.hub.sessions() as s:
        channel = await s.get(Channel, env.channels["zalo"].id)
    assert channel.config["access_token"] == zalo.current[OA_ID][0]
    assert channel.config["refresh_token"] == zalo.current[OA_ID][1]


async def test_zalo_refresh_failure_marks_channel_and_hides_tokens(env, caplog):
    zalo = env.sims["zalo"]
    caplog.handler.addFilter(RedactingFilter())
    caplog.set_level(logging.INFO)
    zalo.revoke_access_token()
    zalo.oauth_fail_next(1)
    assert (await post_zalo(env, zalo_text("u9", "menu", "tok-2"))).status == 200

    async def marked():
        async with env.hub.sessions() as s:
            channel = await s.get(Channel, env.channels["zalo"].id)
            return channel.needs_reauth
    await wait_until(marked, what="needs re-authorisation")
    text = caplog.text
    assert OA_ID in text or "re-auth" in text.lower() or "cấp quyền" in text
    for secret in (APP_SECRET, OA_SECRET, zalo.current[OA_ID][0], zalo.current[OA_ID][1]):
        assert secret not in text


async def test_unknown_event_kind_is_stored_and_acknowledged(env):
    event = {"app_id": APP_ID, "event_name": "user_did_something_new", "sender": {"id": "u10"},
             "recipient": {"id": OA_ID}, "timestamp": "1700000000000", "message": {"msg_id": "unk-1"}}
    resp = await post_zalo(env, event)
    assert resp.status == 200

    async def stored():
        async with env.hub.sessions() as s:
            rows = (await s.exec(select(Message).where(Message.direction == "in"))).all()
            return len(rows) == 1 and rows[0].status == "ignored" and rows[0].kind == "unknown"
    await wait_until(stored, what="unknown event stored")


async def test_scheduler_refreshes_zalo_token_ahead_of_expiry(env):
    from bot.scheduler import refresh_zalo_tokens
    from storage.db import session_scope

    zalo = env.sims["zalo"]
    async with session_scope(env.hub.sessions) as s:
        channel = await s.get(Channel, env.channels["zalo"].id)
        channel.config = {**channel.config, "access_expires_at": time.time() + 600}  # expires in 10 minutes
        s.add(channel)
    old_refresh = zalo.current[OA_ID][1]
    assert await refresh_zalo_tokens(env.hub) == 1
    assert len(zalo.refresh_calls) == 1
    async with env.hub.sessions() as s:
        channel = await s.get(Channel, env.channels["zalo"].id)
    assert channel.config["refresh_token"] == zalo.current[OA_ID][1] != old_refresh
    assert channel.config["access_expires_at"] > time.time() + 80000
    # A second run finds the fresh token and does not burn the new single-use refresh token.
    await refresh_zalo_tokens(env.hub)
    assert len(zalo.refresh_calls) == 1
    # And the refreshed token works for sending.
    assert (await post_zalo(env, zalo_text("u11", "menu", "sch-1"))).status == 200
    await wait_until(lambda: len(zalo.sent) == 1, what="sent with refreshed token")


async def test_facebook_batch_of_two_pages_routes_each(env):
    graph = env.sims["graph"]
    graph.add_page("998877", "EAAG-second-page")
    await env.add_channel("facebook2", "XA1", "facebook", "998877", {
        "page_id": "998877", "app_secret": FB_APP_SECRET, "page_token": "EAAG-second-page", "verify_token": "v2"})
    body = facebook_body(PAGE_ID, [facebook_text_event(PAGE_ID, "psid-a", "menu", "mid.a", wrap=False)])
    body["entry"] += facebook_body("998877", [facebook_text_event("998877", "psid-b", "menu", "mid.b",
                                                                  wrap=False)])["entry"]
    body["entry"] += facebook_body("555", [facebook_text_event("555", "psid-c", "menu", "mid.c",
                                                               wrap=False)])["entry"]
    raw, headers = facebook_webhook(FB_APP_SECRET, body)
    resp = await env.client.post("/webhooks/facebook", data=raw, headers=headers)
    assert resp.status == 200 and (await resp.json())["events"] == 2
    await wait_until(lambda: len(graph.sent) == 2, what="a reply from each page")
    assert {(m["page_id"], m["recipient"]["id"]) for m in graph.sent} == {(PAGE_ID, "psid-a"), ("998877", "psid-b")}


async def test_outbox_keeps_the_channel_rate_limit(env):
    """With Zalo's limit set to 60 per minute, three replies leave about a second apart."""
    zalo = env.sims["zalo"]
    env.hub.settings.zalo_rate_per_minute = 60
    arrivals: list[float] = []
    for i in range(3):
        assert (await post_zalo(env, zalo_text(f"rl-{i}", "menu", f"rl{i}"))).status == 200

    def record() -> bool:
        while len(arrivals) < len(zalo.sent):
            arrivals.append(time.monotonic())
        return len(zalo.sent) >= 3
    await wait_until(record, timeout=20, what="three rate-limited replies")
    assert arrivals[-1] - arrivals[0] >= 1.5  # at most one send per second (a lower bound, not a timing goal)


async def test_database_outage_is_waited_out_not_dead_lettered(env, monkeypatch):
    """More failures than a buggy job is allowed, but they are outages: the message is still answered."""
    from sqlalchemy.exc import OperationalError

    zalo = env.sims["zalo"]
    real = env.hub.dispatcher.dispatch
    failures = {"left": 7}

    async def flaky(ctx):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))
        return await real(ctx)

    monkeypatch.setattr(env.hub.dispatcher, "dispatch", flaky)
    monkeypatch.setattr(env.hub.settings, "retry_max_delay", 0.1)
    assert (await post_zalo(env, zalo_text("outage", "menu", "out-1"))).status == 200
    await wait_until(lambda: len(zalo.sent) == 1, timeout=30, what="answer after the outage")
    assert failures["left"] == 0
    assert await env.hub.queue.dead_jobs("inbound") == []


async def test_revoked_page_token_marks_the_channel(env):
    graph = env.sims["graph"]
    graph.revoke_token()
    body = facebook_text_event(PAGE_ID, "psid-auth", "menu", "mid.auth")
    raw, headers = facebook_webhook(FB_APP_SECRET, body)
    assert (await env.client.post("/webhooks/facebook", data=raw, headers=headers)).status == 200

    async def marked():
        async with env.hub.sessions() as s:
            channel = await s.get(Channel, env.channels["facebook"].id)
            return channel.needs_reauth
    await wait_until(marked, what="channel marked for re-authorisation")
    async with env.hub.sessions() as s:
        out = (await s.exec(select(Message).where(Message.direction == "out"))).one()
    assert out.status == "failed" and "190" in (out.error or "")


async def test_telegram_button_press_is_answered_and_its_spinner_stopped(env):
    from tests.simulators.signing import telegram_callback_update

    tg = env.sims["tg"]
    channel_id = env.channels["telegram"].id
    raw, headers = telegram_webhook(TG_SECRET, telegram_callback_update(2001, 556, "#report", callback_id="cbq-9"))
    assert (await env.client.post(f"/webhooks/telegram/{channel_id}", data=raw, headers=headers)).status == 200
    await wait_until(lambda: any((m.get("text") or "").startswith("Gửi phản ánh") for m in tg.sent),
                     what="answer to the button")
    await wait_until(lambda: any(c.path.lower().endswith("/answercallbackquery") for c in tg.calls),
                     what="answerCallbackQuery")


async def test_telegram_group_chatter_is_stored_not_answered(env):
    tg = env.sims["tg"]
    channel_id = env.channels["telegram"].id
    for update_id, text in ((3001, "hôm nay họp thôn mấy giờ nhỉ mọi người"), (3002, "/start")):
        raw, headers = telegram_webhook(TG_SECRET, telegram_text_update(update_id, -100123, text))
        assert (await env.client.post(f"/webhooks/telegram/{channel_id}", data=raw, headers=headers)).status == 200
    await wait_until(lambda: any(m["method"].lower() == "sendmessage" for m in tg.sent), what="answer to /start")

    async def both_stored():
        async with env.hub.sessions() as s:
            return len((await s.exec(select(Message).where(Message.direction == "in"))).all()) == 2
    await wait_until(both_stored, what="both group messages stored")
    await asyncio.sleep(0.3)
    sends = [m for m in tg.sent if m["method"].lower() == "sendmessage"]
    assert len(sends) == 1 and "UBND xã Một" in sends[0]["text"]


async def test_facebook_standby_and_comments_are_stored_not_answered(env):
    from tests.simulators.signing import facebook_comment_change

    graph = env.sims["graph"]
    body = facebook_body(PAGE_ID, [facebook_text_event(PAGE_ID, "psid-live", "menu", "mid.live", wrap=False)],
                         standby=[facebook_text_event(PAGE_ID, "psid-sb", "menu", "mid.sb", wrap=False)],
                         changes=[facebook_comment_change(PAGE_ID, "c1", "p1", "psid-cm", "Bao giờ có điện lại?")])
    raw, headers = facebook_webhook(FB_APP_SECRET, body)
    assert (await env.client.post("/webhooks/facebook", data=raw, headers=headers)).status == 200

    async def all_stored():
        async with env.hub.sessions() as s:
            return len((await s.exec(select(Message).where(Message.direction == "in"))).all()) == 3
    await wait_until(all_stored, what="three events stored")
    await wait_until(lambda: len(graph.sent) >= 1, what="answer to the live message")
    await asyncio.sleep(0.3)
    assert [m["recipient"]["id"] for m in graph.sent] == ["psid-live"]


async def test_zalo_shared_contact_info_is_kept_with_the_citizen(env):
    from storage.models import Citizen
    from tests.simulators.signing import zalo_submit_info_event

    zalo = env.sims["zalo"]
    event = zalo_submit_info_event(APP_ID, OA_ID, "u-info", {"name": "Nguyễn Thị Lan", "phone": "0912345678",
                                                             "address": "Thôn Đông"})
    assert (await post_zalo(env, event)).status == 200
    await wait_until(lambda: len(zalo.sent) == 1, what="thanks for the information")
    assert zalo.sent[0].message["text"].startswith("Cảm ơn bạn")
    async with env.hub.sessions() as s:
        citizen = (await s.exec(select(Citizen))).one()
    assert (citizen.display_name, citizen.phone) == ("Nguyễn Thị Lan", "0912345678")
