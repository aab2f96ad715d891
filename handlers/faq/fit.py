"""Fit the FAQ reranker and answer/no-answer model (:mod:`decision`) on labelled evaluation sets.

``python -m handlers.faq.fit [--set NAME=KB.csv,CASES.csv ...] [--holdout NAME ...] [--unseen] [--write] [--jobs N] [--folds N]``

Every set is a knowledge base with its own cases (``query,expected_id``); by default the project's
training sets (:data:`TRAINING_SETS`).  For each case the engine ranks entries once; then

* the reranker (a conditional logit over the leading candidates' features, plus boosted trees on
  its softmax loss) learns which candidate is the expected entry;
* the decision model (a logistic regression plus boosted trees) learns, from the reranked top
  candidate's features (:meth:`engine.FaqIndex.features`), whether it is the expected entry
  (label 0: another entry, or a question with no answer).  One of its features is the query
  prior (:class:`decision.QueryPrior`, naive Bayes over the question's words: "nào tốt", "giá
  vàng" are asked of communes that cannot answer them).  The reranker's cross-base features (word
  links, :class:`decision.Paraphrases`) are set from models fitted without the case's group of
  bases (:func:`cross_base_candidates`).  It is fitted on cases reranked and
  scored by a reranker, a prior and word links (:class:`decision.WordLinks`) that did not see
  their base (:func:`stacked_samples`), as a new base will be.  Its threshold is the lowest that keeps
  false and wrong answers within FALSE_BUDGET and WRONG_BUDGET on *out-of-fold* probabilities:
  every training case scored by the models fitted without its knowledge base (in-sample
  probabilities are over-confident and would answer too much on a new base).

The tool prints, for every set, the metrics of models fitted *without* that set (leave one
knowledge base out, or with ``--folds N`` one of N groups of bases: the honest estimate on an unseen
base), then fits on all sets but the
``--holdout`` ones; ``--unseen`` measures the final models on :data:`UNSEEN_SETS` (never used for
fitting); ``--write`` stores them in ``decision_model.json``.  Pure Python, no dependency.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import math
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import normalize as nz
from .decision import (
    CANDIDATE_FEATURES,
    FEATURES,
    MODEL_PATH,
    PARAPHRASES_PATH,
    LogisticRule,
    Paraphrases,
    QueryPrior,
    Reranker,
    WordLinks,
    cross_base_features,
    query_terms,
)
from .engine import FaqIndex, Ranking, question_words
from .evaluate import read_cases
from .kb_io import load_starter_kb, read_kb

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
# The project's evaluation sets: a knowledge base each (None = the starter base) with its cases,
# written by different people for different places (see tests/test_faq_eval.py).
TRAINING_SETS = (
    "starter", "heldout", "blind", "fresh", "wardC", "communeB", "communeA", "highlandE", "wardF", "industryK",
    "mekongI", "centralJ", "urbanL", "ngheO", "quangninhP", "dongnaiQ", "teaR",
    # written from the brief that rules out the usual near-miss topics (passport, divorce, karaoke, ...)
    "lamdongW", "haiphongX", "bentreY", "binhdinhZ",
    # session 7, same brief: measured unseen first, then added
    "hueE3", "camauF3", "sonlaG3", "quangtriH3", "dongankI3", "ninhthuanJ3", "longanK3", "phuquocL3",
    "thaibinhM3", "daklakN3", "lysonO3", "hoankiemP3", "tayninhQ3", "sapaR3", "haugiangT3",
    # session 9, same brief: measured unseen first, then added
    "hoianA4", "dienbienC4", "binhduongD4", "namdinhF4", "hatinhG4", "langsonH4",
    "quangngaiA5", "caobangB5", "ninhbinhD5", "phuyenE5", "bacgiangF5", "hoabinhH5",
    # session 10, written by the session itself (the helpers wrote nothing): measured unseen first,
    # then added; never unseen candidates (their writer knew the engine)
    "quangnamA9", "socsonB9", "samsonC9", "hoaiducD9", "taygiangE9", "binhtanH9", "nghialoG9", "tamgiangJ9",
)
# never used for fitting nor tuning: the honest estimate
UNSEEN_SETS = (
    "coastalD", "deltaG", "mountainH", "hanoiN", "islandM", "soctrangS", "hagiangT", "danangU", "bacninhV",
    # written from the brief that rules out the usual near-miss topics
    "thanhhoaA2", "gialaiB2", "hcmcC2", "yenbaiD2",
    # session 7, same brief, written after the others were moved into training
    "vungtauS3",
    # session 9, same brief (chosen to stay unseen before they were measured)
    "kontumB4", "canthoE4", "tiengiangC5", "angiangG5",
    # session 9, written while the session's fit ran: measured only with its final model
    "haiduongA6", "quangbinhB6", "binhphuocC6", "hungyenD6", "vinhlongE6", "laichauF6", "khanhhoaG6", "thanhxuanH6",
    # session 9, written for a second refit that was not run (their round was late): unseen too
    "cuchiG7", "dongthapC7", "backanA7", "namtramyB7", "vinhphucH7", "baclieuE7",
    # session 10, by helpers from the same brief, arrived after the session's fit had started
    "tuyenquangF8", "hanamA8", "mongcaiG8", "binhthuanC8", "kiengiangE8",
)
EVAL_SETS: dict[str, tuple[Path | None, Path]] = {
    "starter": (None, DATA / "faq_eval_cases.csv"),
    **{
        name: (DATA / f"faq_{name}_kb.csv", DATA / f"faq_{name}_cases.csv")
        for name in TRAINING_SETS[1:] + UNSEEN_SETS
    },
}
DEFAULT_SETS = {name: EVAL_SETS[name] for name in TRAINING_SETS}
L2 = 1.0
TREES = 80  # boosting rounds on top of the logistic model (0: logistic only)
RERANK_TREES = 80  # ... and on top of the reranker's conditional logit
TREE_RATE = 0.3
TREE_L2 = 5.0
TREE_MIN_LEAF = 30
TREE_DEPTH = 2
STACK_FOLDS = 5  # > 0: fit the decision on out-of-fold reranker, prior and link outputs (stacked_samples)
FALSE_BUDGET = 0.04
WRONG_BUDGET = 0.02  # leave-one-out under-states wrong answers on a new base by ~1 point (session 6)


@dataclass
class Case:
    query: str
    expected: str
    index: FaqIndex
    content: list[nz.Tok] = field(default_factory=list)
    ranking: Ranking | None = None  # None: chit-chat or nothing ranked (never answered)
    candidates: list[dict[str, float]] = field(default_factory=list)
    candidate_ids: list[str] = field(default_factory=list)


@dataclass
class Sample:
    features: dict[str, float] | None  # None: never answered
    label: int  # 1 = the top candidate is the expected entry
    answerable: bool
    top: str = ""  # the reranked top candidate's id


def cases_for(kb_path: Path | None, cases_path: Path) -> list[Case]:
    """Rank every case of a set once (the stages before the learnt models)."""
    kb = load_starter_kb() if kb_path is None else read_kb(kb_path.read_bytes(), kb_path.name)
    idx = FaqIndex.build(kb, rule=LogisticRule())
    out: list[Case] = []
    for query, expected in read_cases(cases_path.read_bytes()):
        case = Case(query, expected, idx)
        out.append(case)
        content, _, toks = idx._analyse_query(query)
        chit = nz.chitchat_kind(toks, query) is not None and not any(
            t.plain in idx._idf and t.plain not in nz.CHIT_ALL for t in content
        )
        if chit:
            continue
        rk = idx._rank(content)
        if not rk.ranked:
            continue
        case.content, case.ranking = content, rk
        case.candidates = idx.candidate_features(content, rk, query)
        case.candidate_ids = [idx.entries[k].id for _, k in rk.ranked[: len(case.candidates)]]
    return out


def samples(
    cases: list[Case], reranker: Reranker | None, prior: QueryPrior | None = None, links: WordLinks | None = None,
    paraphrases: Paraphrases | None = None,
) -> list[Sample]:
    """Decision samples after reranking with ``reranker`` (``prior``, ``links``, ``paraphrases``:
    the query prior, word links and paraphrases; none: empty)."""
    out = []
    for c in cases:
        if c.ranking is None:
            out.append(Sample(None, 0, bool(c.expected)))
            continue
        idx = c.index
        idx.reranker = reranker
        idx.query_prior = prior or QueryPrior()
        idx.word_links = links or WordLinks()
        idx.paraphrases = paraphrases or Paraphrases()
        rk = idx._rerank(c.query, c.content, c.ranking)
        top = idx.entries[rk.ranked[0][1]].id
        f = idx.features(c.query, c.content, rk)
        out.append(Sample(f, int(bool(c.expected) and top == c.expected), bool(c.expected), top))
    return out


def stacked_samples(
    data: dict[str, list[Case]], names: list[str], reranker: Reranker | None, prior: QueryPrior | None = None,
    links: WordLinks | None = None, paraphrases: Paraphrases | None = None,
) -> list[Sample]:
    """Decision samples for fitting: each base's cases reranked and scored by a reranker, a query
    prior, word links and paraphrases fitted without it (STACK_FOLDS groups of bases), so the
    decision learns how far to trust them on a base they have not seen -- fitted on the base itself they are
    over-confident.  With STACK_FOLDS = 0 (or too few bases): the models as given."""
    if not STACK_FOLDS or len(names) <= STACK_FOLDS:
        return samples([c for n in names for c in data[n]], reranker, prior, links, paraphrases)
    out: list[Sample] = []
    for held in fold_groups(names, STACK_FOLDS):
        rest_names = [n for n in names if n not in held]
        rest = [c for n in rest_names for c in data[n]]
        rr = fit_reranker(cross_base_candidates(data, rest_names)) if reranker is not None else None
        out += samples(
            [c for n in held for c in data[n]], rr, fit_query_prior(rest), fit_word_links(rest), fit_paraphrases(rest)
        )
    return out


def cross_base_candidates(data: dict[str, list[Case]], names: list[str]) -> list[Case]:
    """The cases of ``names``, their candidates' cross-base features (word links, paraphrases) set
    from models fitted without their group of bases (STACK_FOLDS groups), as a new base will see
    them -- fitted on the base itself they know every paraphrase and the reranker would over-trust
    them.  What :func:`fit_reranker` is fitted on."""
    for group in fold_groups(names, STACK_FOLDS):
        rest = [c for n in names if n not in group for c in data[n]]
        links, para = fit_word_links(rest), fit_paraphrases(rest)
        for c in (c for n in group for c in data[n]):
            if c.ranking is None:
                continue
            entries = [c.index.entry_words(k) for _, k in c.ranking.ranked[: len(c.candidates)]]
            for f, extra in zip(c.candidates, cross_base_features(question_words(c.content), entries, links, para),
                                strict=True):
                f.update(extra)
    return [c for n in names for c in data[n]]


def _expected_entries(cases: list[Case]) -> Iterator[tuple[Case, int]]:
    """Each answerable, ranked case with the position of its expected entry in its index."""
    positions: dict[int, dict[str, int]] = {}
    for c in cases:
        if c.ranking is None or not c.expected:
            continue
        where = positions.setdefault(id(c.index), {e.id: k for k, e in enumerate(c.index.entries)})
        k = where.get(c.expected)
        if k is not None:
            yield c, k


def fit_paraphrases(cases: list[Case]) -> Paraphrases:
    """The answerable questions of ``cases`` with the words of their expected entries."""
    questions: list[list[str]] = []
    entries: list[list[str]] = []
    answers: list[int] = []
    seen: dict[tuple[int, int], int] = {}
    for c, k in _expected_entries(cases):
        key = (id(c.index), k)
        if key not in seen:
            seen[key] = len(entries)
            entries.append(sorted(c.index.entry_words(k)))
        questions.append(sorted(question_words(c.content)))
        answers.append(seen[key])
    return Paraphrases(questions, entries, answers)


def fit_word_links(cases: list[Case], min_count: int = 2) -> WordLinks:
    """Pointwise mutual information between the words of answerable questions that their expected
    entry lacks and that entry's words (pairs seen at least ``min_count`` times, PMI > 0)."""
    pair: Counter[tuple[str, str]] = Counter()
    cq: Counter[str] = Counter()
    ce: Counter[str] = Counter()
    n = 0
    for c, k in _expected_entries(cases):
        entry = c.index.entry_words(k)
        other = question_words(c.content) - entry
        n += 1
        cq.update(other)
        ce.update(entry)
        pair.update((a, b) for a in other for b in entry)
    links: dict[str, dict[str, float]] = {}
    for (a, b), count in sorted(pair.items()):
        if count >= min_count:
            pmi = math.log(count * n / (cq[a] * ce[b]))
            if pmi > 0:
                links.setdefault(a, {})[b] = round(pmi, 3)
    return WordLinks(links)


