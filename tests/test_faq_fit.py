"""The learnt parts of the FAQ decision: fitting (handlers.faq.fit) and the shipped model."""

from __future__ import annotations

import csv
import json
import random

from handlers.faq import decision, fit
from handlers.faq.decision import LogisticRule, Reranker, load_model
from handlers.faq.engine import FaqIndex
from handlers.faq.kb_io import load_starter_kb


def _samples(n: int = 400, seed: int = 3) -> list[fit.Sample]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        label = int(i % 3 != 0)
        answerable = bool(label) or i % 2 == 0
        f = {name: rnd.gauss(0.0, 1.0) for name in decision.FEATURES}
        f["s1"] = rnd.gauss(1.5 if label else -1.0, 0.7)  # the informative feature
        out.append(fit.Sample(f, label, answerable))
    return out


def test_fit_decision_learns_the_informative_feature():
    samples = _samples()
    rule = fit.fit_decision(samples)
    assert max(rule.weights, key=lambda n: abs(rule.weights[n])) == "s1" and rule.weights["s1"] > 0
    m = fit.metrics(rule, samples)
    assert m["top1"] > 0.7
    assert m["false"] <= fit.FALSE_BUDGET + 1e-9 and m["wrong"] <= fit.WRONG_BUDGET + 1e-9


def test_threshold_keeps_the_budgets():
    samples = _samples(seed=9)
    rule = LogisticRule({"s1": 1.0}, 0.0, 0.5, {"s1": (0.0, 1.0)})
    t = fit.best_threshold(rule, samples)
    m = fit.metrics(LogisticRule(rule.weights, rule.bias, t, rule.scale), samples)
    assert m["false"] <= fit.FALSE_BUDGET and m["wrong"] <= fit.WRONG_BUDGET
    # any lower threshold breaks a budget or answers nothing more
    lower = fit.metrics(LogisticRule(rule.weights, rule.bias, t - 0.05, rule.scale), samples)
    assert lower["top1"] >= m["top1"]


def test_fit_reranker_prefers_the_right_candidate():
    rnd = random.Random(5)
    cases = []
    for i in range(120):
        cands = [{n: rnd.random() for n in decision.CANDIDATE_FEATURES} for _ in range(5)]
        right = rnd.randrange(5)
        cands[right]["char_sim"] += 1.0
        c = fit.Case(f"q{i}", f"e{right}", index=None)  # type: ignore[arg-type]
        c.candidates, c.candidate_ids = cands, [f"e{k}" for k in range(5)]
        cases.append(c)
    rr = fit.fit_reranker(cases)
    assert max(rr.weights, key=lambda n: rr.weights[n]) == "char_sim"
    hits = sum(max(range(5), key=lambda k: rr.scores(c.candidates)[k]) == c.candidate_ids.index(c.expected) for c in cases)
    assert hits / len(cases) > 0.9


