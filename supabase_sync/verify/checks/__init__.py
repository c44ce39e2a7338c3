"""The checks verify runs, one module per family.

A check is a function registered with :func:`check`. It receives the
:class:`~supabase_sync.verify.context.VerifyContext` and, for per-table checks,
one synced table; it returns normally when all is well, raises
:class:`CheckFailure` (what is wrong, how to fix it) or :class:`CheckSkipped`
(why it does not apply). Names are ``<family>.<what>``, stable: CI jobs and the
docs refer to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.context import CheckFailure, CheckSkipped, VerifyContext

Scope = Literal["table", "database"]
CheckFunction = Callable[[VerifyContext, SyncedTable | None], None]


@dataclass(frozen=True)
class Check:
    """One registered check: its name, what it asserts, and whether it runs per table."""

    name: str
    summary: str
    scope: Scope
    run: CheckFunction


_REGISTRY: list[Check] = []


def check(name: str, *, scope: Scope = "table") -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as check ``name``; its docstring's first line is the summary."""

    def register(function: CheckFunction) -> CheckFunction:
        summary = (function.__doc__ or name).strip().splitlines()[0]
        _REGISTRY.append(Check(name=name, summary=summary, scope=scope, run=function))
        return function

    return register


def all_checks() -> list[Check]:
    """Every check, in the order verify runs them (structure first, concurrency last)."""
    # Importing the family modules registers their checks, in this order.
    from supabase_sync.verify.checks import (  # noqa: F401
        concurrency,
        conflicts,
        isolation,
        roundtrip,
        security,
        server_columns,
        structure,
    )

    order = ["structure", "security", "isolation", "server_columns", "roundtrip", "conflicts", "concurrency"]
    return sorted(_REGISTRY, key=lambda item: order.index(item.name.split(".", 1)[0]))


__all__ = ["Check", "CheckFailure", "CheckSkipped", "all_checks", "check"]
