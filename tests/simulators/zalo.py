"""A Zalo OA Open API + OAuth simulator (point COSO_ZALO_API_BASE and COSO_ZALO_OAUTH_BASE at it).

* ``POST /v3.0/oa/message/cs`` (and ``/template``): header ``access_token`` must be a currently
  valid token (else ``-216``; expired: ``-220``); body shape checked like Zalo (``-201``).
  Errors are HTTP 200 with a non-zero ``error``, as on Zalo.
* ``GET /v3.0/oa/user/getlist?data={...}``: pages over ``followers``.
* ``POST /v4/oa/access_token``: refresh; single-use refresh tokens; issues a new pair and
  invalidates the old access token (``invalidate_old_on_refresh``).

Injection: ``fail_next(n, code)``, ``http_fail_next(n, status)``, ``oauth_fail_next(n, ...)``,
``latency``, ``expire_access_token()``, ``revoke_access_token()``, ``user_errors[user_id] = -230``,
``rate_limit_per_minute``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.simulators import Call, SimBase

ERROR_MESSAGES = {
    -32: "Request limit exceeded",
    -201: "Parameters are invalid",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "Access token has expired",
    -227: "User is banned or inactive",
    -230: "User has not interacted with the OA in the last 7 days",
    -232: "User interaction has expired",
    -234: "Promotion messages cannot be sent at night",
    -240: "API v2 is shut down",
    -244: "User has restricted this message type",
    -248: "Content violates the policy",
}
BUTTON_TYPES = {"oa.query.hide", "oa.query.show", "oa.open.url", "oa.open.phone", "oa.open.sms"}


@dataclass
class SentMessage:
    oa_id: str
    user_id: str
    message: dict[str, Any]
    message_id: str


class ZaloSim(SimBase):
    def __init__(self, app_id: str = "1234567890", app_secret: str = "zalo-app-secret",
                 oa_id: str = "579745863508352884", access_ttl: float = 90000.0) -> None:
        super().__init__()
        self.apps: dict[str, str] = {app_id: app_secret}
        self.oa_app: dict[str, str] = {}
        self.access: dict[str, tuple[str, float]] = {}  # token -> (oa_id, expires_at)
        self.refresh: dict[str, str] = {}  # valid refresh token -> oa_id
        self.used_refresh: set[str] = set()
        self.current: dict[str, tuple[str, str]] = {}  # oa_id -> (access, refresh)
        self.access_ttl = access_ttl
        self.invalidate_old_on_refresh = True
        self.user_errors: dict[str, int] = {}
        self.followers: list[str] = []
        self.sent: list[SentMessage] = []
        self.refresh_calls: list[Call] = []
        self.rate_limit_per_minute: int | None = None
        self._minute: tuple[int, int] = (0, 0)
        self._oauth_injected: deque[tuple[int, Any]] = deque()
        self._ids = itertools.count(1)
        self.app_id, self.app_secret, self.oa_id = app_id, app_secret, oa_id
        self.add_oa(oa_id, app_id)
        self.app.router.add_post("/v3.0/oa/message/cs", self._message)
        self.app.router.add_post("/v3.0/oa/message/template", self._message)
        self.app.router.add_get("/v3.0/oa/user/getlist", self._getlist)
        self.app.router.add_post("/v4/oa/access_token", self._oauth)

    # ------------------------------------------------------------------ set-up / injection

    def add_oa(self, oa_id: str, app_id: str | None = None) -> tuple[str, str]:
        """Register an OA of an app and issue its first token pair."""
        self.oa_app[oa_id] = app_id or self.app_id
        return self.issue_tokens(oa_id)

    def issue_tokens(self, oa_id: str | None = None) -> tuple[str, str]:
        oa_id = oa_id or self.oa_id
        old = self.current.get(oa_id)
        if old:
            self.refresh.pop(old[1], None)
            if self.invalidate_old_on_refresh:
                self.access.pop(old[0], None)
        access = "AT-" + secrets.token_urlsafe(24)
        refresh = "RT-" + secrets.token_urlsafe(24)
        self.access[access] = (oa_id, time.time() + self.access_ttl)
        self.refresh[refresh] = oa_id
        self.current[oa_id] = (access, refresh)
        return access, refresh

    @property
    def access_token(self) -> str:
        return self.current[self.oa_id][0]

    @property
    def refresh_token(self) -> str:
        return self.current[self.oa_id][1]

    def expire_access_token(self, oa_id: str | None = None) -> None:
        token = self.current[oa_id or self.oa_id][0]
        if token in self.access:
            self.access[token] = (self.access[token][0], time.time() - 1)

    def revoke_access_token(self, oa_id: str | None = None) -> None:
        self.access.pop(self.current[oa_id or self.oa_id][0], None)

    def fail_next(self, n: int = 1, code: int = -32, message: str | None = None) -> None:
        """The next ``n`` API calls answer HTTP 200 with Zalo error ``code``."""
        self.inject(200, {"error": code, "message": message or ERROR_MESSAGES.get(code, "error")}, n)

    def http_fail_next(self, n: int = 1, status: int = 500) -> None:
        self.inject(status, {"error": -1, "message": "Internal error"}, n)

    def oauth_fail_next(self, n: int = 1, status: int = 200, body: Any = None) -> None:
        body = body if body is not None else {"error": -14002, "error_name": "Invalid parameter",
                                              "error_reason": "Invalid refresh token"}
        for _ in range(n):
            self._oauth_injected.append((status, body))

    # ------------------------------------------------------------------ handlers

    def _error(self, call: Call, code: int) -> web.Response:
        return self._answer(call, 200, {"error": code, "message": ERROR_MESSAGES.get(code, "error")})

    def _check_token(self, request: web.Request) -> tuple[str | None, int]:
        token = request.headers.get("access_token")
        if not token or token not in self.access:
            return None, -216
        oa_id, expires_at = self.access[token]
        if time.time() >= expires_at:
            return None, -220
        return oa_id, 0

    def _rate(self) -> bool:
        if self.rate_limit_per_minute is None:
            return True
        minute = int(time.time() // 60)
        m, n = self._minute
        n = n + 1 if m == minute else 1
        self._minute = (minute, n)
        return n <= self.rate_limit_per_minute

    async def _message(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        await self._delay()
        injected = self._take_injected()
        if injected:
            return self._answer(call, injected.status, injected.body)
        oa_id, err = self._check_token(request)
        if err:
            return self._error(call, err)
        if not self._rate():
            return self._error(call, -32)
        body = call.json
        if not isinstance(body, dict):
            return self._error(call, -201)
        user = (body.get("recipient") or {}).get("user_id") if isinstance(body.get("recipient"), dict) else None
        if not isinstance(user, str) or not user:
            return self._error(call, -201)
        if request.path.endswith("/template"):
            if not body.get("template_id") or not isinstance(body.get("template_data"), dict):
                return self._error(call, -201)
            message: dict[str, Any] = {"template_id": body["template_id"], "template_data": body["template_data"]}
        else:
            message = body.get("message")
            if not isinstance(message, dict) or not self._valid_message(message):
                return self._error(call, -201)
        if user in self.user_errors:
            return self._error(call, self.user_errors[user])
        mid = f"zmid{next(self._ids):08d}"
        assert oa_id is not None
        self.sent.append(SentMessage(oa_id, user, message, mid))
        headers = {}
        if self.rate_limit_per_minute:
            headers = {"X-RateLimit-Limit": str(self.rate_limit_per_minute),
                       "X-RateLimit-Remain": str(max(self.rate_limit_per_minute - self._minute[1], 0))}
        return self._answer(call, 200, {"error": 0, "message": "Success",
                                        "data": {"message_id": mid, "user_id": user}}, headers)

    @staticmethod
    def _valid_message(message: dict[str, Any]) -> bool:
        text = message.get("text")
        att = message.get("attachment")
        if text is None and att is None:
            return False
        if text is not None and (not isinstance(text, str) or not text or len(text) > 2000):
            return False
        if att is None:
            return True
        if not isinstance(att, dict) or att.get("type") != "template" or not isinstance(att.get("payload"), dict):
            return False
        payload = att["payload"]
        if payload.get("template_type") == "media":
            els = payload.get("elements")
            return isinstance(els, list) and len(els) == 1 and isinstance(els[0], dict) and bool(els[0].get("url"))
        buttons = payload.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 5 or text is None:
            return False
        for b in buttons:
            if not isinstance(b, dict) or b.get("type") not in BUTTON_TYPES or not b.get("title"):
                return False
            p = b.get("payload")
            if b["type"] == "oa.open.url" and not (isinstance(p, dict) and p.get("url")):
                return False
            if b["type"] == "oa.open.phone" and not (isinstance(p, dict) and p.get("phone_code")):
                return False
            if b["type"].startswith("oa.query") and not (isinstance(p, str) and p):
                return False
        return True

    async def _getlist(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        await self._delay()
        injected = self._take_injected()
        if injected:
            return self._answer(call, injected.status, injected.body)
        _, err = self._check_token(request)
        if err:
            return self._error(call, err)
        try:
            q = json.loads(request.query.get("data", ""))
            offset, count = int(q["offset"]), int(q["count"])
        except (ValueError, KeyError, TypeError):
            return self._error(call, -201)
        if count > 50 or offset > 9951 or offset < 0 or count < 1:
            return self._error(call, -201)
        page = self.followers[offset:offset + count]
        return self._answer(call, 200, {"error": 0, "message": "Success", "data": {
            "total": len(self.followers), "count": len(page), "offset": offset,
            "users": [{"user_id": u} for u in page]}})

    async def _oauth(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        self.refresh_calls.append(call)
        await self._delay()
        if self._oauth_injected:
            status, body = self._oauth_injected.popleft()
            return self._answer(call, status, body)
        form = call.form or {}
        app_id = form.get("app_id", "")
        if form.get("grant_type") != "refresh_token" or app_id not in self.apps:
            return self._answer(call, 200, {"error": -14001, "error_name": "Invalid parameter",
                                            "error_reason": "Invalid app_id or grant_type"})
        if request.headers.get("secret_key") != self.apps[app_id]:
            return self._answer(call, 200, {"error": -14003, "error_name": "Invalid secret key",
                                            "error_reason": "Invalid secret_key"})
        token = form.get("refresh_token", "")
        oa_id = self.refresh.pop(token, None)
        if oa_id is None or self.oa_app.get(oa_id) != app_id:
            reason = "Refresh token was used" if token in self.used_refresh else "Invalid refresh token"
            return self._answer(call, 200, {"error": -14014, "error_name": "Invalid refresh token",
                                            "error_reason": reason})
        self.used_refresh.add(token)
        access, refresh = self.issue_tokens(oa_id)
        return self._answer(call, 200, {"access_token": access, "refresh_token": refresh,
                                        "expires_in": str(int(self.access_ttl))})
