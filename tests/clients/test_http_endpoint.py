"""The HTTP stand-in answers like PostgREST behind Supabase's gateway, raw HTTP seen.

Each test sends the request a supabase client sends (``apikey`` and
``Authorization: Bearer`` headers, a JSON object body) and checks what
PostgREST would answer: the role, the transaction, the status and the body.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from http_endpoint import SupabaseStandIn, sign_jwt, verify_jwt, JwtRejected

FUNCTIONS = """
create sequence public.counter;

create function public.whoami()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'uid', auth.uid(), 'current_user', current_user, 'session_user', session_user,
        'timeout', current_setting('statement_timeout'),
        'read_only', current_setting('transaction_read_only'),
        'path', current_setting('request.path'),
        'apikey_header', current_setting('request.headers')::jsonb ->> 'apikey' is not null,
        'txid', pg_current_xact_id_if_assigned()
    )
$$;

create function public.add_up(a integer, b integer default 10)
returns integer
language sql
immutable
set search_path = ''
as $$ select a + b $$;

create function public.nap(seconds double precision)
returns void
language sql
volatile
set search_path = ''
as $$ select pg_sleep(seconds) $$;

create function public.counter_next()
returns bigint
language sql
stable
set search_path = ''
as $$ select nextval('public.counter') $$;

