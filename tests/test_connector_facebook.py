"""Facebook Page connector against the real-HTTP Graph simulator."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from bot.settings import Settings
from connectors.base import Button, EventKind, Outbound, RateLimit, SendError, SendErrorKind, WebhookError
from connectors.facebook import FacebookConnector, handshake
from tests.simulators import FakeChannel, start
from tests.simulators import signing as sg
from tests.simulators.graph import GraphSim

APP_SECRET = "fb-app-secret"
PAGE = "112233445566"
PSID = "2468013579"


@pytest.fixture
async def env():
    sim = GraphSim(page_id=PAGE)
    server = await start(sim.app)
    settings = Settings(facebook_graph_base=server.url, send_timeout=2.0)
    channel = FakeChannel(id=5, platform="facebook", external_id=PAGE, config={
        "page_id": PAGE, "app_secret": APP_SECRET, "page_token": sim.page_token, "verify_token": "vt"})
    async with aiohttp.ClientSession() as session:
        conn = FacebookConnector(settings, session)
        yield conn, channel, sim
        await conn.close()
    await server.close()


def _conn() -> tuple[FacebookConnector, FakeChannel]:
    return FacebookConnector(Settings(), None), FakeChannel(  # type: ignore[arg-type]
        id=5, platform="facebook", external_id=PAGE, config={"page_id": PAGE, "app_secret": APP_SECRET})


def test_signature_and_handshake():
    conn, ch = _conn()
    body = sg.facebook_text_event(PAGE, PSID, "Chào", "mid.1")
    raw, headers = sg.facebook_webhook(APP_SECRET, body)
    conn.verify(ch, headers, raw, body)
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, {}, raw, body)
    assert e.value.status == 401
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, headers, raw.replace(b"Ch", b"ch"), body)
    assert e.value.status == 403
    _, bad = sg.facebook_webhook("other-secret", body)
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, bad, raw, body)
    assert e.value.status == 403
    assert handshake({"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "42"}, "vt") == "42"
    with pytest.raises(WebhookError) as e:
        handshake({"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "42"}, "vt")
    assert e.value.status == 403
    assert conn.route_id(body) == PAGE and conn.route_id({"entry": []}) is None and conn.route_id([]) is None


def test_parse_batch_every_kind():
    conn, ch = _conn()
    ev = lambda **kw: {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": 1700000000000, **kw}  # noqa: E731
    body = {"object": "page", "entry": [
        {"id": PAGE, "time": 1, "messaging": [
            ev(message={"mid": "m1", "text": "Xin chào"}),
            ev(message={"mid": "m2", "text": "Thủ tục", "quick_reply": {"payload": "#faq"}}),
            ev(postback={"mid": "m3", "title": "Bắt đầu", "payload": "#start"}),
            ev(message={"mid": "m4", "attachments": [{"type": "image", "payload": {"url": "https://i/1.jpg"}}]}),
            ev(message={"mid": "m5", "attachments": [{"type": "location", "payload": {
                "coordinates": {"lat": 21.03, "long": 105.85}}}]}),
            ev(delivery={"mids": ["m9"], "watermark": 1700000000001}),
            ev(read={"watermark": 1700000000002}),
            {"sender": {"id": PAGE}, "recipient": {"id": PSID}, "timestamp": 3,
             "message": {"mid": "m6", "text": "Đã nhận", "is_echo": True, "app_id": 999, "metadata": "coso"}},
            {"sender": {"id": PAGE}, "recipient": {"id": PSID}, "timestamp": 4,
             "message": {"mid": "m7", "text": "Cán bộ trả lời", "is_echo": True, "app_id": 263902037430900}},
            ev(reaction={"reaction": "love", "mid": "m1"}),
        ]},
        {"id": PAGE, "time": 2, "standby": [ev(message={"mid": "m8", "text": "đang chờ"})],
         "changes": [sg.facebook_comment_change(PAGE, "c1", "p1", PSID, "Bao giờ có điện?"),
                     {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "p1",
                                                 "from": {"id": PSID}}}]},
    ]}
    out = conn.parse(ch, body)
    kinds = [(i.kind, i.event_id) for i in out]
    assert kinds == [
        (EventKind.TEXT, "m1"), (EventKind.POSTBACK, "m2"), (EventKind.POSTBACK, "m3"),
        (EventKind.ATTACHMENT, "m4"), (EventKind.LOCATION, "m5"),
        (EventKind.DELIVERY, f"delivery:{PSID}:1700000000001"), (EventKind.READ, f"read:{PSID}:1700000000002"),
        (EventKind.ECHO, "m6"), (EventKind.ECHO, "m7"), (EventKind.UNKNOWN, f"reaction:{PSID}:1700000000000"),
        (EventKind.TEXT, "m8"), (EventKind.COMMENT, "comment:c1:add"), (EventKind.UNKNOWN, out[-1].event_id)]
    assert out[1].payload == "#faq" and out[2].payload == "#start" and out[2].text == "Bắt đầu"
    assert out[3].attachments[0].url == "https://i/1.jpg"
    assert out[4].location.longitude == pytest.approx(105.85)
    assert out[7].user_id == PSID and out[7].info["ours"] is True and out[7].info["admin"] is False
    assert out[8].info == {"is_echo": True, "app_id": "263902037430900", "ours": False, "admin": True,
                           "metadata": None}
    assert out[10].info == {"standby": True} and not out[10].answer
    assert all(i.answer for i in out[:10])
    c = out[11]
    assert c.user_id == PSID and c.text == "Bao giờ có điện?" and c.info["post_id"] == "p1"
    assert all(i.user_id == PSID and i.raw is not None for i in out)
    # redelivery maps to the same ids
    assert [i.event_id for i in conn.parse(ch, json.loads(json.dumps(body)))] == [i.event_id for i in out]


def test_parse_wrong_shapes():
    conn, ch = _conn()
    for bad in ([], "x", {"entry": "x"}):
        with pytest.raises(WebhookError):
            conn.parse(ch, bad)
    assert conn.parse(ch, {}) == []
    out = conn.parse(ch, {"entry": [1, {"messaging": [1, {"message": "x"}, {"message": {}}]}, {"changes": [{}]}]})
    assert [i.kind for i in out] == [EventKind.UNKNOWN, EventKind.UNKNOWN, EventKind.UNKNOWN]


async def test_send_text_quick_replies(env):
    conn, ch, sim = env
    buttons = [Button(f"Câu hỏi số {i} về thủ tục hành chính", payload=f"#q{i}") for i in range(15)]
    res = await conn.send(ch, PSID, Outbound(text="Chọn câu hỏi", buttons=buttons))
    call = sim.calls[-1]
    assert call.query["access_token"] == sim.page_token and call.path == "/v21.0/me/messages"
    assert res.platform_message_id == sim.sent[-1]["message_id"]
    msg = sim.sent[-1]["message"]
    assert sim.sent[-1]["messaging_type"] == "RESPONSE" and sim.sent[-1]["recipient"] == {"id": PSID}
    assert len(msg["quick_replies"]) == 13
    assert all(len(q["title"]) <= 20 for q in msg["quick_replies"])
    # titles longer than 20 characters are numbered, and listed in full under the text
    assert msg["quick_replies"][0] == {"content_type": "text", "title": "1. Câu hỏi số 0 về…", "payload": "#q0"}
    assert msg["text"].startswith("Chọn câu hỏi\n\n1. Câu hỏi số 0 về thủ tục hành chính\n2. Câu hỏi số 1")
    assert "13. Câu hỏi số 12 về thủ tục hành chính" in msg["text"] and "14." not in msg["text"]
    await conn.send(ch, PSID, Outbound(text="Chọn", buttons=[Button("Ngắn", payload="#a"), Button("Về menu", payload="#m")]))
    short = sim.sent[-1]["message"]
    assert short["text"] == "Chọn" and [q["title"] for q in short["quick_replies"]] == ["Ngắn", "Về menu"]


async def test_send_url_buttons_template_image_and_split(env):
    conn, ch, sim = env
    await conn.send(ch, PSID, Outbound(text="Liên hệ", image_url="https://x/a.png", buttons=[
        Button("Cổng dịch vụ công quốc gia", url="https://dichvucong.gov.vn"), Button("Gọi", phone="0912 345 678"),
        Button("FAQ", payload="#faq"), Button("Khác", payload="#other")]))
    img, tmpl = sim.sent[-2]["message"], sim.sent[-1]["message"]
    assert img["attachment"] == {"type": "image", "payload": {"url": "https://x/a.png", "is_reusable": True}}
    p = tmpl["attachment"]["payload"]
    assert p["template_type"] == "button" and p["text"] == "Liên hệ"
    assert [b["type"] for b in p["buttons"]] == ["web_url", "phone_number", "postback"]
    assert p["buttons"][1]["payload"] == "+84912345678"
    assert tmpl["quick_replies"] == [{"content_type": "text", "title": "Khác", "payload": "#other"}]
    sim.sent.clear()
    long = "Hướng dẫn " * 450  # 4,500 characters
    await conn.send(ch, PSID, Outbound(text=long))
    assert len(sim.sent) == 3 and all(len(s["message"]["text"]) <= 2000 for s in sim.sent)


@pytest.mark.parametrize("code,subcode,status,kind", [
    (613, None, 400, SendErrorKind.TRANSIENT), (4, None, 400, SendErrorKind.TRANSIENT),
    (2, None, 500, SendErrorKind.TRANSIENT), (10, 2018278, 400, SendErrorKind.WINDOW),
    (190, None, 400, SendErrorKind.AUTH), (551, 1545041, 400, SendErrorKind.PERMANENT),
    (100, None, 400, SendErrorKind.PERMANENT), (10, None, 403, SendErrorKind.PERMANENT)])
async def test_error_classification(env, code, subcode, status, kind):
    conn, ch, sim = env
    sim.fail_next(1, code=code, subcode=subcode, status=status)
    with pytest.raises(SendError) as e:
        await conn.send(ch, PSID, Outbound(text="x"))
    assert e.value.kind is kind and e.value.code.startswith(str(code))


async def test_real_conditions_from_sim(env, caplog):
    conn, ch, sim = env
    sim.window_users.add("late")
    with pytest.raises(SendError) as e:
        await conn.send(ch, "late", Outbound(text="x"))
    assert e.value.kind is SendErrorKind.WINDOW and e.value.code == "10/2018278"
    sim.unavailable_users.add("gone")
    with pytest.raises(SendError) as e:
        await conn.send(ch, "gone", Outbound(text="x"))
    assert e.value.kind is SendErrorKind.PERMANENT
    sim.inject(502, "<html>bad gateway</html>")
    with pytest.raises(SendError) as e:
        await conn.send(ch, PSID, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TRANSIENT
    caplog.set_level(logging.DEBUG)
    token = sim.page_token
    sim.revoke_token()
    with pytest.raises(SendError) as e:
        await conn.send(ch, PSID, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.AUTH
    assert token not in caplog.text and token not in str(e.value)
    conn._timeout = aiohttp.ClientTimeout(total=0.2)
    sim.latency = 0.5
    with pytest.raises(SendError) as e:
        await conn.send(ch, PSID, Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TRANSIENT


def test_rate_limits():
    conn, ch = _conn()
    assert conn.rate_limits(ch, PSID) == [RateLimit(f"fb:page:{PAGE}", 300, 1.0)]


def test_batch_of_two_pages_split():
    conn, ch = _conn()
    a = sg.facebook_text_event(PAGE, PSID, "a", "ma")
    b = sg.facebook_text_event("999", PSID, "b", "mb")
    body = {"object": "page", "entry": a["entry"] + b["entry"]}
    parts = conn.split_by_page(body)
    assert set(parts) == {PAGE, "999"} and parts["999"]["entry"] == b["entry"]
    assert [i.event_id for i in conn.parse(ch, body)] == ["ma"]  # only this channel's page
