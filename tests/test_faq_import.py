"""Knowledge-base import/export: CSV (with/without BOM), XLSX, validation, round-trip."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from handlers.faq import FaqIndex, KbEntry, KbImportError, load_starter_kb, read_kb, write_kb_csv

GOOD = (
    "id,question,variants,answer,category,attachment\n"
    'ks,Thủ tục đăng ký khai sinh,Làm giấy khai sinh | khai sinh cho con,"Nộp tại UBND xã, miễn phí.",Hộ tịch,\n'
    "kh,Đăng ký kết hôn,,Hai bên cùng có mặt.,Hộ tịch,https://example.org/kh.pdf\n"
)


def test_csv_without_bom():
    kb = read_kb(GOOD.encode("utf-8"), "kb.csv")
    assert [e.id for e in kb] == ["ks", "kh"]
    assert kb[0].variants == ["Làm giấy khai sinh", "khai sinh cho con"]
    assert kb[0].answer == "Nộp tại UBND xã, miễn phí."
    assert kb[1].variants == [] and kb[1].attachment == "https://example.org/kh.pdf"
    assert kb[0].category == "Hộ tịch" and kb[0].attachment is None


def test_csv_with_bom_and_crlf():
    data = ("\ufeff" + GOOD.replace("\n", "\r\n")).encode("utf-8")
    kb = read_kb(data, "kb.csv")
    assert [e.id for e in kb] == ["ks", "kh"]


def test_minimal_columns_only():
    kb = read_kb("id,question,variants,answer\n1,Hỏi,,Đáp\n".encode(), "x.csv")
    assert kb[0].category is None and kb[0].attachment is None


def test_xlsx():
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "question", "variants", "answer", "category"])
    ws.append(["ks", "Thủ tục đăng ký khai sinh", "Làm giấy khai sinh|khai sinh cho con", "Nộp tại UBND xã.", "Hộ tịch"])
    ws.append([None, None, None, None, None])  # empty row ignored
    ws.append([42, "Đăng ký kết hôn", None, "Hai bên cùng có mặt.", None])
    buf = io.BytesIO()
    wb.save(buf)
    kb = read_kb(buf.getvalue(), "kb.xlsx")
    assert [e.id for e in kb] == ["ks", "42"]
    assert kb[0].variants == ["Làm giấy khai sinh", "khai sinh cho con"]


def test_xlsx_broken_rows_have_sheet_line_numbers():
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "question", "variants", "answer"])
    ws.append(["a", "Hỏi", "", "Đáp"])
    ws.append(["b", "Hỏi 2", "", None])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(KbImportError) as exc:
        read_kb(buf.getvalue(), "kb.xlsx")
    assert exc.value.errors == [(3, "Dòng 3: thiếu câu trả lời (answer)")]


def test_broken_rows_reported_with_line_numbers_and_nothing_imported():
    data = (
        "id,question,variants,answer\n"
        "a,Câu hỏi A,,Trả lời A\n"
        "b,,,Trả lời B\n"
        "c,Câu hỏi C,,\n"
        "a,Câu hỏi D,,Trả lời D\n"
        ",Câu hỏi E,,Trả lời E\n"
        "f,Câu hỏi F,,Trả lời F\n"
    ).encode()
    with pytest.raises(KbImportError) as exc:
        read_kb(data, "kb.csv")
    errors = exc.value.errors
    assert [ln for ln, _ in errors] == [3, 4, 5, 6]
    assert errors[0][1] == "Dòng 3: thiếu câu hỏi (question)"
    assert errors[1][1] == "Dòng 4: thiếu câu trả lời (answer)"
    assert "trùng mã" in errors[2][1] and "dòng 2" in errors[2][1]
    assert "thiếu mã (id)" in errors[3][1]
    assert "Dòng 3" in str(exc.value)


def test_multiline_answer_line_numbers():
    data = 'id,question,variants,answer\na,Hỏi,,"Dòng một\nDòng hai"\nb,Hỏi b,,\n'.encode()
    with pytest.raises(KbImportError) as exc:
        read_kb(data, "kb.csv")
    assert exc.value.errors[0][0] == 4


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"", "tệp rỗng"),
        (b"\xef\xbb\xbf\n\n", "tệp rỗng"),
        (b"id,question,answer\n1,a,b\n", "thiếu cột variants"),
        (b"question,variants,answer\n", "tiêu đề sai"),
        (b"id,question,variants,answer\n", "chỉ có tiêu đề"),
        ("id,question,variants,answer\n1,Kh\xf4ng,,x\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_bad_files(data: bytes, needle: str):
    with pytest.raises(KbImportError) as exc:
        read_kb(data, "kb.csv")
    assert any(needle in msg for _, msg in exc.value.errors)


def test_bad_xlsx_bytes():
    with pytest.raises(KbImportError):
        read_kb(b"PK\x03\x04 not really a zip", "kb.xlsx")


def test_round_trip():
    entries = [
        KbEntry("1", "Câu hỏi, có dấu phẩy", ["biến thể 1", "biến thể \"2\""], "Trả lời\nnhiều dòng, gọi 0900 000 000", "Hộ tịch", "https://x.vn/a.pdf"),
        KbEntry("2", "Câu hai", [], "Đáp", None, None),
    ]
    data = write_kb_csv(entries)
    assert data.startswith("\ufeff".encode())
    back = read_kb(data, "export.csv")
    assert back == entries


def test_round_trip_inactive_flag():
    entries = [KbEntry("1", "Hỏi", [], "Đáp", active=False, updated_at="2025-07-01")]
    assert read_kb(write_kb_csv(entries), "x.csv") == entries


def test_starter_kb_round_trips_and_indexes():
    kb = load_starter_kb()
    assert read_kb(write_kb_csv(kb), "x.csv") == kb
    assert len(FaqIndex.build(kb)) == len(kb)
    for e in kb:
        assert e.question and e.answer and e.category
