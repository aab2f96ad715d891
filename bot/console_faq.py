"""Staff console, FAQ pages: the knowledge base of a unit, import/export, trying a question, and
reviewing what citizens asked that the bot did not answer.

Who may do what: a staff member manages the entries of their unit and the units below it (an
administrator: all units). A unit's page also shows the entries it inherits from the units above
(the province's), read only. Every form carries the session's CSRF token.
"""

from __future__ import annotations

import html
from urllib.parse import quote, urlencode

from aiohttp import web
from sqlmodel import col, select

from bot.console_page import (
    check_csrf,
    csrf_field,
    forbidden,
    header,
    not_found,
    page,
    require_user,
    scope_of,
    table,
)
from bot.timefmt import vn_time
from bot.web import HUB
from handlers.faq.kb_io import KbImportError, read_kb
from handlers.faq.normalize import strip_accents
from handlers.faq_chat import faq_service
from handlers.faq_store import (
    ANSWERED,
    OUTCOME_NAMES,
    EntryInput,
    ReviewGroup,
    answer_quality,
    entries_of,
    export_csv,
    import_entries,
    label_group,
    labelled_cases_csv,
    review_queue,
    save_entry,
    set_active,
    spot_check_queue,
)
from storage.db import session_scope
from storage.models import FaqEntry, StaffUser, Unit
from storage.repo import parse_id, unit_chain

MAX_UPLOAD = 10 * 1024 * 1024
SHOWN_ENTRIES = 300
e = html.escape


class _Staff:
    """The logged-in staff member, the units they manage and the unit a page is about."""

    def __init__(self, user: StaffUser, units: list[Unit], unit: Unit):
        self.user, self.unit = user, unit
        self.names = {u.id: u.name for u in units}
        self.scope = scope_of(user, units)
        self.managed = [u for u in units if u.id in self.scope]


async def _staff(request: web.Request, code: str | None = None) -> _Staff:
    user = await require_user(request)
    async with request.app[HUB].sessions() as session:
        units = list((await session.exec(select(Unit).order_by(col(Unit.id)))).all())
    scope = scope_of(user, units)
    code = code if code is not None else request.query.get("unit")
    if code:
        unit = next((u for u in units if u.code == code), None)
        if unit is None:
            raise not_found(f"Không có đơn vị mã {code}.")
        if unit.id not in scope:
            raise forbidden("Bạn không có quyền xem đơn vị này.")
    else:
        own = [u for u in units if u.id == user.unit_id and u.id in scope]
        managed = own or [u for u in units if u.id in scope]
        if not managed:
            raise forbidden("Tài khoản chưa được gán đơn vị nào.")
        unit = managed[0]
    return _Staff(user, units, unit)


def _unit_picker(staff: _Staff, path: str) -> str:
    if len(staff.managed) < 2:
        return ""
    options = "".join(f'<option value="{e(u.code)}"{" selected" if u.id == staff.unit.id else ""}>{e(u.name)}</option>'
                      for u in staff.managed)
    return (f'<form method="get" action="{path}"><label>Đơn vị <select name="unit" onchange="this.form.submit()">'
            f'{options}</select></label> <button type="submit" class="light">Xem</button></form>')


def _frame(request: web.Request, staff: _Staff, title: str, content: str, status: int = 200) -> web.Response:
    return page(title, f'{header(request, staff.user, e(staff.unit.name))}<main>{content}</main>', status=status)


def _q(staff: _Staff) -> str:
    return "unit=" + quote(staff.unit.code)


def _matches(entry: FaqEntry, needle: str) -> bool:
    hay = strip_accents(" ".join([entry.question, *entry.variants, entry.category or ""])).lower()
    return all(w in hay for w in strip_accents(needle).lower().split())


# ---------------------------------------------------------------- the list of entries


