"""The simple baselines issue 3 names, measured on the project's evaluation sets beside the engine.

Run: ``.venv/bin/python benchmarks/faq_baselines.py [--jobs 2]``.

The issue says simple baselines "reach about 80–85 %" on citizen questions; this prints what they
reach on *our* sets, so the engine's figures can be read against them:

* ``tfidf``: diacritics stripped (đ → d), lower case, character 2–4-grams inside word boundaries,
  TF-IDF cosine between the question and each phrasing of an entry (question and variants), the
  entry's best phrasing wins;
* ``fuzzy``: the same stripping, RapidFuzz ``token_set_ratio`` against every phrasing;
* ``engine``: :class:`handlers.faq.FaqIndex` with the shipped model.

For each: **ranking** = share of answerable questions whose first entry is the expected one (no
decision: what a perfect answer/no-answer rule could reach), and **top-1 / false / wrong** with a
decision.  A baseline answers when its score passes one threshold, chosen on the *training* sets
(pooled) as the lowest that keeps false answers ≤ 4 % and wrong answers ≤ 2 % — the budgets of the
engine's fit — and then applied to the unseen sets.  The engine's figures are shown on unseen sets
only (it was fitted on the training sets).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz  # noqa: E402

from handlers.faq import FaqIndex, KbEntry  # noqa: E402
from handlers.faq.evaluate import read_cases  # noqa: E402
from handlers.faq.fit import EVAL_SETS, TRAINING_SETS, UNSEEN_SETS  # noqa: E402
from handlers.faq.kb_io import load_starter_kb, read_kb  # noqa: E402
from handlers.faq.normalize import strip_accents  # noqa: E402

FALSE_BUDGET, WRONG_BUDGET = 0.04, 0.02

# (top entry id, score) per case, or ("", 0.0) when nothing is ranked
Ranked = list[tuple[str, float]]


def strip(text: str) -> str:
    """Lower case without diacritics, đ → d, punctuation as spaces."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in strip_accents(text.lower())).split())


def phrasings(kb: list[KbEntry]) -> list[tuple[str, str]]:
    """(entry id, stripped phrasing) for every question and variant of the active entries."""
    return [(e.id, strip(p)) for e in kb if e.active for p in (e.question, *e.variants) if strip(p)]


