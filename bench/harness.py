"""What every benchmark shares: settings, the sandbox databases, timing, results.

A benchmark module exposes ``TITLE`` and ``run(bench: Bench, section: Section)``,
which appends to ``section`` as it goes (a failure keeps what was measured). It measures the sync
functions as a user (through :mod:`supabase_sync.rpc`) and, in the same run, a
reference query over the same rows, as the same user and role, so RLS and
triggers cost the same on both sides; the report shows medians and their ratio.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from supabase_sync import rpc

T = TypeVar("T")

SQL_DIR = Path(__file__).resolve().parent / "sql"

#: The synced table every benchmark writes and reads, and its payload key.
TABLE = "public.bench_task"
COLLECTION = "public.bench_task"

_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Print progress on stderr (stdout carries only the report)."""
    print(f"[bench {time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def bench_sql(name: str) -> str:
    """Return the text of ``bench/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def user_id(number: int) -> uuid.UUID:
    """Return the stable id of benchmark user ``number`` (the same in every run)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"supabase-sync-bench/user/{number}")


@dataclass(frozen=True)
class Settings:
    """How big and how often: the full run, or ``--quick`` for CI."""

    quick: bool = False
    runs: int = 5
    backend: str = "auto"
    db_url: str | None = None
    verify_backends: tuple[str, ...] = ("local", "embedded")
    profile_path: Path | None = None


@dataclass(frozen=True)
class Result:
    """One line of the report: a median beside its reference, and the target it must meet.

    ``max_ratio`` bounds ``seconds / reference_seconds``; ``max_seconds`` bounds
    ``seconds`` itself. ``note`` carries extra figures (pages, bytes, rows).
    """

    benchmark: str
    case: str
    seconds: float
    reference_seconds: float | None = None
    max_ratio: float | None = None
    max_seconds: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """``seconds / reference_seconds``, or None without a reference."""
        if not self.reference_seconds:
            return None
        return self.seconds / self.reference_seconds

    @property
    def target(self) -> str:
        """The target as text, e.g. ``<= 3x`` or ``< 15 s``."""
        if self.max_ratio is not None:
            return f"<= {self.max_ratio:g}x"
        if self.max_seconds is not None:
            return f"< {self.max_seconds:g} s"
        return ""

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None when the line has no target."""
        if self.max_ratio is not None:
            ratio = self.ratio
            return ratio is not None and ratio <= self.max_ratio
        if self.max_seconds is not None:
            return self.seconds < self.max_seconds
        return None


@dataclass
class Section:
    """What one benchmark module reports: timed results and/or a table of counts."""

    title: str
    results: list[Result] = field(default_factory=list)
    count_headers: list[str] = field(default_factory=list)
    count_rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def format_seconds(seconds: float | None) -> str:
    """Milliseconds below 10 s, seconds above; empty for None."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


#: What a quick run says about its figures, under the table and in the ``met`` column.
QUICK_NOTE = (
    "quick run: small sizes and few runs, a smoke test; its figures are not held to the targets "
    "(`met` says `yes (quick)` / `no (quick)`); run `python -m bench` without --quick for figures that count"
)


def verdict(met: bool | None, *, quick: bool = False) -> str:
    """The report's word for a target: yes, NO, or nothing; a quick run's is only a hint."""
    if met is None:
        return ""
    if quick:
        return "yes (quick)" if met else "no (quick)"
    return "yes" if met else "**NO**"


