"""Correctly signed webhook requests and event factories, for tests and benchmarks.

Each ``*_webhook`` returns ``(raw_body_bytes, headers)`` ready to POST to the hub.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _now_ms() -> str:
    return str(int(time.time() * 1000))


# ---------------------------------------------------------------------------- Zalo


def zalo_signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def zalo_webhook(app_id: str, oa_secret_key: str, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """Sign ``event`` (its ``app_id`` and ``timestamp`` are filled in if absent)."""
    event = dict(event)
    event.setdefault("app_id", app_id)
    event.setdefault("timestamp", _now_ms())
    raw = _dumps(event)
    mac = zalo_signature(str(event["app_id"]), raw, str(event["timestamp"]), oa_secret_key)
    return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}


def _zalo_user_event(event_name: str, app_id: str, oa_id: str, user_id: str, message: dict[str, Any],
                     timestamp_ms: int | str | None) -> dict[str, Any]:
    return {"app_id": str(app_id), "user_id_by_app": f"byapp{user_id}", "event_name": event_name,
            "sender": {"id": str(user_id)}, "recipient": {"id": str(oa_id)}, "message": message,
            "timestamp": str(timestamp_ms) if timestamp_ms is not None else _now_ms()}


def zalo_text_event(app_id: str, oa_id: str, user_id: str, text: str, msg_id: str,
                    timestamp_ms: int | str | None = None) -> dict[str, Any]:
    return _zalo_user_event("user_send_text", app_id, oa_id, user_id, {"msg_id": msg_id, "text": text},
                            timestamp_ms)


def zalo_attachment_event(app_id: str, oa_id: str, user_id: str, kind: str, url: str, msg_id: str,
                          timestamp_ms: int | str | None = None, text: str | None = None) -> dict[str, Any]:
    """``kind``: image | link | audio | video | sticker | gif | file | business_card."""
    msg: dict[str, Any] = {"msg_id": msg_id, "attachments": [
        {"type": kind, "payload": {"url": url, "thumbnail": url, "name": f"{kind}.bin", "size": "1024"}}]}
    if text:
        msg["text"] = text
    return _zalo_user_event(f"user_send_{kind}", app_id, oa_id, user_id, msg, timestamp_ms)


def zalo_location_event(app_id: str, oa_id: str, user_id: str, lat: float, lon: float, msg_id: str,
                        timestamp_ms: int | str | None = None) -> dict[str, Any]:
    msg = {"msg_id": msg_id, "attachments": [{"type": "location", "payload": {
        "coordinates": {"latitude": str(lat), "longitude": str(lon)}}}]}
    return _zalo_user_event("user_send_location", app_id, oa_id, user_id, msg, timestamp_ms)


def zalo_follow_event(app_id: str, oa_id: str, user_id: str, follow: bool = True,
                      timestamp_ms: int | str | None = None) -> dict[str, Any]:
    return {"oa_id": str(oa_id), "follower": {"id": str(user_id)}, "event_name": "follow" if follow else "unfollow",
            "source": "oa_profile", "app_id": str(app_id),
            "timestamp": str(timestamp_ms) if timestamp_ms is not None else _now_ms()}


def zalo_submit_info_event(app_id: str, oa_id: str, user_id: str, info: dict[str, str],
                           timestamp_ms: int | str | None = None) -> dict[str, Any]:
    ev = _zalo_user_event("user_submit_info", app_id, oa_id, user_id, {}, timestamp_ms)
    ev.pop("message")
    ev["info"] = info
    return ev


def zalo_receipt_event(app_id: str, oa_id: str, user_id: str, msg_ids: list[str], seen: bool = False,
                       timestamp_ms: int | str | None = None) -> dict[str, Any]:
    return _zalo_user_event("user_seen_message" if seen else "user_received_message", app_id, oa_id, user_id,
                            {"msg_ids": msg_ids}, timestamp_ms)


def zalo_echo_event(app_id: str, oa_id: str, user_id: str, text: str, msg_id: str, admin_id: str | None = None,
                    timestamp_ms: int | str | None = None) -> dict[str, Any]:
    sender: dict[str, str] = {"id": str(oa_id)}
    if admin_id:
        sender["admin_id"] = admin_id
    return {"app_id": str(app_id), "event_name": "oa_send_text", "sender": sender,
            "recipient": {"id": str(user_id)}, "message": {"msg_id": msg_id, "text": text},
            "timestamp": str(timestamp_ms) if timestamp_ms is not None else _now_ms()}


# ---------------------------------------------------------------------------- Facebook


def facebook_signature(app_secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def facebook_webhook(app_secret: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = _dumps(body)
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": facebook_signature(app_secret, raw)}


def facebook_body(page_id: str, events: list[dict[str, Any]], changes: list[dict[str, Any]] | None = None,
                  standby: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One ``entry`` of ``page_id`` holding ``events`` (messaging), ``standby`` and ``changes``."""
    entry: dict[str, Any] = {"id": str(page_id), "time": int(time.time() * 1000)}
    if events:
        entry["messaging"] = events
    if standby:
        entry["standby"] = standby
    if changes:
        entry["changes"] = changes
    return {"object": "page", "entry": [entry]}


