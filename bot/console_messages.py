"""Console: messages that could not be sent — sending a failed one again.

After a channel was re-authorised (or a platform outage ended), staff send the failed messages of
their units again from the overview, as the `coso outbox retry` command does: the row becomes
``pending`` and the outbox sends it once.  Messages outside the platform's interaction window
cannot be sent again and get no button.
"""

from __future__ import annotations

from aiohttp import web

from bot.console_page import conflict, csrf_field, not_found, staff_post
from bot.outbox import NotRetryable, reset_failed
from bot.pipeline import OUTBOX
from bot.web import HUB
from storage.db import session_scope
from storage.models import Channel, Message
from storage.repo import audit


def retry_cell(request: web.Request, message: Message, channel: Channel | None) -> str:
    """A "Gửi lại" button for a failed message whose channel works again, else why there is none."""
    if message.status != "failed":
        return ""
    if channel is None or not channel.active:
        return '<span class="muted">kênh đã tắt</span>'
    if channel.needs_reauth:
        return '<span class="muted">cần cấp quyền lại cho kênh trước</span>'
    if message.identity_id is None:
        return '<span class="muted">người nhận đã bị xóa</span>'
    return (f'<form class="inline" method="post" action="/console/messages/{message.id}/retry">'
            f'{csrf_field(request)}<button type="submit" class="light">Gửi lại</button></form>')


async def retry(request: web.Request) -> web.Response:
    post = await staff_post(request, "message_id")
    hub = request.app[HUB]
    async with session_scope(hub.sessions) as session:
        message = await session.get(Message, post.target_id) if post.target_id is not None else None
        if message is None or message.unit_id not in post.scope:
            raise not_found("Không tìm thấy tin nhắn này trong đơn vị của bạn.")
        channel = await session.get(Channel, message.channel_id)
        if channel is None or not channel.active or channel.needs_reauth:
            raise conflict("Kênh chưa hoạt động lại; hãy cấp quyền lại cho kênh trước.")
        try:
            job = await reset_failed(session, message.id)  # type: ignore[arg-type]
        except NotRetryable:
            raise conflict("Tin nhắn này không gửi lại được (đã gửi, đang gửi hoặc người nhận đã bị xóa).") from None
        audit(session, post.user.username, "message_retry", message.unit_id, message_id=message.id)
    await hub.queue.enqueue(OUTBOX, *job)
    raise web.HTTPSeeOther("/console")


def setup(app: web.Application) -> None:
    app.router.add_post("/console/messages/{message_id}/retry", retry)
