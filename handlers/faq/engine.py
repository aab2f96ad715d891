"""FAQ matching engine: an in-memory index over a knowledge base and a calibrated decision.

Pipeline for a query:

1. :mod:`normalize` expands teencode/abbreviations, removes diacritics (keeping a tone-placement
   independent accent key), and folds synonymous concepts (``sổ hồng`` = ``bìa đỏ`` = ``sổ đỏ``).
2. Small talk (greetings, thanks, "ok", "dc r") is answered politely before any matching.
3. Unknown syllables are corrected against the knowledge-base vocabulary (Telex leftovers,
   teen letters, OSA edit distance 1–2 with rapidfuzz); syllables of a known concept phrase
   ("trung quốc", "đài loan") are never corrected.
4. Entries are scored with an IDF-weighted cosine over word unigrams and bigrams, against the
   question and every variant separately (max), and against the whole entry (bag of all
   phrasings, plus a weak contribution of the answer text).  Content words the knowledge base
   has never seen, or seen only with other diacritics ("giá" vs "gia"), weigh against.  A word
   found only in answers gets its IDF from the share of answers that hold it.
5. The best candidates are reranked with their coverage of the query (share of the query's
   IDF mass found in the entry's phrasings, or weakly in its answer), so an entry holding a
   distinctive word ("quá hạn", "nước ngoài") beats a sibling sharing more generic ones.
6. A query-likelihood language model per entry (unigrams and bigrams of its phrasings, its
   category and, weakly, its answer; Dirichlet-smoothed against the whole base plus a built-in
   out-of-scope corpus) gives a log-likelihood ratio per candidate.  The final ranking blends
   the similarity with the length-normalised log-likelihood.  Query words the base has never
   seen count against every entry.
7. The learnt stages (:mod:`decision`, fitted by :mod:`fit`): a reranker reorders the 8 leading
   candidates (with what questions asked of other bases say: word links, and how much a
   candidate looks like the entries that answered the nearest such questions), and a decision
   model gives the probability that the top one is the entry a staff member would pick; the query
   is answered above the model's threshold, otherwise the close candidates are suggested (or
   "none" when nothing is close).  Without a fitted model the older rules still work:
   ``rule=calibrate.POSTERIOR`` (posterior >= 0.8 and similarity >= 0.3, plus the anchored and near
   answers, and intent cues ``normalize.NON_PROCEDURAL`` that the base's own phrasings never use
   turn an answer into a suggestion), or ``build(calibrate=True)`` for the self-calibrated cut on
   top score and lead.

The index is immutable after :meth:`FaqIndex.build` (the abbreviation table is built on first use
or by :meth:`FaqIndex.warm`, under a lock); :meth:`FaqIndex.ask` only reads it (the caches used are
thread-safe), so one index can serve many threads.
"""

from __future__ import annotations

import heapq
import math
import random
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import calibrate as cal
from . import decision as dec
from . import normalize as nz

__all__ = ["KbEntry", "FaqMatch", "FaqResult", "FaqIndex", "Thresholds"]


@dataclass
class KbEntry:
    id: str
    question: str
    variants: list[str] = field(default_factory=list)
    answer: str = ""
    category: str | None = None
    attachment: str | None = None
    tier: int = 0  # 0 = the commune's own entry, 1 = inherited from the province
    active: bool = True
    updated_at: str | None = None


@dataclass
class FaqMatch:
    entry: KbEntry
    score: float


@dataclass
class FaqResult:
    decision: str  # "answer" | "suggest" | "chitchat" | "none"
    normalized: str
    matches: list[FaqMatch]
    reply: str | None = None
    # a suggestion on weak wording only (the learnt probability, not the similarity, put it here):
    # the citizen is told first that there is no sure answer
    unsure: bool = False


@dataclass
class Ranking:
    """The ranking stage's output for one query."""

    ranked: list[tuple[float, int]]  # (similarity, entry) in ranked order
    posterior: float  # the top entry's language-model posterior
    lm_ratio: float  # its log-likelihood ratio against the out-of-scope model, per unit of weight
    lm_rel: dict[int, float]  # each candidate's length-normalised log-likelihood minus the best one's
    action: dict[int, float]  # the action-dimension adjustment of close siblings
    rank_prob: float = 1.0  # the learnt reranker's probability of the top candidate
    rank_margin: float = 0.0  # its score lead over the next distinct candidate
    weights: tuple[dict[str, float], dict[str, float], float] | None = None  # query term weights
    qgrams: dict[str, int] | None = None  # the query's character trigrams

@dataclass(frozen=True)
class Thresholds:
    """Suggestion thresholds (the answer rule is :class:`calibrate.Rule`, self-calibrated)."""

    suggest: float = 0.30  # below this: nothing plausible -> "none"
    suggest_ratio: float = 0.6  # a suggestion must score at least this share of the best
    # ... unless the learnt decision gives the top candidate at least this probability (and the
    # question is not about prices, games, private matters): then its candidates are offered after
    # "chưa có câu trả lời chắc chắn" (``FaqResult.unsure``).  On the training sets this shows the
    # right entry as a button for 74 of the 97 answerable questions that got "chưa có thông tin",
    # and these hedged suggestions for 38 of 387 questions with no answer.
    suggest_probability: float = 0.2
    # With a learnt decision, a top candidate it gives less than this is not offered either: on the
    # training sets 696 of the 699 questions offered such candidates had no answer at all ("giá vàng
    # hôm nay", "tối nay đá bóng mấy giờ" were offered "Mua bảo hiểm y tế hộ gia đình" and "Giờ làm
    # việc của UBND xã"); they get the honest "chưa có thông tin" with the menu instead.
    offer_floor: float = 0.05


BIGRAM_WEIGHT = 0.8
ANSWER_WEIGHT = 0.25
FIELD_MIX = 0.6  # entry score = mix of best single phrasing and the whole entry
FIELD_ONLY = 0.9
CALIB_ENTRIES = 80  # entries sampled for self-calibration (keeps the build fast on big bases)
CALIB_DOCS_PER_ENTRY = 3
COVERAGE_MIX = 0.5  # share of query coverage in the final score
ANSWER_COVERAGE = 0.3  # a query word found only in the answer covers this much
RANK_DEPTH = 40
RERANK_DEPTH = 20  # candidates reranked with query coverage
RERANK_DEPTH_LM = 20  # candidates whose likelihood is corrected for words typed with other diacritics
OOV_WEIGHT = 0.9  # an unknown content word weighs like this share of the rarest known word
ANSWER_DF_SHARE = 1.0  # an answer holding a word counts as this share of a phrasing for its IDF
ACCENT_MISMATCH = 0.5  # share of a word's weight kept when its diacritics contradict the KB


# query-likelihood language model (ranking blend and calibrated posterior)
LM_MU = 4.0  # Dirichlet smoothing mass
LM_ANSWER = 0.2  # an answer-text word counts as this share of an occurrence in a phrasing
LM_CATEGORY = 0.5
LM_BIGRAM = 0.6  # weight of a query bigram relative to its words
LM_UNKNOWN = 1.0  # a query word unseen in the whole base (and the out-of-scope texts) counts this much
LM_FUNCTION = 0.3  # weight of question-form / everyday words in the likelihood
LM_BLEND = 3.0
LM_POST_SIM = 1.0  # posterior: an entry's log-odds lose this much per unit of similarity below the top's  # ranking = LM_BLEND * similarity + length-normalised log-likelihood
LM_TEMPERATURE = 0.5
LM_NONE = 1.0  # log-odds of the constant "none" class (was 2.0 before the intent cues)
LM_NEG_BIAS = 0.0  # log-odds bias of the out-of-scope language model class

