"""Shared fixtures: one throwaway PostgreSQL per test session, one database per test.

- ``sandbox`` (session): the server, started by ``supabase_sync.sandbox.start``
  with the backend named by ``SUPABASE_SYNC_TEST_BACKEND`` (default "auto";
  "url" takes the server from ``SUPABASE_SYNC_TEST_DB_URL``).
- ``fresh_db``: a database with only the Supabase shim.
- ``installed_db``: ``fresh_db`` + the sync pack (``supabase_sync.api.install``).
- ``example_db``: ``fresh_db`` + every migration of ``examples/todo/supabase/migrations``.

Each database is cloned from a per-session template (CREATE DATABASE ...
TEMPLATE) built the first time a test asks for it, and dropped after the
test. Tests act as users through ``supabase_sync.rpc`` only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from supabase_sync import sandbox as sandbox_module
from supabase_sync.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_MIGRATIONS = REPO_ROOT / "examples" / "todo" / "supabase" / "migrations"
BACKEND_ENV_VAR = "SUPABASE_SYNC_TEST_BACKEND"
DB_URL_ENV_VAR = "SUPABASE_SYNC_TEST_DB_URL"


@dataclass
class TestDatabase:
    """One database of the session's sandbox, owned by the sandbox's owner role."""

    __test__ = False  # not a test class, despite its name

    name: str
    sandbox: Sandbox
    _connections: list[psycopg.Connection] = field(default_factory=list, repr=False)

    @property
    def owner_dsn(self) -> str:
        """DSN of this database as the project owner (what installs and migrations use)."""
        return self.sandbox.dsn(self.name)

    @property
    def superuser_dsn(self) -> str:
        """DSN of this database as the superuser (for inspection a test cannot do otherwise)."""
        return self.sandbox.dsn(self.name, superuser=True)

    def connect(self, *, superuser: bool = False) -> psycopg.Connection:
        """Open an autocommit connection as the owner (or superuser); closed after the test."""
        conn = psycopg.connect(self.superuser_dsn if superuser else self.owner_dsn, autocommit=True)
        self._connections.append(conn)
        return conn

    def create_user(self, *, email: str | None = None, user_id: uuid.UUID | None = None) -> uuid.UUID:
        """Insert a user into ``auth.users`` (as GoTrue would on sign-up) and return its id."""
        new_id = user_id or uuid.uuid4()
        with psycopg.connect(self.superuser_dsn, autocommit=True) as conn:
            conn.execute(
                "insert into auth.users (id, aud, role, email) values (%s, 'authenticated', 'authenticated', %s)",
                (new_id, email or f"{new_id}@example.test"),
            )
        return new_id

    def create_users(self, count: int) -> list[uuid.UUID]:
        """Insert ``count`` users into ``auth.users`` and return their ids."""
        return [self.create_user() for _ in range(count)]

    def close_connections(self) -> None:
        """Close every connection :meth:`connect` opened."""
        for conn in self._connections:
            conn.close()
        self._connections.clear()


class _Templates:
    """Per-session template databases, built the first time a test needs one."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.prefix = f"ss_{uuid.uuid4().hex[:8]}"
        self.built: dict[str, str] = {}

    def get(self, kind: str, build: Callable[[str], None], *, base: str | None = None) -> str:
        if kind not in self.built:
            name = f"{self.prefix}_tmpl_{kind}"
            self.box.create_database(name, template=base)
            try:
                build(self.box.dsn(name))
            except BaseException:
                self.box.drop_database(name)
                raise
            self.built[kind] = name
        return self.built[kind]

    def fresh(self) -> str:
        return self.get("fresh", lambda _dsn: None)

    def installed(self) -> str:
        return self.get("installed", _install_pack, base=self.fresh())

    def example(self) -> str:
        return self.get("example", _apply_example_migrations, base=self.fresh())

    def drop_all(self) -> None:
        for name in self.built.values():
            self.box.drop_database(name)
        self.built.clear()


def _install_pack(dsn: str) -> None:
    from supabase_sync.api import install  # written alongside; imported only when needed

    install(db_url=dsn)


def _apply_example_migrations(dsn: str) -> None:
    from supabase_sync.api import install  # written alongside; imported only when needed
    from supabase_sync.migrations import apply_migrations

    apply_migrations(dsn, EXAMPLE_MIGRATIONS)
    # What a project does after `supabase db push`: the migrations, written without a database,
    # compile nothing; install against the database compiles the tables' functions
    # (docs/protocol.md "Compiled functions").
    install(db_url=dsn)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The session's throwaway PostgreSQL server with the Supabase shim."""
    backend = os.environ.get(BACKEND_ENV_VAR, "auto")
    db_url = os.environ.get(DB_URL_ENV_VAR)
    with sandbox_module.start(backend, db_url=db_url) as box:
        yield box


@pytest.fixture(scope="session")
def _templates(sandbox: Sandbox) -> Iterator[_Templates]:
    templates = _Templates(sandbox)
    yield templates
    templates.drop_all()


def _clone(sandbox: Sandbox, template: str) -> Iterator[TestDatabase]:
    name = f"{template.split('_tmpl_')[0]}_t_{uuid.uuid4().hex[:12]}"
    sandbox.create_database(name, template=template)
    database = TestDatabase(name=name, sandbox=sandbox)
    try:
        yield database
    finally:
        database.close_connections()
        sandbox.drop_database(name)


@pytest.fixture
def fresh_db(sandbox: Sandbox, _templates: _Templates) -> Iterator[TestDatabase]:
    """A new database with only the Supabase shim (roles, auth schema, grants, publication)."""
    yield from _clone(sandbox, _templates.fresh())


@pytest.fixture
def installed_db(sandbox: Sandbox, _templates: _Templates) -> Iterator[TestDatabase]:
    """A new database with the Supabase shim and the sync pack installed as the owner role."""
    yield from _clone(sandbox, _templates.installed())


@pytest.fixture
def example_db(sandbox: Sandbox, _templates: _Templates) -> Iterator[TestDatabase]:
    """A new database with every migration of examples/todo applied (example tables, pack, enables), then install."""
    yield from _clone(sandbox, _templates.example())
