"""Semantic lints: risky things in a schema that no style checker can see.

The catalog is read once by the ``sql/queries/lint_*.sql`` queries into a
:class:`CatalogSnapshot`; each lint is a function of that snapshot returning
findings, each with the object it names, why it matters and the SQL that fixes
it (identifiers composed with :mod:`psycopg.sql`). The codes are stable:

=======  =======  ==============================================================
code     level    finding
=======  =======  ==============================================================
SS001    error    table in an exposed schema without row level security
SS002    error    table has policies but row level security is off
SS003    warning  policy calls auth.uid()/auth.jwt()/current_setting() per row
SS004    error    permissive ``using (true)`` policy for update, delete or all
SS005    warning  owner column without an index that starts with it
SS006    warning  function without a fixed search_path
SS007    warning  SECURITY DEFINER function executable by anon or authenticated
SS008    error    synced table lacks a sync column
SS009    error    synced table lacks a sync trigger
SS010    error    synced table lacks an owner policy for a command
SS011    error    table has supabase_sync triggers but no registry row
SS012    warning  table without a primary key
SS013    info     row level security on, but no policy: the API sees no rows
=======  =======  ==============================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from supabase_sync.catalog import fetch_rows
from supabase_sync.lint import policy_text
from supabase_sync.lint.report import Finding, Level
from supabase_sync.render import (
    POLICY_COMMANDS,
    STAMP_TRIGGER,
    SYNC_COLUMNS,
    SYNC_TRIGGERS,
    TOMBSTONE_TRIGGER,
    TableName,
    display_identifier,
    render_owner_policy,
    render_refresh_dependency_ranks,
    render_register_table,
    render_stamp_trigger,
    render_tombstone_trigger,
    render_truncate_trigger,
    truncate_identifier,
)

#: The pack's schema: its functions are linted like those of exposed schemas.
PACK_SCHEMA = "supabase_sync"

#: pg_policy.polcmd letters and the commands they stand for.
_COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}
_API_ROLES = {"public", "anon", "authenticated"}


@dataclass(frozen=True)
class Rule:
    """A semantic lint: its stable code, level and one-line title."""

    code: str
    level: Level
    title: str


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("SS001", "error", "exposed table without row level security"),
        Rule("SS002", "error", "policies present but row level security is off"),
        Rule("SS003", "warning", "policy evaluates a request function once per row"),
        Rule("SS004", "error", "permissive using (true) policy for update, delete or all"),
        Rule("SS005", "warning", "owner column without an index"),
        Rule("SS006", "warning", "function without a fixed search_path"),
        Rule("SS007", "warning", "security definer function executable by API roles"),
        Rule("SS008", "error", "synced table lacks sync columns"),
        Rule("SS009", "error", "synced table lacks sync triggers"),
        Rule("SS010", "error", "synced table lacks owner policies"),
        Rule("SS011", "error", "sync triggers on a table with no registry row"),
        Rule("SS012", "warning", "table without a primary key"),
        Rule("SS013", "info", "row level security on but no policy"),
    )
}


@dataclass(frozen=True)
class Policy:
    """One row level security policy."""

    table: TableName
    name: str
    command: str
    permissive: bool
    roles: tuple[str, ...]
    using: str | None
    check: str | None

    def __str__(self) -> str:
        return f"policy {display_identifier(self.name)} on {self.table}"


@dataclass
class CatalogSnapshot:
    """What the lints need from the catalog, read once."""

    exposed_schemas: list[str]
    tables: list[dict[str, Any]]
    policies: list[Policy]
    uuid_columns: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    synced_tables: list[dict[str, Any]] = field(default_factory=list)
    unregistered: list[dict[str, Any]] = field(default_factory=list)
    has_registry: bool = False

    def policies_of(self, table: TableName) -> list[Policy]:
        """The policies of ``table``."""
        return [policy for policy in self.policies if policy.table == table]


def read_catalog(conn: psycopg.Connection) -> CatalogSnapshot:
    """Read everything the semantic lints look at from ``conn``'s database."""
    exposed = [row["schema_name"] for row in fetch_rows(conn, "lint_exposed_schemas")]
    policies = [
        Policy(
            table=TableName(row["schema_name"], row["table_name"]),
            name=row["policy_name"],
            command=_COMMANDS.get(row["command"], row["command"]),
            permissive=row["permissive"],
            roles=tuple(row["roles"]),
            using=row["using_expression"],
            check=row["check_expression"],
        )
        for row in fetch_rows(conn, "lint_policies")
    ]
    snapshot = CatalogSnapshot(
        exposed_schemas=exposed,
        tables=fetch_rows(conn, "lint_tables"),
        policies=policies,
        uuid_columns=fetch_rows(conn, "lint_uuid_columns"),
        functions=fetch_rows(conn, "lint_functions", {"schemas": [*exposed, PACK_SCHEMA]}),
    )
    registry = conn.execute("select pg_catalog.to_regclass('supabase_sync.synced_table') is not null").fetchone()
    snapshot.has_registry = bool(registry and registry[0])
    if snapshot.has_registry:
        snapshot.synced_tables = fetch_rows(conn, "lint_synced_tables")
        snapshot.unregistered = fetch_rows(conn, "lint_unregistered_sync_triggers")
    return snapshot


