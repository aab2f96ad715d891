"""A Facebook Graph API simulator (point COSO_FACEBOOK_GRAPH_BASE at it).

* ``POST /{version}/me/messages?access_token=<page token>``: checks the token (190), the body
  (``messaging_type``, ``recipient.id``, text < 2,000, ≤ 13 quick replies with titles ≤ 20,
  button template ≤ 3 buttons and text ≤ 640), answers ``{"recipient_id","message_id"}``.
* ``POST /{version}/{page_id}/feed`` and ``/{page_id}/photos``: records posts, answers an id.

Injection: ``fail_next(n, code, subcode, status)``, ``http_fail_next(n, status)``, ``latency``,
``window_users`` (10 / 2018278), ``unavailable_users`` (551), ``revoke_token()``.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from aiohttp import web

from tests.simulators import Call, SimBase

ERRORS = {
    2: ("An unexpected error has occurred. Please retry your request later.", "OAuthException"),
    4: ("Application request limit reached", "OAuthException"),
    10: ("This message is sent outside of allowed window.", "OAuthException"),
    100: ("Invalid parameter", "OAuthException"),
    190: ("Invalid OAuth access token.", "OAuthException"),
    551: ("This person isn't available right now.", "OAuthException"),
    613: ("Calls to this api have exceeded the rate limit.", "OAuthException"),
}


def error_body(code: int, subcode: int | None = None, message: str | None = None) -> dict[str, Any]:
    msg, typ = ERRORS.get(code, ("Error", "OAuthException"))
    err: dict[str, Any] = {"message": message or msg, "type": typ, "code": code,
                           "fbtrace_id": "A" + secrets.token_hex(8)}
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


class GraphSim(SimBase):
    def __init__(self, page_id: str = "112233445566", page_token: str = "EAAG-page-token",
                 version: str = "v21.0") -> None:
        super().__init__()
        self.pages: dict[str, str] = {page_id: page_token}  # page id -> token
        self.page_id, self.page_token, self.version = page_id, page_token, version
        self.window_users: set[str] = set()
        self.unavailable_users: set[str] = set()
        self.sent: list[dict[str, Any]] = []  # accepted /me/messages bodies (with "page_id")
        self.posts: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.app.router.add_post("/{version}/me/messages", self._messages)
        self.app.router.add_post("/{version}/{node}/{edge}", self._edge)

    def add_page(self, page_id: str, token: str) -> None:
        self.pages[page_id] = token

    def revoke_token(self, page_id: str | None = None) -> None:
        self.pages[page_id or self.page_id] = "revoked-" + secrets.token_hex(4)

    def fail_next(self, n: int = 1, code: int = 613, subcode: int | None = None, status: int = 400) -> None:
        self.inject(status, error_body(code, subcode), n)

    def http_fail_next(self, n: int = 1, status: int = 500) -> None:
        self.inject(status, error_body(2), n)

    def _err(self, call: Call, code: int, subcode: int | None = None, status: int = 400,
             message: str | None = None) -> web.Response:
        return self._answer(call, status, error_body(code, subcode, message))

    def _page_for(self, request: web.Request) -> str | None:
        token = request.query.get("access_token")
        for page_id, t in self.pages.items():
            if token and t == token:
                return page_id
        return None

    async def _messages(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        await self._delay()
        injected = self._take_injected()
        if injected:
            return self._answer(call, injected.status, injected.body)
        page_id = self._page_for(request)
        if page_id is None:
            return self._err(call, 190)
        body = call.json
        if not isinstance(body, dict):
            return self._err(call, 100, message="body must be JSON")
        recipient = body.get("recipient")
        if not isinstance(recipient, dict) or not (recipient.get("id") or recipient.get("comment_id")):
            return self._err(call, 100, message="recipient required")
        if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return self._err(call, 100, message="messaging_type invalid")
        if body.get("messaging_type") == "MESSAGE_TAG" and body.get("tag") != "HUMAN_AGENT":
            return self._err(call, 100, message="tag invalid (only HUMAN_AGENT remains)")
        problem = self._check_message(body.get("message"))
        if problem:
            return self._err(call, 100, message=problem)
        psid = str(recipient.get("id") or recipient.get("comment_id"))
        if psid in self.unavailable_users:
            return self._err(call, 551, 1545041)
        if psid in self.window_users:
            return self._err(call, 10, 2018278)
        mid = f"m_{next(self._ids):08d}{secrets.token_hex(4)}"
        self.sent.append({**body, "page_id": page_id, "message_id": mid})
        return self._answer(call, 200, {"recipient_id": psid, "message_id": mid})

    @staticmethod
    def _check_message(msg: Any) -> str | None:
        if not isinstance(msg, dict):
            return "message required"
        text, att = msg.get("text"), msg.get("attachment")
        if (text is None) == (att is None):
            return "exactly one of text or attachment"
        if text is not None and (not isinstance(text, str) or not text or len(text) >= 2001):
            return "text must be 1..2000 characters"
        qrs = msg.get("quick_replies")
        if qrs is not None:
            if not isinstance(qrs, list) or not 1 <= len(qrs) <= 13:
                return "quick_replies: 1..13"
            for q in qrs:
                if not isinstance(q, dict) or q.get("content_type") != "text" or not q.get("payload"):
                    return "quick reply needs content_type text and payload"
                if not q.get("title") or len(q["title"]) > 20:
                    return "quick reply title 1..20 characters"
        if att is not None:
            if not isinstance(att, dict) or not isinstance(att.get("payload"), dict):
                return "attachment payload required"
            p = att["payload"]
            if att.get("type") == "template":
                if p.get("template_type") != "button":
                    return "unsupported template"
                buttons = p.get("buttons")
                if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"]) > 640:
                    return "button template text 1..640"
                if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                    return "button template: 1..3 buttons"
                for b in buttons:
                    if not isinstance(b, dict) or not b.get("title") or len(b["title"]) > 20:
                        return "button title 1..20"
                    if b.get("type") == "web_url" and not b.get("url"):
                        return "web_url needs url"
                    if b.get("type") in ("postback", "phone_number") and not b.get("payload"):
                        return "button needs payload"
                    if b.get("type") not in ("web_url", "postback", "phone_number"):
                        return "unknown button type"
            elif att.get("type") in ("image", "audio", "video", "file"):
                if not p.get("url") and not p.get("attachment_id"):
                    return "attachment url required"
            else:
                return "unknown attachment type"
        return None

    async def _edge(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        await self._delay()
        injected = self._take_injected()
        if injected:
            return self._answer(call, injected.status, injected.body)
        if self._page_for(request) is None:
            return self._err(call, 190)
        node, edge = request.match_info["node"], request.match_info["edge"]
        data = call.json if isinstance(call.json, dict) else dict(call.form or {})
        new_id = f"{node}_{next(self._ids)}"
        self.posts.append({"node": node, "edge": edge, "data": data, "id": new_id})
        return self._answer(call, 200, {"id": new_id})
