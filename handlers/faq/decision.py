"""The learnt stages of the FAQ engine: a reranker and the answer / no-answer decision.

The engine's lexical ranking puts the right entry among its 8 leading candidates for ~99 % of
answerable queries, but first for only 84–100 % depending on the knowledge base; and deciding
whether the first entry really answers the question loses as much again.  So:

* :class:`Reranker` scores each leading candidate from :meth:`engine.FaqIndex.candidate_features`
  (similarity, likelihood, coverage both ways, character-trigram and answer similarity, action,
  missing concepts, diacritic conflicts, and what other bases taught: :class:`WordLinks` and
  :class:`Paraphrases`): a linear score plus boosted trees;
* :class:`LogisticRule` turns the reranked top candidate's :meth:`engine.FaqIndex.features`
  (posterior, lead, coverage, unknown words, intent cues, reranker confidence, ...) into the
  probability that it is the entry a staff member would pick, and answers above its threshold.

Every feature is a share, a similarity or a log-odds, so it means the same on any knowledge base.
The weights (``decision_model.json``) are fitted by :mod:`handlers.faq.fit` on the project's
evaluation sets, written by different people for different places; its leave-one-base-out and
unseen-set figures are in NOTES.md.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

__all__ = [
    "CANDIDATE_FEATURES", "FEATURES", "LogisticRule", "MODEL", "MODEL_PATH", "PARAPHRASES", "PARAPHRASES_PATH",
    "Paraphrases", "cross_base_features", "load_paraphrases", "QUERY_PRIOR", "QueryPrior",
    "WORD_LINKS", "WordLinks", "RERANKER", "RERANK_DEPTH", "Reranker", "load_model", "load_query_prior", "load_word_links", "query_terms",
]

RERANK_DEPTH = 8  # leading candidates the reranker reorders
CANDIDATE_FEATURES: tuple[str, ...] = (
    "sim", "sim_gap", "lm_rel", "held", "answer_only", "entry_cov", "action", "concept_missing", "first",
    "char_sim", "answer_sim", "accent_conflict", "vague_cov", "topic_missing", "links_mean", "links_unexplained",
    "para", "para_gap",
)

FEATURES: tuple[str, ...] = (
    "s1", "margin", "post_logit", "lm_ratio", "held", "entry_cov", "answer_only", "other", "unknown",
    "n_words", "rare", "concept_held", "concept_missing", "anchor", "near", "cue", "private",
    "rank_logit", "rank_margin", "char_sim", "answer_sim", "accent_conflict", "absent", "query_prior",
    "links_mean", "links_unexplained",
)
MODEL_PATH = Path(__file__).with_name("decision_model.json")
PARAPHRASES_PATH = Path(__file__).with_name("paraphrases.json")  # fitted with the model (~0.6 MB)


@dataclass(frozen=True)
class LogisticRule:
    weights: dict[str, float] = field(default_factory=dict)
    bias: float = 0.0
    threshold: float = 0.5
    # feature scaling (mean, std) learnt with the weights
    scale: dict[str, tuple[float, float]] = field(default_factory=dict)

    # boosted regression trees added to the linear log-odds (nested dicts: {"f", "t", "l", "r"}
    # for a split on feature f at threshold t, {"v"} for a leaf)
    trees: tuple[dict, ...] = ()

    def log_odds(self, features: dict[str, float]) -> float:
        z = self.bias
        for name, w in self.weights.items():
            mean, std = self.scale.get(name, (0.0, 1.0))
            z += w * (features.get(name, 0.0) - mean) / std
        for tree in self.trees:
            z += tree_value(tree, features)
        return z

    def probability(self, features: dict[str, float]) -> float:
        z = self.log_odds(features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def passes(self, features: dict[str, float]) -> bool:
        return self.probability(features) >= self.threshold


def tree_value(tree: dict, features: dict[str, float]) -> float:
    node = tree
    while "v" not in node:
        node = node["l"] if features.get(node["f"], 0.0) <= node["t"] else node["r"]
    return node["v"]


@dataclass(frozen=True)
class Reranker:
    """A linear score per candidate (conditional logit: softmax over the leading candidates)."""

    weights: dict[str, float] = field(default_factory=dict)
    scale: dict[str, tuple[float, float]] = field(default_factory=dict)
    trees: tuple[dict, ...] = ()  # boosted trees added to the linear score (see LogisticRule)

    def scores(self, candidates: list[dict[str, float]]) -> list[float]:
        out = []
        for f in candidates:
            z = 0.0
            for name, w in self.weights.items():
                mean, std = self.scale.get(name, (0.0, 1.0))
                z += w * (f.get(name, 0.0) - mean) / std
            for tree in self.trees:
                z += tree_value(tree, f)
            out.append(z)
        return out


@dataclass(frozen=True)
class QueryPrior:
    """How likely a question is one that no entry answers, from its words alone (log-odds).

    Naive Bayes over the question's analysed words and word pairs, counted on the training sets'
    questions: "nào tốt", "giá vàng", "xổ số", "cách nấu" are asked of communes that cannot answer
    them, whatever the knowledge base.  A feature of the decision model, which learns how far to
    trust it; fitted by :func:`handlers.faq.fit.fit_query_prior`."""

    weights: dict[str, float] = field(default_factory=dict)  # word or "word_word" -> log-ratio
    bias: float = 0.0

    def log_odds(self, plains: list[str]) -> float:
        if not self.weights:
            return 0.0
        return max(-10.0, min(10.0, self.bias + sum(self.weights.get(t, 0.0) for t in sorted(query_terms(plains)))))


def query_terms(plains: list[str]) -> set[str]:
    """The words and word pairs ("word_word") a :class:`QueryPrior` weighs."""
    return set(plains) | {a + "_" + b for a, b in zip(plains, plains[1:], strict=False)}


@dataclass(frozen=True)
class WordLinks:
    """Words citizens use for what an entry's phrasings say in other words, learnt across bases.

    For a question word the top entry lacks, the strongest link (pointwise mutual information,
    counted on the training sets' answerable questions against their entries' words) to a word the
    entry has: "cưới" → "kethon", "đẻ" → "khaisinh", "trọ" → "tamtru".  A question whose other
    words the entry explains is a paraphrase; one whose other words nothing links to is more often a
    near-miss ("sổ đỏ bị mất" against "Bị mất căn cước").  Fitted by
    :func:`handlers.faq.fit.fit_word_links`."""

    links: dict[str, dict[str, float]] = field(default_factory=dict)  # question word -> entry word -> PMI

    def features(self, question: set[str], entry: set[str]) -> tuple[float, float]:
        """(mean link strength of the question words the entry lacks, share of question words
        neither in the entry nor linked to it)."""
        other = sorted(question - entry)
        if not other:
            return 0.0, 0.0
        best = []
        for word in other:
            links = self.links.get(word)
            best.append(max((v for e, v in links.items() if e in entry), default=0.0) if links else 0.0)
        return sum(best) / len(best), sum(1 for v in best if v < 1.0) / len(question)


class Paraphrases:
    """Questions citizens asked of other knowledge bases, each with the words of the entry that
    answered it.

    A new question's nearest asked questions (IDF-weighted word overlap) point to the entries that
    answered them; a candidate entry whose words are like those entries' is what such citizens
    meant ("ny định cưới" → questions about marriage registration → "Đăng ký kết hôn") even when
    it shares no word with the question.  A reranker feature; fitted by
    :func:`handlers.faq.fit.fit_paraphrases`."""

    NEIGHBOURS = 20
    MIN_IDF = 1.0  # words in more than a third of the questions do not find neighbours
    UNSEEN_WEIGHT = 3.0  # weight of an entry word no training entry has

    def __init__(
        self, questions: list[list[str]] | None = None, entries: list[list[str]] | None = None,
        answers: list[int] | None = None,
    ) -> None:
        self.questions = [list(q) for q in questions or ()]
        self.entries = [frozenset(e) for e in entries or ()]
        self.answers = list(answers or ())
        n = len(self.questions)
        df = Counter(w for q in self.questions for w in set(q))
        self._qidf = {w: math.log(n / d) for w, d in df.items()}
        edf = Counter(w for e in self.entries for w in e)
        self._eidf = {w: math.log((len(self.entries) + 1) / d) for w, d in edf.items()}
        # a distinctive word -> {question: the word's IDF² / the question's norm}: what the word adds
        # to that question's cosine (the new question's norm is the same for all, so left out)
        self._postings: dict[str, dict[int, float]] = {}
        for i, q in enumerate(self.questions):
            words = sorted(set(q))
            inv = 1.0 / (math.sqrt(sum(self._qidf[w] ** 2 for w in words)) or 1.0)
            for w in words:
                idf = self._qidf[w]
                if idf >= self.MIN_IDF:
                    self._postings.setdefault(w, {})[i] = idf * idf * inv
        self._enorm = [self._norm(e) for e in self.entries]

    def __bool__(self) -> bool:
        return bool(self.questions)

    def _norm(self, words: frozenset[str] | set[str]) -> float:
        return math.sqrt(sum(self._eidf.get(w, self.UNSEEN_WEIGHT) ** 2 for w in words)) or 1.0

    def nearest(self, words: set[str]) -> dict[int, float]:
        """The entries that answered the questions nearest to ``words`` (cosine of IDF-weighted
        words) -> share of the neighbours' similarity (sums to 1; empty when no question shares a
        distinctive word)."""
        postings = sorted((self._postings[w] for w in sorted(words) if w in self._postings), key=len, reverse=True)
        if not postings:
            return {}
        acc = dict(postings[0])  # the longest list copied at C speed, the others added to it
        get = acc.get
        for post in postings[1:]:
            for i, x in post.items():
                acc[i] = get(i, 0.0) + x
        best = heapq.nlargest(self.NEIGHBOURS, acc.items(), key=itemgetter(1))
        total = sum(s for _, s in best)
        out: dict[int, float] = {}
        for i, s in best:
            out[self.answers[i]] = out.get(self.answers[i], 0.0) + s / total
        return out

    def profile(self, words: set[str]) -> dict[str, float]:
        """What the entries that answered the questions nearest to ``words`` hold: entry word ->
        its share of their normalised IDF² weight (computed once per question, so that
        :meth:`support` costs one lookup per word of each candidate)."""
        out: dict[str, float] = {}
        for e, share in self.nearest(words).items():
            scale = share / self._enorm[e]
            for w in self.entries[e]:
                out[w] = out.get(w, 0.0) + scale * self._eidf[w] ** 2
        return out

    def support(self, profile: dict[str, float], entry: set[str]) -> float:
        """How much the entries of a :meth:`profile` look like an entry with the words ``entry``
        (their share-weighted IDF cosine with it, 0..1)."""
        if not profile:
            return 0.0
        total = sum(profile.get(w, 0.0) for w in sorted(entry))
        return total / self._norm(entry) if total else 0.0

    def document(self) -> dict:
        return {"questions": self.questions, "entries": [sorted(e) for e in self.entries], "answers": self.answers}


def cross_base_features(
    words: set[str], entries: list[set[str]], links: WordLinks, paraphrases: Paraphrases
) -> list[dict[str, float]]:
    """The reranker features other bases teach, for candidates with the words ``entries``: word
    links of the question's other ``words`` (``links_mean``, ``links_unexplained``) and how much
    each candidate looks like the entries that answered the nearest questions (``para``, and
    ``para_gap`` to the best candidate).  One definition for the engine and the fit."""
    profile = paraphrases.profile(words)
    out = []
    for entry in entries:
        links_mean, unexplained = links.features(words, entry)
        out.append({"links_mean": links_mean, "links_unexplained": unexplained, "para": paraphrases.support(profile, entry)})
    top = max((f["para"] for f in out), default=0.0)
    for f in out:
        f["para_gap"] = f["para"] - top
    return out


def _scale(raw: dict) -> dict[str, tuple[float, float]]:
    return {k: (v[0], v[1]) for k, v in raw.items()}


def _read(path: Path) -> dict:
    """The model file's document ({} when not fitted)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def load_model(path: Path = MODEL_PATH, data: dict | None = None) -> tuple[LogisticRule | None, Reranker | None]:
    """The fitted decision model and reranker shipped with the package (None when not fitted);
    ``data``: the file's document when already read."""
    data = _read(path) if data is None else data
    if not data:
        return None, None
    rule = LogisticRule(
        data["weights"], data["bias"], data["threshold"], _scale(data["scale"]), tuple(data.get("trees", ()))
    )
    rr = data.get("reranker")
    return rule, (Reranker(rr["weights"], _scale(rr["scale"]), tuple(rr.get("trees", ()))) if rr else None)


def load_query_prior(path: Path = MODEL_PATH, data: dict | None = None) -> QueryPrior:
    """The shipped :class:`QueryPrior` (empty, so always 0, when not fitted)."""
    part = (_read(path) if data is None else data).get("query_prior")
    return QueryPrior(part["weights"], part["bias"]) if part else QueryPrior()


def load_word_links(path: Path = MODEL_PATH, data: dict | None = None) -> WordLinks:
    """The shipped :class:`WordLinks` (empty when not fitted)."""
    part = (_read(path) if data is None else data).get("word_links")
    return WordLinks(part) if part else WordLinks()


def load_paraphrases(path: Path = PARAPHRASES_PATH) -> Paraphrases:
    """The shipped :class:`Paraphrases` (empty when not fitted)."""
    doc = _read(path)
    return Paraphrases(doc.get("questions"), doc.get("entries"), doc.get("answers"))


_SHIPPED = _read(MODEL_PATH)  # read once (~0.5 MB)
MODEL, RERANKER = load_model(data=_SHIPPED)
QUERY_PRIOR = load_query_prior(data=_SHIPPED)
WORD_LINKS = load_word_links(data=_SHIPPED)
PARAPHRASES = load_paraphrases()
del _SHIPPED
