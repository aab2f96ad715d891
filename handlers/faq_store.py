"""The knowledge base in the database: import, export, edit, and staff review of logged questions.

Shared by ``coso faq`` and the staff console, so both change entries the same way (and
``updated_at`` moves, which makes :class:`handlers.faq_chat.FaqService` rebuild the index).

Review: questions the bot did not answer (suggested, unanswered, handed over) are grouped by
their normalised text. Staff label a group with the entry that answers it — optionally adding
the citizen's wording as a new phrasing of that entry — or with "none" (no entry should answer).
Labelled questions export as an evaluation file (``query,expected_id``) for ``coso faq eval``,
so a commune can measure the bot on its own citizens' questions.

Spot checks: questions the bot *answered* are logged too (outcome ``answered``), and staff confirm
or correct the latest of them.  Without them the labelled questions would all be ones the bot was
unsure of, and neither the bot's real rate of wrong answers (:func:`answer_quality`) nor a refit on
real traffic could be measured.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.faq.engine import KbEntry
from handlers.faq.kb_io import write_kb_csv
from handlers.faq.normalize import strip_accents
from storage.models import FaqEntry, FaqQuery, Unit, utcnow
from storage.repo import audit, unit_chain

REVIEWABLE = ("suggested", "unanswered", "handover", "rejected")  # rejected: "Chưa đúng ý tôi" under an answer
ANSWERED = "answered"  # the bot answered with ``best_entry_id`` (spot checks)
OUTCOME_NAMES = {"suggested": "chưa chắc chắn", "unanswered": "chưa trả lời được", "handover": "chuyển cán bộ",
                 "rejected": "người dân báo câu trả lời chưa đúng", ANSWERED: "bot đã trả lời"}
MAX_QUESTION = 500
MAX_VARIANT = 500
MAX_VARIANTS = 50
MAX_ANSWER = 5000
MAX_CATEGORY = 128
MAX_ATTACHMENT = 1000


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    retired: int = 0


@dataclass
class EntryInput:
    """What a staff member typed in the entry form (variants one per line)."""

    question: str
    variants: list[str]
    answer: str
    category: str | None = None
    attachment: str | None = None
    active: bool = True

    @classmethod
    def from_form(cls, question: str, variants: str, answer: str, category: str = "", attachment: str = "",
                  active: bool = True) -> EntryInput:
        lines = [v.strip() for v in re.split(r"[\r\n|]+", variants or "") if v.strip()]
        unique = list(dict.fromkeys(lines))
        return cls(question=" ".join((question or "").split()), variants=unique, answer=(answer or "").strip(),
                   category=(category or "").strip() or None, attachment=(attachment or "").strip() or None,
                   active=active)

    def problems(self) -> list[str]:
        """What is wrong with the input, in Vietnamese; empty when it can be saved."""
        out = []
        if not self.question:
            out.append("Cần nhập câu hỏi.")
        elif len(self.question) > MAX_QUESTION:
            out.append(f"Câu hỏi dài quá {MAX_QUESTION} ký tự.")
        if not self.answer:
            out.append("Cần nhập câu trả lời.")
        elif len(self.answer) > MAX_ANSWER:
            out.append(f"Câu trả lời dài quá {MAX_ANSWER} ký tự.")
        if len(self.variants) > MAX_VARIANTS:
            out.append(f"Nhiều nhất {MAX_VARIANTS} cách hỏi khác.")
        if any(len(v) > MAX_VARIANT for v in self.variants):
            out.append(f"Mỗi cách hỏi khác dài tối đa {MAX_VARIANT} ký tự.")
        if self.category and len(self.category) > MAX_CATEGORY:
            out.append(f"Danh mục dài quá {MAX_CATEGORY} ký tự.")
        if self.attachment and (len(self.attachment) > MAX_ATTACHMENT
                                or not re.match(r"^https?://\S+$", self.attachment)):
            out.append("Tài liệu đính kèm phải là một đường dẫn bắt đầu bằng http:// hoặc https://.")
        return out


_PERSONAL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w])\+?\d(?:[\d .-]{6,}\d)")


def mask_personal(text: str, replacement: str = "…") -> str:
    """The text with e-mail addresses and long numbers (phones, ID card and account numbers)
    replaced: a citizen's wording may become a phrasing of an entry or evaluation data."""
    return " ".join(_PERSONAL.sub(replacement, text).split())


