"""``coso faq``: import, export, labelled, ask, gaps, handovers, eval."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlmodel import col, select

from bot.cli_support import CliError, unit_or_fail, with_session
from bot.settings import Settings
from bot.timefmt import vn_time
from storage.models import FaqQuery


async def faq_import(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.faq.kb_io import KbImportError, read_kb
    from handlers.faq_store import import_entries

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"Không tìm thấy tệp {path} / file not found")
    try:
        entries = read_kb(path.read_bytes(), path.name)
    except KbImportError as exc:
        print("Không nhập được tệp; chưa có gì thay đổi / import refused, nothing changed:", file=sys.stderr)
        for message in exc.messages():
            print(f"  {message}", file=sys.stderr)
        return 2

    async def run(session) -> None:  # type: ignore[no-untyped-def]
        unit = await unit_or_fail(session, args.unit)
        done = await import_entries(session, unit, entries, replace=args.replace)
        print(f"Đã nhập {len(entries)} mục cho {unit.code}: {done.added} mới, {done.updated} cập nhật"
              + (f", {done.retired} ngừng sử dụng." if args.replace else "."))

    await with_session(settings, run)
    return 0


async def faq_export(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.faq_store import export_csv, labelled_cases_csv

    async def run(session) -> bytes:  # type: ignore[no-untyped-def]
        unit = await unit_or_fail(session, args.unit)
        if args.action == "labelled":
            return await labelled_cases_csv(session, unit)
        return await export_csv(session, unit, with_inherited=args.with_inherited)

    data = await with_session(settings, run)
    if args.output:
        Path(args.output).write_bytes(data)  # type: ignore[arg-type]
    else:
        sys.stdout.buffer.write(data)  # type: ignore[arg-type]
    return 0


async def faq_ask(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.faq_chat import FaqService

    async def run(session) -> None:  # type: ignore[no-untyped-def]
        unit = await unit_or_fail(session, args.unit)
        index = await FaqService().index_for(session, unit)
        result = index.ask(args.question)
        print(f"Chuẩn hoá: {result.normalized}")
        print(f"Quyết định: {result.decision}" + (f" — {result.reply}" if result.reply else ""))
        for m in result.matches:
            print(f"  {m.score:.3f}  [{m.entry.id}] {m.entry.question}")

    await with_session(settings, run)
    return 0


async def faq_gaps(settings: Settings, args: argparse.Namespace) -> int:
    """Questions not answered (or answered and marked "Chưa đúng ý tôi") that staff have not reviewed,
    then how often the bot's answers were right by the staff's spot checks."""
    from handlers.faq_store import OUTCOME_NAMES, answer_quality, review_queue

    async def run(session) -> None:  # type: ignore[no-untyped-def]
        unit = await unit_or_fail(session, args.unit)
        groups = await review_queue(session, [unit.id], limit=args.limit)
        if not groups:
            print("Chưa có câu hỏi nào chưa được trả lời / no gaps recorded")
        for g in groups:
            print(f"{g.count}\t{', '.join(OUTCOME_NAMES.get(o, o) for o in sorted(g.outcomes))}\t{g.sample}")
        print((await answer_quality(session, [unit.id])).summary())

    await with_session(settings, run)
    return 0


async def faq_handovers(settings: Settings, args: argparse.Namespace) -> int:
    async def run(session) -> None:  # type: ignore[no-untyped-def]
        unit = await unit_or_fail(session, args.unit)
        rows = (await session.exec(select(FaqQuery).where(FaqQuery.unit_id == unit.id,
                                                          FaqQuery.outcome == "handover")
                                   .order_by(col(FaqQuery.id).desc()).limit(args.limit))).all()
        if not rows:
            print("Chưa có câu hỏi nào chuyển cho cán bộ / no handovers")
        for q in rows:
            when = vn_time(q.created_at)
            answered = f"đã trả lời ({q.answered_by})" if q.answered_at else "chưa trả lời"
            print(f"#{q.id}\t{when}\tcông dân {q.citizen_id}\tkênh {q.channel_id}\t{answered}\t{q.text}")

    await with_session(settings, run)
    return 0


def faq_eval(settings: Settings, args: argparse.Namespace) -> int:
    """In memory, no database: the evaluation module's own command line."""
    from handlers.faq.evaluate import main as evaluate_main

    return evaluate_main(["--kb", args.kb, "--cases", args.cases] + (["--json"] if args.json else []))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    faq = sub.add_parser("faq", help="hỏi đáp thủ tục").add_subparsers(dest="action", required=True)
    p = faq.add_parser("import", help="nhập CSV/XLSX: id,question,variants,answer[,category,attachment]")
    p.add_argument("file")
    p.add_argument("--unit", required=True)
    p.add_argument("--replace", action="store_true", help="các mục không có trong tệp sẽ ngừng sử dụng")
    p.set_defaults(func=faq_import)
    for name, help_text in (("export", "xuất các mục của đơn vị (định dạng nhập)"),
                            ("labelled", "xuất câu hỏi đã được cán bộ gán nhãn: query,expected_id (cho faq eval)")):
        p = faq.add_parser(name, help=help_text)
        p.add_argument("--unit", required=True)
        p.add_argument("--output", "-o")
        if name == "export":
            p.add_argument("--with-inherited", action="store_true",
                           help="kèm các mục của cấp trên (mã có tiền tố mã đơn vị), như bot đang dùng")
        p.set_defaults(func=faq_export)
    p = faq.add_parser("ask")
    p.add_argument("question")
    p.add_argument("--unit", required=True)
    p.set_defaults(func=faq_ask)
    for name, fn in (("gaps", faq_gaps), ("handovers", faq_handovers)):
        p = faq.add_parser(name)
        p.add_argument("--unit", required=True)
        p.add_argument("--limit", type=int, default=50)
        p.set_defaults(func=fn)
    p = faq.add_parser("eval")
    p.add_argument("--kb", required=True)
    p.add_argument("--cases", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=faq_eval)