async def faq_list(request: web.Request) -> web.Response:
    staff = await _staff(request)
    needle = request.query.get("q", "").strip()[:200]
    async with request.app[HUB].sessions() as session:
        chain = await unit_chain(session, staff.unit)
        rows = await entries_of(session, [u.id for u in chain])  # type: ignore[misc]
    own = [r for r in rows if r.unit_id == staff.unit.id]
    inherited = [r for r in rows if r.unit_id != staff.unit.id and r.active]
    if needle:
        own, inherited = [r for r in own if _matches(r, needle)], [r for r in inherited if _matches(r, needle)]
    active = sum(1 for r in own if r.active)

    def own_row(r: FaqEntry) -> list[str]:
        state = "Đang dùng" if r.active else '<span class="muted">Ngừng dùng</span>'
        return [f'<a href="/console/faq/{r.id}">{e(r.question)}</a>', e(r.category or ""), str(len(r.variants)),
                state, vn_time(r.updated_at)]

    flash = {"saved": "Đã lưu mục hỏi đáp.", "imported": request.query.get("msg", "")}.get(request.query.get("done", ""))
    content = (
        (f'<p class="ok" role="status">{e(flash)}</p>' if flash else "")
        + f'<section><h3>Hỏi đáp — {e(staff.unit.name)}</h3>{_unit_picker(staff, "/console/faq")}'
        f'<p>{active} mục đang dùng / {len(own)} mục của đơn vị. '
        f'<a href="/console/faq/new?{_q(staff)}">Thêm mục mới</a> · '
        f'<a href="/console/faq/export?{_q(staff)}">Tải về (CSV)</a> · '
        f'<a href="/console/faq/export?{_q(staff)}&amp;inherited=1">Tải về kèm mục cấp trên</a> · '
        f'<a href="/console/faq/review?{_q(staff)}">Câu hỏi cần xem</a></p>'
        f'<form method="get" action="/console/faq"><input type="hidden" name="unit" value="{e(staff.unit.code)}">'
        f'<label>Tìm mục <input name="q" value="{e(needle)}" placeholder="vd: khai sinh"></label> '
        '<button type="submit" class="light">Tìm</button></form>'
        + table(["Câu hỏi", "Danh mục", "Cách hỏi khác", "Trạng thái", "Cập nhật"],
                [own_row(r) for r in own[:SHOWN_ENTRIES]], "Chưa có mục nào.")
        + (f'<p class="muted">Hiển thị {SHOWN_ENTRIES} trên {len(own)} mục; hãy tìm để thu hẹp.</p>'
           if len(own) > SHOWN_ENTRIES else "")
        + '</section>'
        + f'<section><h3>Thử một câu hỏi</h3><form method="get" action="/console/faq/try">'
        f'<input type="hidden" name="unit" value="{e(staff.unit.code)}"><label class="f" for="try-q">Câu hỏi như '
        'người dân gõ</label><input class="w" id="try-q" name="q" placeholder="vd: cho e hoi lam cccd can j">'
        '<p><button type="submit">Thử</button></p></form></section>'
        f'<section><h3>Nhập từ tệp CSV hoặc Excel</h3><form method="post" action="/console/faq/import" '
        f'enctype="multipart/form-data">{csrf_field(request)}<input type="hidden" name="unit" '
        f'value="{e(staff.unit.code)}"><p class="muted">Cột: id, question, variants (các cách hỏi cách nhau bởi '
        '|), answer, và tuỳ chọn category, attachment. Tệp có dòng lỗi thì không nhập gì.</p>'
        '<label class="f" for="kb-file">Tệp (.csv UTF-8 hoặc .xlsx)</label><input id="kb-file" type="file" '
        'name="file" accept=".csv,.xlsx"><p><label><input type="checkbox" name="replace" value="1"> Các mục không '
        'có trong tệp sẽ ngừng dùng</label></p><p><button type="submit">Nhập</button></p></form></section>'
        + ('<section><h3>Mục của cấp trên (chỉ xem)</h3>'
           + table(["Câu hỏi", "Đơn vị", "Danh mục"],
                   [[e(r.question), e(staff.names.get(r.unit_id, "")), e(r.category or "")]
                    for r in inherited[:SHOWN_ENTRIES]], "") + '</section>' if inherited else ""))
    return _frame(request, staff, "Hỏi đáp", content)


# ---------------------------------------------------------------- one entry