def slug(text: str, limit: int = 48) -> str:
    """An ASCII id from a question: "Làm căn cước cho con?" -> "lam_can_cuoc_cho_con"."""
    words = re.findall(r"[a-z0-9]+", strip_accents(text).lower())
    out = ""
    for w in words:
        if len(out) + len(w) + 1 > limit:
            break
        out = f"{out}_{w}" if out else w
    return out or "muc"


def _unique_ext_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


async def entries_of(session: AsyncSession, unit_ids: list[int]) -> list[FaqEntry]:
    rows = await session.exec(select(FaqEntry).where(col(FaqEntry.unit_id).in_(unit_ids)).order_by(col(FaqEntry.id)))
    return list(rows.all())


async def import_entries(session: AsyncSession, unit: Unit, entries: list[KbEntry], *, replace: bool,
                         actor: str = "cli") -> ImportSummary:
    """Add or update the unit's entries by id; with ``replace``, entries missing from the file stop
    being answered (they are kept for history)."""
    existing = {e.ext_id: e for e in await entries_of(session, [unit.id])}  # type: ignore[list-item]
    summary, now = ImportSummary(), utcnow()
    for entry in entries:
        row = existing.get(entry.id)
        if row is None:
            row = FaqEntry(unit_id=unit.id, ext_id=entry.id, question=entry.question, answer=entry.answer)  # type: ignore[arg-type]
            summary.added += 1
        else:
            summary.updated += 1
        row.question, row.variants, row.answer = entry.question, list(entry.variants), entry.answer
        row.category, row.attachment, row.active, row.updated_at = entry.category, entry.attachment, entry.active, now
        session.add(row)
    if replace:
        listed = {e.id for e in entries}
        for ext_id, row in existing.items():
            if ext_id not in listed and row.active:
                row.active, row.updated_at = False, now
                session.add(row)
                summary.retired += 1
    audit(session, actor, "faq.import", unit.id, added=summary.added, updated=summary.updated,
           retired=summary.retired)
    return summary


def eval_id(entry: FaqEntry, unit: Unit, codes: dict[int, str]) -> str:
    """An entry's id in files about ``unit``: its import id, prefixed with its unit's code when it is
    inherited ("TINH-A:khai_sinh"), so a province's and a commune's ids never collide."""
    return entry.ext_id if entry.unit_id == unit.id else f"{codes.get(entry.unit_id, entry.unit_id)}:{entry.ext_id}"


async def export_csv(session: AsyncSession, unit: Unit, with_inherited: bool = False) -> bytes:
    """The unit's own entries in the import format (inactive ones marked ``active=0``); with
    ``with_inherited``, also the active entries of the units above (ids prefixed, see :func:`eval_id`)
    -- the knowledge base the bot really answers from, for ``coso faq eval``."""
    chain = await unit_chain(session, unit) if with_inherited else [unit]
    codes = {u.id: u.code for u in chain}
    rows = [r for r in await entries_of(session, list(codes)) if r.unit_id == unit.id or r.active]  # type: ignore[arg-type]
    rows.sort(key=lambda r: (r.unit_id != unit.id, r.id))
    return write_kb_csv([KbEntry(id=eval_id(r, unit, codes), question=r.question, variants=list(r.variants),
                                 answer=r.answer, category=r.category, attachment=r.attachment, active=r.active)
                         for r in rows])


async def save_entry(session: AsyncSession, unit: Unit, data: EntryInput, *, actor: str,
                     entry: FaqEntry | None = None) -> FaqEntry:
    """Create an entry of ``unit`` or update ``entry`` (which must belong to it)."""
    if entry is None:
        taken = {e.ext_id for e in await entries_of(session, [unit.id])}  # type: ignore[list-item]
        entry = FaqEntry(unit_id=unit.id, ext_id=_unique_ext_id(slug(data.question), taken),  # type: ignore[arg-type]
                         question=data.question, answer=data.answer)
        action = "faq.create"
    else:
        assert entry.unit_id == unit.id
        action = "faq.update"
    entry.question, entry.variants, entry.answer = data.question, list(data.variants), data.answer
    entry.category, entry.attachment, entry.active, entry.updated_at = (data.category, data.attachment,
                                                                         data.active, utcnow())
    session.add(entry)
    await session.flush()
    audit(session, actor, action, unit.id, entry=entry.ext_id)
    return entry