# anchored answer: similarity lead over the next distinct entry, floors, and the anchor's rarity
# action dimension: siblings of one concept differ by what the citizen wants done with it
# (register / change / end / re-issue / late / report a violation).  Unigrams and bigrams of
# folded plain tokens; "dangky" etc. only mark a generic "new" request.
ACTIONS: dict[str, frozenset[str]] = {
    "change": frozenset({"thay doi", "sua doi", "bo sung", "dieu chinh", "caichinh", "cai chinh", "them", "doi ten"}),
    "end": frozenset({
        "cham dut", "ngungkd", "ngung", "giai the", "xoa", "huy", "dong cua", "nghi ban", "nghi kinh",
        "tra lai", "thoi kinh", "khong kinh", "ra khoi", "thoat",
    }),
    "renew": frozenset({"caplai", "cap lai", "capdoi", "cap doi", "bi mat", "lam mat", "hong", "rach", "lam lai", "gia han", "het han"}),
    "first": frozenset({"lan dau", "landau", "chua co", "chua tung", "cap moi"}),
    "late": frozenset({"qua han", "tre han", "chua lam", "chua dang"}),
    "violation": frozenset({"xaytraiphep", "khong phep", "trai phep", "sai phep", "lan chiem", "vi pham", "to giac"}),
}
_ACTION_NEW = frozenset({"dangky", "thanh lap", "lam moi", "mo quan", "mo cua"})
ACTION_N = 5  # leading candidates compared
ACTION_RATIO = 0.5  # ... whose similarity is at least this share of the top's
ACTION_BONUS = 0.6  # ranking-key bonus (similarity units x LM_BLEND) for a sibling sharing the query's action
ACTION_PENALTY = 0.6  # ... and penalty for one with a different action
ACTION_NEW_PENALTY = 0.3  # a plain "register" query: penalty for a sibling with a specific action


def _actions(plains: list[str]) -> set[str]:
    grams = set(plains) | {a + " " + b for a, b in zip(plains, plains[1:], strict=False)}
    out = {a for a, words in ACTIONS.items() if grams & words}
    if not out and grams & _ACTION_NEW:
        out.add("new")
    return out


ANCHOR_LEAD = 0.15
ANCHOR_MIN_TOP = 0.4
ANCHOR_MIN_POSTERIOR = 0.1
ANCHOR_DF = 3
# near answer (engine._near): posterior a little under the rule's, but the top entry holds every
# domain concept of the query and leads clearly
NEAR_MIN_POSTERIOR = 0.6
NEAR_MIN_TOP = 0.45
NEAR_LEAD = 0.15
# concepts every procedure shares ("thủ tục làm căn cước" asks about the card): weighed as
# question-form words, not as what the question is about
_WEAK_CONCEPTS = frozenset("thutuc hoso giayto".split())
_GENERIC_CONCEPTS = frozenset("ubnd dangky thutuc lephi sdt camon tambiet giolamviec".split())
NON_PROCEDURAL_BLOCK = True  # intent cues (normalize.NON_PROCEDURAL) turn an answer into a suggestion
FUNCTION_WEIGHT = 0.3  # question-form and everyday words ("cần", "giấy tờ", "như thế nào")
CONCEPT_WEIGHT = 1.3  # folded domain concepts ("khaisinh", "sodo", "cancuoc")
EXPANSION_WEIGHT = 1.0  # query weight of a concept added by an everyday situation (normalize.SITUATIONS)


def _mult(p: str) -> float:
    if p in nz.CONCEPT_TOKENS:
        return CONCEPT_WEIGHT
    if p in nz.FUNCTION:
        return FUNCTION_WEIGHT
    return 1.0


def _lm_mult(p: str) -> float:
    if p in _WEAK_CONCEPTS:
        return LM_FUNCTION
    if p in nz.CONCEPT_TOKENS:
        return CONCEPT_WEIGHT
    if p in nz.FUNCTION:
        return LM_FUNCTION
    return 1.0


def _term_weight(t: str, idf: float) -> float:
    if " " in t:
        a, b = t.split(" ", 1)
        return idf * BIGRAM_WEIGHT * (_mult(a) + _mult(b)) / 2
    return idf * _mult(t)


def _terms(plains: list[str]) -> list[str]:
    out = list(dict.fromkeys(plains))
    for a, b in zip(plains, plains[1:], strict=False):
        out.append(a + " " + b)
    return out


@lru_cache(maxsize=16384)
def _content_plains(text: str) -> tuple[str, ...]:
    """The plain content words of a knowledge-base text (a build analyses each text several times;
    the lexicon is fixed, so the result is too)."""
    return tuple(t.plain for t in nz.content_tokens(nz.analyse(text)))


def _lm_counts(text: str, weight: float, into: dict[str, float], bigram_share: float = 1.0) -> None:
    plains = list(_content_plains(text))
    for t in _terms(plains):
        into[t] = into.get(t, 0.0) + weight * (bigram_share if " " in t else 1.0)


