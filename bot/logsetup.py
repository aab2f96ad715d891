"""Logging with secrets redacted.

Every record passes through :class:`RedactingFilter`, which blanks registered
secrets (channel tokens and keys, loaded from the database) and anything that
looks like a token in a URL or header, so that no token reaches a log file
even when a library (httpx under python-telegram-bot) logs a full URL.
"""

from __future__ import annotations

import logging
import re
import sys
import threading

_PATTERNS = [
    re.compile(r"(bot)(\d{5,}:[A-Za-z0-9_-]{20,})"),  # Telegram bot token in API paths
    re.compile(r"((?:access_token|refresh_token|secret_key|token|appsecret_proof)[\"']?\s*[=:]\s*[\"']?)"
               r"([^&\s\"',}]+)", re.IGNORECASE),
]
_MIN_SECRET_LEN = 6


class SecretRegistry:
    """Secrets known at run time (thread-safe)."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._regex: re.Pattern[str] | None = None

    def add(self, *values: object) -> None:
        with self._lock:
            for v in values:
                if isinstance(v, str) and len(v) >= _MIN_SECRET_LEN and v not in self._secrets:
                    self._secrets.add(v)
                    self._regex = None

    def redact(self, text: str) -> str:
        with self._lock:
            if self._regex is None and self._secrets:
                alternatives = sorted(self._secrets, key=len, reverse=True)
                self._regex = re.compile("|".join(re.escape(s) for s in alternatives))
            regex = self._regex
        if regex is not None:
            text = regex.sub("***", text)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + "***", text)
        return text


secrets = SecretRegistry()

#: Keys of a channel's config that hold secrets.
SECRET_CONFIG_KEYS = ("oa_secret_key", "app_secret", "access_token", "refresh_token", "page_token",
                      "verify_token", "bot_token", "secret_token")


def register_channel_secrets(config: dict) -> None:
    secrets.add(*(config.get(k) for k in SECRET_CONFIG_KEYS))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = secrets.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = secrets.redact(record.exc_text)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiohttp.access", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
