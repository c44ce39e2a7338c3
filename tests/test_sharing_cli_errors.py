"""Every misuse of enable's sharing options: one line naming what is wrong and the fix, exit 1, no traceback."""

from __future__ import annotations

import pytest

from supabase_sync.cli import main

TABLES = """
create table public.project (
    id uuid primary key, user_id uuid not null references auth.users, name text
);
create table public.task (
    id uuid primary key, user_id uuid not null references auth.users,
    project_id uuid references public.project (id), title text
);
create table public.loose (id uuid primary key, user_id uuid not null references auth.users);
create table public.two_users (
    id uuid primary key, project_id uuid references public.project (id),
    a uuid references auth.users, b uuid references auth.users, role text
);
"""


def _fails(args: list[str], capsys, monkeypatch, tmp_path) -> str:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(args)
    err = capsys.readouterr().err
    assert done.value.code == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def db(installed_db):
    with installed_db.connect() as conn:
        conn.execute(TABLES)
    return installed_db.owner_dsn


CASES = {
    "members_and_scope_column": (
        ["public.project", "--members", "public.m", "--scope-column", "x"],
        "cannot be combined",
    ),
    "member_column_alone": (["public.project", "--member-column", "u"], "--member-column needs --members"),
    "create_members_alone": (["public.project", "--create-members"], "--create-members needs --members"),
    "members_for_two_tables": (["public.project", "public.task", "--members", "public.m"], "one scope table"),
    "members_missing": (["public.project", "--members", "public.nowhere"], "--create-members"),
    "members_exist_already": (
        ["public.project", "--members", "public.task", "--create-members"],
        "already exists",
    ),
    "members_without_fk": (["public.project", "--members", "public.loose"], "foreign key to public.project"),
    "members_two_user_columns": (["public.project", "--members", "public.two_users"], "--member-column"),
    "scope_column_missing": (["public.loose", "--scope-column", "project_id"], "project_id"),
    "scope_not_enabled": (["public.task", "--scope-column", "project_id"], "not an enabled scope table"),
    "scope_column_without_fk": (["public.task", "--scope-column", "title"], "references no table"),
    "scope_through_alone": (["public.task", "--scope-through", "task_id"], "--scope-through needs --scope-column"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_enable_sharing_misuse_is_one_line_with_its_fix(case, db, capsys, monkeypatch, tmp_path):
    args, expected = CASES[case]
    line = _fails(["enable", *args, "--db-url", db], capsys, monkeypatch, tmp_path)
    assert expected in line, line
    assert "hint:" in line or "(" in line, line
