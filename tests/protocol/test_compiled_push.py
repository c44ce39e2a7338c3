"""The compiled push (issue 13): an owner table's push through its functions with static SQL.

``enable`` compiles ``push_upserts_<table>`` and ``push_deletes_<table>`` for an
owner table (supabase_sync.compiled.push); ``apply_push`` calls them while their
fingerprint is the table's current one, else the generic ``push_upserts`` and
``push_deletes``. These tests show the compiled path is the one taken in the
steady state (function call counts, not timings), that a DDL change falls back
to the generic path and stays right, and that both paths give the same
answers and leave the same rows on the same pushes.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, tuples_read

from supabase_sync import api, rpc
from supabase_sync.rpc import RpcError

PURCHASE = "create table public.{name} (order_no uuid primary key,"
PURCHASE += " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
PURCHASE += " item text not null default '', quantity integer, note text, created_at timestamptz not null default now(),"
PURCHASE += " updated_at timestamptz not null default now(), deleted_at timestamptz)"


def _create_purchase_tables(example_db: Any, *names: str) -> None:
    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(PURCHASE.format(name=name))  # fixed names
    api.enable([f"public.{name}" for name in names], db_url=example_db.owner_dsn, add_missing_columns=True)


@pytest.fixture
def counted(example_db: Any) -> Any:
    """The example database with function call counting on for new sessions (track_functions = pl)."""
    with example_db.connect(superuser=True) as conn:
        conn.execute(psycopg.sql.SQL("alter database {} set track_functions = 'pl'").format(
            psycopg.sql.Identifier(example_db.name)
        ))
    _create_purchase_tables(example_db, "purchase")
    return example_db


_CALLS = (
    "select f.funcname::text, f.calls from pg_catalog.pg_stat_xact_user_functions as f"
    " where f.schemaname = 'supabase_sync' and f.funcname::text ~ '^push_(upserts|deletes)'"
)


def _calls(cur: psycopg.Cursor) -> dict[str, int]:
    # compiled functions by purpose and table, their name's hash left out
    return {name.rsplit("_", 1)[0] if name.count("_") > 1 else name: count for name, count in cur.execute(_CALLS)}


def _push_counting(device: Device, changes: dict[str, Any], **args: Any) -> tuple[Any, dict[str, int]]:
    """Push as the device's user in one request; return the response and the calls of push functions it made.

    PostgreSQL 15 reports a session's calls not yet flushed to the statistics
    (earlier transactions' included), so the push's are the difference.
    """
    with rpc.as_user(device.conn, user_id=device.user_id) as cur:
        before = _calls(cur)
        cur.execute(
            "select public.sync_push(changes => %(changes)s, last_pulled_at => %(since)s, client_id => %(client)s)",
            {"changes": json.dumps(changes), "since": args.get("last_pulled_at"), "client": str(device.client_id)},
        )
        response = cur.fetchone()[0]
        after = _calls(cur)
    return response, {name: count - before.get(name, 0) for name, count in after.items() if count > before.get(name, 0)}


def test_an_enabled_owner_table_is_pushed_through_its_compiled_functions(counted: Any) -> None:
    me = counted.create_user()
    device = Device(counted.connect(), me)
    row = str(uuid.uuid4())
    response, calls = _push_counting(device, {"public.purchase": {"created": [{"order_no": row, "item": "tea"}]}})
    assert response["applied"] == {"public.purchase": {"created": 1, "updated": 0, "deleted": 0}}
    assert calls == {"push_upserts_purchase": 1}
    response, calls = _push_counting(
        device, {"public.purchase": {"updated": [{"order_no": row, "quantity": 2}], "deleted": [str(uuid.uuid4())]}}
    )
    assert response["applied"] == {"public.purchase": {"created": 0, "updated": 1, "deleted": 0}}
    assert response["ignored"] == {"public.purchase": {"deleted": 1}}
    assert calls == {"push_upserts_purchase": 1, "push_deletes_purchase": 1}


def test_after_a_ddl_change_the_push_takes_the_generic_path_until_enable_compiles_again(counted: Any) -> None:
    me = counted.create_user()
    owner = counted.connect()
    owner.execute("alter table public.purchase add column colour text default 'blue'")
    device = Device(counted.connect(), me)
    red, plain = str(uuid.uuid4()), str(uuid.uuid4())
    response, calls = _push_counting(
        device, {"public.purchase": {"created": [{"order_no": red, "colour": "red"}, {"order_no": plain}]}}
    )
    assert (response["ignored_columns"], calls) == ({}, {"push_upserts": 1})
    assert dict(owner.execute("select order_no::text, colour from public.purchase").fetchall()) == {
        red: "red",
        plain: "blue",
    }
    api.enable(["public.purchase"], db_url=counted.owner_dsn)
    green = str(uuid.uuid4())
    owner.execute("alter table public.purchase alter column colour set default 'green'")
    _, calls = _push_counting(device, {"public.purchase": {"created": [{"order_no": green}]}})
    assert calls == {"push_upserts": 1}  # a new default: stale again
    api.enable(["public.purchase"], db_url=counted.owner_dsn)
    again = str(uuid.uuid4())
    _, calls = _push_counting(device, {"public.purchase": {"created": [{"order_no": again, "colour": "red"}, {"order_no": str(uuid.uuid4())}]}})
    assert calls == {"push_upserts_purchase": 1}
    colours = dict(owner.execute("select order_no::text, colour from public.purchase").fetchall())
    assert (colours[green], colours[again]) == ("green", "red")


def test_columns_of_types_outside_pg_catalog_are_pushed_through_the_compiled_functions(counted: Any) -> None:
    # The compiled functions run with an empty search_path: a type or default
    # of the table's schema must be rendered schema-qualified.
    owner = counted.connect()
    owner.execute("create type public.mood as enum ('sad', 'ok')")
    owner.execute("create domain public.short_note as varchar(6)")
    owner.execute("create table public.diary (id uuid primary key, user_id uuid not null default auth.uid()"
                  " references auth.users (id), feeling public.mood not null default 'ok',"
                  " moods public.mood[] not null default '{sad}', note public.short_note)")
    api.enable(["public.diary"], db_url=counted.owner_dsn, add_missing_columns=True)
    device = Device(counted.connect(), counted.create_user())
    row, plain = str(uuid.uuid4()), str(uuid.uuid4())
    before = {"created": [{"id": row, "feeling": "sad", "moods": ["ok", "sad"], "note": "hi"}, {"id": plain}]}
    response, calls = _push_counting(device, {"public.diary": before})
    assert (response["applied"]["public.diary"]["created"], calls) == (2, {"push_upserts_diary": 1})
    response, calls = _push_counting(device, {"public.diary": {"updated": [{"id": row, "feeling": "ok"}]}})
    assert (response["applied"]["public.diary"]["updated"], calls) == (1, {"push_upserts_diary": 1})
    rows = owner.execute("select id::text, feeling::text, moods::text, note from public.diary order by note").fetchall()
    assert sorted(rows) == sorted([(row, "ok", "{ok,sad}", "hi"), (plain, "ok", "{sad}", None)])
    pulled = device.pull(collections=["public.diary"])["changes"]["public.diary"]["created"]
    assert sorted((r["id"], r["feeling"], r["moods"]) for r in pulled) == sorted(
        [(row, "ok", ["ok", "sad"]), (plain, "ok", ["sad"])]
    )
    response, calls = _push_counting(device, {"public.diary": {"deleted": [plain]}})
    assert response["applied"]["public.diary"]["deleted"] == 1
    assert calls == {"push_upserts_diary": 1, "push_deletes_diary": 1}


# --- equivalence: the same pushes on a compiled table and on a generic one ---

_COLUMNS = ("item", "quantity", "note", "created_at", "updated_at", "deleted_at")


class _Pair:
    """Two tables alike, ``public.purchase_a`` compiled, ``public.purchase_b`` on the generic path."""

    def __init__(self, example_db: Any, rng: random.Random) -> None:
        _create_purchase_tables(example_db, "purchase_a", "purchase_b")
        self.owner = example_db.connect()
        # The generic side: its compiled functions dropped (the row's trigger drops them).
        self.owner.execute(
            "delete from supabase_sync.compiled_function where relid = 'public.purchase_b'::regclass"
        )
        # A default of now() differs between the two pushes: compared as "recent".
        self.owner.execute(
            "create function pg_temp.recent(t timestamptz) returns text language sql"
            " as $$ select case when t > now() - interval '1 hour' then 'recent' else t::text end $$"
        )
        self.rng = rng
        self.alice = Device(example_db.connect(), example_db.create_user())
        self.laptop = Device(self.alice.conn, self.alice.user_id)
        self.bob = Device(example_db.connect(), example_db.create_user())
        self.ids: list[str] = [str(uuid.uuid4()) for _ in range(12)]
        # Rows of bob's among the ids alice pushes: refused to her, per row.
        self.both(self.bob, {"t": {"created": [{"order_no": row_id} for row_id in self.ids[:2]]}})

    def both(self, device: Device, changes: dict[str, Any], **args: Any) -> tuple[Any, Any]:
        """Push ``changes`` (keyed "t") to each table; return each answer (response, or error parts)."""
        answers = []
        for name in ("purchase_a", "purchase_b"):
            table_changes = json.loads(json.dumps(changes).replace('"t"', f'"public.{name}"'))
            table_args = dict(args)
            if "push_id" in args:  # a push_id names one push of the user: one per table
                table_args["push_id"] = str(uuid.uuid5(uuid.UUID(args["push_id"]), name))
            try:
                answer: Any = device.push(table_changes, **table_args)
            except RpcError as error:
                answer = ("error", error.sqlstate, error.message, error.detail, error.hint)
            answers.append(json.loads(json.dumps(answer).replace(f"public.{name}", "t")))
        return answers[0], answers[1]

    def rows(self, name: str) -> list[tuple[Any, ...]]:
        return self.owner.execute(
            psycopg.sql.SQL(
                "select order_no, user_id, item, quantity, note, {recent}(created_at), {recent}(updated_at),"
                " deleted_at is not null, instance_id from {table} order by order_no"
            ).format(recent=psycopg.sql.SQL("pg_temp.recent"), table=psycopg.sql.Identifier("public", name))
        ).fetchall()

    def random_row(self, *, full: bool) -> dict[str, Any]:
        rng = self.rng
        row_id = rng.choice(self.ids)
        row: dict[str, Any] = {"order_no": row_id.upper() if rng.random() < 0.1 else row_id}
        values = {
            "item": rng.choice(["tea", "cake", None]) if rng.random() < 0.03 else rng.choice(["tea", "cake", "jam"]),
            "quantity": rng.choice([1, None, "many"]) if rng.random() < 0.05 else rng.randint(0, 9),
            "note": rng.choice([None, "n", "x" * 20]),
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": rng.choice(["2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", "2025-01-01T00:00:00Z"]),
            "deleted_at": None,
        }
        for column in _COLUMNS:
            if full or rng.random() < 0.5:
                row[column] = values[column]
        if rng.random() < 0.1:
            row["isRemote"] = True
        return row

    def random_changes(self) -> dict[str, Any]:
        rng = self.rng
        full = rng.random() < 0.5
        part: dict[str, Any] = {}
        for kind in ("created", "updated"):
            if rng.random() < 0.7:
                part[kind] = [self.random_row(full=full) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.4:
            part["deleted"] = [rng.choice(self.ids) for _ in range(rng.randint(1, 2))]
        return {"t": part}


def _outcomes(answer: Any) -> set[str]:
    """What an answer shows: its error's SQLSTATE, or the kinds of effects of a response."""
    if isinstance(answer, list):
        return {answer[1]}
    found = {kind for kind in ("created", "updated", "deleted") if answer["applied"].get("t", {}).get(kind)}
    found |= {conflict["reason"] for conflict in answer["conflicts"]}
    if answer["ignored_columns"]:
        found.add("ignored_columns")
    if answer["ignored"]:
        found.add("ignored")
    if "deleted on the server" in found:
        found.add("refused")
    return found


@pytest.mark.parametrize("seed", range(4))
def test_compiled_and_generic_pushes_answer_alike_and_leave_the_same_rows(example_db: Any, seed: int) -> None:
    rng = random.Random(seed)
    pair = _Pair(example_db, rng)
    assert pair.owner.execute(
        "select pg_catalog.array_agg(purpose order by purpose) from supabase_sync.compiled_function"
        " where relid = 'public.purchase_a'::regclass and purpose like 'push%%'"
    ).fetchone()[0] == ["push_deletes", "push_upserts"]
    strategy = "reject"
    seen: set[str] = set()
    for step in range(60):
        if step % 10 == 9:
            strategy = "lww" if strategy == "reject" else "reject"
            pair.owner.execute("update supabase_sync.synced_table set conflict_strategy = %s", (strategy,))
        cursor = pair.alice.pull(collections=["public.purchase_a", "public.purchase_b"])["timestamp"]
        # Others write meanwhile: bob (rows alice may not write) and alice's laptop (conflicts).
        if rng.random() < 0.3:
            pair.both(pair.bob, pair.random_changes())
        if rng.random() < 0.3:
            pair.both(pair.laptop, pair.random_changes(), client_id=str(pair.laptop.client_id))
        changes = pair.random_changes()
        if step in (20, 21):  # a bad value and a null into a not-null column, whatever the dice say
            bad = {"quantity": "many"} if step == 20 else {"item": None}
            changes = {"t": {"created": [{"order_no": str(uuid.uuid4()), "quantity": 1, **bad}]}}
        args: dict[str, Any] = {"client_id": str(pair.alice.client_id)}
        if rng.random() < 0.6:
            args["last_pulled_at"] = cursor
        if rng.random() < 0.3:
            args["push_id"] = str(uuid.uuid4())
        compiled, generic = pair.both(pair.alice, changes, **args)
        assert compiled == generic, (step, changes, args)
        seen.update(_outcomes(compiled))
        if "push_id" in args and rng.random() < 0.5:
            assert pair.both(pair.alice, changes, **args) == (compiled, generic)  # an idempotent replay
        assert pair.rows("purchase_a") == pair.rows("purchase_b"), (step, changes, args)
    # The pushes went through the cases that matter (not a run of trivial successes).
    assert {"created", "updated", "deleted", "refused", "ignored_columns", "PT409", "22P02", "23502"} <= seen, seen


@pytest.mark.parametrize("statistics", ["stale", "fresh"])
def test_a_compiled_push_reads_about_what_it_writes_whatever_the_user_holds(counted: Any, statistics: str) -> None:
    # A user whose 20,000 rows came in one transaction after the table was analyzed (a bulk import): the
    # planner, believing the user holds about nothing (not among the values it sampled), would read every row of theirs by the owner index in each
    # statement that also names the pushed ids (the locking read, the update). Every push of a fresh session
    # (its first five calls are planned with the parameters' values) and every later one must probe the
    # pushed ids instead. Counted with PostgreSQL's own counters for the push's transaction; no timings.
    me = counted.create_user()
    neighbours = [counted.create_user() for _ in range(5)]
    with psycopg.connect(counted.owner_dsn, autocommit=True) as owner:
        owner.execute(
            "insert into public.purchase (order_no, user_id, item)"
            " select gen_random_uuid(), u, 'theirs' from unnest(%s::uuid[]) as u, generate_series(1, 2000)",
            (neighbours,),
        )
    with counted.connect(superuser=True) as su:
        su.execute("alter table public.purchase set (autovacuum_enabled = off)")
        if statistics == "stale":
            # Analyzed with the neighbours' rows alone: their ids are every value the planner knows of.
            su.execute("analyze public.purchase")
    with psycopg.connect(counted.owner_dsn, autocommit=True) as owner:
        owner.execute(
            "insert into public.purchase (order_no, user_id, item)"
            " select gen_random_uuid(), %s, 'bulk ' || n from generate_series(1, 20000) as n",
            (me,),
        )
        edited = [
            str(row[0]) for row in owner.execute("select order_no from public.purchase where user_id = %s limit 5", (me,))
        ]
    if statistics == "fresh":
        with counted.connect(superuser=True) as su:
            su.execute("analyze public.purchase")
    for attempt in range(7):
        changes = {
            "public.purchase": {
                "created": [{"order_no": str(uuid.uuid4()), "item": "new"} for _ in range(5)],
                "updated": [{"order_no": order_no, "item": f"edit {attempt}"} for order_no in edited],
            }
        }
        with psycopg.connect(counted.owner_dsn, autocommit=True) as conn, rpc.as_user(conn, user_id=str(me)) as cur:
            before = _calls(cur)
            cur.execute("select public.sync_push(changes => %s::jsonb)", (json.dumps(changes),))
            (response,) = cur.fetchone()
            reads = tuples_read(cur, ["public.purchase"])
            compiled = {name: count - before.get(name, 0) for name, count in _calls(cur).items()}
        assert response["applied"]["public.purchase"] == {"created": 5, "updated": 5, "deleted": 0}, response
        assert compiled.get("push_upserts_purchase") == 1, compiled
        # A probe per pushed id by the locking read and by the update: tens, not 20,000.
        assert reads <= 100, f"push {attempt} ({statistics} statistics) read {reads} rows for 10 pushed"
