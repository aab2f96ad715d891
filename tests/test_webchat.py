"""Web chat end to end: the API, menu, bad input, on SQLite + embedded queue and PostgreSQL + Redis."""

from __future__ import annotations

import uuid

import pytest

from tests.harness import running_hub

SESSION = "s" + uuid.uuid4().hex


@pytest.fixture(params=["embedded", "scaled"])
async def hub(request, tmp_path):
    if request.param == "embedded":
        url, redis_url, prefix = f"sqlite:///{tmp_path / 'hub.db'}", None, "coso:"
    else:
        url = request.getfixturevalue("pg_url")
        redis_url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    async with running_hub(url, redis_url=redis_url, redis_prefix=prefix) as h:
        await h.add_unit("XA1", "UBND xã Một")
        await h.add_channel("web", "XA1", "webchat", "xa1", {})
        yield h


async def _poll(client, after: int = 0, wait: float = 10) -> list[dict]:
    resp = await client.get("/api/webchat/xa1/messages", params={"session": SESSION, "after": after, "wait": wait})
    assert resp.status == 200
    return (await resp.json())["messages"]


async def test_menu_then_coming_soon(hub):
    c = hub.client
    resp = await c.post("/api/webchat/xa1/messages", json={"session": SESSION, "text": "Bắt đầu",
                                                           "client_id": "c" + uuid.uuid4().hex})
    assert resp.status == 202
    messages = await _poll(c)
    assert "UBND xã Một" in messages[0]["text"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["Hỏi đáp thủ tục", "Gửi phản ánh", "Tra cứu phản ánh", "Đăng ký nhận tin"]

    resp = await c.post("/api/webchat/xa1/messages", json={"session": SESSION, "payload": "#report"})
    assert resp.status == 202
    more = await _poll(c, after=messages[-1]["id"])
    assert more[0]["text"].startswith("Gửi phản ánh")


async def test_same_client_message_twice_gives_one_reply(hub):
    c = hub.client
    body = {"session": SESSION, "text": "menu", "client_id": "dup" + uuid.uuid4().hex}
    for _ in range(2):
        assert (await c.post("/api/webchat/xa1/messages", json=body)).status == 202
    first = await _poll(c)
    assert len(first) == 1
    # nothing else arrives
    assert await _poll(c, after=first[0]["id"], wait=1.0) == []


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400),
    (b"[]", 400),
    (b'{"session": "short", "text": "hi"}', 400),
    (b'{"session": "' + SESSION.encode() + b'", "text": ""}', 400),
    (b'{"session": "' + SESSION.encode() + b'", "text": 5}', 400),
])
async def test_bad_input_is_4xx(hub, body, status):
    resp = await hub.client.post("/api/webchat/xa1/messages", data=body,
                                 headers={"Content-Type": "application/json"})
    assert resp.status == status
    assert await hub.hub.queue.pending_count("inbound") == 0


async def test_unknown_chat_and_huge_body(hub):
    resp = await hub.client.post("/api/webchat/nope/messages", json={"session": SESSION, "text": "x"})
    assert resp.status == 404
    resp = await hub.client.post("/api/webchat/xa1/messages", data=b"x" * (1024 * 1024 + 10),
                                 headers={"Content-Type": "application/json"})
    assert resp.status == 413


async def test_chat_page_and_widget(hub):
    page = await hub.client.get("/chat")
    assert page.status == 200
    assert 'data-channel="xa1"' in await page.text()
    js = await hub.client.get("/widget.js")
    assert js.status == 200 and "api/webchat" in await js.text()
    assert (await hub.client.get("/healthz")).status == 200
    ready = await hub.client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["database"] == "ok"


async def test_queue_outage_is_503_not_500(hub, monkeypatch):
    """If the queue cannot store the event, nothing is acknowledged: 503, and the platform retries."""
    async def down(*args, **kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(hub.hub.queue, "enqueue_many", down)
    resp = await hub.client.post("/api/webchat/xa1/messages", json={"session": SESSION, "text": "menu"})
    assert resp.status == 503
    assert "thử lại" in (await resp.json())["error"] or "gửi lại" in (await resp.json())["error"]


async def test_flooding_one_session_is_slowed_down(hub):
    session = "flood" + uuid.uuid4().hex
    statuses = []
    for i in range(14):
        resp = await hub.client.post("/api/webchat/xa1/messages", json={"session": session, "text": f"tin {i}"})
        statuses.append(resp.status)
    assert statuses[:10] == [202] * 10
    assert 429 in statuses[10:]
    other = await hub.client.post("/api/webchat/xa1/messages", json={"session": SESSION, "text": "menu"})
    assert other.status == 202  # other people are not affected
