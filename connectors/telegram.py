"""Telegram bot connector, through python-telegram-bot (PTB).

Wire rules: /work/shared/PLATFORMS.md ("Telegram Bot API").

* One ``telegram.Bot`` per bot token, created on first use with
  ``base_url = {telegram_api_base}/bot`` and initialised lazily (``getMe``).
* Channels are routed by URL (``route_id`` is None); the webhook carries
  ``X-Telegram-Bot-Api-Secret-Token`` which must equal ``config["secret_token"]``.
* ``user_id`` for sending is the chat id (equal to the user id in private chats).
* Long texts are **split** into messages of at most 4,096 characters; the keyboard goes with the
  last part. An image goes by ``sendPhoto`` with the text as caption when it fits (≤ 1,024
  characters), otherwise the photo first and the text after it.
* Buttons: an inline keyboard, one button per row; ``callback_data`` is cut to 64 bytes (UTF-8
  safe; keep payloads short); link buttons are URL buttons; phone buttons cannot be inline
  buttons, so their number is appended to the text.
* PTB's httpx logs request URLs, which contain the bot token: the ``httpx``/``httpcore`` loggers are set
  to WARNING and ``telegram`` to INFO (its DEBUG lines print the API URL with the token).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any

import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram import error as tg_error
from telegram.request import HTTPXRequest

from bot.settings import Settings
from connectors.base import (
    Attachment,
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
)

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)
# PTB logs the API URL (with the token) at DEBUG when a Bot is created.
logging.getLogger("telegram").setLevel(logging.INFO)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64


def bot_id_of(token: str) -> str:
    return token.split(":", 1)[0]


def classify_exception(exc: BaseException) -> SendError:
    """Map a PTB exception (or a transport error) to a classified SendError. Order matters:
    BadRequest and TimedOut are subclasses of NetworkError."""
    name = type(exc).__name__
    if isinstance(exc, tg_error.RetryAfter):
        ra = getattr(exc, "_retry_after", None)
        if ra is None:
            ra = exc.retry_after
        seconds = ra.total_seconds() if isinstance(ra, dtm.timedelta) else float(ra)
        return SendError(SendErrorKind.TRANSIENT, "429", "flood control", retry_after=seconds)
    if isinstance(exc, tg_error.InvalidToken):
        return SendError(SendErrorKind.AUTH, "invalid_token", "bot token refused")
    if isinstance(exc, tg_error.Forbidden):
        return SendError(SendErrorKind.PERMANENT, "403", str(exc)[:200])
    if isinstance(exc, tg_error.ChatMigrated):
        return SendError(SendErrorKind.PERMANENT, "chat_migrated", f"migrated to {exc.new_chat_id}")
    if isinstance(exc, tg_error.BadRequest):
        return SendError(SendErrorKind.PERMANENT, "400", str(exc)[:200])
    if isinstance(exc, (tg_error.TimedOut, tg_error.NetworkError, TimeoutError, OSError)):
        return SendError(SendErrorKind.TRANSIENT, name, "Telegram request failed")
    if isinstance(exc, tg_error.TelegramError):
        return SendError(SendErrorKind.PERMANENT, name, str(exc)[:200])
    return SendError(SendErrorKind.TRANSIENT, name, "Telegram request failed")


def _cut_bytes(value: str, limit: int) -> str:
    data = value.encode()
    if len(data) <= limit:
        return value
    return data[:limit].decode("utf-8", errors="ignore")


def _ms(date: dtm.datetime | None) -> int:
    if date is None:
        return int(time.time() * 1000)
    return int(date.timestamp() * 1000)


class TelegramConnector:
    platform = Platform.TELEGRAM

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bots: dict[str, telegram.Bot] = {}
        self._ready: dict[str, asyncio.Task[Any]] = {}

    # ------------------------------------------------------------------ bots

    def bot(self, channel: ChannelLike) -> telegram.Bot:
        token = channel.config.get("bot_token") or ""
        if not token:
            raise SendError(SendErrorKind.AUTH, "no_bot_token", "channel has no bot_token")
        bot = self._bots.get(token)
        if bot is None:
            t = self.settings.send_timeout
            base = self.settings.telegram_api_base.rstrip("/")

            def request(pool: int) -> HTTPXRequest:
                return HTTPXRequest(connection_pool_size=pool, connect_timeout=t, read_timeout=t, write_timeout=t,
                                    pool_timeout=t, http_version="1.1")

            bot = telegram.Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
                               request=request(64), get_updates_request=request(1))
            self._bots[token] = bot
        return bot

    async def ready_bot(self, channel: ChannelLike) -> telegram.Bot:
        """The channel's bot, initialised (``getMe``) once."""
        bot = self.bot(channel)
        token = channel.config["bot_token"]
        task = self._ready.get(token)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._ready[token] = asyncio.ensure_future(bot.initialize())
        await asyncio.shield(task)
        return bot

    # ------------------------------------------------------------------ webhook

    def route_id(self, data: Any) -> str | None:
        return None

    def verify(self, channel: ChannelLike, headers: Mapping[str, str], raw: bytes, data: Any) -> None:
        value = header(headers, "X-Telegram-Bot-Api-Secret-Token")
        if not value:
            raise WebhookError(401, "missing X-Telegram-Bot-Api-Secret-Token")
        secret = channel.config.get("secret_token") or ""
        if not secret:
            raise WebhookError(403, "channel has no secret_token")
        if not hmac.compare_digest(value.encode(), str(secret).encode()):
            raise WebhookError(403, "bad X-Telegram-Bot-Api-Secret-Token")

    def parse(self, channel: ChannelLike, data: Any) -> list[Inbound]:
        if not isinstance(data, dict) or "update_id" not in data:
            raise WebhookError(400, "Telegram update is not an object with update_id")
        try:
            update = telegram.Update.de_json(data, self.bot(channel))
        except SendError:
            raise WebhookError(400, "channel has no bot_token") from None
        except Exception as exc:  # noqa: BLE001 - any malformed shape is a 400
            raise WebhookError(400, f"malformed Telegram update ({type(exc).__name__})") from None
        event_id = str(update.update_id)

        def mk(kind: EventKind, user: str | None, ts: int, raw_event: str, **kw: Any) -> Inbound:
            return Inbound(platform=Platform.TELEGRAM, channel_id=channel.id, event_id=event_id, kind=kind,
                           user_id=user, timestamp_ms=ts, raw_event=raw_event, raw=data, **kw)

        try:
            if update.message is not None:
                inbound = self._message(update.message, mk)
                # In a group the bot answers commands ("/start") only; other messages are members
                # talking to each other.  Button presses (callback queries) are answered everywhere.
                if update.message.chat.type != "private":
                    inbound.answer = inbound.kind == EventKind.TEXT and (inbound.text or "").startswith("/")
                return [inbound]
            if update.callback_query is not None:
                cq = update.callback_query
                chat = cq.message.chat.id if cq.message is not None else cq.from_user.id
                info = {"callback_query_id": cq.id, "from_id": str(cq.from_user.id)}
                if cq.message is not None:
                    info["message_id"] = cq.message.message_id
                ts = _ms(cq.message.date) if cq.message is not None else int(time.time() * 1000)
                return [mk(EventKind.POSTBACK, str(chat), ts, "callback_query", payload=cq.data, info=info)]
            if update.my_chat_member is not None:
                m = update.my_chat_member
                status = m.new_chat_member.status
                kind = EventKind.UNKNOWN
                if m.chat.type == "private":
                    if status in ("kicked", "left"):
                        kind = EventKind.UNFOLLOW
                    elif status == "member":
                        kind = EventKind.FOLLOW
                return [mk(kind, str(m.chat.id), _ms(m.date), "my_chat_member", info={"status": str(status)})]
            name = next((k for k in data if k != "update_id"), "unknown")
            user = update.effective_chat.id if update.effective_chat else (
                update.effective_user.id if update.effective_user else None)
            return [mk(EventKind.UNKNOWN, str(user) if user is not None else None, int(time.time() * 1000), name)]
        except WebhookError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise WebhookError(400, f"malformed Telegram update ({type(exc).__name__})") from None

    @staticmethod
    def _message(msg: telegram.Message, mk: Any) -> Inbound:
        user = str(msg.chat.id)
        ts = _ms(msg.date)
        info: dict[str, Any] = {"message_id": msg.message_id, "chat_type": msg.chat.type}
        if msg.from_user is not None:
            info["from_id"] = str(msg.from_user.id)
        text = msg.text if msg.text is not None else msg.caption
        if msg.location is not None or msg.venue is not None:
            loc = msg.venue.location if msg.venue is not None else msg.location
            return mk(EventKind.LOCATION, user, ts, "message",
                      location=Location(latitude=loc.latitude, longitude=loc.longitude), info=info)
        attachments: list[Attachment] = []
        file_ids: list[str] = []
        if msg.photo:
            p = msg.photo[-1]
            attachments.append(Attachment(type="image", size=p.file_size))
            file_ids.append(p.file_id)
        for attr, kind in (("document", "file"), ("audio", "audio"), ("voice", "audio"), ("video", "video"),
                           ("video_note", "video"), ("sticker", "sticker"), ("animation", "gif")):
            obj = getattr(msg, attr, None)
            if obj is not None and not (attr == "document" and msg.animation is not None):
                attachments.append(Attachment(type=kind, name=getattr(obj, "file_name", None), size=obj.file_size))
                file_ids.append(obj.file_id)
        if msg.contact is not None:
            c = msg.contact
            attachments.append(Attachment(type="business_card", name=" ".join(
                x for x in (c.first_name, c.last_name) if x)))
            info["contact"] = {"phone": c.phone_number, "user_id": c.user_id}
        if attachments:
            if file_ids:
                info["file_ids"] = file_ids
            return mk(EventKind.ATTACHMENT, user, ts, "message", text=text, attachments=attachments, info=info)
        if msg.text is not None:
            return mk(EventKind.TEXT, user, ts, "message", text=msg.text, info=info)
        return mk(EventKind.UNKNOWN, user, ts, "message", info=info)

    # ------------------------------------------------------------------ sending

    async def send(self, channel: ChannelLike, user_id: str, message: Outbound) -> SendResult:
        """Send text parts (≤ 4,096 characters), inline keyboard on the last part, photo first."""
        text = message.text or ""
        phones = [b for b in message.buttons if b.phone and not b.url]
        if phones:
            text = (text + "\n" if text else "") + "\n".join(f"☎ {b.title}: {b.phone}" for b in phones)
        rows = []
        for b in message.buttons:
            if b.url:
                rows.append([InlineKeyboardButton(b.title, url=b.url)])
            elif not b.phone and (b.payload or b.title):
                rows.append([InlineKeyboardButton(b.title, callback_data=_cut_bytes(b.payload or b.title,
                                                                                     MAX_CALLBACK_BYTES))])
        markup = InlineKeyboardMarkup(rows) if rows else None
        try:
            bot = await self.ready_bot(channel)
            last = None
            if message.image_url:
                if len(text) <= MAX_CAPTION:
                    m = await bot.send_photo(user_id, message.image_url, caption=text or None, reply_markup=markup)
                    return SendResult(platform_message_id=str(m.message_id))
                m = await bot.send_photo(user_id, message.image_url)
                last = str(m.message_id)
            if not text.strip():
                if last is None:
                    raise SendError(SendErrorKind.PERMANENT, "empty", "nothing to send (no text, no image)")
                return SendResult(platform_message_id=last)
            parts = split_text(text, MAX_TEXT)
            for i, part in enumerate(parts):
                m = await bot.send_message(user_id, part, reply_markup=markup if i == len(parts) - 1 else None)
                last = str(m.message_id)
            return SendResult(platform_message_id=last)
        except SendError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            raise classify_exception(exc) from None

    async def acknowledge(self, channel: ChannelLike, event: Inbound) -> None:
        """After a button press was handled: stop its spinner in the user's app (best effort)."""
        query_id = (event.info or {}).get("callback_query_id")
        if query_id:
            await self.answer_callback(channel, query_id)

    async def answer_callback(self, channel: ChannelLike, callback_query_id: str, text: str | None = None) -> None:
        """Stop the button's spinner in the user's app (call after a POSTBACK from callback_query)."""
        try:
            bot = await self.ready_bot(channel)
            await bot.answer_callback_query(callback_query_id, text=text)
        except Exception as exc:  # noqa: BLE001
            raise classify_exception(exc) from None

    async def set_webhook(self, channel: ChannelLike, url: str) -> None:
        """Register ``url`` with the channel's secret token."""
        try:
            bot = await self.ready_bot(channel)
            await bot.set_webhook(url, secret_token=channel.config.get("secret_token"),
                                  allowed_updates=["message", "callback_query", "my_chat_member"])
        except Exception as exc:  # noqa: BLE001
            raise classify_exception(exc) from None

    # ------------------------------------------------------------------ limits

    def rate_limits(self, channel: ChannelLike, user_id: str) -> list[RateLimit]:
        bot_id = bot_id_of(channel.config.get("bot_token") or "") or channel.external_id
        s = self.settings
        per_chat = float(s.telegram_rate_per_chat_per_second)
        if per_chat >= 1 and per_chat == int(per_chat):
            chat_limit = RateLimit(f"tg:chat:{bot_id}:{user_id}", int(per_chat), 1.0)
        else:
            chat_limit = RateLimit(f"tg:chat:{bot_id}:{user_id}", 1, 1.0 / per_chat if per_chat > 0 else 1.0)
        limits = [RateLimit(f"tg:bot:{bot_id}", s.telegram_rate_per_second, 1.0), chat_limit]
        if str(user_id).startswith("-"):  # groups and channels: 20 per minute
            limits.append(RateLimit(f"tg:group:{bot_id}:{user_id}", 20, 60.0))
        return limits

    async def close(self) -> None:
        bots = list(self._bots.values())
        self._bots.clear()
        self._ready.clear()
        for bot in bots:
            try:
                await bot.shutdown()
            except Exception:  # noqa: BLE001
                log.debug("telegram bot shutdown failed", exc_info=True)
