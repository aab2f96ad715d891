"""The console's FAQ pages over real HTTP and a real database: editing, import, review, permissions."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import aiohttp
import pytest
import sqlalchemy
from sqlmodel import select

from bot.seed import DEMO_COMMUNE, DEMO_PROVINCE, hash_password, seed_demo
from handlers.faq_store import review_count, review_queue
from storage.db import session_scope
from storage.models import AuditLog, FaqEntry, FaqQuery, StaffUser, Unit
from tests.harness import running_hub
from tests.test_faq_chat import Chat


@pytest.fixture
async def hub(db_url):
    async with running_hub(db_url) as h:
        async with session_scope(h.hub.sessions) as s:
            assert await seed_demo(s)
            province = (await s.exec(select(Unit).where(Unit.code == DEMO_PROVINCE))).one()
            commune = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
            other = Unit(code="XA-KHAC", name="UBND xã Khác", kind="commune", parent_id=province.id)
            s.add(other)
            await s.flush()
            s.add(StaffUser(username="canbo", password_hash=hash_password("mk-canbo-1"), role="staff",
                            unit_id=commune.id))
            s.add(StaffUser(username="canbo-khac", password_hash=hash_password("mk-khac-1"), role="staff",
                            unit_id=other.id))
            s.add(StaffUser(username="tinh", password_hash=hash_password("mk-tinh-1"), role="province_officer",
                            unit_id=province.id))
            s.add(FaqEntry(unit_id=other.id, ext_id="dien", question="Mất điện báo ai?", answer="Gọi điện lực."))
            s.add(FaqEntry(unit_id=province.id, ext_id="tinh_hotline", question="Đường dây nóng của tỉnh là số nào?",
                           answer="Gọi 1022."))
        yield h


async def login(h, username: str, password: str) -> str:
    """Log the test client in; returns the CSRF token of the session."""
    h.client.session.cookie_jar.clear()
    resp = await h.client.post("/login", data={"username": username, "password": password})
    assert resp.status == 200 and resp.url.path == "/console", await resp.text()
    return re.search(r'name="csrf" value="([0-9a-f]+)"', await resp.text()).group(1)  # type: ignore[union-attr]


async def entry(h, unit_code: str, ext_id: str) -> FaqEntry:
    async with h.hub.sessions() as s:
        unit = (await s.exec(select(Unit).where(Unit.code == unit_code))).one()
        return (await s.exec(select(FaqEntry).where(FaqEntry.unit_id == unit.id, FaqEntry.ext_id == ext_id))).one()


async def test_pages_need_login(hub):
    for path in ("/console/faq", "/console/faq/review", "/console/faq/export"):
        resp = await hub.client.get(path, allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"] == "/login"
    resp = await hub.client.post("/console/faq/save", data={"question": "x", "answer": "y"}, allow_redirects=False)
    assert resp.status == 403  # no session, so no valid form token


async def test_staff_adds_an_entry_and_the_bot_answers_with_it(hub):
    csrf = await login(hub, "canbo", "mk-canbo-1")
    page = await (await hub.client.get("/console/faq")).text()
    assert "Hỏi đáp — UBND xã Demo" in page and "Đường dây nóng của tỉnh" in page  # inherited, read only
    assert "Mất điện báo ai" not in page  # another commune's entry

    form = {"question": "Lịch tiêm phòng dại cho chó mèo năm nay thế nào?", "answer": "",
            "variants": "tiêm dại cho chó\nchích ngừa dại cho mèo", "active": "1", "unit": DEMO_COMMUNE}
    resp = await hub.client.post("/console/faq/save", data=form)
    assert resp.status == 403  # no form token
    resp = await hub.client.post("/console/faq/save", data={**form, "csrf": csrf})
    assert resp.status == 400 and "Cần nhập câu trả lời." in await resp.text()
    resp = await hub.client.post("/console/faq/save", data={**form, "csrf": csrf, "attachment": "javascript:alert(1)",
                                                            "answer": "Tiêm tại nhà văn hoá thôn ngày 15/3."})
    assert resp.status == 400 and "http://" in await resp.text()
    resp = await hub.client.post("/console/faq/save", data={**form, "csrf": csrf,
                                                            "answer": "Tiêm tại nhà văn hoá thôn ngày 15/3."})
    assert resp.status == 200 and "Đã lưu mục hỏi đáp." in await resp.text()
    saved = await entry(hub, DEMO_COMMUNE, "lich_tiem_phong_dai_cho_cho_meo_nam_nay_the_nao")
    assert saved.variants == ["tiêm dại cho chó", "chích ngừa dại cho mèo"] and saved.active
    edit_page = await (await hub.client.get(f"/console/faq/{saved.id}")).text()
    assert "Ngừng dùng mục này" in edit_page and 'name="label"' not in edit_page  # editing labels nothing

    chat = Chat(hub.client)
    reply = (await chat.say("cho e hoi khi nao tiem phong dai cho cho nha minh"))[-1]
    assert reply["text"].startswith("📌 Lịch tiêm phòng dại cho chó mèo"), reply["text"]

    tried = await (await hub.client.get("/console/faq/try", params={"q": "tiem dai cho meo", "unit": DEMO_COMMUNE})).text()
    assert "Lịch tiêm phòng dại" in tried and 'id="decision"' in tried

    resp = await hub.client.post(f"/console/faq/{saved.id}/active", data={"csrf": csrf, "active": "0"})
    assert resp.status == 200 and not (await entry(hub, DEMO_COMMUNE, saved.ext_id)).active
    async with hub.hub.sessions() as s:
        actions = [a.action for a in (await s.exec(select(AuditLog).where(AuditLog.actor == "canbo"))).all()]
    assert actions == ["login", "faq.create", "faq.deactivate"]  # log-ins are audited too


async def test_units_decide_what_staff_see_and_change(hub):
    other = await entry(hub, "XA-KHAC", "dien")
    province_entry = await entry(hub, DEMO_PROVINCE, "tinh_hotline")
    csrf = await login(hub, "canbo", "mk-canbo-1")
    assert (await hub.client.get(f"/console/faq/{other.id}")).status == 403
    assert (await hub.client.get(f"/console/faq/{province_entry.id}")).status == 403
    assert (await hub.client.get("/console/faq", params={"unit": "XA-KHAC"})).status == 403
    assert (await hub.client.get("/console/faq", params={"unit": "KHONG-CO"})).status == 404
    assert (await hub.client.get("/console/faq/nope")).status == 404
    resp = await hub.client.post("/console/faq/save", data={"csrf": csrf, "id": str(other.id), "question": "Bị sửa",
                                                            "answer": "Bị sửa", "active": "1"})
    assert resp.status == 403
    resp = await hub.client.post("/console/faq/save", data={"csrf": csrf, "unit": "XA-KHAC", "question": "Mới",
                                                            "answer": "Mới", "active": "1"})
    assert resp.status == 403
    assert (await entry(hub, "XA-KHAC", "dien")).question == "Mất điện báo ai?"
    exported = await (await hub.client.get("/console/faq/export")).text()
    assert "Mất điện" not in exported and "khai sinh" in exported.lower()

    # The province officer manages the province and every commune under it.
    await login(hub, "tinh", "mk-tinh-1")
    page = await (await hub.client.get("/console/faq", params={"unit": "XA-KHAC"})).text()
    assert "Mất điện báo ai" in page and '<option value="XA-DEMO"' in page
    assert (await hub.client.get(f"/console/faq/{province_entry.id}")).status == 200


async def test_import_is_all_or_nothing_and_reports_lines(hub):
    csrf = await login(hub, "canbo-khac", "mk-khac-1")

    def upload(text: str, name: str = "kb.csv", **fields: str) -> aiohttp.FormData:
        form = aiohttp.FormData()
        for k, v in {"csrf": csrf, "unit": "XA-KHAC", **fields}.items():
            form.add_field(k, v)
        form.add_field("file", text.encode("utf-8"), filename=name, content_type="text/csv")
        return form

    broken = "id,question,variants,answer\nnuoc,Cúp nước báo ai?,,Gọi công ty nước.\nxx,,,\n"
    resp = await hub.client.post("/console/faq/import", data=upload(broken))
    body = await resp.text()
    assert resp.status == 400 and "Dòng 3" in body and "Chưa có gì thay đổi" in body
    async with hub.hub.sessions() as s:
        other = (await s.exec(select(Unit).where(Unit.code == "XA-KHAC"))).one()
        assert len((await s.exec(select(FaqEntry).where(FaqEntry.unit_id == other.id))).all()) == 1
    resp = await hub.client.post("/console/faq/import", data=upload("not,a,kb\n1,2,3\n"))
    assert resp.status == 400 and "thiếu cột" in await resp.text()
    resp = await hub.client.post("/console/faq/import", data=upload(""))
    assert resp.status == 400

    good = "\ufeffid,question,variants,answer\nnuoc,Cúp nước báo ai?,mất nước | ko co nuoc,Gọi công ty nước.\n"
    resp = await hub.client.post("/console/faq/import", data=upload(good, replace="1"))
    assert resp.status == 200 and "Đã nhập 1 mục: 1 mới, 0 cập nhật, 1 ngừng dùng." in await resp.text()
    assert not (await entry(hub, "XA-KHAC", "dien")).active
    exported = (await (await hub.client.get("/console/faq/export")).read()).decode("utf-8-sig")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert rows["nuoc"]["variants"] == "mất nước | ko co nuoc" and rows["dien"]["active"] == "0"
    resp = await hub.client.post("/console/faq/import", data=b"plain", headers={"Content-Type": "text/plain"})
    assert resp.status == 400
    huge = upload("id,question,variants,answer\n" + "x" * (11 * 1024 * 1024))
    resp = await hub.client.post("/console/faq/import", data=huge)
    assert resp.status == 413 and "10 MB" in await resp.text()
    assert (await entry(hub, "XA-KHAC", "nuoc")).question == "Cúp nước báo ai?"  # nothing damaged


async def test_review_labels_questions_adds_variants_and_exports_cases(hub):
    chat = Chat(hub.client)
    unknown = "cho hoi thu tuc xin giay phep nuoi ong mat o dau"
    await chat.say(unknown + ", email em la ong.mat@gmail.com")
    await chat.say(payload="#faq:staff")
    await chat.say("xin giay phep nuoi ong mat o dau a")  # same question again, another wording
    async with hub.hub.sessions() as s:
        logged = (await s.exec(select(FaqQuery))).all()
    assert {q.outcome for q in logged} >= {"handover"} and len(logged) >= 2

    csrf = await login(hub, "canbo", "mk-canbo-1")
    overview = await (await hub.client.get("/console")).text()
    assert "2 câu hỏi người dân chưa được bot trả lời chắc chắn" in overview
    page = await (await hub.client.get("/console/faq/review")).text()
    assert "nuoi ong mat" in page
    target = await entry(hub, DEMO_COMMUNE, (await _any_entry_ext_id(hub)))
    normalized = logged[0].normalized
    resp = await hub.client.post("/console/faq/review", data={"csrf": csrf, "unit": DEMO_COMMUNE,
                                                              "normalized": normalized, "entry": ""})
    assert "Chưa chọn mục nào" in await resp.text()
    resp = await hub.client.post("/console/faq/review", data={
        "csrf": csrf, "unit": DEMO_COMMUNE, "normalized": normalized, "entry": str(target.id),
        "add_variant": "1", "variant": "  xin phép nuôi ong   mật, sđt em 0912 345 678 "})
    assert resp.status == 200 and "và thêm cách hỏi mới" in await resp.text()
    # the wording joins the entry without the citizen's phone number
    assert "xin phép nuôi ong mật, sđt em" in (await entry(hub, DEMO_COMMUNE, target.ext_id)).variants

    # Labelling with another commune's entry is refused; "none" labels the rest.
    other = await entry(hub, "XA-KHAC", "dien")
    rest = [q.normalized for q in logged if q.normalized != normalized]
    resp = await hub.client.post("/console/faq/review", data={"csrf": csrf, "unit": DEMO_COMMUNE,
                                                              "normalized": rest[0], "entry": str(other.id)})
    assert resp.status == 400
    resp = await hub.client.post("/console/faq/review", data={"csrf": csrf, "unit": DEMO_COMMUNE,
                                                              "normalized": rest[0], "entry": "none"})
    assert "không có mục phù hợp" in await resp.text()
    assert "Không còn câu hỏi nào cần xem." in await (await hub.client.get("/console/faq/review")).text()

    cases = (await (await hub.client.get("/console/faq/labelled")).read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(cases)))
    by_query = {r["query"]: r["expected_id"] for r in rows}
    assert by_query[unknown + ", email em la …"] == target.ext_id  # no e-mail address in the file
    assert "" in by_query.values()  # the question no entry should answer


async def _any_entry_ext_id(h) -> str:
    async with h.hub.sessions() as s:
        unit = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        return (await s.exec(select(FaqEntry.ext_id).where(FaqEntry.unit_id == unit.id))).first()  # type: ignore[return-value]


async def test_picked_suggestion_becomes_the_review_guess(hub):
    chat = Chat(hub.client)
    reply = (await chat.say("giấy tờ"))[-1]  # vague: suggestions
    choices = [b for b in reply["buttons"] if b["payload"].startswith("#faq:a:")]
    assert choices, reply
    await chat.say(payload=choices[-1]["payload"])
    async with hub.hub.sessions() as s:
        chosen = (await s.exec(select(FaqQuery).where(FaqQuery.outcome == "chosen"))).one()
    assert chosen.text == "giấy tờ" and str(chosen.best_entry_id) == choices[-1]["payload"].removeprefix("#faq:a:")
    await login(hub, "canbo", "mk-canbo-1")
    page = await (await hub.client.get("/console/faq/review")).text()
    assert re.search(rf'<option value="{chosen.best_entry_id}" selected>', page)


async def test_review_queue_lists_gaps_most_asked_first_in_two_queries(hub):
    """A group of picked suggestions alone is no gap and takes no place in the list; the page
    costs two queries however many groups it lists."""
    async with session_scope(hub.hub.sessions) as s:
        unit = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        for _ in range(3):
            s.add(FaqQuery(unit_id=unit.id, text="giấy tờ", normalized="giay to", outcome="chosen", best_entry_id=7))
        for g in range(6):
            for i in range(g + 1):
                s.add(FaqQuery(unit_id=unit.id, text=f"câu {g} lần {i}", normalized=f"cau {g}",
                               outcome="chosen" if i == 0 and g else "unanswered", best_entry_id=g or None))
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "faq_query" in statement:  # the hub's worker and scheduler share the engine
            statements.append(statement)

    engine = hub.hub.engine.sync_engine
    sqlalchemy.event.listen(engine, "before_cursor_execute", count)
    try:
        async with hub.hub.sessions() as s:
            groups = await review_queue(s, [unit.id], limit=5)
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", count)
    assert [g.normalized for g in groups] == ["cau 5", "cau 4", "cau 3", "cau 2", "cau 1"]
    assert [g.count for g in groups] == [6, 5, 4, 3, 2]
    assert all(g.outcomes == {"unanswered"} and g.guess_entry_id == int(g.normalized[-1]) for g in groups)
    assert groups[0].sample.startswith("câu 5 lần ") and groups[0].sample != "câu 5 lần 0"
    assert len(statements) == 2, statements
    async with hub.hub.sessions() as s:
        assert await review_count(s, [unit.id]) == 6  # the picked-suggestion group is no gap
    await login(hub, "canbo", "mk-canbo-1")
    assert "6 câu hỏi người dân chưa được bot trả lời chắc chắn" in await (await hub.client.get("/console")).text()


async def test_not_what_i_asked_offers_others_and_reaches_review(hub):
    chat = Chat(hub.client)
    answer = (await chat.say("lam giay khai sinh cho con can gi"))[-1]
    assert answer["text"].startswith("📌 ") and any(b["payload"] == "#faq:wrong" for b in answer["buttons"])
    answered_title = answer["text"].splitlines()[0].removeprefix("📌 ")
    sorry = (await chat.say(payload="#faq:wrong"))[-1]
    assert sorry["text"].startswith("Xin lỗi bạn.")
    titles = [b["title"] for b in sorry["buttons"]]
    assert titles[-1] == "Gửi câu hỏi cho cán bộ" and answered_title not in titles and len(titles) >= 2
    handed = (await chat.say(payload="#faq:staff"))[-1]
    assert "đã được chuyển tới cán bộ" in handed["text"]
    async with hub.hub.sessions() as s:
        outcomes = sorted(q.outcome for q in (await s.exec(select(FaqQuery))).all())
    assert outcomes == ["answered", "handover", "rejected"]

    await login(hub, "canbo", "mk-canbo-1")
    page = await (await hub.client.get("/console/faq/review")).text()
    assert "lam giay khai sinh cho con can gi" in page and "người dân báo câu trả lời chưa đúng" in page
    assert page.count("lam giay khai sinh cho con can gi") == 2  # one group: the question and the variant field
    assert " selected>" not in page.split("lam giay khai sinh")[1].split("</select>")[0].replace(
        '<option value="" selected>', "")  # the rejected answer is not offered as the guess

    # Without an answer before it, the button asks for a question.
    fresh = Chat(hub.client)
    reply = (await fresh.say(payload="#faq:wrong"))[-1]
    assert reply["text"] == "Bạn hãy gõ câu hỏi của mình, cán bộ sẽ trả lời bạn tại đây."


async def test_answered_questions_are_spot_checked_and_measure_the_bot(hub):
    chat = Chat(hub.client)
    for question in ("lam giay khai sinh cho con can gi", "dang ky ket hon o dau", "lam giay khai sinh cho con can gi"):
        reply = (await chat.say(question))[-1]
        assert reply["text"].startswith("📌 "), reply  # answered
    async with hub.hub.sessions() as s:
        answered = (await s.exec(select(FaqQuery).where(FaqQuery.outcome == "answered"))).all()
    assert len(answered) == 3 and all(q.best_entry_id and q.score for q in answered)
    birth = next(q for q in answered if "khai sinh" in q.text)

    csrf = await login(hub, "canbo", "mk-canbo-1")
    overview = await (await hub.client.get("/console")).text()
    assert "0 câu hỏi người dân chưa được bot trả lời chắc chắn" in overview  # answers are no gaps
    assert "Chưa kiểm tra câu trả lời nào của bot." in overview
    page = await (await hub.client.get("/console/faq/review")).text()
    assert "Không còn câu hỏi nào cần xem." in page
    spot = page.split('id="spot-check"')[1]
    assert "lam giay khai sinh cho con can gi" in spot and "dang ky ket hon o dau" in spot and "2 lần" in spot
    assert re.search(rf'<option value="{birth.best_entry_id}" selected>', spot)  # the bot's answer preselected

    # Confirm one answer; the other was wrong: no entry should have answered it.
    for normalized, choice in ((birth.normalized, str(birth.best_entry_id)),
                               (next(q.normalized for q in answered if q is not birth and "ket hon" in q.text), "none")):
        resp = await hub.client.post("/console/faq/review", data={
            "csrf": csrf, "unit": DEMO_COMMUNE, "normalized": normalized, "entry": choice})
        assert resp.status == 200
    page = await (await hub.client.get("/console/faq/review")).text()
    assert "Không có câu trả lời mới nào cần kiểm tra." in page
    assert "Đã kiểm tra 3 câu bot trả lời: 2 đúng (67%), 0 trả lời nhầm mục, 1 lẽ ra không nên trả lời." in page
    # another commune's staff see none of it
    await login(hub, "canbo-khac", "mk-khac-1")
    other = await (await hub.client.get("/console/faq/review")).text()
    assert "Chưa kiểm tra câu trả lời nào của bot." in other and "khai sinh" not in other

    # the checked answers join the labelled cases
    await login(hub, "canbo", "mk-canbo-1")
    cases = (await (await hub.client.get("/console/faq/labelled")).read()).decode("utf-8-sig")
    by_query = {r["query"]: r["expected_id"] for r in csv.DictReader(io.StringIO(cases))}
    target = await entry_by_id(hub, birth.best_entry_id)
    assert by_query == {"lam giay khai sinh cho con can gi": target.ext_id, "dang ky ket hon o dau": ""}


async def entry_by_id(h, entry_id: int | None) -> FaqEntry:
    async with h.hub.sessions() as s:
        row = await s.get(FaqEntry, entry_id)
    assert row is not None
    return row


async def test_new_entry_from_a_reviewed_question_labels_it(hub):
    async with session_scope(hub.hub.sessions) as s:
        commune = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        for outcome in ("unanswered", "handover"):
            s.add(FaqQuery(unit_id=commune.id, text="nuoi ong mat co phai xin phep ko", normalized="nuôi ong mật xin phép",
                           outcome=outcome))
    csrf = await login(hub, "canbo", "mk-canbo-1")
    page = await (await hub.client.get("/console/faq/review")).text()
    link = re.search(r'href="(/console/faq/new\?[^"]+)">tạo mục mới từ câu hỏi này', page).group(1)  # type: ignore[union-attr]
    form_page = await (await hub.client.get(link.replace("&amp;", "&"))).text()
    assert 'value="nuoi ong mat co phai xin phep ko"' in form_page
    label = re.search(r'name="label" value="([^"]+)"', form_page).group(1)  # type: ignore[union-attr]
    assert label == "nuôi ong mật xin phép"
    resp = await hub.client.post("/console/faq/save", data={
        "csrf": csrf, "unit": DEMO_COMMUNE, "label": label, "active": "1",
        "question": "Nuôi ong mật có phải xin phép không?", "answer": "Không cần giấy phép; đăng ký với thôn."})
    assert resp.status == 200
    assert "Không còn câu hỏi nào cần xem." in await (await hub.client.get("/console/faq/review")).text()
    cases = (await (await hub.client.get("/console/faq/labelled")).read()).decode("utf-8-sig")
    assert "nuoi ong mat co phai xin phep ko,nuoi_ong_mat_co_phai_xin_phep_khong" in cases


async def test_faq_indexes_per_unit_are_bounded(hub):
    from handlers.faq_chat import FaqService

    service = FaqService(max_indexes=2)
    async with hub.hub.sessions() as s:
        units = {u.code: u for u in (await s.exec(select(Unit))).all()}
        first = await service.index_for(s, units[DEMO_COMMUNE])
        assert await service.index_for(s, units[DEMO_COMMUNE]) is first  # cached
        await service.index_for(s, units["XA-KHAC"])
        await service.index_for(s, units[DEMO_PROVINCE])  # the least recently asked (XA-DEMO) goes
        assert len(service) == 2
        again = await service.index_for(s, units[DEMO_COMMUNE])
        assert again is not first and again.ask("lam giay khai sinh cho con moi sinh").decision == "answer"
    assert len(hub.hub.services["faq"]) <= hub.settings.faq_index_cache


async def test_a_new_index_builds_its_abbreviation_table_in_the_background(hub):
    """No citizen waits for the table of the base's abbreviations: it is built beside the
    questions after the index is published, and the answers are the same."""
    import asyncio

    from handlers.faq import FaqIndex
    from handlers.faq_chat import FaqService

    service = FaqService()
    async with hub.hub.sessions() as s:
        unit = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        index = await service.index_for(s, unit)
    for _ in range(200):
        if index._acronyms is not None and not service._warming:
            break
        await asyncio.sleep(0.02)
    assert index._acronyms is not None and not service._warming
    cold = FaqIndex.build(index.entries)
    for q in ("lam cccd o dau", "xin xac nhan tdc", "dk khai sinh cho be"):
        assert index.ask(q).decision == cold.ask(q).decision
        assert [m.entry.id for m in index.ask(q).matches] == [m.entry.id for m in cold.ask(q).matches]


async def test_labelled_questions_evaluate_against_the_base_the_bot_uses(hub):
    from handlers.faq.evaluate import evaluate, read_cases
    from handlers.faq.kb_io import read_kb

    async with session_scope(hub.hub.sessions) as s:
        commune = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        s.add(FaqQuery(unit_id=commune.id, text="so duong day nong cua tinh la j", normalized="đường dây nóng tỉnh",
                       outcome="suggested"))
        s.add(FaqQuery(unit_id=commune.id, text="lam giay khai sinh cho con o dau", normalized="khai sinh con",
                       outcome="suggested"))
    province_entry = await entry(hub, DEMO_PROVINCE, "tinh_hotline")
    commune_entry = await entry(hub, DEMO_COMMUNE, "ht-khaisinh")
    csrf = await login(hub, "canbo", "mk-canbo-1")
    for normalized, target in (("đường dây nóng tỉnh", province_entry), ("khai sinh con", commune_entry)):
        resp = await hub.client.post("/console/faq/review", data={
            "csrf": csrf, "unit": DEMO_COMMUNE, "normalized": normalized, "entry": str(target.id),
            "add_variant": "1", "variant": "không được thêm vào mục của tỉnh"})
        assert resp.status == 200
    # a commune labels with its province's entry but does not change it
    assert (await entry(hub, DEMO_PROVINCE, "tinh_hotline")).variants == []

    cases_csv = await (await hub.client.get("/console/faq/labelled")).read()
    kb_csv = await (await hub.client.get("/console/faq/export", params={"inherited": "1"})).read()
    cases = read_cases(cases_csv)
    assert ("so duong day nong cua tinh la j", "TINH-DEMO:tinh_hotline") in cases
    kb = read_kb(kb_csv, "kb.csv")
    assert {"TINH-DEMO:tinh_hotline", "ht-khaisinh"} <= {e.id for e in kb}
    report = evaluate(kb, cases)
    assert report["cases"] == 2 and 0.0 <= report["top1"] <= 1.0
    own_only = read_kb(await (await hub.client.get("/console/faq/export")).read(), "kb.csv")
    assert not any(e.id.startswith("TINH-DEMO:") for e in own_only)


async def test_out_of_range_ids_are_refused_cleanly(hub):
    """Numbers too big for an INTEGER key (PostgreSQL refuses them in a query) get 4xx or a polite
    reply, never a 500 or a failed job."""
    huge = "9" * 20
    chat = Chat(hub.client)
    [reply] = await chat.say(payload=f"#faq:a:{huge}")
    assert "không còn trong danh mục" in reply["text"]
    resp = await hub.client.get("/api/webchat/demo/messages", params={"session": chat.session, "after": huge, "wait": 0})
    assert resp.status == 200 and (await resp.json())["messages"] == []
    resp = await hub.client.post(f"/webhooks/telegram/{huge}", json={"update_id": 1})
    assert resp.status == 404
    csrf = await login(hub, "canbo", "mk-canbo-1")
    assert (await hub.client.get(f"/console/faq/{huge}")).status == 404
    resp = await hub.client.post("/console/faq/review", data={"csrf": csrf, "unit": DEMO_COMMUNE,
                                                              "normalized": "x", "entry": huge})
    assert resp.status == 400


async def test_login_locks_an_account_after_repeated_wrong_passwords(hub):
    async def attempt(username: str, password: str) -> aiohttp.ClientResponse:
        hub.client.session.cookie_jar.clear()
        return await hub.client.post("/login", data={"username": username, "password": password},
                                     allow_redirects=False)

    for i in range(5):
        resp = await attempt("canbo", f"sai-{i}")
        assert resp.status == 401 and "Sai tên đăng nhập hoặc mật khẩu." in await resp.text()
    resp = await attempt("canbo", "mk-canbo-1")  # the right password, but too late
    assert resp.status == 429
    text = await resp.text()
    assert "đã nhập sai mật khẩu 5 lần" in text and "15 phút" in text
    assert (await attempt("tinh", "mk-tinh-1")).status == 302  # other accounts are not affected
    for i in range(6):  # a name that matches no account is never locked, and never written down
        assert (await attempt("khong-co-ai", f"sai-{i}")).status == 401

    async with hub.hub.sessions() as s:
        rows = (await s.exec(select(AuditLog).where(AuditLog.action.in_(["login", "login_failed"])))).all()  # type: ignore[attr-defined]
    assert sorted((r.actor, r.action) for r in rows) == [("canbo", "login_failed")] * 5 + [("tinh", "login")]
    assert not any("sai-" in str(r.detail) or r.actor == "khong-co-ai" for r in rows)

    # fifteen minutes later the account takes its password again; a success clears the count
    async with session_scope(hub.hub.sessions) as s:
        for r in (await s.exec(select(AuditLog).where(AuditLog.actor == "canbo"))).all():
            r.at = r.at - timedelta(minutes=16)
            s.add(r)
    assert (await attempt("canbo", "mk-canbo-1")).status == 302
    for i in range(4):
        assert (await attempt("canbo", f"lai-sai-{i}")).status == 401
    assert (await attempt("canbo", "mk-canbo-1")).status == 302
