"""Crash points for the durability tests: ``COSO_CRASH_AT=<name>`` kills the process there with SIGKILL.

Tests use them to kill a real process at an exact moment (after a send was recorded,
after an inbound event was committed but before its replies were queued, ...).
Unset in production: one dictionary lookup per call.
"""

from __future__ import annotations

import os
import signal

_TARGET = os.environ.get("COSO_CRASH_AT")


def crash_point(name: str) -> None:
    if _TARGET == name:
        os.kill(os.getpid(), signal.SIGKILL)
