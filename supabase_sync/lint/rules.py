"""The semantic lints, as data: each :class:`Rule` has a stable code, a level, a title and a check.

A check reads the :class:`~supabase_sync.lint.catalog.LintCatalog` and returns
:class:`Hit` records (the object, what is wrong, why it matters, the SQL that
fixes it, composed with :mod:`psycopg.sql`); :func:`run_rules` turns them into
findings carrying the rule's code and level. ``docs/lint.md``'s rule table is
rendered from :data:`RULES` (``python -m supabase_sync.lint.reference``).

Three kinds of rule:

- schema-wide rules (SS001-SS007, SS012, SS013) look at every table, policy and
  function; eight of them repeat one of Supabase's own database lints
  (`splinter <https://github.com/supabase/splinter>`_, what ``supabase db
  advisors`` runs), named in ``splinter``;
- contract rules (SS008-SS011, SS014-SS017) render the unmet requirements of
  the synced tables (:mod:`supabase_sync.contract`), one family or more each:
  exactly what ``supabase-sync status`` reports and ``enable`` would add. The
  schema-wide rules leave synced tables to them, so nothing is reported twice;
- isolation rules (SS018, SS019) find the keys of synced tables through which
  one user's write meets another user's rows (foreign keys, unique keys), the
  same helpers of :mod:`supabase_sync.contract` verify tries as real users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from psycopg import sql

from supabase_sync import policy_text
from supabase_sync.contract import TableCheck, Verdict, cross_owner_foreign_keys, cross_owner_unique_keys
from supabase_sync.lint.catalog import LintCatalog, SchemaFunction, SchemaPolicy
from supabase_sync.lint.report import Finding, Level
from supabase_sync.names import TableName, display_identifier
from supabase_sync.render.table import render_enable_rls, render_owner_index
from supabase_sync.sync_objects import (
    PACK_SCHEMA,
    PACK_TABLES_WITHOUT_PRIMARY_KEY,
    RLS_HELPER_FUNCTIONS,
)

_API_ROLES = {"public", "anon", "authenticated"}


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: the object, what is wrong, why it matters and the SQL that fixes it.

    ``level`` overrides the rule's level for this hit; ``requirements`` are the
    contract keys a contract rule reports.
    """

    object: str
    message: str
    why: str
    fix: str | None
    level: Level | None = None
    requirements: tuple[str, ...] = ()