def _entry_form(request: web.Request, staff: _Staff, data: EntryInput, entry: FaqEntry | None,
                errors: list[str], label: str = "") -> str:
    err = ("".join(f'<p class="error" role="alert">{e(m)}</p>' for m in errors)) if errors else ""
    entry_id = f'<input type="hidden" name="id" value="{entry.id}">' if entry is not None else ""
    title = "Sửa mục hỏi đáp" if entry is not None else "Thêm mục hỏi đáp"
    code = f'<p class="muted">Mã: {e(entry.ext_id)}</p>' if entry is not None else ""
    toggle = ""
    if entry is not None:
        action = "Ngừng dùng mục này" if entry.active else "Dùng lại mục này"
        toggle = (f'<form method="post" action="/console/faq/{entry.id}/active" class="inline">{csrf_field(request)}'
                  f'<input type="hidden" name="active" value="{0 if entry.active else 1}">'
                  f'<button type="submit" class="light">{action}</button></form>')
    return (f'<section><h3>{title} — {e(staff.unit.name)}</h3>{code}{err}'
            f'<form method="post" action="/console/faq/save">{csrf_field(request)}{entry_id}'
            + (f'<input type="hidden" name="label" value="{e(label)}"><p class="muted">Câu hỏi của người dân sẽ được '
               'gán vào mục mới này.</p>' if label else "") +
            f'<input type="hidden" name="unit" value="{e(staff.unit.code)}">'
            f'<label class="f" for="f-question">Câu hỏi</label><input class="w" id="f-question" name="question" '
            f'value="{e(data.question)}" maxlength="500">'
            '<label class="f" for="f-variants">Cách hỏi khác (mỗi dòng một cách, có thể gõ như người dân)</label>'
            f'<textarea id="f-variants" name="variants">{e(chr(10).join(data.variants))}</textarea>'
            '<label class="f" for="f-answer">Câu trả lời</label>'
            f'<textarea id="f-answer" name="answer" style="min-height:160px">{e(data.answer)}</textarea>'
            f'<label class="f" for="f-category">Danh mục</label><input class="w" id="f-category" name="category" '
            f'value="{e(data.category or "")}" maxlength="128">'
            '<label class="f" for="f-attachment">Tài liệu đính kèm (đường dẫn, nếu có)</label>'
            f'<input class="w" id="f-attachment" name="attachment" value="{e(data.attachment or "")}">'
            f'<p><label><input type="checkbox" name="active" value="1"{" checked" if data.active else ""}> '
            'Đang dùng</label></p><p><button type="submit">Lưu</button> '
            f'<a href="/console/faq?{_q(staff)}">Quay lại</a></p></form>{toggle}</section>')


async def _entry_of(request: web.Request, entry_id: str) -> tuple[_Staff, FaqEntry]:
    row_id = parse_id(entry_id)
    if row_id is None:
        raise not_found("Không có mục hỏi đáp này.")
    async with request.app[HUB].sessions() as session:
        entry = await session.get(FaqEntry, row_id)
        unit = await session.get(Unit, entry.unit_id) if entry is not None else None
    if entry is None or unit is None:
        raise not_found("Không có mục hỏi đáp này.")
    return await _staff(request, unit.code), entry


async def entry_page(request: web.Request) -> web.Response:
    staff, entry = await _entry_of(request, request.match_info["entry_id"])
    data = EntryInput(entry.question, list(entry.variants), entry.answer, entry.category, entry.attachment, entry.active)
    return _frame(request, staff, "Sửa mục hỏi đáp", _entry_form(request, staff, data, entry, []))


async def new_entry_page(request: web.Request) -> web.Response:
    """A new entry; from the review page it starts from a citizen's question (``q``) and, once
    saved, labels that question group (``label``: its normalised text) with the new entry."""
    staff = await _staff(request)
    data = EntryInput(" ".join(request.query.get("q", "").split())[:500], [], "")
    label = request.query.get("label", "")[:500]
    return _frame(request, staff, "Thêm mục hỏi đáp", _entry_form(request, staff, data, None, [], label))


async def save(request: web.Request) -> web.Response:
    form = await request.post()
    check_csrf(request, form.get("csrf"))
    entry_id = str(form.get("id", ""))
    if entry_id:
        staff, entry = await _entry_of(request, entry_id)
    else:
        staff, entry = await _staff(request, str(form.get("unit", "")) or None), None
    data = EntryInput.from_form(str(form.get("question", "")), str(form.get("variants", "")),
                                str(form.get("answer", "")), str(form.get("category", "")),
                                str(form.get("attachment", "")), active=form.get("active") == "1")
    label = str(form.get("label", ""))[:500] if entry is None else ""
    problems = data.problems()
    if problems:
        return _frame(request, staff, "Mục hỏi đáp", _entry_form(request, staff, data, entry, problems, label),
                      status=400)
    async with session_scope(request.app[HUB].sessions) as session:
        if entry is not None:
            entry = await session.get(FaqEntry, entry.id)
        saved = await save_entry(session, staff.unit, data, actor=staff.user.username, entry=entry)
        if label:
            await label_group(session, staff.unit.id, label, actor=staff.user.username, entry=saved)  # type: ignore[arg-type]
    raise web.HTTPSeeOther(f"/console/faq?{_q(staff)}&done=saved")


