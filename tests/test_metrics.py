"""GET /metrics: failures are visible to an operator's monitoring, not only in the console."""

from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot.pipeline import INBOUND, OUTBOX
from storage.db import session_scope
from storage.models import FaqQuery, Message, utcnow
from tests.harness import running_hub

TOKEN = "metrics-secret-token-123"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_show_failures_queues_and_channels(db_url, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_hub(db_url, worker=False, metrics_token=TOKEN) as env:
        unit = await env.add_unit("XA1", "UBND xã Một")
        zalo = await env.add_channel("zalo", "XA1", "zalo", "oa-1", {"oa_secret_key": "k" * 10})
        web = await env.add_channel("web", "XA1", "webchat", "xa1", {})
        async with session_scope(env.hub.sessions) as s:
            z = await s.get(type(zalo), zalo.id)
            z.needs_reauth = True
            old = utcnow() - timedelta(minutes=10)
            for i, (status, at) in enumerate([("pending", old), ("pending", utcnow()), ("failed", old),
                                               ("window_expired", old), ("sent", old)]):
                s.add(Message(direction="out", channel_id=zalo.id, unit_id=unit.id, idempotency_key=f"k{i}",
                              text="Nội dung riêng của công dân", status=status, created_at=at))
            for text, answered in (("hỏi 1", None), ("hỏi 2", utcnow())):
                s.add(FaqQuery(unit_id=unit.id, channel_id=web.id, text=text, outcome="handover",
                               created_at=old, answered_at=answered))
        await env.hub.queue.enqueue(INBOUND, "1:u", {"event": {}})
        await env.hub.queue.enqueue(OUTBOX, "1:u", {"message_id": 1})
        job = await env.hub.queue.claim(OUTBOX, "test", timeout=1)
        await env.hub.queue.dead(job, "gave up")

        assert (await env.client.get("/metrics")).status == 401
        wrong = await env.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        resp = await env.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()

    got = _samples(text)
    z = (("channel", str(zalo.id)), ("platform", "zalo"), ("unit", "XA1"))
    w = (("channel", str(web.id)), ("platform", "webchat"), ("unit", "XA1"))
    assert got[("coso_queue_jobs", (("queue", INBOUND),))] == 1
    assert got[("coso_queue_jobs", (("queue", OUTBOX),))] == 0
    assert got[("coso_queue_dead_letters", (("queue", OUTBOX),))] == 1
    assert got[("coso_queue_dead_letters", (("queue", INBOUND),))] == 0
    assert got[("coso_channel_up", z)] == 0 and got[("coso_channel_needs_reauth", z)] == 1
    assert got[("coso_channel_up", w)] == 1 and got[("coso_channel_needs_reauth", w)] == 0

    def out(labels, status):
        return got[("coso_outbound_messages", tuple(sorted((*labels, ("status", status)))))]

    assert (out(z, "pending"), out(z, "failed"), out(z, "window_expired")) == (2, 1, 1)
    assert (out(w, "pending"), out(w, "failed"), out(w, "window_expired")) == (0, 0, 0)
    assert 590 <= got[("coso_outbound_oldest_pending_seconds", z)] <= 900
    assert ("coso_outbound_oldest_pending_seconds", w) not in got
    assert got[("coso_handovers_waiting", (("unit", "XA1"),))] == 1
    assert 590 <= got[("coso_handover_oldest_waiting_seconds", (("unit", "XA1"),))] <= 900
    assert "công dân" not in text and "k" * 10 not in text  # counts only: no content, no secrets
    assert TOKEN not in caplog.text


async def test_metrics_are_off_without_a_token(sqlite_url):
    async with running_hub(sqlite_url, worker=False) as env:
        resp = await env.client.get("/metrics")
        assert resp.status == 404 and "COSO_METRICS_TOKEN" in await resp.text()
