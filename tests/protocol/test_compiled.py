"""Compiled per-table functions (docs/protocol.md "Compiled functions", issue 13).

Enable compiles an owner table's pull functions; a pull uses them while they
are fresh and falls back to the generic (dynamic) path otherwise. Which path
ran is read from ``pg_stat_xact_user_functions`` in the pull's own
transaction (``track_functions = pl`` in the test database), never from
timings. The generic path is forced, for comparison, by the setting
``supabase_sync.compiled_functions = off``, in the same state of the data.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, new_id

from supabase_sync import api, rpc

NOTE = "public.cnote"
KEY_FUNCTION_PREFIX = "pull_keys_cnote_"
PAGE_FUNCTION_PREFIX = "pull_page_cnote_"
_PULL = (
    "select public.sync_pull(last_pulled_at => %(cursor)s, collections => %(collections)s,"
    " client_id => %(client_id)s, page_size => %(page_size)s)"
)


@pytest.fixture
def note_db(example_db: Any) -> Iterator[Any]:
    """The example database with ``public.cnote``, an owner table with int8/numeric columns, enabled.

    Function calls are counted in it (track_functions, set by the superuser for new sessions).
    """
    with psycopg.connect(example_db.sandbox.dsn(example_db.name, superuser=True), autocommit=True) as admin:
        admin.execute(psycopg.sql.SQL("alter database {} set track_functions = 'pl'").format(
            psycopg.sql.Identifier(example_db.name)
        ))
    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "create table public.cnote (id uuid primary key,"
            " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
            " body text, big bigint, amount numeric)"
        )
    api.enable([NOTE], db_url=example_db.owner_dsn, add_missing_columns=True)
    yield example_db


def pull(
    device: Device,
    *,
    cursor: int | None,
    generic: bool = False,
    client_id: uuid.UUID | None = None,
    page_size: int | None = None,
    collections: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, int]]:
    """One sync_pull as the device's user; returns the page and the pack's function calls it made, by name."""
    counts = (
        "select funcname::text, calls from pg_catalog.pg_stat_xact_user_functions where schemaname = 'supabase_sync'"
    )
    with rpc.as_user(device.conn, user_id=device.user_id) as cur:
        if generic:
            cur.execute("set local supabase_sync.compiled_functions = 'off'")
        # Counts not yet reported may hold earlier transactions' calls: the difference is this pull's.
        cur.execute(counts)
        before = dict(cur.fetchall())
        cur.execute(
            _PULL,
            {
                "cursor": cursor,
                "collections": collections or [NOTE],
                "client_id": client_id,
                "page_size": page_size,
            },
        )
        row = cur.fetchone()
        assert row is not None
        cur.execute(counts)
        calls = {name: count - before.get(name, 0) for name, count in cur.fetchall() if count > before.get(name, 0)}
    return row[0], calls


def compiled_calls(calls: dict[str, int]) -> int:
    """Calls of the table's compiled key function."""
    return sum(count for name, count in calls.items() if name.startswith(KEY_FUNCTION_PREFIX))


def normalized(page: dict[str, Any]) -> dict[str, Any]:
    """The page with each kind's rows in id order (the order within a kind is not part of the contract)."""
    changes = {
        collection: {
            "created": sorted(entry["created"], key=lambda row: row["id"]),
            "updated": sorted(entry["updated"], key=lambda row: row["id"]),
            "deleted": sorted(entry["deleted"]),
        }
        for collection, entry in page["changes"].items()
    }
    return {**page, "changes": changes}


def _write(device: Device, sql: str, params: Any) -> None:
    with rpc.as_user(device.conn, user_id=device.user_id) as cur:
        cur.execute(sql, params)


