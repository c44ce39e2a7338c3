"""What a verify check is: a named function that passes, fails with a fix, or says why it does not apply.

A check receives the :class:`~supabase_sync.verify.context.VerifyContext` and,
for per-table checks, one synced table; it returns normally when all is well,
raises :class:`CheckFailure` (what is wrong, how to fix it) or
:class:`CheckSkipped` (why it does not apply). Names are ``<family>.<what>``,
stable: CI jobs and the docs refer to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the context imports this module (CheckFailure)
    from supabase_sync.verify.catalog import SyncedTable
    from supabase_sync.verify.context import VerifyContext

Scope = Literal["table", "database"]
CheckFunction = Callable[["VerifyContext", "SyncedTable | None"], None]


class CheckFailure(Exception):
    """Raised by a check that found a problem: what is wrong and how to fix it.

    ``requirements`` are the per-table contract keys a structure check found unmet.
    """

    def __init__(self, message: str, *, fix: str | None = None, requirements: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.requirements = requirements


class CheckSkipped(Exception):
    """Raised by a check that does not apply here; the message says why."""


@dataclass(frozen=True)
class Check:
    """One registered check: its name, what it asserts, and whether it runs per table."""

    name: str
    summary: str
    scope: Scope
    run: CheckFunction


REGISTRY: list[Check] = []


def summary_of(docstring: str) -> str:
    """The first paragraph of ``docstring``, on one line (what the docs and a passing result say)."""
    return " ".join(docstring.strip().split("\n\n", 1)[0].split())


def register(item: Check) -> None:
    """Add ``item`` to the checks verify runs (in registration order within its family)."""
    REGISTRY.append(item)


def check(name: str, *, scope: Scope = "table") -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as check ``name``; its docstring's first paragraph is the summary."""

    def decorate(function: CheckFunction) -> CheckFunction:
        summary = summary_of(function.__doc__ or name)
        register(Check(name=name, summary=summary, scope=scope, run=function))
        return function

    return decorate