class FaqIndex:
    """Immutable search index.  Build with :meth:`build`, query with :meth:`ask`."""

    def __init__(self) -> None:
        self.entries: list[KbEntry] = []
        self.thresholds = Thresholds()
        self.rule: cal.Rule | cal.PosteriorRule | dec.LogisticRule = dec.MODEL or cal.POSTERIOR
        self.reranker: dec.Reranker | None = dec.RERANKER
        self.query_prior: dec.QueryPrior = dec.QUERY_PRIOR
        self.word_links: dec.WordLinks = dec.WORD_LINKS
        self.paraphrases: dec.Paraphrases = dec.PARAPHRASES
        self.calibration: dict = {}
        self._idf: dict[str, float] = {}
        self._postings: dict[str, list[tuple[int, float]]] = {}  # term -> (doc, weight)
        self._doc_entry: list[int] = []
        self._doc_norm: list[float] = []
        self._bag_postings: dict[str, list[tuple[int, float]]] = {}
        self._bag_norm: list[float] = []
        self._raw_vocab: dict[str, int] = {}  # syllable -> frequency (questions, variants, answers)
        self._raw_bigrams: set[str] = set()
        self._raw_vocab_list: list[str] = []
        # "tdc" -> tai dinh cu: initials of a phrase the base uses; built on the first unknown
        # abbreviation a question holds (it costs a quarter of the build on a large base)
        self._acronyms: dict[str, list[str]] | None = None
        self._phrasings: list[str] = []  # questions, variants, categories
        self._acc_keys: dict[str, set[str]] = {}
        self._qkey: list[str] = []  # normalised question per entry (to detect duplicates)
        self._entry_actions: list[set[str]] = []  # action dimension per entry (see ACTIONS)
        self._entry_acc: list[dict[str, set[str]]] = []  # accent keys of each entry's phrasings
        self._max_idf = 1.0
        self._fix_cache: dict[str, str | None] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        entries: list[KbEntry],
        thresholds: Thresholds | None = None,
        rule: cal.Rule | cal.PosteriorRule | None = None,
        calibrate: bool = False,
    ) -> FaqIndex:
        """Index ``entries``.  The answer rule is :data:`calibrate.POSTERIOR` (calibrated by
        construction) unless ``rule`` is given; a :class:`calibrate.Rule` (similarity and lead
        over the next entry) is also accepted, and ``calibrate=True`` self-calibrates one."""
        self = cls()
        if thresholds is not None:
            self.thresholds = thresholds
        if rule is not None:
            self.rule = rule
        active = [e for e in entries if getattr(e, "active", True)]
        # commune's own entries first: ties in score are then resolved in their favour
        active.sort(key=lambda e: e.tier)
        self.entries = active
        n = len(active)

        field_terms: list[tuple[int, list[str]]] = []
        entry_terms: list[set[str]] = []
        answer_terms: list[set[str]] = []
        answer_full: list[set[str]] = []
        df: dict[str, int] = defaultdict(int)
        raw_vocab: dict[str, int] = defaultdict(int)
        acc_keys: dict[str, set[str]] = defaultdict(set)

        noted: set[str] = set()

        def note_raw(text: str, phrasing: bool = True) -> None:
            if text in noted:  # answers and phrasings repeat across entries
                return
            noted.add(text)
            raw = nz.analyse_raw(text)
            for t in raw:
                raw_vocab[t.plain] += 1
                if t.acc is not None:
                    acc_keys[t.plain].add(_acc_fold(t.acc))
            for a, b in zip(raw, raw[1:], strict=False):
                self._raw_bigrams.add(a.plain + " " + b.plain)
            if phrasing:  # abbreviations are of what entries are about, not of their answers' prose
                self._phrasings.append(text)

        tcounts: list[dict[str, int]] = []
        doc_text: list[str] = []
        kb_cues: set[str] = set()  # intent cues the base's own phrasings use (never penalised)
        for k, e in enumerate(active):
            seen: set[str] = set()
            tc: dict[str, int] = {}
            phrasings = [e.question, *[v for v in e.variants if v and v.strip()]]
            eacc: dict[str, set[str]] = {}
            acts: set[str] = set()
            for text in phrasings:
                raw = nz.analyse_raw(text)
                for t in raw:
                    if t.acc is not None:
                        eacc.setdefault(t.plain, set()).add(_acc_fold(t.acc))
                note_raw(text)
                kb_cues |= nz.non_procedural_cues([t.plain for t in raw])
                plains = list(_content_plains(text))
                acts |= _actions(plains)
                if not plains:
                    continue
                terms = _terms(plains)
                field_terms.append((k, terms))
                doc_text.append(text)
                seen.update(terms)
                for t in set(terms):
                    tc[t] = tc.get(t, 0) + 1
            tcounts.append(tc)
            if e.category:
                note_raw(e.category)
            for t in seen:
                df[t] += 1
            entry_terms.append(seen)
            note_raw(e.answer or "", phrasing=False)
            ans = set(_content_plains(e.answer or ""))
            answer_full.append(ans)
            answer_terms.append(ans - seen)
            self._qkey.append(nz.normalize_plain(e.question))
            self._entry_acc.append(eacc)
            self._entry_actions.append(acts)

        ans_df: dict[str, int] = defaultdict(int)
        for k in range(n):
            for t in answer_terms[k]:
                df.setdefault(t, 0)
                ans_df[t] += 1
        idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        if ANSWER_DF_SHARE:
            # answer-only words: a word most answers use ("hồ sơ", "UBND") says little about
            # which entry is meant; its weight falls with the share of answers holding it
            for t, d in df.items():
                if not d:
                    a = ans_df.get(t, 0) * ANSWER_DF_SHARE
                    idf[t] = math.log(1.0 + (n - a + 0.5) / (a + 0.5))
        self._idf = idf
        self._phr_df = {t: d for t, d in df.items() if d}  # entries whose phrasings hold the term
        self._max_idf = math.log(1.0 + (n + 0.5) / 0.5) if n else 1.0

        wcache: dict[str, float] = {}

        def w(t: str) -> float:
            v = wcache.get(t)
            if v is None:
                v = wcache[t] = _term_weight(t, idf.get(t, self._max_idf))
            return v

        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for k, terms in field_terms:
            doc = len(self._doc_entry)
            self._doc_entry.append(k)
            norm = 0.0
            for t in terms:
                wt = w(t)
                postings[t].append((doc, wt))
                norm += wt * wt
            self._doc_norm.append(math.sqrt(norm) or 1.0)
        bag_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for k in range(n):
            norm = 0.0
            for t in sorted(entry_terms[k]):  # sorted: float sums independent of the hash seed
                wt = w(t)
                bag_postings[t].append((k, wt))
                norm += wt * wt
            for t in sorted(answer_terms[k]):
                if " " in t:
                    continue
                wt = w(t) * ANSWER_WEIGHT
                bag_postings[t].append((k, wt))
                norm += wt * wt
            self._bag_norm.append(math.sqrt(norm) or 1.0)
        # per-document term weights: frequent terms are scored only on candidate documents
        self._common_df = max(40, int(0.02 * n))
        self._doc_terms = [dict() for _ in self._doc_entry]
        self._doc_unigrams: list[tuple[list[tuple[str, float]], float]] = []  # built below
        self._entry_docs: list[list[int]] = [[] for _ in range(n)]
        for d, k in enumerate(self._doc_entry):
            self._entry_docs[k].append(d)
        for t, plist in postings.items():
            for d, wt in plist:
                self._doc_terms[d][t] = wt
        for terms in self._doc_terms:
            uni = [(t, w) for t, w in terms.items() if " " not in t]
            self._doc_unigrams.append((uni, sum(w for _, w in uni) or 1.0))
        self._bag_terms = [dict() for _ in range(n)]
        for t, plist in bag_postings.items():
            for k, wt in plist:
                self._bag_terms[k][t] = self._bag_terms[k].get(t, 0.0) + wt
        self._postings = dict(postings)
        self._bag_postings = dict(bag_postings)
        self._raw_vocab = dict(raw_vocab)
        self._kb_cues = kb_cues
        self._raw_vocab_list = sorted(raw_vocab)
        self._acc_keys = dict(acc_keys)
        self._tcounts = tcounts
        self._answer_terms = answer_terms
        self._doc_text = doc_text
        self._build_answer_vectors(answer_full)
        self._build_char_vectors()
        self._entry_intents = [
            set().union(*(nz.private_intents(nz.analyse_raw(t)) for t in [e.question, *e.variants, e.answer or ""]))
            for e in active
        ]
        self._build_lm()
        if rule is None and calibrate:
            self.rule = cal.PRIOR
            self._self_calibrate()
        elif rule is None and isinstance(self.rule, dec.LogisticRule):
            self.calibration = {"model": "learnt", "threshold": self.rule.threshold}
        elif rule is None:
            self.calibration = {"model": "query-likelihood", "rule": repr(self.rule)}
        return self

    def _build_answer_vectors(self, answers: list[set[str]]) -> None:
        """IDF vectors of the answers' words (IDF over answers), for the answer similarity."""
        n = len(answers) or 1
        adf: dict[str, int] = defaultdict(int)
        for a in answers:
            for t in a:
                if t not in nz.FUNCTION:
                    adf[t] += 1
        self._ans_idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in adf.items()}
        self._ans_vec = [{t: self._ans_idf[t] for t in sorted(a) if t in self._ans_idf} for a in answers]
        self._ans_norm = [math.sqrt(sum(v * v for v in vec.values())) or 1.0 for vec in self._ans_vec]

    def _build_char_vectors(self) -> None:
        """Character-trigram IDF vectors of every phrasing (folded), robust to typos and to
        words split or joined differently ("tho cu" / "thổ cư", "dichvucong" / "dịch vụ công")."""
        grams = [_char_grams(text) for text in self._doc_text]
        n = len(grams) or 1
        df: dict[str, int] = defaultdict(int)
        for g in grams:
            for x in g:
                df[x] += 1
        self._char_idf = {x: math.log(1.0 + n / d) for x, d in df.items()}
        self._char_max_idf = math.log(1.0 + n)
        self._char_vec = [{x: c * self._char_idf[x] for x, c in g.items()} for g in grams]
        self._char_norm = [math.sqrt(sum(v * v for v in vec.values())) or 1.0 for vec in self._char_vec]

    def _char_query(self, query_grams: dict[str, int]) -> tuple[dict[str, float], float]:
        """The query's weighted trigram vector and its norm."""
        idf, mx = self._char_idf, self._char_max_idf
        q = {x: c * idf.get(x, mx) for x, c in query_grams.items()}
        return q, math.sqrt(sum(v * v for v in q.values())) or 1.0

    def _char_sim(self, query: tuple[dict[str, float], float], k: int) -> float:
        """Best character-trigram cosine between the query and entry ``k``'s phrasings."""
        q, qn = query
        best = 0.0
        for d in self._entry_docs[k]:
            vec = self._char_vec[d]
            dot = sum(v * vec.get(x, 0.0) for x, v in q.items())
            best = max(best, dot / (qn * self._char_norm[d]))
        return best

    def _answer_sim(self, content: list[nz.Tok], k: int) -> float:
        idf = self._ans_idf
        q = {t.plain: idf[t.plain] for t in content if t.plain in idf}
        if not q:
            return 0.0
        qn = math.sqrt(sum(v * v for v in q.values()))
        vec = self._ans_vec[k]
        return sum(v * vec.get(t, 0.0) for t, v in q.items()) / (qn * self._ans_norm[k])

    def _build_lm(self) -> None:
        """Per-entry unigram+bigram language models (Dirichlet-smoothed against the whole base
        plus a built-in out-of-scope corpus, which is also the model of the "none" class)."""
        counts: list[dict[str, float]] = []
        coll: dict[str, float] = defaultdict(float)
        for e in self.entries:
            c: dict[str, float] = {}
            for text in [e.question, *[v for v in e.variants if v and v.strip()]]:
                _lm_counts(text, 1.0, c)
            if e.category:
                for t in nz.content_tokens(nz.analyse(e.category)):
                    c[t.plain] = c.get(t.plain, 0.0) + LM_CATEGORY
            _lm_counts(e.answer or "", LM_ANSWER, c, 0.5)
            counts.append(c)
            for t, v in c.items():
                coll[t] += v
        neg: dict[str, float] = {}
        for text in cal.NEGATIVES:
            _lm_counts(text, 1.0, neg)
        for t, v in neg.items():
            coll[t] += v
        total = sum(coll.values()) or 1.0
        denom = total + 0.5 * len(coll)
        pc = {t: (v + 0.5) / denom for t, v in coll.items()}
        self._lm_pc = pc
        self._lm_punk = 0.5 / denom
        mu = LM_MU
        self._lm_base = [math.log(mu / (sum(c.values()) + mu)) for c in counts]
        self._lm_gain = [
            {t: math.log((v + mu * pc[t]) / (mu * pc[t])) for t, v in c.items()} for c in counts
        ]
        self._lm_neg_base = math.log(mu / (sum(neg.values()) + mu))
        self._lm_neg = {t: math.log((v + mu * pc[t]) / (mu * pc[t])) for t, v in neg.items()}

    def _lm_score(
        self, content: list[nz.Tok], cand: list[int]
    ) -> tuple[dict[int, float], float, float, list[tuple[str, float]]]:
        """Log-likelihood ratios (query | entry) / (query | background) for the candidate
        entries, the out-of-scope model's, the total term weight and the weighted terms."""
        pl = [t.plain for t in content]
        pc = self._lm_pc
        explained = {t.plain for t in content if t.expl} if any(not t.text and t.plain in pc for t in content) else set()
        terms: list[tuple[str, float]] = []
        added = {t.plain for t in content if not t.text}
        purpose = _purpose_words(content)
        for t in dict.fromkeys(pl):
            pw = PURPOSE_WEIGHT if t in purpose else 1.0
            if t in pc:
                terms.append((t, pw * _lm_mult(t) * (EXPANSION_WEIGHT if t in added else 1.0)))
            elif t in explained:
                continue  # a word of an everyday-situation phrase: its concept token speaks for it
            elif LM_UNKNOWN and not t.isdigit() and len(t) > 1 and t not in self._raw_vocab:
                terms.append((t, pw * _lm_mult(t) * LM_UNKNOWN))
        for a, b in zip(pl, pl[1:], strict=False):
            bg = a + " " + b
            if bg in pc:
                pw = PURPOSE_WEIGHT if a in purpose and b in purpose else 1.0
                terms.append((bg, pw * LM_BIGRAM * (_lm_mult(a) + _lm_mult(b)) / 2))
        wsum = sum(w for _, w in terms)
        neg = wsum * self._lm_neg_base + sum(w * self._lm_neg.get(t, 0.0) for t, w in terms)
        base = self._lm_base
        gains = self._lm_gain
        scores = {}
        for k in cand:
            g = gains[k]
            scores[k] = wsum * base[k] + sum(w * g.get(t, 0.0) for t, w in terms)
        return scores, neg, wsum, terms

    def _action_adjust(self, plains: list[str], sib: list[int]) -> dict[int, float]:
        """Ranking-key adjustment of close siblings by the action the query asks for."""
        out = {k: 0.0 for k in sib}
        aq = _actions(plains)
        if not aq:
            return out
        acts = [self._entry_actions[k] for k in sib]
        if aq == {"new"}:
            if any(not a or a == {"new"} for a in acts):
                for k, a in zip(sib, acts, strict=True):
                    if a - {"new"}:
                        out[k] = -ACTION_NEW_PENALTY
            return out
        aq.discard("new")
        if not any(a & aq for a in acts):
            return out
        for k, a in zip(sib, acts, strict=True):
            spec = a - {"new"}
            if spec & aq:
                out[k] = ACTION_BONUS
            else:  # a sibling asks for this action: one that does not is less likely meant
                out[k] = -ACTION_PENALTY
        return out

    def _rank(self, content: list[nz.Tok]) -> Ranking:
        """Candidates in blended order (similarity + length-normalised log-likelihood + the
        action dimension), the top one's posterior and its log-likelihood ratio against the
        out-of-scope model per unit of query weight."""
        weights = self._query_weights(content)
        ranked, _ = self._score(content, weights=weights)
        if not ranked:
            return Ranking([], 0.0, 0.0, {}, {})
        sim = {k: s for s, k in ranked}
        lm, neg, wsum, terms = self._lm_score(content, list(sim))
        cand = list(sim)
        norm = wsum or 1.0
        accented = [t for t in content if t.acc is not None and t.text]
        if accented:
            # a word typed with other diacritics than the entry's ("muốn" / "muộn") is another
            # word: it gives that entry no likelihood
            tw = dict(terms)
            for k in cand[:RERANK_DEPTH_LM]:
                eacc = self._entry_acc[k]
                for t in accented:
                    keys = eacc.get(t.plain)
                    if keys and _acc_fold(t.acc) not in keys:
                        lm[k] -= tw.get(t.plain, 0.0) * self._lm_gain[k].get(t.plain, 0.0)
        base_lm = dict(lm)

        def blended_order() -> list[int]:
            top_lm = max(lm.values())
            return sorted(cand, key=lambda k: (-(LM_BLEND * sim.get(k, 0.0) + (lm[k] - top_lm) / norm), self.entries[k].tier, k))

        order = blended_order()
        action: dict[int, float] = {}
        if ACTION_BONUS or ACTION_PENALTY:
            s0 = sim.get(order[0], 0.0)
            sib = [k for k in order[:ACTION_N] if sim.get(k, 0.0) >= ACTION_RATIO * s0]
            # "mất thẻ BHYT làm lại": the re-issue of another card is not a sibling; only
            # candidates holding the query's domain concepts compete on the action
            concepts = self._domain_concepts(content)
            if concepts:
                sib = [k for k in sib if any(self._tcounts[k].get(c, 0) for c in concepts)]
            if len(sib) >= 2:
                action = self._action_adjust([t.plain for t in content], sib)
                if any(action.values()):
                    for k, b in action.items():
                        lm[k] += b * norm
                    order = blended_order()
        k1 = order[0]
        temp = LM_TEMPERATURE
        # candidates outside the similarity shortlist hold a negligible share of the mass
        s_top = sim.get(k1, 0.0)
        xs = {k: (x + LM_POST_SIM * wsum * min(0.0, sim.get(k, 0.0) - s_top)) / temp for k, x in lm.items()}
        others = [LM_NONE / temp, (neg + LM_NEG_BIAS) / temp]
        m = max(max(xs.values()), *others)
        z = sum(math.exp(x - m) for x in xs.values()) + sum(math.exp(x - m) for x in others)
        key = self._qkey[k1]
        same = [k for k in order[:10] if self._qkey[k] == key] if key else [k1]
        posterior = sum(math.exp(xs[k] - m) for k in set(same) | {k1}) / z
        top_base = max(base_lm.values())
        lm_rel = {k: (base_lm[k] - top_base) / norm for k in cand}
        return Ranking(
            [(sim.get(k, 0.0), k) for k in order], posterior, (lm[k1] - neg) / norm, lm_rel, action, weights=weights
        )

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------ query analysis
    def _fix(self, p: str) -> str | None:
        """Correct an unknown syllable to a known one, or None."""
        cached = self._fix_cache.get(p, "\0")
        if cached != "\0":
            return cached
        result: str | None = None
        vocab = self._raw_vocab
        for c in nz.telex_candidates(p):
            if c in vocab:
                result = c
                break
        if result is None and len(p) >= 3 and not p.isdigit() and self._raw_vocab_list:
            cutoff = 1 if len(p) < 6 else 2
            found = process.extract(p, self._raw_vocab_list, scorer=OSA.distance, score_cutoff=cutoff, limit=8)
            if found:
                best = min(found, key=lambda f: (f[1], -vocab.get(f[0], 0), abs(len(f[0]) - len(p))))
                # only accept a correction keeping first letter (typos rarely hit it) or distance 1 on long words
                if best[0][0] == p[0] or len(p) >= 5:
                    result = best[0]
        if result is None and len(p) >= 5:
            for i in range(2, len(p) - 1):
                a, b = p[:i], p[i:]
                if a in vocab and b in vocab and (a + " " + b) in self._raw_bigrams:
                    result = a + " " + b
                    break
        if len(self._fix_cache) < 50000:
            with self._lock:
                self._fix_cache[p] = result
        return result

    def _acronym(self, p: str) -> list[str] | None:
        """The phrase of the base that the unknown token ``p`` abbreviates, if any."""
        if not (3 <= len(p) <= ACRONYM_MAX and p.isalpha()) or nz.is_valid_syllable(p) or p in nz.TEENCODE:
            return None  # callers pass only words the base does not have
        return self._acronym_table().get(p)

    def _acronym_table(self) -> dict[str, list[str]]:
        """Abbreviations of the base's phrases, built on first use (~10 % of the build)."""
        if self._acronyms is None:
            with self._lock:
                if self._acronyms is None:
                    initials: dict[str, Counter[str]] = defaultdict(Counter)
                    for text in self._phrasings:
                        _note_initials(nz.analyse_raw(text), initials)
                    self._acronyms = _acronyms(initials)
        return self._acronyms

    def warm(self) -> None:
        """Build now what the index otherwise builds on the first question that needs it (the
        abbreviation table): the service calls it in the background after publishing a new index,
        so that no citizen waits for it (0.2 s at 2,000 entries, ~6 s at 20,000)."""
        self._acronym_table()

    def _analyse_query(self, query: str) -> tuple[list[nz.Tok], float, list[nz.Tok]]:
        """Returns (content tokens after correction, unknown-content weight, all tokens)."""
        raw = nz.analyse_raw(query)
        fixed: list[nz.Tok] = []
        vocab = self._raw_vocab
        bigrams = self._raw_bigrams
        for i, t in enumerate(raw):
            p = t.plain
            if p in vocab or p in nz.STOP or p in nz.FUNCTION or p in nz.CHIT_ALL or p in nz.CONCEPT_WORDS or p.isdigit() or len(p) == 1:
                fixed.append(t)
                continue
            expansion = self._acronym(p)
            if expansion is not None:
                # "dat tdc", "gpmb": an abbreviation of a phrase the base spells out
                fixed.extend(nz.Tok(part, None, part) for part in expansion)
                continue
            c = self._fix(p)
            if c is not None and nz.is_valid_syllable(p):
                # a real syllable the KB does not use: only correct it when the correction
                # forms a phrase the KB knows with a neighbour ("khai xinh" -> "khai sinh")
                prev = fixed[-1].plain if fixed else ""
                nxt = raw[i + 1].plain if i + 1 < len(raw) else ""
                first, last = c.split()[0], c.split()[-1]
                if (prev + " " + first) not in bigrams and (last + " " + nxt) not in bigrams:
                    c = None
            if c is None:
                fixed.append(t)
            else:
                for part in c.split():
                    fixed.append(nz.Tok(part, None, part))
        toks = nz.fold(fixed)
        content = nz.content_tokens(toks)
        return content, 0.0, toks

    # ------------------------------------------------------------------ scoring
    def _query_weights(self, content: list[nz.Tok]) -> tuple[dict[str, float], dict[str, float], float]:
        """Query term weights: (for the norm, for the dot product, unknown-content mass)."""
        idf = self._idf
        qw: dict[str, float] = {}  # weight used for the norm
        qdot: dict[str, float] = {}  # weight used for the dot product
        oov = 0.0
        known_plains: list[str] = []
        # words of an everyday-situation phrase are not "unknown" when its concept is in the base
        expl_ok = any(not t.text and t.plain in idf for t in content)
        purpose = _purpose_words(content)
        for t in content:
            p = t.plain
            if p in idf:
                wt = _term_weight(p, idf[p])
                if p in purpose:
                    wt *= PURPOSE_WEIGHT
                factor = 1.0
                if t.acc is not None:
                    keys = self._acc_keys.get(p)
                    if keys and _acc_fold(t.acc) not in keys:
                        factor = ACCENT_MISMATCH
                if not t.text:
                    factor *= EXPANSION_WEIGHT  # a concept added by an everyday-situation phrase
                qw[p] = wt * (EXPANSION_WEIGHT if not t.text else 1.0)
                qdot[p] = wt * factor
                known_plains.append(p)
            elif (t.expl and expl_ok) or p in self._raw_vocab or p in nz.FUNCTION or p in nz.CONCEPT_TOKENS or p.isdigit() or len(p) <= 1:
                known_plains.append("\0")  # known filler: breaks bigrams, no weight
            else:
                oov += self._max_idf * OOV_WEIGHT
                known_plains.append("\0")
        for a, b in zip(known_plains, known_plains[1:], strict=False):
            if a == "\0" or b == "\0":
                continue
            bg = a + " " + b
            if bg in idf:
                wt = _term_weight(bg, idf[bg])
                qw[bg] = wt
                qdot[bg] = wt * min(qdot[a] / qw[a], qdot[b] / qw[b])
        return qw, qdot, oov

    def _score(
        self,
        content: list[nz.Tok],
        exclude: int | None = None,
        weights: tuple[dict[str, float], dict[str, float], float] | None = None,
    ) -> tuple[list[tuple[float, int]], float]:
        """Ranked (score, entry) pairs and the query's unknown-content share.

        ``exclude``: a document (phrasing) held out of its entry, for self-calibration."""
        qw, qdot, oov = weights or self._query_weights(content)
        norm_sq = sum(v * v for v in qw.values()) + oov * oov
        if not qw:
            return [], 1.0 if oov else 0.0
        qnorm = math.sqrt(norm_sq)
        doc_dot: dict[int, float] = defaultdict(float)
        bag_dot: dict[int, float] = defaultdict(float)
        common_df = self._common_df
        rare = {t: v for t, v in qdot.items() if len(self._bag_postings.get(t, ())) <= common_df}
        if not rare and len(qdot) > 2:
            # only frequent terms: the two most distinctive ones generate the candidates
            for t in sorted(qdot, key=lambda t: len(self._bag_postings.get(t, ())))[:2]:
                rare[t] = qdot[t]
        common = {t: v for t, v in qdot.items() if t not in rare}
        for t, v in (rare if rare else qdot).items():
            for d, wt in self._postings.get(t, ()):
                doc_dot[d] += v * wt
            for k, wt in self._bag_postings.get(t, ()):
                bag_dot[k] += v * wt
        if rare and common:
            # frequent terms only refine the candidates found through the distinctive ones
            for d in list(doc_dot):
                terms = self._doc_terms[d]
                doc_dot[d] += sum(v * terms.get(t, 0.0) for t, v in common.items())
            for k in list(bag_dot):
                terms = self._bag_terms[k]
                bag_dot[k] += sum(v * terms.get(t, 0.0) for t, v in common.items())
        field_best: dict[int, float] = {}
        doc_entry = self._doc_entry
        doc_norm = self._doc_norm
        for d, dot in doc_dot.items():
            if d == exclude:
                continue
            s = dot / (qnorm * doc_norm[d])
            k = doc_entry[d]
            if s > field_best.get(k, 0.0):
                field_best[k] = s
        bag_norm = self._bag_norm
        best: dict[int, float] = {}
        if exclude is not None:
            k_ex = doc_entry[exclude]
            if k_ex in bag_dot:
                bag_dot[k_ex] = self._loo_bag_dot(qdot, k_ex, exclude)
        for k, dot in bag_dot.items():
            if exclude is not None and k == doc_entry[exclude]:
                dot, bn = dot
                b = dot / (qnorm * bn)
                f = field_best.get(k, 0.0)
                best[k] = max(FIELD_MIX * f + (1 - FIELD_MIX) * b, f * FIELD_ONLY)
                continue
            b = dot / (qnorm * bag_norm[k])
            f = field_best.get(k, 0.0)
            best[k] = max(FIELD_MIX * f + (1 - FIELD_MIX) * b, f * FIELD_ONLY)
        entries = self.entries
        ranked = heapq.nsmallest(
            RANK_DEPTH, ((-s, entries[k].tier, k) for k, s in best.items())
        )
        if COVERAGE_MIX > 0:
            # rerank by how much of the query (IDF mass) each candidate explains: an entry
            # covering a distinctive word ("quá hạn", "nước ngoài") beats a sibling that only
            # shares more generic ones
            qmass = (sum(qw[t] * qdot[t] for t in qdot) + oov * oov) or 1.0
            loo_k = doc_entry[exclude] if exclude is not None else -1
            rer = []
            tail = ranked[RERANK_DEPTH:]
            for ns, tier, k in ranked[:RERANK_DEPTH]:
                tc = self._tcounts[k]
                ans = self._answer_terms[k]
                held = self._doc_terms[exclude] if k == loo_k else None
                cov = 0.0
                for t, v in qdot.items():
                    c = tc.get(t, 0)
                    if held is not None and t in held:
                        c -= 1
                    if c > 0:
                        cov += qw[t] * v
                    elif t in ans:
                        cov += qw[t] * v * ANSWER_COVERAGE
                s = (1 - COVERAGE_MIX) * -ns + COVERAGE_MIX * cov / qmass
                rer.append((-s, tier, k))
            rer.sort()
            ranked = rer + [(ns * (1 - COVERAGE_MIX), tier, k) for ns, tier, k in tail]
        ranked = [(-ns, k) for ns, _, k in ranked]
        unknown_share = (oov * oov) / norm_sq if norm_sq else 0.0
        return ranked, unknown_share

    def _loo_bag_dot(self, qdot: dict[str, float], k: int, d: int) -> tuple[float, float]:
        """Dot product and norm of entry ``k``'s bag without document ``d``."""
        held = self._doc_terms[d]
        tc = self._tcounts[k]
        idf = self._idf
        answer = self._answer_terms[k]
        weights: dict[str, float] = {}
        for t, c in tc.items():
            if c - (t in held) > 0:
                weights[t] = _term_weight(t, idf.get(t, self._max_idf))
        for t in answer:
            if " " not in t and t not in weights:
                weights[t] = _term_weight(t, idf.get(t, self._max_idf)) * ANSWER_WEIGHT
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return sum(v * weights.get(t, 0.0) for t, v in qdot.items()), norm

    def _self_calibrate(self) -> None:
        """Choose the answer rule on pseudo-queries made from this knowledge base."""
        n = len(self.entries)
        if n < 2:
            self.calibration = {"fallback": "prior"}
            return
        rnd = random.Random(1234 + n)
        docs_of: dict[int, list[int]] = defaultdict(list)
        for d, k in enumerate(self._doc_entry):
            docs_of[k].append(d)
        multi = [k for k in range(n) if len(docs_of[k]) >= 2]
        if len(multi) > CALIB_ENTRIES:
            multi = rnd.sample(multi, CALIB_ENTRIES)
        positives: list[tuple[float, float, bool]] = []
        for k in multi:
            for d in docs_of[k][:CALIB_DOCS_PER_ENTRY]:
                text = self._doc_text[d]
                for q in (text, cal.noisy(text, rnd)):
                    f = self._features(q, exclude=d)
                    if f is None:
                        continue
                    s1, s2, k1 = f
                    positives.append((s1, s1 - s2, self._qkey[k1] == self._qkey[k]))
        negatives: list[tuple[float, float]] = []
        for q in cal.NEGATIVES:
            f = self._features(q)
            if f is not None:
                negatives.append((f[0], f[0] - f[1]))
        self.rule, self.calibration = cal.choose_rule(positives, negatives)

    def _features(self, query: str, exclude: int | None = None) -> tuple[float, float, int] | None:
        """(top score, next distinct entry's score, top entry) or None (chit-chat / nothing)."""
        content, _, toks = self._analyse_query(query)
        if nz.chitchat_kind(toks, query) is not None and not any(
            t.plain in self._idf and t.plain not in nz.CHIT_ALL for t in content
        ):
            return None
        ranked, _ = self._score(content, exclude)
        if not ranked:
            return None
        s1, k1 = ranked[0]
        return s1, self._second(ranked, k1), k1

    def _second(self, ranked: list[tuple[float, int]], k1: int) -> float:
        for s, k in ranked[1:]:
            if self._qkey[k] != self._qkey[k1]:
                return s
        return 0.0

    # ------------------------------------------------------------------ public API
    def ask(self, query: str) -> FaqResult:
        query = query or ""
        if len(query) > 2000:
            query = query[:2000]
        content, _, toks = self._analyse_query(query)
        normalized = " ".join(t.text for t in content if t.text)
        kind = nz.chitchat_kind(toks, query)
        if kind is not None and not any(t.plain in self._idf and t.plain not in nz.CHIT_ALL for t in content):
            if not query.strip():
                return FaqResult("none", normalized, [])
            return FaqResult("chitchat", normalized, [], nz.chitchat_reply(kind))
        rk = self._rerank(query, content, self._rank(content))
        ranked, posterior = rk.ranked, rk.posterior
        if not ranked:
            return FaqResult("none", normalized, [])
        th = self.thresholds
        s1, k1 = ranked[0]
        # next *distinct* entry (a province copy of the same question does not count)
        s2 = self._second(ranked, k1)
        margin = s1 - s2
        conf = _calibrate(s1, margin)
        top = self._distinct(ranked, 3)
        k1 = top[0][1]
        feats: dict[str, float] = {}
        if isinstance(self.rule, dec.LogisticRule):
            feats = self.features(query, content, rk)
            conf = self.rule.probability(feats)  # calibrated by the fit
            answer = conf >= self.rule.threshold
        elif isinstance(self.rule, cal.PosteriorRule):
            answer = (
                self.rule.passes(s1, posterior)
                or self._anchored(content, ranked, posterior)
                or self._near(content, ranked, posterior)
            )
            if answer and NON_PROCEDURAL_BLOCK:
                # "cách chữa ... tại nhà", "mua ở đâu giá rẻ": not a procedure question
                answer = not self._foreign_cues(query)
        else:
            answer = self.rule.passes(s1, margin)
        if answer:
            matches = [FaqMatch(self.entries[k], round(conf if i == 0 else _calibrate(s, 0.0), 4)) for i, (s, k) in enumerate(top)]
            return FaqResult("answer", normalized, matches)
        # a weak match the learnt decision still finds plausible, unless the question is about
        # prices, games, private matters ("giá thịt lợn", "cách chơi cờ tướng")
        learnt_lead = (bool(feats) and conf >= th.suggest_probability
                       and not feats.get("cue") and not feats.get("private"))
        implausible = bool(feats) and conf < th.offer_floor
        if (s1 >= th.suggest or learnt_lead) and not implausible:
            floor = th.suggest * 0.8 if s1 >= th.suggest else 0.0
            sug = [(s, k) for s, k in top if s >= th.suggest_ratio * s1 and s >= floor]
            if _vague(content):
                # "cho hỏi về khai sinh": the general entry first, then the special cases
                qdot = (rk.weights or self._query_weights(content))[1]
                sug.sort(key=lambda t: -self._entry_cov(t[1], qdot))
            matches = [FaqMatch(self.entries[k], round(conf if k == k1 else _calibrate(s, 0.0), 4)) for s, k in sug]
            return FaqResult("suggest", normalized, matches, unsure=s1 < th.suggest)
        return FaqResult("none", normalized, [FaqMatch(self.entries[k], round(_calibrate(s, 0.0), 4)) for s, k in top])

    def _accent_conflict(self, content: list[nz.Tok], k: int) -> float:
        """Share of the query's words typed with diacritics that entry ``k`` holds only with
        other diacritics ("chán" against "chắn"): different words that fold alike."""
        typed = conflict = 0
        eacc = self._entry_acc[k]
        for t in content:
            if t.acc is None or not t.text:
                continue
            typed += 1
            keys = eacc.get(t.plain)
            if keys and _acc_fold(t.acc) not in keys:
                conflict += 1  # "muốn" against the entry's "muộn"
        return conflict / typed if typed else 0.0

    def _domain_concepts(self, content: list[nz.Tok]) -> set[str]:
        """The query's domain concepts ("bhyt", "khaisinh") that the base knows."""
        return {
            t.plain for t in content
            if t.plain in nz.CONCEPT_TOKENS and t.plain not in _GENERIC_CONCEPTS and t.plain in self._idf
        }

    def candidate_features(self, content: list[nz.Tok], rk: Ranking, query: str | None = None) -> list[dict[str, float]]:
        """Features of the leading candidates (:data:`decision.RERANK_DEPTH`) for the learnt
        reranker."""
        qw, qdot, oov = rk.weights or self._query_weights(content)
        mass = sum(qw[t] * qdot[t] for t in qdot) + oov * oov or 1.0
        cands = rk.ranked[: dec.RERANK_DEPTH]
        s_top = max(s for s, _ in cands)
        concepts = self._domain_concepts(content)
        out = []
        qgrams = rk.qgrams or _char_grams(" ".join(t.text for t in content if t.text) if query is None else query)
        qvec = self._char_query(qgrams)
        vague = _vague(content)
        for i, (s, k) in enumerate(cands):
            tc = self._tcounts[k]
            ans = self._answer_terms[k]
            held = sum(qw[t] * v for t, v in qdot.items() if tc.get(t, 0))
            answer_only = sum(qw[t] * v for t, v in qdot.items() if not tc.get(t, 0) and t in ans)
            out.append({
                "sim": s,
                "sim_gap": s - s_top,
                "lm_rel": max(-3.0, rk.lm_rel.get(k, -3.0)),
                "held": held / mass,
                "answer_only": answer_only / mass,
                "entry_cov": self._entry_cov(k, qdot),
                "action": rk.action.get(k, 0.0),
                "concept_missing": float(sum(1 for c in concepts if not tc.get(c, 0))),
                # missing a concept several entries share (a topic: "bhyt", "tạm trú") rather
                # than a rare modifier ("hết hạn")
                "topic_missing": float(sum(1 for c in concepts if not tc.get(c, 0) and self._phr_df.get(c, 0) >= 2)),
                "first": float(i == 0),
                "char_sim": self._char_sim(qvec, k),
                "answer_sim": self._answer_sim(content, k),
                "accent_conflict": self._accent_conflict(content, k),
                "vague_cov": self._entry_cov(k, qdot) if vague else 0.0,
            })
        # what other bases teach: words citizens use for these entries ("cưới" → kết hôn), and the
        # entries that answered the nearest questions asked there
        taught = dec.cross_base_features(
            question_words(content), [self.entry_words(k) for _, k in cands], self.word_links, self.paraphrases
        )
        for f, extra in zip(out, taught, strict=True):
            f.update(extra)
        return out

    def _entry_cov(self, k: int, qdot: dict[str, float]) -> float:
        """How much of entry ``k``'s closest phrasing the query holds ("lịch tưới" + "dẫn nước"
        hold most of "Lịch dẫn nước tưới từ công trình thủy lợi"; "karaoke nào hát hay" little
        of "Giấy phép kinh doanh karaoke")."""
        best = 0.0
        for d in self._entry_docs[k]:
            uni, total = self._doc_unigrams[d]
            best = max(best, sum(w for t, w in uni if t in qdot) / total)
        return best

    def _rerank(self, query: str, content: list[nz.Tok], rk: Ranking) -> Ranking:
        """Reorder the leading candidates with the learnt reranker (when one is set)."""
        model = self.reranker
        if model is None or not rk.ranked:
            return rk
        lead = rk.ranked[: dec.RERANK_DEPTH]
        rk.qgrams = _char_grams(query)
        scores = model.scores(self.candidate_features(content, rk, query))
        order = sorted(range(len(lead)), key=lambda i: (-scores[i], self.entries[lead[i][1]].tier, i))
        m = max(scores)
        z = sum(math.exp(x - m) for x in scores)
        top = order[0]
        key = self._qkey[lead[top][1]]
        prob = sum(math.exp(scores[i] - m) for i in order if self._qkey[lead[i][1]] == key) / z
        nxt = next((scores[i] for i in order[1:] if self._qkey[lead[i][1]] != key), scores[top] - 10.0)
        return Ranking(
            [lead[i] for i in order] + rk.ranked[dec.RERANK_DEPTH :], rk.posterior, rk.lm_ratio,
            rk.lm_rel, rk.action, prob, scores[top] - nxt, rk.weights, rk.qgrams,
        )

    def _foreign_cues(self, query: str, raw: list[nz.Tok] | None = None) -> set[str]:
        """Non-procedural intent cues of the query that the base's own phrasings never use
        (``raw``: ``nz.analyse_raw(query)`` when already done)."""
        return nz.non_procedural_cues([t.plain for t in raw or nz.analyse_raw(query)]) - self._kb_cues

    def entry_words(self, k: int) -> set[str]:
        """The single words of entry ``k``'s phrasings (analysed forms, no pairs)."""
        return {t for t in self._tcounts[k] if " " not in t}

    def features(self, query: str, content: list[nz.Tok], rk: Ranking) -> dict[str, float]:
        """Features of the answer/no-answer decision for the top candidate (see :mod:`decision`).

        Every feature is relative (shares, similarities, log-odds), so it means the same on any
        knowledge base."""
        ranked, posterior = rk.ranked, rk.posterior
        s1, k1 = ranked[0]
        s2 = self._second(ranked, k1)
        qw, qdot, oov = rk.weights or self._query_weights(content)
        mass = sum(qw[t] * qdot[t] for t in qdot) + oov * oov or 1.0
        tc = self._tcounts[k1]
        ans = self._answer_terms[k1]
        held = answer_only = other = 0.0
        rare = 0.0
        for t, v in qdot.items():
            m = qw[t] * v
            if tc.get(t, 0):
                held += m
                if " " not in t:
                    rare = max(rare, self._idf.get(t, 0.0) / self._max_idf)
            elif t in ans:
                answer_only += m
            else:
                other += m
        concepts = self._domain_concepts(content)
        missing = sum(1 for c in concepts if not tc.get(c, 0))
        words = question_words(content)
        raw = nz.analyse_raw(query)
        foreign = nz.private_intents(raw) - self._entry_intents[k1]
        p = min(max(posterior, 1e-4), 1 - 1e-4)
        rp = min(max(rk.rank_prob, 1e-4), 1 - 1e-4)
        links_mean, unexplained = self.word_links.features(words, self.entry_words(k1))
        return {
            "s1": s1,
            "margin": s1 - s2,
            "post_logit": math.log(p / (1 - p)),
            "lm_ratio": max(-3.0, min(3.0, rk.lm_ratio)),
            "held": held / mass,
            "entry_cov": self._entry_cov(k1, qdot),
            "answer_only": answer_only / mass,
            "other": other / mass,
            "unknown": oov * oov / mass,
            "n_words": math.log1p(len(words)),
            "rare": rare,
            "concept_held": float(len(concepts) - missing),
            "concept_missing": float(missing),
            # a domain concept no entry of the base mentions ("con nuôi", "thai sản" asked of a base
            # without them): most likely a question the base cannot answer
            "absent": float(sum(
                1 for t in {t.plain for t in content}
                if t in nz.CONCEPT_TOKENS and t not in _GENERIC_CONCEPTS and t not in self._idf
            )),
            "anchor": float(self._anchored(content, ranked, posterior)),
            "near": float(self._near(content, ranked, posterior)),
            "cue": float(bool(self._foreign_cues(query, raw))),
            "private": float(len(foreign)),
            "accent_conflict": self._accent_conflict(content, k1),
            "char_sim": self._char_sim(self._char_query(rk.qgrams or _char_grams(query)), k1),
            "answer_sim": self._answer_sim(content, k1),
            "rank_logit": math.log(rp / (1 - rp)),
            "rank_margin": min(10.0, rk.rank_margin),
            # words that questions no entry answers use ("nào tốt", "giá vàng"), on any base
            "query_prior": self.query_prior.log_odds([t.plain for t in raw]),
            # the question's other words: linked to the entry's by what citizens write, or not
            "links_mean": links_mean,
            "links_unexplained": unexplained,
        }

    def _anchored(self, content: list[nz.Tok], ranked: list[tuple[float, int]], posterior: float) -> bool:
        """A clear similarity lead plus a rare anchor: the query holds a domain concept or a
        content-word phrase that the top entry's phrasings use and at most ANCHOR_DF entries do.
        Then words the entry does not hold (a family member, a circumstance) are context, and
        the entry is answered even though the language model spreads its posterior."""
        if not ANCHOR_LEAD:
            return False
        s1, k1 = ranked[0]
        if s1 < ANCHOR_MIN_TOP or posterior < ANCHOR_MIN_POSTERIOR:
            return False
        key = self._qkey[k1]
        s2 = max((s for s, k in ranked[1:] if self._qkey[k] != key), default=0.0)
        if s1 - s2 < ANCHOR_LEAD:
            return False
        pl = [t.plain for t in content]
        terms = [t for t in dict.fromkeys(pl) if t in nz.CONCEPT_TOKENS]
        terms += [a + " " + b for a, b in zip(pl, pl[1:], strict=False) if a not in nz.FUNCTION and b not in nz.FUNCTION]
        tc = self._tcounts[k1]
        return any(tc.get(t, 0) and self._phr_df.get(t, 0) <= ANCHOR_DF for t in terms)

    def _near(self, content: list[nz.Tok], ranked: list[tuple[float, int]], posterior: float) -> bool:
        """Posterior just below the threshold, but the top entry's phrasings hold every domain
        concept of the query (at least one) and it leads the next distinct entry clearly."""
        if not NEAR_LEAD:
            return False
        s1, k1 = ranked[0]
        if s1 < NEAR_MIN_TOP or posterior < NEAR_MIN_POSTERIOR:
            return False
        key = self._qkey[k1]
        s2 = max((s for s, k in ranked[1:] if self._qkey[k] != key), default=0.0)
        if s1 - s2 < NEAR_LEAD:
            return False
        concepts = {t.plain for t in content if t.plain in nz.CONCEPT_TOKENS and t.plain not in _GENERIC_CONCEPTS}
        concepts = {c for c in concepts if c in self._idf}
        tc = self._tcounts[k1]
        return bool(concepts) and all(tc.get(c, 0) for c in concepts)

    def _distinct(self, ranked: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
        """Best entries with distinct questions; among copies of one question (a commune's own
        entry and the province's), the commune's own entry wins."""
        pick: dict[str, tuple[float, int]] = {}
        order: list[str] = []
        for s, k in ranked[:RANK_DEPTH]:
            if len(order) >= limit and s < 0.98 * pick[order[limit - 1]][0]:
                continue
            key = self._qkey[k]
            cur = pick.get(key)
            if cur is None:
                pick[key] = (s, k)
                order.append(key)
            elif self.entries[k].tier < self.entries[cur[1]].tier:
                pick[key] = (cur[0], k)
        return [pick[key] for key in order[:limit]]

    def explain(self, query: str) -> dict:
        """Debug view: normalised query and the five best raw scores."""
        content, _, _ = self._analyse_query(query)
        _, unknown = self._score(content)
        rk = self._rerank(query, content, self._rank(content))
        ranked, posterior = rk.ranked, rk.posterior
        return {
            "normalized": " ".join(t.plain for t in content),
            "unknown_share": round(unknown, 3),
            "posterior": round(posterior, 3),
            "top": [(self.entries[k].id, round(s, 3)) for s, k in ranked[:5]],
        }


PURPOSE_WEIGHT = 0.5  # weight of the words of a purpose clause ("... để vay vốn ngân hàng")
_NOT_PURPOSE_NEXT = frozenset("lai con ra non mo be danh".split())


def question_words(content: list[nz.Tok]) -> set[str]:
    """The question's content words without function words (what :class:`decision.WordLinks` links)."""
    return {t.plain for t in content if t.plain not in nz.FUNCTION}


def _vague(content: list[nz.Tok]) -> bool:
    """One distinctive word ("cho hỏi về khai sinh", "cccd"): the entry that is about that alone
    (the query covers most of it) is the general answer, not a special case."""
    return len({t.plain for t in content if t.plain not in nz.FUNCTION}) <= 1


def _purpose_words(content: list[nz.Tok]) -> set[str]:
    """Words of a purpose clause: in "xác nhận độc thân để đăng ký kết hôn" the citizen asks for
    the certificate; what it is for weighs less.  Only after at least two words of request, and
    not "để lại" (leave behind) or "đẻ" (give birth)."""
    for i, t in enumerate(content):
        if t.plain != "de" or i == 0 or i + 1 >= len(content):
            continue
        if t.acc is not None and not t.acc.startswith("đê"):
            continue
        if content[i + 1].plain in _NOT_PURPOSE_NEXT or content[i - 1].plain in ("moi", "vua", "sap"):
            continue
        # words typed, not tokens: "giấy chứng nhận độc thân" is one concept token of five words
        if sum(len(x.text.split()) or 1 for x in content[:i] if x.plain not in nz.FUNCTION) < 2:
            continue  # "làm thế nào để nhập khẩu": the clause is the request
        before = {x.plain for x in content[:i]}
        return {x.plain for x in content[i + 1 :] if x.text and x.plain not in before}
    return set()


_VOWELS = frozenset("aeiouy")
ACRONYM_MAX = 5  # longest abbreviation looked for ("xkld", "gpmb", "qsdd")
# a phrase abbreviated neither starts nor ends with a connective ("và", "cho", "ở")
_EDGE_WORDS = frozenset("và hoặc hay của cho để ở tại nơi trong là thì mà với có không được".split())
_EDGE_PLAIN = frozenset(nz.strip_accents(w) for w in _EDGE_WORDS)


def _note_initials(raw: list[nz.Tok], into: dict[str, Counter[str]]) -> None:
    """Count the phrases of 3 to ACRONYM_MAX words within a clause under their initials ("tai dinh
    cu" under "tdc"), phrases that start or end with a function word left out; initials with two
    or more vowels spell a syllable more often than an abbreviation and are skipped."""
    firsts = [t.plain[:1] for t in raw]
    edges = [_edge(t) for t in raw]
    n = len(raw)
    for i in range(n):
        if edges[i] or not firsts[i].isalpha():
            continue
        key = firsts[i]
        vowels = key in _VOWELS
        for j in range(i + 1, min(i + ACRONYM_MAX, n)):
            c = firsts[j]
            if raw[j].start or not c.isalpha():
                break
            key += c
            if c in _VOWELS:
                if vowels:
                    break
                vowels = True
            if j - i >= 2 and not edges[j]:
                into[key][" ".join(t.plain for t in raw[i : j + 1])] += 1


def _edge(t: nz.Tok) -> bool:
    if nz.is_stop(t):
        return True
    return t.plain in _EDGE_PLAIN if t.acc is None else t.text.lower() in _EDGE_WORDS


def _acronyms(initials: dict[str, Counter[str]]) -> dict[str, list[str]]:
    """Abbreviations a citizen may type for the base's phrases: the initials whose commonest phrase
    is seen at least twice and at least twice as often as any other ("kcn" = khu cong nghiep, not
    "khi co nguoi").  Which tokens may be abbreviations is :meth:`FaqIndex._acronym`'s to say."""
    out: dict[str, list[str]] = {}
    for key, phrases in initials.items():
        (best, count), *rest = phrases.most_common(2)
        if count >= 2 and (not rest or count >= 2 * rest[0][1]):
            out[key] = best.split()
    return out


def _char_grams(text: str) -> dict[str, int]:
    """Character trigrams of the folded, expanded text (words padded with spaces)."""
    plain = " ".join(t.plain for t in nz.analyse_raw(text))
    padded = f" {plain} "
    out: dict[str, int] = {}
    for i in range(len(padded) - 2):
        g = padded[i : i + 3]
        out[g] = out.get(g, 0) + 1
    return out


@lru_cache(maxsize=65536)
def _acc_fold(key: str) -> str:
    return key.replace("đ", "d")


def _calibrate(sim: float, margin: float) -> float:
    """Map raw similarity and margin to a 0..1 confidence (fit on the starter evaluation set)."""
    z = 9.0 * (sim - 0.5) + 12.0 * (margin - 0.08)
    return 1.0 / (1.0 + math.exp(-z))
