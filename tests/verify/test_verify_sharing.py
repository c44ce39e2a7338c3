"""verify's sharing checks act as owners, members and outsiders of the example's shared project.

Each breakage a check exists for is made on a copy of the example (one
migration's worth of SQL) and the check must name it; on the example as
shipped the checks pass.
"""

from __future__ import annotations

from supabase_sync.verify.catalog import load_synced_tables
from supabase_sync.verify.checks import all_checks
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.report import CheckResult
from supabase_sync.verify.runner import run_check

SHARED = ("public.project", "public.project_member", "public.task", "public.doc_updates")
SCOPED = ("public.task", "public.doc_updates")


def _run(database, checks: set[str], breakage: str | None = None) -> dict[tuple[str, str], CheckResult]:  # type: ignore[no-untyped-def]
    """Run ``checks`` on every synced table of ``database`` (after the owner ran ``breakage``)."""
    if breakage is not None:
        with database.connect() as conn:
            conn.execute(breakage)
    with database.connect(superuser=True) as conn:
        tables = load_synced_tables(conn)
    ctx = VerifyContext(owner_dsn=database.owner_dsn, superuser_dsn=database.superuser_dsn, tables=tables)
    try:
        return {
            (item.name, table.collection): run_check(ctx, item, table)
            for item in all_checks()
            if item.name in checks
            for table in tables
        }
    finally:
        ctx.close()


def _outcomes(results: dict[tuple[str, str], CheckResult]) -> dict[tuple[str, str], str]:
    return {key: result.outcome for key, result in results.items()}


def test_a_viewer_and_an_outsider_are_refused_on_every_scoped_table_of_the_example(example_db) -> None:  # type: ignore[no-untyped-def]
    results = _run(example_db, {"sharing.viewer_write", "sharing.non_member"})
    expected = {
        (check, table): "pass" if table in SCOPED else "skip"
        for check in ("sharing.viewer_write", "sharing.non_member")
        for table in SHARED
    }
    assert _outcomes(results) == expected, [result.message for result in results.values()]


def test_grants_revokes_and_moves_reach_the_members_pulls_on_the_example(example_db) -> None:  # type: ignore[no-untyped-def]
    results = _run(example_db, {"sharing.grant", "sharing.revoke", "sharing.revoke_pushed", "sharing.move"})
    expected = {
        (check, table): "pass"
        for check in ("sharing.grant", "sharing.revoke", "sharing.revoke_pushed")
        for table in SHARED
    }
    expected.update({("sharing.move", table): "pass" for table in SCOPED})
    expected.update({("sharing.move", table): "skip" for table in SHARED if table not in SCOPED})
    assert _outcomes(results) == expected, [result.message for result in results.values()]


def test_non_member_fails_when_a_policy_shows_every_task(example_db) -> None:  # type: ignore[no-untyped-def]
    results = _run(
        example_db,
        {"sharing.non_member"},
        "create policy everyone_reads on public.task for select to authenticated using (true)",
    )
    failed = results[("sharing.non_member", "public.task")]
    assert failed.outcome == "fail" and "a user outside its scope reads row" in failed.message, failed
    assert failed.fix is not None and "--scope-column" in failed.fix
    assert results[("sharing.non_member", "public.doc_updates")].outcome == "pass"


def test_viewer_write_fails_when_viewers_may_update_tasks(example_db) -> None:  # type: ignore[no-untyped-def]
    viewers_update = (
        "create policy viewers_update on public.task for update to authenticated"
        " using (project_id = any((select supabase_sync.visible_scopes('public.project'::regclass, 'viewer'))::uuid[]))"
    )
    results = _run(example_db, {"sharing.viewer_write"}, viewers_update)
    failed = results[("sharing.viewer_write", "public.task")]
    assert failed.outcome == "fail" and "a viewer updated row" in failed.message, failed
    assert results[("sharing.viewer_write", "public.doc_updates")].outcome == "pass"


def test_viewer_write_fails_when_viewers_cannot_read_their_scope(example_db) -> None:  # type: ignore[no-untyped-def]
    # The select policy narrowed to editors: a viewer's plain select and pull both lose the scope's tasks.
    narrowed = """
        drop policy "supabase_sync: scope members can select" on public.task;
        create policy editors_select on public.task for select to authenticated
        using (project_id = any((select supabase_sync.visible_scopes('public.project'::regclass, 'editor'))::uuid[]));
    """
    results = _run(example_db, {"sharing.viewer_write"}, narrowed)
    failed = results[("sharing.viewer_write", "public.task")]
    assert failed.outcome == "fail" and "a viewer of its scope cannot read row" in failed.message, failed


def test_grant_fails_when_the_membership_table_records_no_access_events(example_db) -> None:  # type: ignore[no-untyped-def]
    results = _run(example_db, {"sharing.grant"}, "drop trigger supabase_sync_membership on public.project_member")
    failed = results[("sharing.grant", "public.task")]
    assert failed.outcome == "fail", failed
    assert "as nothing, not once as created" in failed.message and "supabase-sync install" in (failed.fix or "")


def test_revoke_pushed_fails_when_a_policy_forgets_soft_deleted_memberships(example_db) -> None:  # type: ignore[no-untyped-def]
    # A hand-written policy that reads the membership table without its deleted_at: a member removed the way
    # clients delete (sync_push, a soft delete) keeps reading the project's tasks; a hard delete revokes.
    forgetful = """
        create function public.member_of(project uuid) returns boolean
        language sql stable security definer set search_path = ''
        as $$
            select exists (select from public.project_member as m where m.project_id = project and m.user_id = auth.uid())
        $$;
        create policy removed_members_read on public.task for select to authenticated
        using (public.member_of(project_id));
    """
    results = _run(example_db, {"sharing.revoke", "sharing.revoke_pushed"}, forgetful)
    failed = results[("sharing.revoke_pushed", "public.task")]
    assert failed.outcome == "fail" and "still reads row" in failed.message and "sync_push" in failed.message, failed
    assert results[("sharing.revoke", "public.task")].outcome == "pass"