def fit_query_prior(cases: list[Case], min_count: int = 3, min_weight: float = 0.2) -> QueryPrior:
    """Naive Bayes log-ratios (no answer against answerable) of the words and word pairs of the
    questions that reach the decision; words seen fewer than ``min_count`` times or weighing less
    than ``min_weight`` are left out."""
    pos: Counter[str] = Counter()
    neg: Counter[str] = Counter()
    npos = nneg = 0
    for c in cases:
        if c.ranking is None:
            continue
        terms = query_terms([t.plain for t in nz.analyse_raw(c.query)])
        if c.expected:
            pos.update(terms)
            npos += 1
        else:
            neg.update(terms)
            nneg += 1
    if not npos or not nneg:
        return QueryPrior()
    weights = {}
    for t in sorted(set(pos) | set(neg)):
        a, b = pos[t], neg[t]
        if a + b < min_count:
            continue
        w = math.log((b + 0.5) / (nneg + 1)) - math.log((a + 0.5) / (npos + 1))
        if abs(w) >= min_weight:
            weights[t] = round(w, 4)
    return QueryPrior(weights, math.log(nneg / npos))


def _standardise(rows: list[dict[str, float]], names: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    scale = {}
    for n in names:
        vals = [r[n] for r in rows]
        mean = sum(vals) / len(vals)
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals)) or 1.0
        scale[n] = (mean, std)
    return scale


