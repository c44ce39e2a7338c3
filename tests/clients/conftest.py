"""Fixtures of the client tests: the example database served by the HTTP stand-in.

``stand_in`` serves the ``example_db`` of the test (the todo app: project,
task, doc_updates enabled for sync) at ``stand_in.url``, with an anon key and a
password sign-in; ``authenticator`` logs in as PostgREST does.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from http_endpoint import SupabaseStandIn
from psycopg import sql

from supabase_sync import api
from supabase_sync.sandbox.base import compose_url

REPO_ROOT = Path(__file__).resolve().parents[2]
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
    """The example database behind a Supabase-like HTTP API on 127.0.0.1, with a ``purge`` hook."""
    server = SupabaseStandIn(authenticator_dsn=authenticator_dsn(example_db), admin_dsn=example_db.superuser_dsn)

    def purge(_body: dict[str, Any]) -> dict[str, Any]:
        report = api.purge(older_than=JUST_NOW, db_url=example_db.owner_dsn)
        return {"tombstones": report.tombstones, "rows": report.rows}

    server.hooks["purge"] = purge
    with server:
        yield server


def node_or_skip() -> str:
    """The ``node`` executable; skips the test when Node.js is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (node not on PATH); .ci/run installs it with the npm packages")
    return node


def node_packages_or_skip(project: Path) -> None:
    """Skip unless ``npm ci`` installed ``project``'s locked packages (``.ci/run`` does)."""
    if not (project / "node_modules" / ".package-lock.json").is_file():
        pytest.skip(
            f"the npm packages of {project.relative_to(REPO_ROOT)} are not installed: "
            f"run `npm ci --prefix {project.relative_to(REPO_ROOT)}` (.ci/run does)"
        )


def run_node(script: Path, *, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a Node.js ES module from its package folder; fail the test with its output when it fails."""
    node = node_or_skip()
    completed = subprocess.run(
        [node, str(script)],
        cwd=script.parent,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"{script.relative_to(REPO_ROOT)} exited with {completed.returncode}\n"
            f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}",
            pytrace=False,
        )
    return completed
