"""Staff console: log in, and an overview scoped to the staff member's units (FAQ pages: console_faq).

Sessions are server side (``staff_session``), so every web replica sees them; the
cookie holds a random token whose SHA-256 is stored. Roles and units decide what a
person sees: an administrator sees everything, everyone else their unit and the
units below it (a commune's staff never see another commune's data).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import secrets
from datetime import timedelta

from aiohttp import web
from sqlmodel import col, select

from bot.seed import check_password
from bot.timefmt import vn_time
from bot.web import HUB
from handlers.faq_store import review_count
from storage.db import session_scope
from storage.models import Channel, FaqQuery, Message, StaffSession, StaffUser, Unit, utcnow
from storage.repo import unit_subtree_ids

COOKIE = "coso_session"
SESSION_DAYS = 7
PLATFORM_NAMES = {"zalo": "Zalo OA", "facebook": "Facebook", "telegram": "Telegram", "webchat": "Trò chuyện web"}
ROLE_NAMES = {"admin": "Quản trị viên", "province_officer": "Cán bộ tỉnh", "officer": "Cán bộ",
              "staff": "Cán bộ xã"}

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — Cơ Sở Hub</title>
<style>body{{font-family:system-ui,Arial,sans-serif;margin:0;background:#f5f6f8;color:#222}}
header{{background:#b71c1c;color:#fff;padding:10px 16px;display:flex;justify-content:space-between;align-items:center;
flex-wrap:wrap;gap:8px}}header a{{color:#fff;margin-right:12px}}
main{{max-width:1000px;margin:16px auto;padding:0 12px}}section{{background:#fff;border:1px solid #ddd;
border-radius:6px;padding:12px 16px;margin-bottom:16px}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #eee;padding:6px;text-align:left;font-size:14px}}.warn{{color:#b71c1c;font-weight:bold}}
form.login{{max-width:320px;margin:60px auto;background:#fff;padding:20px;border:1px solid #ddd;border-radius:6px}}
form.login input{{width:100%;padding:8px;margin:6px 0 12px;box-sizing:border-box}}
button{{background:#b71c1c;color:#fff;border:0;padding:8px 14px;border-radius:4px;cursor:pointer}}
.error{{color:#b71c1c}}.ok{{color:#1b5e20}}.muted{{color:#777}}label.f{{display:block;margin:8px 0 4px;font-weight:bold}}
input.w,textarea,select.w{{width:100%;box-sizing:border-box;padding:6px;font:inherit}}textarea{{min-height:80px}}
form.inline{{display:inline}}button.light{{background:#eee;color:#222}}</style></head><body>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(title=html.escape(title), body=body), status=status,
                        content_type="text/html", charset="utf-8")


def _login_form(error: str = "", username: str = "") -> str:
    err = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (f'<form class="login" method="post" action="/login"><h2>Đăng nhập cán bộ</h2>{err}'
            f'<label>Tên đăng nhập<input name="username" autocomplete="username" value="{html.escape(username)}">'
            '</label><label>Mật khẩu<input name="password" type="password" autocomplete="current-password">'
            '</label><button type="submit">Đăng nhập</button></form>')


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(request: web.Request) -> str:
    """A per-session token for the console's forms (derived from the session cookie)."""
    return hashlib.sha256(b"csrf:" + request.cookies.get(COOKIE, "").encode()).hexdigest()[:40]


def csrf_field(request: web.Request) -> str:
    return f'<input type="hidden" name="csrf" value="{csrf_token(request)}">'


def check_csrf(request: web.Request, sent: object) -> None:
    if not request.cookies.get(COOKIE) or not secrets.compare_digest(str(sent or ""), csrf_token(request)):
        raise forbidden("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang rồi thử lại.")


def _error_page(kind: type[web.HTTPError], title: str, message: str) -> web.HTTPError:
    body = (f'<main><section><p class="error">{html.escape(message)}</p>'
            '<p><a href="/console">Về bảng điều khiển</a></p></section></main>')
    return kind(text=PAGE.format(title=title, body=body), content_type="text/html")


def forbidden(message: str) -> web.HTTPError:
    return _error_page(web.HTTPForbidden, "Không được phép", message)


def not_found(message: str) -> web.HTTPError:
    return _error_page(web.HTTPNotFound, "Không tìm thấy", message)


async def current_user(request: web.Request) -> StaffUser | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    async with request.app[HUB].sessions() as session:
        row = (await session.exec(select(StaffSession).where(StaffSession.token_hash == _hash(token)))).first()
        if row is None or row.expires_at < utcnow():
            return None
        user = await session.get(StaffUser, row.user_id)
    return user if user is not None and user.active else None


