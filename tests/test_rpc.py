"""supabase_sync.rpc reproduces PostgREST's per-request transaction and error mapping."""

from __future__ import annotations

import uuid

import pytest

from supabase_sync import rpc
from supabase_sync.rpc import RpcError

NOTE_TABLE = """
create table public.note (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references auth.users (id),
    body text not null
);
alter table public.note enable row level security;
create policy "owner reads" on public.note for select to authenticated
    using ((select auth.uid()) = user_id);
create policy "owner writes" on public.note for insert to authenticated
    with check ((select auth.uid()) = user_id);
"""

FUNCTIONS = """
create function public.whoami()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'uid', auth.uid(), 'role', auth.role(), 'email', auth.email(),
        'current_user', current_user, 'jwt_role', auth.jwt() ->> 'role',
        'search_path', current_setting('search_path'),
        'timeout', current_setting('statement_timeout')
    )
$$;

create function public.echo(
    a_text text, an_int bigint default 0, some_ids uuid[] default null,
    a_doc jsonb default null, a_time timestamptz default null
)
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select jsonb_build_object(
        'a_text', a_text, 'an_int', an_int, 'some_ids', some_ids,
        'a_doc', a_doc, 'a_time', a_time
    )
$$;

create function public.fail_with(code text, msg text)
returns void
language plpgsql
set search_path = ''
as $$
begin
    raise exception using errcode = code, message = msg, detail = 'the detail', hint = 'the hint';
end
$$;

create function public.add_note(note_body text)
returns uuid
language sql
set search_path = ''
as $$
    insert into public.note (user_id, body) values (auth.uid(), note_body) returning id
$$;

create function public.note_bodies()
returns setof text
language sql
stable
set search_path = ''
as $$
    select body from public.note order by body
$$;

create function public.touch()
returns void
language sql
set search_path = ''
as $$
    select 1
$$;
"""


@pytest.fixture
def api_db(fresh_db):
    with fresh_db.connect() as conn:
        conn.execute(NOTE_TABLE)
        conn.execute(FUNCTIONS)
    return fresh_db


def test_call_sets_role_claims_search_path_and_role_settings(api_db):
    user = api_db.create_user(email="ann@example.test")
    with api_db.connect() as conn:
        result = rpc.call(conn, "whoami", user_id=user, claims={"email": "ann@example.test"})
    assert result["uid"] == str(user)
    assert result["role"] == "authenticated"
    assert result["jwt_role"] == "authenticated"
    assert result["email"] == "ann@example.test"
    assert result["current_user"] == "authenticated"
    # The function's own "set search_path" wins inside it; the request's shows outside.
    assert result["timeout"] == "8s"


def test_anon_gets_null_uid(api_db):
    with api_db.connect() as conn:
        result = rpc.call(conn, "whoami")
    assert result["uid"] is None
    assert result["role"] == "anon"
    assert result["current_user"] == "anon"
    assert result["timeout"] == "3s"


def test_request_search_path_is_schema_then_extensions(api_db):
    with api_db.connect() as conn, rpc.as_user(conn, user_id=uuid.uuid4()) as cur:
        cur.execute("select current_setting('search_path'), current_user")
        assert cur.fetchone() == ("public, extensions", "authenticated")


def test_settings_do_not_outlive_the_request(api_db):
    with api_db.connect() as conn:
        rpc.call(conn, "whoami", user_id=uuid.uuid4())
        row = conn.execute(
            "select current_user, coalesce(current_setting('request.jwt.claims', true), '')"
        ).fetchone()
    assert row == (api_db.sandbox.owner_role, "")


def test_call_passes_named_arguments_cast_to_declared_types(api_db):
    ids = [uuid.uuid4(), uuid.uuid4()]
    with api_db.connect() as conn:
        result = rpc.call(
            conn,
            "echo",
            {
                "a_text": "hi",
                "an_int": 2**40,
                "some_ids": ids,
                "a_doc": {"k": [1, 2]},
                "a_time": "2024-01-02T03:04:05Z",
            },
            user_id=uuid.uuid4(),
        )
    assert result == {
        "a_text": "hi",
        "an_int": 2**40,
        "some_ids": [str(i) for i in ids],
        "a_doc": {"k": [1, 2]},
        "a_time": "2024-01-02T03:04:05+00:00",
    }


def test_call_leaves_out_arguments_not_given_so_defaults_apply(api_db):
    with api_db.connect() as conn:
        result = rpc.call(conn, "echo", {"a_text": "x"}, user_id=uuid.uuid4())
    assert result["an_int"] == 0
    assert result["some_ids"] is None


def test_call_returns_sets_as_json_arrays_and_void_as_none(api_db):
    user = api_db.create_user()
    with api_db.connect() as conn:
        rpc.call(conn, "add_note", {"note_body": "b"}, user_id=user)
        rpc.call(conn, "add_note", {"note_body": "a"}, user_id=user)
        assert rpc.call(conn, "note_bodies", user_id=user) == ["a", "b"]
        assert rpc.call(conn, "note_bodies", user_id=uuid.uuid4()) == []
        assert rpc.call(conn, "touch", user_id=user) is None


