"""The statements an online plan adds around its steps: timeouts and the invalid-index guard.

See :mod:`supabase_sync.plan` for how an online plan runs.
"""

from __future__ import annotations

from psycopg import sql

from supabase_sync.plan import Statement, Timeouts
from supabase_sync.render.templates import render_template


def render_local_timeouts(lock_timeout: float, statement_timeout: float) -> Statement:
    """``set local lock_timeout`` and ``statement_timeout``: the limits of a short DDL transaction."""
    return Statement(
        "limit lock waits and statements of this transaction",
        render_template(
            "local_timeouts",
            lock_timeout=sql.Literal(Timeouts.setting(lock_timeout)),
            statement_timeout=sql.Literal(Timeouts.setting(statement_timeout)),
        ),
    )


def render_session_timeouts(lock_timeout: float, statement_timeout: float) -> Statement:
    """``set lock_timeout`` and ``statement_timeout`` for a step outside a transaction (reset after it)."""
    return Statement(
        "limit lock waits and the index build",
        render_template(
            "session_timeouts",
            lock_timeout=sql.Literal(Timeouts.setting(lock_timeout)),
            statement_timeout=sql.Literal(Timeouts.setting(statement_timeout)),
        ),
    )


def render_reset_timeouts() -> Statement:
    """Reset the session's lock and statement timeouts."""
    return Statement("back to the session's own timeouts", render_template("reset_timeouts"))


def render_drop_invalid_index(index: str) -> Statement:
    """Drop ``index`` (qualified SQL text) when an interrupted concurrent build left it invalid."""
    return Statement(
        f"drop {index} if an interrupted build left it invalid",
        render_template("drop_invalid_index", index_name=sql.Literal(index), index=sql.SQL(index)),  # type: ignore[arg-type]
    )
