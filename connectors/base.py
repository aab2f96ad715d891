"""Normalised messages and the contract every channel connector keeps.

A connector knows one outside party: how its webhooks are signed and shaped,
how to send, which errors mean what. It knows nothing of the business.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


class Platform(enum.StrEnum):
    ZALO = "zalo"
    FACEBOOK = "facebook"
    TELEGRAM = "telegram"
    WEBCHAT = "webchat"


class EventKind(enum.StrEnum):
    """What happened, independent of the platform's own event names."""

    TEXT = "text"  # a typed message
    POSTBACK = "postback"  # a button / quick reply press; ``payload`` holds its payload
    ATTACHMENT = "attachment"  # image, audio, video, file, sticker, gif, link, business card
    LOCATION = "location"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    SUBMIT_INFO = "submit_info"  # Zalo user_submit_info
    DELIVERY = "delivery"  # delivery / received receipts
    READ = "read"  # seen / read receipts
    ECHO = "echo"  # a message sent by the page/OA itself (by us, or a person in its inbox)
    COMMENT = "comment"  # a Facebook Page comment
    UNKNOWN = "unknown"  # stored and acknowledged, never an error


@dataclass(slots=True)
class Attachment:
    type: str  # image | audio | video | file | sticker | gif | link | business_card | ...
    url: str | None = None
    name: str | None = None
    size: int | None = None
    thumbnail: str | None = None


@dataclass(slots=True)
class Location:
    latitude: float
    longitude: float


def conversation_key(channel_id: int, user_id: str | None) -> str:
    """The queue key of one citizen's conversation on one channel: its jobs (what they sent, what is
    sent to them) run one at a time, in order."""
    return f"{channel_id}:{user_id or '-'}"


@dataclass(slots=True)
class Inbound:
    """One event from a platform, normalised.

    ``event_id`` is the platform's id used for deduplication (Zalo ``msg_id``,
    Facebook ``mid``, Telegram ``update_id``, web chat client id). Events without
    a natural id (follow, receipts) get one derived from their content so that a
    redelivered event maps to the same id.
    """

    platform: Platform
    channel_id: int
    event_id: str
    kind: EventKind
    user_id: str | None  # the citizen's id on the platform (None for page-level events)
    timestamp_ms: int
    text: str | None = None
    payload: str | None = None  # button payload for POSTBACK
    attachments: list[Attachment] = field(default_factory=list)
    location: Location | None = None
    info: dict[str, Any] | None = None  # submitted info, comment details, ...
    raw_event: str | None = None  # the platform's event name (e.g. "user_send_text")
    raw: dict[str, Any] | None = None  # the original event JSON, stored for audit
    # False: stored for the record but never answered (chatter in a Telegram group, a Facebook standby
    # event: another app has the conversation).  Set by the connector, which knows the platform's rules.
    answer: bool = True

    @property
    def conversation_key(self) -> str:
        """Events with the same key are handled in order."""
        return conversation_key(self.channel_id, self.user_id)

    def to_dict(self) -> dict[str, Any]:
        # By hand rather than dataclasses.asdict (which deep-copies everything): this runs for every webhook.
        return {"platform": self.platform.value, "channel_id": self.channel_id, "event_id": self.event_id,
                "kind": self.kind.value, "user_id": self.user_id, "timestamp_ms": self.timestamp_ms,
                "text": self.text, "payload": self.payload,
                "attachments": [asdict(a) for a in self.attachments],
                "location": asdict(self.location) if self.location else None,
                "info": self.info, "raw_event": self.raw_event, "raw": self.raw, "answer": self.answer}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inbound:
        d = dict(data)
        d["platform"] = Platform(d["platform"])
        d["kind"] = EventKind(d["kind"])
        d["attachments"] = [Attachment(**a) for a in d.get("attachments") or []]
        if d.get("location"):
            d["location"] = Location(**d["location"])
        return cls(**d)


