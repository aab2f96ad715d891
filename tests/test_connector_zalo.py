"""Zalo OA connector against the real-HTTP Zalo simulator."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp
import pytest

from bot.settings import Settings
from connectors.base import Button, EventKind, Outbound, RateLimit, SendError, SendErrorKind, WebhookError
from connectors.zalo import ZaloConnector
from tests.simulators import FakeChannel, MemoryTokenStore, start
from tests.simulators import signing as sg
from tests.simulators.zalo import ZaloSim

OA_SECRET = "oa-secret-key-xyz"
USER = "8012345678901234"


@pytest.fixture
async def zsim():
    sim = ZaloSim()
    server = await start(sim.app)
    sim.url = server.url
    yield sim
    await server.close()


@pytest.fixture
async def env(zsim):
    settings = Settings(zalo_api_base=zsim.url, zalo_oauth_base=zsim.url, send_timeout=2.0)
    store = MemoryTokenStore()
    store.put(7, zsim.access_token, zsim.refresh_token, time.time() + 90000)
    channel = FakeChannel(id=7, platform="zalo", external_id=zsim.oa_id, config={
        "oa_id": zsim.oa_id, "app_id": zsim.app_id, "oa_secret_key": OA_SECRET, "app_secret": zsim.app_secret})
    async with aiohttp.ClientSession() as session:
        conn = ZaloConnector(settings, session, store)
        yield conn, channel, store, zsim
        await conn.close()


def _parse_connector() -> tuple[ZaloConnector, FakeChannel]:
    conn = ZaloConnector(Settings(), None, MemoryTokenStore())  # type: ignore[arg-type]
    channel = FakeChannel(id=3, platform="zalo", external_id="oa1",
                          config={"oa_id": "oa1", "app_id": "app1", "oa_secret_key": OA_SECRET})
    return conn, channel


# ---------------------------------------------------------------------------- signature


def test_signature_good_bad_missing():
    conn, ch = _parse_connector()
    raw, headers = sg.zalo_webhook("app1", OA_SECRET, sg.zalo_text_event("app1", "oa1", USER, "Xin chào", "m1", 1))
    data = json.loads(raw)
    conn.verify(ch, headers, raw, data)
    conn.verify(ch, {k.lower(): v for k, v in headers.items()}, raw, data)  # case-insensitive
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, {}, raw, data)
    assert e.value.status == 401
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, headers, raw + b" ", data)  # body changed: raw bytes are signed
    assert e.value.status == 403
    _, other = sg.zalo_webhook("app1", "wrong-secret", data)
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, other, raw, data)
    assert e.value.status == 403
    raw2, h2 = sg.zalo_webhook("app2", OA_SECRET, sg.zalo_text_event("app2", "oa1", USER, "x", "m1", 1))
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, h2, raw2, json.loads(raw2))
    assert e.value.status == 403
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, headers, b"[]", [])
    assert e.value.status == 400


# ---------------------------------------------------------------------------- parse


def test_route_id():
    conn, _ = _parse_connector()
    assert conn.route_id(sg.zalo_text_event("a", "oa1", USER, "x", "m", 1)) == "oa1"
    assert conn.route_id(sg.zalo_follow_event("a", "oa1", USER)) == "oa1"
    assert conn.route_id(sg.zalo_echo_event("a", "oa1", USER, "x", "m")) == "oa1"
    assert conn.route_id({"event_name": "user_send_text"}) is None
    assert conn.route_id([1, 2]) is None


def test_parse_every_event_kind():
    conn, ch = _parse_connector()

    def one(ev):
        out = conn.parse(ch, ev)
        assert len(out) == 1 and out[0].raw is ev and out[0].channel_id == 3
        return out[0]

    t = one(sg.zalo_text_event("app1", "oa1", USER, "Xin chào", "m1", 1700000000000))
    assert (t.kind, t.text, t.user_id, t.event_id, t.timestamp_ms, t.raw_event) == (
        EventKind.TEXT, "Xin chào", USER, "m1", 1700000000000, "user_send_text")
    p = one(sg.zalo_text_event("app1", "oa1", USER, "#faq", "m2", 1))
    assert (p.kind, p.payload) == (EventKind.POSTBACK, "#faq")
    for kind in ("image", "link", "audio", "video", "sticker", "gif", "file", "business_card"):
        a = one(sg.zalo_attachment_event("app1", "oa1", USER, kind, f"https://f/{kind}", f"m-{kind}", 1))
        assert a.kind == EventKind.ATTACHMENT and a.attachments[0].type == kind
        assert a.attachments[0].url == f"https://f/{kind}" and a.attachments[0].size == 1024
    loc = one(sg.zalo_location_event("app1", "oa1", USER, 21.0285, 105.8542, "m3", 1))
    assert loc.kind == EventKind.LOCATION and loc.location.latitude == pytest.approx(21.0285)
    f = one(sg.zalo_follow_event("app1", "oa1", USER, True, 1700000000001))
    assert (f.kind, f.user_id, f.event_id) == (EventKind.FOLLOW, USER, f"follow:{USER}:1700000000001")
    assert one(sg.zalo_follow_event("app1", "oa1", USER, False, 2)).kind == EventKind.UNFOLLOW
    s = one(sg.zalo_submit_info_event("app1", "oa1", USER, {"name": "Lan", "phone": "0912345678"}, 3))
    assert s.kind == EventKind.SUBMIT_INFO and s.info["phone"] == "0912345678"
    r = one(sg.zalo_receipt_event("app1", "oa1", USER, ["m1"], seen=False, timestamp_ms=4))
    assert r.kind == EventKind.DELIVERY and r.info == {"msg_ids": ["m1"]}
    assert one(sg.zalo_receipt_event("app1", "oa1", USER, ["m1"], seen=True, timestamp_ms=4)).kind == EventKind.READ
    e = one(sg.zalo_echo_event("app1", "oa1", USER, "Chào bạn", "m4", admin_id="adm9"))
    assert (e.kind, e.user_id, e.info["admin"], e.info["admin_id"]) == (EventKind.ECHO, USER, True, "adm9")
    assert one(sg.zalo_echo_event("app1", "oa1", USER, "Chào", "m5")).info["admin"] is False
    u = one({"event_name": "user_reacted_message", "sender": {"id": USER}, "recipient": {"id": "oa1"},
             "timestamp": "5", "app_id": "app1"})
    assert u.kind == EventKind.UNKNOWN and u.event_id == f"user_reacted_message:{USER}:5"


def test_parse_wrong_shapes_never_crash():
    conn, ch = _parse_connector()
    for bad in ([], "x", 1, None):
        with pytest.raises(WebhookError) as e:
            conn.parse(ch, bad)
        assert e.value.status == 400
    for odd in ({}, {"event_name": "user_send_text"}, {"event_name": "user_send_text", "message": "x"},
                {"event_name": "user_send_location", "message": {"attachments": [{"payload": 3}]}},
                {"event_name": "user_send_image", "message": {"attachments": ["x", {"payload": []}]}},
                {"event_name": "follow", "follower": "x"}, {"event_name": ["x"]}):
        out = conn.parse(ch, odd)
        assert len(out) == 1


# ---------------------------------------------------------------------------- send


async def test_send_text_buttons_image(env):
    conn, ch, _, sim = env
    res = await conn.send(ch, USER, Outbound(text="Xin chào", buttons=[
        Button("Hỏi thủ tục", payload="#faq"), Button("Tin tức", payload="news"),
        Button("Cổng DVC", url="https://dichvucong.gov.vn"), Button("Gọi UBND", phone="0243 123 456"),
        Button("5", payload="#5"), Button("6 (dropped)", payload="#6")]))
    assert res.platform_message_id == sim.sent[-1].message_id
    msg = sim.sent[-1].message
    assert sim.calls[-1].headers["access_token"] == sim.access_token
    buttons = msg["attachment"]["payload"]["buttons"]
    assert len(buttons) == 5
    assert buttons[0] == {"title": "Hỏi thủ tục", "type": "oa.query.hide", "payload": "#faq"}
    assert buttons[1]["payload"] == "#news"
    assert buttons[2] == {"title": "Cổng DVC", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}}
    assert buttons[3]["payload"] == {"phone_code": "84243123456"}
    await conn.send(ch, USER, Outbound(text="Ảnh", image_url="https://x/a.jpg"))
    assert sim.sent[-2].message["attachment"]["payload"]["elements"][0]["url"] == "https://x/a.jpg"
    assert sim.sent[-1].message == {"text": "Ảnh"}


async def test_long_text_is_split(env):
    conn, ch, _, sim = env
    text = ("Thủ tục đăng ký khai sinh cần giấy chứng sinh. " * 100).strip()
    await conn.send(ch, USER, Outbound(text=text, buttons=[Button("OK", payload="#ok")]))
    parts = [s.message for s in sim.sent]
    assert len(parts) == 3 and all(len(p["text"]) <= 2000 for p in parts)
    assert "attachment" in parts[-1] and "attachment" not in parts[0]
    assert " ".join(p["text"] for p in parts) == text


@pytest.mark.parametrize("code,kind", [
    (-32, SendErrorKind.TRANSIENT), (-230, SendErrorKind.WINDOW), (-232, SendErrorKind.WINDOW),
    (-201, SendErrorKind.PERMANENT), (-211, SendErrorKind.PERMANENT), (-213, SendErrorKind.PERMANENT),
    (-227, SendErrorKind.PERMANENT), (-234, SendErrorKind.PERMANENT), (-240, SendErrorKind.PERMANENT),
    (-244, SendErrorKind.PERMANENT), (-248, SendErrorKind.PERMANENT), (-999, SendErrorKind.PERMANENT)])
async def test_error_classification(env, code, kind):
    conn, ch, _, sim = env
    sim.fail_next(1, code=code)
    with pytest.raises(SendError) as e:
        await conn.send(ch, USER, Outbound(text="x"))
    assert e.value.kind is kind and e.value.code == str(code)


async def test_window_user_http_500_and_timeout(env):
    conn, ch, _, sim = env
    sim.user_errors["u-old"] = -230
    with pytest.raises(SendError) as e:
        await conn.send(ch, "u-old", Outbound(text="x"))
    assert e.value.kind is SendErrorKind.WINDOW
    sim.http_fail_next(1, 500)
    with pytest.raises(SendError) as e:
        await conn.send(ch, USER, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TRANSIENT
    conn._timeout = aiohttp.ClientTimeout(total=0.2)
    sim.latency = 0.5
    with pytest.raises(SendError) as e:
        await conn.send(ch, USER, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TRANSIENT


async def test_token_errors_after_retry_stay_token(env):
    conn, ch, store, sim = env
    sim.fail_next(2, code=-216)
    with pytest.raises(SendError) as e:
        await conn.send(ch, USER, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TOKEN
    assert len(sim.refresh_calls) == 1 and len(sim.calls_to("/message/cs")) == 2


# ---------------------------------------------------------------------------- tokens


async def test_refresh_ahead_of_expiry(env):
    conn, ch, store, sim = env
    old_refresh = sim.refresh_token
    store.put(7, sim.access_token, sim.refresh_token, time.time() + 60)  # within zalo_refresh_ahead
    await conn.send(ch, USER, Outbound(text="x"))
    assert len(sim.refresh_calls) == 1
    call = sim.refresh_calls[0]
    assert call.headers["secret_key"] == sim.app_secret
    assert call.form == {"refresh_token": old_refresh, "app_id": sim.app_id, "grant_type": "refresh_token"}
    assert store.tokens[7].access_token == sim.access_token
    assert store.tokens[7].expires_at > time.time() + 80000
    assert sim.calls_to("/message/cs")[0].headers["access_token"] == sim.access_token
    await conn.send(ch, USER, Outbound(text="y"))
    assert len(sim.refresh_calls) == 1


@pytest.mark.parametrize("how", ["revoke", "expire"])
async def test_refresh_on_216_220_then_one_retry(env, how):
    conn, ch, store, sim = env
    (sim.revoke_access_token if how == "revoke" else sim.expire_access_token)()
    res = await conn.send(ch, USER, Outbound(text="x"))
    sends = sim.calls_to("/message/cs")
    assert [c.response["error"] for c in sends] == [-216 if how == "revoke" else -220, 0]
    assert len(sim.refresh_calls) == 1 and res.platform_message_id == sim.sent[-1].message_id
    assert store.tokens[7].access_token == sim.access_token


async def test_concurrent_sends_refresh_once_and_save_before_use(env):
    conn, ch, store, sim = env
    sim.latency = 0.02
    sim.expire_access_token()
    seen_before_save: list[int] = []

    async def on_save(channel_id, tokens):
        seen_before_save.append(sum(1 for c in sim.calls if c.headers.get("access_token") == tokens.access_token))

    store.on_save = on_save
    results = await asyncio.gather(*(conn.send(ch, f"u{i}", Outbound(text=f"m{i}")) for i in range(12)))
    assert all(r.platform_message_id for r in results)
    assert len(sim.refresh_calls) == 1 and len(store.saves) == 1
    assert seen_before_save == [0]  # the new pair was stored before any request used it
    assert len(sim.sent) == 12


async def test_second_connector_uses_pair_refreshed_elsewhere(env):
    """Another process refreshed (store updated, old token invalid): no second refresh."""
    conn, ch, store, sim = env
    await conn.send(ch, USER, Outbound(text="warm cache"))
    access, refresh = sim.issue_tokens()  # "the other worker" refreshed and stored the pair
    store.put(7, access, refresh, time.time() + 90000)
    await conn.send(ch, USER, Outbound(text="x"))
    assert len(sim.refresh_calls) == 0
    assert sim.calls_to("/message/cs")[-1].headers["access_token"] == access


async def test_failed_refresh_marks_reauth_without_leaking(env, caplog):
    conn, ch, store, sim = env
    caplog.set_level(logging.DEBUG)
    secrets_ = [sim.access_token, sim.refresh_token, sim.app_secret, OA_SECRET]
    sim.expire_access_token()
    sim.oauth_fail_next(1)
    with pytest.raises(SendError) as e:
        await conn.send(ch, USER, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.AUTH
    assert store.reauth and store.reauth[0][0] == 7 and sim.oa_id in store.reauth[0][1]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and sim.oa_id in errors[0].getMessage() and "CẤP QUYỀN LẠI" in errors[0].getMessage()
    assert "RE-AUTHORISATION" in errors[0].getMessage()
    text = caplog.text + str(e.value) + " ".join(r for _, r in store.reauth)
    for s in secrets_:
        assert s not in text


async def test_used_refresh_token_is_refused(env):
    conn, ch, store, sim = env
    used = sim.refresh_token
    sim.issue_tokens()  # burns nothing but makes `used` invalid (new pair issued)
    store.put(7, "stale", used, time.time() - 10)
    with pytest.raises(SendError) as e:
        await conn.send(ch, USER, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.AUTH and store.reauth


async def test_refresh_http_error_is_transient_not_reauth(env):
    conn, ch, store, sim = env
    sim.expire_access_token()
    sim.oauth_fail_next(1, status=502, body={"error": "bad gateway"})
    with pytest.raises(SendError) as e:
        await conn.send(ch, USER, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TRANSIENT and not store.reauth
    await conn.send(ch, USER, Outbound(text="x"))  # the refresh token was not consumed
    assert len(sim.sent) == 1


async def test_followers_and_rate_limits(env):
    conn, ch, _, sim = env
    sim.followers = [f"f{i}" for i in range(120)]
    total, users = await conn.get_followers(ch, offset=50, count=50)
    assert total == 120 and users == [f"f{i}" for i in range(50, 100)]
    q = json.loads(sim.calls[-1].query["data"])
    assert q == {"offset": 50, "count": 50, "is_follower": True, "last_interaction_period": "L7D"}
    assert conn.rate_limits(ch, USER) == [RateLimit(f"zalo:app:{sim.app_id}", 4000, 60.0)]


async def test_concurrent_ahead_of_expiry_two_connectors_refresh_once(env):
    """Two connectors (as two worker processes) share the store and its lock: one OAuth call."""
    conn, ch, store, sim = env
    store.put(7, sim.access_token, sim.refresh_token, time.time() + 30)
    conn2 = ZaloConnector(conn.settings, conn.session, store)
    sends = [c.send(ch, f"u{i}", Outbound(text="x")) for i in range(8) for c in (conn, conn2)]
    await asyncio.gather(*sends)
    assert len(sim.refresh_calls) == 1 and len(sim.sent) == 16
    assert {c.headers["access_token"] for c in sim.calls_to("/message/cs")} == {sim.access_token}
