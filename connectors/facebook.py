"""Facebook Page connector (Messenger Platform + Page feed webhooks).

Wire rules: /work/shared/PLATFORMS.md ("Facebook Page").

* Long texts are **split** into several messages of at most 2,000 characters; buttons go with
  the last part. An image is sent first as its own image attachment. ``SendResult`` carries the
  id of the last message. A retry after a partial failure repeats the parts already delivered.
* Buttons: payload-only buttons become quick replies (≤ 13, titles cut to 20 characters with an
  ellipsis). If any button is a link or a phone button, the last part becomes a button template
  (≤ 3 buttons, links and phones first, text ≤ 640 characters; longer text goes in the parts
  before it); payload buttons that do not fit in the template become quick replies.
* Every message we send carries ``metadata = "coso"``; its echo comes back with that metadata
  and our app id, which tells our own echoes from a person typing in the Page inbox
  (``info["ours"]`` / ``info["admin"]``). Set ``config["app_id"]`` to compare app ids too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.settings import Settings
from connectors.base import (
    Attachment,
    Button,
    ChannelLike,
    EventKind,
    Inbound,
    Location,
    Outbound,
    Platform,
    RateLimit,
    SendError,
    SendErrorKind,
    SendResult,
    WebhookError,
    header,
    split_text,
    truncate,
)
from connectors.windows import human_agent

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_TEMPLATE_TEXT = 640
MAX_QUICK_REPLIES = 13
MAX_TEMPLATE_BUTTONS = 3
MAX_TITLE = 20
MAX_PAYLOAD = 1000
METADATA = "coso"

TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613}
WINDOW = (10, 2018278)


def classify_error(status: int, code: int | None, subcode: int | None, is_transient: bool = False) -> SendErrorKind:
    """The kind of a Graph API error (HTTP status, ``error.code``, ``error.error_subcode``)."""
    if code == WINDOW[0] and subcode == WINDOW[1]:
        return SendErrorKind.WINDOW
    if code == 190:
        return SendErrorKind.AUTH
    if code in TRANSIENT_CODES or is_transient or status >= 500 or status == 429:
        return SendErrorKind.TRANSIENT
    return SendErrorKind.PERMANENT


def signature(app_secret: str, raw: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for ``raw``."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def handshake(params: Mapping[str, str], verify_token: str) -> str:
    """Answer Meta's GET subscription check: the challenge if the token matches, else WebhookError(403)."""
    token = params.get("hub.verify_token") or ""
    if params.get("hub.mode") != "subscribe" or not verify_token or not hmac.compare_digest(
            token.encode(), verify_token.encode()):
        raise WebhookError(403, "verify token mismatch")
    return params.get("hub.challenge") or ""


