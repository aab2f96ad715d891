"""Web chat: the page at /chat, the embeddable widget, and its small JSON API.

* ``POST /api/webchat/{slug}/messages`` ``{"session", "text"|"payload", "client_id"}`` → 202 once queued.
* ``GET /api/webchat/{slug}/messages?session=S&after=ID`` → the bot's replies after ID,
  waiting up to 20 s for new ones (long polling works on any phone and proxy).
"""

from __future__ import annotations

import asyncio
import html
import time

from aiohttp import web
from sqlmodel import col, select

from bot.web import HUB, STATIC_DIR, _accept, _guard, _read_json
from connectors.base import Outbound, Platform, WebhookError
from connectors.webchat import SESSION_RE
from storage.models import Channel, ChannelIdentity, Message
from storage.repo import MAX_ID

POLL_WAIT = 20.0
POLL_STEP = 0.3


async def _channel(request: web.Request) -> Channel:
    channel = await request.app[HUB].cache.channel_by_external(Platform.WEBCHAT, request.match_info["slug"])
    if channel is None:
        raise WebhookError(404, "Không tìm thấy kênh trò chuyện / unknown web chat")
    return channel


@_guard
async def post_message(request: web.Request) -> web.Response:
    channel = await _channel(request)
    raw, data = await _read_json(request)
    session_id = data.get("session") if isinstance(data, dict) else None
    if isinstance(session_id, str):
        # A person types a few messages a minute; a script flooding the chat is slowed down.
        wait = await request.app[HUB].limiter.acquire(f"webchat:{channel.id}:{session_id}", 30, 60.0, burst=10)
        if wait > 0:
            raise WebhookError(429, "Bạn gửi nhanh quá, vui lòng chờ một chút / too many messages")
    response = await _accept(request, Platform.WEBCHAT, channel, raw, data)
    response.set_status(202)
    return response


@_guard
async def get_messages(request: web.Request) -> web.Response:
    channel = await _channel(request)
    session_id = request.query.get("session", "")
    if not SESSION_RE.match(session_id):
        raise WebhookError(400, "Mã phiên không hợp lệ / invalid session")
    try:
        after = min(max(int(request.query.get("after", "0")), 0), MAX_ID)
        wait = min(float(request.query.get("wait", POLL_WAIT)), POLL_WAIT)
    except ValueError:
        raise WebhookError(400, "Tham số không hợp lệ / invalid parameter") from None
    hub = request.app[HUB]
    deadline = time.monotonic() + max(wait, 0)
    while True:
        async with hub.sessions() as session:
            identity = (await session.exec(select(ChannelIdentity).where(
                ChannelIdentity.channel_id == channel.id, ChannelIdentity.platform_user_id == session_id))).first()
            rows = [] if identity is None else (await session.exec(
                select(Message).where(Message.identity_id == identity.id, Message.direction == "out",
                                      Message.status == "sent", col(Message.id) > after)
                .order_by(col(Message.id)).limit(50))).all()
        if rows or time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_STEP)
    messages = []
    for row in rows:
        out = Outbound.from_dict(row.body)
        messages.append({"id": row.id, "text": out.text, "image_url": out.image_url,
                         "buttons": [{"title": b.title, "payload": b.payload, "url": b.url, "phone": b.phone}
                                     for b in out.buttons]})
    return web.json_response({"ok": True, "messages": messages})


async def chat_page(request: web.Request) -> web.Response:
    slug = request.match_info.get("slug")
    hub = request.app[HUB]
    async with hub.sessions() as session:
        stmt = select(Channel).where(Channel.platform == Platform.WEBCHAT)
        if slug:
            stmt = stmt.where(Channel.external_id == slug)
        channel = (await session.exec(stmt.order_by(col(Channel.id)))).first()
    if channel is None:
        return web.Response(status=404, text="Chưa có kênh trò chuyện nào được đăng ký.",
                            content_type="text/plain", charset="utf-8")
    page = (STATIC_DIR / "chat.html").read_text(encoding="utf-8")
    page = page.replace("{{title}}", html.escape(channel.name or "Trò chuyện với xã"))
    page = page.replace("{{slug}}", html.escape(channel.external_id))
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def widget_js(request: web.Request) -> web.Response:
    return web.Response(text=(STATIC_DIR / "widget.js").read_text(encoding="utf-8"),
                        content_type="application/javascript", charset="utf-8",
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300"})


async def cors_preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=_cors())


def _cors() -> dict[str, str]:
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type"}


@web.middleware
async def cors_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """The widget runs on the commune's own website: its API calls are cross-origin."""
    response = await handler(request)
    if request.path.startswith("/api/webchat/"):
        response.headers.update(_cors())
    return response


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat")


def setup(app: web.Application) -> None:
    app.middlewares.append(cors_middleware)
    app.router.add_get("/", index)
    app.router.add_get("/chat", chat_page)
    app.router.add_get("/chat/{slug}", chat_page)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_post("/api/webchat/{slug}/messages", post_message)
    app.router.add_get("/api/webchat/{slug}/messages", get_messages)
    app.router.add_route("OPTIONS", "/api/webchat/{slug}/messages", cors_preflight)

