"""Hostile neighbours (issue 11, docs/protocol.md "Threat model"): one test per rule.

Each test acts as users through ``supabase_sync.rpc`` (PostgREST's request
transaction) and checks that nothing outside the attacker's own rows changed
(``snapshot`` of every synced table, tombstones, push log and settings) and
that the other user's data does not appear in any response or error.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, new_id, project, snapshot, task

from supabase_sync import rpc
from supabase_sync.rpc import RpcError


def _text(error: RpcError) -> str:
    return f"{error.message} {error.detail} {error.hint}"


def _assert_nothing_of(user: Device, *texts: Any) -> None:
    """No text (response or error) names ``user`` or any of its row ids."""
    owned = {str(user.user_id)}
    for table in ("public.project", "public.task", "public.doc_updates"):
        owned |= {
            row_id
            for (row_id,) in user.conn.execute(
                f"select id::text from {table} where user_id = %s",  # noqa: S608 - fixed names
                (user.user_id,),
            ).fetchall()
        }
    for text in texts:
        rendered = text if isinstance(text, str) else json.dumps(text, default=str)
        for secret in owned:
            assert secret not in rendered


# 11.1: bounded pushes ---------------------------------------------------------------


def _wide_row(keys: int) -> dict[str, Any]:
    return {"id": new_id(), "name": "wide", **{f"k{n}": n for n in range(keys)}}


def test_push_rejects_row_with_too_many_keys(alice: Device, owner) -> None:
    before = snapshot(owner)
    error = alice.push_error({"public.project": {"created": [project(), _wide_row(2500)]}})
    assert error.sqlstate == "22023"
    assert "max_row_keys is 2000" in error.message
    assert "public.project created[1]" in error.message
    assert "Send only the columns" in error.hint
    assert snapshot(owner) == before


def test_push_rejects_row_over_max_row_bytes(alice: Device, owner) -> None:
    before = snapshot(owner)
    error = alice.push_error({"public.project": {"created": [project(name="x" * 1_100_000)]}})
    assert error.sqlstate == "22023"
    assert "the limit max_row_bytes is 1048576" in error.message
    assert snapshot(owner) == before


def test_push_rejects_push_over_max_push_bytes(alice: Device, owner) -> None:
    before = snapshot(owner)
    rows = [project(name="x" * 4000) for _ in range(2600)]  # ~10 MB, under max_push_rows
    error = alice.push_error({"public.project": {"created": rows}})
    assert error.sqlstate == "22023"
    assert "the limit max_push_bytes is 8388608" in error.message
    assert "Split the push" in error.hint
    assert snapshot(owner) == before


def test_push_limits_are_settings(alice: Device, owner) -> None:
    owner.execute("update supabase_sync.meta set value = '10' where key = 'max_row_keys'")
    error = alice.push_error({"public.project": {"created": [_wide_row(20)]}})
    assert "max_row_keys is 10" in error.message
    owner.execute("update supabase_sync.meta set value = '2000' where key = 'max_row_keys'")
    row = _wide_row(20)
    response = alice.push({"public.project": {"created": [row]}})
    assert response["applied"]["public.project"]["created"] == 1
    assert len(response["ignored_columns"]["public.project"]) == 20


def _timed_push_with_cancel(example_db: Any, device: Device, changes: dict[str, Any]) -> tuple[float, float, str]:
    """Push ``changes`` under a 1 s statement_timeout while a second connection cancels it.

    Returns (seconds the push took, seconds from the cancel to its end, sqlstate).
    """
    conn = example_db.connect()
    # In this database only: the role's cluster-wide settings (Supabase's 8 s, set by the shim) are other
    # databases' too, and a reset here would remove them for every later test.
    in_database = psycopg.sql.SQL("alter role authenticated in database {} ").format(
        psycopg.sql.Identifier(example_db.name)
    )
    conn.execute(in_database + psycopg.sql.SQL("set statement_timeout = '1s'"))
    pid = device.conn.info.backend_pid
    outcome: dict[str, Any] = {}

    def push() -> None:
        started = time.monotonic()
        try:
            device.push(changes)
            outcome["state"] = "ok"
        except RpcError as error:
            outcome["state"] = error.sqlstate
        outcome["ended"] = time.monotonic()
        outcome["took"] = outcome["ended"] - started

    worker = threading.Thread(target=push)
    worker.start()
    time.sleep(0.05)
    cancelled_at = time.monotonic()
    conn.execute("select pg_cancel_backend(%s)", (pid,))
    worker.join(30)
    conn.execute(in_database + psycopg.sql.SQL("reset statement_timeout"))
    assert not worker.is_alive()
    return outcome["took"], max(0.0, outcome["ended"] - cancelled_at), outcome["state"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(lambda: {"public.project": {"created": [_wide_row(100_000)]}}, id="100k-key row"),
        pytest.param(lambda: {"public.project": {"created": [_wide_row(200_000), _wide_row(200_000)]}}, id="2x200k"),
        pytest.param(
            lambda: {"public.project": {"created": [project(name="x" * 4000) for _ in range(2600)]}}, id="10 MB push"
        ),
    ],
)
def test_push_of_huge_input_ends_within_the_timeout_and_on_cancel(example_db: Any, alice: Device, owner, changes) -> None:
    # The bound is the acceptance point's (1 s statement timeout, cancel within 1 s),
    # with a margin for the client-side JSON encoding of a 10 MB document, which
    # happens before the statement starts: the push's own time is far below it.
    before = snapshot(owner)
    took, after_cancel, state = _timed_push_with_cancel(example_db, alice, changes())
    assert state in {"22023", "57014"}
    assert after_cancel < 1.0 + 1.0
    assert took < 1.0 + 3.0
    assert snapshot(owner) == before


# 11.13: service_role -----------------------------------------------------------------


@pytest.mark.parametrize("function", ["sync_pull", "sync_push", "pull_changes", "push_changes"])
def test_service_role_gets_a_clear_42501_from_the_rpcs(alice: Device, owner, function: str) -> None:
    args: dict[str, Any] = {
        "sync_pull": {},
        "sync_push": {"changes": {"public.project": {"created": [project()]}}},
        "pull_changes": {"collections": None, "last_pulled_at": None},
        "push_changes": {"_changes": {"public.project": {"created": [project()]}}, "last_pulled_at": None},
    }[function]
    before = snapshot(owner)
    for user_id in (None, alice.user_id):
        with pytest.raises(RpcError) as caught:
            rpc.call(alice.conn, function, args, user_id=user_id, role="service_role")
        assert caught.value.sqlstate == "42501"
        assert caught.value.message == f"supabase_sync: {function} acts for a signed-in user, not service_role"
    assert snapshot(owner) == before


# 11.8: id length ---------------------------------------------------------------------


@pytest.fixture
def notes(example_db: Any) -> str:
    """A synced table with text ids (public.note), enabled as the project owner would."""
    from supabase_sync import api

    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "create table public.note (id text primary key,"
            " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
            " body text)"
        )
    api.enable(["public.note"], db_url=example_db.owner_dsn, add_missing_columns=True)
    return "public.note"


@pytest.mark.parametrize("part", ["created", "updated", "deleted"])
def test_push_rejects_id_longer_than_max_id_bytes(alice: Device, owner, notes: str, part: str) -> None:
    long_id = "x" * 2690
    entry: Any = long_id if part == "deleted" else {"id": long_id, "body": "b"}
    before = snapshot(owner)
    error = alice.push_error({notes: {part: [entry]}})
    assert error.sqlstate == "22023"
    assert f"{notes} {part}[0] has an id of 2690 bytes, the limit max_id_bytes is 512" in error.message
    assert snapshot(owner) == before
    assert owner.execute("select count(*) from public.note").fetchone() == (0,)


def test_row_with_the_longest_allowed_id_can_be_hard_deleted(alice: Device, owner, notes: str) -> None:
    longest = "y" * 512
    alice.push({notes: {"created": [{"id": longest, "body": "b"}]}})
    owner.execute("delete from public.note where id = %s", (longest,))
    assert owner.execute("select count(*) from supabase_sync.tombstone where row_id = %s", (longest,)).fetchone() == (
        1,
    )


# 11.11: push_id reuse ------------------------------------------------------------------


def test_push_id_reused_with_a_different_payload_is_an_error_naming_it(alice: Device, owner) -> None:
    push_id = str(uuid.uuid4())
    first = project()
    response = alice.push({"public.project": {"created": [first]}}, push_id=push_id)
    assert alice.push({"public.project": {"created": [first]}}, push_id=push_id) == response
    before = snapshot(owner)
    error = alice.push_error({"public.project": {"created": [project()]}}, push_id=push_id)
    assert error.sqlstate == "22023"
    assert error.message == f"supabase_sync: sync_push: push_id {push_id} was already used for a different push"
    assert snapshot(owner) == before


def test_push_id_of_another_user_is_not_shared(alice: Device, bob: Device, owner) -> None:
    push_id = str(uuid.uuid4())
    alice.push({"public.project": {"created": [project()]}}, push_id=push_id)
    mine = project()
    response = bob.push({"public.project": {"created": [mine]}}, push_id=push_id)
    assert response["applied"]["public.project"]["created"] == 1
    _assert_nothing_of(alice, response)


# 11.12: ids by their type ---------------------------------------------------------------


def test_push_merges_one_uuid_in_two_letter_cases(alice: Device, owner) -> None:
    row_id = new_id()
    response = alice.push(
        {
            "public.project": {
                "created": [{"id": row_id.upper(), "name": "first", "color": "red"}],
                "updated": [{"id": row_id, "name": "second"}],
            }
        }
    )
    assert response["applied"]["public.project"] == {"created": 1, "updated": 0, "deleted": 0}
    stored = owner.execute("select name, color from public.project where id = %s", (row_id,)).fetchall()
    assert stored == [("second", "red")]


# 11.4: locks -------------------------------------------------------------------------------


def test_push_does_not_wait_for_a_foreign_key_check_of_another_transaction(example_db: Any, alice: Device) -> None:
    parent = project()
    alice.push({"public.project": {"created": [parent]}})
    holder = example_db.connect()
    holder.autocommit = False
    # What the FK check of an uncommitted insert referencing the row holds until commit.
    holder.execute("select 1 from public.project where id = %s for key share", (parent["id"],))
    outcome: dict[str, Any] = {}

    def push() -> None:
        outcome["response"] = alice.push({"public.project": {"updated": [{"id": parent["id"], "name": "renamed"}]}})

    worker = threading.Thread(target=push)
    worker.start()
    worker.join(5)  # generous: the push takes milliseconds when it does not wait
    finished = not worker.is_alive()
    holder.rollback()
    worker.join(30)
    assert finished, "the push waited for the key share lock"
    assert outcome["response"]["applied"]["public.project"]["updated"] == 1


def test_two_pushes_of_the_same_row_are_serialised(example_db: Any, alice: Device) -> None:
    parent = project()
    alice.push({"public.project": {"created": [parent]}})
    holder = example_db.connect()
    holder.autocommit = False
    holder.execute("select 1 from public.project where id = %s for no key update", (parent["id"],))
    worker = threading.Thread(
        target=lambda: alice.push({"public.project": {"updated": [{"id": parent["id"], "name": "later"}]}})
    )
    worker.start()
    worker.join(0.5)
    waited = worker.is_alive()
    holder.rollback()
    worker.join(30)
    assert waited


# 11.6: squatted ids -------------------------------------------------------------------------


def test_squatting_a_deleted_id_refuses_only_that_row_and_reveals_nothing(example_db: Any, alice: Device, bob: Device, owner) -> None:
    stale = Device(example_db.connect(), alice.user_id)
    squatted, unrelated = project(name="alice's"), project(name="unrelated")
    alice.push({"public.project": {"created": [squatted]}})
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (squatted["id"],))
    bob.push({"public.project": {"created": [{"id": squatted["id"], "name": "bob's now"}]}})
    bobs_row = owner.execute("select to_jsonb(t) from public.project as t where id = %s", (squatted["id"],)).fetchone()

    response = stale.push(
        {"public.project": {"created": [unrelated], "updated": [{"id": squatted["id"], "name": "edited offline"}]}}
    )
    assert response["applied"]["public.project"] == {"created": 1, "updated": 0, "deleted": 0}
    assert response["conflicts"] == [
        {"table": "public.project", "id": squatted["id"], "reason": "deleted on the server"}
    ]
    _assert_nothing_of(bob, {key: value for key, value in response.items() if key != "conflicts"})
    assert str(bob.user_id) not in json.dumps(response)
    assert owner.execute("select to_jsonb(t) from public.project as t where id = %s", (squatted["id"],)).fetchone() == bobs_row
    assert owner.execute("select user_id from public.project where id = %s", (unrelated["id"],)).fetchone() == (
        alice.user_id,
    )


# 11.3: foreign keys across owners -----------------------------------------------------------


def test_push_treats_a_parent_of_another_user_exactly_like_a_missing_parent(alice: Device, bob: Device, owner) -> None:
    # The example's keys include the owner (PostgreSQL answers); test_push_checks_single_column_parents_as_the_caller
    # covers a key without it (the push answers).
    alices = project(name="alice's")
    alice.push({"public.project": {"created": [alices]}})
    before = snapshot(owner)
    errors = {}
    for label, parent_id in (("foreign", alices["id"]), ("missing", new_id())):
        child = task(parent_id)
        error = bob.push_error({"public.task": {"created": [child]}})
        errors[label] = (
            error.sqlstate,
            error.status,
            _text(error).replace(parent_id, "<parent>").replace(child["id"], "<row>"),
        )
        assert snapshot(owner) == before
    assert errors["foreign"] == errors["missing"]
    # The example's tasks are scoped by their project: a project the caller cannot write is
    # answered like one that does not exist (docs/protocol.md "Sharing"), with 42501.
    assert errors["foreign"][0] == "42501"
    _assert_nothing_of(alice, errors["foreign"][2])
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        assert cur.execute("delete from public.project where id = %s", (alices["id"],)).rowcount == 1


def test_push_accepts_a_parent_created_in_the_same_push_or_earlier(alice: Device) -> None:
    parent, earlier = project(), project()
    alice.push({"public.project": {"created": [earlier]}})
    response = alice.push(
        {"public.project": {"created": [parent]}, "public.task": {"created": [task(parent["id"]), task(earlier["id"])]}}
    )
    assert response["applied"]["public.task"]["created"] == 2


# 11.14: TRUNCATE -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_api_roles_cannot_truncate_a_synced_table(alice: Device, bob: Device, owner, role: str) -> None:
    bob.push({"public.project": {"created": [project()]}})
    before = snapshot(owner)
    with pytest.raises(RpcError) as caught:
        with rpc.as_user(alice.conn, user_id=alice.user_id if role == "authenticated" else None, role=role) as cur:
            cur.execute("truncate public.project cascade")
    assert caught.value.sqlstate == "42501"
    assert snapshot(owner) == before


def test_status_reports_truncate_granted_to_an_api_role_and_enable_revokes_it(example_db: Any) -> None:
    from supabase_sync import api
    from supabase_sync.contract import check_registered_tables

    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute("grant truncate on public.task to authenticated")
        checks = {str(check.table): check for check in check_registered_tables(conn)}
    unmet = list(checks["public.task"].unmet)
    assert [verdict.key for verdict in unmet] == ["grants.no_truncate"]
    assert "authenticated may TRUNCATE public.task" in unmet[0].problem
    assert "revoke truncate on table" in unmet[0].fix_sql()
    api.enable(["public.task"], db_url=example_db.owner_dsn)
    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        assert all(check.passed for check in check_registered_tables(conn))


# 11.10: lww clocks ------------------------------------------------------------------------------


@pytest.mark.parametrize("updated_at", ["infinity", "294276-12-31T00:00:00Z", "2999-01-01T00:00:00Z"])
def test_lww_push_rejects_an_updated_at_beyond_the_clock_skew(alice: Device, bob: Device, owner, updated_at: str) -> None:
    owner.execute("update supabase_sync.synced_table set conflict_strategy = 'lww'")
    row = project()
    alice.push({"public.project": {"created": [row]}})
    before = snapshot(owner)
    error = alice.push_error(
        {"public.project": {"created": [project()], "updated": [{"id": row["id"], "name": "x", "updated_at": updated_at}]}}
    )
    assert error.sqlstate == "22023"
    assert f"row {row['id']} has updated_at" in error.message
    assert "max_clock_skew (00:05:00)" in error.message
    assert snapshot(owner) == before


def test_lww_push_accepts_an_updated_at_within_the_clock_skew(alice: Device, owner) -> None:
    owner.execute("update supabase_sync.synced_table set conflict_strategy = 'lww'")
    (soon,) = owner.execute("select (now() + interval '2 minutes')::text").fetchone()
    row = project(updated_at=soon)
    assert alice.push({"public.project": {"created": [row]}})["applied"]["public.project"]["created"] == 1


def test_push_checks_single_column_parents_as_the_caller(example_db: Any, alice: Device, bob: Device, owner) -> None:
    # An owner table whose single-column key points at another user's (scope) row: the push's own
    # parent check, as the caller under RLS, answers for it.
    from supabase_sync import api

    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "create table public.note (id uuid primary key,"
            " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
            " project_id uuid references public.project (id), body text)"
        )
    api.enable(["public.note"], db_url=example_db.owner_dsn, add_missing_columns=True)
    alices = project(name="alice's")
    alice.push({"public.project": {"created": [alices]}})
    before = snapshot(owner)
    errors = {}
    for label, parent_id in (("foreign", alices["id"]), ("missing", new_id())):
        child = {"id": new_id(), "project_id": parent_id, "body": "note"}
        error = bob.push_error({"public.note": {"created": [child]}})
        errors[label] = (error.sqlstate, _text(error).replace(parent_id, "<parent>").replace(child["id"], "<row>"))
        assert snapshot(owner) == before
    assert errors["foreign"] == errors["missing"]
    assert errors["foreign"][0] == "23503"
    assert "references public.project <parent>, which does not exist" in errors["foreign"][1]
    _assert_nothing_of(alice, errors["foreign"][1])


# 11.9: big numbers ------------------------------------------------------------------------------


@pytest.fixture
def amounts(example_db: Any) -> str:
    """A synced table with int8 and numeric columns (public.ledger)."""
    from supabase_sync import api

    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "create table public.ledger (id uuid primary key,"
            " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
            " big bigint, exact numeric, label text)"
        )
    api.enable(["public.ledger"], db_url=example_db.owner_dsn, add_missing_columns=True)
    return "public.ledger"


def _as_pulled(device: Device, table: str, row_id: str) -> dict[str, Any]:
    """The row as sync_pull sends it (from null: as created)."""
    page = device.pull(collections=[table])
    (doc,) = [row for row in page["changes"][table]["created"] if row["id"] == row_id]
    return doc


def test_big_numbers_round_trip_exactly_as_numbers_by_default_and_as_strings_when_chosen(
    alice: Device, owner, amounts: str
) -> None:
    row = {"id": new_id(), "big": "9007199254740993", "exact": "12345678901234567890.123456789", "label": "x"}
    alice.push({amounts: {"created": [row]}})
    stored = owner.execute("select big, exact::text from public.ledger where id = %s", (row["id"],)).fetchone()
    assert stored == (9007199254740993, "12345678901234567890.123456789")
    as_number = _as_pulled(alice, amounts, row["id"])
    assert as_number["big"] == 9007199254740993 and as_number["label"] == "x"
    owner.execute("update supabase_sync.synced_table set big_numbers = 'string' where relid = 'public.ledger'::regclass")
    as_string = _as_pulled(alice, amounts, row["id"])
    assert (as_string["big"], as_string["exact"]) == ("9007199254740993", "12345678901234567890.123456789")
    owner.execute("update supabase_sync.synced_table set big_numbers = null where relid = 'public.ledger'::regclass")
    owner.execute("update supabase_sync.meta set value = 'string' where key = 'big_numbers'")
    assert _as_pulled(alice, amounts, row["id"])["big"] == "9007199254740993"
    alice.push({amounts: {"updated": [{"id": row["id"], "big": as_string["big"]}]}})
    assert owner.execute("select big from public.ledger where id = %s", (row["id"],)).fetchone() == (9007199254740993,)


# 11.15: realtime ------------------------------------------------------------------------------------

# The part of Supabase Realtime the broadcast trigger uses: realtime.send(payload jsonb, event text,
# topic text, private boolean), which Realtime's own migrations define over realtime.messages. The stub
# records the calls (the local sandbox has no Realtime).
_REALTIME_STUB = """
create schema realtime;
create table realtime.sent (payload jsonb, event text, topic text, private boolean);
create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language sql as $$ insert into realtime.sent values (payload, event, topic, private) $$;
"""


def test_realtime_broadcast_tells_only_the_owner_and_only_the_row_id(example_db: Any, alice: Device, bob: Device, owner) -> None:
    from supabase_sync import api

    owner.execute(_REALTIME_STUB)
    api.enable(["public.project"], db_url=example_db.owner_dsn, realtime="broadcast")
    published = owner.execute(
        "select count(*) from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'project'"
    ).fetchone()
    assert published == (0,)  # Postgres Changes would send DELETE events (ids) to every subscriber
    row = project(name="secret name")
    alice.push({"public.project": {"created": [row]}})
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (row["id"],))
    sent = owner.execute("select payload, event, topic, private from realtime.sent order by event").fetchall()
    assert sent == [
        ({"table": "public.project", "id": row["id"]}, "delete", f"supabase_sync:{alice.user_id}", True),
        ({"table": "public.project", "id": row["id"]}, "insert", f"supabase_sync:{alice.user_id}", True),
    ]
    assert all(str(bob.user_id) not in topic for _payload, _event, topic, _private in sent)
    assert "secret name" not in json.dumps([payload for payload, *_ in sent])


def test_realtime_off_neither_publishes_nor_broadcasts(example_db: Any, alice: Device, owner) -> None:
    from supabase_sync import api

    owner.execute(_REALTIME_STUB)
    api.enable(["public.project"], db_url=example_db.owner_dsn, realtime="off")
    alice.push({"public.project": {"created": [project()]}})
    assert owner.execute("select count(*) from realtime.sent").fetchone() == (0,)
    assert owner.execute(
        "select count(*) from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'project'"
    ).fetchone() == (0,)
    assert owner.execute(
        "select realtime from supabase_sync.synced_table where relid = 'public.project'::regclass"
    ).fetchone() == ("off",)
