"""gen-tests writes pgTAP isolation tests that pass on the example and fail on a broken project."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from supabase_sync.api import gen_tests
from supabase_sync.cli import main
from supabase_sync.gen_tests import ISOLATION_TEST_FILE
from supabase_sync.migrations import apply_migrations
from supabase_sync.sandbox import Sandbox
from helpers.projects import FIXTURES, build_project


def _pg_prove(sandbox: Sandbox, project: Path, test_file: Path) -> subprocess.CompletedProcess[str]:
    """Apply ``project``'s migrations to a new database and run ``test_file`` there with pg_prove."""
    if shutil.which("pg_prove") is None:
        pytest.skip("pg_prove is not installed (apt-get install libtap-parser-sourcehandler-pgtap-perl)")
    with psycopg.connect(sandbox.superuser_dsn, autocommit=True) as conn:
        available = conn.execute("select 1 from pg_available_extensions where name = 'pgtap'").fetchone()
    if not available:
        pytest.skip(
            f"the pgTAP extension is not available to the {sandbox.backend} sandbox's PostgreSQL"
            " (apt-get install postgresql-15-pgtap; the embedded backend has none)"
        )
    name = f"gen_tests_{uuid.uuid4().hex[:8]}"
    dsn = sandbox.create_database(name)
    try:
        apply_migrations(dsn, project / "supabase" / "migrations")
        with psycopg.connect(sandbox.dsn(name, superuser=True), autocommit=True) as conn:
            # As on Supabase, pgTAP is installed by an administrator; the tests run as the owner.
            conn.execute("create extension if not exists pgtap with schema extensions")
        return subprocess.run(["pg_prove", "-d", dsn, str(test_file)], capture_output=True, text=True, timeout=120)
    finally:
        sandbox.drop_database(name)


def test_generated_tests_pass_with_pg_prove_on_the_example(tmp_path: Path, sandbox: Sandbox) -> None:
    project = build_project(tmp_path)
    result = gen_tests(project, backend="url", sandbox_url=sandbox.superuser_dsn)
    test_file = project / "supabase" / "tests" / ISOLATION_TEST_FILE
    assert result.paths == [test_file]
    assert result.tables == ["public.project", "public.project_member", "public.task", "public.doc_updates"]
    text = test_file.read_text(encoding="utf-8")
    assert f"select plan({result.assertions});" in text
    assert "set local role authenticated;" in text and "request.jwt.claims" in text
    proved = _pg_prove(sandbox, project, test_file)
    assert proved.returncode == 0, proved.stdout + proved.stderr
    assert f"Tests={result.assertions}" in proved.stdout


def test_generated_tests_fail_when_row_level_security_is_off(tmp_path: Path, sandbox: Sandbox) -> None:
    project = build_project(tmp_path)
    result = gen_tests(project, backend="url", sandbox_url=sandbox.superuser_dsn)
    for migration in (FIXTURES / "rls_disabled" / "supabase" / "migrations").glob("*.sql"):
        shutil.copy(migration, project / "supabase" / "migrations" / migration.name)
    proved = _pg_prove(sandbox, project, result.paths[0])
    assert proved.returncode != 0
    assert "user B cannot select A's public.task row" in proved.stdout + proved.stderr


def test_cli_gen_tests_reports_what_it_wrote(
    tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    project = build_project(tmp_path)
    output = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        main(
            ["gen-tests", str(project), "--backend", "url", "--db-url", sandbox.superuser_dsn, "--output", str(output)]
        )
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.err
    assert f"wrote {output / ISOLATION_TEST_FILE}" in captured.out
    assert (output / ISOLATION_TEST_FILE).is_file()


def test_gen_tests_outside_a_project_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["gen-tests", str(tmp_path)])
    assert exited.value.code == 1
    assert "no supabase/migrations folder" in capsys.readouterr().err


def test_generated_tests_are_byte_identical_on_every_run(tmp_path: Path, sandbox: Sandbox) -> None:
    # The file is committed in users' repositories: running gen-tests again must not make a diff.
    project = build_project(tmp_path)
    first = gen_tests(project, backend="url", sandbox_url=sandbox.superuser_dsn).paths[0].read_bytes()
    second = gen_tests(project, backend="url", sandbox_url=sandbox.superuser_dsn).paths[0].read_bytes()
    assert first == second


def test_generated_tests_cover_the_roles_of_a_shared_project(tmp_path: Path, sandbox: Sandbox) -> None:
    project = build_project(tmp_path)
    text = gen_tests(project, backend="url", sandbox_url=sandbox.superuser_dsn).paths[0].read_text(encoding="utf-8")
    for said in (
        "user B (not a member) cannot insert a public.task row into A''s scope",
        "viewer V sees A''s public.doc_updates row",
        "viewer V cannot update A''s public.task row",
        "sync_push as viewer V cannot update A''s public.doc_updates row",
        "viewer V cannot add members to A''s scope row (public.project_member)",
        "editor E can insert a public.doc_updates row into A''s scope",
        "sync_push as editor E updates A''s public.task row",
        "editor E cannot add members to A''s scope row (public.project_member)",
        "editor E cannot delete A''s public.project row",
        "admin M can add a member (public.project_member)",
        "owner A can remove a member (public.project_member)",
    ):
        assert said in text, said


#: A migration loosening one sharing rule -> an assertion of the generated file that must then fail.
LOOSENED = {
    "viewers_update": (
        "create policy viewers_update on public.task for update to authenticated using (project_id = any("
        "(select supabase_sync.visible_scopes('public.project'::regclass, 'viewer'))::uuid[]));\n",
        "viewer V cannot update A's public.task row",
    ),
    "editors_add_members": (
        "create policy editors_add on public.project_member for insert to authenticated with check (project_id = any("
        "(select supabase_sync.visible_scopes('public.project'::regclass, 'editor'))::uuid[]));\n",
        "editor E cannot add members to A's scope row (public.project_member)",
    ),
    "editors_cannot_write": (
        'drop policy "supabase_sync: scope members can insert" on public.task;\n',
        "editor E can insert a public.task row into A's scope",
    ),
}


@pytest.mark.parametrize("case", sorted(LOOSENED))
def test_generated_tests_fail_when_a_sharing_rule_changes(case: str, tmp_path: Path, sandbox: Sandbox) -> None:
    project = build_project(tmp_path)
    result = gen_tests(project, backend="url", sandbox_url=sandbox.superuser_dsn)
    migration, failing = LOOSENED[case]
    (project / "supabase" / "migrations" / "29990101000000_loosen.sql").write_text(migration, encoding="utf-8")
    proved = _pg_prove(sandbox, project, result.paths[0])
    output = proved.stdout + proved.stderr
    assert proved.returncode != 0, output
    failed = [line for line in output.splitlines() if line.startswith("# Failed test") or "not ok" in line]
    assert any(failing in line for line in failed), output