def fit_reranker(cases: list[Case], names: tuple[str, ...] = CANDIDATE_FEATURES) -> Reranker:
    """Conditional logit over the leading candidates of answerable cases whose expected entry
    is among them (Newton's method, L2)."""
    groups = [c for c in cases if c.expected and c.expected in c.candidate_ids and len(c.candidates) > 1]
    scale = _standardise([f for c in groups for f in c.candidates], names)
    xs = [[[(f[n] - scale[n][0]) / scale[n][1] for n in names] for f in c.candidates] for c in groups]
    ys = [c.candidate_ids.index(c.expected) for c in groups]
    d = len(names)
    w = [0.0] * d

    def loss(w: list[float]) -> float:
        total = 0.5 * L2 * sum(v * v for v in w)
        for x, y in zip(xs, ys, strict=True):
            z = [sum(wi * xi for wi, xi in zip(w, row, strict=True)) for row in x]
            m = max(z)
            total += m + math.log(sum(math.exp(v - m) for v in z)) - z[y]
        return total

    for _ in range(30):
        grad = [L2 * wi for wi in w]
        hess = [[L2 if i == j else 0.0 for j in range(d)] for i in range(d)]
        for x, y in zip(xs, ys, strict=True):
            z = [sum(wi * xi for wi, xi in zip(w, row, strict=True)) for row in x]
            m = max(z)
            e = [math.exp(v - m) for v in z]
            tot = sum(e)
            p = [v / tot for v in e]
            mean = [sum(p[k] * x[k][i] for k in range(len(x))) for i in range(d)]
            for i in range(d):
                grad[i] += mean[i] - x[y][i]
            for k, row in enumerate(x):
                for i in range(d):
                    a = p[k] * (row[i] - mean[i])
                    if a:
                        hrow = hess[i]
                        for j in range(d):
                            hrow[j] += a * (row[j] - mean[j])
        step = _solve(hess, grad)
        before, t = loss(w), 1.0
        while t > 1e-4:
            cand = [wi - t * si for wi, si in zip(w, step, strict=True)]
            if loss(cand) <= before:
                break
            t /= 2
        w = cand
        if max(abs(t * s) for s in step) < 1e-6:
            break
    linear = Reranker(dict(zip(names, w, strict=True)), scale)
    if not RERANK_TREES:
        return linear
    rows = [f for c in groups for f in c.candidates]
    spans, pos = [], 0
    for c in groups:
        spans.append((pos, pos + len(c.candidates), pos + ys[len(spans)]))
        pos += len(c.candidates)

    def grad(z: list[float]) -> tuple[list[float], list[float]]:
        g, h = [0.0] * len(z), [0.0] * len(z)
        for a, b, right in spans:
            m = max(z[a:b])
            e = [math.exp(v - m) for v in z[a:b]]
            tot = sum(e)
            for i in range(a, b):
                p = e[i - a] / tot
                g[i] = p - (1.0 if i == right else 0.0)
                h[i] = max(p * (1 - p), 1e-6)
        return g, h

    z0 = [v for c in groups for v in linear.scores(c.candidates)]
    return Reranker(linear.weights, scale, tuple(grow_trees(rows, names, z0, grad, RERANK_TREES)))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        piv = m[c][c] or 1e-12
        for r in range(n):
            if r != c:
                f = m[r][c] / piv
                if f:
                    for k in range(c, n + 1):
                        m[r][k] -= f * m[c][k]
    return [m[i][n] / (m[i][i] or 1e-12) for i in range(n)]


