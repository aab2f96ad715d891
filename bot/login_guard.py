"""Staff log-in throttling, kept in the audit log.

Every log-in of an existing staff account writes an ``audit_log`` row (``login`` or
``login_failed``).  After :data:`MAX_FAILURES` failed passwords within :data:`WINDOW` since the
account's last successful log-in, the account refuses passwords until the oldest of those
failures leaves the window.  The rows live in the main database, so the limit holds for every
web process of the scaled form and across restarts; blocked attempts are not written (an attacker
cannot push the lock further out, only wait).  Names that match no account are not written either:
a password typed into the user-name field must not end up in the log.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import AuditLog, StaffUser, utcnow
from storage.repo import audit

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


async def locked_for(session: AsyncSession, user: StaffUser, now: datetime | None = None) -> timedelta | None:
    """How long ``user``'s account still refuses passwords (None: it does not)."""
    now = now or utcnow()
    rows = (await session.exec(  # type: ignore[attr-defined]
        select(AuditLog).where(AuditLog.actor == user.username[:64], col(AuditLog.action).in_(["login", "login_failed"]),
                               AuditLog.at >= now - WINDOW)
        .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(MAX_FAILURES))).all()
    failures = []
    for row in rows:
        if row.action == "login":
            break
        failures.append(row.at)
    if len(failures) < MAX_FAILURES:
        return None
    return min(failures) + WINDOW - now  # > 0: every failure counted is inside the window


def record(session: AsyncSession, user: StaffUser, ok: bool) -> None:
    """Write the attempt's audit row (the caller commits)."""
    audit(session, user.username, "login" if ok else "login_failed", user.unit_id)


def locked_message(left: timedelta) -> str:
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    return (f"Tài khoản này đã nhập sai mật khẩu {MAX_FAILURES} lần. Vui lòng thử lại sau khoảng {minutes} phút "
            "hoặc liên hệ quản trị viên.")
