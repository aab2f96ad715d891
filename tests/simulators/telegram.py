"""A Telegram Bot API simulator (point COSO_TELEGRAM_API_BASE at it).

``/bot<token>/<method>`` for ``getMe``, ``sendMessage``, ``sendPhoto``, ``setWebhook``,
``deleteWebhook``, ``getWebhookInfo``, ``answerCallbackQuery``; parameters as JSON, form or
multipart (python-telegram-bot sends forms with JSON-encoded values). Answers in Bot API JSON.
Unknown token → 401; text > 4,096 → 400; callback_data > 64 bytes → 400.

Injection: ``fail_next(n, status, description)``, ``flood_next(n, retry_after)`` (429),
``http_fail_next(n, status)``, ``latency``, ``blocked_chats`` (403), ``missing_chats`` (400).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from aiohttp import web

from tests.simulators import Call, SimBase


class TelegramSim(SimBase):
    def __init__(self, token: str = "123456789:AAEsimulatedTokenForTests_abcdefghij") -> None:
        super().__init__()
        self.bots: dict[str, dict[str, Any]] = {}
        self.token = token
        self.add_bot(token)
        self.blocked_chats: set[str] = set()
        self.missing_chats: set[str] = set()
        self.sent: list[dict[str, Any]] = []  # {"token","method","chat_id","text"|"photo","reply_markup",...}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.answered_callbacks: list[str] = []
        self._ids = itertools.count(1)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)

    def add_bot(self, token: str, username: str | None = None) -> None:
        bot_id = int(token.split(":", 1)[0])
        self.bots[token] = {"id": bot_id, "is_bot": True, "first_name": "Coso Sim",
                            "username": username or f"coso_sim_{bot_id}_bot", "can_join_groups": True,
                            "can_read_all_group_messages": False, "supports_inline_queries": False}

    def fail_next(self, n: int = 1, status: int = 400, description: str = "Bad Request: simulated") -> None:
        self.inject(status, {"ok": False, "error_code": status, "description": description}, n)

    def flood_next(self, n: int = 1, retry_after: int = 3) -> None:
        self.inject(429, {"ok": False, "error_code": 429,
                          "description": f"Too Many Requests: retry after {retry_after}",
                          "parameters": {"retry_after": retry_after}}, n)

    def http_fail_next(self, n: int = 1, status: int = 500) -> None:
        self.inject(status, {"ok": False, "error_code": status, "description": "Internal Server Error"}, n)

    @staticmethod
    def _params(call: Call) -> dict[str, Any]:
        if isinstance(call.json, dict):
            return dict(call.json)
        params: dict[str, Any] = dict(call.query)
        for k, v in (call.form or {}).items():
            try:
                params[k] = json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
            except ValueError:
                params[k] = v
        return params

    def _fail(self, call: Call, status: int, description: str) -> web.Response:
        return self._answer(call, status, {"ok": False, "error_code": status, "description": description})

    def _ok(self, call: Call, result: Any) -> web.Response:
        return self._answer(call, 200, {"ok": True, "result": result})

    async def _handle(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        await self._delay()
        token, method = request.match_info["token"], request.match_info["method"]
        if token not in self.bots:
            return self._fail(call, 401, "Unauthorized")
        injected = self._take_injected()
        if injected and method != "getMe":
            return self._answer(call, injected.status, injected.body)
        if injected:  # never fail initialisation; keep the failure for the next call
            self._injected.appendleft(injected)
        p = self._params(call)
        me = self.bots[token]
        m = method.lower()
        if m == "getme":
            return self._ok(call, me)
        if m == "setwebhook":
            if not p.get("url"):
                return self._fail(call, 400, "Bad Request: bad webhook: URL must be provided")
            self.webhooks[token] = p
            return self._ok(call, True)
        if m == "deletewebhook":
            self.webhooks.pop(token, None)
            return self._ok(call, True)
        if m == "getwebhookinfo":
            info = self.webhooks.get(token, {})
            return self._ok(call, {"url": info.get("url", ""), "has_custom_certificate": False,
                                   "pending_update_count": 0})
        if m == "answercallbackquery":
            if not p.get("callback_query_id"):
                return self._fail(call, 400, "Bad Request: query is too old")
            self.answered_callbacks.append(str(p["callback_query_id"]))
            return self._ok(call, True)
        if m in ("sendmessage", "sendphoto"):
            return self._send(call, token, me, m, p)
        return self._fail(call, 404, "Not Found")

    def _send(self, call: Call, token: str, me: dict[str, Any], m: str, p: dict[str, Any]) -> web.Response:
        chat_id = str(p.get("chat_id") or "")
        if not chat_id:
            return self._fail(call, 400, "Bad Request: chat_id is empty")
        if chat_id in self.blocked_chats:
            return self._fail(call, 403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing_chats:
            return self._fail(call, 400, "Bad Request: chat not found")
        markup = p.get("reply_markup")
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError:
                return self._fail(call, 400, "Bad Request: can't parse reply keyboard markup JSON object")
        if markup is not None:
            for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
                for b in row:
                    data = b.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        return self._fail(call, 400, "Bad Request: BUTTON_DATA_INVALID")
                    if data is None and not b.get("url"):
                        return self._fail(call, 400, "Bad Request: inline keyboard button must have a type")
        message: dict[str, Any] = {"message_id": next(self._ids), "date": int(time.time()),
                                   "chat": self._chat(chat_id),
                                   "from": {k: me[k] for k in ("id", "is_bot", "first_name", "username")}}
        if m == "sendmessage":
            text = p.get("text")
            if not isinstance(text, str) or not text.strip():
                return self._fail(call, 400, "Bad Request: message text is empty")
            if len(text) > 4096:
                return self._fail(call, 400, "Bad Request: message is too long")
            message["text"] = text
        else:
            photo = p.get("photo")
            if not photo:
                return self._fail(call, 400, "Bad Request: there is no photo in the request")
            caption = p.get("caption")
            if caption is not None and len(str(caption)) > 1024:
                return self._fail(call, 400, "Bad Request: message caption is too long")
            message["photo"] = [{"file_id": f"photo{message['message_id']}", "file_unique_id":
                                 f"u{message['message_id']}", "width": 640, "height": 480}]
            if caption:
                message["caption"] = caption
        if markup:
            message["reply_markup"] = markup
        self.sent.append({"token": token, "method": m, "chat_id": chat_id, "text": p.get("text"),
                          "photo": p.get("photo"), "caption": p.get("caption"), "reply_markup": markup,
                          "message_id": message["message_id"]})
        return self._ok(call, message)

    @staticmethod
    def _chat(chat_id: str) -> dict[str, Any]:
        try:
            cid: int | str = int(chat_id)
        except ValueError:
            return {"id": -1000000000001, "type": "channel", "title": chat_id, "username": chat_id.lstrip("@")}
        if int(cid) < 0:
            return {"id": cid, "type": "supergroup", "title": "Nhóm"}
        return {"id": cid, "type": "private", "first_name": "Dân"}