def fit_decision(samples: list[Sample], names: tuple[str, ...] = FEATURES) -> LogisticRule:
    rows = [s for s in samples if s.features is not None]
    scale = _standardise([s.features for s in rows], names)
    xs = [[1.0] + [(s.features[n] - scale[n][0]) / scale[n][1] for n in names] for s in rows]
    ys = [s.label for s in rows]
    d = len(names) + 1
    w = [0.0] * d
    for _ in range(30):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for x, y in zip(xs, ys, strict=True):
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = p - y
            h = max(p * (1 - p), 1e-9)
            for i in range(d):
                grad[i] += g * x[i]
                hi = h * x[i]
                row = hess[i]
                for j in range(i, d):
                    row[j] += hi * x[j]
        for i in range(d):
            for j in range(i):
                hess[i][j] = hess[j][i]
            if i:
                grad[i] += L2 * w[i]
                hess[i][i] += L2
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    rule = LogisticRule(dict(zip(names, w[1:], strict=True)), w[0], 0.5, scale)
    trees = tuple(boost(rule, rows, names)) if TREES else ()
    rule = LogisticRule(rule.weights, rule.bias, 0.5, scale, trees)
    return LogisticRule(rule.weights, rule.bias, best_threshold(rule, samples), scale, trees)


def boost(base: LogisticRule, rows: list[Sample], names: tuple[str, ...]) -> list[dict]:
    """Gradient-boosted trees on the logistic model's residuals."""
    ys = [s.label for s in rows]

    def grad(z: list[float]) -> tuple[list[float], list[float]]:
        p = [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, v)))) for v in z]
        return [pi - y for pi, y in zip(p, ys, strict=True)], [max(pi * (1 - pi), 1e-6) for pi in p]

    return grow_trees([s.features for s in rows], names, [base.log_odds(s.features) for s in rows], grad, TREES)


