"""Times as staff read them: Asia/Ho_Chi_Minh, day first."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_time(dt: datetime) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam's time (naive values are taken as UTC)."""
    return dt.replace(tzinfo=dt.tzinfo or UTC).astimezone(VN).strftime("%d/%m/%Y %H:%M")