@dataclass(slots=True)
class Button:
    """A reply button. ``payload`` comes back as a POSTBACK (or a text on Zalo).

    ``url`` makes it a link button, ``phone`` a call button, where the platform can.
    """

    title: str
    payload: str | None = None
    url: str | None = None
    phone: str | None = None


@dataclass(slots=True)
class Outbound:
    """One message to send to one recipient on one channel."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    image_url: str | None = None
    # Typed by a staff member (not the bot): Facebook pages opted in to HUMAN_AGENT may send it up
    # to 7 days after the citizen's last message instead of 24 hours.
    human: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outbound:
        d = dict(data)
        d["buttons"] = [Button(**b) for b in d.get("buttons") or []]
        return cls(**d)


class SendErrorKind(enum.StrEnum):
    TRANSIENT = "transient"  # rate limit, 5xx, timeout, temporary: retry with backoff
    TOKEN = "token"  # access token invalid/expired: refresh then retry once
    WINDOW = "window"  # outside the interaction window: never retried ("ngoài thời hạn tương tác")
    PERMANENT = "permanent"  # bad request, user blocked/unavailable, policy: never retried
    AUTH = "auth"  # credentials revoked (Facebook 190): a person must act


class SendError(Exception):
    """A send that did not succeed, classified for the outbox."""

    def __init__(self, kind: SendErrorKind, code: str, message: str = "", retry_after: float | None = None):
        super().__init__(f"{kind}: {code} {message}".strip())
        self.kind = kind
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass(slots=True)
class SendResult:
    platform_message_id: str | None


class WebhookError(Exception):
    """A webhook request we refuse; ``status`` is the HTTP status to answer (4xx)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ChannelLike(Protocol):
    """What a connector reads of a stored channel (storage.models.Channel)."""

    id: int
    platform: str
    unit_id: int
    external_id: str  # OA id, page id, bot id, or web chat slug
    config: dict[str, Any]  # platform credentials and settings (secrets included; never log)


# --- The connector contract (called by the webhook app and the outbox sender) ---


@dataclass(frozen=True)
class RateLimit:
    """A budget the outbox respects before a send: at most ``limit`` sends per ``period`` seconds.

    ``key`` names the shared bucket, e.g. ``zalo:app:<app_id>``, ``fb:page:<page_id>``,
    ``tg:bot:<bot_id>``, ``tg:chat:<bot_id>:<chat_id>``.
    """

    key: str
    limit: int
    period: float  # seconds


class Connector(Protocol):
    """One platform. Stateless per request apart from HTTP clients and token caches."""

    platform: Platform

    def route_id(self, data: Any) -> str | None:
        """The external id that finds the channel (OA id, page id); None if absent or routed by URL."""
        ...

    def verify(self, channel: ChannelLike, headers: Any, raw: bytes, data: Any) -> None:
        """Raise WebhookError(401/403) on a missing or bad signature (400 on a body it cannot read)."""
        ...

    def parse(self, channel: ChannelLike, data: Any) -> list[Inbound]:
        """Normalise every event in the body; unknown kinds become EventKind.UNKNOWN."""
        ...

    async def send(self, channel: ChannelLike, user_id: str, message: Outbound) -> SendResult:
        """Send one message; raises SendError classified for the outbox."""
        ...

    def rate_limits(self, channel: ChannelLike, user_id: str) -> list[RateLimit]: ...

    async def close(self) -> None: ...


def header(headers: Any, name: str) -> str | None:
    """A request header, case-insensitively, from a CIMultiDict or a plain dict."""
    value = headers.get(name)
    if value is None:
        lname = name.lower()
        for k, v in headers.items():
            if k.lower() == lname:
                return v
    return value


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` characters, at paragraph, line or word breaks."""
    text = text or ""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = rest.rfind(sep, limit // 2, limit)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return [p for p in parts if p]


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis if it was cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"