def grow_trees(
    rows: list[dict[str, float]],
    names: tuple[str, ...],
    z: list[float],
    grad: Callable[[list[float]], tuple[list[float], list[float]]],
    rounds: int,
) -> list[dict]:
    """Gradient boosting of regression trees of depth TREE_DEPTH (Newton leaves) from the scores ``z``;
    ``grad`` gives the loss's gradients and hessians at the current scores.  Splits are searched
    on 16 quantile bins per feature (histograms of gradients)."""
    from .decision import tree_value

    cuts: dict[str, list[float]] = {}
    bins: dict[str, list[int]] = {}
    for n in names:
        vals = sorted({f[n] for f in rows})
        if len(vals) > 16:
            vals = [vals[int(i * (len(vals) - 1) / 15)] for i in range(16)]
        cuts[n] = vals[:-1]
        bins[n] = [bisect.bisect_left(cuts[n], f[n]) for f in rows]  # row's bin: value <= cuts[b]
    trees: list[dict] = []

    def leaf(idx: list[int], g: list[float], h: list[float]) -> dict:
        return {"v": TREE_RATE * -sum(g[i] for i in idx) / (sum(h[i] for i in idx) + TREE_L2)}

    def split(idx: list[int], g: list[float], h: list[float]) -> tuple[str, float, list[int], list[int]] | None:
        sg, sh = sum(g[i] for i in idx), sum(h[i] for i in idx)
        base_gain = sg * sg / (sh + TREE_L2)
        best = None
        for n in names:
            nb = len(cuts[n]) + 1
            hg, hh, hc = [0.0] * nb, [0.0] * nb, [0] * nb
            b = bins[n]
            for i in idx:
                hg[b[i]] += g[i]
                hh[b[i]] += h[i]
                hc[b[i]] += 1
            lg = lh = 0.0
            lc = 0
            for k in range(nb - 1):
                lg, lh, lc = lg + hg[k], lh + hh[k], lc + hc[k]
                if lc < TREE_MIN_LEAF or len(idx) - lc < TREE_MIN_LEAF:
                    continue
                rg, rh = sg - lg, sh - lh
                gn = lg * lg / (lh + TREE_L2) + rg * rg / (rh + TREE_L2) - base_gain
                if best is None or gn > best[0]:
                    best = (gn, n, k)
        if best is None or best[0] <= 0:
            return None
        _, n, k = best
        left = [i for i in idx if bins[n][i] <= k]
        right = [i for i in idx if bins[n][i] > k]
        return n, cuts[n][k], left, right

    def grow(idx: list[int], g: list[float], h: list[float], depth: int) -> dict:
        sub = split(idx, g, h) if depth else None
        if sub is None:
            return leaf(idx, g, h)
        n, t, left, right = sub
        return {"f": n, "t": t, "l": grow(left, g, h, depth - 1), "r": grow(right, g, h, depth - 1)}

    for _ in range(rounds):
        g, h = grad(z)
        node = grow(list(range(len(rows))), g, h, TREE_DEPTH)
        if "v" in node:
            break
        trees.append(node)
        z = [v + tree_value(node, f) for v, f in zip(z, rows, strict=True)]
    return trees


