"""Evaluation of the FAQ engine on the project's own sets.

Ninety-three knowledge bases with citizen-typed cases (about 26,100 in all), written by different
people for different places (handlers.faq.fit lists them): the starter base with
``faq_eval_cases.csv``, then ``faq_<name>_kb.csv`` + ``faq_<name>_cases.csv`` for a commune
(heldout), urban wards (blind, wardC, wardF), a northern mountain commune (fresh), generic rural
communes (communeA; communeB, without variants), a Central Highlands commune (highlandE), a commune
of migrant factory workers next to an industrial zone (industryK), a Mekong delta commune
(mekongI), a central-coast ward of fishermen (centralJ), a dense Hồ Chí Minh City ward (urbanL), a
Nghệ An commune of workers abroad and the grandparents at home (ngheO, short entries, few
phrasings), a Quảng Ninh coal-mining ward (quangninhP, many fine-grained siblings), a Đồng Nai
commune of rubber, cashew and durian farms (dongnaiQ), a Thái Nguyên tea commune with Tày and Nùng
households (teaR), a coastal commune (coastalD), a Red River delta commune (deltaG), a northern
mountain commune (mountainH), a peri-urban Hà Nội ward with recovered farmland (hanoiN), an island
commune of fishermen and homestays (islandM), a Mekong delta commune with Khmer households and
portal-style entries (soctrangS), a H'Mông and Dao border commune written in simple Vietnamese
(hagiangT), a Đà Nẵng tourist ward (danangU), a Bắc Ninh craft-village commune (bacninhV), and,
written from a brief that rules out the usual near-miss topics, a Lâm Đồng highland commune
(lamdongW), a Hải Phòng port ward (haiphongX), a Bến Tre coconut commune (bentreY), a Bình Định
fishing commune (binhdinhZ) — these four in training —, a Thanh Hóa lowland commune (thanhhoaA2), a
Gia Lai Central Highlands commune (gialaiB2), a Hồ Chí Minh City inner-city ward (hcmcC2) and a Yên
Bái mountain commune (yenbaiD2); and from session 7, from the same brief, fifteen in training
(hueE3, camauF3, sonlaG3, quangtriH3, dongankI3, ninhthuanJ3, longanK3, phuquocL3, thaibinhM3,
daklakN3, lysonO3, hoankiemP3, tayninhQ3, sapaR3, haugiangT3: Huế heritage ward, Cà Mau mangrove
commune, Sơn La Thái commune, Quảng Trị commune of war veterans and unexploded ordnance, Đông Anh
peri-urban commune, Ninh Thuận Chăm commune, Long An border commune, Phú Quốc island ward, Thái Bình
rice commune, Đắk Lắk Ê Đê commune, Lý Sơn island, Hà Nội old-quarter ward, Tây Ninh Cao Đài commune,
Sa Pa H'Mông and Dao ward, Hậu Giang canal commune), each measured unseen first, and one unseen
(vungtauS3: a Vũng Tàu seaside ward of offshore oil workers); and from session 9, from the same
brief, twelve in training (hoianA4, dienbienC4, binhduongD4, namdinhF4, hatinhG4, langsonH4,
quangngaiA5, caobangB5, ninhbinhD5, phuyenE5, bacgiangF5, hoabinhH5: Hội An old-town ward, Điện
Biên border commune with portal-style titles, Bình Dương ward of factory workers renting rooms, Nam
Định Catholic commune with "Hỏi: …" entries, Hà Tĩnh fishing commune in Nghệ Tĩnh speech, Lạng Sơn
border-trade commune with one-line entries, Quảng Ngãi commune beside the Dung Quất zone, Cao Bằng
Tày and Nùng commune, Ninh Bình heritage commune, Phú Yên lobster-farming commune, Bắc Giang lychee
commune, Hòa Bình reservoir commune), each measured unseen first, and four unseen (kontumB4: a Kon
Tum commune of Xơ Đăng and Ba Na villages writing simple Vietnamese; canthoE4: a Cần Thơ riverside
ward of floating-market traders; tiengiangC5: a Tiền Giang orchard commune; angiangG5: an An Giang
border commune with Chăm and Khmer villages); and eight more unseen, written while that model was
being fitted and measured only with it (haiduongA6 Hải Dương lychee commune beside an industrial
park, quangbinhB6 Quảng Bình flood commune, binhphuocC6 Bình Phước S'tiêng border commune, hungyenD6
Hưng Yên longan commune, vinhlongE6 Vĩnh Long pottery-kiln commune, laichauF6 Lai Châu Dao and Hà Nhì
commune, khanhhoaG6 Nha Trang beach ward, thanhxuanH6 Hà Nội apartment-block ward), and two more
written after it was fitted (cuchiG7 Củ Chi commune on the edge of Hồ Chí Minh City, dongthapC7 Sa
Đéc flower-village ward) and a third (baclieuE7: a Bạc Liêu commune of salt fields, shrimp ponds and
a wind farm, with Khmer and Hoa households) and a fourth (vinhphucH7: a Vĩnh Phúc commune of car-factory
workers and recovered rice land) and a fifth (namtramyB7: a Nam Trà My commune of Xê Đăng villages and
Ngọc Linh ginseng gardens) and a sixth (backanA7: a Bắc Kạn commune of Tày stilt-house homestays by
Ba Bể lake); and from session 10, eight in training written by the session itself when its helpers
wrote nothing (quangnamA9 Duy Xuyên commune by Mỹ Sơn and the Thu Bồn floods, socsonB9 Sóc Sơn
commune beside Nội Bài airport, samsonC9 Sầm Sơn beach ward, hoaiducD9 Hoài Đức craft-village commune
with portal-style titles, taygiangE9 Tây Giang Cơ Tu commune in simple Vietnamese, binhtanH9 Bình Tân
ward of migrant workers and hand-written house sales, nghialoG9 Nghĩa Lộ Thái commune, tamgiangJ9 Tam
Giang lagoon commune with "Hỏi:/Đáp:" entries), each measured unseen first; and five
unseen sets from helpers given the brief (tuyenquangF8: a Tuyên Quang commune of Tày, Dao and Sán Chay
villages near Tân Trào with "Hỏi:/Đáp:" entries; hanamA8: a Hà Nam commune by the Đáy river, its
quarries, cement plant and Tam Chúc pagoda, with "Thủ tục …" entries; mongcaiG8: a Móng Cái border
ward of traders, porters and cross-border marriages, with statement-style entries; binhthuanC8: a
Mũi Né ward of dragon-fruit farms, fish-sauce makers and kite-surfing, with "Dạ, …" answers;
kiengiangE8: a U Minh Thượng commune of rice-shrimp fields and melaleuca forest, with one-line
answers), which arrived
after the session's fit had started and were measured only with its model.

The learnt reranker and decision model (handlers/faq/decision_model.json) are fitted on the
*training* sets; the thirty-seven ``UNSEEN_SETS`` (coastalD to bacninhV, thanhhoaA2 to kiengiangE8) are
never used for fitting or tuning: their figures are the honest estimate on an unseen base.  The training sets' figures are
in-sample (the honest leave-one-base-out figures are printed by ``python -m handlers.faq.fit`` and
noted in NOTES.md).

The issue's goal is top-1 >= 95 %, false answers <= 5 %, wrong answers <= 3 %.  The goal tests
are marked xfail while the engine is below it (so the suite stays green but the gap is visible:
they turn into XPASS once reached); the floor tests catch regressions from the current level.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.faq import load_starter_kb, read_kb
from handlers.faq.evaluate import evaluate, format_report, main, read_cases
from handlers.faq.fit import EVAL_SETS, UNSEEN_SETS

DATA = Path(__file__).parent / "data"
GOAL = {"top1": 0.95, "false_answer_rate": 0.05, "wrong_answer_rate": 0.03}
# measured with the shipped model (top-1 / false / wrong), minus a little slack: fails on regressions
MEASURED = {
    "starter": (0.965, 0.000, 0.009),
    "heldout": (0.992, 0.029, 0.000),
    "blind": (0.947, 0.028, 0.000),
    "fresh": (0.986, 0.000, 0.000),
    "wardC": (0.915, 0.030, 0.025),
    "communeB": (0.924, 0.000, 0.008),
    "communeA": (0.892, 0.014, 0.018),
    "highlandE": (0.911, 0.015, 0.005),
    "wardF": (0.897, 0.000, 0.015),
    "industryK": (0.851, 0.053, 0.009),
    "mekongI": (0.871, 0.014, 0.023),
    "centralJ": (0.921, 0.014, 0.028),
    "urbanL": (0.916, 0.014, 0.014),
    "ngheO": (0.837, 0.000, 0.009),
    "quangninhP": (0.932, 0.013, 0.004),
    "dongnaiQ": (0.907, 0.053, 0.023),
    "teaR": (0.874, 0.027, 0.014),
    # near-miss questions invented for the place (the usual topics ruled out by the brief)
    "lamdongW": (0.944, 0.039, 0.005),
    "haiphongX": (0.940, 0.013, 0.019),
    "bentreY": (0.935, 0.013, 0.000),
    "binhdinhZ": (0.931, 0.038, 0.000),
    "hueE3": (0.914, 0.013, 0.018),
    "camauF3": (0.944, 0.000, 0.014),
    "sonlaG3": (0.870, 0.013, 0.032),
    "quangtriH3": (0.935, 0.026, 0.014),
    "dongankI3": (0.901, 0.067, 0.027),
    "ninhthuanJ3": (0.930, 0.026, 0.005),
    "longanK3": (0.921, 0.038, 0.023),
    "phuquocL3": (0.916, 0.000, 0.019),
    "thaibinhM3": (0.899, 0.013, 0.000),
    "daklakN3": (0.902, 0.013, 0.014),
    "lysonO3": (0.911, 0.038, 0.014),
    "hoankiemP3": (0.898, 0.000, 0.014),
    "tayninhQ3": (0.874, 0.026, 0.023),
    "sapaR3": (0.719, 0.051, 0.037),
    "haugiangT3": (0.935, 0.000, 0.014),
    "hoianA4": (0.883, 0.027, 0.000),
    "dienbienC4": (0.902, 0.013, 0.019),
    "binhduongD4": (0.898, 0.013, 0.005),
    "namdinhF4": (0.912, 0.040, 0.009),
    "hatinhG4": (0.906, 0.013, 0.009),
    "langsonH4": (0.865, 0.000, 0.014),
    "quangngaiA5": (0.972, 0.051, 0.005),
    "caobangB5": (0.885, 0.039, 0.023),
    "ninhbinhD5": (0.925, 0.013, 0.014),
    "phuyenE5": (0.930, 0.013, 0.009),
    "bacgiangF5": (0.913, 0.038, 0.018),
    "hoabinhH5": (0.926, 0.026, 0.005),
    # session 10, written by the session itself: measured unseen first, then fitted on
    "quangnamA9": (0.925, 0.029, 0.021),
    "socsonB9": (0.892, 0.045, 0.019),
    "samsonC9": (0.956, 0.036, 0.000),
    "hoaiducD9": (0.885, 0.078, 0.015),
    "taygiangE9": (0.909, 0.040, 0.041),
    "binhtanH9": (0.887, 0.020, 0.026),
    "nghialoG9": (0.856, 0.023, 0.027),
    "tamgiangJ9": (0.897, 0.026, 0.035),
    # never used for fitting: the honest estimate
    "coastalD": (0.880, 0.000, 0.005),
    "deltaG": (0.888, 0.000, 0.013),
    "mountainH": (0.777, 0.043, 0.042),
    "hanoiN": (0.843, 0.014, 0.014),
    "islandM": (0.808, 0.014, 0.027),
    "soctrangS": (0.891, 0.027, 0.023),
    "hagiangT": (0.833, 0.013, 0.046),
    "danangU": (0.865, 0.013, 0.042),
    "bacninhV": (0.810, 0.040, 0.032),
    # ... and written from the brief that rules out the usual near-miss topics
    "thanhhoaA2": (0.883, 0.026, 0.028),
    "gialaiB2": (0.935, 0.000, 0.014),
    "hcmcC2": (0.843, 0.040, 0.023),
    "yenbaiD2": (0.861, 0.040, 0.019),
    "vungtauS3": (0.865, 0.038, 0.023),
    "kontumB4": (0.824, 0.039, 0.028),
    "canthoE4": (0.873, 0.025, 0.014),
    "tiengiangC5": (0.879, 0.013, 0.000),
    "angiangG5": (0.879, 0.000, 0.009),
    # written while the session-9 model was fitted, measured only with it
    "haiduongA6": (0.935, 0.078, 0.009),
    "quangbinhB6": (0.893, 0.080, 0.023),
    "binhphuocC6": (0.909, 0.080, 0.027),
    "hungyenD6": (0.898, 0.027, 0.005),
    "vinhlongE6": (0.861, 0.087, 0.023),
    "laichauF6": (0.775, 0.052, 0.038),
    "khanhhoaG6": (0.861, 0.065, 0.009),
    "thanhxuanH6": (0.930, 0.078, 0.009),
    "cuchiG7": (0.912, 0.026, 0.000),
    "dongthapC7": (0.893, 0.053, 0.028),
    "backanA7": (0.874, 0.063, 0.023),
    "namtramyB7": (0.851, 0.052, 0.009),
    "vinhphucH7": (0.935, 0.063, 0.005),
    "baclieuE7": (0.857, 0.026, 0.023),
    # session 10, by helpers, measured only with the 56-set model
    "tuyenquangF8": (0.912, 0.040, 0.005),
    "hanamA8": (0.894, 0.078, 0.023),
    "mongcaiG8": (0.848, 0.027, 0.018),
    "binhthuanC8": (0.874, 0.025, 0.023),
    "kiengiangE8": (0.851, 0.067, 0.042),
}
SLACK = {"top1": 0.03, "false_answer_rate": 0.03, "wrong_answer_rate": 0.02}
FLOOR = {
    name: {
        "top1": top1 - SLACK["top1"],
        "false_answer_rate": false + SLACK["false_answer_rate"],
        "wrong_answer_rate": wrong + SLACK["wrong_answer_rate"],
    }
    for name, (top1, false, wrong) in MEASURED.items()
}


def _sets():
    out = {}
    for name, (kb_path, cases_path) in EVAL_SETS.items():
        kb = load_starter_kb() if kb_path is None else read_kb(kb_path.read_bytes(), kb_path.name)
        out[name] = (kb, read_cases(cases_path.read_bytes()))
    return out


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    return {name: evaluate(kb, cases) for name, (kb, cases) in _sets().items()}


def test_eval_sets_are_big_enough():
    sets = _sets()
    assert set(sets) == set(MEASURED) and set(UNSEEN_SETS) <= set(sets)
    kb, cases = sets["starter"]
    assert len(cases) >= 300
    for name, (kb, cases) in sets.items():
        ids = {e.id for e in kb}
        assert len(cases) >= 150, name
        assert all(e in ids for _, e in cases if e), name
        assert {e for _, e in cases if e} == ids, name  # every entry is exercised
        assert sum(1 for _, e in cases if not e) >= 0.15 * len(cases), name


@pytest.mark.parametrize("name", list(MEASURED))
def test_floor(results, name):
    r = results[name]
    print(format_report(r))
    f = FLOOR[name]
    assert r["top1"] >= f["top1"], format_report(r)
    assert r["false_answer_rate"] <= f["false_answer_rate"], format_report(r)
    assert r["wrong_answer_rate"] <= f["wrong_answer_rate"], format_report(r)


@pytest.mark.xfail(reason="top-1 goal of 95 % not reached yet (see report)", strict=False)
@pytest.mark.parametrize("name", list(MEASURED))
def test_goal(results, name):
    r = results[name]
    assert r["top1"] >= GOAL["top1"], format_report(r)
    assert r["false_answer_rate"] <= GOAL["false_answer_rate"], format_report(r)
    assert r["wrong_answer_rate"] <= GOAL["wrong_answer_rate"], format_report(r)


def test_latency(results):
    for r in results.values():
        assert r["p99_ms"] < 25.0  # generous: CI machines are noisy; benchmarks/faq.py measures the goal


def test_result_keys(results):
    r = results["starter"]
    for k in ("top1", "false_answer_rate", "wrong_answer_rate", "p50_ms", "p99_ms", "cases"):
        assert k in r
    for r in results.values():  # answered right, or the right entry offered among the suggestions
        reach = r["top1"] + r["suggested_correct"] / r["answerable"]
        assert r["answered_or_suggested"] == pytest.approx(reach, abs=1e-4) and reach >= r["top1"]
    assert "right entry answered or offered" in format_report(results["starter"])


def test_cli_json(capsys):
    rc = main(["--kb", str(DATA / "faq_heldout_kb.csv"), "--cases", str(DATA / "faq_heldout_cases.csv"), "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cases"] >= 150 and 0 <= out["top1"] <= 1


def test_cli_bad_kb(tmp_path, capsys):
    bad = tmp_path / "kb.csv"
    bad.write_text("id,question,variants,answer\n1,,,\n", encoding="utf-8")
    cases = tmp_path / "c.csv"
    cases.write_text("query,expected_id\nabc,\n", encoding="utf-8")
    assert main(["--kb", str(bad), "--cases", str(cases)]) == 2
    assert "Dòng 2" in capsys.readouterr().err


def test_read_cases_bom_and_empty_expected():
    data = "\ufeffquery,expected_id\nthu tuc khai sinh,ks\nok,\n".encode()
    assert read_cases(data) == [("thu tuc khai sinh", "ks"), ("ok", "")]