def _s(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class FacebookConnector:
    platform = Platform.FACEBOOK

    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session
        self._timeout = aiohttp.ClientTimeout(total=settings.send_timeout)

    # ------------------------------------------------------------------ webhook

    def route_id(self, data: Any) -> str | None:
        if not isinstance(data, dict):
            return None
        entries = _l(data.get("entry"))
        if not entries:
            return None
        return _s(_d(entries[0]).get("id"))

    @staticmethod
    def split_by_page(data: Any) -> dict[str, dict[str, Any]]:
        """One body per page id: Meta may batch entries of several pages of one app in one request.

        The signature covers the whole raw body: verify once (every page of an app shares the app
        secret), then parse each page's body with its own channel.
        """
        if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
            return {}
        out: dict[str, dict[str, Any]] = {}
        for entry in data["entry"]:
            pid = _s(_d(entry).get("id"))
            if pid is not None:
                out.setdefault(pid, {**data, "entry": []})["entry"].append(entry)
        return out

    def verify(self, channel: ChannelLike, headers: Mapping[str, str], raw: bytes, data: Any) -> None:
        value = header(headers, "X-Hub-Signature-256")
        if not value:
            raise WebhookError(401, "missing X-Hub-Signature-256")
        secret = channel.config.get("app_secret") or ""
        if not secret:
            raise WebhookError(403, "channel has no app_secret")
        if not hmac.compare_digest(value.strip().lower().encode(), signature(secret, raw).encode()):
            raise WebhookError(403, "bad X-Hub-Signature-256")

    def parse(self, channel: ChannelLike, data: Any) -> list[Inbound]:
        if not isinstance(data, dict) or not isinstance(data.get("entry", []), list):
            raise WebhookError(400, "Facebook webhook body is not an object with an entry list")
        out: list[Inbound] = []
        page_id = str(channel.config.get("page_id") or channel.external_id)
        entries = [_d(e) for e in data.get("entry") or []]
        if any(_s(e.get("id")) == page_id for e in entries):
            others = [e for e in entries if _s(e.get("id")) not in (None, page_id)]
            if others:
                log.warning("Facebook batch holds entries of other pages (%s); use split_by_page()",
                            ", ".join(sorted({str(e.get("id")) for e in others})))
            entries = [e for e in entries if _s(e.get("id")) in (None, page_id)]
        for entry in entries:
            entry_page = _s(entry.get("id")) or page_id
            entry_time = _int(entry.get("time"))
            for field_name in ("messaging", "standby"):
                for ev in _l(entry.get(field_name)):
                    if isinstance(ev, dict):
                        inbound = self._messaging(channel, ev, entry_page, entry_time)
                        if field_name == "standby":
                            inbound.info = {**(inbound.info or {}), "standby": True}
                            inbound.answer = False
                        out.append(inbound)
            for change in _l(entry.get("changes")):
                if isinstance(change, dict):
                    out.append(self._change(channel, change, entry_page, entry_time))
        return out

    def _messaging(self, channel: ChannelLike, ev: dict[str, Any], page_id: str, entry_time: int) -> Inbound:
        sender = _s(_d(ev.get("sender")).get("id"))
        recipient = _s(_d(ev.get("recipient")).get("id"))
        ts = _int(ev.get("timestamp"), entry_time)

        def mk(kind: EventKind, user: str | None, event_id: str, raw_event: str, **kw: Any) -> Inbound:
            return Inbound(platform=Platform.FACEBOOK, channel_id=channel.id, event_id=event_id, kind=kind,
                           user_id=user, timestamp_ms=ts, raw_event=raw_event, raw=ev, **kw)

        if isinstance(ev.get("message"), dict):
            msg = ev["message"]
            mid = _s(msg.get("mid")) or f"message:{sender}:{ts}"
            text = _s(msg.get("text"))
            if msg.get("is_echo"):
                app_id = _s(msg.get("app_id"))
                ours_app = channel.config.get("app_id")
                ours = msg.get("metadata") == METADATA or (bool(ours_app) and app_id == str(ours_app))
                info = {"is_echo": True, "app_id": app_id, "ours": ours, "admin": not ours,
                        "metadata": _s(msg.get("metadata"))}
                return mk(EventKind.ECHO, recipient, mid, "message_echo", text=text, info=info,
                          attachments=self._attachments(msg))
            qr = _d(msg.get("quick_reply"))
            if qr.get("payload") is not None:
                return mk(EventKind.POSTBACK, sender, mid, "quick_reply", text=text, payload=_s(qr.get("payload")))
            attachments = self._attachments(msg)
            for att in _l(msg.get("attachments")):
                coords = _d(_d(_d(att).get("payload")).get("coordinates"))
                if _d(att).get("type") == "location" and "lat" in coords and "long" in coords:
                    try:
                        loc = Location(latitude=float(coords["lat"]), longitude=float(coords["long"]))
                    except (TypeError, ValueError):
                        break
                    return mk(EventKind.LOCATION, sender, mid, "message", text=text, location=loc)
            if attachments:
                return mk(EventKind.ATTACHMENT, sender, mid, "message", text=text, attachments=attachments)
            if text is not None:
                return mk(EventKind.TEXT, sender, mid, "message", text=text)
            return mk(EventKind.UNKNOWN, sender, mid, "message")
        if isinstance(ev.get("postback"), dict):
            pb = ev["postback"]
            mid = _s(pb.get("mid")) or f"postback:{sender}:{ts}"
            return mk(EventKind.POSTBACK, sender, mid, "postback", text=_s(pb.get("title")),
                      payload=_s(pb.get("payload")))
        if isinstance(ev.get("delivery"), dict):
            d = ev["delivery"]
            info = {"watermark": d.get("watermark"), "mids": [str(m) for m in _l(d.get("mids"))]}
            return mk(EventKind.DELIVERY, sender, f"delivery:{sender}:{d.get('watermark')}", "delivery", info=info)
        if isinstance(ev.get("read"), dict):
            r = ev["read"]
            return mk(EventKind.READ, sender, f"read:{sender}:{r.get('watermark')}", "read",
                      info={"watermark": r.get("watermark")})
        name = next((k for k in ev if k not in ("sender", "recipient", "timestamp")), "unknown")
        return mk(EventKind.UNKNOWN, sender, f"{name}:{sender}:{ts}", name)

    @staticmethod
    def _attachments(msg: dict[str, Any]) -> list[Attachment]:
        out = []
        for att in _l(msg.get("attachments")):
            att = _d(att)
            if att.get("type") == "location":
                continue
            payload = _d(att.get("payload"))
            out.append(Attachment(type=_s(att.get("type")) or "file", url=_s(payload.get("url")),
                                  name=_s(payload.get("title") or att.get("title"))))
        return out

    def _change(self, channel: ChannelLike, change: dict[str, Any], page_id: str, entry_time: int) -> Inbound:
        field_name = _s(change.get("field")) or "unknown"
        value = _d(change.get("value"))
        sender = _d(value.get("from"))
        user = _s(sender.get("id"))
        created = _int(value.get("created_time"))
        ts = created * 1000 if 0 < created < 10**11 else (created or entry_time)
        item = _s(value.get("item"))
        verb = _s(value.get("verb"))
        if field_name == "feed" and item == "comment" and value.get("comment_id"):
            info = {"comment_id": _s(value.get("comment_id")), "post_id": _s(value.get("post_id")),
                    "parent_id": _s(value.get("parent_id")), "verb": verb, "from_name": _s(sender.get("name")),
                    "from_page": user == page_id, "created_time": value.get("created_time")}
            event_id = f"comment:{value['comment_id']}:{verb or '-'}"
            return Inbound(platform=Platform.FACEBOOK, channel_id=channel.id, event_id=event_id,
                           kind=EventKind.COMMENT, user_id=user, timestamp_ms=ts, text=_s(value.get("message")),
                           info=info, raw_event="feed.comment", raw=change)
        ident = value.get("post_id") or value.get("comment_id") or value.get("reaction_type") or ""
        event_id = f"{field_name}:{item}:{verb}:{ident}:{user}:{value.get('created_time') or entry_time}"
        return Inbound(platform=Platform.FACEBOOK, channel_id=channel.id, event_id=event_id, kind=EventKind.UNKNOWN,
                       user_id=user, timestamp_ms=ts, raw_event=f"{field_name}.{item or '-'}", raw=change)

    # ------------------------------------------------------------------ sending

    async def send(self, channel: ChannelLike, user_id: str, message: Outbound) -> SendResult:
        """Send image, then text parts (≤ 2,000 characters each) with buttons on the last part."""
        last: str | None = None
        for body in self.build_messages(user_id, message, human_agent=human_agent(channel, message.human)):
            last = await self.post_message(channel, body)
        return SendResult(platform_message_id=last)

    def build_messages(self, user_id: str, message: Outbound, *, human_agent: bool = False) -> list[dict[str, Any]]:
        msgs: list[dict[str, Any]] = []
        if message.image_url:
            msgs.append({"attachment": {"type": "image", "payload": {"url": message.image_url, "is_reusable": True}}})
        text = message.text or ""
        link_buttons = [b for b in message.buttons if b.url or b.phone]
        payload_buttons = [b for b in message.buttons if not (b.url or b.phone) and (b.payload or b.title)]
        text, payload_buttons = self._number_long_titles(text, payload_buttons, len(link_buttons))
        if link_buttons:
            template = (link_buttons + payload_buttons)[:MAX_TEMPLATE_BUTTONS]
            rest = [b for b in payload_buttons if b not in template]
            parts = split_text(text, MAX_TEXT) if text.strip() else []
            tail = parts.pop() if parts else ""
            if len(tail) > MAX_TEMPLATE_TEXT:
                tail_parts = split_text(tail, MAX_TEMPLATE_TEXT)
                tail = tail_parts.pop()
                parts.extend(tail_parts)
            msgs.extend({"text": p} for p in parts)
            last: dict[str, Any] = {"attachment": {"type": "template", "payload": {
                "template_type": "button", "text": tail or "👇",
                "buttons": [self._template_button(b) for b in template]}}}
            if rest:
                last["quick_replies"] = [self._quick_reply(b) for b in rest[:MAX_QUICK_REPLIES]]
            msgs.append(last)
        elif text.strip():
            parts = split_text(text, MAX_TEXT)
            msgs.extend({"text": p} for p in parts)
            if payload_buttons:
                msgs[-1]["quick_replies"] = [self._quick_reply(b) for b in payload_buttons[:MAX_QUICK_REPLIES]]
        elif payload_buttons:
            msgs.append({"text": "👇",
                         "quick_replies": [self._quick_reply(b) for b in payload_buttons[:MAX_QUICK_REPLIES]]})
        if not msgs:
            raise SendError(SendErrorKind.PERMANENT, "empty", "nothing to send (no text, no image)")
        for m in msgs:
            m["metadata"] = METADATA
        kind = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if human_agent else {"messaging_type": "RESPONSE"}
        return [{"recipient": {"id": str(user_id)}, **kind, "message": m} for m in msgs]

    @staticmethod
    def _number_long_titles(text: str, buttons: list[Button], offset: int) -> tuple[str, list[Button]]:
        """Quick replies show 20 characters ("Thủ tục đăng ký kh…" for every suggestion): when a title
        would be cut, the buttons are numbered and the full titles listed under the text."""
        if not any(len(b.title or "") > MAX_TITLE for b in buttons[:MAX_QUICK_REPLIES]):
            return text, buttons
        numbered = [dataclasses.replace(b, title=f"{i}. {b.title}") if b.title else b
                    for i, b in enumerate(buttons, offset + 1)]
        listing = "\n".join(b.title for b in numbered[:MAX_QUICK_REPLIES] if b.title)
        return (f"{text.rstrip()}\n\n{listing}" if text.strip() else listing), numbered

    @staticmethod
    def _quick_reply(b: Button) -> dict[str, Any]:
        return {"content_type": "text", "title": truncate(b.title or b.payload or "", MAX_TITLE),
                "payload": (b.payload or b.title)[:MAX_PAYLOAD]}

    @staticmethod
    def _template_button(b: Button) -> dict[str, Any]:
        title = truncate(b.title or b.url or b.phone or b.payload or "", MAX_TITLE)
        if b.url:
            return {"type": "web_url", "url": b.url, "title": title}
        if b.phone:
            digits = "".join(c for c in b.phone if c.isdigit())
            if digits.startswith("0"):
                digits = "84" + digits[1:]
            return {"type": "phone_number", "title": title, "payload": "+" + digits}
        return {"type": "postback", "title": title, "payload": (b.payload or b.title)[:MAX_PAYLOAD]}

    async def post_message(self, channel: ChannelLike, body: dict[str, Any]) -> str | None:
        """POST one ``/me/messages`` body (also usable for private replies to comments)."""
        url = f"{self.settings.facebook_graph_base}/{self.settings.facebook_graph_version}/me/messages"
        data = await self._request(channel, url, body)
        return _s(data.get("message_id"))

    async def _request(self, channel: ChannelLike, url: str, body: dict[str, Any]) -> dict[str, Any]:
        token = channel.config.get("page_token") or ""
        if not token:
            raise SendError(SendErrorKind.AUTH, "no_page_token", "channel has no page_token")
        try:
            async with self.session.post(url, params={"access_token": token}, json=body,
                                         timeout=self._timeout) as resp:
                status = resp.status
                text = await resp.text()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SendError(SendErrorKind.TRANSIENT, type(exc).__name__, "Graph request failed") from None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if status < 400 and isinstance(data, dict) and "error" not in data:
            return data
        err = _d(_d(data).get("error"))
        code = _int(err.get("code"), 0) if err.get("code") is not None else None
        subcode = _int(err.get("error_subcode"), 0) if err.get("error_subcode") is not None else None
        kind = classify_error(status, code, subcode, bool(err.get("is_transient")))
        code_str = str(code) if code is not None else f"http_{status}"
        if subcode is not None:
            code_str += f"/{subcode}"
        if kind is SendErrorKind.AUTH:
            log.error("Facebook page %s: page token refused (code 190); a person must reconnect the page / "
                      "Trang Facebook %s: token bị từ chối, cần kết nối lại", channel.external_id, channel.external_id)
        return self._raise(kind, code_str, str(err.get("message") or "")[:200])

    @staticmethod
    def _raise(kind: SendErrorKind, code: str, message: str) -> dict[str, Any]:
        raise SendError(kind, code, message)

    # ------------------------------------------------------------------ limits

    def rate_limits(self, channel: ChannelLike, user_id: str) -> list[RateLimit]:
        page_id = channel.config.get("page_id") or channel.external_id
        return [RateLimit(f"fb:page:{page_id}", self.settings.facebook_rate_per_second, 1.0)]

    async def close(self) -> None:
        return None