def metrics(rule: LogisticRule, samples: list[Sample], probs: list[float] | None = None) -> dict[str, float]:
    """Top-1, false and wrong answer rates; ``probs``: the samples' probabilities if already known
    (then only ``rule.threshold`` is used)."""
    answerable = sum(s.answerable for s in samples) or 1
    negatives = sum(not s.answerable for s in samples) or 1
    correct = wrong = false = 0
    for i, s in enumerate(samples):
        if s.features is None:
            continue
        if not (probs[i] >= rule.threshold if probs is not None else rule.passes(s.features)):
            continue
        if s.label:
            correct += 1
        elif s.answerable:
            wrong += 1
        else:
            false += 1
    return {"top1": correct / answerable, "false": false / negatives, "wrong": wrong / answerable}


def best_threshold(rule: LogisticRule, samples: list[Sample]) -> float:
    """The lowest threshold whose false and wrong answers on ``samples`` stay within the
    budgets (a margin under the goal: unseen bases do worse than the training ones)."""
    return threshold_for([(rule.probability(s.features), s) for s in samples if s.features is not None], samples)


def threshold_for(scored: list[tuple[float, Sample]], samples: list[Sample]) -> float:
    """:func:`best_threshold` from probabilities already computed (``scored``: (p, sample) for
    the samples with features) -- e.g. each from a model that did not see the sample's base."""
    answerable = sum(s.answerable for s in samples) or 1
    negatives = sum(not s.answerable for s in samples) or 1
    scored = sorted(scored, key=lambda t: -t[0])
    best = 1.0
    false = wrong = 0
    for i, (p, s) in enumerate(scored):
        if not s.label:
            if s.answerable:
                wrong += 1
            else:
                false += 1
        if false / negatives > FALSE_BUDGET or wrong / answerable > WRONG_BUDGET:
            break
        nxt = scored[i + 1][0] if i + 1 < len(scored) else 0.0
        if p > nxt:
            best = (p + nxt) / 2
    return best


