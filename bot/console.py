"""Staff console: log in and out, and the overview scoped to the staff member's units.

The shared page parts (layout, sessions, CSRF, scope) are in :mod:`bot.console_page`; the FAQ
pages in :mod:`bot.console_faq`.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from datetime import timedelta

from aiohttp import web
from sqlalchemy import case, func
from sqlmodel import col, select

from bot import console_faq, console_handovers, console_messages, login_guard
from bot.console_page import (
    COOKIE,
    SESSION_DAYS,
    check_csrf,
    header,
    page,
    require_user,
    scope_of,
    table,
    token_hash,
)
from bot.seed import check_password
from bot.timefmt import vn_time
from bot.web import HUB
from handlers.faq_store import answer_quality, review_count
from storage.db import session_scope
from storage.models import Channel, FaqQuery, Message, StaffSession, StaffUser, Unit, utcnow

PLATFORM_NAMES = {"zalo": "Zalo OA", "facebook": "Facebook", "telegram": "Telegram", "webchat": "Trò chuyện web"}


def _login_form(error: str = "", username: str = "") -> str:
    err = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (f'<form class="login" method="post" action="/login"><h2>Đăng nhập cán bộ</h2>{err}'
            f'<label>Tên đăng nhập<input name="username" autocomplete="username" value="{html.escape(username)}">'
            '</label><label>Mật khẩu<input name="password" type="password" autocomplete="current-password">'
            '</label><button type="submit">Đăng nhập</button></form>')


async def login_page(request: web.Request) -> web.Response:
    return page("Đăng nhập", _login_form())


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    hub = request.app[HUB]
    async with hub.sessions() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.username == username))).first()
        left = await login_guard.locked_for(session, user) if user is not None else None
    if left is not None:
        await asyncio.sleep(0.5)
        return page("Đăng nhập", _login_form(login_guard.locked_message(left), username), status=429)
    ok = user is not None and user.active and await asyncio.to_thread(check_password, password, user.password_hash)
    if not ok:
        if user is not None:
            async with session_scope(hub.sessions) as session:
                login_guard.record(session, user, ok=False)
        await asyncio.sleep(0.5)  # slows guessing a little; login_guard stops it after a few tries
        return page("Đăng nhập", _login_form("Sai tên đăng nhập hoặc mật khẩu.", username), status=401)
    token = secrets.token_urlsafe(32)
    async with session_scope(hub.sessions) as session:
        login_guard.record(session, user, ok=True)  # type: ignore[arg-type]
        session.add(StaffSession(token_hash=token_hash(token), user_id=user.id,  # type: ignore[union-attr]
                                 expires_at=utcnow() + timedelta(days=SESSION_DAYS)))
    response = web.HTTPFound("/console")
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", max_age=SESSION_DAYS * 86400,
                        secure=hub.settings.public_url.startswith("https://"))
    raise response


async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE)
    if token:
        check_csrf(request, (await request.post()).get("csrf"))
        async with session_scope(request.app[HUB].sessions) as session:
            row = (await session.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))).first()
            if row is not None:
                await session.delete(row)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE)
    raise response


async def console(request: web.Request) -> web.Response:
    user = await require_user(request)
    hub = request.app[HUB]
    async with hub.sessions() as session:
        units = list((await session.exec(select(Unit))).all())
        scope = scope_of(user, units)
        channels = (await session.exec(select(Channel).where(col(Channel.unit_id).in_(scope))
                                       .order_by(col(Channel.id)))).all()
        failed = (await session.exec(select(Message).where(
            col(Message.unit_id).in_(scope), Message.direction == "out",
            col(Message.status).in_(["failed", "window_expired"])).order_by(col(Message.id).desc()).limit(50))).all()
        to_review = await review_count(session, list(scope))
        quality = await answer_quality(session, list(scope))
        # the ones still waiting for an answer first (oldest first: they waited longest), then the answered
        handovers = (await session.exec(select(FaqQuery).where(
            col(FaqQuery.unit_id).in_(scope), FaqQuery.outcome == "handover")
            .order_by(case((col(FaqQuery.answered_at).is_(None), 0), else_=1),
                      case((col(FaqQuery.answered_at).is_(None), col(FaqQuery.id)), else_=-col(FaqQuery.id)))
            .limit(50))).all()
        waiting = (await session.exec(select(func.count()).select_from(FaqQuery).where(
            col(FaqQuery.unit_id).in_(scope), FaqQuery.outcome == "handover",
            col(FaqQuery.answered_at).is_(None)))).one()
        answer_ids = [q.answer_message_id for q in handovers if q.answer_message_id is not None]
        answers = {m.id: m for m in (await session.exec(select(Message).where(
            col(Message.id).in_(answer_ids)))).all()} if answer_ids else {}
    names = {u.id: u.name for u in units}
    e = html.escape
    channel_rows = [[e(PLATFORM_NAMES.get(c.platform, c.platform)), e(c.name or c.external_id),
                     e(names.get(c.unit_id, "")),
                     f'<span class="warn" title="{e(c.status_note or "")}">Cần cấp quyền lại</span>'
                     if c.needs_reauth else ("Hoạt động" if c.active else "Đã tắt")] for c in channels]
    by_id = {c.id: c for c in channels}
    failed_rows = [[vn_time(m.created_at), e(names.get(m.unit_id, "")),
                    "Ngoài thời hạn tương tác" if m.status == "window_expired" else "Gửi lỗi",
                    e((m.text or "")[:80]), e(m.error or ""),
                    console_messages.retry_cell(request, m, by_id.get(m.channel_id))] for m in failed]
    handover_rows = [[vn_time(q.created_at), e(names.get(q.unit_id, "")),
                      f'{e(q.text)}<br><a href="/console/handovers/{q.id}">Xem hội thoại</a>',
                      console_handovers.answer_cell(request, q, answers.get(q.answer_message_id))]
                     for q in handovers]
    unit_label = "Tất cả đơn vị" if user.role == "admin" else e(names.get(user.unit_id, ""))
    body = (f'{header(request, user, unit_label)}<main>'
            f'<section><h3>Hỏi đáp</h3><p>{to_review} câu hỏi người dân chưa được bot trả lời chắc chắn đang chờ '
            'xem. <a href="/console/faq/review">Xem và bổ sung</a> · <a href="/console/faq">Quản lý các mục hỏi '
            f'đáp</a></p><p>{e(quality.summary())}</p></section>'
            f'<section><h3>Câu hỏi chuyển cho cán bộ</h3><p>{waiting} câu hỏi đang chờ cán bộ trả lời.</p>'
            f'{table(["Thời gian", "Đơn vị", "Câu hỏi", "Trả lời"], handover_rows, "Chưa có câu hỏi nào.")}</section>'
            f'<section><h3>Tin nhắn gửi lỗi</h3>'
            f'{table(["Thời gian", "Đơn vị", "Tình trạng", "Nội dung", "Lỗi", ""], failed_rows, "Không có tin nhắn lỗi.")}'
            f'</section><section><h3>Kênh</h3>'
            f'{table(["Nền tảng", "Tên", "Đơn vị", "Trạng thái"], channel_rows, "Chưa có kênh nào.")}</section></main>')
    return page("Bảng điều khiển", body)


def setup(app: web.Application) -> None:
    console_faq.setup(app)
    console_handovers.setup(app)
    console_messages.setup(app)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/console", console)