def test_model_file_round_trip(tmp_path):
    trees = [{"f": "s1", "t": 0.5, "l": {"v": -0.25}, "r": {"v": 0.5}}]
    doc = {
        "weights": {"s1": 2.0}, "bias": -1.0, "threshold": 0.6, "scale": {"s1": [0.5, 0.25]}, "trees": trees,
        "reranker": {"weights": {"sim": 1.0}, "scale": {"sim": [0.0, 1.0]}},
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    rule, rr = load_model(path)
    assert isinstance(rule, LogisticRule) and isinstance(rr, Reranker)
    # z = -1 + 2 * (1.0 - 0.5) / 0.25 + 0.5 (right leaf) = 3.5
    assert abs(rule.log_odds({"s1": 1.0}) - 3.5) < 1e-9
    assert rule.passes({"s1": 1.0}) and not rule.passes({"s1": 0.0})
    assert rr.scores([{"sim": 0.2}, {"sim": 0.7}]) == [0.2, 0.7]
    assert load_model(tmp_path / "missing.json") == (None, None)


def test_shipped_model_features_are_complete_and_bounded():
    idx = FaqIndex.build(load_starter_kb())
    for q in ("thu tuc lam cccd", "giá vàng hôm nay", "mất sổ đỏ làm lại thế nào", "karaoke nào gần đây hát hay"):
        content, _, _ = idx._analyse_query(q)
        rk = idx._rerank(q, content, idx._rank(content))
        f = idx.features(q, content, rk)
        assert set(f) == set(decision.FEATURES)
        assert all(isinstance(v, float) and v == v for v in f.values())  # no NaN
        assert 0.0 <= decision.MODEL.probability(f) <= 1.0
        cands = idx.candidate_features(content, rk, q)
        assert cands and all(set(c) == set(decision.CANDIDATE_FEATURES) for c in cands)
    assert idx.ask("giá vàng hôm nay").decision != "answer"


def _small_set(tmp_path, name: str) -> str:
    kb = tmp_path / f"{name}_kb.csv"
    kb.write_text(
        "id,question,variants,answer\n"
        "ks,Đăng ký khai sinh,Làm giấy khai sinh cho con,Nộp tại UBND xã.\n"
        "kh,Đăng ký kết hôn,Làm giấy kết hôn,Hai bên nộp tại UBND xã.\n"
        "kt,Đăng ký khai tử,Báo tử cho người mất,Người thân nộp tại UBND xã.\n",
        encoding="utf-8",
    )
    cases = tmp_path / f"{name}_cases.csv"
    rows = ["query,expected_id"]
    for q, e in [("lam giay khai sinh", "ks"), ("con moi sinh lam giay gi", "ks"), ("dang ky ket hon", "kh"),
                 ("cuoi vo can giay gi", "kh"), ("bo em mat roi bao tu", "kt"), ("khai tu o dau", "kt"),
                 ("gia vang hom nay", ""), ("bong da toi nay", ""), ("cam on ad", "")] * 3:
        rows.append(f"{q},{e}")
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return f"{name}={kb},{cases}"


def test_fit_cli_on_small_sets(tmp_path, capsys):
    assert fit.main(["--set", _small_set(tmp_path, "a"), "--set", _small_set(tmp_path, "b"), "--no-rerank"]) == 0
    out = capsys.readouterr().out
    assert "leave one knowledge base out" in out and "a " in out and "final models on a, b" in out


def test_fit_cli_parallel_folds_match_serial_and_write_oof(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(fit, "TREES", 5)
    monkeypatch.setattr(fit, "RERANK_TREES", 5)
    sets = [arg for name in "abc" for arg in ("--set", _small_set(tmp_path, name))]
    assert fit.main(sets) == 0
    serial = capsys.readouterr().out
    oof = tmp_path / "oof.csv"
    assert fit.main([*sets, "--jobs", "2", "--oof", str(oof)]) == 0
    parallel = capsys.readouterr().out
    assert serial.splitlines()[:4] == parallel.splitlines()[:4]  # same threshold and per-set figures
    rows = list(csv.DictReader(oof.open(encoding="utf-8")))
    assert len(rows) == 3 * 27 and {r["set"] for r in rows} == {"a", "b", "c"}
    answered = [r for r in rows if r["answered"] == "1"]
    assert answered and all(r["top_id"] for r in answered)
    assert all(r["correct"] == str(int(r["top_id"] == r["expected_id"])) for r in rows if r["top_id"] and r["expected_id"])


def test_stacked_samples_rerank_each_base_without_it(monkeypatch):
    data = {name: fit.cases_for(None, fit.EVAL_SETS["starter"][1]) for name in "abcd"}
    for cases in data.values():
        del cases[40:]
    owner = {id(c): name for name, cases in data.items() for c in cases}
    seen: list[set[str]] = []
    real = fit.fit_reranker

    def recording(cases, *args):
        seen.append({owner[id(c)] for c in cases})
        return real(cases, *args)

    monkeypatch.setattr(fit, "fit_reranker", recording)
    monkeypatch.setattr(fit, "RERANK_TREES", 0)
    monkeypatch.setattr(fit, "STACK_FOLDS", 2)
    out = fit.stacked_samples(data, list("abcd"), Reranker())
    assert len(out) == 4 * 40
    assert seen == [{"b", "d"}, {"a", "c"}]  # bases a, c reranked without them, then b, d


def test_query_prior_learns_words_of_questions_no_entry_answers(tmp_path):
    idx = FaqIndex.build(load_starter_kb())
    cases = []
    for q, e in [("gia vang hom nay bao nhieu", ""), ("quan an nao ngon gan day", ""), ("gia xang hom nay", ""),
                 ("tiem nao ban dien thoai re", ""), ("lam giay khai sinh o dau", "ht-khaisinh"),
                 ("dang ky ket hon can gi", "ht-kethon"), ("lam cccd cho con", "cc-landau"),
                 ("khai tu cho ba", "ht-khaitu")] * 3:
        content, _, _ = idx._analyse_query(q)
        cases.append(fit.Case(q, e, idx, content, idx._rank(content)))
    prior = fit.fit_query_prior(cases)
    assert prior.weights["gia"] > 1.0 and prior.weights["lam"] < -1.0 and prior.bias == 0.0
    assert prior.log_odds(["gia", "vang"]) > 2.0 > -2.0 > prior.log_odds(["lam", "giay", "khaisinh"])
    assert fit.QueryPrior().log_odds(["gia", "vang"]) == 0.0  # not fitted: no opinion
    # stored with the model and read back
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"query_prior": {"bias": prior.bias, "weights": prior.weights}}), encoding="utf-8")
    assert decision.load_query_prior(path) == prior
    assert decision.load_query_prior(tmp_path / "missing.json") == decision.QueryPrior()