async def toggle_active(request: web.Request) -> web.Response:
    form = await request.post()
    check_csrf(request, form.get("csrf"))
    staff, entry = await _entry_of(request, request.match_info["entry_id"])
    async with session_scope(request.app[HUB].sessions) as session:
        row = await session.get(FaqEntry, entry.id)
        await set_active(session, row, form.get("active") == "1", actor=staff.user.username)  # type: ignore[arg-type]
    raise web.HTTPSeeOther(f"/console/faq/{entry.id}")


# ---------------------------------------------------------------- import, export, labelled data


async def import_file(request: web.Request) -> web.Response:
    await require_user(request)  # before reading a body of up to 10 MB
    if not request.content_type.startswith("multipart/"):
        raise web.HTTPBadRequest(text="Cần gửi tệp bằng biểu mẫu nhập (multipart/form-data).")
    fields: dict[str, str] = {}
    data, filename = b"", ""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.name == "file" and getattr(part, "filename", None) is not None:  # type: ignore[union-attr]
            filename = part.filename or ""  # type: ignore[union-attr]
            chunks, size = [], 0
            while chunk := await part.read_chunk(65536):  # type: ignore[union-attr]
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD, actual_size=size,
                                                        text="Tệp quá lớn (tối đa 10 MB).")
                chunks.append(chunk)
            data = b"".join(chunks)
        elif part.name:
            fields[part.name] = (await part.text())[:1000]  # type: ignore[union-attr]
    check_csrf(request, fields.get("csrf"))
    staff = await _staff(request, fields.get("unit") or None)
    problems: list[str] = []
    if not data:
        problems = ["Hãy chọn một tệp CSV hoặc Excel (.xlsx) có dữ liệu."]
    else:
        try:
            entries = read_kb(data, filename)
        except KbImportError as exc:
            problems = exc.messages()
    if problems:
        shown = "".join(f"<li>{e(m)}</li>" for m in problems[:50])
        more = f"<li>… và {len(problems) - 50} lỗi khác</li>" if len(problems) > 50 else ""
        content = (f'<section><h3>Không nhập được tệp {e(filename)}</h3><p class="error" role="alert">Chưa có gì '
                   f'thay đổi. Hãy sửa các lỗi sau rồi nhập lại:</p><ul>{shown}{more}</ul>'
                   f'<p><a href="/console/faq?{_q(staff)}">Quay lại</a></p></section>')
        return _frame(request, staff, "Nhập tệp", content, status=400)
    async with session_scope(request.app[HUB].sessions) as session:
        done = await import_entries(session, staff.unit, entries, replace=fields.get("replace") == "1",
                                    actor=staff.user.username)
    msg = (f"Đã nhập {len(entries)} mục: {done.added} mới, {done.updated} cập nhật"
           + (f", {done.retired} ngừng dùng." if done.retired else "."))
    raise web.HTTPSeeOther(f"/console/faq?{_q(staff)}&" + urlencode({"done": "imported", "msg": msg}))


