"""Console: questions citizens handed over to staff — the conversation around one, and the answer.

The overview (:mod:`bot.console`) lists them with an answer form each; ``/console/handovers/{id}``
shows the citizen's recent messages on that channel (what they asked before, what the bot said) so
staff answer knowing the context.  Sending is :func:`bot.staff_reply.answer_handover`.
"""

from __future__ import annotations

import html
from datetime import timedelta

from aiohttp import web
from sqlmodel import col, select

from bot.console_page import csrf_field, header, not_found, page, require_user, scope_of, staff_post, table
from bot.staff_reply import MAX_ANSWER, AnswerError, answer_handover
from bot.timefmt import vn_time
from bot.web import HUB
from storage.db import session_scope
from storage.models import FaqQuery, Message, StaffUser, Unit, utcnow
from storage.repo import audit, parse_id

ANSWER_STATUS = {"pending": "đang gửi", "sent": "đã gửi tới người dân",
                 "window_expired": "không gửi được: ngoài thời hạn tương tác của nền tảng",
                 "failed": "gửi lỗi", "deleted": "đã xóa"}
RESEND_AFTER = timedelta(minutes=1)  # an answer still unsent this long after it was written may be queued again
HISTORY = 30  # messages shown around a hand-over
KIND_NAMES = {"image": "[ảnh]", "file": "[tệp]", "audio": "[âm thanh]", "video": "[video]", "sticker": "[nhãn dán]",
              "location": "[vị trí]", "postback": "[bấm nút]", "follow": "[quan tâm kênh]"}


def answer_cell(request: web.Request, q: FaqQuery, message: Message | None, *, back: str = "") -> str:
    """The answer and how far it got, or the form to write one (``back``: "conversation" returns to
    the conversation page after sending)."""
    e = html.escape
    action = f"/console/handovers/{q.id}/answer"
    fields = csrf_field(request) + (f'<input type="hidden" name="back" value="{e(back)}">' if back else "")
    if q.answer_message_id is None:
        return (f'<form method="post" action="{action}">{fields}'
                f'<textarea name="text" rows="2" maxlength="{MAX_ANSWER}" required aria-label="Trả lời người dân" '
                'placeholder="Nội dung trả lời người dân"></textarea> <button type="submit">Gửi trả lời</button></form>')
    status = message.status if message is not None else "deleted"
    cell = (f'{e((message.text or "") if message else "")}<br><small>{e(q.answered_by or "")}, '
            f'{vn_time(q.answered_at) if q.answered_at else ""} — {e(ANSWER_STATUS.get(status, status))}</small>')
    if status == "pending" and q.answered_at is not None and utcnow() - q.answered_at > RESEND_AFTER:
        cell += (f' <form class="inline" method="post" action="{action}">{fields}'
                 '<button type="submit" class="light">Gửi lại</button></form>')
    return cell


def _error(request: web.Request, user: StaffUser, exc: AnswerError) -> web.Response:
    return page("Trả lời câu hỏi", f'{header(request, user, "")}<main><section><p class="error">'
                f'{html.escape(exc.message)}</p><p><a href="/console">Về bảng điều khiển</a></p></section></main>',
                status=exc.status)


async def answer(request: web.Request) -> web.Response:
    """POST an answer to a handed-over question (or queue an unsent one again)."""
    post = await staff_post(request, "question_id")
    question_id = post.target_id
    try:
        if question_id is None:
            raise AnswerError(404, "Không tìm thấy câu hỏi này trong đơn vị của bạn.")
        await answer_handover(request.app[HUB], post.user, post.scope, question_id, str(post.form.get("text") or ""))
    except AnswerError as exc:
        return _error(request, post.user, exc)
    back = f"/console/handovers/{question_id}" if post.form.get("back") == "conversation" else "/console"
    raise web.HTTPSeeOther(back)


async def conversation(request: web.Request) -> web.Response:
    """The citizen's latest messages on the channel of a handed-over question, and the answer form."""
    user = await require_user(request)
    question_id = parse_id(request.match_info["question_id"])
    hub = request.app[HUB]
    async with session_scope(hub.sessions) as session:
        units = list((await session.exec(select(Unit))).all())
        q = await session.get(FaqQuery, question_id) if question_id is not None else None
        if q is None or q.outcome != "handover" or q.unit_id not in scope_of(user, units):
            raise not_found("Không tìm thấy câu hỏi này trong đơn vị của bạn.")
        messages = list((await session.exec(select(Message).where(
            Message.channel_id == q.channel_id, Message.citizen_id == q.citizen_id)
            .order_by(col(Message.id).desc()).limit(HISTORY))).all()) if q.citizen_id is not None else []
        answer_msg = await session.get(Message, q.answer_message_id) if q.answer_message_id else None
        audit(session, user.username, "view_conversation", q.unit_id, question_id=q.id)  # who read it is on record
    e = html.escape
    rows = []
    for m in reversed(messages):
        body = m.body or {}
        if m.kind == "echo":
            if not (body.get("info") or {}).get("admin"):
                continue  # the platform's copy of a message we sent: already listed as ours
            who = "Cán bộ (trên ứng dụng của nền tảng)"
        else:
            who = "Người dân" if m.direction == "in" else ("Cán bộ" if body.get("human") else "Bot")
        text = m.text if m.text else KIND_NAMES.get(m.kind, f"[{m.kind}]")
        rows.append([vn_time(m.created_at), who, e(text or "")])
    names = {u.id: u.name for u in units}
    form = answer_cell(request, q, answer_msg, back="conversation")
    body = (f'{header(request, user, e(names.get(q.unit_id, "")))}<main>'
            f'<section><h3>Câu hỏi chuyển cho cán bộ</h3><p><b>{e(q.text)}</b></p>'
            f'<p class="muted">{vn_time(q.created_at)} · {e(names.get(q.unit_id, ""))}</p>{form}</section>'
            f'<section><h3>Hội thoại gần đây</h3>'
            f'{table(["Thời gian", "Ai", "Nội dung"], rows, "Không còn tin nhắn nào (đã xóa theo yêu cầu).")}'
            '<p><a href="/console">Về bảng điều khiển</a></p></section></main>')
    return page("Hội thoại", body)


def setup(app: web.Application) -> None:
    app.router.add_get("/console/handovers/{question_id}", conversation)
    app.router.add_post("/console/handovers/{question_id}/answer", answer)