def _random_round(rng: random.Random, device: Device, mine: list[str], writer: uuid.UUID) -> None:
    """A few random writes of the device's user: creates, updates, soft and hard deletes (some by pushes)."""
    for _ in range(rng.randint(1, 6)):
        action = rng.choice(["create", "create", "push", "update", "soft", "hard"])
        if action in ("create", "push") or not mine:
            row_id = new_id()
            row = {
                "id": row_id,
                "body": f"b{rng.randint(0, 99)}",
                "big": rng.choice([None, 1, 2**53 + rng.randint(1, 99)]),
                "amount": rng.choice([None, "1.5", "12345678901234567890.123456789"]),
            }
            if action == "push":
                response = device.push(
                    {NOTE: {"created": [row], "updated": [], "deleted": []}}, client_id=str(writer)
                )
                assert response["applied"][NOTE]["created"] == 1
            else:
                _write(
                    device,
                    "insert into public.cnote (id, body, big, amount) values (%s, %s, %s, %s)",
                    (row_id, row["body"], row["big"], row["amount"]),
                )
            mine.append(row_id)
        elif action == "update":
            _write(device, "update public.cnote set body = body || 'u' where id = %s", (rng.choice(mine),))
        elif action == "soft":
            _write(device, "update public.cnote set deleted_at = now() where id = %s", (rng.choice(mine),))
        else:
            row_id = mine.pop(rng.randrange(len(mine)))
            _write(device, "delete from public.cnote where id = %s", (row_id,))


def _pages_both_ways(
    device: Device, cursor: int | None, *, client_id: uuid.UUID | None, page_size: int
) -> tuple[int | None, int]:
    """Pull every page from ``cursor`` both ways, asserting identical pages; the end cursor and compiled calls."""
    used = 0
    for _page in range(1000):
        compiled, calls = pull(device, cursor=cursor, client_id=client_id, page_size=page_size)
        generic, generic_calls = pull(device, cursor=cursor, client_id=client_id, page_size=page_size, generic=True)
        if not compiled["has_more"] and not generic["has_more"]:
            # A last page's cursor is its snapshot's watermark (xmin): a transaction that held an
            # xid between the two pulls (autovacuum's analyze writes pg_statistic) moves it.
            generic = {**generic, "timestamp": compiled["timestamp"]}
        assert normalized(compiled) == normalized(generic)
        assert compiled_calls(generic_calls) == 0 and generic_calls.get("pull_keys", 0) >= 1
        used += compiled_calls(calls)
        cursor = compiled["timestamp"]
        if not compiled["has_more"]:
            return cursor, used
    raise AssertionError("the pull did not end within 1000 pages")


@pytest.mark.parametrize("big_numbers", ["number", "string"])
def test_the_compiled_and_the_generic_pull_give_identical_pages(
    note_db: Any, alice: Device, bob: Device, big_numbers: str
) -> None:
    api.enable([NOTE], db_url=note_db.owner_dsn, big_numbers=big_numbers)
    rng = random.Random(f"compiled-{big_numbers}")
    writer = uuid.uuid4()
    mine: list[str] = []
    theirs: list[str] = []
    cursors: dict[str, int | None] = {"echo": None, "plain": None}
    used = 0
    for _round in range(12):
        _random_round(rng, alice, mine, writer)
        _random_round(rng, bob, theirs, uuid.uuid4())
        page_size = rng.choice([1, 2, 3, 1000])
        # From null (no deletions), and incremental with and without the echo filter.
        _, from_null = _pages_both_ways(alice, None, client_id=None, page_size=page_size)
        cursors["echo"], echo = _pages_both_ways(alice, cursors["echo"], client_id=writer, page_size=page_size)
        cursors["plain"], plain = _pages_both_ways(alice, cursors["plain"], client_id=None, page_size=page_size)
        used += from_null + echo + plain
    assert used > 0, "the compiled path never ran"
    # The pulls delivered exactly alice's live rows (bob's never).
    replica: dict[str, Any] = {}
    alice.cursor = None
    for row_id, row in alice.pull_all(page_size=2).get(NOTE, {}).items():
        if row is not None and row.get("deleted_at") is None:
            replica[row_id] = row
    live = {
        str(row[0])
        for row in alice.conn.execute("select id from public.cnote where user_id = %s and deleted_at is null",
                                      (alice.user_id,))
    }
    assert set(replica) == live


