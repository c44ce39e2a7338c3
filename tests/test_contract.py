"""enable, status, lint and verify agree about a table: one per-table contract, four readers.

Each case breaks the example's ``public.task`` in one way (or renames something
harmlessly) and asserts that status's gaps, lint's findings and verify's
structure failures name exactly the same contract requirements, and that enable
plans exactly their fix statements (or refuses the table naming what only its
owner can change); running enable then leaves all four clean.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest
from helpers.contract import compiles, lint_keys, status_keys, verify_keys

from supabase_sync import api
from supabase_sync.cli import main
from supabase_sync.contract import (
    FAMILIES,
    REQUIREMENTS,
    DatabaseFacts,
    TableSpec,
    check_registered_tables,
    evaluate,
    requirements,
)
from supabase_sync.errors import TableError
from supabase_sync.lint.rules import RULES
from supabase_sync.names import TableName
from supabase_sync.verify.checks import all_checks

TASK = "public.task"

NOOP_FUNCTION = (
    "create function public.noop() returns trigger language plpgsql set search_path = ''"
    " as $$ begin return new; end $$"
)

_SHARED = "project_id = any((select supabase_sync.visible_scopes('public.project'::regclass, {role}))::uuid[])"

#: case -> (SQL that sets it up on the example database, the requirements it leaves unmet)
CASES: dict[str, tuple[list[str], set[str]]] = {
    "untouched": ([], set()),
    # public.task is scoped by its project: its policies ask supabase_sync.visible_scopes (docs/protocol.md).
    "update policy renamed (same condition)": (
        ['alter policy "supabase_sync: scope members can update" on public.task rename to "members update tasks"'],
        set(),
    ),
    "shared policy of another name replaces a dropped one": (
        [
            'drop policy "supabase_sync: scope members can select" on public.task',
            'create policy "mine" on public.task for select to authenticated using (' + _SHARED.format(role="'viewer'") + ")",
        ],
        set(),
    ),
    "update policy with the contract name but another condition": (
        [
            'drop policy "supabase_sync: scope members can update" on public.task',
            'create policy "supabase_sync: scope members can update" on public.task for update to authenticated'
            " using (true) with check (" + _SHARED.format(role="'editor'") + ")",
        ],
        {"policy.shared_update"},
    ),
    "select policy made restrictive": (
        [
            'drop policy "supabase_sync: scope members can select" on public.task',
            'create policy "supabase_sync: scope members can select" on public.task as restrictive for select'
            " to authenticated using (" + _SHARED.format(role="'viewer'") + ")",
        ],
        {"policy.shared_select"},
    ),
    "delete policy for anon only": (
        [
            'drop policy "supabase_sync: scope members can delete" on public.task',
            'create policy "supabase_sync: scope members can delete" on public.task for delete to anon'
            " using (" + _SHARED.format(role="'editor'") + ")",
        ],
        {"policy.shared_delete"},
    ),
    "an owner policy left on a shared table": (
        [
            'create policy "supabase_sync: owner can select" on public.task for select to authenticated'
            " using ((select auth.uid()) = user_id)",
        ],
        {"policy.no_owner"},
    ),
    "stamp trigger pointed at a no-op function": (
        [
            NOOP_FUNCTION,
            "create or replace trigger supabase_sync_stamp before insert or update on public.task"
            " for each row execute function public.noop()",
        ],
        {"trigger.stamp"},
    ),
    "tombstone trigger dropped": (["drop trigger supabase_sync_tombstone on public.task"], {"trigger.tombstone"}),
    "transfer trigger dropped": (["drop trigger supabase_sync_transfer on public.task"], {"trigger.transfer"}),
    "truncate trigger disabled": (
        ["alter table public.task disable trigger supabase_sync_truncate"],
        {"trigger.truncate"},
    ),
    "row level security off": (["alter table public.task disable row level security"], {"rls.enabled"}),
    "index dropped": (["drop index public.task_sync_position_idx"], {"index.owner_version"}),
    "pull key phase owned by a role bound by the policies": (
        [
            "do $$ begin if not exists (select from pg_roles where rolname = 'sync_key_phase_owner') then"
            " create role sync_key_phase_owner nologin; end if; end $$",
            "grant sync_key_phase_owner to current_user",
            "grant usage, create on schema supabase_sync to sync_key_phase_owner",
            "grant select on all tables in schema public, supabase_sync to sync_key_phase_owner",
            "alter function supabase_sync.pull_keys(regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid,"
            " integer) owner to sync_key_phase_owner",
        ],
        {"rls.key_phase_bypasses"},
    ),
    "out of the publication": (
        ["alter publication supabase_realtime drop table public.task"],
        {"publication.realtime"},
    ),
    "truncate granted to an API role": (["grant truncate on public.task to authenticated"], {"grants.no_truncate"}),
    "sync column dropped": (["alter table public.task drop column deleted_at"], {"column.deleted_at"}),
    "pushed before its parent": (
        ["update supabase_sync.synced_table set dependency_rank = -1 where relid = 'public.task'::regclass"],
        {"registry.push_order"},
    ),
    "an open select policy": (
        ['create policy "anyone reads" on public.task for select to authenticated using (true)'],
        {"policy.no_open"},
    ),
    "nullable owner column": (["alter table public.task alter column user_id drop not null"], {"column.owner_not_null"}),
    "sync column of another type": (
        ["alter table public.task alter column instance_id type text"],
        {"column.instance_id"},
    ),
    "scope move trigger dropped": (["drop trigger supabase_sync_scope_move on public.task"], {"trigger.scope_move"}),
    "scope index dropped": (
        ["drop index public.task_sync_scope_version_idx", "drop index public.task_sync_scope_position_idx"],
        {"index.scope_version", "index.scope_position"},
    ),
    # (scope column, server_version, bucket) also serves the policies' (scope column, server_version) needs.
    "scope position index dropped": (["drop index public.task_sync_scope_position_idx"], {"index.scope_position"}),
    "scope bucket index dropped": (["drop index public.task_sync_scope_bucket_idx"], {"index.scope_bucket"}),
    "version bucket index dropped": (["drop index public.task_sync_version_bucket_idx"], {"index.version_bucket"}),
    "several things at once": (
        [
            "drop trigger supabase_sync_stamp on public.task",
            'drop policy "supabase_sync: scope members can insert" on public.task',
            "alter table public.task disable row level security",
        ],
        {"trigger.stamp", "policy.shared_insert", "rls.enabled"},
    ),
}


def _plan_statements(result: api.PlanResult) -> list[str]:
    """The SQL of each planned statement, without its label line and the lock (nor enable's online wrappers).

    Nor the table's compiled functions, compiled again after any change of the table (not a gap of
    its own: docs/protocol.md "Compiled functions"; tests/protocol/test_compiled.py).
    """
    return [text.strip() for text in result.planned[1:] if not compiles(text)]


@pytest.mark.parametrize("case", list(CASES))
def test_enable_status_lint_and_verify_agree_about_a_table(case: str, example_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup, expected = CASES[case]
    with example_db.connect() as conn:
        for statement in setup:
            conn.execute(statement)
    dsn = example_db.owner_dsn

    assert status_keys(dsn, TASK) == expected, "status"
    assert lint_keys(dsn, TASK, tmp_path) == expected, "lint"
    assert verify_keys(dsn, example_db.superuser_dsn, TASK) == expected, "verify"

    (task,) = [table for table in api.status(dsn).tables if table.table == TASK]
    by_hand = [gap for gap in task.gaps if not gap.fix.startswith("supabase-sync enable")]
    if by_hand:
        with pytest.raises(TableError) as refused:
            api.enable([TASK], db_url=dsn, add_missing_columns=True)
        for gap in by_hand:
            assert gap.problem in str(refused.value)
        return
    add_columns = any("--add-missing-columns" in gap.fix for gap in task.gaps)
    dry = api.enable([TASK], db_url=dsn, add_missing_columns=add_columns, dry_run=True)
    planned = _plan_statements(dry)
    assert len(planned) == len(set(planned))
    assert set(planned) == {statement for gap in task.gaps for statement in gap.statements}, "enable"
    assert dry.changed == bool(expected)

    api.enable([TASK], db_url=dsn, add_missing_columns=add_columns)
    assert status_keys(dsn, TASK) == set()
    assert lint_keys(dsn, TASK, tmp_path) == set()
    assert verify_keys(dsn, example_db.superuser_dsn, TASK) == set()
    assert not api.enable([TASK], db_url=dsn, dry_run=True).changed


def test_every_requirement_has_a_case_above_or_is_met_by_construction() -> None:
    broken = {key for _setup, keys in CASES.values() for key in keys}
    # Met by construction on a registered table: its registry row is what status and verify read the spec from;
    # the primary key and owner column are refused by enable (tests/test_enable.py covers them).
    # The realtime requirements of broadcast/off tables are judged against the mode enable is given
    # (tests/protocol/test_isolation.py::test_realtime_* enables them and checks the result); so is the
    # big-numbers choice (test_a_fix_command_keeps_a_tables_big_numbers_and_realtime_choices below breaks the table
    # around it).
    by_construction = {
        "registry.row",
        "registry.sharing",
        "table.primary_key",
        "column.owner",
        "column.scope",
        "registry.realtime",
        "registry.big_numbers",
        "publication.not_exposed",
        "trigger.broadcast",
    }
    # The cases break public.task, a scoped table of the example: what applies only to membership tables or
    # to tables below a scoped one is checked in tests/protocol/test_sharing.py.
    elsewhere = {
        "column.members",
        "column.inherited_scope",
        "trigger.membership",
        "index.members_scope_user",
        "index.members_user",
    }
    sync_columns = {requirement.key for requirement in requirements("scoped") if requirement.column}
    keys = {requirement.key for requirement in requirements("scoped")}
    assert keys - broken - by_construction - elsewhere - sync_columns == set()
    assert sync_columns & broken


def test_every_family_is_rendered_by_one_lint_rule_and_one_verify_check() -> None:
    families = {requirement.family for kind in REQUIREMENTS.values() for requirement in kind}
    assert families == set(FAMILIES)
    rendered = [family for rule in RULES.values() for family in rule.families]
    assert sorted(rendered) == sorted(families)
    checks = {check.name for check in all_checks()}
    assert {f"structure.{family}" for family in families} <= checks


def test_a_half_enabled_table_is_reported_by_status_and_lint_alike(example_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = example_db.owner_dsn
    with example_db.connect() as conn:
        conn.execute("delete from supabase_sync.synced_table where relid = 'public.task'::regclass")
    (task,) = [table for table in api.status(dsn).tables if table.table == TASK]
    assert not task.registered
    assert {gap.key for gap in task.gaps} == {"registry.row", "registry.sharing"}
    assert lint_keys(dsn, TASK, tmp_path) == {"registry.row", "registry.sharing"}
    api.enable([TASK], db_url=dsn)
    assert api.status(dsn).passed


def test_a_spec_names_what_enable_holds_a_table_to() -> None:
    spec = TableSpec(TableName("public", "task"))
    assert (spec.owner_column, spec.id_column, spec.conflict_strategy, spec.kind) == ("user_id", "id", "reject", "owner")


def test_a_fix_command_keeps_a_tables_big_numbers_and_realtime_choices(example_db, capsys) -> None:  # type: ignore[no-untyped-def]
    # public.task is scoped: its fix command names --scope-column, and enable then rebuilds its spec from the
    # sharing options; the choices must survive that too.
    dsn = example_db.owner_dsn
    api.enable([TASK], db_url=dsn, big_numbers="string", realtime="off")
    with example_db.connect() as conn:
        conn.execute("drop trigger supabase_sync_tombstone on public.task")

    (task,) = [table for table in api.status(dsn).tables if table.table == TASK]
    assert (task.big_numbers, task.realtime) == ("string", "off")
    (gap,) = task.gaps
    assert gap.key == "trigger.tombstone"
    assert "--scope-column project_id" in gap.fix and "--realtime off --big-numbers string" in gap.fix
    with pytest.raises(SystemExit) as done:
        main([*shlex.split(gap.fix)[1:], "--db-url", dsn])
    assert done.value.code == 0, capsys.readouterr().err
    assert api.status(dsn).passed
    with example_db.connect() as conn:
        assert conn.execute(
            "select big_numbers, realtime from supabase_sync.synced_table where relid = 'public.task'::regclass"
        ).fetchone() == ("string", "off")


def test_a_table_enabled_with_another_big_numbers_choice_has_one_unmet_requirement(example_db) -> None:  # type: ignore[no-untyped-def]
    dsn = example_db.owner_dsn
    with example_db.connect() as conn:
        (registered,) = [check for check in check_registered_tables(conn) if check.table.display == "public.project"]
    spec = dataclasses.replace(registered.spec, big_numbers="string")
    verdicts = evaluate(spec, registered.info, DatabaseFacts(realtime_publication=True)).verdicts
    (verdict,) = [verdict for verdict in verdicts if verdict.key == "registry.big_numbers"]
    assert verdict.state == "unmet"
    assert verdict.problem == (
        "public.project is registered with big numbers the pack default (meta big_numbers), not string"
    )
    dry = api.enable(["public.project"], db_url=dsn, big_numbers="string", dry_run=True)
    assert _plan_statements(dry) == [statement.sql_text().strip() for statement in verdict.fix_statements()]
