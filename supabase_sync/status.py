"""What is installed, which tables sync, and what is missing (with the command that fixes it)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from supabase_sync import PACK_VERSION
from supabase_sync.apply import connection
from supabase_sync.catalog import (
    PackState,
    Registration,
    TableInfo,
    read_functions,
    read_pack_state,
    read_synced_tables,
    read_table,
)
from supabase_sync.dsn import mask_dsn, resolve_db_url
from supabase_sync.enable import has_owner_version_index
from supabase_sync.install import pack_function_names, schema_steps
from supabase_sync.render import (
    POLICY_COMMANDS,
    REALTIME_PUBLICATION,
    SYNC_COLUMNS,
    SYNC_TRIGGERS,
    TableName,
    policy_name,
)

_TRIGGER_FUNCTIONS = {
    "supabase_sync_stamp": "stamp_row",
    "supabase_sync_tombstone": "record_tombstone",
    "supabase_sync_truncate": "on_truncate",
}


@dataclass(frozen=True)
class Gap:
    """Something missing or wrong, and the exact command that fixes it."""

    problem: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        """Return the gap as JSON-ready data."""
        return {"problem": self.problem, "fix": self.fix}


@dataclass
class TableStatus:
    """The health of one synced table: each check by name, and the gaps found."""

    table: str
    owner_column: str
    id_column: str
    conflict_strategy: str
    dependency_rank: int
    checks: dict[str, bool] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when every check passed."""
        return not self.gaps

    def to_dict(self) -> dict[str, Any]:
        """Return the table's status as JSON-ready data."""
        return {
            "table": self.table,
            "owner_column": self.owner_column,
            "id_column": self.id_column,
            "conflict_strategy": self.conflict_strategy,
            "dependency_rank": self.dependency_rank,
            "healthy": self.healthy,
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
    missing_steps: list[str] = field(default_factory=list)
    missing_functions: list[str] = field(default_factory=list)
    pack_gaps: list[Gap] = field(default_factory=list)
    tables: list[TableStatus] = field(default_factory=list)

    @property
    def gaps(self) -> list[Gap]:
        """Every gap: the pack's, then each table's."""
        return [*self.pack_gaps, *(gap for table in self.tables for gap in table.gaps)]

    @property
    def healthy(self) -> bool:
        """True when the pack is current and every synced table passes every check."""
        return not self.gaps

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the URL masked)."""
        return {
            "db_url": self.db_url,
            "healthy": self.healthy,
            "installed": self.installed,
            "pack_version": self.pack_version,
            "expected_pack_version": self.expected_pack_version,
            "missing_steps": self.missing_steps,
            "missing_functions": self.missing_functions,
            "pack_gaps": [gap.to_dict() for gap in self.pack_gaps],
            "tables": [table.to_dict() for table in self.tables],
        }


def enable_command(table: TableName, registration: Registration, *, add_missing_columns: bool = False) -> str:
    """Return the ``supabase-sync enable`` command line that restores ``table`` as registered."""
    parts = ["supabase-sync", "enable", shlex.quote(table.display)]
    parts += ["--owner-column", shlex.quote(registration.owner_column)]
    if registration.conflict_strategy != "reject":
        parts += ["--conflict-strategy", registration.conflict_strategy]
    if add_missing_columns:
        parts.append("--add-missing-columns")
    return " ".join(parts)


def _pack_gaps(state: PackState, missing_steps: list[str], missing_functions: list[str]) -> list[Gap]:
    if not state.installed:
        return [Gap("supabase-sync is not installed", "supabase-sync install")]
    gaps: list[Gap] = []
    if state.pack_version != PACK_VERSION:
        problem = f"SQL pack {state.pack_version} installed, this supabase-sync ships pack {PACK_VERSION}"
        gaps.append(Gap(problem, "supabase-sync install"))
    if missing_steps:
        gaps.append(Gap(f"schema steps not applied: {', '.join(missing_steps)}", "supabase-sync install"))
    if missing_functions:
        gaps.append(Gap(f"functions missing: {', '.join(missing_functions)}", "supabase-sync install"))
    return gaps


def check_table(info: TableInfo, registration: Registration, *, realtime_publication: bool) -> TableStatus:
    """Check one registered table against the per-table contract."""
    table = info.table
    result = TableStatus(
        table.display,
        registration.owner_column,
        registration.id_column,
        registration.conflict_strategy,
        registration.dependency_rank,
    )
    fix = enable_command(table, registration)

    def record(check: str, passed: bool, problem: str, command: str = fix) -> None:
        result.checks[check] = passed
        if not passed:
            result.gaps.append(Gap(f"{table.display}: {problem}", command))

    owner = info.columns.get(registration.owner_column)
    record(
        "owner column",
        owner is not None and owner.type_name == "uuid",
        f"owner column {registration.owner_column} is missing or not uuid",
        f"alter the table so {registration.owner_column} is a uuid column, or: "
        f"supabase-sync disable {shlex.quote(table.display)}",
    )
    missing = [spec.name for spec in SYNC_COLUMNS if spec.name not in info.columns]
    record(
        "columns",
        not missing,
        f"missing columns {', '.join(missing)}",
        enable_command(table, registration, add_missing_columns=True),
    )
    for trigger in SYNC_TRIGGERS:
        found = info.triggers.get(trigger)
        current = (
            found is not None
            and found.enabled
            and found.function_schema == "supabase_sync"
            and found.function_name == _TRIGGER_FUNCTIONS[trigger]
        )
        if trigger == "supabase_sync_tombstone" and found is not None:
            current = current and found.arguments == (registration.id_column, registration.owner_column)
        record(f"trigger {trigger}", current, f"trigger {trigger} is missing, disabled or outdated")
    record("rls", info.rls_enabled, "row level security is off")
    for command in POLICY_COMMANDS:
        name = policy_name(command)
        record(f"policy {command}", name in info.policies, f'policy "{name}" is missing')
    record(
        "index",
        has_owner_version_index(info, registration.owner_column),
        f"no index on ({registration.owner_column}, server_version)",
    )
    if realtime_publication:
        record(
            "publication",
            REALTIME_PUBLICATION in info.publications,
            f"not in the {REALTIME_PUBLICATION} publication",
        )
    return result


def status(db_url: str | None = None) -> StatusReport:
    """Report the installed pack and every synced table's health.

    Each gap comes with the exact command that fixes it; ``report.healthy`` is
    False when any was found (the CLI then exits 2).
    """
    url = resolve_db_url(db_url)
    assert url is not None
    with connection(url) as conn:
        state = read_pack_state(conn)
        missing_steps = [step for step, _ in schema_steps() if step not in state.steps]
        tables: list[TableStatus] = []
        missing_functions: list[str] = []
        if state.installed:
            expected = pack_function_names()
            present = {f"{schema}.{name}" for schema, name, _ in read_functions(conn, expected)}
            missing_functions = [name for name in expected if name not in present]
            for table, registration in read_synced_tables(conn):
                info = read_table(conn, table)
                assert info is not None  # relid is a regclass: the table exists
                tables.append(check_table(info, registration, realtime_publication=state.has_realtime_publication))
    return StatusReport(
        db_url=mask_dsn(url),
        installed=state.installed,
        pack_version=state.pack_version,
        expected_pack_version=PACK_VERSION,
        missing_steps=missing_steps if state.installed else [],
        missing_functions=missing_functions,
        pack_gaps=_pack_gaps(state, missing_steps, missing_functions),
        tables=tables,
    )