async def _download(request: web.Request, labelled: bool) -> web.Response:
    staff = await _staff(request)
    inherited = request.query.get("inherited") == "1"
    async with request.app[HUB].sessions() as session:
        if labelled:
            data = await labelled_cases_csv(session, staff.unit)
        else:
            data = await export_csv(session, staff.unit, with_inherited=inherited)
    kind = "cau-hoi-da-gan-nhan" if labelled else "hoi-dap-ca-cap-tren" if inherited else "hoi-dap"
    name = f"{staff.unit.code}-{kind}.csv"
    return web.Response(body=data, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'})


async def export(request: web.Request) -> web.Response:
    return await _download(request, labelled=False)


async def labelled(request: web.Request) -> web.Response:
    return await _download(request, labelled=True)


# ---------------------------------------------------------------- trying a question


DECISION_NAMES = {"answer": "Trả lời bằng mục đầu tiên", "suggest": "Gợi ý các mục (chưa đủ chắc chắn)",
                  "chitchat": "Câu chào hỏi / cảm ơn: trả lời lịch sự", "none": "Chưa có thông tin"}


async def try_question(request: web.Request) -> web.Response:
    staff = await _staff(request)
    question = request.query.get("q", "").strip()[:2000]
    if not question:
        raise web.HTTPSeeOther(f"/console/faq?{_q(staff)}")
    async with request.app[HUB].sessions() as session:
        index = await faq_service(request.app[HUB].services).index_for(session, staff.unit)
    result = index.ask(question)
    rows = [[f"{m.score:.2f}", f'<a href="/console/faq/{e(m.entry.id)}">{e(m.entry.question)}</a>']
            for m in result.matches[:5]]
    content = (f'<section><h3>Thử câu hỏi</h3><p>Câu hỏi: <b>{e(question)}</b></p>'
               f'<p class="muted">Sau chuẩn hoá: {e(result.normalized)}</p>'
               f'<p>Bot sẽ: <b id="decision">{e(DECISION_NAMES.get(result.decision, result.decision))}</b>'
               + (" — khớp yếu: bot nói trước là chưa có câu trả lời chắc chắn" if result.unsure else "") + '</p>'
               + table(["Điểm", "Mục"], rows, "Không có mục nào gần.")
               + f'<p><a href="/console/faq?{_q(staff)}">Quay lại</a></p></section>')
    return _frame(request, staff, "Thử câu hỏi", content)


# ---------------------------------------------------------------- review of logged questions


def _label_form(request: web.Request, staff: _Staff, entries: list[FaqEntry], g: ReviewGroup, key: str) -> str:
    """One group of logged questions with the form that labels it (the entry that answers it, or
    none).  A spot check (a group of answers) preselects the entry the bot answered with and adds
    no phrasing by default."""
    options = ['<option value="">— chọn mục trả lời —</option>', '<option value="none">Không có mục nào phù hợp'
               ' (bot không nên trả lời)</option>']
    options += [f'<option value="{r.id}"{" selected" if r.id == g.guess_entry_id else ""}>{e(r.question)}'
                f'{"" if r.unit_id == staff.unit.id else " (cấp trên)"}</option>' for r in entries]
    if g.outcomes == {ANSWERED}:
        answered = next((r.question for r in entries if r.id == g.guess_entry_id), "(mục đã bị xoá hoặc tắt)")
        about = f'Bot đã trả lời bằng mục: <b>{e(answered)}</b>'
        label, checked, button = "Mục đúng cho câu hỏi này", "", "Xác nhận"
    else:
        about = e(", ".join(OUTCOME_NAMES.get(o, o) for o in sorted(g.outcomes)))
        label, checked, button = "Câu hỏi này thuộc mục", " checked", "Lưu"
    return (
        f'<section class="review"><p><b>{e(g.sample)}</b></p><p class="muted">{g.count} lần · {about} · '
        f'lần cuối {vn_time(g.last_at)}</p><form method="post" action="/console/faq/review">{csrf_field(request)}'
        f'<input type="hidden" name="unit" value="{e(staff.unit.code)}"><input type="hidden" name="normalized" '
        f'value="{e(g.normalized)}"><label class="f" for="{key}">{label}</label>'
        f'<select class="w" id="{key}" name="entry">{"".join(options)}</select>'
        f'<p><label><input type="checkbox" name="add_variant" value="1"{checked}> Thêm thành cách hỏi khác của mục '
        f'(xoá tên, số điện thoại trước khi thêm):</label><input class="w" name="variant" value="{e(g.sample)}" '
        f'aria-label="Cách hỏi sẽ thêm"></p><p><button type="submit">{button}</button> hoặc <a href="/console/faq/new?'
        f'{_q(staff)}&{e(urlencode({"q": g.sample, "label": g.normalized}))}">tạo mục mới từ câu hỏi này</a></p>'
        '</form></section>')


async def review_page(request: web.Request) -> web.Response:
    staff = await _staff(request)
    async with request.app[HUB].sessions() as session:
        groups = await review_queue(session, [staff.unit.id])  # type: ignore[list-item]
        checks = await spot_check_queue(session, [staff.unit.id])  # type: ignore[list-item]
        quality = await answer_quality(session, [staff.unit.id])  # type: ignore[list-item]
        chain = await unit_chain(session, staff.unit)
        entries = [r for r in await entries_of(session, [u.id for u in chain]) if r.active]  # type: ignore[misc]
    flash = request.query.get("msg", "")
    items = [_label_form(request, staff, entries, g, f"r-entry-{i}") for i, g in enumerate(groups)]
    spot = [_label_form(request, staff, entries, g, f"s-entry-{i}") for i, g in enumerate(checks)]
    intro = ("Đây là những câu người dân hỏi mà bot chưa trả lời chắc chắn. Chọn mục đúng (có thể thêm câu hỏi thành "
             "cách hỏi khác để lần sau bot trả lời được), hoặc chọn “Không có mục nào phù hợp”. Các câu đã xem "
             "được tải về làm dữ liệu đánh giá: ")
    spot_intro = ("Những câu bot đã trả lời gần đây. Xác nhận khi bot trả lời đúng mục; nếu sai, chọn mục đúng hoặc "
                  "“Không có mục nào phù hợp”. Nhờ đó biết được bot trả lời đúng đến đâu.")
    content = ((f'<p class="ok" role="status">{e(flash)}</p>' if flash else "")
               + f'<section><h3>Câu hỏi cần xem — {e(staff.unit.name)}</h3>{_unit_picker(staff, "/console/faq/review")}'
               f'<p>{e(intro)}<a href="/console/faq/labelled?{_q(staff)}">tải về (query,expected_id)</a> — đánh giá '
               'bot bằng <code>coso faq eval</code> với tệp “Tải về kèm mục cấp trên”.</p>'
               + ("" if groups else "<p>Không còn câu hỏi nào cần xem.</p>") + "</section>" + "".join(items)
               + f'<section id="spot-check"><h3>Kiểm tra câu bot đã trả lời</h3><p>{e(spot_intro)}</p>'
               f'<p id="answer-quality">{e(quality.summary())}</p>'
               + ("" if checks else "<p>Không có câu trả lời mới nào cần kiểm tra.</p>") + "</section>" + "".join(spot))
    return _frame(request, staff, "Câu hỏi cần xem", content)


async def review(request: web.Request) -> web.Response:
    form = await request.post()
    check_csrf(request, form.get("csrf"))
    staff = await _staff(request, str(form.get("unit", "")) or None)
    normalized, choice = str(form.get("normalized", ""))[:500], str(form.get("entry", ""))
    back = f"/console/faq/review?{_q(staff)}&"
    if not choice:
        raise web.HTTPSeeOther(back + urlencode({"msg": "Chưa chọn mục nào: câu hỏi vẫn chờ xem."}))
    async with session_scope(request.app[HUB].sessions) as session:
        entry = None
        if choice != "none":
            chain_ids = {u.id for u in await unit_chain(session, staff.unit)}
            row_id = parse_id(choice)
            entry = await session.get(FaqEntry, row_id) if row_id is not None else None
            if entry is None or entry.unit_id not in chain_ids:
                raise web.HTTPBadRequest(text="Mục đã chọn không thuộc đơn vị này.")
        # a commune labels with a province entry but may not change it
        variant = str(form.get("variant", "")) if form.get("add_variant") == "1" else None
        if entry is not None and entry.unit_id not in staff.scope:
            variant = None
        count = await label_group(session, staff.unit.id, normalized, actor=staff.user.username,  # type: ignore[arg-type]
                                  entry=entry, add_variant=variant)
    if entry is None:
        msg = f"Đã ghi nhận {count} câu hỏi: không có mục phù hợp."
    else:
        msg = f"Đã gán {count} câu hỏi vào mục “{entry.question}”" + (" và thêm cách hỏi mới." if variant else ".")
    raise web.HTTPSeeOther(back + urlencode({"msg": msg}))


def setup(app: web.Application) -> None:
    app.router.add_get("/console/faq", faq_list)
    app.router.add_get("/console/faq/new", new_entry_page)
    app.router.add_post("/console/faq/save", save)
    app.router.add_post("/console/faq/import", import_file)
    app.router.add_get("/console/faq/export", export)
    app.router.add_get("/console/faq/labelled", labelled)
    app.router.add_get("/console/faq/try", try_question)
    app.router.add_get("/console/faq/review", review_page)
    app.router.add_post("/console/faq/review", review)
    app.router.add_get("/console/faq/{entry_id}", entry_page)
    app.router.add_post("/console/faq/{entry_id}/active", toggle_active)