def test_shipped_model_uses_the_query_prior_and_word_links():
    assert decision.QUERY_PRIOR.weights and "query_prior" in decision.MODEL.weights
    assert decision.WORD_LINKS.links and "links_unexplained" in decision.MODEL.weights
    idx = FaqIndex.build(load_starter_kb())
    for q, sign in (("quán nào bán bún bò ngon nhất xã", 1), ("làm giấy khai sinh cho con cần gì", -1)):
        content, _, _ = idx._analyse_query(q)
        f = idx.features(q, content, idx._rerank(q, content, idx._rank(content)))
        assert f["query_prior"] * sign > 0, (q, f["query_prior"])


def test_word_links_explain_the_words_an_entry_lacks(tmp_path):
    idx = FaqIndex.build(load_starter_kb())
    cases = []
    for q, e in [("hai dua tinh cuoi can giay gi", "ht-kethon"), ("cuoi vo can lam giay gi", "ht-kethon"),
                 ("sap cuoi thi dang ky o dau", "ht-kethon"), ("vo moi de lam giay cho be", "ht-khaisinh"),
                 ("de con xong lam giay gi", "ht-khaisinh"), ("gia vang hom nay", "")] * 2:
        content, _, _ = idx._analyse_query(q)
        cases.append(fit.Case(q, e, idx, content, idx._rank(content)))
    links = fit.fit_word_links(cases)
    assert links.links["cuoi"]["kethon"] > 0.5 and "kethon" not in links.links.get("de", {})
    marriage = {t for t in idx._tcounts[next(k for k, x in enumerate(idx.entries) if x.id == "ht-kethon")]
                if " " not in t}
    linked = links.features({"cuoi", "kethon"}, marriage)  # "cưới" is how citizens say "kết hôn"
    assert linked == (links.links["cuoi"]["kethon"], 0.5 if links.links["cuoi"]["kethon"] < 1.0 else 0.0)
    assert links.features({"sodo", "kethon"}, marriage) == (0.0, 0.5)  # nothing links "sổ đỏ" to marriage
    assert links.features({"kethon"}, marriage) == (0.0, 0.0)
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"word_links": links.links}), encoding="utf-8")
    assert decision.load_word_links(path) == links
    assert decision.load_word_links(tmp_path / "missing.json") == decision.WordLinks()


