"""Plans: ordered, labelled SQL statements, the one thing every destination shares.

A plan is executed against a database, printed by ``--dry-run`` or written as a
migration file; the SQL text is the same in all three (alembic's offline mode).
Each statement is rendered once, as text, to a *chunk*: a ``-- label`` comment
line, the statement and ``;``. Executing runs exactly these chunks; the script
is the header followed by the chunks.

A plan runs in *steps*, each of a :class:`Phase`. A plain plan (install,
disable...) is one step: one transaction. An *online* plan (enable, given
:class:`Timeouts`) is a short DDL transaction opened by ``set local
lock_timeout`` / ``statement_timeout`` (every statement of the plan that is not
an index build), then one step per index build: ``create index concurrently``
outside any transaction, after dropping an invalid leftover of an interrupted
build. Which statements are index builds is read from their SQL, so any index
a plan creates is built this way, whatever its definition.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from psycopg import sql

from supabase_sync import PACK_VERSION, __version__
from supabase_sync.errors import UnsafeOperation
from supabase_sync.render.templates import render_template


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a plan.

    ``destructive`` marks statements that drop or rewrite user data; a plan
    holding one is refused unless the caller allows it explicitly.
    """

    label: str
    sql: sql.Composable
    destructive: bool = False

    def sql_text(self) -> str:
        """The statement's SQL ending in ``;``, without its label."""
        return self.sql.as_string(None).strip().rstrip(";").rstrip() + ";"

    def chunk(self) -> str:
        """Return the text executed for this statement: a label comment, the SQL and ``;``."""
        label = " ".join(self.label.split())
        return f"-- {label}\n{self.sql_text()}\n"

    def inline(self) -> str:
        """The statement on one line, for a message that tells how to fix something."""
        return " ".join(self.sql.as_string(None).split()).rstrip(";") + ";"


class Phase(enum.Enum):
    """How a step of a plan runs."""

    #: The whole step in one transaction, no timeouts (install, disable...).
    PLAIN = "plain"
    #: One short transaction opened with ``set local lock_timeout`` and ``statement_timeout``;
    #: retried with back-off when a lock is not granted in time (55P03).
    DDL = "ddl"
    #: One ``create index concurrently`` outside any transaction, then checked valid.
    CONCURRENT_INDEX = "concurrent index"


@dataclass(frozen=True)
class Timeouts:
    """The limits of an online plan, in seconds (0: no limit).

    ``lock_timeout`` bounds every lock wait (and so how long other sessions
    queue behind enable); ``statement_timeout`` each DDL statement;
    ``index_timeout`` each index build; ``retries`` how often a step whose lock
    was not granted is tried again, with exponential back-off.
    """

    lock_timeout: float = 1.0
    statement_timeout: float = 60.0
    index_timeout: float = 0.0
    retries: int = 5

    @staticmethod
    def setting(seconds: float) -> str:
        """``seconds`` as a PostgreSQL duration setting: ``'1500ms'``, ``'0'`` for no limit."""
        milliseconds = round(seconds * 1000)
        if milliseconds <= 0:
            return "0"
        return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"


