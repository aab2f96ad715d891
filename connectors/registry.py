"""The platform connectors, built once per process.

The contract (``Connector`` Protocol and ``RateLimit``) lives in connectors/base.py and is
re-exported here.
"""

from __future__ import annotations

import aiohttp

from bot.settings import Settings
from connectors.base import Connector, Platform, RateLimit
from connectors.facebook import FacebookConnector
from connectors.telegram import TelegramConnector
from connectors.zalo import ZaloConnector
from connectors.zalo_tokens import ZaloTokens, ZaloTokenStore

__all__ = ["Connector", "RateLimit", "ZaloTokens", "ZaloTokenStore", "make_connectors"]


def make_connectors(settings: Settings, session: aiohttp.ClientSession,
                    token_store: ZaloTokenStore) -> dict[Platform, Connector]:
    """Zalo, Facebook and Telegram connectors (the web chat connector is added by the caller)."""
    return {
        Platform.ZALO: ZaloConnector(settings, session, token_store),
        Platform.FACEBOOK: FacebookConnector(settings, session),
        Platform.TELEGRAM: TelegramConnector(settings),
    }