Render = Callable[[sql.Composable], str]


def _finding(code: str, obj: object, message: str, why: str, fix: str | None, *, level: Level | None = None) -> Finding:
    rule = RULES[code]
    return Finding(
        level=level or rule.level,
        code=code,
        message=message,
        source="semantic",
        object=str(obj),
        why=why,
        fix=fix,
    )


def _table(row: dict[str, Any]) -> TableName:
    return TableName(row["schema_name"], row["table_name"])


def check_exposed_tables_without_rls(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS001: a table of an exposed schema with RLS off is readable and writable through the API."""
    findings = []
    for row in snapshot.tables:
        if row["schema_name"] not in snapshot.exposed_schemas or row["rls_enabled"] or row["policy_count"]:
            continue
        table = _table(row)
        findings.append(
            _finding(
                "SS001",
                table,
                f"table {table} is exposed through the Data API but row level security is off",
                "with the default grants, anon and authenticated can read and change every row through "
                "PostgREST; enable row level security and add policies for what each role may do",
                render(sql.SQL("alter table {} enable row level security;").format(table.identifier)),
            )
        )
    return findings


def check_policies_without_rls(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS002: policies on a table whose RLS is off are silently ignored."""
    findings = []
    for row in snapshot.tables:
        if row["rls_enabled"] or not row["policy_count"]:
            continue
        table = _table(row)
        findings.append(
            _finding(
                "SS002",
                table,
                f"table {table} has {row['policy_count']} polic{'y' if row['policy_count'] == 1 else 'ies'} "
                "but row level security is off",
                "PostgreSQL ignores policies until row level security is enabled, so every role with a grant "
                "sees and changes every row",
                render(sql.SQL("alter table {} enable row level security;").format(table.identifier)),
            )
        )
    return findings


def _policy_fix(policy: Policy, render: Render, *, using: str | None, check: str | None) -> str:
    # The expressions are PostgreSQL's own rendering of the catalog, so they are SQL already.
    parts: list[sql.Composable] = [
        sql.SQL("alter policy {} on {}").format(sql.Identifier(policy.name), policy.table.identifier)
    ]
    if using is not None:
        parts.append(sql.SQL("using ({})").format(sql.SQL(using)))
    if check is not None:
        parts.append(sql.SQL("with check ({})").format(sql.SQL(check)))
    return render(sql.SQL("\n    ").join(parts)) + ";"


def check_per_row_request_calls(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS003: ``auth.uid()`` and friends outside ``(select ...)`` run once per row, not once per query."""
    findings = []
    for policy in snapshot.policies:
        calls = policy_text.unwrapped_calls(policy.using) + policy_text.unwrapped_calls(policy.check)
        if not calls:
            continue
        names = sorted({f"{call.name}()" for call in calls})
        using = policy_text.wrap_request_calls(policy.using) if policy.using else None
        check = policy_text.wrap_request_calls(policy.check) if policy.check else None
        findings.append(
            _finding(
                "SS003",
                policy,
                f"{policy} calls {', '.join(names)} outside a subquery",
                "an unwrapped call is evaluated for every row the query touches; wrapped as "
                "(select auth.uid()) PostgreSQL evaluates it once per statement, which keeps large "
                "tables fast (Supabase's RLS performance advice)",
                _policy_fix(
                    policy,
                    render,
                    using=using if using != policy.using else None,
                    check=check if check != policy.check else None,
                ),
            )
        )
    return findings


def _owner_guess(snapshot: CatalogSnapshot, table: TableName) -> str | None:
    for row in snapshot.synced_tables:
        if _table(row) == table:
            return str(row["owner_column"])
    for row in snapshot.uuid_columns:
        if _table(row) == table and row["column_name"] == "user_id":
            return "user_id"
    return None


def check_always_true_write_policies(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS004: a permissive ``using (true)`` policy lets its roles update or delete every row."""
    findings = []
    for policy in snapshot.policies:
        if not policy.permissive or policy.command not in {"update", "delete", "all"}:
            continue
        if (policy.using or "").strip().lower() != "true":
            continue
        if not _API_ROLES.intersection(policy.roles):
            continue
        owner = _owner_guess(snapshot, policy.table)
        if owner is None:
            fix = render(sql.SQL("drop policy {} on {};").format(sql.Identifier(policy.name), policy.table.identifier))
        else:
            fix = _policy_fix(
                policy,
                render,
                using=render(sql.SQL("(select auth.uid()) = {}").format(sql.Identifier(owner))),
                check=None,
            )
        findings.append(
            _finding(
                "SS004",
                policy,
                f"{policy} allows {policy.command} of every row (using (true)) to {', '.join(policy.roles)}",
                "any signed-in (or anonymous) user can change or delete rows of other users; restrict the "
                "policy to the rows the user owns",
                fix,
            )
        )
    return findings


def check_unindexed_owner_columns(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS005: policies filter every query by the owner column; without an index that is a full scan."""
    owners: dict[tuple[TableName, str], str] = {}
    uuid_index = {(_table(row), row["column_name"]): row["leads_an_index"] for row in snapshot.uuid_columns}
    for policy in snapshot.policies:
        # Only API-facing tables: PostgREST requests filter them by the policy on every call.
        if policy.table.schema not in snapshot.exposed_schemas:
            continue
        for column in policy_text.owner_columns(policy.using) | policy_text.owner_columns(policy.check):
            if (policy.table, column) in uuid_index:
                owners.setdefault((policy.table, column), f"compared with auth.uid() by {policy}")
    findings = []
    indexed = dict(uuid_index)
    for row in snapshot.synced_tables:
        key = (_table(row), row["owner_column"])
        owners[key] = "the owner column of a synced table"
        indexed[key] = row["owner_leads_an_index"]
    for (table, column), reason in sorted(owners.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        if indexed.get((table, column), True):
            continue
        index = truncate_identifier(f"{table.name}_{column}_idx")
        findings.append(
            _finding(
                "SS005",
                f"{table}.{display_identifier(column)}",
                f"column {column} of {table} ({reason}) starts no index",
                "row level security adds this column to every query's filter; without an index whose first "
                "column it is, each request scans the whole table",
                render(
                    sql.SQL("create index if not exists {} on {} ({});").format(
                        sql.Identifier(index), table.identifier, sql.Identifier(column)
                    )
                ),
            )
        )
    return findings


def _function_identifier(row: dict[str, Any]) -> sql.Composable:
    # The argument list is PostgreSQL's own rendering (pg_get_function_identity_arguments).
    return sql.SQL("{}({})").format(sql.Identifier(row["schema_name"], row["function_name"]), sql.SQL(row["arguments"]))


def _function_name(row: dict[str, Any]) -> str:
    name = f"{display_identifier(row['schema_name'])}.{display_identifier(row['function_name'])}"
    return f"function {name}({row['arguments']})"


def check_mutable_search_path(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS006: a function that resolves names through the caller's search_path can be hijacked."""
    findings = []
    for row in snapshot.functions:
        if row["fixed_search_path"] or row["language"] in {"c", "internal"}:
            continue
        findings.append(
            _finding(
                "SS006",
                _function_name(row),
                f"{_function_name(row)} has no fixed search_path",
                "its unqualified names resolve through the caller's search_path, so a caller who can create "
                "objects earlier on that path changes what it does; set an empty search_path and qualify "
                "names (or list the schemas it needs)",
                render(sql.SQL("alter function {} set search_path = '';").format(_function_identifier(row))),
                level="error" if row["security_definer"] else None,
            )
        )
    return findings


def check_security_definer_exposed(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS007: SECURITY DEFINER functions callable by the API roles bypass RLS with the owner's rights."""
    findings = []
    for row in snapshot.functions:
        roles = list(row["api_roles_with_execute"] or [])
        if not row["security_definer"] or row["is_trigger"] or not roles:
            continue
        findings.append(
            _finding(
                "SS007",
                _function_name(row),
                f"security definer {_function_name(row)} is executable by {', '.join(roles)}",
                "it runs with its owner's rights (bypassing row level security) for any caller of the Data "
                "API; make it security invoker, or revoke execute and grant it only to the roles that need it",
                render(
                    sql.SQL("revoke execute on function {} from public, {};").format(
                        _function_identifier(row), sql.SQL(", ").join(sql.Identifier(role) for role in roles)
                    )
                ),
            )
        )
    return findings


def check_synced_columns(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS008: a synced table without its sync columns breaks the stamp trigger and sync_pull."""
    findings = []
    for row in snapshot.synced_tables:
        table = _table(row)
        present = set(row["columns"])
        wanted = {
            row["id_column"]: "uuid primary key default gen_random_uuid()",
            row["owner_column"]: "uuid",
            **{column.name: column.definition for column in SYNC_COLUMNS},
        }
        missing = [column for column in wanted if column not in present]
        if not missing:
            continue
        additions = [
            sql.SQL("add column if not exists {} {}").format(
                sql.Identifier(column), sql.SQL(wanted[column])  # type: ignore[arg-type]  # constants
            )
            for column in missing
        ]
        findings.append(
            _finding(
                "SS008",
                table,
                f"synced table {table} lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                "the stamp trigger, sync_pull and sync_push read and write these columns; writes to the table "
                "fail until they exist (supabase-sync enable --add-missing-columns adds them)",
                render(sql.SQL("alter table {}\n    {};").format(table.identifier, sql.SQL(",\n    ").join(additions))),
            )
        )
    return findings


def _trigger_statement(trigger: str, table: TableName, row: dict[str, Any]) -> sql.Composable:
    """The statement ``enable`` runs to create ``trigger`` on ``table``."""
    if trigger == STAMP_TRIGGER:
        return render_stamp_trigger(table).sql
    if trigger == TOMBSTONE_TRIGGER:
        return render_tombstone_trigger(table, id_column=row["id_column"], owner_column=row["owner_column"]).sql
    return render_truncate_trigger(table).sql


def check_synced_triggers(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS009: without its triggers a synced table's writes are not versioned and deletes not recorded."""
    findings = []
    for row in snapshot.synced_tables:
        table = _table(row)
        missing = [trigger for trigger in SYNC_TRIGGERS if trigger not in set(row["triggers"])]
        if not missing:
            continue
        findings.append(
            _finding(
                "SS009",
                table,
                f"synced table {table} lacks trigger{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                "(or it is disabled)",
                "without the stamp trigger writes get no server version and clients never pull them; without "
                "the tombstone and truncate triggers clients keep rows that were deleted",
                "\n".join(render(_trigger_statement(trigger, table, row)) for trigger in missing),
            )
        )
    return findings


def _covers(policy: Policy, command: str) -> bool:
    return (
        policy.permissive
        and policy.command in {command, "all"}
        and bool({"authenticated", "public"}.intersection(policy.roles))
    )


def check_synced_policies(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS010: a synced table needs a policy per command, or sync_push and sync_pull see nothing."""
    findings = []
    for row in snapshot.synced_tables:
        table = _table(row)
        policies = snapshot.policies_of(table)
        missing = [command for command in POLICY_COMMANDS if not any(_covers(p, command) for p in policies)]
        if not missing:
            continue
        findings.append(
            _finding(
                "SS010",
                table,
                f"synced table {table} has no policy letting authenticated users {', '.join(missing)} rows",
                "the sync functions are security invoker: with row level security on and no policy for a "
                "command, pulls return nothing or pushes fail with 42501",
                "\n".join(
                    render(render_owner_policy(table, command, owner_column=str(row["owner_column"])).sql)
                    for command in missing
                ),
            )
        )
    return findings


def check_unregistered_sync_triggers(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS011: sync triggers without a registry row: the table is half enabled."""
    findings = []
    for row in snapshot.unregistered:
        table = _table(row)
        arguments = (row["tombstone_arguments"] or "").split("\\000")
        id_column = arguments[0] if arguments and arguments[0] else "id"
        owner_column = arguments[1] if len(arguments) > 1 and arguments[1] else "user_id"
        fix = sql.SQL("{};\n{};").format(
            render_register_table(table, owner_column=owner_column, id_column=id_column, conflict_strategy="reject").sql,
            render_refresh_dependency_ranks().sql,
        )
        findings.append(
            _finding(
                "SS011",
                table,
                f"table {table} has sync triggers ({', '.join(row['triggers'])}) but no row in "
                "supabase_sync.synced_table",
                "sync_pull and sync_push only serve registered tables, so clients never see its rows while "
                "the triggers still record versions and tombstones (supabase-sync enable registers it)",
                render(fix),
            )
        )
    return findings


def check_missing_primary_keys(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS012: without a primary key rows cannot be addressed: no sync, no realtime updates, no upsert."""
    findings = []
    for row in snapshot.tables:
        if row["has_primary_key"] or row["schema_name"] not in [*snapshot.exposed_schemas, PACK_SCHEMA]:
            continue
        table = _table(row)
        if row["has_id_column"]:
            fix = sql.SQL("alter table {} add primary key ({});").format(table.identifier, sql.Identifier("id"))
        else:
            fix = sql.SQL("alter table {} add column {} uuid primary key default gen_random_uuid();").format(
                table.identifier, sql.Identifier("id")
            )
        findings.append(
            _finding(
                "SS012",
                table,
                f"table {table} has no primary key",
                "rows without a key cannot be updated through the Data API by id, cannot be synced or "
                "replicated (Realtime and logical replication need a replica identity)",
                render(fix),
            )
        )
    return findings


def check_rls_without_policies(snapshot: CatalogSnapshot, render: Render) -> list[Finding]:
    """SS013: RLS on with no policy denies every API role everything (often intended, so only info)."""
    findings = []
    for row in snapshot.tables:
        if row["schema_name"] not in snapshot.exposed_schemas or not row["rls_enabled"] or row["policy_count"]:
            continue
        table = _table(row)
        findings.append(
            _finding(
                "SS013",
                table,
                f"table {table} has row level security on but no policy",
                "anon and authenticated see no rows and cannot write any; fine for a server-only table, "
                "otherwise add policies",
                render(
                    sql.SQL("create policy {} on {} for select to authenticated using (true);").format(
                        sql.Identifier("authenticated can read"), table.identifier
                    )
                ),
            )
        )
    return findings


CHECKS: tuple[Callable[[CatalogSnapshot, Render], list[Finding]], ...] = (
    check_exposed_tables_without_rls,
    check_policies_without_rls,
    check_per_row_request_calls,
    check_always_true_write_policies,
    check_unindexed_owner_columns,
    check_mutable_search_path,
    check_security_definer_exposed,
    check_synced_columns,
    check_synced_triggers,
    check_synced_policies,
    check_unregistered_sync_triggers,
    check_missing_primary_keys,
    check_rls_without_policies,
)


def run_checks(snapshot: CatalogSnapshot, render: Render, *, checks: Iterable[str] | None = None) -> list[Finding]:
    """Run every semantic lint (or those whose code is in ``checks``) over ``snapshot``."""
    wanted = set(checks) if checks is not None else None
    findings: list[Finding] = []
    for check in CHECKS:
        code = (check.__doc__ or "")[:5]
        if wanted is not None and code not in wanted:
            continue
        findings.extend(check(snapshot, render))
    return findings


def lint_connection(conn: psycopg.Connection) -> list[Finding]:
    """Read the catalog of ``conn``'s database and return every semantic finding."""
    snapshot = read_catalog(conn)
    return run_checks(snapshot, lambda composable: composable.as_string(conn))
