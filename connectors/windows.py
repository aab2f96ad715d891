"""Interaction windows: how long after a citizen's last message a channel may still answer.

Zalo consultation messages: 7 days (then -230). Facebook RESPONSE/UPDATE: 24 hours
(then code 10 / subcode 2018278). Telegram and web chat have none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connectors.base import Platform

INTERACTION_WINDOWS: dict[str, timedelta] = {
    Platform.ZALO: timedelta(days=7),
    Platform.FACEBOOK: timedelta(hours=24),
}

#: What staff and logs read for a message that may no longer be sent.
WINDOW_EXPIRED_NOTE = "ngoài thời hạn tương tác"


def window_open(platform: str, last_interaction_at: datetime | None, now: datetime) -> bool:
    """True if a reply may still be sent; unknown last interaction counts as open (the platform decides)."""
    window = INTERACTION_WINDOWS.get(platform)
    if window is None or last_interaction_at is None:
        return True
    return now - last_interaction_at <= window