async def login_page(request: web.Request) -> web.Response:
    return _page("Đăng nhập", _login_form())


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    hub = request.app[HUB]
    async with hub.sessions() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.username == username))).first()
    ok = user is not None and user.active and await asyncio.to_thread(check_password, password, user.password_hash)
    if not ok:
        await asyncio.sleep(0.5)  # slows guessing a little
        return _page("Đăng nhập", _login_form("Sai tên đăng nhập hoặc mật khẩu.", username), status=401)
    token = secrets.token_urlsafe(32)
    async with session_scope(hub.sessions) as session:
        session.add(StaffSession(token_hash=_hash(token), user_id=user.id,  # type: ignore[union-attr]
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
            row = (await session.exec(select(StaffSession).where(StaffSession.token_hash == _hash(token)))).first()
            if row is not None:
                await session.delete(row)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE)
    raise response


def _rows(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


async def require_user(request: web.Request) -> StaffUser:
    user = await current_user(request)
    if user is None:
        raise web.HTTPFound("/login")
    return user


def scope_of(user: StaffUser, units: list[Unit]) -> set[int]:
    """The units a staff member sees and manages: all for an administrator, else their unit and below."""
    if user.role == "admin":
        return {u.id for u in units}  # type: ignore[misc]
    if user.unit_id is None:
        return set()
    return unit_subtree_ids(units, user.unit_id)


def header(request: web.Request, user: StaffUser, unit_label: str) -> str:
    e = html.escape
    return (f'<header><span>Cơ Sở Hub — {unit_label}</span><nav><a href="/console">Tổng quan</a> '
            '<a href="/console/faq">Hỏi đáp</a> <a href="/console/faq/review">Câu hỏi cần xem</a></nav>'
            f'<form method="post" action="/logout">{csrf_field(request)}'
            f'<span>{e(user.full_name or user.username)} ({e(ROLE_NAMES.get(user.role, user.role))})</span> '
            '<button type="submit">Đăng xuất</button></form></header>')


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
        handovers = (await session.exec(select(FaqQuery).where(
            col(FaqQuery.unit_id).in_(scope), FaqQuery.outcome == "handover")
            .order_by(col(FaqQuery.id).desc()).limit(50))).all()
    names = {u.id: u.name for u in units}
    e = html.escape
    channel_rows = [[e(PLATFORM_NAMES.get(c.platform, c.platform)), e(c.name or c.external_id),
                     e(names.get(c.unit_id, "")),
                     f'<span class="warn" title="{e(c.status_note or "")}">Cần cấp quyền lại</span>'
                     if c.needs_reauth else ("Hoạt động" if c.active else "Đã tắt")] for c in channels]
    failed_rows = [[vn_time(m.created_at), e(names.get(m.unit_id, "")),
                    "Ngoài thời hạn tương tác" if m.status == "window_expired" else "Gửi lỗi",
                    e((m.text or "")[:80]), e(m.error or "")] for m in failed]
    handover_rows = [[vn_time(q.created_at), e(names.get(q.unit_id, "")), e(q.text)] for q in handovers]
    unit_label = "Tất cả đơn vị" if user.role == "admin" else e(names.get(user.unit_id, ""))
    body = (f'{header(request, user, unit_label)}<main>'
            f'<section><h3>Hỏi đáp</h3><p>{to_review} câu hỏi người dân chưa được bot trả lời chắc chắn đang chờ '
            'xem. <a href="/console/faq/review">Xem và bổ sung</a> · <a href="/console/faq">Quản lý các mục hỏi '
            'đáp</a></p></section>'
            f'<section><h3>Câu hỏi chuyển cho cán bộ</h3>'
            f'{_rows(["Thời gian", "Đơn vị", "Câu hỏi"], handover_rows, "Chưa có câu hỏi nào.")}</section>'
            f'<section><h3>Tin nhắn gửi lỗi</h3>'
            f'{_rows(["Thời gian", "Đơn vị", "Tình trạng", "Nội dung", "Lỗi"], failed_rows, "Không có tin nhắn lỗi.")}'
            f'</section><section><h3>Kênh</h3>'
            f'{_rows(["Nền tảng", "Tên", "Đơn vị", "Trạng thái"], channel_rows, "Chưa có kênh nào.")}</section></main>')
    return _page("Bảng điều khiển", body)


def setup(app: web.Application) -> None:
    from bot import console_faq

    console_faq.setup(app)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/console", console)