def test_the_steady_state_pull_runs_the_compiled_functions(note_db: Any, alice: Device) -> None:
    row_id = new_id()
    _write(alice, "insert into public.cnote (id, body, big, amount) values (%s, 'x', 7, 1.25)", (row_id,))

    page, calls = pull(alice, cursor=None)

    assert compiled_calls(calls) == 1
    assert sum(count for name, count in calls.items() if name.startswith(PAGE_FUNCTION_PREFIX)) == 1
    assert "pull_keys" not in calls
    (row,) = page["changes"][NOTE]["created"]
    assert (row["id"], row["big"], row["amount"]) == (row_id, 7, Decimal("1.25"))


def test_the_compiled_pull_functions_plan_each_statement_once_per_session(note_db: Any) -> None:
    # Their branches not taken are one-time filters on parameters: PostgreSQL left to choose takes a custom
    # plan (its estimate is lower without those branches) and plans again on every call (docs/benchmarks.md,
    # "Generic plans"). Owner and scoped tables alike (the example's tables are shared).
    with psycopg.connect(note_db.owner_dsn, autocommit=True) as conn:
        rows = conn.execute(
            "select st.kind, cf.purpose, coalesce(p.proconfig, '{}')"
            " from supabase_sync.compiled_function as cf"
            " join supabase_sync.synced_table as st on st.relid = cf.relid"
            " join pg_catalog.pg_proc as p on p.oid = cf.function_name::oid"
            " where cf.purpose in ('pull_keys', 'pull_page')"
        ).fetchall()
    assert {(kind, purpose) for kind, purpose, _ in rows} >= {
        ("owner", "pull_keys"), ("owner", "pull_page"), ("scoped", "pull_keys"), ("scoped", "pull_page"),
    }
    assert [
        (kind, purpose) for kind, purpose, config in rows if "plan_cache_mode=force_generic_plan" not in config
    ] == []


def test_a_page_of_more_than_100_rows_is_built_by_the_generic_page_phase(note_db: Any, alice: Device) -> None:
    # The compiled page function saves planning on small pages; on big ones the generic statement is cheaper
    # (docs/benchmarks.md), so a page of 101 rows or more takes it, after the compiled key phase.
    _write(alice, "insert into public.cnote (id, body, big, amount) select gen_random_uuid(), 'x', n, n"
                  " from generate_series(1, 150) as n", None)

    def page_calls(calls: dict[str, int]) -> int:
        return sum(count for name, count in calls.items() if name.startswith(PAGE_FUNCTION_PREFIX))

    big, calls = pull(alice, cursor=None, page_size=120)
    assert (compiled_calls(calls), page_calls(calls), len(big["changes"][NOTE]["created"])) == (1, 0, 120)
    assert normalized(big) == normalized(pull(alice, cursor=None, page_size=120, generic=True)[0])
    small, calls = pull(alice, cursor=big["timestamp"], page_size=120)
    assert (compiled_calls(calls), page_calls(calls), len(small["changes"][NOTE]["created"])) == (1, 1, 30)
    assert normalized(small) == normalized(pull(alice, cursor=big["timestamp"], page_size=120, generic=True)[0])


