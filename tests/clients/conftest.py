"""Fixtures of the client tests: the example database served by the HTTP stand-in.

``stand_in`` serves the ``example_db`` of the test (the todo app: project,
task, doc_updates enabled for sync) at ``stand_in.url``, with an anon key and a
password sign-in; ``authenticator`` logs in as PostgREST does.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from http_endpoint import SupabaseStandIn
from psycopg import sql

from supabase_sync import api
from supabase_sync.sandbox.base import compose_url

#: What ``supabase_sync.purge`` needs to move the retention horizon past everything written so far.
JUST_NOW = dt.timedelta(microseconds=1)
#: Optional password of ``authenticator`` on a server this suite did not start (the url backend).
AUTHENTICATOR_PASSWORD_ENV_VAR = "SUPABASE_SYNC_TEST_AUTHENTICATOR_PASSWORD"


def authenticator_dsn(database: Any) -> str:
    """A DSN of ``database`` as ``authenticator``, the role PostgREST logs in as.

    Servers this suite started trust local connections or share one
    password; when ``authenticator`` cannot log in without one, it gets a
    fresh password here (never on a ``url`` server, which is someone else's:
    there it comes from $SUPABASE_SYNC_TEST_AUTHENTICATOR_PASSWORD).
    """
    box = database.sandbox
    address = box.address

    def dsn(password: str | None) -> str:
        return compose_url(host=address.host, port=address.port, user="authenticator", password=password, dbname=database.name)

    password = os.environ.get(AUTHENTICATOR_PASSWORD_ENV_VAR)
    try:
        psycopg.connect(dsn(password), connect_timeout=10).close()
        return dsn(password)
    except psycopg.OperationalError:
        if box.backend == "url":
            raise
    password = secrets.token_urlsafe(18)
    with psycopg.connect(database.superuser_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("alter role authenticator with login password {}").format(sql.Literal(password)))
    return dsn(password)


@pytest.fixture
def stand_in(example_db: Any) -> Iterator[SupabaseStandIn]:
    """The example database behind a Supabase-like HTTP API on 127.0.0.1.

    Hooks for Node scenarios: ``create_user`` (``{"name": ...}`` -> id, email,
    password to sign in with) and ``purge`` (everything deleted so far, so
    older cursors answer PT410).
    """
    server = SupabaseStandIn(authenticator_dsn=authenticator_dsn(example_db), admin_dsn=example_db.superuser_dsn)

    def purge(_body: dict[str, Any]) -> dict[str, Any]:
        report = api.purge(older_than=JUST_NOW, db_url=example_db.owner_dsn)
        return {"tombstones": report.tombstones, "rows": report.rows}

    def create_user(body: dict[str, Any]) -> dict[str, Any]:
        email = f"{body.get('name', 'user')}-{uuid.uuid4().hex[:8]}@example.test"
        password = secrets.token_urlsafe(12)
        return {"id": str(server.create_user(email, password)), "email": email, "password": password}

    server.hooks["purge"] = purge
    server.hooks["create_user"] = create_user
    with server:
        yield server
