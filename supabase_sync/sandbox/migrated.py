"""A migrated throwaway database for a project: what verify, gen-tests and lint inspect.

A sandbox server (:func:`supabase_sync.sandbox.start`), a new database on it,
the project's migrations applied in the Supabase CLI's order as the
non-superuser owner (like ``supabase db push``), and, when asked, the sync
pack installed if the migrations did not install it. The database is dropped
on exit unless ``keep``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from supabase_sync.install import install
from supabase_sync.migrations import apply_migrations, list_migrations
from supabase_sync.progress import LogFunction, ignore
from supabase_sync.sandbox import start
from supabase_sync.sandbox.base import Sandbox


@dataclass(frozen=True)
class MigratedDatabase:
    """A database holding a project's migrations, on a sandbox server.

    ``pack_installed_by`` is ``"migrations"`` when they install the sync pack,
    the purpose (``"verify"``...) when it was installed for it, None when the
    database has no pack.
    """

    sandbox: Sandbox
    name: str
    migrations: tuple[Path, ...]
    pack_installed_by: str | None

    @property
    def owner_dsn(self) -> str:
        """The database as the project owner (what migrations and users' requests run as)."""
        return self.sandbox.dsn(self.name)

    @property
    def superuser_dsn(self) -> str:
        """The database as the superuser (for inspection and extensions only)."""
        return self.sandbox.dsn(self.name, superuser=True)


def _pack_installed(superuser_dsn: str) -> bool:
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        row = conn.execute("select pg_catalog.to_regclass('supabase_sync.synced_table') is not null").fetchone()
    return bool(row and row[0])


@contextmanager
def migrated_database(
    migrations_dir: Path,
    *,
    purpose: str,
    backend: str = "auto",
    sandbox_url: str | None = None,
    install_pack: bool = False,
    keep: bool = False,
    log: LogFunction | None = None,
) -> Iterator[MigratedDatabase]:
    """Yield a new sandbox database with every migration of ``migrations_dir`` applied.

    ``purpose`` names the database (``supabase_sync_<purpose>_<random>``);
    ``backend`` and ``sandbox_url`` choose the sandbox (``sandbox_url`` is the
    server of the ``url`` backend); ``install_pack`` installs the sync pack
    when the migrations did not. A failing migration raises
    :class:`~supabase_sync.errors.MigrationFailed` naming its file (``path``),
    after the database is dropped. ``keep`` leaves the sandbox and the database.
    """
    say = log or ignore
    with start(backend, keep=keep, db_url=sandbox_url, log=say) as box:
        name = f"supabase_sync_{purpose}_{uuid.uuid4().hex[:8]}"
        box.create_database(name)
        try:
            count = len(list_migrations(migrations_dir))
            say(f"applying {count} migration{'s' if count != 1 else ''} of {migrations_dir}")
            applied = apply_migrations(box.dsn(name), migrations_dir, on_file=lambda path: say(f"applying {path.name}"))
            installed_by = "migrations" if _pack_installed(box.dsn(name, superuser=True)) else None
            if install_pack and installed_by is None:
                say("the migrations do not install supabase-sync; installing the sync pack")
                install(db_url=box.dsn(name))
                installed_by = purpose
            yield MigratedDatabase(box, name, tuple(applied), installed_by)
        finally:
            if not keep:
                box.drop_database(name)
