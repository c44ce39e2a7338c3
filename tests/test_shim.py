"""The Supabase shim gives a plain PostgreSQL what a hosted Supabase project has."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from supabase_sync import rpc
from supabase_sync.errors import SandboxError
from supabase_sync.sandbox import shim


def _one(conn: psycopg.Connection, query: str, params: tuple = ()) -> tuple:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row


def test_api_roles_have_supabase_attributes(fresh_db):
    with fresh_db.connect() as conn:
        rows = conn.execute(
            "select rolname, rolcanlogin, rolinherit, rolbypassrls, rolsuper from pg_roles "
            "where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname"
        ).fetchall()
    assert rows == [
        ("anon", False, False, False, False),
        ("authenticated", False, False, False, False),
        ("authenticator", True, False, False, False),
        ("service_role", False, False, True, False),
    ]


def test_authenticator_may_become_each_api_role(fresh_db):
    with fresh_db.connect() as conn:
        members = conn.execute(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
            "where m.member = 'authenticator'::regrole order by 1"
        ).fetchall()
    assert members == [("anon",), ("authenticated",), ("service_role",)]


def test_owner_is_a_non_superuser_that_owns_the_database_and_public(fresh_db):
    owner = fresh_db.sandbox.owner_role
    with fresh_db.connect() as conn:
        assert _one(conn, "select current_user, rolsuper from pg_roles where rolname = current_user") == (
            owner,
            False,
        )
        assert _one(conn, "select pg_get_userbyid(datdba) from pg_database where datname = current_database()") == (
            owner,
        )
        assert _one(conn, "select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'public'") == (owner,)


def test_owner_cannot_do_what_only_a_superuser_can(fresh_db):
    with fresh_db.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("alter system set work_mem = '8MB'")


def test_owner_may_use_auth_and_reference_auth_users(fresh_db):
    user = fresh_db.create_user()
    with fresh_db.connect() as conn:
        conn.execute(
            "create table public.profile (user_id uuid primary key references auth.users (id) on delete cascade)"
        )
        conn.execute("insert into public.profile values (%s)", (user,))
        assert _one(conn, "select count(*) from auth.users where id = %s", (user,)) == (1,)


def test_auth_functions_read_request_jwt_claims(fresh_db):
    user = uuid.uuid4()
    with fresh_db.connect() as conn, rpc.as_user(conn, user_id=user, claims={"email": "e@example.test"}) as cur:
        cur.execute("select auth.uid(), auth.role(), auth.email(), auth.jwt()")
        uid, role, email, jwt = cur.fetchone()
    assert (uid, role, email) == (user, "authenticated", "e@example.test")
    assert jwt["sub"] == str(user)
    assert jwt["aud"] == "authenticated"


def test_auth_functions_read_the_legacy_per_claim_settings(fresh_db):
    # Older PostgREST versions published each claim as request.jwt.claim.<name>;
    # rpc reproduces today's PostgREST, so this one check sets them itself.
    user = uuid.uuid4()
    with fresh_db.connect() as conn, conn.transaction():
        conn.execute(
            "select set_config('request.jwt.claim.sub', %s, true), "
            "set_config('request.jwt.claim.role', 'authenticated', true), "
            "set_config('request.jwt.claim.email', 'old@example.test', true), "
            "set_config('request.jwt.claim', %s, true)",
            (str(user), json.dumps({"sub": str(user)})),
        )
        row = _one(conn, "select auth.uid(), auth.role(), auth.email(), auth.jwt() ->> 'sub'")
    assert row == (user, "authenticated", "old@example.test", str(user))


def test_auth_functions_return_null_without_claims(fresh_db):
    with fresh_db.connect() as conn:
        assert _one(conn, "select auth.uid(), auth.role(), auth.email(), auth.jwt()") == (None, None, None, None)


def test_default_privileges_grant_owner_objects_to_api_roles(fresh_db):
    with fresh_db.connect() as conn:
        conn.execute("create table public.thing (id bigint generated always as identity primary key)")
        conn.execute("create function public.answer() returns int language sql as 'select 42'")
        conn.execute("create sequence public.counter")
        for role in ("anon", "authenticated", "service_role"):
            assert _one(
                conn,
                "select has_table_privilege(%s, 'public.thing', 'select, insert, update, delete'), "
                "has_function_privilege(%s, 'public.answer()', 'execute'), "
                "has_sequence_privilege(%s, 'public.counter', 'usage'), "
                "has_schema_privilege(%s, 'public', 'usage'), "
                "has_schema_privilege(%s, 'auth', 'usage')",
                (role,) * 5,
            ) == (True, True, True, True, True)


def test_realtime_publication_exists_empty_and_owner_can_add_tables(fresh_db):
    with fresh_db.connect() as conn:
        assert _one(
            conn,
            "select pg_get_userbyid(pubowner), puballtables from pg_publication where pubname = 'supabase_realtime'",
        ) == (fresh_db.sandbox.owner_role, False)
        assert _one(conn, "select count(*) from pg_publication_tables where pubname = 'supabase_realtime'") == (0,)
        conn.execute("create table public.live (id int primary key)")
        conn.execute("alter publication supabase_realtime add table public.live")
        assert _one(conn, "select tablename from pg_publication_tables where pubname = 'supabase_realtime'") == (
            "live",
        )


def test_api_roles_carry_supabase_settings(fresh_db):
    with fresh_db.connect() as conn:
        settings = dict(
            conn.execute(
                "select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
                "where s.setdatabase = 0"
            ).fetchall()
        )
    assert "pgrst.db_schemas=public, graphql_public" in settings["authenticator"]
    assert "statement_timeout=8s" in settings["authenticated"]
    assert "statement_timeout=3s" in settings["anon"]


def test_rls_applies_to_authenticated_but_not_to_service_role(fresh_db):
    ann, bob = fresh_db.create_users(2)
    with fresh_db.connect() as conn:
        conn.execute(
            "create table public.diary (id serial primary key, user_id uuid not null, line text);"
            "alter table public.diary enable row level security;"
            "create policy own on public.diary to authenticated using ((select auth.uid()) = user_id) "
            "with check ((select auth.uid()) = user_id);"
        )
        with rpc.as_user(conn, user_id=ann) as cur:
            cur.execute("insert into public.diary (user_id, line) values (%s, 'dear diary')", (ann,))
        with rpc.as_user(conn, user_id=bob) as cur:
            cur.execute("select count(*) from public.diary")
            assert cur.fetchone() == (0,)
            cur.execute("update public.diary set line = 'defaced'")
            assert cur.rowcount == 0
        with rpc.as_user(conn) as cur:
            cur.execute("select count(*) from public.diary")
            assert cur.fetchone() == (0,)
        with rpc.as_user(conn, role="service_role") as cur:
            cur.execute("select line from public.diary")
            assert cur.fetchall() == [("dear diary",)]


def test_shim_is_idempotent(fresh_db):
    def snapshot(conn: psycopg.Connection) -> tuple:
        return _one(
            conn,
            "select (select count(*) from pg_roles), (select count(*) from pg_proc where pronamespace = 'auth'::regnamespace), "
            "(select count(*) from pg_class where relnamespace = 'auth'::regnamespace), "
            "(select count(*) from pg_publication), (select count(*) from pg_default_acl)",
        )

    with fresh_db.connect(superuser=True) as conn:
        before = snapshot(conn)
    shim.apply_cluster_shim(fresh_db.superuser_dsn, owner_role=fresh_db.sandbox.owner_role)
    shim.apply_database_shim(fresh_db.superuser_dsn, owner_role=fresh_db.sandbox.owner_role)
    with fresh_db.connect(superuser=True) as conn:
        assert snapshot(conn) == before


def test_cluster_shim_refuses_a_superuser_as_owner(fresh_db):
    superuser = fresh_db.sandbox.address.superuser
    with pytest.raises(SandboxError, match="is a superuser"):
        shim.apply_cluster_shim(fresh_db.superuser_dsn, owner_role=superuser)
