"""FAQ in the conversation: answer, suggest, hand over to staff, log gaps.

The matching itself is handlers/faq (pure, no database). Here: which entries
serve a unit (its own first, then its ancestors'), a cached index per unit,
and what the citizen reads.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.base import Button, EventKind, Outbound
from handlers import menu
from handlers.base import Context
from handlers.faq.engine import FaqIndex, FaqResult, KbEntry
from handlers.faq_store import ANSWERED
from storage.models import FaqEntry, FaqQuery, Unit
from storage.repo import parse_id, unit_chain

ANSWER_PREFIX = "#faq:a:"  # + FaqEntry.id
HANDOVER = "#faq:staff"
NOT_IT = "#faq:wrong"  # "Chưa đúng ý tôi" under an answer
MAX_BUTTON_TITLE = 60
RELATED_MIN_SCORE = 0.5  # a runner-up this close to the query is offered next to the answer

NO_INFO = ("Xin lỗi, hiện {unit} chưa có thông tin về nội dung này. "
           "Bạn có thể gửi câu hỏi để cán bộ trả lời, hoặc chọn một mục bên dưới.")
SUGGEST = "Có phải bạn muốn hỏi:"
SUGGEST_UNSURE = ("Xin lỗi, {unit} chưa có câu trả lời chắc chắn cho câu hỏi này. Có thể bạn muốn hỏi một trong "
                  "các câu sau; nếu không, hãy gửi câu hỏi để cán bộ trả lời.")
HANDED_OVER = ("Cảm ơn bạn! Câu hỏi “{question}” đã được chuyển tới cán bộ {unit}. "
               "Cán bộ sẽ trả lời bạn tại đây trong giờ hành chính.")
NOTHING_TO_HAND_OVER = "Bạn hãy gõ câu hỏi của mình, cán bộ sẽ trả lời bạn tại đây."
SORRY_NOT_IT = "Xin lỗi bạn. Có phải bạn muốn hỏi một trong các câu sau? Nếu không, hãy gửi câu hỏi cho cán bộ."
SORRY_NOTHING_ELSE = "Xin lỗi bạn. Hiện chưa có câu trả lời khác; bạn có thể gửi câu hỏi để cán bộ trả lời."


@dataclass
class _Cached:
    version: tuple
    index: FaqIndex
    checked_at: float


class FaqService:
    """Per-unit FAQ indexes, rebuilt when the unit's (or an ancestor's) entries change.

    At most ``max_indexes`` are kept, the least recently asked dropped first: every commune's
    index holds its province's entries too (~65 KB per entry), so a province of 150 communes
    would otherwise keep gigabytes in each worker.  Rebuilding a dropped one takes ~0.1 s for a
    few hundred entries."""

    def __init__(self, recheck_seconds: float = 5.0, max_indexes: int = 64) -> None:
        self._cache: OrderedDict[int, _Cached] = OrderedDict()
        self._recheck = recheck_seconds
        self._max = max(1, max_indexes)
        self._lock = asyncio.Lock()
        self._warming: set[asyncio.Task[None]] = set()  # FaqIndex.warm running in a thread

    def __len__(self) -> int:
        return len(self._cache)

    async def index_for(self, session: AsyncSession, unit: Unit) -> FaqIndex:
        cached = self._cache.get(unit.id)  # type: ignore[arg-type]
        if cached is not None:
            self._cache.move_to_end(unit.id)  # type: ignore[arg-type]
        now = time.monotonic()
        if cached and now - cached.checked_at < self._recheck:
            return cached.index
        chain = await unit_chain(session, unit)
        ids = [u.id for u in chain]
        version_row = (await session.exec(
            select(func.count(), func.max(FaqEntry.updated_at)).where(col(FaqEntry.unit_id).in_(ids)))).one()
        version = (tuple(ids), version_row[0], str(version_row[1]))
        if cached and cached.version == version:
            cached.checked_at = now
            return cached.index
        async with self._lock:
            rows = (await session.exec(select(FaqEntry).where(col(FaqEntry.unit_id).in_(ids),
                                                              FaqEntry.active == True))).all()  # noqa: E712
            tier = {uid: i for i, uid in enumerate(ids)}
            entries = [KbEntry(id=str(r.id), question=r.question, variants=list(r.variants), answer=r.answer,
                               category=r.category, attachment=r.attachment, tier=min(tier[r.unit_id], 1))
                       for r in rows]
            index = await asyncio.to_thread(FaqIndex.build, entries)
            # the parts built on first use are built now, beside the questions already answered
            warming = asyncio.create_task(asyncio.to_thread(index.warm))
            self._warming.add(warming)
            warming.add_done_callback(self._warming.discard)
            self._cache[unit.id] = _Cached(version, index, now)  # type: ignore[index]
            self._cache.move_to_end(unit.id)  # type: ignore[arg-type]
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
            return index

    def invalidate(self) -> None:
        self._cache.clear()


def answer_message(entry: KbEntry, related: list[KbEntry] | None = None) -> Outbound:
    """The entry as a reply; ``related`` close siblings ("sang tên sổ đỏ" answered with the sale,
    the inheritance next to it) become buttons that answer them."""
    text = f"📌 {entry.question}\n\n{entry.answer}"
    if entry.attachment:
        text += f"\n\nTài liệu kèm theo: {entry.attachment}"
    buttons = [Button(_short(e.question), ANSWER_PREFIX + e.id) for e in related or []]
    if buttons:
        text += "\n\nCâu hỏi liên quan: chọn ở các nút bên dưới."
    return Outbound(text=text, buttons=[*buttons, Button("Chưa đúng ý tôi", NOT_IT), Button("Hỏi câu khác", menu.FAQ),
                                        Button("Về menu chính", menu.MENU)])


def _short(title: str) -> str:
    return title if len(title) <= MAX_BUTTON_TITLE else title[: MAX_BUTTON_TITLE - 1] + "…"


def reply_for(result: FaqResult, unit_name: str) -> Outbound:
    if result.decision == "answer":
        related = [m.entry for m in result.matches[1:3] if m.score >= RELATED_MIN_SCORE]
        return answer_message(result.matches[0].entry, related)
    if result.decision == "chitchat":
        return Outbound(text=result.reply or "Dạ, cảm ơn bạn!", buttons=[Button("Về menu chính", menu.MENU)])
    if result.decision == "suggest" and result.matches:
        buttons = [Button(_short(m.entry.question), ANSWER_PREFIX + m.entry.id) for m in result.matches[:3]]
        buttons.append(Button("Gửi câu hỏi cho cán bộ", HANDOVER))
        if result.unsure:
            return Outbound(text=SUGGEST_UNSURE.format(unit=unit_name), buttons=[*buttons, Button("Về menu chính",
                                                                                                   menu.MENU)])
        return Outbound(text=SUGGEST, buttons=buttons)
    return Outbound(text=NO_INFO.format(unit=unit_name),
                    buttons=[Button("Gửi câu hỏi cho cán bộ", HANDOVER), *menu.MENU_BUTTONS[:3]])


def faq_service(services: dict) -> FaqService:
    """The process's FAQ index cache (the hub makes one at start; tests may run without a hub)."""
    service = services.get("faq")
    if service is None:
        service = services["faq"] = FaqService()
    return service