def char_grams(text: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in text.split():
        w = f" {word} "
        for n in (2, 3, 4):
            grams.update(w[i : i + n] for i in range(max(1, len(w) - n + 1)))
    return grams


def tfidf_ranked(kb: list[KbEntry], queries: list[str]) -> Ranked:
    docs = phrasings(kb)
    grams = [char_grams(t) for _, t in docs]
    df = Counter(g for d in grams for g in d)
    idf = {g: math.log((1 + len(docs)) / (1 + c)) + 1 for g, c in df.items()}

    def vec(c: Counter[str]) -> dict[str, float]:
        v = {g: (1 + math.log(n)) * idf.get(g, 0.0) for g, n in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {g: x / norm for g, x in v.items()}

    vecs = [vec(g) for g in grams]
    post: dict[str, list[tuple[int, float]]] = {}
    for i, v in enumerate(vecs):
        for g, x in v.items():
            post.setdefault(g, []).append((i, x))
    out: Ranked = []
    for q in queries:
        acc: dict[int, float] = {}
        for g, x in vec(char_grams(strip(q))).items():
            for i, y in post.get(g, ()):
                acc[i] = acc.get(i, 0.0) + x * y
        if not acc:
            out.append(("", 0.0))
            continue
        i = max(acc, key=lambda j: (acc[j], -j))
        out.append((docs[i][0], acc[i]))
    return out


def fuzzy_ranked(kb: list[KbEntry], queries: list[str]) -> Ranked:
    docs = phrasings(kb)
    out: Ranked = []
    for q in queries:
        sq = strip(q)
        best = max(((fuzz.token_set_ratio(sq, t), -i) for i, (_, t) in enumerate(docs)), default=(0.0, 0))
        out.append((docs[-best[1]][0], best[0] / 100) if best[0] else ("", 0.0))
    return out


def engine_ranked(kb: list[KbEntry], queries: list[str]) -> tuple[Ranked, list[str]]:
    """The engine's first entry per question (after reranking) and the entry it *answered* with."""
    idx = FaqIndex.build(kb)
    ranked: Ranked = []
    answered: list[str] = []
    for q in queries:
        res = idx.ask(q)
        ranked.append((res.matches[0].entry.id, res.matches[0].score) if res.matches else ("", 0.0))
        answered.append(res.matches[0].entry.id if res.decision == "answer" and res.matches else "")
    return ranked, answered


def load(name: str) -> tuple[list[KbEntry], list[tuple[str, str]]]:
    kb_path, cases_path = EVAL_SETS[name]
    kb = load_starter_kb() if kb_path is None else read_kb(kb_path.read_bytes(), kb_path.name)
    return kb, read_cases(cases_path.read_bytes())


def measure(name: str) -> dict:
    """Every method's ranked (and, for the engine, answered) entries on one set."""
    kb, cases = load(name)
    queries = [q for q, _ in cases]
    out = {"name": name, "expected": [e for _, e in cases], "tfidf": tfidf_ranked(kb, queries),
           "fuzzy": fuzzy_ranked(kb, queries)}
    if name in UNSEEN_SETS:
        out["engine"], out["engine_answered"] = engine_ranked(kb, queries)
    return out


def rates(expected: list[str], answered: list[str]) -> tuple[float, float, float]:
    """(top-1, false, wrong) shares for the entries answered ("" = not answered)."""
    pos = [(e, a) for e, a in zip(expected, answered, strict=True) if e]
    neg = [a for e, a in zip(expected, answered, strict=True) if not e]
    top1 = sum(a == e for e, a in pos) / (len(pos) or 1)
    wrong = sum(bool(a) and a != e for e, a in pos) / (len(pos) or 1)
    false = sum(bool(a) for a in neg) / (len(neg) or 1)
    return top1, false, wrong


def ranking(expected: list[str], ranked: Ranked) -> float:
    pos = [(e, r) for e, (r, _) in zip(expected, ranked, strict=True) if e]
    return sum(r == e for e, r in pos) / (len(pos) or 1)


def threshold(results: list[dict], method: str) -> float:
    """The lowest score threshold keeping pooled false ≤ FALSE_BUDGET and wrong ≤ WRONG_BUDGET."""
    rows = [(s, e, r) for res in results for e, (r, s) in zip(res["expected"], res[method], strict=True)]
    for t in sorted({round(s, 4) for s, _, _ in rows}):
        answered = [r if s >= t else "" for s, _, r in rows]
        _, false, wrong = rates([e for _, e, _ in rows], answered)
        if false <= FALSE_BUDGET and wrong <= WRONG_BUDGET:
            return t
    return math.inf


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/faq_baselines.py")
    ap.add_argument("--jobs", type=int, default=2, help="processes (one set per task)")
    args = ap.parse_args(argv)
    names = list(TRAINING_SETS) + list(UNSEEN_SETS)
    with multiprocessing.get_context("fork").Pool(max(1, args.jobs)) as pool:
        results = {r["name"]: r for r in pool.map(measure, names)}
    train = [results[n] for n in TRAINING_SETS]
    cuts = {m: threshold(train, m) for m in ("tfidf", "fuzzy")}
    print(f"thresholds chosen on the {len(train)} training sets (false ≤ {FALSE_BUDGET:.0%}, wrong ≤ "
          f"{WRONG_BUDGET:.0%}): tfidf {cuts['tfidf']:.3f}, fuzzy {cuts['fuzzy']:.3f}")
    header = "  ".join(f"{m + ' rank':>11s}  {m + ' t1/false/wrong':>22s}" for m in ("tfidf", "fuzzy", "engine"))
    print(f"{'set':12s}{header}")
    means: dict[str, list[tuple[float, ...]]] = {"train": [], "unseen": []}
    for name in names:
        r = results[name]
        row, figs = [], []
        for m in ("tfidf", "fuzzy", "engine"):
            if m not in r:
                row.append(f"{'':>11s}  {'':>22s}")
                continue
            answered = r["engine_answered"] if m == "engine" else [
                e if s >= cuts[m] else "" for e, s in r[m]
            ]
            rk, (t1, fa, wa) = ranking(r["expected"], r[m]), rates(r["expected"], answered)
            figs += [rk, t1, fa, wa]
            row.append(f"{rk * 100:11.1f}  {t1 * 100:8.1f} /{fa * 100:5.1f} /{wa * 100:5.1f}")
        means["unseen" if name in UNSEEN_SETS else "train"].append(tuple(figs))
        print(f"{name:12s}" + "  ".join(row))
    for part, rows in means.items():
        cols = [sum(c) / len(rows) * 100 for c in zip(*rows, strict=True)]
        cells = [f"{cols[i]:11.1f}  {cols[i + 1]:8.1f} /{cols[i + 2]:5.1f} /{cols[i + 3]:5.1f}" for i in range(0, len(cols), 4)]
        print(f"{'mean ' + part:12s}" + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
