"""Evaluation of the FAQ engine on the project's own sets.

``faq_eval_cases.csv`` runs over the starter knowledge base (the set the engine was tuned on);
``faq_heldout_kb.csv`` + ``faq_heldout_cases.csv`` is a differently written knowledge base of
another commune; ``faq_blind_kb.csv`` + ``faq_blind_cases.csv`` (an urban ward, 0-3 variants per
entry, citizen-typed cases) was written before the last tuning round and never tuned on: its
figures were the honest estimate until its failure categories leaked into tuning;
``faq_fresh_kb.csv`` + ``faq_fresh_cases.csv`` (a northern mountain commune: agriculture,
forest land, poverty, disability, disasters; citizen-typed cases) is now the honest estimate:
it is only measured, never tuned on.

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

DATA = Path(__file__).parent / "data"
GOAL = {"top1": 0.95, "false_answer_rate": 0.05, "wrong_answer_rate": 0.03}
# current level minus a little slack: fails on regressions
FLOOR = {
    # measured 0.896 / 0.033 / 0.009 (query-likelihood ranking blend + posterior decision);
    # 0.907 / 0.0 / 0.017 with paraphrase groups, the "nhà" rule and the intent cues;
    # 0.910 / 0.0 / 0.017 with the anchored answer (engine._anchored);
    # 0.922 / 0.0 / 0.017 with concept syllables protected from correction and answer-df IDF;
    # 0.951 / 0.0 / 0.015 with the everyday-situation lexicon (normalize.SITUATIONS) and the near answer;
    # 0.957 / 0.0 / 0.012 with the sibling action dimension (engine.ACTIONS)
    "starter": {"top1": 0.94, "false_answer_rate": 0.03, "wrong_answer_rate": 0.03},
    # measured 0.937 / 0.029 / 0.0; then 0.937 / 0.029 / 0.008; 0.953 / 0.029 / 0.008 (anchored answer);
    # 0.984 / 0.029 / 0.0 (situation lexicon)
    "heldout": {"top1": 0.95, "false_answer_rate": 0.05, "wrong_answer_rate": 0.03},
    # blind set: measured 0.835 / 0.056 / 0.008, then 0.872 / 0.0 / 0.008, 0.880 / 0.0 / 0.008,
    # 0.925 / 0.0 / 0.008 with the situation lexicon (written without its cases; below the goal: floor only);
    # 0.940 / 0.0 / 0.0 with the action dimension (its failure categories have leaked into tuning since)
    "blind": {"top1": 0.92, "false_answer_rate": 0.03, "wrong_answer_rate": 0.03},
    # fresh set (a northern mountain commune, written before the action-dimension round and only
    # measured, never tuned on: the honest estimate): 0.865 / 0.154 / 0.014 before and after
    "fresh": {"top1": 0.85, "false_answer_rate": 0.17, "wrong_answer_rate": 0.03},
}


def _sets():
    starter = (load_starter_kb(), read_cases((DATA / "faq_eval_cases.csv").read_bytes()))
    held = (
        read_kb((DATA / "faq_heldout_kb.csv").read_bytes(), "faq_heldout_kb.csv"),
        read_cases((DATA / "faq_heldout_cases.csv").read_bytes()),
    )
    blind = (
        read_kb((DATA / "faq_blind_kb.csv").read_bytes(), "faq_blind_kb.csv"),
        read_cases((DATA / "faq_blind_cases.csv").read_bytes()),
    )
    fresh = (
        read_kb((DATA / "faq_fresh_kb.csv").read_bytes(), "faq_fresh_kb.csv"),
        read_cases((DATA / "faq_fresh_cases.csv").read_bytes()),
    )
    return {"starter": starter, "heldout": held, "blind": blind, "fresh": fresh}


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    return {name: evaluate(kb, cases) for name, (kb, cases) in _sets().items()}


def test_eval_sets_are_big_enough():
    sets = _sets()
    kb, cases = sets["starter"]
    ids = {e.id for e in kb}
    assert len(cases) >= 300
    assert all(e in ids for _, e in cases if e)
    negatives = [q for q, e in cases if not e]
    assert len(negatives) >= 0.15 * len(cases)
    assert {e for _, e in cases if e} == ids  # every entry is exercised
    kb2, cases2 = sets["heldout"]
    assert len(cases2) >= 150 and all(e in {x.id for x in kb2} for _, e in cases2 if e)
    kb3, cases3 = sets["blind"]
    assert len(kb3) >= 40 and len(cases3) >= 150
    assert {e for _, e in cases3 if e} == {x.id for x in kb3}
    assert sum(1 for _, e in cases3 if not e) >= 0.15 * len(cases3)
    kb4, cases4 = sets["fresh"]
    assert len(kb4) >= 40 and len(cases4) >= 150
    assert {e for _, e in cases4 if e} == {x.id for x in kb4}
    assert sum(1 for _, e in cases4 if not e) >= 0.15 * len(cases4)


@pytest.mark.parametrize("name", ["starter", "heldout", "blind", "fresh"])
def test_floor(results, name):
    r = results[name]
    print(format_report(r))
    f = FLOOR[name]
    assert r["top1"] >= f["top1"], format_report(r)
    assert r["false_answer_rate"] <= f["false_answer_rate"], format_report(r)
    assert r["wrong_answer_rate"] <= f["wrong_answer_rate"], format_report(r)


@pytest.mark.xfail(reason="top-1 goal of 95 % not reached yet (see report)", strict=False)
@pytest.mark.parametrize("name", ["starter", "heldout", "blind", "fresh"])
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