@pytest.mark.parametrize(
    "ddl",
    [
        "alter table public.cnote add column mood text default 'calm'",
        "alter table public.cnote drop column body",
        "alter table public.cnote rename column body to text_body",
        "alter table public.cnote alter column big type numeric",
    ],
)
def test_a_ddl_change_after_enable_never_serves_stale_sql(
    note_db: Any, alice: Device, owner: psycopg.Connection, ddl: str
) -> None:
    row_id = new_id()
    _write(alice, "insert into public.cnote (id, body, big) values (%s, 'x', 7)", (row_id,))
    _, cursor_calls = pull(alice, cursor=None)
    assert compiled_calls(cursor_calls) == 1

    owner.execute(ddl)
    _write(alice, "update public.cnote set amount = 2 where id = %s", (row_id,))

    page, calls = pull(alice, cursor=None)
    assert compiled_calls(calls) == 0 and calls.get("pull_keys") == 1
    (row,) = page["changes"][NOTE]["created"]
    expected = {
        name for (name,) in owner.execute(
            "select attname::text from pg_attribute where attrelid = 'public.cnote'::regclass"
            " and attnum > 0 and not attisdropped"
        )
    }
    assert set(row) == expected
    # Stale compiled functions cost speed, not correctness: a note with the fix, not a gap.
    status = api.status(db_url=note_db.owner_dsn)
    (table,) = [entry for entry in status.tables if entry.table == NOTE]
    assert table.checks["compiled"] is False and status.passed
    (note,) = [note for note in status.notes if note.startswith(NOTE)]
    assert "stale" in note and "`supabase-sync enable public.cnote" in note

    # Enable again compiles them afresh; the compiled path serves the changed table.
    api.enable([NOTE], db_url=note_db.owner_dsn)
    again, calls = pull(alice, cursor=None)
    assert compiled_calls(calls) == 1
    assert normalized(again) == normalized(pull(alice, cursor=None, generic=True)[0])


def test_enable_creates_them_install_repairs_them_disable_drops_them(
    note_db: Any, alice: Device, owner: psycopg.Connection
) -> None:
    def functions() -> set[str]:
        return {
            name
            for (name,) in owner.execute(
                "select p.proname::text from pg_proc as p where p.pronamespace = 'supabase_sync'::regnamespace"
                " and p.proname like any (array['pull_keys_cnote_%', 'pull_page_cnote_%', 'push_upserts_cnote_%',"
                " 'push_deletes_cnote_%'])"
            )
        }

    recorded = dict(owner.execute(
        "select purpose, function_name::oid::regproc::text from supabase_sync.compiled_function"
        " where relid = 'public.cnote'::regclass"
    ).fetchall())
    assert set(recorded) == {"pull_keys", "pull_page", "push_upserts", "push_deletes"}
    assert {name.split(".", 1)[1] for name in recorded.values()} == functions() and len(functions()) == 4
    assert not api.enable([NOTE], db_url=note_db.owner_dsn).changed

    owner.execute("delete from supabase_sync.compiled_function where relid = 'public.cnote'::regclass")
    assert functions() == set()
    _, calls = pull(alice, cursor=None)
    assert compiled_calls(calls) == 0

    assert api.install(db_url=note_db.owner_dsn).changed
    assert len(functions()) == 4
    _, calls = pull(alice, cursor=None)
    assert compiled_calls(calls) == 1
    assert not api.install(db_url=note_db.owner_dsn).changed

    api.disable([NOTE], db_url=note_db.owner_dsn)
    assert functions() == set()
    assert owner.execute(
        "select count(*) from supabase_sync.compiled_function as cf"
        " where not exists (select from supabase_sync.synced_table as st where st.relid = cf.relid)"
        " or cf.function_name::text like '%cnote%'"
    ).fetchone() == (0,)


def test_a_table_shared_after_it_was_compiled_gets_the_scoped_key_function_and_loses_its_push_functions(
    example_db: Any,
) -> None:
    # Left behind, the owner table's compiled key function (security definer, executable by authenticated)
    # would still answer with the ids of the caller's own rows, in a table whose rows are now visible by scope.
    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "create table public.clist (id uuid primary key,"
            " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
            " project_id uuid not null references public.project (id) on delete cascade, body text)"
        )
    api.enable(["public.clist"], db_url=example_db.owner_dsn, add_missing_columns=True)
    recorded = (
        "select c.purpose, pg_catalog.pg_get_functiondef(c.function_name::oid) like '%%visible_scopes%%',"
        " c.fingerprint = supabase_sync.compiled_fingerprint(c.relid)"
        " from supabase_sync.compiled_function as c where c.relid = 'public.clist'::regclass order by c.purpose"
    )
    compiled = (
        "select count(*) from pg_proc as p where p.pronamespace = 'supabase_sync'::regnamespace"
        " and p.proname like '%%clist%%'"
    )
    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        assert conn.execute(recorded).fetchall() == [
            ("pull_keys", False, True), ("pull_page", False, True), ("push_deletes", False, True),
            ("push_upserts", False, True),
        ]
        assert conn.execute(compiled).fetchone() == (4,)
    api.enable(["public.clist"], db_url=example_db.owner_dsn, scope_column="project_id")
    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        # The pushes of a scoped table stay generic; its key function is the scoped one, fresh.
        assert conn.execute(recorded).fetchall() == [("pull_keys", True, True), ("pull_page", False, True)]
        assert conn.execute(compiled).fetchone() == (2,)


