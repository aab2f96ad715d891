"""The aiohttp application: webhooks, web chat, health.

A webhook is answered 200 only after its events are durably queued; everything
else (deduplication, storing, answering) happens in the worker.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import text

from bot.batcher import EnqueueBatcher
from bot.hub import Hub
from bot.pipeline import INBOUND, inbound_job
from connectors.base import Platform, WebhookError
from storage import repo
from storage.models import Channel

log = logging.getLogger(__name__)

HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)
INBOX: web.AppKey[EnqueueBatcher] = web.AppKey("inbox", EnqueueBatcher)
STATIC_DIR = Path(__file__).with_name("static")


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


async def _read_json(request: web.Request) -> tuple[bytes, Any]:
    try:
        raw = await request.read()  # over client_max_size: aiohttp raises 413
    except web.HTTPRequestEntityTooLarge:
        raise WebhookError(413, "Nội dung quá lớn / request body too large") from None
    try:
        return raw, json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise WebhookError(400, "JSON không hợp lệ / malformed JSON") from None


async def _accept(request: web.Request, platform: str, channel: Channel, raw: bytes, data: Any) -> web.Response:
    hub = request.app[HUB]
    connector = hub.connectors[platform]
    connector.verify(channel, request.headers, raw, data)
    if not channel.active:
        log.warning("webhook for inactive %s channel %s acknowledged and dropped", platform, channel.id)
        return web.json_response({"ok": True})
    events = connector.parse(channel, data)
    if events:
        await request.app[INBOX].enqueue_many([inbound_job(e) for e in events])
    return web.json_response({"ok": True, "events": len(events)})


def _guard(fn):  # type: ignore[no-untyped-def]
    """WebhookError → its 4xx; malformed content → 400; queue/database down → 503 (retried). Never a 500."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except WebhookError as exc:
            if exc.status == 404:
                log.warning("webhook %s %s: %s", request.method, request.path, exc.reason)
            return _error(exc.status, exc.reason)
        except web.HTTPException:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("webhook %s rejected: %s: %s", request.path, type(exc).__name__, exc)
            return _error(400, "Dữ liệu không hợp lệ / invalid payload")
        except Exception:
            # The queue or database is unavailable: nothing was acknowledged, the platform retries.
            log.exception("webhook %s could not be queued", request.path)
            return _error(503, "Tạm thời chưa nhận được, vui lòng gửi lại / temporarily unavailable")

    return wrapper


@_guard
async def zalo_webhook(request: web.Request) -> web.Response:
    raw, data = await _read_json(request)
    if not isinstance(data, dict):
        raise WebhookError(400, "invalid Zalo event")
    oa_id = request.app[HUB].connectors[Platform.ZALO].route_id(data)
    if not oa_id:
        raise WebhookError(400, "thiếu OA id / missing OA id")
    channel = await request.app[HUB].cache.channel_by_external(Platform.ZALO, str(oa_id))
    if channel is None:
        raise WebhookError(404, f"OA không được đăng ký / unknown OA {oa_id}")
    return await _accept(request, Platform.ZALO, channel, raw, data)


@_guard
async def facebook_webhook(request: web.Request) -> web.Response:
    """One request may batch entries of several pages of one app: verify once, route each page's part."""
    raw, data = await _read_json(request)
    if not isinstance(data, dict):
        raise WebhookError(400, "invalid Facebook event")
    hub = request.app[HUB]
    connector = hub.connectors[Platform.FACEBOOK]
    parts = connector.split_by_page(data)
    if not parts:
        raise WebhookError(400, "thiếu page id / missing page id")
    channels = {pid: await request.app[HUB].cache.channel_by_external(Platform.FACEBOOK, pid) for pid in parts}
    known = {pid: c for pid, c in channels.items() if c is not None}
    if not known:
        raise WebhookError(404, f"Trang không được đăng ký / unknown page {', '.join(parts)}")
    connector.verify(next(iter(known.values())), request.headers, raw, data)
    for pid in parts.keys() - known.keys():
        log.warning("facebook webhook: entries of unknown page %s skipped", pid)
    events = [e for pid, channel in known.items() if channel.active for e in connector.parse(channel, parts[pid])]
    if events:
        await request.app[INBOX].enqueue_many([inbound_job(e) for e in events])
    return web.json_response({"ok": True, "events": len(events)})


async def facebook_verify(request: web.Request) -> web.Response:
    """Meta's subscription handshake: echo the challenge when the verify token is one of ours."""
    q = request.query
    token, challenge = q.get("hub.verify_token", ""), q.get("hub.challenge", "")
    if q.get("hub.mode") != "subscribe" or not token:
        return _error(403, "verification failed")
    hub = request.app[HUB]
    async with hub.sessions() as session:
        channels = await repo.channels_of(session, Platform.FACEBOOK)
    if any(hmac.compare_digest(str(c.config.get("verify_token", "")), token) for c in channels):
        return web.Response(text=challenge)
    log.warning("facebook verification with an unknown verify token")
    return _error(403, "verification failed")


@_guard
async def telegram_webhook(request: web.Request) -> web.Response:
    channel_id = repo.parse_id(request.match_info["channel_id"])
    if channel_id is None:
        raise WebhookError(404, "unknown bot")
    channel = await request.app[HUB].cache.channel(channel_id)
    if channel is None or channel.platform != Platform.TELEGRAM:
        raise WebhookError(404, f"bot không được đăng ký / unknown bot channel {channel_id}")
    raw, data = await _read_json(request)
    return await _accept(request, Platform.TELEGRAM, channel, raw, data)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database (and Redis, if used) answer."""
    hub = request.app[HUB]
    checks: dict[str, str] = {}
    try:
        async with hub.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, never raises
        checks["database"] = f"error: {type(exc).__name__}"
    if hub.redis is not None:
        try:
            await asyncio.wait_for(hub.redis.ping(), 3)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return web.json_response({"ok": ok, **checks}, status=200 if ok else 503)


def create_app(hub: Hub) -> web.Application:
    from bot import console, metrics, webchat

    app = web.Application(client_max_size=hub.settings.max_body_bytes)
    app[HUB] = hub
    app[INBOX] = EnqueueBatcher(hub.queue, INBOUND)
    app.router.add_post("/webhooks/zalo", zalo_webhook)
    app.router.add_get("/webhooks/facebook", facebook_verify)
    app.router.add_post("/webhooks/facebook", facebook_webhook)
    app.router.add_post("/webhooks/telegram/{channel_id}", telegram_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    webchat.setup(app)
    console.setup(app)
    metrics.setup(app)
    return app