def _fb_event(page_id: str, psid: str, **kw: Any) -> dict[str, Any]:
    return {"sender": {"id": str(psid)}, "recipient": {"id": str(page_id)},
            "timestamp": kw.pop("timestamp", int(time.time() * 1000)), **kw}


def facebook_text_event(page_id: str, psid: str, text: str, mid: str, quick_reply_payload: str | None = None,
                        wrap: bool = True) -> dict[str, Any]:
    """A text message (a whole webhook body if ``wrap``, else the messaging event)."""
    message: dict[str, Any] = {"mid": mid, "text": text}
    if quick_reply_payload is not None:
        message["quick_reply"] = {"payload": quick_reply_payload}
    ev = _fb_event(page_id, psid, message=message)
    return facebook_body(page_id, [ev]) if wrap else ev


def facebook_postback_event(page_id: str, psid: str, payload: str, mid: str, title: str = "Nút",
                            wrap: bool = True) -> dict[str, Any]:
    ev = _fb_event(page_id, psid, postback={"mid": mid, "title": title, "payload": payload})
    return facebook_body(page_id, [ev]) if wrap else ev


def facebook_attachment_event(page_id: str, psid: str, kind: str, url: str, mid: str,
                              wrap: bool = True) -> dict[str, Any]:
    ev = _fb_event(page_id, psid, message={"mid": mid, "attachments": [{"type": kind, "payload": {"url": url}}]})
    return facebook_body(page_id, [ev]) if wrap else ev


def facebook_comment_change(page_id: str, comment_id: str, post_id: str, from_id: str, message: str,
                            from_name: str = "Nguyễn Văn A", verb: str = "add") -> dict[str, Any]:
    return {"field": "feed", "value": {"item": "comment", "verb": verb, "comment_id": comment_id,
                                       "post_id": post_id, "parent_id": post_id,
                                       "from": {"id": from_id, "name": from_name}, "message": message,
                                       "created_time": int(time.time())}}


# ---------------------------------------------------------------------------- Telegram


def telegram_webhook(secret: str, update: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    return _dumps(update), {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}


def _tg_user(chat_id: int) -> dict[str, Any]:
    return {"id": abs(int(chat_id)), "is_bot": False, "first_name": "Dân", "language_code": "vi"}


def _tg_chat(chat_id: int) -> dict[str, Any]:
    if int(chat_id) < 0:
        return {"id": int(chat_id), "type": "supergroup", "title": "Nhóm thôn"}
    return {"id": int(chat_id), "type": "private", "first_name": "Dân"}


def telegram_message(chat_id: int, message_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {"message_id": message_id, "date": int(time.time()), "chat": _tg_chat(chat_id),
            "from": _tg_user(chat_id), **fields}


def telegram_text_update(update_id: int, chat_id: int, text: str, message_id: int | None = None) -> dict[str, Any]:
    return {"update_id": update_id, "message": telegram_message(chat_id, message_id or update_id, text=text)}


def telegram_callback_update(update_id: int, chat_id: int, data: str, callback_id: str = "cbq1") -> dict[str, Any]:
    return {"update_id": update_id, "callback_query": {
        "id": callback_id, "from": _tg_user(chat_id), "chat_instance": "ci1", "data": data,
        "message": {**telegram_message(chat_id, 99, text="Menu"),
                    "from": {"id": 123456789, "is_bot": True, "first_name": "Coso"}}}}


def telegram_location_update(update_id: int, chat_id: int, lat: float, lon: float) -> dict[str, Any]:
    return {"update_id": update_id, "message": telegram_message(
        chat_id, update_id, location={"latitude": lat, "longitude": lon})}


def telegram_photo_update(update_id: int, chat_id: int, caption: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"photo": [
        {"file_id": "small", "file_unique_id": "s1", "width": 90, "height": 90, "file_size": 1000},
        {"file_id": "big", "file_unique_id": "b1", "width": 1280, "height": 960, "file_size": 90000}]}
    if caption:
        fields["caption"] = caption
    return {"update_id": update_id, "message": telegram_message(chat_id, update_id, **fields)}


def telegram_member_update(update_id: int, chat_id: int, status: str) -> dict[str, Any]:
    """``my_chat_member`` in a private chat: ``status`` "kicked" (blocked the bot) or "member"."""
    bot = {"id": 123456789, "is_bot": True, "first_name": "Coso"}
    return {"update_id": update_id, "my_chat_member": {
        "chat": _tg_chat(chat_id), "from": _tg_user(chat_id), "date": int(time.time()),
        "old_chat_member": {"user": bot, "status": "member" if status != "member" else "kicked",
                            **({"until_date": 0} if status == "member" else {})},
        "new_chat_member": {"user": bot, "status": status, **({"until_date": 0} if status == "kicked" else {})}}}