def test_paraphrases_carry_what_citizens_meant_to_another_base(tmp_path):
    """Questions asked of one base point, on another base, to the entry like the one that
    answered them -- even when the new question shares no word with that entry."""
    from handlers.faq import KbEntry

    idx = FaqIndex.build(load_starter_kb())
    cases = []
    for q, e in [("hai dua tinh cuoi can giay gi", "ht-kethon"), ("ny dinh cuoi thi can lam gi", "ht-kethon"),
                 ("sap cuoi thi dang ky o dau", "ht-kethon"), ("vo moi de lam giay cho be", "ht-khaisinh"),
                 ("de con xong lam giay gi", "ht-khaisinh"), ("gia vang hom nay", "")]:
        content, _, _ = idx._analyse_query(q)
        cases.append(fit.Case(q, e, idx, content, idx._rank(content)))
    para = fit.fit_paraphrases(cases)
    assert len(para.questions) == 5 and len(para.entries) == 2  # no-answer questions are not kept
    other = FaqIndex.build([
        KbEntry("kh", "Thủ tục đăng ký kết hôn tại xã", answer="Nộp tờ khai đăng ký kết hôn tại UBND xã."),
        KbEntry("ks", "Đăng ký khai sinh cho trẻ", answer="Nộp tờ khai khai sinh và giấy chứng sinh."),
    ])
    content, _, _ = other._analyse_query("ny em dinh cuoi thang sau")
    words = {t.plain for t in content}
    near = para.nearest(words)
    assert near and abs(sum(near.values()) - 1.0) < 1e-9
    profile = para.profile(words)
    marriage, birth = (para.support(profile, other.entry_words(k)) for k in (0, 1))
    assert marriage > 2 * birth and 0.0 < marriage <= 1.0 + 1e-9
    # the profile is the share-weighted cosine with each neighbour entry, summed
    entry = other.entry_words(0)
    direct = sum(
        share * sum(para._eidf[w] ** 2 for w in para.entries[e] & entry) / para._enorm[e] for e, share in near.items()
    ) / para._norm(entry)
    assert abs(marriage - direct) < 1e-9
    assert para.nearest({"xoso"}) == {} and para.support(para.profile({"xoso"}), entry) == 0.0
    path = tmp_path / "paraphrases.json"
    path.write_text(json.dumps(para.document()), encoding="utf-8")
    again = decision.load_paraphrases(path)
    assert again.nearest(words) == near and again.profile(words) == profile
    assert not decision.load_paraphrases(tmp_path / "missing.json")


def test_fold_groups_leave_each_set_out_exactly_once(tmp_path, capsys, monkeypatch):
    assert fit.fold_groups(["a", "b", "c"], 0) == [("a",), ("b",), ("c",)]
    groups = fit.fold_groups([f"s{i}" for i in range(7)], 3)
    assert len(groups) == 3 and sorted(n for g in groups for n in g) == [f"s{i}" for i in range(7)]
    monkeypatch.setattr(fit, "TREES", 5)
    monkeypatch.setattr(fit, "RERANK_TREES", 5)
    sets = [arg for name in "abcd" for arg in ("--set", _small_set(tmp_path, name))]
    oof = tmp_path / "oof.csv"
    assert fit.main([*sets, "--folds", "2", "--oof", str(oof)]) == 0
    out = capsys.readouterr().out
    assert "leave 2 groups of knowledge bases out" in out and "final models on a, b, c, d" in out
    rows = list(csv.DictReader(oof.open(encoding="utf-8")))
    assert len(rows) == 4 * 27 and {r["set"] for r in rows} == {"a", "b", "c", "d"}
