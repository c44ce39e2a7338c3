"""Names PostgreSQL reserves work end to end: a table "order", owned by "user", keyed by "select".

Shown names quote reserved words (``public."order"``), so every printed table
name and fix reads back as the same object; the table enables, meets the
contract, lints clean and syncs through the RPCs like any other.
"""

from __future__ import annotations

import shlex
import uuid
from pathlib import Path

import psycopg
import pytest
from helpers.contract import verify_keys

from supabase_sync import api, rpc
from supabase_sync.cli import main
from supabase_sync.names import QUOTED_KEYWORDS, TableName, display_identifier, parse_table_name
from supabase_sync.sandbox import Sandbox

ORDER = TableName("public", "order")
COLLECTION = 'public."order"'

CREATE_ORDER = """-- An app table whose names are all PostgreSQL reserved words.
create table public."order" (
    "select" uuid primary key default gen_random_uuid(),
    "user" uuid not null references auth.users (id) on delete cascade,
    item text not null default ''
);
"""


def test_reserved_words_are_shown_quoted_and_read_back_as_the_same_name() -> None:
    assert display_identifier("order") == '"order"'
    assert display_identifier("user") == '"user"'
    assert display_identifier("orders") == "orders"
    assert display_identifier("name") == "name"  # unreserved keywords stay bare, as quote_ident leaves them
    assert ORDER.display == COLLECTION
    assert parse_table_name(ORDER.display) == ORDER


def test_the_quoted_keywords_are_the_servers(sandbox: Sandbox) -> None:
    with sandbox.connect(superuser=True) as conn:
        words = {row[0] for row in conn.execute("select word from pg_get_keywords() where catcode <> 'U'")}
    assert words == QUOTED_KEYWORDS


@pytest.fixture
def order_project(tmp_path: Path) -> Path:
    """A Supabase project: the order table, the pack and `enable public."order" --owner-column user`."""
    project = tmp_path / "project"
    migrations = project / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (project / "supabase" / "config.toml").write_text('project_id = "orders"\n', encoding="utf-8")
    (migrations / "20250101000000_create_order.sql").write_text(CREATE_ORDER, encoding="utf-8")
    api.install(migrations_dir=migrations)
    api.enable([COLLECTION], owner_column="user", add_missing_columns=True, migrations_dir=migrations)
    return project


def test_a_table_named_by_reserved_words_lints_clean(order_project: Path, sandbox: Sandbox) -> None:
    linted = api.lint(project_dir=order_project, backend="url", sandbox_url=sandbox.superuser_dsn)
    assert linted.findings == [] and linted.problems == [], [f"{f.code} {f.message}" for f in linted.findings]


def test_a_table_named_by_reserved_words_verifies(order_project: Path, sandbox: Sandbox) -> None:
    report = api.verify(order_project, backend="url", sandbox_url=sandbox.superuser_dsn)
    structure = [result for result in report.results if result.check.startswith("structure.")]
    assert structure and all(result.passed for result in structure), report.to_text()
    assert report.tables == [COLLECTION]
    assert report.passed, report.to_text()


def test_a_row_pushed_as_its_columns_is_stored_under_its_id(order_project: Path, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from supabase_sync.migrations import apply_migrations

    apply_migrations(fresh_db.owner_dsn, order_project / "supabase" / "migrations")
    (alice,) = fresh_db.create_users(1)
    order_id = str(uuid.uuid4())
    changes = {COLLECTION: {"created": [{"select": order_id, "item": "tea"}], "updated": [], "deleted": []}}
    rpc.call(fresh_db.connect(), "sync_push", {"changes": changes}, user_id=alice)
    with fresh_db.connect() as owner:
        assert owner.execute('select "select"::text from public."order"').fetchall() == [(order_id,)]


def test_a_table_named_by_reserved_words_syncs_and_its_fixes_run(
    order_project: Path, fresh_db, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    from supabase_sync.migrations import apply_migrations

    apply_migrations(fresh_db.owner_dsn, order_project / "supabase" / "migrations")
    alice, bob = fresh_db.create_users(2)
    conn = fresh_db.connect()
    order_id = str(uuid.uuid4())
    # A row's id is the value of its id column, "select"; a key "id" is no column of the table.
    row = {"id": str(uuid.uuid4()), "select": order_id, "item": "tea"}
    pushed = rpc.call(
        conn,
        "sync_push",
        {"changes": {COLLECTION: {"created": [row], "updated": [], "deleted": []}}},
        user_id=alice,
    )
    assert pushed["applied"][COLLECTION]["created"] == 1
    assert pushed["ignored_columns"] == {COLLECTION: ["id"]}
    pulled = rpc.call(conn, "sync_pull", {"last_pulled_at": None}, user_id=alice)
    (stored,) = pulled["changes"][COLLECTION]["created"]
    assert (stored["select"], stored["user"], stored["item"]) == (order_id, str(alice), "tea")
    assert rpc.call(conn, "sync_pull", {"last_pulled_at": None}, user_id=bob)["changes"][COLLECTION]["created"] == []
    deleted = rpc.call(conn, "sync_push", {"changes": {COLLECTION: {"deleted": [order_id]}}}, user_id=alice)
    assert deleted["applied"][COLLECTION]["deleted"] == 1
    later = rpc.call(conn, "sync_pull", {"last_pulled_at": pulled["timestamp"]}, user_id=alice)
    assert later["changes"][COLLECTION]["deleted"] == [order_id]

    assert api.status(fresh_db.owner_dsn).passed
    assert verify_keys(fresh_db.owner_dsn, fresh_db.superuser_dsn, COLLECTION) == set()
    with fresh_db.connect() as owner:
        owner.execute('alter table public."order" alter column "user" drop not null')
        owner.execute('drop trigger supabase_sync_stamp on public."order"')
    gaps = {gap.key: gap for gap in api.status(fresh_db.owner_dsn).gaps}
    assert set(gaps) == {"column.owner_not_null", "trigger.stamp"}
    # The owner's fix and the printed command run as shown, reserved words and all.
    with psycopg.connect(fresh_db.owner_dsn, autocommit=True) as owner:
        owner.execute(gaps["column.owner_not_null"].sql.encode())
    with pytest.raises(SystemExit) as done:
        main([*shlex.split(gaps["trigger.stamp"].fix)[1:], "--db-url", fresh_db.owner_dsn])
    assert done.value.code == 0, capsys.readouterr().err
    assert api.status(fresh_db.owner_dsn).passed
