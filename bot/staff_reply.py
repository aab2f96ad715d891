"""Staff answers to questions citizens handed over ("Gửi câu hỏi cho cán bộ").

The bot tells the citizen "cán bộ sẽ trả lời bạn tại đây"; this is how staff keep that promise
until the ticket work brings threads.  The answer is an outbound :class:`Message` on the channel
the citizen used, marked as typed by a person (Facebook pages opted in to HUMAN_AGENT may then
send it up to 7 days after the citizen's last message), and sent by the worker like any reply:
rate limits, interaction windows, retries, exactly once.

One answer per question (idempotency key ``handover:<question id>``): a form sent twice answers
once.  The message, the question's ``answered_*`` fields and the audit row are one transaction;
the outbox job is queued after it.  If the process dies in between, the answer stays "đang gửi"
and the console offers to queue it again — safe, because the sender only sends a ``pending`` row
and jobs of one conversation run one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.hub import Hub
from bot.outbox import outbox_job
from bot.pipeline import OUTBOX
from connectors.base import Outbound
from storage.db import session_scope
from storage.models import ChannelIdentity, FaqQuery, Message, StaffUser, utcnow
from storage.repo import audit

MAX_ANSWER = 2000


class AnswerError(Exception):
    """A request the console answers with ``status`` and a message in Vietnamese."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Answered:
    message_id: int
    status: str  # the outbound message's: pending | sent | failed | window_expired
    queued: bool  # an outbox job was queued by this call


async def answer_handover(hub: Hub, user: StaffUser, scope: set[int], question_id: int, text: str, *,
                          _raced: bool = False) -> Answered:
    """Answer the handed-over question ``question_id`` (in ``scope``) with ``text``; if it was
    answered already, queue that answer again when it is still unsent (``text`` is then ignored)."""
    text = (text or "").strip()
    try:
        async with session_scope(hub.sessions) as session:
            question = await session.get(FaqQuery, question_id)
            if question is None or question.outcome != "handover" or question.unit_id not in scope:
                raise AnswerError(404, "Không tìm thấy câu hỏi này trong đơn vị của bạn.")
            identity = (await session.exec(select(ChannelIdentity).where(
                ChannelIdentity.channel_id == question.channel_id,
                ChannelIdentity.citizen_id == question.citizen_id))).first()
            if question.answer_message_id is not None:
                message = await session.get(Message, question.answer_message_id)
                if message is None or message.status != "pending" or identity is None:
                    return Answered(question.answer_message_id, message.status if message else "deleted", False)
                job = outbox_job(message.id, identity, message.channel_id)  # type: ignore[arg-type]
            else:
                if not text:
                    raise AnswerError(400, "Hãy nhập nội dung trả lời.")
                if len(text) > MAX_ANSWER:
                    raise AnswerError(400, f"Nội dung trả lời dài quá {MAX_ANSWER} ký tự; hãy rút gọn.")
                if identity is None or question.channel_id is None:
                    raise AnswerError(409, "Không gửi được: người hỏi đã yêu cầu xóa dữ liệu hoặc kênh không còn.")
                message = Message(direction="out", channel_id=question.channel_id, unit_id=question.unit_id,
                                  citizen_id=question.citizen_id, identity_id=identity.id,
                                  idempotency_key=f"handover:{question.id}", kind="text", text=text,
                                  body=Outbound(text=text, human=True).to_dict(), status="pending")
                session.add(message)
                await session.flush()
                question.answered_by, question.answered_at = user.username, utcnow()
                question.answer_message_id = message.id
                session.add(question)
                audit(session, user.username, "faq_handover_answer", question.unit_id, question_id=question.id,
                      message_id=message.id)
                job = outbox_job(message.id, identity, message.channel_id)  # type: ignore[arg-type]
    except IntegrityError:
        if _raced:
            raise
        # the same form sent twice at once: the other request wrote the answer
        return await answer_handover(hub, user, scope, question_id, "", _raced=True)
    await hub.queue.enqueue(OUTBOX, *job)
    return Answered(job[1]["message_id"], "pending", True)