def test_call_commits_on_success(api_db):
    user = api_db.create_user()
    with api_db.connect() as conn:
        note_id = rpc.call(conn, "add_note", {"note_body": "kept"}, user_id=user)
    with api_db.connect(superuser=True) as conn:
        assert conn.execute("select body from public.note where id = %s", (note_id,)).fetchone() == ("kept",)


@pytest.mark.parametrize(
    ("code", "role", "status"),
    [
        ("P0001", "authenticated", 400),
        ("PT409", "authenticated", 409),
        ("PT410", "authenticated", 410),
        ("22023", "authenticated", 400),
        ("22P02", "authenticated", 400),
        ("42501", "authenticated", 403),
        ("42501", "anon", 401),
        ("23505", "authenticated", 409),
    ],
)
def test_error_carries_sqlstate_status_detail_and_hint(api_db, code, role, status):
    # anon may execute public functions by default, as on Supabase.
    with api_db.connect() as conn, pytest.raises(RpcError) as raised:
        rpc.call(conn, "fail_with", {"code": code, "msg": "supabase_sync: nope"}, role=role)
    error = raised.value
    assert (error.status, error.sqlstate) == (status, code)
    assert error.message == "supabase_sync: nope"
    assert error.detail == "the detail"
    assert error.hint == "the hint"


def test_error_rolls_back_the_request(api_db):
    user = api_db.create_user()
    with api_db.connect() as conn:
        with pytest.raises(RpcError), rpc.as_user(conn, user_id=user) as cur:
            cur.execute("insert into public.note (user_id, body) values (%s, 'lost')", (user,))
            cur.execute("select 1 / 0")
        assert conn.execute("select count(*) from public.note").fetchone() == (0,)


def test_rls_hides_other_users_rows_from_authenticated(api_db):
    ann, bob = api_db.create_users(2)
    with api_db.connect() as conn:
        rpc.call(conn, "add_note", {"note_body": "ann's"}, user_id=ann)
        with rpc.as_user(conn, user_id=bob) as cur:
            cur.execute("select count(*) from public.note")
            assert cur.fetchone() == (0,)
        with rpc.as_user(conn, user_id=ann) as cur:
            cur.execute("select body from public.note")
            assert cur.fetchall() == [("ann's",)]


def test_rls_rejects_writing_a_row_for_another_user_with_403(api_db):
    ann, bob = api_db.create_users(2)
    with api_db.connect() as conn, pytest.raises(RpcError) as raised:
        with rpc.as_user(conn, user_id=bob) as cur:
            cur.execute("insert into public.note (user_id, body) values (%s, 'forged')", (ann,))
    assert (raised.value.status, raised.value.sqlstate) == (403, "42501")


def test_service_role_bypasses_rls(api_db):
    ann = api_db.create_user()
    with api_db.connect() as conn:
        rpc.call(conn, "add_note", {"note_body": "x"}, user_id=ann)
        with rpc.as_user(conn, role="service_role") as cur:
            cur.execute("select count(*) from public.note")
            assert cur.fetchone() == (1,)


def test_unknown_function_or_argument_is_404_like_postgrest(api_db):
    with api_db.connect() as conn:
        with pytest.raises(RpcError) as missing:
            rpc.call(conn, "no_such_function", user_id=uuid.uuid4())
        with pytest.raises(RpcError) as wrong_argument:
            rpc.call(conn, "echo", {"not_a_parameter": 1}, user_id=uuid.uuid4())
    assert (missing.value.status, missing.value.sqlstate) == (404, "PGRST202")
    assert wrong_argument.value.status == 404


def test_call_refuses_a_connection_inside_a_transaction(api_db):
    with api_db.connect() as conn:
        conn.autocommit = False
        conn.execute("select 1")
        with pytest.raises(RuntimeError, match="not inside a transaction"):
            rpc.call(conn, "whoami")


def test_nonexistent_role_is_401_like_postgrest(api_db):
    with api_db.connect() as conn, pytest.raises(RpcError) as raised:
        rpc.call(conn, "whoami", role="no_such_role")
    assert raised.value.status == 401


@pytest.mark.parametrize(
    ("sqlstate", "authenticated", "status"),
    [
        ("P0001", True, 400),
        ("P0002", True, 500),
        ("42501", False, 401),
        ("42501", True, 403),
        ("23505", True, 409),
        ("23503", True, 409),
        ("23502", True, 400),
        ("42883", True, 404),
        ("42P01", True, 404),
        ("42P17", True, 500),
        ("PT409", True, 409),
        ("PT410", True, 410),
        ("PTXYZ", True, 500),
        ("22023", True, 400),
        ("22P02", True, 400),
        ("08006", True, 503),
        ("25006", True, 405),
        ("40001", True, 500),
        ("53400", True, 500),
        ("53200", True, 503),
        ("57014", True, 500),
        ("XX000", True, 500),
        ("0P000", True, 403),
        ("28000", True, 403),
    ],
)
def test_http_status_follows_postgrest_table(sqlstate, authenticated, status):
    assert rpc.http_status(sqlstate, authenticated=authenticated) == status


