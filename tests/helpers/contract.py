"""What status, lint and verify each say about one table: the contract keys they report unmet."""

from __future__ import annotations

from pathlib import Path

import psycopg

from supabase_sync import api
from supabase_sync.verify.catalog import load_synced_tables
from supabase_sync.verify.checks import all_checks
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.runner import run_check


def status_keys(dsn: str, table: str) -> set[str]:
    """The keys of ``table``'s gaps in ``supabase-sync status`` (its checks agree with them)."""
    (found,) = [entry for entry in api.status(dsn).tables if entry.table == table]
    assert all(gap.key for gap in found.gaps)
    # (the `compiled` check is a note, not a gap: stale compiled functions cost speed, not correctness)
    assert {key for key, met in found.checks.items() if not met and key != "compiled"} == {gap.key for gap in found.gaps}
    return {gap.key for gap in found.gaps if gap.key}


def lint_keys(dsn: str, table: str, empty: Path) -> set[str]:
    """The contract keys of the semantic findings on ``table`` (``empty``: a folder with no SQL to lint)."""
    report = api.lint([empty], db_url=dsn, style_checks=False)
    findings = [finding for finding in report.findings if finding.object == table and finding.requirements]
    return {key for finding in findings for key in finding.requirements}


def verify_keys(owner_dsn: str, superuser_dsn: str, table: str) -> set[str]:
    """The contract keys verify's structure checks find unmet on ``table`` (run on this database)."""
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        tables = load_synced_tables(conn)
    ctx = VerifyContext(owner_dsn=owner_dsn, superuser_dsn=superuser_dsn, tables=tables)
    (synced,) = [entry for entry in tables if entry.collection == table]
    keys: set[str] = set()
    try:
        for check in all_checks():
            if check.name.startswith("structure.") and check.name != "structure.policy_initplan":
                result = run_check(ctx, check, synced)
                assert result.outcome in ("pass", "fail", "skip"), result
                assert (result.outcome == "fail") == bool(result.requirements), result
                keys.update(result.requirements)
    finally:
        ctx.close()
    return keys


def compiles(statement: str) -> bool:
    """Whether a planned statement (re)creates or records a compiled function (supabase_sync.compiled).

    Enable compiles a table's functions again after any change of the table: not a gap of its own.
    """
    return statement.lstrip().startswith(
        ('create or replace function "supabase_sync"."pull_', "select supabase_sync.record_compiled_function(")
    )