@dataclass
class Models:
    reranker: Reranker | None
    prior: QueryPrior
    links: WordLinks
    paraphrases: Paraphrases
    rule: LogisticRule


def fit_models(data: dict[str, list[Case]], names: list[str], no_rerank: bool = False) -> Models:
    """The reranker, the query prior, the word links, the paraphrases and the decision model fitted
    on ``names``."""
    train = [c for n in names for c in data[n]]
    rr = None if no_rerank else fit_reranker(cross_base_candidates(data, names))
    prior, links, para = fit_query_prior(train), fit_word_links(train), fit_paraphrases(train)
    return Models(rr, prior, links, para, fit_decision(stacked_samples(data, names, rr, prior, links, para)))


_FOLD_DATA: tuple[dict[str, list[Case]], list[str], bool] | None = None  # set by main for _fold


def _fold(group: tuple[str, ...]) -> dict[str, tuple[list[Sample], list[float]]]:
    """One fold: the samples and probabilities of each set of ``group`` from models fitted without
    the group."""
    assert _FOLD_DATA is not None
    data, train_names, no_rerank = _FOLD_DATA
    m = fit_models(data, [n for n in train_names if n not in group], no_rerank)
    out = {}
    for name in group:
        test = samples(data[name], m.reranker, m.prior, m.links, m.paraphrases)
        out[name] = (test, [m.rule.probability(s.features) if s.features is not None else 0.0 for s in test])
    return out


def fold_groups(names: list[str], folds: int) -> list[tuple[str, ...]]:
    """The sets left out together in each fold: one by one (``folds`` = 0), or ``folds`` groups."""
    if not folds or folds >= len(names):
        return [(n,) for n in names]
    return [tuple(names[k::folds]) for k in range(folds)]


