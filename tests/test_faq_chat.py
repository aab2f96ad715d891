"""FAQ in the conversation (web chat on the seeded demo commune) and the `coso faq` commands."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from bot.seed import DEMO_COMMUNE, seed_demo
from storage.db import session_scope
from storage.models import FaqEntry, FaqQuery, Unit
from tests.harness import running_hub

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def demo(tmp_path):
    async with running_hub(f"sqlite:///{tmp_path / 'hub.db'}") as h:
        async with session_scope(h.hub.sessions) as s:
            assert await seed_demo(s)
        yield h


class Chat:
    def __init__(self, client) -> None:
        self.client, self.session, self.after = client, "t" + uuid.uuid4().hex, 0

    async def say(self, text: str | None = None, payload: str | None = None) -> list[dict]:
        body = {"session": self.session, "client_id": uuid.uuid4().hex}
        body.update({"text": text} if text else {"payload": payload})
        assert (await self.client.post("/api/webchat/demo/messages", json=body)).status == 202
        resp = await self.client.get("/api/webchat/demo/messages",
                                     params={"session": self.session, "after": self.after, "wait": 10})
        messages = (await resp.json())["messages"]
        assert messages, f"no reply to {text or payload!r}"
        self.after = messages[-1]["id"]
        return messages


async def test_question_without_diacritics_is_answered_with_title(demo):
    chat = Chat(demo.client)
    [reply] = await chat.say("chao xa a, cho em hoi lam giay khai sinh cho con can nhung gi")
    assert reply["text"].startswith("📌 ")
    assert "khai sinh" in reply["text"].split("\n")[0].lower()
    titles = [b["title"] for b in reply["buttons"]]
    assert titles[-2:] == ["Hỏi câu khác", "Về menu chính"] and len(titles) <= 4  # + up to 2 related


async def test_chitchat_gets_a_polite_answer_not_an_entry(demo):
    chat = Chat(demo.client)
    for text in ("ok", "cảm ơn ạ", "dc r"):
        [reply] = await chat.say(text)
        assert not reply["text"].startswith("📌"), reply["text"]


async def test_out_of_scope_then_handover_to_staff(demo, tmp_path):
    chat = Chat(demo.client)
    [reply] = await chat.say("giá vàng hôm nay bao nhiêu vậy")
    assert "chưa có thông tin" in reply["text"]
    handover = [b for b in reply["buttons"] if b["title"] == "Gửi câu hỏi cho cán bộ"]
    assert handover
    [done] = await chat.say(payload=handover[0]["payload"])
    assert "đã được chuyển tới cán bộ" in done["text"]
    async with demo.hub.sessions() as s:
        rows = (await s.exec(select(FaqQuery).order_by(FaqQuery.id))).all()
    assert [r.outcome for r in rows] == ["unanswered", "handover"]
    assert rows[1].text == "giá vàng hôm nay bao nhiêu vậy"
    out = await _coso(demo, "faq", "handovers", "--unit", DEMO_COMMUNE)
    assert "giá vàng hôm nay bao nhiêu vậy" in out and "chưa trả lời" in out
    gaps = await _coso(demo, "faq", "gaps", "--unit", DEMO_COMMUNE)
    assert "giá vàng" in gaps and "chưa trả lời được" in gaps
    assert "Chưa kiểm tra câu trả lời nào của bot." in gaps


async def test_suggestion_buttons_answer_the_chosen_entry(demo):
    chat = Chat(demo.client)
    [reply] = await chat.say("mình muốn hỏi về giấy khai sinh")  # vague: several birth entries
    assert reply["text"].startswith("Có phải bạn muốn hỏi")
    choices = [b for b in reply["buttons"] if b["payload"].startswith("#faq:a:")]
    assert 2 <= len(choices) <= 3
    [answer] = await chat.say(payload=choices[1]["payload"])
    assert answer["text"].startswith("📌 ") and choices[1]["title"].rstrip("…") in answer["text"]


async def test_answer_offers_close_siblings(demo):
    chat = Chat(demo.client)
    [reply] = await chat.say("sang ten so do")  # answered with the sale; the inheritance next to it
    assert reply["text"].startswith("📌 ")
    related = [b for b in reply["buttons"] if b["payload"].startswith("#faq:a:")]
    assert 1 <= len(related) <= 2 and "Câu hỏi liên quan" in reply["text"]
    [answer] = await chat.say(payload=related[0]["payload"])
    assert answer["text"].startswith("📌 ") and answer["text"] != reply["text"]
    [specific] = await chat.say("mất sổ đỏ thì làm lại thế nào")  # a clear question: no siblings offered
    assert specific["text"].startswith("📌 ") and not any(b["payload"].startswith("#faq:a:") for b in specific["buttons"])


async def test_commune_entry_wins_over_province_entry(demo):
    async with session_scope(demo.hub.sessions) as s:
        commune = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        hours = (await s.exec(select(FaqEntry).where(FaqEntry.unit_id == commune.id,
                                                     FaqEntry.ext_id == "xa-giolamviec"))).one()
        hours.answer = "Xã Demo làm việc từ 7 giờ 30 sáng, thứ Hai đến thứ Sáu."
        s.add(hours)
        s.add(FaqEntry(unit_id=commune.parent_id, ext_id="tinh-gio", question=hours.question,
                       variants=list(hours.variants), answer="Giờ làm việc chung của tỉnh."))
    chat = Chat(demo.client)
    [reply] = await chat.say("ubnd xa lam viec may gio")
    assert "7 giờ 30" in reply["text"]


async def test_import_refuses_broken_file_and_keeps_entries(demo, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,question,variants,answer\nq1,Câu hỏi một,,Trả lời một\nq2,,,\n", encoding="utf-8")
    code, out, err = await _coso_raw(demo, "faq", "import", str(bad), "--unit", DEMO_COMMUNE)
    assert code == 2 and "Dòng 3" in err
    async with demo.hub.sessions() as s:
        count = len((await s.exec(select(FaqEntry))).all())
    assert count >= 60
    good = tmp_path / "good.csv"
    good.write_bytes("\ufeffid,question,variants,answer\nq1,Hỏi về điện,dien|cup dien,Gọi điện lực.\n"
                     .encode())
    code, out, err = await _coso_raw(demo, "faq", "import", str(good), "--unit", DEMO_COMMUNE)
    assert code == 0 and "1 mới" in out
    code, out, err = await _coso_raw(demo, "faq", "import", str(good), "--unit", DEMO_COMMUNE, "--replace")
    assert code == 0 and "1 cập nhật" in out and "ngừng sử dụng" in out
    async with demo.hub.sessions() as s:
        active = [e.ext_id for e in (await s.exec(select(FaqEntry))).all() if e.active]
    assert active == ["q1"]
    asked = await _coso(demo, "faq", "ask", "cup dien", "--unit", DEMO_COMMUNE)
    assert "[" in asked and "Hỏi về điện" in asked
    exported = await _coso(demo, "faq", "export", "--unit", DEMO_COMMUNE)
    assert exported.lstrip("\ufeff").startswith("id,question,variants,answer") and "Hỏi về điện" in exported
    assert "active,updated_at" in exported.splitlines()[0]  # retired entries are exported as such
    whole = await _coso(demo, "faq", "export", "--unit", DEMO_COMMUNE, "--with-inherited")
    assert "Hỏi về điện" in whole
    labelled = await _coso(demo, "faq", "labelled", "--unit", DEMO_COMMUNE)
    assert labelled.lstrip("\ufeff").startswith("query,expected_id")


async def test_eval_command_prints_json(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "faq", "eval", "--kb", str(ROOT / "handlers/faq/data/starter_kb.csv"),
        "--cases", str(ROOT / "tests/data/faq_eval_cases.csv"), "--json", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    result = json.loads(out)
    assert {"top1", "false_answer_rate", "wrong_answer_rate", "p50_ms", "p99_ms", "cases"} <= set(result)
    assert not (tmp_path / "coso.db").exists()  # eval is in-memory: no database created


async def _coso_raw(h, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=ROOT, env={**os.environ, "COSO_DATABASE_URL": h.settings.database_url})
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def _coso(h, *args: str) -> str:
    code, out, err = await _coso_raw(h, *args)
    assert code == 0, err
    return out


async def test_weak_match_says_there_is_no_sure_answer_then_offers_candidates(demo):
    chat = Chat(demo.client)
    [reply] = await chat.say("mẹ đơn thân làm khai sinh cho con được không")
    assert reply["text"].startswith("Xin lỗi, UBND xã Demo chưa có câu trả lời chắc chắn"), reply["text"]
    titles = [b["title"] for b in reply["buttons"]]
    assert titles[-2:] == ["Gửi câu hỏi cho cán bộ", "Về menu chính"] and len(titles) <= 5
    assert any("khai sinh" in t.lower() for t in titles[:-2])
    async with demo.hub.sessions() as s:
        assert [q.outcome for q in (await s.exec(select(FaqQuery))).all()] == ["suggested"]
