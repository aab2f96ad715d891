"""The web chat on a commune's website: our own wire format.

The browser posts ``{"session", "text" | "payload", "client_id"}``; replies are
"sent" by recording them, and the browser fetches them by long polling
(see bot/webchat.py). There is no signature: a session id is a random
secret of the browser that owns the conversation.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from connectors.base import ChannelLike, EventKind, Inbound, Outbound, Platform, SendResult, WebhookError

SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_TEXT = 2000


class WebchatConnector:
    platform = Platform.WEBCHAT

    def route_id(self, data: dict[str, Any]) -> str | None:
        return None

    def verify(self, channel: ChannelLike, headers: Mapping[str, str], raw: bytes, data: dict[str, Any]) -> None:
        return None

    def parse(self, channel: ChannelLike, data: Any) -> list[Inbound]:
        if not isinstance(data, dict):
            raise WebhookError(400, "Dữ liệu không hợp lệ / invalid body")
        session = data.get("session")
        if not isinstance(session, str) or not SESSION_RE.match(session):
            raise WebhookError(400, "Mã phiên không hợp lệ / invalid session")
        text, payload = data.get("text"), data.get("payload")
        if text is not None and not isinstance(text, str) or payload is not None and not isinstance(payload, str):
            raise WebhookError(400, "Nội dung không hợp lệ / invalid text")
        if not (text or "").strip() and not payload:
            raise WebhookError(400, "Tin nhắn trống / empty message")
        if len(text or "") > MAX_TEXT:
            raise WebhookError(413, f"Tin nhắn quá dài (tối đa {MAX_TEXT} ký tự) / message too long")
        client_id = data.get("client_id")
        if not isinstance(client_id, str) or not SESSION_RE.match(client_id):
            client_id = uuid.uuid4().hex
        kind = EventKind.POSTBACK if payload else EventKind.TEXT
        return [Inbound(platform=Platform.WEBCHAT, channel_id=channel.id, event_id=f"{session}:{client_id}",
                        kind=kind, user_id=session, timestamp_ms=int(time.time() * 1000),
                        text=text if text else None, payload=payload, raw_event="webchat_message",
                        raw={"session": session, "text": text, "payload": payload})]

    async def send(self, channel: ChannelLike, user_id: str, message: Outbound) -> SendResult:
        # Delivery is the browser fetching the stored message; nothing leaves the hub.
        return SendResult(platform_message_id=None)

    def rate_limits(self, channel: ChannelLike, user_id: str) -> list:
        return []

    async def close(self) -> None:
        return None
