"""Telegram connector (python-telegram-bot) against the real-HTTP Bot API simulator."""

from __future__ import annotations

import logging

import pytest

from bot.settings import Settings
from connectors.base import Button, EventKind, Outbound, RateLimit, SendError, SendErrorKind, WebhookError
from connectors.telegram import TelegramConnector
from tests.simulators import FakeChannel, start
from tests.simulators import signing as sg
from tests.simulators.telegram import TelegramSim

TOKEN = "123456789:AAEsimulatedTokenForTests_abcdefghij"
SECRET = "tg-secret-token"
CHAT = 55501234


@pytest.fixture
async def env():
    sim = TelegramSim(TOKEN)
    server = await start(sim.app)
    conn = TelegramConnector(Settings(telegram_api_base=server.url, send_timeout=1.0))
    channel = FakeChannel(id=9, platform="telegram", external_id="123456789",
                          config={"bot_token": TOKEN, "secret_token": SECRET})
    yield conn, channel, sim
    await conn.close()
    await server.close()


def _conn() -> tuple[TelegramConnector, FakeChannel]:
    return TelegramConnector(Settings()), FakeChannel(id=9, platform="telegram", external_id="123456789",
                                                      config={"bot_token": TOKEN, "secret_token": SECRET})


def test_secret_token():
    conn, ch = _conn()
    upd = sg.telegram_text_update(1, CHAT, "hi")
    raw, headers = sg.telegram_webhook(SECRET, upd)
    conn.verify(ch, headers, raw, upd)
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, {}, raw, upd)
    assert e.value.status == 401
    _, bad = sg.telegram_webhook("nope", upd)
    with pytest.raises(WebhookError) as e:
        conn.verify(ch, bad, raw, upd)
    assert e.value.status == 403
    assert conn.route_id(upd) is None


def test_parse_every_kind():
    conn, ch = _conn()

    def one(upd):
        out = conn.parse(ch, upd)
        assert len(out) == 1 and out[0].event_id == str(upd["update_id"]) and out[0].raw is upd
        return out[0]

    t = one(sg.telegram_text_update(10, CHAT, "Xin chào"))
    assert (t.kind, t.text, t.user_id, t.raw_event) == (EventKind.TEXT, "Xin chào", str(CHAT), "message")
    assert t.timestamp_ms > 1_600_000_000_000
    cb = one(sg.telegram_callback_update(11, CHAT, "#faq", "cb-7"))
    assert (cb.kind, cb.payload, cb.user_id, cb.info["callback_query_id"]) == (
        EventKind.POSTBACK, "#faq", str(CHAT), "cb-7")
    loc = one(sg.telegram_location_update(12, CHAT, 21.0, 105.8))
    assert loc.kind == EventKind.LOCATION and loc.location.latitude == pytest.approx(21.0)
    ph = one(sg.telegram_photo_update(13, CHAT, caption="Đường hỏng"))
    assert ph.kind == EventKind.ATTACHMENT and ph.text == "Đường hỏng" and ph.attachments[0].type == "image"
    assert ph.info["file_ids"] == ["big"] and ph.attachments[0].url is None
    doc = one({"update_id": 14, "message": sg.telegram_message(CHAT, 14, document={
        "file_id": "d1", "file_unique_id": "u", "file_name": "don.pdf", "file_size": 10})})
    assert doc.attachments[0].type == "file" and doc.attachments[0].name == "don.pdf"
    voice = one({"update_id": 15, "message": sg.telegram_message(CHAT, 15, voice={
        "file_id": "v1", "file_unique_id": "u", "duration": 3})})
    assert voice.attachments[0].type == "audio"
    contact = one({"update_id": 16, "message": sg.telegram_message(CHAT, 16, contact={
        "phone_number": "0912345678", "first_name": "Lan"})})
    assert contact.attachments[0].type == "business_card" and contact.info["contact"]["phone"] == "0912345678"
    assert one(sg.telegram_member_update(17, CHAT, "kicked")).kind == EventKind.UNFOLLOW
    assert one(sg.telegram_member_update(18, CHAT, "member")).kind == EventKind.FOLLOW
    edited = one({"update_id": 19, "edited_message": {**sg.telegram_message(CHAT, 5, text="sửa"),
                                                      "edit_date": 1700000000}})
    assert edited.kind == EventKind.UNKNOWN and edited.raw_event == "edited_message" and edited.user_id == str(CHAT)
    assert one({"update_id": 20, "some_future_update": {"x": 1}}).kind == EventKind.UNKNOWN


