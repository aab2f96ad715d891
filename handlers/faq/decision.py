"""The answer / no-answer decision: a logistic model over knowledge-base independent features.

The engine ranks entries well (the right entry is first for about 96 % of answerable queries on
sets it was never tuned on); what loses accuracy is deciding whether the first entry really
answers the question.  :meth:`engine.FaqIndex.features` describes the top candidate by shares and
log-odds (similarity, lead over the next entry, language-model posterior, how much of the query
the entry's phrasings hold, how much belongs to other entries or to no entry, unmatched domain
concepts, intent cues).  :class:`LogisticRule` turns them into the probability that the top entry
is the one a staff member would pick, and answers above its threshold.

The weights are fitted by :mod:`handlers.faq.fit` on the project's labelled evaluation sets
(several knowledge bases written by different people) with leave-one-base-out validation; the
figures it printed are in NOTES.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CANDIDATE_FEATURES", "FEATURES", "LogisticRule", "MODEL", "MODEL_PATH", "RERANKER",
    "RERANK_DEPTH", "Reranker", "load_model",
]

RERANK_DEPTH = 8  # leading candidates the reranker reorders
CANDIDATE_FEATURES: tuple[str, ...] = (
    "sim", "sim_gap", "lm_rel", "held", "answer_only", "entry_cov", "action", "concept_missing", "first",
    "char_sim", "answer_sim", "accent_conflict",
)

FEATURES: tuple[str, ...] = (
    "s1", "margin", "post_logit", "lm_ratio", "held", "entry_cov", "answer_only", "other", "unknown",
    "n_words", "rare", "concept_held", "concept_missing", "anchor", "near", "cue", "private",
    "rank_logit", "rank_margin", "char_sim", "answer_sim", "accent_conflict",
)
MODEL_PATH = Path(__file__).with_name("decision_model.json")


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


def _scale(raw: dict) -> dict[str, tuple[float, float]]:
    return {k: (v[0], v[1]) for k, v in raw.items()}


def load_model(path: Path = MODEL_PATH) -> tuple[LogisticRule | None, Reranker | None]:
    """The fitted decision model and reranker shipped with the package (None when not fitted)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    rule = LogisticRule(
        data["weights"], data["bias"], data["threshold"], _scale(data["scale"]), tuple(data.get("trees", ()))
    )
    rr = data.get("reranker")
    return rule, (Reranker(rr["weights"], _scale(rr["scale"]), tuple(rr.get("trees", ()))) if rr else None)


MODEL, RERANKER = load_model()
