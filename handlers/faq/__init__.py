"""FAQ answering ("Hỏi đáp thủ tục"): Vietnamese normalisation, matching engine, KB import/export."""

from .engine import FaqIndex, FaqMatch, FaqResult, KbEntry
from .kb_io import KbImportError, load_starter_kb, read_kb, write_kb_csv

__all__ = ["FaqIndex", "FaqMatch", "FaqResult", "KbEntry", "KbImportError", "load_starter_kb", "read_kb", "write_kb_csv"]