def test_group_messages_are_answered_only_when_they_are_commands():
    conn, ch = _conn()
    group = -100123

    def answered(upd) -> bool:
        return conn.parse(ch, upd)[0].answer

    assert answered(sg.telegram_text_update(30, CHAT, "cho hỏi làm căn cước"))  # private chat
    assert answered(sg.telegram_photo_update(31, CHAT, caption="Đường hỏng"))
    assert not answered(sg.telegram_text_update(32, group, "hôm nay họp thôn mấy giờ"))
    assert not answered(sg.telegram_photo_update(33, group, caption="ảnh họp thôn"))
    assert not answered(sg.telegram_location_update(34, group, 21.0, 105.8))
    assert answered(sg.telegram_text_update(35, group, "/start"))
    assert answered(sg.telegram_callback_update(36, group, "#faq"))  # a button the bot sent


def test_parse_wrong_shapes():
    conn, ch = _conn()
    for bad in ([], "x", {"message": {}}, {"update_id": 1, "message": {"chat": "x"}},
                {"update_id": 2, "message": {"message_id": 1}}):
        with pytest.raises(WebhookError) as e:
            conn.parse(ch, bad)
        assert e.value.status == 400


async def test_send_text_keyboard_photo(env):
    conn, ch, sim = env
    res = await conn.send(ch, str(CHAT), Outbound(text="Chọn", buttons=[
        Button("Thủ tục", payload="#faq"), Button("Cổng DVC", url="https://dichvucong.gov.vn"),
        Button("Gọi UBND", phone="0243123456"), Button("Dài", payload="#" + "x" * 100)]))
    assert [c.path for c in sim.calls] == [f"/bot{TOKEN}/getMe", f"/bot{TOKEN}/sendMessage"]
    sent = sim.sent[-1]
    assert res.platform_message_id == str(sent["message_id"])
    assert sent["chat_id"] == str(CHAT) and sent["text"] == "Chọn\n☎ Gọi UBND: 0243123456"
    rows = sent["reply_markup"]["inline_keyboard"]
    assert rows[0] == [{"text": "Thủ tục", "callback_data": "#faq"}]
    assert rows[1] == [{"text": "Cổng DVC", "url": "https://dichvucong.gov.vn"}]
    assert len(rows[2][0]["callback_data"].encode()) == 64 and len(rows) == 3
    await conn.send(ch, str(CHAT), Outbound(text="Ảnh", image_url="https://x/a.jpg"))
    assert sim.sent[-1]["method"] == "sendphoto" and sim.sent[-1]["caption"] == "Ảnh"
    assert len(sim.calls_to("/getMe")) == 1  # initialised once
    await conn.send(ch, str(CHAT), Outbound(text="Dài " * 2000))
    assert [len(s["text"]) <= 4096 for s in sim.sent[-2:]] == [True, True]
    await conn.answer_callback(ch, "cb-1")
    await conn.set_webhook(ch, "https://hub.example/webhooks/telegram/9")
    assert sim.answered_callbacks == ["cb-1"] and sim.webhooks[TOKEN]["secret_token"] == SECRET


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB's own RetryAfter.retry_after notice
async def test_error_classification(env, caplog):
    conn, ch, sim = env
    caplog.set_level(logging.DEBUG)
    sim.flood_next(1, retry_after=7)
    with pytest.raises(SendError) as e:
        await conn.send(ch, str(CHAT), Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TRANSIENT and e.value.retry_after == 7
    sim.blocked_chats.add("42")
    with pytest.raises(SendError) as e:
        await conn.send(ch, "42", Outbound(text="x"))
    assert e.value.kind is SendErrorKind.PERMANENT and e.value.code == "403"
    sim.missing_chats.add("43")
    with pytest.raises(SendError) as e:
        await conn.send(ch, "43", Outbound(text="x"))
    assert e.value.kind is SendErrorKind.PERMANENT and e.value.code == "400"
    for status in (500, 502):
        sim.http_fail_next(1, status)
        with pytest.raises(SendError) as e:
            await conn.send(ch, str(CHAT), Outbound(text="x"))
        assert e.value.kind is SendErrorKind.TRANSIENT
    sim.latency = 1.3  # > send_timeout
    with pytest.raises(SendError) as e:
        await conn.send(ch, str(CHAT), Outbound(text="x"))
    assert e.value.kind is SendErrorKind.TRANSIENT
    sim.latency = 0
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


async def test_invalid_token(env):
    conn, _, sim = env
    ch = FakeChannel(id=10, platform="telegram", external_id="999",
                     config={"bot_token": "999:revoked", "secret_token": SECRET})
    with pytest.raises(SendError) as e:
        await conn.send(ch, str(CHAT), Outbound(text="x"))
    assert e.value.kind is SendErrorKind.AUTH


def test_rate_limits():
    conn, ch = _conn()
    assert conn.rate_limits(ch, str(CHAT)) == [RateLimit("tg:bot:123456789", 30, 1.0),
                                               RateLimit(f"tg:chat:123456789:{CHAT}", 1, 1.0)]
    assert RateLimit("tg:group:123456789:-100", 20, 60.0) in conn.rate_limits(ch, "-100")