def _log(ctx: Context, text: str, normalized: str, outcome: str, best_entry_id: int | None = None,
         score: float | None = None) -> None:
    """A question for staff review (``faq_query``): one the bot was unsure of, handed over,
    rejected, or answered (spot checks, :func:`handlers.faq_store.spot_check_queue`)."""
    ctx.session.add(FaqQuery(unit_id=ctx.unit.id, channel_id=ctx.channel.id, citizen_id=ctx.citizen.id,
                             text=text[:2000], normalized=normalized[:500], outcome=outcome,
                             best_entry_id=best_entry_id, score=score))


class FaqHandler:
    """Any typed text not taken by an earlier handler is a question."""

    def check(self, ctx: Context) -> bool:
        return ctx.event.kind == EventKind.TEXT and bool(ctx.text)

    async def handle(self, ctx: Context) -> list[Outbound]:
        index = await faq_service(ctx.services).index_for(ctx.session, ctx.unit)
        result = index.ask(ctx.text)
        if result.decision in ("suggest", "none"):
            best = result.matches[0] if result.matches else None
            _log(ctx, ctx.text, result.normalized, "suggested" if result.decision == "suggest" else "unanswered",
                 parse_id(best.entry.id) if best else None, best.score if best else None)
            ctx.set_state(mode="faq", last_question=ctx.text[:1000], last_normalized=result.normalized[:500])
        elif result.decision == "answer":
            best = result.matches[0]
            _log(ctx, ctx.text, result.normalized, ANSWERED, parse_id(best.entry.id), best.score)
            ctx.set_state(mode="faq", last_question=ctx.text[:1000], last_normalized=result.normalized[:500],
                          answered=best.entry.id)
        return [reply_for(result, ctx.unit.name)]