@pytest.fixture
def shared_db(note_db: Any) -> Any:
    """The example database with its shared tables compiled (its migrations, written blind, compile nothing)."""
    api.enable(["public.project_member", "public.task", "public.doc_updates"], db_url=note_db.owner_dsn)
    return note_db


def test_a_scoped_pull_without_access_changes_runs_the_compiled_functions_and_gives_the_generic_page(
    shared_db: Any,
) -> None:
    alice = Device(shared_db.connect(), shared_db.create_user())
    bob = Device(shared_db.connect(), shared_db.create_user())
    shared, private = new_id(), new_id()
    tasks = [new_id() for _ in range(6)]
    alice.push({
        "public.project": {"created": [{"id": shared, "name": "shared"}, {"id": private, "name": "private"}]},
        "public.task": {"created": [
            *({"id": t, "project_id": shared, "title": "t"} for t in tasks[:5]),
            {"id": tasks[5], "project_id": private, "title": "t"},
        ]},
    })
    _write(alice, "insert into public.project_member (project_id, user_id, role) values (%s, %s, 'editor')",
           (shared, bob.user_id))
    first, _ = pull(bob, cursor=None, collections=["public.task"])
    assert {row["id"] for row in first["changes"]["public.task"]["created"]} == set(tasks[:5])
    # Since bob's cursor: a move out of his sight, a hard and a soft delete, an edit, a new task,
    # and a move into his sight (created for him); no membership change.
    _write(alice, "update public.task set project_id = %s where id = %s", (private, tasks[0]))
    _write(alice, "delete from public.task where id = %s", (tasks[1],))
    _write(alice, "update public.task set deleted_at = now() where id = %s", (tasks[2],))
    _write(alice, "update public.task set title = 'edited' where id = %s", (tasks[3],))
    created = new_id()
    _write(alice, "insert into public.task (id, project_id, title) values (%s, %s, 'new')", (created, shared))
    _write(alice, "update public.task set project_id = %s where id = %s", (shared, tasks[5]))
    page, calls = pull(bob, cursor=first["timestamp"], collections=["public.task"])
    generic, _ = pull(bob, cursor=first["timestamp"], collections=["public.task"], generic=True)
    assert normalized(page) == normalized(generic)
    change = page["changes"]["public.task"]
    assert {row["id"] for row in change["created"]} == {created, tasks[5]}
    assert [row["id"] for row in change["updated"]] == [tasks[3]]
    assert sorted(change["deleted"]) == sorted(tasks[:3])
    key_calls = sum(count for name, count in calls.items() if name.startswith("pull_keys_task_"))
    page_calls = sum(count for name, count in calls.items() if name.startswith("pull_page_task_"))
    assert (key_calls, page_calls, calls.get("pull_keys", 0)) == (1, 1, 0)
    # A revoke is an access event: the compiled key function hands the call to pull_keys.
    _write(alice, "delete from public.project_member where project_id = %s and user_id = %s", (shared, bob.user_id))
    cursor = page["timestamp"]
    page, calls = pull(bob, cursor=cursor, collections=["public.task"])
    generic, _ = pull(bob, cursor=cursor, collections=["public.task"], generic=True)
    assert normalized(page) == normalized(generic)
    assert calls.get("pull_keys", 0) == 1
    assert sorted(page["changes"]["public.task"]["deleted"]) == sorted([tasks[3], created, tasks[5], tasks[4]] + tasks[:3])