def render_markdown(sections: list[Section], *, quick: bool = False) -> str:
    """Render every section as markdown: one timing table, then count tables and notes.

    ``quick`` marks the verdicts of a ``--quick`` run as hints and says why under the table.
    """
    lines = [
        "| benchmark | case | sync (median) | reference (median) | ratio | target | met | notes |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for section in sections:
        for result in section.results:
            ratio = result.ratio
            lines.append(
                f"| {result.benchmark} | {result.case} | {format_seconds(result.seconds)} | "
                f"{format_seconds(result.reference_seconds)} | "
                f"{'' if ratio is None else f'{ratio:.2f}x'} | {result.target} | "
                f"{verdict(result.met, quick=quick)} | {result.note} |"
            )
    for section in sections:
        if section.count_rows:
            lines += ["", f"**{section.title}**", ""]
            lines.append("| " + " | ".join(section.count_headers) + " |")
            lines.append("|" + "---|" * len(section.count_headers))
            lines += ["| " + " | ".join(row) + " |" for row in section.count_rows]
    notes = [f"- {QUICK_NOTE}"] if quick else []
    notes += [f"- {section.title}: {note}" for section in sections for note in section.notes]
    failures = [f"- {section.title}: FAILED: {error}" for section in sections for error in section.failed]
    if notes or failures:
        lines += ["", *notes, *failures]
    return "\n".join(lines)


def timed(action: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Run ``action(*args, **kwargs)`` once; return (wall seconds, its result)."""
    started = time.perf_counter()
    value = action(*args, **kwargs)
    return time.perf_counter() - started, value


#: PostgreSQL plans a cached statement (every static statement of a plpgsql
#: function) afresh for its first five executions in a session, then may switch
#: to a generic plan: a pooled PostgREST connection is past that point, so each
#: measured session first makes this many unmeasured calls.
WARM_UP_CALLS = 5


def warm_up(action: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Call ``action(*args, **kwargs)`` WARM_UP_CALLS times, unmeasured."""
    for _ in range(WARM_UP_CALLS):
        action(*args, **kwargs)


def median(values: list[float]) -> float:
    """The median of the runs (robust to one slow run on a shared machine)."""
    return statistics.median(values)


@dataclass
class BenchDatabase:
    """A fresh database in the sandbox holding the sync pack and ``public.bench_task``."""

    name: str
    owner_dsn: str
    superuser_dsn: str

    def connect(self, *, superuser: bool = False) -> psycopg.Connection[Any]:
        """Open an autocommit connection as the owner role (or the superuser)."""
        dsn = self.superuser_dsn if superuser else self.owner_dsn
        return psycopg.connect(dsn, autocommit=True)


class Bench:
    """The running benchmark session: settings plus the sandbox it started."""

    def __init__(self, settings: Settings, sandbox: Any) -> None:
        self.settings = settings
        self.sandbox = sandbox

    @property
    def runs(self) -> int:
        """Repetitions per measurement (medians are taken over them)."""
        return self.settings.runs

    def profile(
        self, label: str, database: BenchDatabase, action: Callable[..., object], *args: Any, **kwargs: Any
    ) -> None:
        """With ``--profile FILE``, run ``action`` once more under auto_explain and append the plans.

        ``action(conn, *args, **kwargs)`` gets a connection for ``rpc.call``/``rpc.as_user``; every
        statement it runs, nested ones inside the sync functions included, is
        explained with ANALYZE and BUFFERS.
        """
        path = self.settings.profile_path
        if path is None:
            return
        plans = capture_plans(database, lambda conn: action(conn, *args, **kwargs))
        with path.open("a", encoding="utf-8") as out:
            out.write(f"==== {label}\n\n{plans}\n\n")
        log(f"profile of {label} appended to {path}")

    def new_database(self, name: str) -> BenchDatabase:
        """Create database ``name``, install the sync pack and enable ``public.bench_task``.

        Everything runs as the sandbox's non-superuser owner role, through the
        same library calls a user makes (``api.install``, ``api.enable``).
        """
        from supabase_sync import api

        log(f"creating database {name}")
        self.sandbox.create_database(name)
        database = BenchDatabase(
            name=name,
            owner_dsn=self.sandbox.dsn(name),
            superuser_dsn=self.sandbox.dsn(name, superuser=True),
        )
        with database.connect() as conn:
            conn.execute(bench_sql("table"))
        api.install(database.owner_dsn)
        api.enable([TABLE], db_url=database.owner_dsn)
        return database


#: auto_explain for one session: every statement, nested ones too, with actual
#: times and buffers, sent to the client as NOTICEs.
AUTO_EXPLAIN = {
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "on",
    "auto_explain.log_nested_statements": "on",
    "auto_explain.log_level": "notice",
}


def capture_plans(database: BenchDatabase, action: Callable[[psycopg.Connection[Any]], object]) -> str:
    """Run ``action`` on a superuser session with auto_explain loaded; return the plans it logged.

    Loading auto_explain needs a superuser; the calls inside ``action`` still
    run as the user (``rpc`` switches role and claims per transaction).
    ``action`` runs twice; only the second, warm run is explained.
    """
    notices: list[str] = []
    with database.connect(superuser=True) as conn:
        # Warm the session first (plpgsql compiled, catalog caches filled), as a
        # pooled PostgREST connection is: the plans then show steady-state costs.
        action(conn)
        conn.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
        conn.execute("load 'auto_explain'")
        for name, value in AUTO_EXPLAIN.items():
            conn.execute("select set_config(%s, %s, false)", [name, value])
        action(conn)
    return "\n\n".join(notices)


def load_rows(conn: psycopg.Connection[Any], *, users: list[uuid.UUID], rows: int, transactions: int) -> float:
    """Insert ``rows`` rows spread round-robin over ``users`` in ``transactions`` transactions.

    Runs server-side (``insert ... select generate_series``) as the table owner
    with the triggers on, so versions and timestamps are the production ones.
    Returns the wall seconds spent.
    """
    statement = bench_sql("load_rows")
    started = time.perf_counter()
    batches = max(1, min(transactions, rows))
    first = _next_row_number(conn)
    done = 0
    for batch in range(batches):
        count = rows * (batch + 1) // batches - done
        if count <= 0:
            continue
        with conn.transaction():
            conn.execute(statement, {"users": users, "first": first + done, "row_count": count})
        done += count
    return time.perf_counter() - started


def _next_row_number(conn: psycopg.Connection[Any]) -> int:
    """Numbers keep titles unique across successive loads into one table."""
    row = conn.execute("select count(*) from public.bench_task").fetchone()
    return int(row[0]) if row else 0


def analyze(conn: psycopg.Connection[Any]) -> None:
    """VACUUM ANALYZE the table so both sides are planned from real statistics."""
    conn.execute("vacuum analyze public.bench_task")


def sync_pull(conn: psycopg.Connection[Any], user: uuid.UUID, **args: Any) -> dict[str, Any]:
    """Call ``public.sync_pull`` as ``user`` (PostgREST semantics, through supabase_sync.rpc)."""
    result: dict[str, Any] = rpc.call(conn, "sync_pull", args or None, user_id=str(user))
    return result


def sync_push(conn: psycopg.Connection[Any], user: uuid.UUID, **args: Any) -> dict[str, Any]:
    """Call ``public.sync_push`` as ``user``."""
    result: dict[str, Any] = rpc.call(conn, "sync_push", args, user_id=str(user))
    return result


def reference(
    conn: psycopg.Connection[Any], user: uuid.UUID, sql_name: str, params: dict[str, Any], *, read_only: bool = False
) -> Any:
    """Run ``bench/sql/<sql_name>.sql`` as ``user`` in the same kind of transaction as an RPC.

    ``read_only`` for the pull references: a GET runs READ ONLY, as the STABLE
    ``sync_pull`` does. Returns the first column of the first row for a
    select, else the row count.
    """
    with rpc.as_user(conn, user_id=str(user), read_only=read_only) as cur:
        cur.execute(bench_sql(sql_name), params)
        if cur.description is None:
            return cur.rowcount
        row = cur.fetchone()
        return row[0] if row else None


def pull_all(conn: psycopg.Connection[Any], user: uuid.UUID, cursor: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Pull every page for ``user`` from ``cursor``; return (all responses, final timestamp)."""
    pages: list[dict[str, Any]] = []
    while True:
        page = sync_pull(conn, user, last_pulled_at=cursor, collections=[COLLECTION])
        pages.append(page)
        cursor = int(page["timestamp"])
        if not page.get("has_more"):
            return pages, cursor


def page_rows(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The created and updated rows of the bench table in one pull response."""
    changes = page.get("changes", {}).get(COLLECTION, {})
    return [*changes.get("created", []), *changes.get("updated", [])]


def json_bytes(value: Any) -> int:
    """Size of ``value`` as compact JSON: the same measure for sync and reference payloads."""
    return len(json.dumps(value, separators=(",", ":"), default=str).encode("utf-8"))
