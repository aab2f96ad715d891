"""``GET /metrics``: what an operator alerts on, in Prometheus' text format.

DESIGN.md's fifth guarantee: a send that failed for good, an expired token, a stuck queue show in
the console *and in metrics*.  The figures are read at scrape time from the database and the queue
— the sources of truth — so every process (web replicas, the embedded `coso serve`) reports the
same numbers and a restart loses none of them.  Off (404) unless ``COSO_METRICS_TOKEN`` is set; the
scraper sends it as ``Authorization: Bearer …``.  Counts only: no message text, no citizen ids.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select

from bot.hub import Hub
from bot.logsetup import secrets
from bot.pipeline import INBOUND, OUTBOX
from bot.web import HUB
from storage.models import Channel, FaqQuery, Message, Unit, utcnow

#: outbound statuses worth a gauge (``sent`` grows forever and says nothing is wrong)
WATCHED_STATUSES = ("pending", "failed", "window_expired")


class _Snapshot(Collector):
    """Metric families computed beforehand (the database is async, ``collect`` is not)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def _seconds_since(at: datetime, now: datetime) -> float:
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - at).total_seconds())


async def collect(hub: Hub) -> list[Metric]:
    """Every metric family, read now."""
    jobs = GaugeMetricFamily("coso_queue_jobs", "Jobs not yet done (ready, running or waiting for a retry)",
                             labels=["queue"])
    dead = GaugeMetricFamily("coso_queue_dead_letters", "Jobs given up on after repeated failures",
                             labels=["queue"])
    for queue in (INBOUND, OUTBOX):
        jobs.add_metric([queue], await hub.queue.pending_count(queue))
        dead.add_metric([queue], await hub.queue.dead_count(queue))

    channel_labels = ["unit", "platform", "channel"]
    up = GaugeMetricFamily("coso_channel_up", "1 when the channel is active and its credentials work",
                           labels=channel_labels)
    reauth = GaugeMetricFamily("coso_channel_needs_reauth",
                               "1 when the platform refused the channel's token (an admin must re-authorise)",
                               labels=channel_labels)
    outbound = GaugeMetricFamily("coso_outbound_messages", "Replies and messages to citizens by status",
                                 labels=[*channel_labels, "status"])
    oldest = GaugeMetricFamily("coso_outbound_oldest_pending_seconds",
                               "Age of the oldest message still waiting to be sent", labels=channel_labels)
    waiting = GaugeMetricFamily("coso_handovers_waiting", "Questions handed over to staff and not answered yet",
                                labels=["unit"])
    waiting_age = GaugeMetricFamily("coso_handover_oldest_waiting_seconds",
                                    "Age of the oldest question handed over to staff and not answered yet",
                                    labels=["unit"])
    now = utcnow()
    async with hub.sessions() as session:
        codes = {u.id: u.code for u in (await session.exec(select(Unit))).all()}
        channels = {c.id: c for c in (await session.exec(select(Channel))).all()}

        def labels(channel_id: int) -> list[str]:
            c = channels.get(channel_id)
            return [codes.get(c.unit_id, "?"), c.platform, str(channel_id)] if c else ["?", "?", str(channel_id)]

        for c in channels.values():
            up.add_metric(labels(c.id), float(c.active and not c.needs_reauth))  # type: ignore[arg-type]
            reauth.add_metric(labels(c.id), float(c.needs_reauth))  # type: ignore[arg-type]
        # zeros too, so that an alert's series exists before the first failure
        by_status: dict[tuple[int, str], tuple[int, datetime | None]] = {
            (channel_id, status): (0, None) for channel_id in channels for status in WATCHED_STATUSES}
        for channel_id, status, n, first in (await session.exec(
                select(Message.channel_id, Message.status, func.count(), func.min(Message.created_at))
                .where(Message.direction == "out", col(Message.status).in_(WATCHED_STATUSES))
                .group_by(Message.channel_id, Message.status))).all():
            by_status[(channel_id, status)] = (n, first)
        handovers = dict.fromkeys(codes, (0, None))
        for unit_id, n, first in (await session.exec(
                select(FaqQuery.unit_id, func.count(), func.min(FaqQuery.created_at))
                .where(FaqQuery.outcome == "handover", col(FaqQuery.answered_at).is_(None))
                .group_by(FaqQuery.unit_id))).all():
            handovers[unit_id] = (n, first)
    for (channel_id, status), (n, first) in by_status.items():
        outbound.add_metric([*labels(channel_id), status], n)
        if status == "pending" and first is not None:
            oldest.add_metric(labels(channel_id), _seconds_since(first, now))
    for unit_id, (n, first) in handovers.items():
        waiting.add_metric([codes.get(unit_id, "?")], n)
        if first is not None:
            waiting_age.add_metric([codes.get(unit_id, "?")], _seconds_since(first, now))
    return [jobs, dead, up, reauth, outbound, oldest, waiting, waiting_age]


def render(families: list[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))
    return generate_latest(registry)


def authorised(request: web.Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def metrics(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    token = hub.settings.metrics_token
    if not token:
        raise web.HTTPNotFound(text="Chưa bật /metrics (đặt COSO_METRICS_TOKEN) / metrics are off")
    if not authorised(request, token):
        return web.Response(status=401, text="Thiếu hoặc sai mã truy cập / bad or missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    body = render(await collect(hub))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    secrets.add(app[HUB].settings.metrics_token)  # never in a log line
    app.router.add_get("/metrics", metrics)
