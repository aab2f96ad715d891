"""Everyday-situation lexicon (normalize.SITUATIONS): a citizen's description of a situation
adds the administrative concept token and keeps its own words."""

from __future__ import annotations

import pytest

from handlers.faq import FaqIndex, KbEntry
from handlers.faq import normalize as nz


def _query_plains(text: str) -> list[str]:
    return [t.plain for t in nz.content_tokens(nz.fold(nz.analyse_raw(text), query=True))]


@pytest.mark.parametrize(
    ("query", "concept"),
    [
        ("em muốn mở quán bán trà sữa", "hokinhdoanh"),
        ("nhà em buôn bán tạp hóa nhỏ", "hokinhdoanh"),
        ("đóng cửa tiệm một thời gian", "ngungkd"),
        ("hàng xóm hát karaoke khuya quá", "tiengon"),
        ("mo loa to ca dem", "tiengon"),
        ("tối qua trộm vào lấy xe", "mattrom"),
        ("bé 2 tháng tiêm mũi gì", "tiemchung"),
        ("đánh rơi căn cước", "caplai"),
        ("con vào lớp một nộp hồ sơ ở đâu", "tuyensinh"),
        ("em định xây nhà 2 tầng", "gpxd"),
        ("bố em mất hôm qua", "khaitu"),
        ("vợ em vừa sinh con", "khaisinh"),
        ("cuối năm em lấy vợ", "kethon"),
        ("chuyển nhà về ở với bố mẹ", "cutru"),
        ("bị công ty cho nghỉ việc", "thatnghiep"),
        ("lũ lụt làm sập nhà", "thientai"),
    ],
)
def test_situation_adds_concept_and_keeps_words(query, concept):
    plains = _query_plains(query)
    assert concept in plains
    # the original words stay (expansion, not replacement)
    assert len(plains) > 1


def test_situation_blockers_and_display():
    assert "tamtru" not in _query_plains("cho thuê nhà nguyên căn")
    assert "sodo" not in _query_plains("xin cấp số nhà")
    assert "tiengon" not in _query_plains("làm ơn cho hỏi")
    # "nuoi ong mat" is keeping bees, not "ông mất" (grandfather died)
    assert "khaitu" not in _query_plains("xin giay phep nuoi ong mat o dau")
    assert "khaitu" in _query_plains("ong em mat roi")
    # the added concept is not shown in the readable normalised form
    assert nz.normalize("mở quán trà sữa") == "mở quán trà sữa"


def test_situation_matches_administrative_entry():
    kb = [
        KbEntry("kd", "Đăng ký hộ kinh doanh", ["thủ tục đăng ký kinh doanh hộ cá thể"], "Nộp hồ sơ tại UBND."),
        KbEntry("on", "Phản ánh tiếng ồn", ["gây ồn ào ban đêm báo ai"], "Gọi công an xã."),
        KbEntry("kt", "Đăng ký khai tử", ["làm giấy khai tử"], "Trong 15 ngày."),
        KbEntry("kh", "Đăng ký kết hôn", ["thủ tục kết hôn"], "Hai bên nam nữ."),
        KbEntry("ts", "Tuyển sinh lớp 1", ["đăng ký tuyển sinh đầu cấp"], "Tháng 7."),
        KbEntry("cc", "Cấp căn cước lần đầu", ["làm căn cước"], "Công an xã."),
    ]
    idx = FaqIndex.build(kb)
    for q, want in [
        ("em muốn mở quán bán trà sữa thì làm sao", "kd"),
        ("hàng xóm hát karaoke tới 12h đêm", "on"),
        ("bố em mất hôm qua cần làm gì", "kt"),
        ("con em vào lớp một nộp hồ sơ thế nào", "ts"),
    ]:
        res = idx.ask(q)
        assert res.matches and res.matches[0].entry.id == want, (q, res.decision, [m.entry.id for m in res.matches])


def test_intent_phrases_are_read_as_the_analyser_reads_queries():
    """The phrase lists once held forms no query can produce ("ly hon": the analyser spells "lý"
    as "li"), so "thủ tục ly hôn" was never recognised as a court matter."""
    for query, phrase in [("thủ tục ly hôn ở đâu", "li hon"), ("thu tuc ly hon", "li hon"),
                          ("xin lý lịch tư pháp số 1", "li lich tu phap"), ("tỷ số trận đấu", "ti so"),
                          ("xin trich luc ban do dia chinh", "ban do dia chinh"), ("thanh lý xe", "thanh li")]:
        toks = nz.analyse_raw(query)
        found = nz.private_intents(toks) | nz.non_procedural_cues([t.plain for t in toks])
        assert phrase in found, (query, found)
    # the sister's phone is private; "số điện thoại gì" (which number) is a question for the commune
    assert "dien thoai chi" in nz.private_intents(nz.analyse_raw("cho xin điện thoại chị Lan"))
    assert not nz.private_intents(nz.analyse_raw("so dien thoai gi cua xa"))


@pytest.mark.parametrize(("query", "word"), [
    ("the can cuoc bi hong", "hỏng"), ("muong hong lau roi", "hỏng"), ("nha bi sut lun", "lún"),
    ("co dc hong", "không"), ("thu 7 xa co lam viec hong", "không"), ("dang ky muon khai sinh", "quá hạn"),
])
def test_accentless_words_read_by_their_neighbours(query: str, word: str):
    """"hong" without diacritics is the southern "hông" (không) except after a thing that breaks
    ("bị hỏng", "mương hỏng"); "lun" is "luôn" except next to "sụt"/"nứt" (subsidence); a rewrite
    keyed "đăng ký" also matches the "đăng kí" spelling the analyser produces."""
    assert word in nz.normalize(query).split(" ") or word in nz.normalize(query)