_IDENTIFIER = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_INDEX_BUILD = re.compile(
    rf"^create\s+(?P<unique>unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?"
    rf"(?P<name>{_IDENTIFIER})\s+on\s+(?:only\s+)?(?P<table>(?:(?P<schema>{_IDENTIFIER})\.)?{_IDENTIFIER})"
    rf"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class IndexBuild:
    """An index statement of a plan, taken apart to be built concurrently.

    ``index`` is the index's qualified name as SQL text (quoted where needed).
    """

    index: str
    table: str
    statement: Statement

    @classmethod
    def parse(cls, statement: Statement) -> IndexBuild | None:
        """The index build ``statement`` is, or None when it creates no index."""
        match = _INDEX_BUILD.match(statement.sql_text())
        if match is None:
            return None
        schema = match["schema"]
        index = f"{schema}.{match['name']}" if schema else match["name"]
        text = (
            f"create {match['unique'] or ''}index concurrently if not exists {match['name']}"
            f"\non {match['table']}{match['rest']}"
        )
        return cls(index, match["table"], Statement(statement.label + " (built concurrently)", sql.SQL(text)))  # type: ignore[arg-type]


# --- the statements an online plan adds around its steps -------------------------------------------


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


@dataclass(frozen=True)
class Step:
    """Statements that run together in one :class:`Phase`.

    ``title`` is the comment line that opens the step in the script;
    ``index`` the qualified name of the index a concurrent step builds.
    """

    phase: Phase
    title: str
    statements: tuple[Statement, ...]
    index: str | None = None
    build: Statement | None = None

    def chunks(self) -> list[str]:
        """The text of the step's statements, as executed."""
        return [statement.chunk() for statement in self.statements]

    def script(self) -> str:
        """The step as script text: its title comment, then its chunks."""
        return f"-- == {self.title}\n" + "\n".join(self.chunks())


@dataclass
class Plan:
    """An ordered list of statements produced by one command (install, enable...).

    ``notes`` and ``warnings`` are written into the script's header; the CLI
    prints the warnings on stderr too.
    """

    command: str
    statements: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Set for an online plan (see the module's docstring); None runs it in one transaction.
    timeouts: Timeouts | None = None
    #: Tables (as SQL text, e.g. ``"public"."t"``) whose indexes an online plan builds in its DDL
    #: transaction: partitioned tables, which PostgreSQL 15 cannot index concurrently.
    index_in_transaction: frozenset[str] = frozenset()

    def add(self, statement: Statement) -> None:
        """Append ``statement`` to the plan."""
        self.statements.append(statement)

    def extend(self, statements: list[Statement]) -> None:
        """Append ``statements`` in order."""
        self.statements.extend(statements)

    @property
    def changes_something(self) -> bool:
        """True when the plan holds statements besides taking the lock."""
        return any(not statement.label.startswith("take the supabase-sync lock") for statement in self.statements)

    def steps(self) -> list[Step]:
        """The plan's steps in the order they run (one plain step unless the plan is online)."""
        if self.timeouts is None:
            return [Step(Phase.PLAIN, "one transaction", tuple(self.statements))]
        timeouts = self.timeouts
        builds: list[IndexBuild] = []
        ddl: list[Statement] = []
        for statement in self.statements:
            build = IndexBuild.parse(statement)
            if build is None or build.table in self.index_in_transaction:
                ddl.append(statement)
            else:
                builds.append(build)
        steps = [
            Step(
                Phase.DDL,
                f"one short transaction: lock_timeout {Timeouts.setting(timeouts.lock_timeout)},"
                f" statement_timeout {Timeouts.setting(timeouts.statement_timeout)}",
                (render_local_timeouts(timeouts.lock_timeout, timeouts.statement_timeout), *ddl),
            )
        ]
        steps.extend(
            Step(
                Phase.CONCURRENT_INDEX,
                f"index {build.index}: built concurrently, outside any transaction",
                (
                    render_session_timeouts(timeouts.lock_timeout, timeouts.index_timeout),
                    render_drop_invalid_index(build.index),
                    build.statement,
                    render_reset_timeouts(),
                ),
                index=build.index,
                build=build.statement,
            )
            for build in builds
        )
        return steps

    def chunks(self) -> list[str]:
        """Return the text of every statement, in the order they are executed."""
        return [chunk for step in self.steps() for chunk in step.chunks()]

    def header(self) -> str:
        """Return the comment block that opens the script (no timestamp, so files do not drift)."""
        lines = [
            f"-- supabase-sync {__version__} (SQL pack {PACK_VERSION}): {self.command}",
            "-- Generated by supabase-sync; every statement is idempotent, so replaying this file is safe.",
        ]
        lines.extend(f"-- {note}" for note in self.notes)
        lines.extend(f"-- warning: {warning}" for warning in self.warnings)
        return "\n".join(lines) + "\n\n"

    def script(self, steps: list[Step] | None = None) -> str:
        """Return the whole plan (or only ``steps`` of it) as one SQL script: the header, then every chunk."""
        if self.timeouts is None:
            body = "\n".join(self.chunks())
        else:
            body = "\n".join(step.script() for step in (self.steps() if steps is None else steps))
        if not self.changes_something:
            body += "-- nothing to do: the database already has everything this command adds\n"
        return self.header() + body

    def files(self) -> list[tuple[str, str]]:
        """The plan as migration files: ``(name suffix, script)`` pairs in the order they apply.

        An online plan's concurrent index builds go to a file of their own
        (suffix ``_indexes``): the Supabase CLI runs each file in one
        transaction, which the DDL needs, and the builds must follow it.
        """
        if self.timeouts is None:
            return [("", self.script())]
        steps = self.steps()
        ddl = [step for step in steps if step.phase is not Phase.CONCURRENT_INDEX]
        indexes = [step for step in steps if step.phase is Phase.CONCURRENT_INDEX]
        files = [("", self.script(ddl))]
        if indexes:
            files.append(("_indexes", self.script(indexes)))
        return files

    def destructive_statements(self) -> list[Statement]:
        """Return the statements that drop or rewrite user data."""
        return [statement for statement in self.statements if statement.destructive]

    def check_safe(self, *, allowed: bool, flag: str) -> None:
        """Raise :class:`UnsafeOperation` naming ``flag`` if the plan is destructive and not ``allowed``."""
        destructive = self.destructive_statements()
        if not destructive or allowed:
            return
        labels = "; ".join(statement.label for statement in destructive)
        raise UnsafeOperation(
            f"{self.command} would drop data: {labels}",
            hint=f"pass {flag} to allow it",
        )
