"""Projects broken in exactly one way fail verify with the right check named, exit 2.

Each runs against the session's sandbox server through the ``url`` backend
(one throwaway database per run), which also covers that backend.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from supabase_sync.api import verify
from supabase_sync.cli import main
from supabase_sync.migrations import apply_migrations
from supabase_sync.sandbox import Sandbox
from helpers.projects import build_project

#: fixture case -> (check that must fail on public.task or database-wide, words its fix must contain)
EXPECTED = {
    "rls_disabled": ("structure.rls_enabled", "enable row level security"),
    "policy_using_true": ("structure.policies", "drop policy"),
    "missing_delete_policy": ("structure.policies", 'create policy "supabase_sync: scope members can delete"'),
    "owner_nullable": ("structure.owner_column", "set not null"),
    "trigger_dropped": ("structure.triggers", "create or replace trigger supabase_sync_stamp"),
    "anon_executes_sync_pull": ("security.anon_rpc", "revoke execute on function public.sync_pull"),
}

#: Behavioural checks that must catch the same breakage when acting as users.
ALSO_FAILING = {
    "rls_disabled": {"isolation.select", "isolation.dml", "security.anon_table"},
    "policy_using_true": {"isolation.select"},
    "trigger_dropped": {"server_columns.forge", "roundtrip.two_devices"},
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_project_fails_the_right_check(case: str, tmp_path: Path, sandbox: Sandbox) -> None:
    project = build_project(tmp_path, case)
    report = verify(project, backend="url", sandbox_url=sandbox.superuser_dsn)
    assert not report.passed
    failed = {(result.check, result.table) for result in report.failures}
    check, fix_words = EXPECTED[case]
    table = None if check.startswith("security.anon_rpc") else "public.task"
    assert (check, table) in failed, report.to_text()
    failure = next(result for result in report.failures if (result.check, result.table) == (check, table))
    assert failure.fix is not None and fix_words in failure.fix, failure
    # Exactly one thing is broken: the other tables pass everything.
    assert all(result.table in ("public.task", None) for result in report.failures), report.to_text()
    behavioural = {name for name, where in failed if where == "public.task"}
    assert ALSO_FAILING.get(case, set()) <= behavioural, report.to_text()


def test_cli_exits_2_naming_the_failed_check(
    tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    project = build_project(tmp_path, "rls_disabled")
    with pytest.raises(SystemExit) as exited:
        main(["verify", str(project), "--backend", "url", "--db-url", sandbox.superuser_dsn])
    captured = capsys.readouterr()
    assert exited.value.code == 2
    assert "FAIL" in captured.out
    assert "structure.rls_enabled (public.task)" in captured.err
    assert 'fix: alter table "public"."task" enable row level security;' in captured.out


def test_verify_in_the_current_project_folder_passes(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(build_project(tmp_path))
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--db-url", sandbox.superuser_dsn])
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.out + captured.err
    assert "0 failed, 0 errors" in captured.out


def test_a_failing_migration_stops_verify_with_exit_1_naming_the_file(
    tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    project = build_project(tmp_path)
    broken = project / "supabase" / "migrations" / "29990101000000_typo.sql"
    broken.write_text("alter table public.no_such_table enable row level security;\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["verify", str(project), "--backend", "url", "--db-url", sandbox.superuser_dsn])
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert "29990101000000_typo.sql" in err and "no_such_table" in err
    assert "Traceback" not in err


def test_a_table_switched_to_lww_passes_the_lww_conflict_check(tmp_path: Path, sandbox: Sandbox) -> None:
    # lww_strategy is not broken: its migration (written by `supabase-sync enable public.task
    # --scope-column project_id --conflict-strategy lww`) switches public.task to last-writer-wins.
    project = build_project(tmp_path, "lww_strategy")
    name = f"lww_fixture_{uuid.uuid4().hex[:8]}"
    try:
        apply_migrations(sandbox.create_database(name), project / "supabase" / "migrations")
        with sandbox.connect(name, superuser=True) as conn:
            strategies = dict(
                conn.execute("select collection, conflict_strategy from supabase_sync.synced_collection").fetchall()
            )
    finally:
        sandbox.drop_database(name)
    assert strategies == {
        "public.project": "reject",
        "public.project_member": "reject",
        "public.task": "lww",
        "public.doc_updates": "reject",
    }

    report = verify(project, backend="url", sandbox_url=sandbox.superuser_dsn)
    assert report.passed, report.to_text()
    outcomes = {(result.check, result.table): result.outcome for result in report.results}
    assert outcomes[("conflicts.strategy", "public.task")] == "pass"


def test_a_policy_granted_to_public_counts_for_authenticated_users(tmp_path: Path, sandbox: Sandbox) -> None:
    # PUBLIC is role oid 0 in pg_policy.polroles (PostgreSQL keeps it alone when listed with others).
    project = build_project(tmp_path, "missing_delete_policy")
    (project / "supabase" / "migrations" / "29990102000000_delete_policy_to_public.sql").write_text(
        'create policy "members delete" on public.task for delete to public using (project_id = any('
        "(select supabase_sync.visible_scopes('public.project'::regclass, 'editor'))::uuid[]));\n",
        encoding="utf-8",
    )
    report = verify(project, backend="url", sandbox_url=sandbox.superuser_dsn)
    outcomes = {(result.check, result.table): result.outcome for result in report.results}
    assert outcomes[("structure.policies", "public.task")] == "pass", report.to_text()
