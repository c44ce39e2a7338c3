"""What is installed, which tables sync, and what is missing (with the command that fixes it).

Each synced table is judged against the per-table contract
(:mod:`supabase_sync.contract`): one check per requirement, keyed like the
contract (``trigger.stamp``, ``policy.update``...), one gap per unmet one;
and, for kinds with compiled functions, the check ``compiled``: they are
present, fresh and from this pack's templates (:mod:`supabase_sync.compiled`);
when they are not, a note with the fix (speed, not correctness: no gap).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Any

from supabase_sync import PACK_VERSION
from supabase_sync.apply import connection
from supabase_sync.catalog import PackState, read_functions, read_pack_state
from supabase_sync.compiled import CompiledTable, read_compiled_tables
from supabase_sync.contract import (
    TableCheck,
    check_half_enabled_tables,
    check_registered_tables,
    enable_command,
    fix_command,
)
from supabase_sync.dsn import DB_URL_ENV_VARS, mask_dsn, resolve_db_url
from supabase_sync.install import pack_function_names, schema_steps
from supabase_sync.names import TableName


@dataclass(frozen=True)
class Gap:
    """Something missing or wrong, and how to fix it.

    ``fix`` is the command to run (an enable command line) or, when only the
    table's owner can fix it, what to change; ``statements`` are the SQL
    statements that fix it, when there are some (what enable runs); ``key``
    names the contract requirement (None for the pack).
    """

    problem: str
    fix: str
    statements: tuple[str, ...] = ()
    key: str | None = None

    @property
    def sql(self) -> str:
        """The statements, one after the other."""
        return "\n".join(self.statements)

    def to_dict(self) -> dict[str, str | None]:
        """Return the gap as JSON-ready data."""
        return {"key": self.key, "problem": self.problem, "fix": self.fix, "sql": self.sql}


@dataclass
class TableStatus:
    """The health of one synced table: each requirement by key (met or not), and the gaps found."""

    table: str
    owner_column: str
    id_column: str
    conflict_strategy: str
    dependency_rank: int | None
    registered: bool = True
    #: owner, scope or scoped (DESIGN 3.4); ``shared_with`` the membership table or scope table, if any.
    kind: str = "owner"
    shared_with: str | None = None
    #: how clients learn of changes (enable --realtime).
    realtime: str = "postgres_changes"
    #: how pulls send int8/numeric (enable --big-numbers): number, string, or None for the pack default.
    big_numbers: str | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every requirement is met."""
        return not self.gaps

    def to_dict(self) -> dict[str, Any]:
        """Return the table's status as JSON-ready data."""
        return {
            "table": self.table,
            "kind": self.kind,
            "shared_with": self.shared_with,
            "owner_column": self.owner_column,
            "id_column": self.id_column,
            "conflict_strategy": self.conflict_strategy,
            "realtime": self.realtime,
            "big_numbers": self.big_numbers,
            "dependency_rank": self.dependency_rank,
            "registered": self.registered,
            "passed": self.passed,
            "checks": self.checks,
            "gaps": [gap.to_dict() for gap in self.gaps],
        }


@dataclass
class StatusReport:
    """Pack version, missing pack pieces and every synced table's health."""

    db_url: str
    installed: bool
    pack_version: str | None
    expected_pack_version: str
    #: the pack-wide big-numbers choice (meta big_numbers), for tables enabled without --big-numbers.
    big_numbers: str | None = None
    missing_steps: list[str] = field(default_factory=list)
    missing_functions: list[str] = field(default_factory=list)
    pack_gaps: list[Gap] = field(default_factory=list)
    tables: list[TableStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def gaps(self) -> list[Gap]:
        """Every gap: the pack's, then each table's."""
        return [*self.pack_gaps, *(gap for table in self.tables for gap in table.gaps)]

    @property
    def passed(self) -> bool:
        """True when the pack is current and every synced table meets every requirement."""
        return not self.gaps

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the URL masked)."""
        return {
            "db_url": self.db_url,
            "passed": self.passed,
            "installed": self.installed,
            "pack_version": self.pack_version,
            "expected_pack_version": self.expected_pack_version,
            "big_numbers": self.big_numbers,
            "missing_steps": self.missing_steps,
            "missing_functions": self.missing_functions,
            "pack_gaps": [gap.to_dict() for gap in self.pack_gaps],
            "tables": [table.to_dict() for table in self.tables],
            "notes": self.notes,
        }


def _pack_gaps(state: PackState, missing_steps: list[str], missing_functions: list[str], install: str) -> list[Gap]:
    if not state.installed:
        return [Gap("supabase-sync is not installed", install)]
    gaps: list[Gap] = []
    if state.pack_version != PACK_VERSION:
        problem = f"SQL pack {state.pack_version} installed, this supabase-sync ships pack {PACK_VERSION}"
        gaps.append(Gap(problem, install))
    if missing_steps:
        gaps.append(Gap(f"schema steps not applied: {', '.join(missing_steps)}", install))
    if missing_functions:
        gaps.append(Gap(f"functions missing: {', '.join(missing_functions)}", install))
    return gaps


def _shared_with(check: TableCheck) -> str | None:
    spec = check.spec
    if spec.kind == "scope" and spec.members is not None:
        return f"members in {spec.members.display}"
    if spec.kind == "scoped" and spec.scope is not None:
        what = "membership of" if spec.membership else "scoped by"
        return f"{what} {spec.scope.display} through {spec.scope_column}"
    return None


def table_status(check: TableCheck, *, registered: bool = True, db_url_argument: str | None = None) -> TableStatus:
    """The status of one table from its contract check; each gap's fix carries ``db_url_argument``."""
    registration = check.info.registration
    result = TableStatus(
        table=check.table.display,
        owner_column=check.spec.owner_column,
        id_column=check.spec.id_column,
        conflict_strategy=check.spec.conflict_strategy,
        dependency_rank=registration.dependency_rank if registration else None,
        registered=registered,
        kind=check.spec.kind,
        shared_with=_shared_with(check),
        realtime=check.spec.realtime,
        big_numbers=check.spec.big_numbers,
    )
    for verdict in check.verdicts:
        if verdict.state == "not applicable":
            continue
        result.checks[verdict.key] = verdict.met
        if verdict.met:
            continue
        command = fix_command(check, verdict, db_url_argument=db_url_argument)
        result.gaps.append(
            Gap(
                problem=verdict.problem,
                fix=command or verdict.manual or "",
                statements=tuple(statement.sql_text() for statement in verdict.fix_statements()),
                key=verdict.key,
            )
        )
    return result


