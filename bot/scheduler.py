"""Periodic work (APScheduler): Zalo tokens refreshed ahead of expiry, personal data purged after retention.

Only one scheduler is active at a time: each instance takes a leader lock
(Redis in the scaled form) and the others stand by until it is released.
"""

from __future__ import annotations

import asyncio
import logging
import time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import select

from bot.hub import Hub
from connectors.base import Platform
from storage.db import session_scope
from storage.models import Channel
from storage.privacy import purge_old_messages

log = logging.getLogger(__name__)

LEADER_LOCK = "scheduler-leader"


async def refresh_zalo_tokens(hub: Hub) -> int:
    """Refresh every Zalo channel whose access token expires within ``zalo_refresh_ahead`` seconds."""
    connector = hub.connectors.get(Platform.ZALO)
    if connector is None:
        return 0
    async with hub.sessions() as session:
        channels = (await session.exec(select(Channel).where(Channel.platform == Platform.ZALO,
                                                             Channel.active == True,  # noqa: E712
                                                             Channel.needs_reauth == False))).all()  # noqa: E712
    refreshed = 0
    horizon = time.time() + hub.settings.zalo_refresh_ahead
    for channel in channels:
        expires_at = float(channel.config.get("access_expires_at") or 0)
        if expires_at and expires_at > horizon:
            continue
        try:
            await connector.ensure_fresh(channel)
            refreshed += 1
        except Exception as exc:  # noqa: BLE001 - one channel's failure must not stop the others
            log.error("Zalo token refresh for OA %s failed: %s", channel.external_id, type(exc).__name__)
    return refreshed


async def purge_personal_data(hub: Hub) -> int:
    """Blank citizens' message content older than ``retention_days``."""
    if hub.settings.retention_days <= 0:
        return 0
    async with session_scope(hub.sessions) as session:
        count = await purge_old_messages(session, hub.settings.retention_days)
    if count:
        log.info("retention: blanked %d messages older than %d days", count, hub.settings.retention_days)
    return count


async def run_scheduler(hub: Hub, stop: asyncio.Event) -> None:
    scheduler = AsyncIOScheduler(timezone="Asia/Ho_Chi_Minh")
    scheduler.add_job(purge_personal_data, "cron", hour=2, minute=30, args=[hub], id="retention",
                      max_instances=1, coalesce=True)
    scheduler.add_job(refresh_zalo_tokens, "interval", minutes=10, args=[hub], id="zalo-tokens",
                      next_run_time=None, max_instances=1, coalesce=True)
    while not stop.is_set():
        try:
            async with hub.locks.lock(LEADER_LOCK, timeout=30, wait=5):
                log.info("scheduler is active")
                scheduler.start()
                await refresh_zalo_tokens(hub)
                await stop.wait()
                scheduler.shutdown(wait=False)
                return
        except TimeoutError:
            await asyncio.sleep(5)  # another scheduler is active: stand by
