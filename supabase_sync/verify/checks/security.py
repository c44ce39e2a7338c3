"""Security: what anonymous callers can reach, and how functions are defined.

``anon`` can neither read synced tables nor call the sync RPCs; functions in
the exposed schemas and in supabase_sync have a fixed search_path; no SECURITY
DEFINER function can be called by anon or authenticated, except the pull's key
phase (``supabase_sync.pull_keys`` and the tables' compiled ones, see
:data:`~supabase_sync.sync_objects.KEY_PHASE_FUNCTION`).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from supabase_sync import rpc
from supabase_sync.catalog import fetch_rows
from supabase_sync.compiled import key_phase_functions
from supabase_sync.rpc import RpcError
from supabase_sync.sync_objects import RLS_HELPER_FUNCTIONS
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, check
from supabase_sync.verify.context import VerifyContext

#: The RPCs clients call: (name, arguments an anonymous probe sends, required to exist).
SYNC_RPCS = (
    ("sync_pull", {}, True),
    ("sync_push", {"changes": {}}, True),
    ("pull_changes", {"collections": [], "last_pulled_at": None}, False),
    ("push_changes", {"_changes": {}, "last_pulled_at": None}, False),
)


def _checked_schemas(ctx: VerifyContext) -> list[str]:
    schemas = {"public", "supabase_sync", *(table.schema_name for table in ctx.tables)}
    return sorted(schemas)


@check("security.search_path", scope="database")
def search_path(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """Every function in public, supabase_sync and the synced tables' schemas has a fixed search_path."""
    functions = fetch_rows(ctx.conn(superuser=True), "verify_functions", {"schemas": _checked_schemas(ctx)})
    mutable = [function["signature"] for function in functions if not function["fixed_search_path"]]
    if mutable:
        raise CheckFailure(
            f"{len(mutable)} function(s) run with the caller's search_path (a caller can shadow the objects"
            f" they use): {', '.join(mutable)}",
            fix="; ".join(f"alter function {signature} set search_path = ''" for signature in mutable)
            + "; (then schema-qualify what they reference)",
        )


@check("security.definer_functions", scope="database")
def definer_functions(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """No SECURITY DEFINER function there is executable by anon or authenticated (trigger functions aside: they
    cannot be called)."""
    functions = fetch_rows(ctx.conn(superuser=True), "verify_functions", {"schemas": _checked_schemas(ctx)})
    by_design = key_phase_functions(ctx.conn(superuser=True))
    exposed = [
        function
        for function in functions
        if function["security_definer"]
        and not function["is_trigger"]
        # The policies' helpers: executable by the API roles by design, not callable through PostgREST.
        and function["signature"].split("(", 1)[0] not in RLS_HELPER_FUNCTIONS
        and (function["anon_can_execute"] or function["authenticated_can_execute"])
        and (function["schema_name"], function["function_name"]) not in by_design
    ]
    if exposed:
        names = ", ".join(function["signature"] for function in exposed)
        raise CheckFailure(
            f"SECURITY DEFINER function(s) callable by API users, bypassing row level security: {names}",
            fix="; ".join(
                f"revoke execute on function {function['signature']} from public, anon, authenticated"
                for function in exposed
            ),
        )


def _anon_probe(ctx: VerifyContext, name: str, args: dict[str, Any]) -> str | None:
    """Call ``name`` as anon; return what went wrong for the check, or None when refused."""
    try:
        rpc_result = rpc.call(ctx.conn(), name, args, role="anon")
    except RpcError as error:
        if error.sqlstate == "42501":
            return None
        if error.sqlstate == "PGRST202":
            return "missing"
        return None if error.status in (401, 403) else f"answered HTTP {error.status} ({error.sqlstate}), not 401"
    return f"answered anon with {str(rpc_result)[:80]}"


@check("security.anon_rpc", scope="database")
def anon_rpc(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """anon cannot execute sync_pull, sync_push, pull_changes, push_changes (grant and actual call);
    authenticated can."""
    signatures = {
        row["signature"]: row
        for row in fetch_rows(ctx.conn(superuser=True), "verify_functions", {"schemas": ["public"]})
    }
    problems: list[str] = []
    fixes: list[str] = []
    for name, args, required in SYNC_RPCS:
        granted = [
            signature
            for signature, row in signatures.items()
            if signature.startswith(f"{name}(") and row["anon_can_execute"]
        ]
        for signature in granted:
            problems.append(f"anon has EXECUTE on public.{signature}")
            fixes.append(f"revoke execute on function public.{signature} from public, anon;")
        outcome = _anon_probe(ctx, name, args)
        if outcome == "missing":
            if required:
                problems.append(f"public.{name} does not exist")
                fixes.append("supabase-sync install, then apply the migration")
            continue
        if outcome is not None and not granted:
            problems.append(f"calling public.{name} as anon {outcome}")
            fixes.append(f"revoke execute on function public.{name} from public, anon;")
        callable_by_users = [
            signature
            for signature, row in signatures.items()
            if signature.startswith(f"{name}(") and row["authenticated_can_execute"]
        ]
        if outcome != "missing" and not callable_by_users:
            problems.append(f"authenticated cannot execute public.{name}")
            fixes.append(f"grant execute on function public.{name} to authenticated;")
    if problems:
        raise CheckFailure("; ".join(problems), fix=" ".join(dict.fromkeys(fixes)))


@check("security.anon_table")
def anon_table(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """anon reads no row of the table and cannot insert one."""
    assert table is not None
    owner = ctx.new_user("owner")
    ctx.insert_as(owner, table.shape, ctx.synthetic.new_row(table, owner))
    select = sql.SQL("select count(*) from {table}").format(table=table.identifier)
    try:
        with ctx.as_user(None, role="anon") as cur:
            visible = cur.execute(select).fetchone()[0]  # type: ignore[index]
    except RpcError:
        visible = 0  # permission denied is what we want
    if visible:
        raise CheckFailure(
            f"anon (no login) reads {visible} row(s) of {table.collection}",
            fix=f"revoke select on {table.collection} from anon; and keep the owner policies `to authenticated`",
        )
    try:
        ctx.insert_as(None, table.shape, ctx.synthetic.new_row(table, owner))
    except RpcError:
        return
    raise CheckFailure(
        f"anon (no login) inserted a row into {table.collection} owned by another user",
        fix=f"revoke insert on {table.collection} from anon; and keep the owner policies `to authenticated`",
    )