def _compiled_note(
    result: TableStatus, check: TableCheck, compiled: dict[TableName, CompiledTable], argument: str
) -> str | None:
    """Record the ``compiled`` check of ``result`` (its compiled functions are current); a note when they are not.

    Only for kinds that have compiled functions (:mod:`supabase_sync.compiled`).
    Missing or stale ones cost speed, not correctness (calls take the generic
    path, which gives the same answers), so they are a note with the fix, not a
    gap: a project whose migrations enabled the table (they compile nothing)
    passes until enable or install runs against the database.
    """
    table = compiled.get(check.table)
    if table is None or not table.purposes:
        return None
    problem = table.problem()
    result.checks["compiled"] = problem is None
    if problem is None:
        return None
    # problem() already says the calls take the generic path; the note adds until when.
    command = enable_command(check.spec, db_url_argument=argument)
    return f"{check.table}: {problem} (the same answers) until `{command}` compiles them"


def db_url_argument(explicit: str | None) -> tuple[str, str | None]:
    """How fix commands name the database ``status`` read, and a note when they cannot run as printed.

    A URL from the environment is written ``"$SUPABASE_DB_URL"`` (the command
    then runs as printed and shows no password); a URL given on the command
    line is written as given, its password masked.
    """
    if not explicit:
        for name in DB_URL_ENV_VARS:
            if os.environ.get(name):
                return f'"${name}"', None
    url = resolve_db_url(explicit) or ""
    shown = mask_dsn(url)
    note = None
    if shown != url:
        note = (
            "the fix commands show the database URL with its password masked (***): put it back before running "
            f"them, or set {DB_URL_ENV_VARS[0]} and run status without --db-url to get commands that run as printed"
        )
    return shlex.quote(shown), note


def status(db_url: str | None = None) -> StatusReport:
    """Report the installed pack and every synced table's health.

    Each gap comes with the exact command that fixes it, aimed at the same
    database (``--db-url``); ``report.passed`` is False when any was found
    (the CLI then exits 2). Tables with supabase_sync triggers but no registry
    row are reported too, with the command that registers them.
    """
    url = resolve_db_url(db_url)
    assert url is not None
    argument, note = db_url_argument(db_url)
    install = f"supabase-sync install --db-url {argument}"
    with connection(url) as conn:
        state = read_pack_state(conn)
        missing_steps = [step for step, _ in schema_steps() if step not in state.steps]
        tables: list[TableStatus] = []
        notes = [note] if note else []
        missing_functions: list[str] = []
        if state.installed:
            expected = pack_function_names()
            present = {f"{function.schema}.{function.name}" for function in read_functions(conn, expected)}
            missing_functions = [name for name in expected if name not in present]
            compiled = {table.table: table for table in read_compiled_tables(conn)}
            for check in check_registered_tables(conn, state=state):
                tables.append(table_status(check, db_url_argument=argument))
                compiled_note = _compiled_note(tables[-1], check, compiled, argument)
                if compiled_note:
                    notes.append(compiled_note)
            tables += [
                table_status(check, registered=False, db_url_argument=argument)
                for check in check_half_enabled_tables(conn, state=state)
            ]
    return StatusReport(
        db_url=mask_dsn(url),
        installed=state.installed,
        pack_version=state.pack_version,
        expected_pack_version=PACK_VERSION,
        big_numbers=state.big_numbers,
        missing_steps=missing_steps if state.installed else [],
        missing_functions=missing_functions,
        pack_gaps=_pack_gaps(state, missing_steps, missing_functions, install),
        tables=tables,
        notes=notes,
    )
