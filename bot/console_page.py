"""The staff console's shared page parts: layout, sessions, CSRF, error pages, scope and header.

Sessions are server side (``staff_session``), so every web replica sees them; the cookie holds a
random token whose SHA-256 is stored. Roles and units decide what a person sees: an administrator
sees everything, everyone else their unit and the units below it (a commune's staff never see
another commune's data).  Used by every ``bot.console*`` module.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from dataclasses import dataclass

from aiohttp import web
from multidict import MultiDictProxy
from sqlmodel import select

from bot.web import HUB
from storage.models import StaffSession, StaffUser, Unit, utcnow
from storage.repo import parse_id, unit_subtree_ids

COOKIE = "coso_session"
SESSION_DAYS = 7
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


def page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(title=html.escape(title), body=body), status=status,
                        content_type="text/html", charset="utf-8")


def token_hash(token: str) -> str:
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


def conflict(message: str) -> web.HTTPError:
    return _error_page(web.HTTPConflict, "Chưa làm được", message)


def not_found(message: str) -> web.HTTPError:
    return _error_page(web.HTTPNotFound, "Không tìm thấy", message)


async def current_user(request: web.Request) -> StaffUser | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    async with request.app[HUB].sessions() as session:
        row = (await session.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))).first()
        if row is None or row.expires_at < utcnow():
            return None
        user = await session.get(StaffUser, row.user_id)
    return user if user is not None and user.active else None


def table(headers: list[str], rows: list[list[str]], empty: str) -> str:
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


@dataclass(frozen=True, slots=True)
class StaffPost:
    """A console form sent by a logged-in staff member, its token checked."""

    user: StaffUser
    form: MultiDictProxy
    target_id: int | None  # the id in the URL (``None`` when it is not a valid id)
    scope: set[int]  # the units the staff member manages


async def staff_post(request: web.Request, id_name: str) -> StaffPost:
    """Log-in, form token and scope of a console POST whose URL names a row by ``id_name``."""
    user = await require_user(request)
    form = await request.post()
    check_csrf(request, form.get("csrf"))
    async with request.app[HUB].sessions() as session:
        scope = scope_of(user, list((await session.exec(select(Unit))).all()))
    return StaffPost(user, form, parse_id(request.match_info[id_name]), scope)


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
