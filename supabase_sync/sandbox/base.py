"""The :class:`Sandbox` handle every backend yields, and what backends share.

A backend starts (or finds) a server and describes how to reach it with a
:class:`ServerAddress`; :class:`Sandbox` turns that into DSNs and creates and
drops databases on it, applying the Supabase shim to new ones.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from supabase_sync.dsn import connection_error_reason
from supabase_sync.errors import SandboxError
from supabase_sync.progress import LogFunction  # noqa: F401 - the backends import it from here
from supabase_sync.sandbox import shim

#: Server settings for a cluster nobody needs to keep (no durability, no
#: replication), shared by the backends that start a server themselves.
THROWAWAY_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_connections": "200",
    "jit": "off",
    "timezone": "UTC",
}

_logger = logging.getLogger("supabase_sync.sandbox")


def default_log(message: str) -> None:
    """Report sandbox progress through :mod:`logging` (the default ``log``)."""
    _logger.info(message)


@dataclass(frozen=True)
class ServerAddress:
    """Where a server listens and who may log in to it.

    ``host`` is a host name or the directory of a unix socket.
    """

    host: str
    port: int
    superuser: str
    superuser_password: str | None = None
    owner_password: str | None = None


@dataclass
class Sandbox:
    """A running PostgreSQL server prepared like a Supabase project.

    ``backend`` says which backend started it ("docker", "local", "embedded" or
    "url"); ``image`` is the container image on the docker backend (None on
    the others). ``superuser_dsn`` and ``owner_dsn`` point at its ``postgres``
    database; ``owner_role`` is the non-superuser project owner (``postgres``
    as on hosted Supabase, except on the embedded backend where the superuser
    already has that name).
    """

    backend: str
    address: ServerAddress
    owner_role: str
    #: Extra detail shown in messages (data directory, container id...).
    description: str = ""
    #: The temporary directory holding the cluster, for backends that make one.
    data_dir: Path | None = None
    image: str | None = None
    created_databases: list[str] = field(default_factory=list)

    @property
    def superuser_dsn(self) -> str:
        """DSN of the ``postgres`` database as the superuser."""
        return self.dsn("postgres", superuser=True)

    @property
    def owner_dsn(self) -> str:
        """DSN of the ``postgres`` database as the project owner role."""
        return self.dsn("postgres")

    def dsn(self, dbname: str, *, superuser: bool = False) -> str:
        """Return a ``postgresql://`` URL for ``dbname`` as the owner (or the superuser)."""
        user = self.address.superuser if superuser else self.owner_role
        password = self.address.superuser_password if superuser else self.address.owner_password
        return compose_url(
            host=self.address.host,
            port=self.address.port,
            user=user,
            password=password,
            dbname=dbname,
        )

    def connect(self, dbname: str = "postgres", *, superuser: bool = False) -> psycopg.Connection:
        """Open an autocommit connection to ``dbname`` (as the owner unless ``superuser``)."""
        return connect(self.dsn(dbname, superuser=superuser))

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create database ``name`` owned by the owner role and return its owner DSN.

        A database made from scratch gets the Supabase shim; one cloned from
        ``template`` (CREATE DATABASE ... TEMPLATE) already has what the
        template had. The template must have no open connections.
        """
        statement = sql.SQL("create database {name} owner {owner}").format(
            name=sql.Identifier(name), owner=sql.Identifier(self.owner_role)
        )
        if template is not None:
            statement = sql.SQL("{statement} template {template}").format(
                statement=statement, template=sql.Identifier(template)
            )
        with self.connect(superuser=True) as conn:
            try:
                conn.execute(statement)
            except psycopg.Error as error:
                raise SandboxError(
                    f"could not create database {name!r} in the {self.backend} sandbox: {error}",
                    hint="a template must have no open connections; a name may be used only once",
                ) from error
        self.created_databases.append(name)
        if template is None:
            shim.apply_database_shim(self.dsn(name, superuser=True), owner_role=self.owner_role)
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` (closing its connections); no error if it is gone."""
        with self.connect(superuser=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {name} with (force)").format(name=sql.Identifier(name))
            )
        if name in self.created_databases:
            self.created_databases.remove(name)


def compose_url(*, host: str, port: int, user: str, password: str | None, dbname: str) -> str:
    """Compose a ``postgresql://`` URL; a ``host`` starting with ``/`` is a socket directory."""
    credentials = quote(user, safe="")
    if password:
        credentials += ":" + quote(password, safe="")
    if host.startswith("/"):
        return f"postgresql://{credentials}@/{quote(dbname, safe='')}?host={quote(host, safe='')}&port={port}"
    return f"postgresql://{credentials}@{host}:{port}/{quote(dbname, safe='')}"


def connect(dsn: str) -> psycopg.Connection:
    """Open an autocommit connection, turning failure into :class:`SandboxError`."""
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise SandboxError(
            f"could not connect to the sandbox server: {connection_error_reason(error)}",
            hint="check that the server is running and accepts the connection",
        ) from error


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