class FaqPostbackHandler:
    """The buttons of a suggestion: pick an entry, or send the question to staff."""

    def check(self, ctx: Context) -> bool:
        return bool(ctx.payload) and (ctx.payload.startswith(ANSWER_PREFIX) or ctx.payload in (HANDOVER, NOT_IT))

    async def handle(self, ctx: Context) -> list[Outbound]:
        assert ctx.payload is not None
        if ctx.payload == NOT_IT:
            return [await self._not_it(ctx)]
        if ctx.payload == HANDOVER:
            question = ctx.state.get("last_question")
            if not question:
                return [Outbound(text=NOTHING_TO_HAND_OVER, buttons=[Button("Về menu chính", menu.MENU)])]
            _log(ctx, question, ctx.state.get("last_normalized", question), "handover")
            ctx.set_state(mode="faq")
            return [Outbound(text=HANDED_OVER.format(question=_short(question), unit=ctx.unit.name),
                             buttons=[Button("Về menu chính", menu.MENU)])]
        entry_id = ctx.payload.removeprefix(ANSWER_PREFIX)
        row_id = parse_id(entry_id)
        row = await ctx.session.get(FaqEntry, row_id) if row_id is not None else None
        chain_ids = {u.id for u in await unit_chain(ctx.session, ctx.unit)}
        if row is None or not row.active or row.unit_id not in chain_ids:
            return [menu.menu_message(ctx.unit.name, intro="Xin lỗi, câu hỏi này không còn trong danh mục.")]
        question, normalized = ctx.state.get("last_question"), ctx.state.get("last_normalized")
        if question and normalized is not None and ctx.state.get("answered") is None:
            # the citizen picked a suggestion: a hint for staff review
            _log(ctx, question, normalized, "chosen", row.id)
        ctx.set_state(mode="faq", last_question=question, last_normalized=normalized, answered=str(row.id))
        return [answer_message(KbEntry(id=str(row.id), question=row.question, variants=row.variants,
                                       answer=row.answer, category=row.category, attachment=row.attachment))]

    async def _not_it(self, ctx: Context) -> Outbound:
        """The answer was not what the citizen asked: log it for staff review, offer the other
        candidates and the hand-over."""
        question, answered = ctx.state.get("last_question"), ctx.state.get("answered")
        if not question or answered is None:
            return Outbound(text=NOTHING_TO_HAND_OVER, buttons=[Button("Về menu chính", menu.MENU)])
        index = await faq_service(ctx.services).index_for(ctx.session, ctx.unit)
        result = index.ask(question)
        others = [m for m in result.matches if m.entry.id != answered][:3]
        _log(ctx, question, result.normalized, "rejected", parse_id(answered))
        ctx.set_state(mode="faq", last_question=question, last_normalized=result.normalized[:500])
        buttons = [Button(_short(m.entry.question), ANSWER_PREFIX + m.entry.id) for m in others]
        return Outbound(text=SORRY_NOT_IT if buttons else SORRY_NOTHING_ELSE,
                        buttons=[*buttons, Button("Gửi câu hỏi cho cán bộ", HANDOVER)])
