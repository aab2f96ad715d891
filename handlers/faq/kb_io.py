"""Knowledge-base import/export: CSV (UTF-8, with or without BOM) and XLSX.

Format: header ``id,question,variants,answer`` plus optional ``category,attachment``
(also accepted: ``active``, ``updated_at``).  ``variants`` are separated by ``|``.
Import is all-or-nothing: every broken row is reported with its line number and nothing is
returned when any row is broken.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from .engine import KbEntry

__all__ = ["KbImportError", "read_kb", "write_kb_csv", "load_starter_kb", "STARTER_KB_PATH"]

REQUIRED = ("id", "question", "variants", "answer")
OPTIONAL = ("category", "attachment", "active", "updated_at")
COLUMNS = REQUIRED + ("category", "attachment")
STARTER_KB_PATH = Path(__file__).parent / "data" / "starter_kb.csv"
MAX_ROWS = 100_000

_HEADER_ALIASES = {
    "cau_hoi": "question", "câu hỏi": "question", "cau hoi": "question",
    "tra_loi": "answer", "câu trả lời": "answer", "tra loi": "answer",
    "bien_the": "variants", "biến thể": "variants", "danh_muc": "category", "danh mục": "category",
    "dinh_kem": "attachment", "đính kèm": "attachment",
}
_FALSE = {"0", "false", "no", "khong", "không", "n", "f", "off"}


class KbImportError(Exception):
    """Raised when a knowledge-base file cannot be imported; ``errors`` lists (line, message)."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        shown = "; ".join(msg for _, msg in errors[:10])
        more = f" (và {len(errors) - 10} lỗi khác)" if len(errors) > 10 else ""
        super().__init__(f"Không nhập được cơ sở tri thức: {shown}{more}")

    def messages(self) -> list[str]:
        """Each error as a line to show, starting with its line number ("Dòng 3: …")."""
        return [m if m.startswith("Dòng") or not line else f"Dòng {line}: {m}" for line, m in self.errors]


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _rows_from_csv(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # find the line of the first bad byte
        line = data[: exc.start].count(b"\n") + 1
        raise KbImportError([(line, f"Dòng {line}: tệp không phải UTF-8 (byte không giải mã được). Hãy lưu tệp CSV với mã hóa UTF-8.")]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sample = text[:4096]
    delimiter = ","
    first = sample.split("\n", 1)[0]
    if first.count(";") > first.count(",") and first.count(";") >= 3:
        delimiter = ";"
    elif first.count("\t") > first.count(",") and first.count("\t") >= 3:
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > MAX_ROWS + 1:
                raise KbImportError([(reader.line_num, f"Dòng {reader.line_num}: tệp quá lớn (tối đa {MAX_ROWS} dòng).")])
    except csv.Error as exc:
        raise KbImportError([(reader.line_num, f"Dòng {reader.line_num}: lỗi định dạng CSV ({exc}).")]) from None
    return rows


def _rows_from_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a user error here
        raise KbImportError([(0, f"Không đọc được tệp Excel (.xlsx): {exc.__class__.__name__}.")]) from None
    try:
        ws = wb.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            rows.append((i, [_cell(v) for v in row]))
            if len(rows) > MAX_ROWS + 1:
                raise KbImportError([(i, f"Dòng {i}: tệp quá lớn (tối đa {MAX_ROWS} dòng).")])
        return rows
    finally:
        wb.close()


def read_kb(data: bytes, filename: str) -> list[KbEntry]:
    """Parse a knowledge base; raise :class:`KbImportError` listing every broken row."""
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        rows = _rows_from_xlsx(data)
    elif name.endswith(".xls"):
        raise KbImportError([(0, "Định dạng .xls cũ không được hỗ trợ, hãy lưu lại thành .xlsx hoặc CSV (UTF-8).")])
    else:
        rows = _rows_from_csv(data)
    # drop fully empty rows
    rows = [(ln, r) for ln, r in rows if any(_cell(c) for c in r)]
    if not rows:
        raise KbImportError([(1, "Dòng 1: tệp rỗng, không có tiêu đề và dữ liệu.")])
    header_line, header = rows[0]
    cols = []
    for h in header:
        key = _cell(h).lower().lstrip("\ufeff").strip()
        cols.append(_HEADER_ALIASES.get(key, key))
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise KbImportError([
            (header_line, f"Dòng {header_line}: tiêu đề sai, thiếu cột {', '.join(missing)}. "
                          f"Tiêu đề đúng: {','.join(COLUMNS)}.")
        ])
    dup_cols = {c for c in cols if c and cols.count(c) > 1 and c in REQUIRED + OPTIONAL}
    if dup_cols:
        raise KbImportError([(header_line, f"Dòng {header_line}: cột bị lặp: {', '.join(sorted(dup_cols))}.")])
    pos = {c: i for i, c in enumerate(cols) if c}
    if len(rows) == 1:
        raise KbImportError([(header_line, f"Dòng {header_line}: tệp chỉ có tiêu đề, không có câu hỏi nào.")])

    errors: list[tuple[int, str]] = []
    entries: list[KbEntry] = []
    seen: dict[str, int] = {}
    for ln, row in rows[1:]:
        def get(col: str, row: list[str] = row) -> str:
            i = pos.get(col)
            return _cell(row[i]) if i is not None and i < len(row) else ""

        problems = []
        eid, question, answer = get("id"), get("question"), get("answer")
        if not eid:
            problems.append("thiếu mã (id)")
        elif len(eid) > 100:
            problems.append("mã (id) quá dài (tối đa 100 ký tự)")
        if not question:
            problems.append("thiếu câu hỏi (question)")
        if not answer:
            problems.append("thiếu câu trả lời (answer)")
        if eid and eid in seen:
            problems.append(f"trùng mã (id) \"{eid}\" với dòng {seen[eid]}")
        if len(row) > len(cols) and any(_cell(c) for c in row[len(cols):]):
            problems.append("thừa cột so với tiêu đề (kiểm tra dấu phẩy trong nội dung, hãy đặt nội dung trong ngoặc kép)")
        if problems:
            errors.append((ln, f"Dòng {ln}: " + "; ".join(problems)))
            if eid and eid not in seen:
                seen[eid] = ln
            continue
        seen[eid] = ln
        variants = [v.strip() for v in get("variants").split("|") if v.strip()]
        active_raw = get("active").lower()
        entries.append(
            KbEntry(
                id=eid,
                question=question,
                variants=variants,
                answer=answer,
                category=get("category") or None,
                attachment=get("attachment") or None,
                active=active_raw not in _FALSE if active_raw else True,
                updated_at=get("updated_at") or None,
            )
        )
    if errors:
        raise KbImportError(errors)
    return entries


def write_kb_csv(entries: list[KbEntry]) -> bytes:
    """Export in the import format (UTF-8 with BOM so Excel shows Vietnamese correctly)."""
    buf = io.StringIO()
    extra = any(not e.active or e.updated_at for e in entries)
    header = list(COLUMNS) + (["active", "updated_at"] if extra else [])
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for e in entries:
        row = [e.id, e.question, " | ".join(v.replace("|", "/") for v in e.variants), e.answer,
               e.category or "", e.attachment or ""]
        if extra:
            row += ["1" if e.active else "0", e.updated_at or ""]
        w.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def load_starter_kb() -> list[KbEntry]:
    """The starter knowledge base shipped with the hub."""
    try:
        data = resources.files("handlers.faq").joinpath("data/starter_kb.csv").read_bytes()
    except (FileNotFoundError, ModuleNotFoundError):
        data = STARTER_KB_PATH.read_bytes()
    return read_kb(data, "starter_kb.csv")
