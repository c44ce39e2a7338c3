"""Reporting progress of long work: one callback type, and a clock for it.

Every long-running command (verify, gen-tests, lint, the sandbox) takes a
``log`` of type :data:`LogFunction` and calls it with one line per step; the
CLI passes a function printing to stderr.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: Receives one line of progress (no trailing newline).
LogFunction = Callable[[str], None]


def ignore(_message: str) -> None:
    """A :data:`LogFunction` that drops every line."""
    return None


def timed(log: LogFunction | None, started: float | None = None) -> LogFunction:
    """A :data:`LogFunction` prefixing each line of ``log`` with the seconds since ``started`` (default: now)."""
    origin = time.monotonic() if started is None else started

    def say(message: str) -> None:
        if log is not None:
            log(f"[{time.monotonic() - origin:5.1f}s] {message}")

    return say