def test_stable_function_runs_read_only_like_postgrest(api_db):
    user = api_db.create_user()
    with api_db.connect() as conn:
        # A STABLE function is called in a READ ONLY transaction, so a write
        # it hides (here nextval) fails with 405, as through PostgREST.
        conn.execute(
            "create sequence public.counter; create function public.next_number() returns bigint "
            "language sql stable set search_path = '' as $$ select nextval('public.counter') $$"
        )
        with pytest.raises(RpcError) as raised:
            rpc.call(conn, "next_number", user_id=user)
    assert (raised.value.status, raised.value.sqlstate) == (405, "25006")


def test_as_user_read_only_behaves_like_get(api_db):
    user = api_db.create_user()
    with api_db.connect() as conn, pytest.raises(RpcError) as raised:
        with rpc.as_user(conn, user_id=user, read_only=True) as cur:
            cur.execute("insert into public.note (user_id, body) values (%s, 'x')", (user,))
    assert raised.value.status == 405


def test_call_notices_a_function_recreated_with_other_parameter_types(api_db):
    with api_db.connect() as conn:
        conn.execute(
            "create function public.twice(n int) returns int language sql immutable "
            "set search_path = '' as 'select n * 2'"
        )
        assert rpc.call(conn, "twice", {"n": 21}) == 42
        conn.execute(
            "drop function public.twice(int); create function public.twice(n text) returns text "
            "language sql immutable set search_path = '' as 'select n || n'"
        )
        assert rpc.call(conn, "twice", {"n": "ab"}) == "abab"


def test_raise_sqlstate_pgrst_takes_status_and_body_from_its_json_like_postgrest(api_db):
    # PostgREST's "RAISE SQLSTATE 'PGRST'": the message is the JSON error body,
    # the detail the JSON status and headers. rpc.http_status used to give it 400.
    with api_db.connect() as conn:
        conn.execute(
            """
            create function public.pay_first() returns void language plpgsql set search_path = '' as $$
            begin
                raise sqlstate 'PGRST' using
                    message = '{"code": "123", "message": "Payment Required", "details": "Quota exceeded", '
                        '"hint": "Upgrade your plan"}',
                    detail = '{"status": 402, "headers": {"X-Powered-By": "Nerd Rage"}}';
            end
            $$
            """
        )
        with pytest.raises(RpcError) as raised:
            rpc.call(conn, "pay_first", user_id=uuid.uuid4())
    error = raised.value
    assert (error.status, error.sqlstate) == (402, "123")
    assert error.to_json() == {
        "code": "123",
        "message": "Payment Required",
        "details": "Quota exceeded",
        "hint": "Upgrade your plan",
    }
    assert error.headers == {"X-Powered-By": "Nerd Rage"}


def test_http_status_of_a_pgrst_raise_comes_from_its_detail():
    body = '{"code": "123", "message": "Payment Required"}'
    assert rpc.http_status("PGRST", authenticated=True, message=body, detail='{"status": 402, "headers": {}}') == 402
    # An unparsable message or detail is PostgREST's PGRST121, a 500.
    assert rpc.http_status("PGRST", authenticated=True, message=body, detail="not json") == 500
    assert rpc.http_status("PGRST", authenticated=True, message="x", detail='{"status": 402, "headers": {}}') == 500


def test_rpc_error_is_the_error_hierarchy_s_and_rpc_re_exports_it():
    from supabase_sync import errors

    assert rpc.RpcError is errors.RpcError
    assert issubclass(errors.RpcError, errors.SupabaseSyncError)


def test_respond_answers_like_postgrest_200_json_204_void_and_error_bodies(api_db):
    user = api_db.create_user()
    with api_db.connect() as conn:
        created = rpc.respond(conn, rpc.user_request("add_note", {"note_body": "x"}, user_id=user))
        void = rpc.respond(conn, rpc.user_request("touch", user_id=user))
        failed = rpc.respond(conn, rpc.user_request("fail_with", {"code": "42501", "msg": "no"}))
    assert created.status == 200 and isinstance(created.json(), str)
    assert (void.status, void.body) == (204, b"")
    assert failed.status == 401
    assert failed.headers["WWW-Authenticate"] == "Bearer"
    assert failed.json() == {"code": "42501", "message": "no", "details": "the detail", "hint": "the hint"}


def test_a_request_runs_as_the_role_of_its_jwt_claims(api_db):
    with api_db.connect() as conn:
        as_anon = rpc.execute(conn, rpc.Request("whoami"))
        as_service = rpc.execute(conn, rpc.Request("whoami", claims={"role": "service_role"}))
    assert (as_anon["current_user"], as_service["current_user"]) == ("anon", "service_role")
