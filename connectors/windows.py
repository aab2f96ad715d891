"""Interaction windows: how long after a citizen's last message a channel may still answer.

Zalo consultation messages: 7 days (then -230). Facebook RESPONSE/UPDATE: 24 hours
(then code 10 / subcode 2018278); a reply typed by a person on a page opted in to the
HUMAN_AGENT tag (channel config ``human_agent``): 7 days. Telegram and web chat have none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connectors.base import ChannelLike, Platform

INTERACTION_WINDOWS: dict[str, timedelta] = {
    Platform.ZALO: timedelta(days=7),
    Platform.FACEBOOK: timedelta(hours=24),
}

HUMAN_AGENT_WINDOW = timedelta(days=7)

#: What staff and logs read for a message that may no longer be sent.
WINDOW_EXPIRED_NOTE = "ngoài thời hạn tương tác"


def human_agent(channel: ChannelLike, typed_by_staff: bool) -> bool:
    """A staff member's reply on a Facebook page whose app passed review for the HUMAN_AGENT tag
    (channel config ``human_agent``): sent with the tag, allowed 7 days after the citizen's last message."""
    return typed_by_staff and channel.platform == Platform.FACEBOOK and bool((channel.config or {}).get("human_agent"))


def window_open(platform: str, last_interaction_at: datetime | None, now: datetime, *,
                human_agent: bool = False) -> bool:
    """True if a reply may still be sent; unknown last interaction counts as open (the platform decides).
    ``human_agent``: a staff member's reply on a Facebook page opted in to the HUMAN_AGENT tag."""
    window = HUMAN_AGENT_WINDOW if human_agent and platform == Platform.FACEBOOK else INTERACTION_WINDOWS.get(platform)
    if window is None or last_interaction_at is None:
        return True
    return now - last_interaction_at <= window