async def set_active(session: AsyncSession, entry: FaqEntry, active: bool, *, actor: str) -> None:
    entry.active, entry.updated_at = active, utcnow()
    session.add(entry)
    audit(session, actor, "faq.activate" if active else "faq.deactivate", entry.unit_id, entry=entry.ext_id)


@dataclass
class ReviewGroup:
    """Unreviewed logged questions of one unit with the same normalised text."""

    unit_id: int
    normalized: str
    count: int
    sample: str
    last_at: datetime
    outcomes: set[str]
    guess_entry_id: int | None  # the engine's best candidate, or the suggestion a citizen picked


def _unreviewed(unit_ids: list[int]) -> tuple:
    return (col(FaqQuery.unit_id).in_(unit_ids), col(FaqQuery.outcome).in_(REVIEWABLE + ("chosen",)),
            col(FaqQuery.review).is_(None))


def _review_groups(unit_ids: list[int]):
    """Unreviewed questions grouped by unit and normalised text; a group of picked suggestions
    alone is not a gap (it only informs the guess)."""
    gaps = func.sum(case((FaqQuery.outcome != "chosen", 1), else_=0))
    return (select(FaqQuery.unit_id, FaqQuery.normalized, func.count(), func.max(FaqQuery.created_at))
            .where(*_unreviewed(unit_ids)).group_by(FaqQuery.unit_id, FaqQuery.normalized).having(gaps > 0))


async def review_count(session: AsyncSession, unit_ids: list[int]) -> int:
    """How many groups :func:`review_queue` would list without a limit."""
    return (await session.exec(select(func.count()).select_from(_review_groups(unit_ids).subquery()))).one()


async def review_queue(session: AsyncSession, unit_ids: list[int], limit: int = 50) -> list[ReviewGroup]:
    """The most asked unreviewed questions first.

    Two queries whatever the limit: the groups, then the 20 latest questions of each listed group.
    """
    unreviewed = _unreviewed(unit_ids)
    stmt = (_review_groups(unit_ids)
            .order_by(func.count().desc(), func.max(FaqQuery.created_at).desc()).limit(limit))
    listed = (await session.exec(stmt)).all()
    if not listed:
        return []
    latest = (select(FaqQuery.id, func.row_number().over(
                  partition_by=(FaqQuery.unit_id, FaqQuery.normalized), order_by=col(FaqQuery.id).desc()).label("n"))
              .where(*unreviewed, col(FaqQuery.normalized).in_({n for _, n, _, _ in listed})).subquery())
    rows_by_group: dict[tuple[int, str], list[FaqQuery]] = {}
    for row in (await session.exec(select(FaqQuery).join(latest, col(FaqQuery.id) == latest.c.id)
                                   .where(latest.c.n <= 20).order_by(col(FaqQuery.id).desc()))).all():
        rows_by_group.setdefault((row.unit_id, row.normalized), []).append(row)
    groups = []
    for unit_id, normalized, count, last_at in listed:
        rows = rows_by_group.get((unit_id, normalized), [])
        if not rows:
            continue  # labelled between the two queries
        chosen = next((r.best_entry_id for r in rows if r.outcome == "chosen"), None)
        rejected = {r.best_entry_id for r in rows if r.outcome == "rejected"}
        guess = chosen or next((r.best_entry_id for r in rows if r.best_entry_id and r.best_entry_id not in rejected),
                               None)
        sample = next((r.text for r in rows if r.outcome != "chosen"), rows[0].text)
        outcomes = {r.outcome for r in rows} - {"chosen"}
        groups.append(ReviewGroup(unit_id, normalized, count, sample, last_at, outcomes, guess))
    return groups


async def spot_check_queue(session: AsyncSession, unit_ids: list[int], limit: int = 10) -> list[ReviewGroup]:
    """The latest questions the bot answered that no one has checked, one per normalised text
    (``guess_entry_id``: the entry the bot answered with).  Groups with a question the bot was
    unsure of, or that a citizen rejected, are in :func:`review_queue` instead."""
    others = func.sum(case((FaqQuery.outcome != ANSWERED, 1), else_=0))
    stmt = (select(FaqQuery.unit_id, FaqQuery.normalized, func.count(), func.max(FaqQuery.created_at),
                   func.min(FaqQuery.text), func.max(FaqQuery.best_entry_id))
            .where(col(FaqQuery.unit_id).in_(unit_ids), col(FaqQuery.review).is_(None))
            .group_by(FaqQuery.unit_id, FaqQuery.normalized).having(others == 0)
            .order_by(func.max(FaqQuery.created_at).desc()).limit(limit))
    return [ReviewGroup(unit_id, normalized, count, sample, last_at, {ANSWERED}, entry_id)
            for unit_id, normalized, count, last_at, sample, entry_id in (await session.exec(stmt)).all()]