def write_oof(
    path: Path, data: dict[str, list[Case]], folds: dict[str, tuple[list[Sample], list[float]]], threshold: float
) -> None:
    """Every case's leave-one-out result, for error analysis: which entry the models fitted without
    its base put first, with what probability, and whether it would be answered."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["set", "query", "expected_id", "top_id", "probability", "answered", "correct"])
        for name, (test, probs) in folds.items():
            for case, s, p in zip(data[name], test, probs, strict=True):
                answered = s.features is not None and p >= threshold
                out.writerow([name, case.query, case.expected, s.top, f"{p:.4f}", int(answered), s.label])


def _parse_set(text: str) -> tuple[str, tuple[Path | None, Path]]:
    name, _, paths = text.partition("=")
    kb, _, cases = paths.partition(",")
    return name, (Path(kb) if kb and kb != "starter" else None, Path(cases))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m handlers.faq.fit")
    ap.add_argument(
        "--set", action="append", default=[],
        help="NAME=KB.csv,CASES.csv (KB 'starter' = built-in); default: the project's training sets",
    )
    ap.add_argument("--holdout", action="append", default=[], help="set left out of the final fit")
    ap.add_argument("--no-rerank", action="store_true", help="fit the decision model only")
    ap.add_argument("--unseen", action="store_true", help=f"also measure the final models on {', '.join(UNSEEN_SETS)}")
    ap.add_argument("--write", action="store_true", help=f"store the final models in {MODEL_PATH.name}")
    ap.add_argument("--jobs", type=int, default=1, help="processes for the leave-one-out folds (fork)")
    ap.add_argument(
        "--folds", type=int, default=0,
        help="leave N groups of sets out instead of one set at a time (faster with many sets; 0: one by one)",
    )
    ap.add_argument("--oof", type=Path, help="write every case's out-of-fold top entry and probability (CSV)")
    args = ap.parse_args(argv)
    sets = dict(_parse_set(s) for s in args.set) or dict(DEFAULT_SETS)
    data = {name: cases_for(kb, cases) for name, (kb, cases) in sets.items()}
    train_names = [n for n in data if n not in args.holdout]

    # Leave one knowledge base out: every training case is scored by models that never saw its
    # base.  These out-of-fold probabilities set the final threshold (the in-sample ones are
    # over-confident, so a threshold chosen on them answers too much on a new base).
    global _FOLD_DATA
    _FOLD_DATA = (data, train_names, args.no_rerank)
    groups = fold_groups(list(data), args.folds)
    if args.jobs > 1:
        # forked workers inherit the ranked cases (indexes cannot be pickled); each returns samples
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(_fold, groups)
    else:
        results = [_fold(g) for g in groups]
    by_name = {name: r for res in results for name, r in res.items()}
    folds = {name: by_name[name] for name in data}
    oof = [(p, s) for n in train_names for s, p in zip(folds[n][0], folds[n][1], strict=True) if s.features is not None]
    threshold = threshold_for(oof, [s for n in train_names for s in folds[n][0]])
    if args.oof:
        write_oof(args.oof, data, folds, threshold)
    how = "one knowledge base" if len(groups) == len(data) else f"{len(groups)} groups of knowledge bases"
    print(f"leave {how} out (models fitted on the other training sets, threshold {threshold:.3f}):")
    for name, (test, probs) in folds.items():
        m = metrics(LogisticRule(threshold=threshold), test, probs)
        ceiling = sum(s.label for s in test) / (sum(s.answerable for s in test) or 1)
        tag = " (held out)" if name in args.holdout else ""
        print(f"  {name:10s} top1 {m['top1']:.3f}  false {m['false']:.3f}  wrong {m['wrong']:.3f}"
              f"  ranking ceiling {ceiling:.3f}{tag}")
    fitted = fit_models(data, train_names, args.no_rerank)
    rr, prior, links, para, final = fitted.reranker, fitted.prior, fitted.links, fitted.paraphrases, fitted.rule
    final = LogisticRule(final.weights, final.bias, threshold, final.scale, final.trees)
    print("final models on", ", ".join(train_names), f"threshold {final.threshold:.3f}")
    if args.unseen:
        print("sets never used for fitting (final models):")
        for name in UNSEEN_SETS:
            m = metrics(final, samples(cases_for(*EVAL_SETS[name]), rr, prior, links, para))
            print(f"  {name:10s} top1 {m['top1']:.3f}  false {m['false']:.3f}  wrong {m['wrong']:.3f}")
    if rr is not None:
        print("  reranker:", ", ".join(f"{n} {w:+.2f}" for n, w in rr.weights.items()))
    for n, w in sorted(final.weights.items(), key=lambda t: -abs(t[1])):
        print(f"  {n:16s} {w:+.3f}")
    if args.write:
        doc = {
            "weights": final.weights, "bias": final.bias, "threshold": final.threshold,
            "scale": final.scale, "trees": list(final.trees), "trained_on": train_names,
        }
        if rr is not None:
            doc["reranker"] = {"weights": rr.weights, "scale": rr.scale, "trees": list(rr.trees)}
        doc["query_prior"] = {"bias": prior.bias, "weights": prior.weights}
        doc["word_links"] = links.links
        MODEL_PATH.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        PARAPHRASES_PATH.write_text(json.dumps(para.document(), ensure_ascii=False, separators=(",", ":")) + "\n")
        print("written", MODEL_PATH, PARAPHRASES_PATH)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
