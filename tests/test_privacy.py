"""Citizens' personal data: export, delete on request, purge after retention (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from storage.db import session_scope
from storage.models import ChannelIdentity, Citizen, FaqQuery, Message, utcnow
from storage.privacy import DELETED_NOTE, purge_old_messages
from tests.harness import running_hub, wait_until

ROOT = Path(__file__).resolve().parent.parent


async def _coso(url: str, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", *args, cwd=ROOT,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env={**os.environ, "COSO_DATABASE_URL": url})
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_export_delete_and_purge(db_url):
    async with running_hub(db_url) as h:
        await h.add_unit("XA1", "UBND xã Một")
        channel = await h.add_channel("web", "XA1", "webchat", "xa1", {})
        session_id = "p" + uuid.uuid4().hex
        for text in ("menu", "số điện thoại của tôi là 0912345678"):
            resp = await h.client.post("/api/webchat/xa1/messages", json={"session": session_id, "text": text})
            assert resp.status == 202

        async def handled() -> bool:
            async with h.hub.sessions() as s:
                rows = (await s.exec(select(Message).where(Message.direction == "out"))).all()
                return len(rows) == 2 and all(r.status == "sent" for r in rows)
        await wait_until(handled, what="both messages handled")
        await h.stop_worker()

        code, out, err = await _coso(db_url, "citizen", "export", "--channel", str(channel.id), "--user", session_id)
        assert code == 0, err
        data = json.loads(out)
        assert data["identities"][0]["platform_user_id"] == session_id
        assert any("0912345678" in (m["text"] or "") for m in data["messages"])

        async with session_scope(h.hub.sessions) as s:  # a staff answer still waiting to be sent
            sent = (await s.exec(select(Message).where(Message.direction == "out"))).first()
            s.add(Message(direction="out", channel_id=channel.id, unit_id=sent.unit_id, citizen_id=sent.citizen_id,
                          identity_id=sent.identity_id, idempotency_key="handover:1", text="Trả lời của cán bộ",
                          body={"text": "Trả lời của cán bộ"}, status="pending"))
        code, _, err = await _coso(db_url, "citizen", "delete", "--channel", str(channel.id), "--user", session_id)
        assert code == 2 and "--yes" in err  # refuses without confirmation
        code, out, err = await _coso(db_url, "citizen", "delete", "--channel", str(channel.id), "--user",
                                     session_id, "--yes")
        assert code == 0, err
        async with h.hub.sessions() as s:
            assert (await s.exec(select(Citizen))).all() == []
            assert (await s.exec(select(ChannelIdentity))).all() == []
            messages = (await s.exec(select(Message))).all()
        assert len(messages) == 5 and all(m.text is None and m.citizen_id is None for m in messages)
        [waiting] = [m for m in messages if m.idempotency_key == "handover:1"]
        assert (waiting.status, waiting.error) == ("failed", DELETED_NOTE)  # never sent after the deletion
        code, _, err = await _coso(db_url, "citizen", "export", "--channel", str(channel.id), "--user", session_id)
        assert code == 2 and "không tìm thấy" in err.lower()


async def test_purge_blanks_only_old_messages(db_url):
    async with running_hub(db_url, worker=False) as h:
        unit = await h.add_unit("XA1", "UBND xã Một")
        channel = await h.add_channel("web", "XA1", "webchat", "xa1", {})
        async with session_scope(h.hub.sessions) as s:
            s.add(Message(direction="in", channel_id=channel.id, unit_id=unit.id, platform_id="old", text="cũ",
                          status="handled", created_at=utcnow() - timedelta(days=400)))
            s.add(Message(direction="in", channel_id=channel.id, unit_id=unit.id, platform_id="new", text="mới",
                          status="handled"))
            s.add(FaqQuery(unit_id=unit.id, text="hỏi cũ", outcome="unanswered",
                           created_at=utcnow() - timedelta(days=400)))
        async with session_scope(h.hub.sessions) as s:
            assert await purge_old_messages(s, 365) == 1
        async with h.hub.sessions() as s:
            texts = {m.platform_id: m.text for m in (await s.exec(select(Message))).all()}
            assert (await s.exec(select(FaqQuery))).all() == []
        assert texts == {"old": None, "new": "mới"}