create function public.transaction_id()
returns text
language sql
volatile
set search_path = ''
as $$ select pg_current_xact_id()::text $$;
"""


@pytest.fixture
def served(stand_in: SupabaseStandIn, example_db: Any) -> SupabaseStandIn:
    with example_db.connect() as conn:
        conn.execute(FUNCTIONS)
    return stand_in


def post(
    stand_in: SupabaseStandIn,
    function: str,
    body: Any = None,
    *,
    token: str | None = None,
    apikey: str | None = "anon",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """POST to /rest/v1/rpc/<function> as supabase-js does; return status, headers and decoded body."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if apikey is not None:
        sent["apikey"] = stand_in.anon_key if apikey == "anon" else apikey
        sent["Authorization"] = f"Bearer {token or sent['apikey']}"
    data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(f"{stand_in.url}/rest/v1/rpc/{function}", data=data, headers=sent, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, dict(response.headers.items()), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, dict(error.headers.items()), json.loads(raw) if raw else None


def test_a_user_token_runs_the_call_as_authenticated_logged_in_as_authenticator(served, example_db):
    user = example_db.create_user()
    status, _headers, body = post(served, "whoami", {}, token=served.user_token(user))
    assert status == 200
    assert body["uid"] == str(user)
    assert (body["current_user"], body["session_user"]) == ("authenticated", "authenticator")
    assert body["path"] == "/rpc/whoami"
    assert body["apikey_header"] is True


def test_the_anon_key_alone_runs_the_call_as_anon_with_anon_settings(served):
    status, _headers, body = post(served, "whoami", {})
    assert status == 200
    assert (body["uid"], body["current_user"], body["timeout"]) == (None, "anon", "3s")


def test_a_stable_function_runs_in_a_read_only_transaction(served, example_db):
    user = example_db.create_user()
    token = served.user_token(user)
    assert post(served, "whoami", {}, token=token)[2]["read_only"] == "on"
    status, _headers, body = post(served, "counter_next", {}, token=token)
    assert (status, body["code"]) == (405, "25006")


def test_the_role_s_statement_timeout_applies_per_request(served, example_db):
    with example_db.connect(superuser=True) as conn:
        conn.execute(f'alter role authenticated in database "{example_db.name}" set statement_timeout = \'200ms\'')
    token = served.user_token(example_db.create_user())
    status, _headers, body = post(served, "nap", {"seconds": 2}, token=token)
    assert (status, body["code"]) == (500, "57014")
    assert post(served, "whoami", {}, token=token)[2]["timeout"] == "200ms"


def test_named_arguments_defaults_and_a_void_function(served, example_db):
    token = served.user_token(example_db.create_user())
    assert post(served, "add_up", {"b": 2, "a": 40}, token=token)[:3:2] == (200, 42)
    assert post(served, "add_up", {"a": 1}, token=token)[2] == 11
    assert post(served, "nap", {"seconds": 0}, token=token)[0] == 204


def test_unknown_function_or_argument_answers_pgrst202(served):
    status, _headers, body = post(served, "add_up", {"a": 1, "c": 2})
    assert (status, body["code"]) == (404, "PGRST202")
    assert body["message"] == "Could not find the function public.add_up(a, c) in the schema cache"
    assert set(body) == {"code", "message", "details", "hint"}


def test_errors_carry_postgrest_s_body_and_the_sqlstate_s_status(served, example_db):
    # sync_pull as anon: permission denied, 401 with a Bearer challenge.
    status, headers, body = post(served, "sync_pull", {})
    assert (status, body["code"]) == (401, "42501")
    assert headers["WWW-Authenticate"] == "Bearer"
    assert set(body) == {"code", "message", "details", "hint"}
    # A bad argument value as a user: 22P02, 400.
    status, _headers, body = post(served, "add_up", {"a": "many"}, token=served.user_token(example_db.create_user()))
    assert (status, body["code"]) == (400, "22P02")


def test_the_gateway_refuses_requests_without_a_project_key(served):
    status, _headers, body = post(served, "whoami", {}, apikey=None)
    assert (status, body) == (401, {"message": "No API key found in request"})
    status, _headers, body = post(served, "whoami", {}, apikey="not-a-key")
    assert (status, body) == (401, {"message": "Invalid API key"})


def test_tokens_postgrest_refuses(served):
    expired = sign_jwt({"sub": str(uuid.uuid4()), "role": "authenticated", "exp": int(time.time()) - 10}, served.jwt_secret)
    forged = sign_jwt({"sub": str(uuid.uuid4()), "role": "service_role"}, "another secret")
    unknown_role = sign_jwt({"sub": str(uuid.uuid4()), "role": "superuser_please"}, served.jwt_secret)
    assert post(served, "whoami", {}, token=expired)[:3:2] == (
        401,
        {"code": "PGRST303", "message": "JWT expired", "details": None, "hint": None},
    )
    status, headers, body = post(served, "whoami", {}, token=forged)
    assert (status, body["code"]) == (401, "PGRST301")
    assert headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert post(served, "whoami", {}, token="a.b")[2]["message"] == "Expected 3 parts in JWT; got 2"
    # A role the database does not have: PostgREST's special case of 22023, a 401.
    status, _headers, body = post(served, "whoami", {}, token=unknown_role)
    assert (status, body["code"]) == (401, "22023")


def test_a_schema_that_is_not_exposed_is_refused(served):
    status, _headers, body = post(served, "purge", {}, headers={"Content-Profile": "supabase_sync"})
    assert (status, body["code"]) == (406, "PGRST106")
    assert body["hint"] == "Only the following schemas are exposed: public, graphql_public"


def test_a_body_that_is_not_a_json_object_is_pgrst102(served):
    assert post(served, "whoami", b"[1, 2")[2]["code"] == "PGRST102"


def test_each_call_is_its_own_transaction(served, example_db):
    token = served.user_token(example_db.create_user())
    first, second = (post(served, "transaction_id", {}, token=token)[2] for _ in range(2))
    assert first != second
    # A read-only call never writes, so it gets no transaction id at all.
    assert post(served, "whoami", {}, token=token)[2]["txid"] is None


def test_jwt_helpers_round_trip_and_reject_tampering():
    token = sign_jwt({"sub": "x", "role": "anon"}, "s")
    assert verify_jwt(token, "s") == {"sub": "x", "role": "anon"}
    header, payload, signature = token.split(".")
    with pytest.raises(JwtRejected):
        verify_jwt(f"{header}.{payload[:-2]}xx.{signature}", "s")
