"""Zalo Official Account (OA) connector: webhook signature and events, sending, tokens.

Wire rules: /work/shared/PLATFORMS.md ("Zalo Official Account (OA) Open API").

* Long texts are **split** into several messages of at most 2,000 characters (at paragraph,
  line or word breaks); the buttons go with the last part. An image is sent first as its own
  media-template message. ``SendResult.platform_message_id`` is the id of the last message.
  If a later part fails, earlier parts were delivered: a retry of the whole message repeats them.
* Button presses come back as an ordinary ``user_send_text`` whose text is the button payload;
  we send every ``oa.query.hide`` payload starting with ``#`` (prefixing it if needed) and parse
  such texts as POSTBACK with ``payload`` = the text (so use payloads starting with ``#``
  for identical behaviour on every platform).
* Tokens: see ``ZaloConnector._access_token`` / ``_refresh``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
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
from connectors.zalo_tokens import ZaloTokens, ZaloTokenStore

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
POSTBACK_PREFIX = "#"

#: Zalo error codes (HTTP 200 with a non-zero ``error``) → how the outbox treats them.
ERROR_KINDS: dict[int, SendErrorKind] = {
    -32: SendErrorKind.TRANSIENT,  # rate limit
    -216: SendErrorKind.TOKEN,  # access token invalid
    -220: SendErrorKind.TOKEN,  # access token expired
    -230: SendErrorKind.WINDOW,  # no interaction within 7 days
    -232: SendErrorKind.WINDOW,  # interaction expired
    -201: SendErrorKind.PERMANENT,  # bad parameter
    -211: SendErrorKind.PERMANENT,  # out of quota (resets later; retrying within minutes does not help)
    -213: SendErrorKind.PERMANENT,  # user does not follow the OA
    -227: SendErrorKind.PERMANENT,  # user banned or inactive
    -234: SendErrorKind.PERMANENT,  # promotion at night (we send "cs" messages only)
    -240: SendErrorKind.PERMANENT,  # v2 API shut down
    -244: SendErrorKind.PERMANENT,  # user restricted this message type
    -248: SendErrorKind.PERMANENT,  # content policy
}

ATTACHMENT_EVENTS = {
    "user_send_image": "image",
    "user_send_link": "link",
    "user_send_audio": "audio",
    "user_send_video": "video",
    "user_send_sticker": "sticker",
    "user_send_gif": "gif",
    "user_send_file": "file",
    "user_send_business_card": "business_card",
}


def classify_error(code: int) -> SendErrorKind:
    """The kind of a Zalo error code; unknown codes are PERMANENT (never retried forever)."""
    return ERROR_KINDS.get(code, SendErrorKind.PERMANENT)


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """``sha256(app_id + raw_body + timestamp + oa_secret_key)`` as hex (plain SHA-256, not HMAC)."""
    h = hashlib.sha256()
    h.update(app_id.encode())
    h.update(raw)
    h.update(timestamp.encode())
    h.update(oa_secret_key.encode())
    return h.hexdigest()


def _s(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class ZaloConnector:
    platform = Platform.ZALO

    def __init__(self, settings: Settings, session: aiohttp.ClientSession, token_store: ZaloTokenStore) -> None:
        self.settings = settings
        self.session = session
        self.tokens = token_store
        self._cache: dict[int, ZaloTokens] = {}
        self._local_locks: dict[str, asyncio.Lock] = {}
        self._timeout = aiohttp.ClientTimeout(total=settings.send_timeout)

    # ------------------------------------------------------------------ webhook

    def route_id(self, data: Any) -> str | None:
        if not isinstance(data, dict):
            return None
        event = str(data.get("event_name") or "")
        if event.startswith("oa_send_"):
            rid = _s(_d(data.get("sender")).get("id"))
        elif event in ("follow", "unfollow"):
            rid = _s(data.get("oa_id"))
        else:
            rid = _s(_d(data.get("recipient")).get("id"))
        return rid or _s(data.get("oa_id"))

    def verify(self, channel: ChannelLike, headers: Mapping[str, str], raw: bytes, data: Any) -> None:
        value = header(headers, "X-ZEvent-Signature")
        if not value:
            raise WebhookError(401, "missing X-ZEvent-Signature")
        if not isinstance(data, dict) or data.get("app_id") is None or data.get("timestamp") is None:
            raise WebhookError(400, "body lacks app_id or timestamp")
        app_id = str(data["app_id"])
        expected_app = channel.config.get("app_id")
        if expected_app and str(expected_app) != app_id:
            raise WebhookError(403, "app_id does not match the channel")
        secret = channel.config.get("oa_secret_key") or ""
        if not secret:
            raise WebhookError(403, "channel has no oa_secret_key")
        mac = value.strip()
        if mac.startswith("mac="):
            mac = mac[4:]
        expected = signature(app_id, raw, str(data["timestamp"]), secret)
        if not hmac.compare_digest(mac.strip().lower().encode(), expected.encode()):
            raise WebhookError(403, "bad X-ZEvent-Signature")

    def parse(self, channel: ChannelLike, data: Any) -> list[Inbound]:
        if not isinstance(data, dict):
            raise WebhookError(400, "Zalo webhook body is not a JSON object")
        event = str(data.get("event_name") or "")
        ts = _int(data.get("timestamp"))
        sender = _d(data.get("sender"))
        recipient = _d(data.get("recipient"))
        message = _d(data.get("message"))

        def mk(kind: EventKind, user: str | None, **kw: Any) -> Inbound:
            msg_id = _s(message.get("msg_id"))
            event_id = msg_id or f"{event or 'unknown'}:{user or '-'}:{data.get('timestamp')}"
            return Inbound(platform=Platform.ZALO, channel_id=channel.id, event_id=event_id, kind=kind,
                           user_id=user, timestamp_ms=ts, raw_event=event or None, raw=data, **kw)

        user = _s(sender.get("id"))
        if user is not None and user == str(channel.external_id) and not event.startswith("oa_send_"):
            user = _s(recipient.get("id"))  # receipts may name the OA as sender (unconfirmed)
        text = _s(message.get("text"))

        if event == "user_send_text":
            if text is not None and text.startswith(POSTBACK_PREFIX):
                return [mk(EventKind.POSTBACK, user, text=text, payload=text)]
            return [mk(EventKind.TEXT, user, text=text or "")]
        if event in ATTACHMENT_EVENTS:
            return [mk(EventKind.ATTACHMENT, user, text=text,
                       attachments=self._attachments(message, ATTACHMENT_EVENTS[event]))]
        if event == "user_send_location":
            loc = None
            for att in message.get("attachments") or []:
                coords = _d(_d(_d(att).get("payload")).get("coordinates"))
                lat, lon = _float(coords.get("latitude")), _float(coords.get("longitude"))
                if lat is not None and lon is not None:
                    loc = Location(latitude=lat, longitude=lon)
                    break
            if loc is None:
                return [mk(EventKind.UNKNOWN, user, text=text)]
            return [mk(EventKind.LOCATION, user, text=text, location=loc)]
        if event in ("follow", "unfollow"):
            follower = _s(_d(data.get("follower")).get("id"))
            kind = EventKind.FOLLOW if event == "follow" else EventKind.UNFOLLOW
            return [mk(kind, follower, info={"source": data.get("source")} if data.get("source") else None)]
        if event == "user_submit_info":
            info = data.get("info") if isinstance(data.get("info"), dict) else message.get("info")
            return [mk(EventKind.SUBMIT_INFO, user, info=dict(info) if isinstance(info, dict) else {})]
        if event in ("user_received_message", "user_seen_message"):
            kind = EventKind.DELIVERY if event == "user_received_message" else EventKind.READ
            mids = message.get("msg_ids")
            info = {"msg_ids": [str(m) for m in mids]} if isinstance(mids, list) else None
            inbound = mk(kind, user, info=info)
            inbound.event_id = f"{event}:{user or '-'}:{data.get('timestamp')}"
            return [inbound]
        if event.startswith("oa_send_"):
            citizen = _s(recipient.get("id"))
            admin_id = _s(sender.get("admin_id"))
            info = {"is_echo": True, "admin": admin_id is not None, "admin_id": admin_id}
            return [mk(EventKind.ECHO, citizen, text=text, info=info,
                       attachments=self._attachments(message, event.removeprefix("oa_send_")))]
        return [mk(EventKind.UNKNOWN, user, text=text)]

    @staticmethod
    def _attachments(message: dict[str, Any], default_type: str) -> list[Attachment]:
        out: list[Attachment] = []
        for att in message.get("attachments") or []:
            att = _d(att)
            payload = _d(att.get("payload"))
            size = payload.get("size")
            out.append(Attachment(
                type=_s(att.get("type")) or default_type,
                url=_s(payload.get("url")),
                name=_s(payload.get("name")),
                size=_int(size) if size is not None and _int(size, -1) >= 0 else None,
                thumbnail=_s(payload.get("thumbnail")),
            ))
        return out

    # ------------------------------------------------------------------ sending

    async def send(self, channel: ChannelLike, user_id: str, message: Outbound) -> SendResult:
        """Send text (split into ≤ 2,000-character parts), buttons (≤ 5, on the last part), image."""
        bodies = self.build_messages(user_id, message)
        last: str | None = None
        for body in bodies:
            last = await self._send_body(channel, body)
        return SendResult(platform_message_id=last)

    def build_messages(self, user_id: str, message: Outbound) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        recipient = {"user_id": str(user_id)}
        if message.image_url:
            bodies.append({"recipient": recipient, "message": {"attachment": {"type": "template", "payload": {
                "template_type": "media", "elements": [{"media_type": "image", "url": message.image_url}]}}}})
        text = message.text or ""
        buttons = [b for b in (self._button(b) for b in message.buttons[:MAX_BUTTONS]) if b]
        if not text.strip() and buttons:
            text = "👇"
        if text.strip():
            parts = split_text(text, MAX_TEXT)
            for i, part in enumerate(parts):
                msg: dict[str, Any] = {"text": part}
                if buttons and i == len(parts) - 1:
                    msg["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
                bodies.append({"recipient": recipient, "message": msg})
        if not bodies:
            raise SendError(SendErrorKind.PERMANENT, "empty", "nothing to send (no text, no image)")
        return bodies

    @staticmethod
    def _button(b: Button) -> dict[str, Any] | None:
        title = truncate(b.title or b.payload or "", MAX_BUTTON_TITLE)
        if b.url:
            return {"title": title, "type": "oa.open.url", "payload": {"url": b.url}}
        if b.phone:
            digits = "".join(c for c in b.phone if c.isdigit())
            if digits.startswith("0"):
                digits = "84" + digits[1:]
            return {"title": title, "type": "oa.open.phone", "payload": {"phone_code": digits}}
        payload = b.payload or b.title
        if not payload:
            return None
        if not payload.startswith(POSTBACK_PREFIX):
            payload = POSTBACK_PREFIX + payload
        return {"title": title, "type": "oa.query.hide", "payload": payload}

    async def _send_body(self, channel: ChannelLike, body: dict[str, Any]) -> str | None:
        tokens = await self._access_token(channel)
        try:
            return await self._post_message(tokens.access_token, body)
        except SendError as exc:
            if exc.kind is not SendErrorKind.TOKEN:
                raise
            log.info("Zalo OA %s: access token refused (%s); refreshing and retrying once",
                     channel.external_id, exc.code)
        tokens = await self._refresh(channel, stale=tokens.access_token, force=True)
        return await self._post_message(tokens.access_token, body)

    async def _post_message(self, access_token: str, body: dict[str, Any]) -> str | None:
        url = f"{self.settings.zalo_api_base}/v3.0/oa/message/cs"
        data = await self._request("POST", url, access_token, json_body=body)
        return _s(_d(data.get("data")).get("message_id"))

    async def _request(self, method: str, url: str, access_token: str, *, json_body: Any = None,
                       params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            async with self.session.request(method, url, json=json_body, params=params, timeout=self._timeout,
                                            headers={"access_token": access_token}) as resp:
                status = resp.status
                text = await resp.text()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SendError(SendErrorKind.TRANSIENT, type(exc).__name__, "Zalo request failed") from None
        if status >= 500 or status == 429:
            raise SendError(SendErrorKind.TRANSIENT, f"http_{status}", "Zalo HTTP error")
        try:
            data = json.loads(text)
        except ValueError:
            raise SendError(SendErrorKind.PERMANENT if status < 500 else SendErrorKind.TRANSIENT,
                            f"http_{status}", "Zalo answered no JSON") from None
        if not isinstance(data, dict):
            raise SendError(SendErrorKind.PERMANENT, f"http_{status}", "Zalo answered an unexpected JSON")
        code = _int(data.get("error"), 0)
        if code != 0:
            raise SendError(classify_error(code), str(code), str(data.get("message") or "")[:200])
        if status >= 400:
            raise SendError(SendErrorKind.PERMANENT, f"http_{status}", "Zalo HTTP error")
        return data

    # ------------------------------------------------------------------ followers

    async def get_followers(self, channel: ChannelLike, offset: int = 0, count: int = 50,
                            period: str | None = "L7D") -> tuple[int, list[str]]:
        """One page of followers (``count`` ≤ 50, ``offset`` ≤ 9951): (total, user ids)."""
        query: dict[str, Any] = {"offset": offset, "count": min(count, 50), "is_follower": True}
        if period:
            query["last_interaction_period"] = period
        url = f"{self.settings.zalo_api_base}/v3.0/oa/user/getlist"
        params = {"data": json.dumps(query, separators=(",", ":"))}
        tokens = await self._access_token(channel)
        try:
            data = await self._request("GET", url, tokens.access_token, params=params)
        except SendError as exc:
            if exc.kind is not SendErrorKind.TOKEN:
                raise
            tokens = await self._refresh(channel, stale=tokens.access_token, force=True)
            data = await self._request("GET", url, tokens.access_token, params=params)
        d = _d(data.get("data"))
        users = [str(_d(u).get("user_id")) for u in d.get("users") or [] if _d(u).get("user_id")]
        return _int(d.get("total")), users

    # ------------------------------------------------------------------ tokens

    def _local_lock(self, name: str) -> asyncio.Lock:
        lock = self._local_locks.get(name)
        if lock is None:
            lock = self._local_locks[name] = asyncio.Lock()
        return lock

    async def ensure_fresh(self, channel: ChannelLike) -> None:
        """Refresh the channel's access token now if it expires within ``zalo_refresh_ahead`` (scheduler)."""
        self._cache.pop(channel.id, None)  # another process may have refreshed: read the store
        await self._access_token(channel)

    async def _access_token(self, channel: ChannelLike) -> ZaloTokens:
        """The cached pair, loaded from the store the first time; refreshed ahead of expiry."""
        tokens = self._cache.get(channel.id)
        if tokens is None:
            tokens = self._cache[channel.id] = await self._load(channel)
        if tokens.expiring(self.settings.zalo_refresh_ahead):
            tokens = await self._refresh(channel, stale=tokens.access_token, force=False)
        return tokens

    async def _load(self, channel: ChannelLike) -> ZaloTokens:
        try:
            return await self.tokens.load(channel.id)
        except LookupError:
            raise SendError(SendErrorKind.PERMANENT, "no_channel", "Zalo channel not found") from None
        except Exception as exc:  # noqa: BLE001 - a store hiccup is retried by the outbox
            log.warning("Zalo channel %s: token store load failed (%s)", channel.id, type(exc).__name__)
            raise SendError(SendErrorKind.TRANSIENT, "token_store", type(exc).__name__) from None

    async def _refresh(self, channel: ChannelLike, *, stale: str, force: bool) -> ZaloTokens:
        """Refresh the pair once for every process.

        Under ``token_store.lock("zalo-refresh:<oa_id>")`` (and an in-process lock) the pair is
        re-loaded: if another task or process already replaced ``stale`` (or, for an ahead-of-expiry
        refresh, the token is no longer expiring) that pair is used and the single-use refresh token
        is not burned again. Otherwise the OAuth endpoint is called and the new pair is saved
        before it is used. A refused refresh marks the channel as needing re-authorisation and
        raises SendError(AUTH); a network error or HTTP 5xx raises TRANSIENT (the refresh token may
        still be valid; if it was consumed, the next attempt is refused and marks the channel).
        """
        oa_id = channel.external_id or channel.config.get("oa_id") or str(channel.id)
        name = f"zalo-refresh:{oa_id}"
        async with self._local_lock(name), self.tokens.lock(name):
            current = await self._load(channel)
            ahead = self.settings.zalo_refresh_ahead
            if current.access_token and not current.expiring(ahead) and (current.access_token != stale or not force):
                self._cache[channel.id] = current
                return current
            new = await self._call_refresh(channel, current, oa_id)
            await self.tokens.save(channel.id, new)
            self._cache[channel.id] = new
            log.info("Zalo OA %s: access token refreshed (expires in %.0f s)", oa_id, new.expires_at - time.time())
            return new

    async def _call_refresh(self, channel: ChannelLike, current: ZaloTokens, oa_id: str) -> ZaloTokens:
        cfg = channel.config
        app_id = str(cfg.get("app_id") or "")
        app_secret = str(cfg.get("app_secret") or "")
        if not current.refresh_token or not app_id or not app_secret:
            await self._refresh_failed(channel, oa_id, "no refresh token / app id / app secret")
        url = f"{self.settings.zalo_oauth_base}/v4/oa/access_token"
        form = {"refresh_token": current.refresh_token, "app_id": app_id, "grant_type": "refresh_token"}
        try:
            async with self.session.post(url, data=form, headers={"secret_key": app_secret},
                                         timeout=self._timeout) as resp:
                status = resp.status
                text = await resp.text()
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.error("Zalo OA %s: token refresh failed (%s); will retry / "
                      "Làm mới token Zalo OA %s thất bại, sẽ thử lại", oa_id, type(exc).__name__, oa_id)
            raise SendError(SendErrorKind.TRANSIENT, "refresh_" + type(exc).__name__, "Zalo token refresh") from None
        if status >= 500 or status == 429:
            log.error("Zalo OA %s: token refresh got HTTP %s; will retry / "
                      "Làm mới token Zalo OA %s lỗi HTTP %s, sẽ thử lại", oa_id, status, oa_id, status)
            raise SendError(SendErrorKind.TRANSIENT, f"refresh_http_{status}", "Zalo token refresh")
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
            reason = f"HTTP {status}"
            if isinstance(data, dict):
                reason += f", error {data.get('error')} {str(data.get('error_name') or data.get('error_reason') or '')[:80]}"
            await self._refresh_failed(channel, oa_id, reason)
        assert isinstance(data, dict)
        expires_in = _float(data.get("expires_in")) or 90000.0
        return ZaloTokens(access_token=str(data["access_token"]), refresh_token=str(data["refresh_token"]),
                          expires_at=time.time() + expires_in)

    async def _refresh_failed(self, channel: ChannelLike, oa_id: str, reason: str) -> None:
        log.error(
            "CẦN CẤP QUYỀN LẠI: không làm mới được token của Zalo OA %s (%s); quản trị viên OA phải cấp quyền "
            "lại cho ứng dụng. / NEEDS RE-AUTHORISATION: Zalo OA %s token refresh failed (%s); the OA admin "
            "must re-authorise the app.", oa_id, reason, oa_id, reason)
        self._cache.pop(channel.id, None)
        try:
            await self.tokens.mark_needs_reauth(channel.id, f"Zalo OA {oa_id}: token refresh failed ({reason})")
        except Exception:  # noqa: BLE001 - the send error below matters more
            log.exception("Zalo OA %s: could not mark the channel as needing re-authorisation", oa_id)
        raise SendError(SendErrorKind.AUTH, "refresh_failed", f"Zalo OA {oa_id} needs re-authorisation")

    # ------------------------------------------------------------------ limits

    def rate_limits(self, channel: ChannelLike, user_id: str) -> list[RateLimit]:
        app_id = channel.config.get("app_id") or channel.external_id
        return [RateLimit(f"zalo:app:{app_id}", self.settings.zalo_rate_per_minute, 60.0)]

    def forget(self, channel_id: int) -> None:
        """Drop the cached token pair (e.g. after an admin re-authorised the OA)."""
        self._cache.pop(channel_id, None)

    async def close(self) -> None:
        self._cache.clear()