@dataclass
class AnswerQuality:
    """Staff verdicts on questions the bot answered."""

    right: int = 0  # the entry staff picked is the one the bot answered with
    wrong: int = 0  # another entry answers it
    false: int = 0  # no entry should have answered it

    @property
    def checked(self) -> int:
        return self.right + self.wrong + self.false

    def summary(self) -> str:
        if not self.checked:
            return "Chưa kiểm tra câu trả lời nào của bot."
        return (f"Đã kiểm tra {self.checked} câu bot trả lời: {self.right} đúng "
                f"({100 * self.right / self.checked:.0f}%), {self.wrong} trả lời nhầm mục, "
                f"{self.false} lẽ ra không nên trả lời.")


async def answer_quality(session: AsyncSession, unit_ids: list[int]) -> AnswerQuality:
    """How often the bot's answers were right, by the staff's spot checks (and their labels of
    answers citizens rejected)."""
    verdict = case((FaqQuery.review == "none", "false"),
                   (FaqQuery.reviewed_entry_id == FaqQuery.best_entry_id, "right"), else_="wrong")
    stmt = (select(verdict, func.count())
            .where(col(FaqQuery.unit_id).in_(unit_ids), FaqQuery.outcome == ANSWERED,
                   col(FaqQuery.review).is_not(None))
            .group_by(verdict))
    counts = dict((await session.exec(stmt)).all())
    return AnswerQuality(counts.get("right", 0), counts.get("wrong", 0), counts.get("false", 0))


async def label_group(session: AsyncSession, unit_id: int, normalized: str, *, actor: str,
                      entry: FaqEntry | None, add_variant: str | None = None) -> int:
    """Label every unreviewed question of the group; returns how many were labelled.

    ``entry`` None means "no entry should answer this". ``add_variant`` (the citizen's wording,
    edited by staff) becomes a new phrasing of ``entry``.
    """
    rows = (await session.exec(select(FaqQuery).where(FaqQuery.unit_id == unit_id,
                                                      FaqQuery.normalized == normalized,
                                                      col(FaqQuery.review).is_(None)))).all()
    now = utcnow()
    for row in rows:
        row.review = "entry" if entry is not None else "none"
        row.reviewed_entry_id = entry.id if entry is not None else None
        row.reviewed_by, row.reviewed_at = actor[:64], now
        session.add(row)
    variant = mask_personal(add_variant or "", "")[:MAX_VARIANT]
    if entry is not None and variant and variant not in entry.variants and variant != entry.question:
        entry.variants = [*entry.variants, variant]
        entry.updated_at = now
        session.add(entry)
    audit(session, actor, "faq.review", unit_id, labelled=len(rows),
           entry=entry.ext_id if entry is not None else None, variant_added=bool(variant and entry is not None))
    return len(rows)


async def labelled_cases_csv(session: AsyncSession, unit: Unit) -> bytes:
    """Reviewed questions of the unit as ``query,expected_id`` (the ``coso faq eval`` cases format).

    ``expected_id`` is the entry's id as :func:`export_csv` with ``with_inherited`` writes it; empty
    for questions no entry should answer. Each distinct question appears once.
    """
    rows = (await session.exec(select(FaqQuery).where(FaqQuery.unit_id == unit.id,
                                                      col(FaqQuery.review).is_not(None))
                               .order_by(col(FaqQuery.id)))).all()
    ids = {r.reviewed_entry_id for r in rows if r.reviewed_entry_id}
    codes = {u.id: u.code for u in (await session.exec(select(Unit))).all()}
    ext = {e.id: eval_id(e, unit, codes)  # type: ignore[arg-type]
           for e in (await session.exec(select(FaqEntry).where(col(FaqEntry.id).in_(ids)))).all()}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["query", "expected_id"])
    seen: set[str] = set()
    for r in rows:
        if r.text in seen or (r.review == "entry" and r.reviewed_entry_id not in ext):
            continue
        seen.add(r.text)
        w.writerow([mask_personal(r.text), ext.get(r.reviewed_entry_id, "") if r.review == "entry" else ""])  # type: ignore[arg-type]
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