Check = Callable[[LintCatalog], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A semantic lint.

    ``finding`` and ``fix`` describe it in the docs' table; ``splinter`` names
    the Supabase database lint it repeats (``0013_rls_disabled_in_public``),
    if any; ``families`` are the contract families a contract rule renders.
    """

    code: str
    level: Level
    title: str
    check: Check
    finding: str
    fix: str
    splinter: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    level_note: str = ""


def _sql(composable: sql.Composable) -> str:
    return composable.as_string(None)


# --- schema-wide rules ---------------------------------------------------------------------


def _exposed_tables_without_rls(catalog: LintCatalog) -> Iterable[Hit]:
    for table in catalog.tables:
        if table.table in catalog.synced_tables or table.table.schema not in catalog.exposed_schemas:
            continue
        if table.rls_enabled or table.policy_count:
            continue
        yield Hit(
            str(table.table),
            f"table {table.table} is exposed through the Data API but row level security is off",
            "with the default grants, anon and authenticated can read and change every row through "
            "PostgREST; enable row level security and add policies for what each role may do",
            render_enable_rls(table.table).sql_text(),
        )


def _policies_without_rls(catalog: LintCatalog) -> Iterable[Hit]:
    for table in catalog.tables:
        if table.table in catalog.synced_tables or table.rls_enabled or not table.policy_count:
            continue
        count = table.policy_count
        yield Hit(
            str(table.table),
            f"table {table.table} has {count} polic{'y' if count == 1 else 'ies'} but row level security is off",
            "PostgreSQL ignores policies until row level security is enabled, so every role with a grant "
            "sees and changes every row",
            render_enable_rls(table.table).sql_text(),
        )


def _policy_fix(policy: SchemaPolicy, *, using: str | None, check: str | None) -> str:
    # The expressions are PostgreSQL's own rendering of the catalog, so they are SQL already.
    parts: list[sql.Composable] = [
        sql.SQL("alter policy {} on {}").format(sql.Identifier(policy.name), policy.table.identifier)
    ]
    if using is not None:
        parts.append(sql.SQL("using ({})").format(sql.SQL(using)))  # type: ignore[arg-type]  # deparsed
    if check is not None:
        parts.append(sql.SQL("with check ({})").format(sql.SQL(check)))  # type: ignore[arg-type]  # deparsed
    return _sql(sql.SQL("\n    ").join(parts)) + ";"


def _per_row_request_calls(catalog: LintCatalog) -> Iterable[Hit]:
    for policy in catalog.policies:
        calls = policy_text.unwrapped_calls(policy.using) + policy_text.unwrapped_calls(policy.check)
        if not calls:
            continue
        names = sorted({f"{call.name}()" for call in calls})
        using = policy_text.wrap_request_calls(policy.using) if policy.using else None
        check = policy_text.wrap_request_calls(policy.check) if policy.check else None
        yield Hit(
            str(policy),
            f"{policy} calls {', '.join(names)} outside a subquery",
            "an unwrapped call is evaluated for every row the query touches; wrapped as "
            "(select auth.uid()) PostgreSQL evaluates it once per statement, which keeps large "
            "tables fast (Supabase's RLS performance advice)",
            _policy_fix(
                policy,
                using=using if using != policy.using else None,
                check=check if check != policy.check else None,
            ),
        )


def _owner_guess(catalog: LintCatalog, table: TableName) -> str | None:
    for column in catalog.uuid_columns:
        if column.table == table and column.column == "user_id":
            return "user_id"
    return None


def _always_true_write_policies(catalog: LintCatalog) -> Iterable[Hit]:
    for policy in catalog.policies:
        if policy.table in catalog.synced_tables or not policy.permissive:
            continue
        if policy.command not in {"update", "delete", "all"} or not policy_text.is_always_true(policy.using):
            continue
        if not _API_ROLES.intersection(policy.roles):
            continue
        owner = _owner_guess(catalog, policy.table)
        if owner is None:
            fix = _sql(sql.SQL("drop policy {} on {};").format(sql.Identifier(policy.name), policy.table.identifier))
        else:
            fix = _policy_fix(
                policy, using=_sql(sql.SQL("(select auth.uid()) = {}").format(sql.Identifier(owner))), check=None
            )
        yield Hit(
            str(policy),
            f"{policy} allows {policy.command} of every row (using (true)) to {', '.join(policy.roles)}",
            "any signed-in (or anonymous) user can change or delete rows of other users; restrict the "
            "policy to the rows the user owns",
            fix,
        )


def _unindexed_owner_columns(catalog: LintCatalog) -> Iterable[Hit]:
    indexed = {(column.table, column.column): column.leads_an_index for column in catalog.uuid_columns}
    owners: dict[tuple[TableName, str], str] = {}
    for policy in catalog.policies:
        # Only API-facing tables: PostgREST requests filter them by the policy on every call.
        if policy.table.schema not in catalog.exposed_schemas or policy.table in catalog.synced_tables:
            continue
        for column in policy_text.owner_columns(policy.using) | policy_text.owner_columns(policy.check):
            if (policy.table, column) in indexed:
                owners.setdefault((policy.table, column), f"compared with auth.uid() by {policy}")
    for (table, column), reason in sorted(owners.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        if indexed[(table, column)]:
            continue
        yield Hit(
            f"{table}.{display_identifier(column)}",
            f"column {column} of {table} ({reason}) starts no index",
            "row level security adds this column to every query's filter; without an index whose first "
            "column it is, each request scans the whole table",
            render_owner_index(table, owner_column=column).sql_text(),
        )


def _function_identifier(function: SchemaFunction) -> sql.Composable:
    # The argument list is PostgreSQL's own rendering (pg_get_function_identity_arguments).
    return sql.SQL("{}({})").format(
        sql.Identifier(function.schema, function.name), sql.SQL(function.arguments)  # type: ignore[arg-type]
    )


def _mutable_search_path(catalog: LintCatalog) -> Iterable[Hit]:
    for function in catalog.functions:
        if function.fixed_search_path or function.language in {"c", "internal"}:
            continue
        yield Hit(
            str(function),
            f"{function} has no fixed search_path",
            "its unqualified names resolve through the caller's search_path, so a caller who can create "
            "objects earlier on that path changes what it does; set an empty search_path and qualify "
            "names (or list the schemas it needs)",
            _sql(sql.SQL("alter function {} set search_path = '';").format(_function_identifier(function))),
            level="error" if function.security_definer else None,
        )


def _security_definer_exposed(catalog: LintCatalog) -> Iterable[Hit]:
    for function in catalog.functions:
        roles = list(function.api_roles_with_execute)
        if not function.security_definer or function.is_trigger or not roles:
            continue
        if (function.schema, function.name) in catalog.key_phase_functions:
            continue  # definer on purpose, see sync_objects.KEY_PHASE_FUNCTION
        if f"{function.schema}.{function.name}" in RLS_HELPER_FUNCTIONS and PACK_SCHEMA not in catalog.exposed_schemas:
            continue
        yield Hit(
            str(function),
            f"security definer {function} is executable by {', '.join(roles)}",
            "it runs with its owner's rights (bypassing row level security) for any caller of the Data "
            "API; make it security invoker, or revoke execute and grant it only to the roles that need it",
            _sql(
                sql.SQL("revoke execute on function {} from public, {};").format(
                    _function_identifier(function), sql.SQL(", ").join(sql.Identifier(role) for role in roles)
                )
            ),
        )


def _missing_primary_keys(catalog: LintCatalog) -> Iterable[Hit]:
    for table in catalog.tables:
        if table.has_primary_key or table.table in catalog.synced_tables:
            continue
        if str(table.table) in PACK_TABLES_WITHOUT_PRIMARY_KEY:
            continue
        if table.table.schema not in [*catalog.exposed_schemas, PACK_SCHEMA]:
            continue
        identifier = table.table.identifier
        if table.has_id_column:
            fix = sql.SQL("alter table {} add primary key ({});").format(identifier, sql.Identifier("id"))
        else:
            fix = sql.SQL("alter table {} add column {} uuid primary key default gen_random_uuid();").format(
                identifier, sql.Identifier("id")
            )
        yield Hit(
            str(table.table),
            f"table {table.table} has no primary key",
            "rows without a key cannot be updated through the Data API by id, cannot be synced or "
            "replicated (Realtime and logical replication need a replica identity)",
            _sql(fix),
        )


def _rls_without_policies(catalog: LintCatalog) -> Iterable[Hit]:
    for table in catalog.tables:
        if table.table in catalog.synced_tables or table.table.schema not in catalog.exposed_schemas:
            continue
        if not table.rls_enabled or table.policy_count:
            continue
        yield Hit(
            str(table.table),
            f"table {table.table} has row level security on but no policy",
            "anon and authenticated see no rows and cannot write any; fine for a server-only table, "
            "otherwise add policies",
            _sql(
                sql.SQL("create policy {} on {} for select to authenticated using (true);").format(
                    sql.Identifier("authenticated can read"), table.table.identifier
                )
            ),
        )


# --- contract rules -------------------------------------------------------------------------


def _contract_hit(check: TableCheck, verdicts: list[Verdict], why: str) -> Hit:
    problems = []
    for verdict in verdicts:
        text = verdict.problem
        if verdict.manual and not verdict.manual_sql:
            text += f" ({verdict.manual})"
        problems.append(text)
    # The push order is recomputed once, however many requirements need it.
    fixes = dict.fromkeys(statement.sql_text() for verdict in verdicts for statement in verdict.fix_statements())
    return Hit(
        str(check.table),
        "; ".join(problems),
        why,
        "\n".join(fixes) or None,
        requirements=tuple(verdict.key for verdict in verdicts),
    )


def _contract_rule(families: tuple[str, ...], why: str) -> Check:
    def check(catalog: LintCatalog) -> Iterable[Hit]:
        for table_check in (*catalog.synced, *catalog.half_enabled):
            unmet = [verdict for verdict in table_check.unmet if verdict.family in families]
            if unmet:
                yield _contract_hit(table_check, unmet, why)

    return check


def _cross_owner_foreign_keys(catalog: LintCatalog) -> Iterable[Hit]:
    for foreign_key in cross_owner_foreign_keys(catalog.synced):
        yield Hit(
            str(foreign_key.table),
            foreign_key.problem,
            "a plain insert through the Data API may reference another user's row: it tells whether that id"
            " exists, and the other user's delete then fails (restrict) or deletes this row too (cascade);"
            " sync_push refuses it, but PostgREST does not. Put the owner column in the key",
            foreign_key.fix_sql(),
        )


def _cross_owner_unique_keys(catalog: LintCatalog) -> Iterable[Hit]:
    for unique_key in cross_owner_unique_keys(catalog.synced):
        yield Hit(
            str(unique_key.table),
            unique_key.problem,
            "uniqueness is checked against every user's rows, whatever row level security shows the writer: a user"
            " learns whether anyone holds a value (an e-mail address, a slug) from the 23505 a push or insert"
            " answers, and can take a value away from everyone else. Make the owner column (a scoped table's scope"
            " column) the key's first column; run the fix statement by statement (the index is built concurrently)",
            unique_key.fix_sql(),
        )


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "SS001",
            "error",
            "exposed table without row level security",
            _exposed_tables_without_rls,
            "table in an exposed schema with row level security off (and no policy)",
            "`alter table ... enable row level security`",
            splinter=("0013_rls_disabled_in_public",),
        ),
        Rule(
            "SS002",
            "error",
            "policies present but row level security is off",
            _policies_without_rls,
            "table with policies but row level security off: the policies are ignored",
            "`alter table ... enable row level security`",
            splinter=("0007_policy_exists_rls_disabled",),
        ),
        Rule(
            "SS003",
            "warning",
            "policy evaluates a request function once per row",
            _per_row_request_calls,
            "policy calls `auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()` or `current_setting()` outside"
            " `(select ...)`, so it is evaluated for every row",
            "`alter policy ...` with the calls wrapped",
            splinter=("0003_auth_rls_initplan",),
        ),
        Rule(
            "SS004",
            "error",
            "permissive using (true) policy for update, delete or all",
            _always_true_write_policies,
            "permissive `using (true)` policy for update, delete or all, to public/anon/authenticated",
            "`alter policy ... using ((select auth.uid()) = owner)` (or `drop policy` when no owner column is known)",
            splinter=("0024_rls_policy_always_true",),
        ),
        Rule(
            "SS005",
            "warning",
            "owner column without an index",
            _unindexed_owner_columns,
            "owner column (compared with `auth.uid()` by a policy of an exposed table) that starts no index",
            "`create index if not exists ...`",
        ),
        Rule(
            "SS006",
            "warning",
            "function without a fixed search_path",
            _mutable_search_path,
            "function of an exposed schema or `supabase_sync` without a fixed `search_path`",
            "`alter function ... set search_path = ''`",
            splinter=("0011_function_search_path_mutable",),
            level_note="error if SECURITY DEFINER",
        ),
        Rule(
            "SS007",
            "warning",
            "security definer function executable by API roles",
            _security_definer_exposed,
            "SECURITY DEFINER function (not a trigger function) that anon or authenticated may execute",
            "`revoke execute on function ... from public, anon, authenticated`",
            splinter=(
                "0028_anon_security_definer_function_executable",
                "0029_authenticated_security_definer_function_executable",
            ),
        ),
        Rule(
            "SS008",
            "error",
            "synced table lacks sync columns or a valid owner column",
            _contract_rule(
                ("columns", "owner_column"),
                "the stamp trigger, sync_pull and sync_push read and write these columns, and every policy compares"
                " the owner column with auth.uid(); writes fail or rows never sync until they are right"
                " (supabase-sync enable --add-missing-columns adds missing sync columns)",
            ),
            "synced table (in `supabase_sync.synced_table`) missing sync columns, with one of the wrong type, or"
            " whose owner column is missing, not uuid or nullable",
            "`alter table ... add column if not exists ...` (`alter column ... set not null` for the owner)",
            families=("columns", "owner_column"),
        ),
        Rule(
            "SS009",
            "error",
            "synced table lacks sync triggers",
            _contract_rule(
                ("triggers",),
                "without the stamp trigger writes get no server version and clients never pull them; without "
                "the tombstone and truncate triggers clients keep rows that were deleted",
            ),
            "synced table whose `supabase_sync_stamp`/`_tombstone`/`_truncate` trigger is missing, disabled, or"
            " calls another function or fires on other events",
            "the `create or replace trigger` statements",
            families=("triggers",),
        ),
        Rule(
            "SS010",
            "error",
            "synced table lacks owner policies",
            _contract_rule(
                ("policies",),
                "the sync functions are security invoker: with row level security on and no owner policy for a "
                "command, pulls return nothing or pushes fail with 42501; a policy open to every row lets every "
                "user read or change everyone's rows",
            ),
            "synced table without a permissive owner policy for authenticated per command (select, insert,"
            " update, delete: counted by what the policy does, not by its name), or with a policy whose"
            " `using`/`with check` is `true`",
            "the owner policies (a wrong `supabase_sync: owner can ...` policy is dropped first); `drop policy` for"
            " an open one",
            families=("policies",),
        ),
        Rule(
            "SS011",
            "error",
            "synced table not (or wrongly) registered",
            _contract_rule(
                ("registry",),
                "sync_pull and sync_push only serve registered tables in their push order, by their single id "
                "column: a half-enabled table's triggers record versions and tombstones clients never see "
                "(supabase-sync enable registers it)",
            ),
            "table with supabase_sync triggers but no registry row; synced table without a single uuid or text"
            " primary key, or ranked before a synced table it references",
            "the registry `insert` and `refresh_dependency_ranks()`",
            families=("registry",),
        ),
        Rule(
            "SS012",
            "warning",
            "table without a primary key",
            _missing_primary_keys,
            "table of an exposed schema or `supabase_sync` without a primary key",
            "`alter table ... add primary key (id)`",
            splinter=("0004_no_primary_key",),
        ),
        Rule(
            "SS013",
            "info",
            "row level security on but no policy",
            _rls_without_policies,
            "exposed table with row level security on but no policy: the API sees nothing",
            "an example read policy",
            splinter=("0008_rls_enabled_no_policy",),
        ),
        Rule(
            "SS014",
            "error",
            "synced table with row level security off",
            _contract_rule(
                ("rls_enabled",),
                "the owner policies only apply with row level security on: without it every role with a grant "
                "reads and writes every user's rows",
            ),
            "synced table with row level security off",
            "`alter table ... enable row level security`",
            families=("rls_enabled",),
        ),
        Rule(
            "SS015",
            "error",
            "synced table without its (owner, server_version, bucket) index",
            _contract_rule(
                ("owner_index",),
                "every incremental pull filters by the owner column and the server version; without a valid index"
                " leading with both, each pull scans the whole table",
            ),
            "synced table without a valid, non-partial index on (owner column, `server_version`, bucket of the id)",
            "`create index if not exists ... (owner, server_version, (hashtextextended(id::text, 0) & 32767))`",
            families=("owner_index",),
        ),
        Rule(
            "SS016",
            "error",
            "synced table not in the supabase_realtime publication",
            _contract_rule(
                ("publication",),
                "Supabase Realtime only streams tables of its publication: subscribers miss this table's changes",
            ),
            "synced table missing from `supabase_realtime` (when that publication exists)",
            "`alter publication supabase_realtime add table ...` (guarded)",
            families=("publication",),
        ),
        Rule(
            "SS017",
            "error",
            "API roles may truncate a synced table",
            _contract_rule(
                ("grants",),
                "TRUNCATE bypasses row level security: a user holding it through PostgREST-reachable SQL empties the"
                " table for every user, and every client must resync",
            ),
            "synced table on which anon or authenticated hold TRUNCATE (Supabase's default privileges grant it)",
            "`revoke truncate on table ... from anon, authenticated`",
            families=("grants",),
        ),
        Rule(
            "SS018",
            "warning",
            "foreign key between synced tables can cross owners",
            _cross_owner_foreign_keys,
            "foreign key of a synced table to a synced table without the owner column: a user can reference"
            " another user's row through the Data API",
            "a composite key `(owner, parent_id)` to a unique `(owner, id)` of the parent",
        ),
        Rule(
            "SS019",
            "warning",
            "unique key of a synced table compares every user's rows",
            _cross_owner_unique_keys,
            "unique constraint or unique index of a synced table, other than the primary key, without the owner"
            " column (a scoped table's scope column) or the id among its keys: a write answers 23505 when another"
            " user holds the value",
            "`create unique index concurrently ... (owner, ...)`, then `alter table ... add constraint ... unique using"
            " index ...` (or the old index dropped concurrently), under `lock_timeout`",
        ),
    )
}


def run_rules(catalog: LintCatalog, *, codes: Iterable[str] | None = None) -> list[Finding]:
    """Run every semantic lint (or those whose code is in ``codes``) over ``catalog``."""
    wanted = set(codes) if codes is not None else None
    findings: list[Finding] = []
    for rule in RULES.values():
        if wanted is not None and rule.code not in wanted:
            continue
        for hit in rule.check(catalog):
            findings.append(
                Finding(
                    level=hit.level or rule.level,
                    code=rule.code,
                    message=hit.message,
                    source="semantic",
                    object=hit.object,
                    why=hit.why,
                    fix=hit.fix,
                    requirements=hit.requirements,
                )
            )
    return findings
