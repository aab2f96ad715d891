"""Offline evaluation of the FAQ engine (``coso faq eval``).

Also runnable directly: ``python -m handlers.faq.evaluate --kb KB.csv --cases CASES.csv [--json]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

from .engine import FaqIndex, KbEntry
from .kb_io import KbImportError, read_kb

__all__ = ["evaluate", "read_cases", "format_report", "main"]


def read_cases(data: bytes) -> list[tuple[str, str]]:
    """CSV with header ``query,expected_id`` (UTF-8, BOM allowed).  Empty expected_id = no answer."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "query" in header:
        qi = header.index("query")
        ei = header.index("expected_id") if "expected_id" in header else 1
        body = rows[1:]
    else:
        qi, ei, body = 0, 1, rows
    out: list[tuple[str, str]] = []
    for r in body:
        if not r or qi >= len(r) or not r[qi].strip():
            continue
        out.append((r[qi], r[ei].strip() if ei < len(r) else ""))
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    idx = min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))
    return s[idx]


def evaluate(kb: list[KbEntry], cases: list[tuple[str, str]], index: FaqIndex | None = None) -> dict:
    """Answer every case against a fresh index over ``kb`` and compute the metrics.

    * ``top1``: share of answerable cases (non-empty expected_id) answered with that entry;
    * ``false_answer_rate``: share of no-answer cases answered with an entry;
    * ``wrong_answer_rate``: share of answerable cases answered with another entry;
    * ``p50_ms`` / ``p99_ms``: per-query latency.
    Suggesting or handing over counts as not answering.
    """
    t0 = time.perf_counter()
    idx = index if index is not None else FaqIndex.build(kb)
    build_ms = (time.perf_counter() - t0) * 1000
    known = {e.id for e in kb}
    lat: list[float] = []
    answerable = correct = wrong = 0
    negatives = false_answers = 0
    suggested_ok = 0
    failures: list[dict] = []
    decisions: dict[str, int] = {}
    for query, expected in cases:
        t = time.perf_counter()
        res = idx.ask(query)
        lat.append((time.perf_counter() - t) * 1000)
        decisions[res.decision] = decisions.get(res.decision, 0) + 1
        got = res.matches[0].entry.id if res.decision == "answer" and res.matches else ""
        if expected:
            answerable += 1
            if got == expected:
                correct += 1
                continue
            if got:
                wrong += 1
            elif res.decision == "suggest" and any(m.entry.id == expected for m in res.matches):
                suggested_ok += 1
            failures.append({
                "query": query, "expected": expected, "decision": res.decision, "got": got,
                "candidates": [m.entry.id for m in res.matches], "normalized": res.normalized,
                "unknown_expected_id": expected not in known,
            })
        else:
            negatives += 1
            if got:
                false_answers += 1
                failures.append({
                    "query": query, "expected": "", "decision": res.decision, "got": got,
                    "candidates": [m.entry.id for m in res.matches], "normalized": res.normalized,
                })
    return {
        "top1": round(correct / answerable, 4) if answerable else 1.0,
        "false_answer_rate": round(false_answers / negatives, 4) if negatives else 0.0,
        "wrong_answer_rate": round(wrong / answerable, 4) if answerable else 0.0,
        "p50_ms": round(_pct(lat, 0.50), 3),
        "p99_ms": round(_pct(lat, 0.99), 3),
        "cases": len(cases),
        "answerable": answerable,
        "no_answer_cases": negatives,
        "suggested_correct": suggested_ok,
        # what a citizen sees: the right entry answered, or offered as a button to tap
        "answered_or_suggested": round((correct + suggested_ok) / answerable, 4) if answerable else 1.0,
        "decisions": decisions,
        "kb_entries": len(idx),
        "build_ms": round(build_ms, 1),
        "failures": failures,
    }


def format_report(result: dict) -> str:
    lines = [
        f"Số câu thử / cases: {result['cases']} (có đáp án / answerable: {result.get('answerable', '?')}, "
        f"không có đáp án / no-answer: {result.get('no_answer_cases', '?')})",
        f"Top-1 đúng / top-1 accuracy:           {result['top1'] * 100:.1f}%",
        f"Trả lời sai khi không có đáp án / false answers: {result['false_answer_rate'] * 100:.1f}%",
        f"Trả lời nhầm mục khác / wrong answers:  {result['wrong_answer_rate'] * 100:.1f}%",
        f"Độ trễ / latency p50: {result['p50_ms']:.2f} ms, p99: {result['p99_ms']:.2f} ms",
    ]
    if "suggested_correct" in result:
        lines.append(f"Gợi ý có đúng mục (không tính là trả lời) / correct entry among suggestions: {result['suggested_correct']}")
    if "answered_or_suggested" in result:
        lines.append(f"Đúng mục được trả lời hoặc gợi ý / right entry answered or offered: "
                     f"{result['answered_or_suggested'] * 100:.1f}%")
    fails = result.get("failures") or []
    if fails:
        lines.append(f"Lỗi / failures ({len(fails)}):")
        for f in fails[:40]:
            lines.append(
                f"  - {f['query']!r}: cần {f['expected'] or '(không trả lời)'}, được {f['decision']}"
                f" {f['got'] or ''} {f['candidates'][:3]}"
            )
        if len(fails) > 40:
            lines.append(f"  ... và {len(fails) - 40} lỗi khác")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="coso faq eval", description="Đánh giá bộ hỏi đáp thủ tục")
    ap.add_argument("--kb", required=True, help="Knowledge base (CSV or XLSX, import format)")
    ap.add_argument("--cases", required=True, help="CSV with columns query,expected_id")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    kb_path, cases_path = Path(args.kb), Path(args.cases)
    for path in (kb_path, cases_path):
        if not path.is_file():
            print(f"Lỗi / error: không tìm thấy tệp {path} / file not found", file=sys.stderr)
            return 2
    try:
        kb = read_kb(kb_path.read_bytes(), kb_path.name)
    except KbImportError as exc:
        for line, msg in exc.errors:
            print(msg if msg.startswith("Dòng") or not line else f"Dòng {line}: {msg}", file=sys.stderr)
        return 2
    try:
        cases = read_cases(cases_path.read_bytes())
    except ValueError as exc:
        print(f"Lỗi / error: {exc}", file=sys.stderr)
        return 2
    result = evaluate(kb, cases)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_report(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
