"""The ``docker`` backend: Supabase's own PostgreSQL image, run with testcontainers.

The ``supabase/postgres`` image already has Supabase's roles, the ``auth``
schema and its helpers, so no cluster shim is applied; its ``postgres`` role is
the project owner, ``supabase_admin`` the superuser. New databases made through
:meth:`Sandbox.create_database` still get the (idempotent) database shim, since
the image sets up only its ``postgres`` database.

The image is pinned (:data:`DEFAULT_IMAGE`); ``image=`` or the environment
variable ``SUPABASE_SYNC_DOCKER_IMAGE`` choose another tag.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from supabase_sync.errors import SandboxError, first_line
from supabase_sync.sandbox.base import LogFunction, Sandbox, ServerAddress

#: The image tag Supabase's self-hosting compose file pins (PostgreSQL 15).
DEFAULT_IMAGE = "supabase/postgres:15.8.1.085"
IMAGE_ENV_VAR = "SUPABASE_SYNC_DOCKER_IMAGE"
SUPERUSER = "supabase_admin"
OWNER_ROLE = "postgres"
CONTAINER_PORT = 5432
#: How long to wait for the daemon's answer before calling it absent.
PING_TIMEOUT_SECONDS = 2
#: First start of the image runs Supabase's migrations; pulling it may come first.
READY_TIMEOUT_SECONDS = 180

_NO_DAEMON = "no Docker daemon answers"


@dataclass(frozen=True)
class ContainerSettings:
    """Everything the container is started with (kept apart so it can be checked without a daemon)."""

    image: str
    password: str
    environment: dict[str, str]
    command: list[str]
    port: int = CONTAINER_PORT


def resolve_image(image: str | None = None) -> str:
    """Return the image to run: ``image``, else ``$SUPABASE_SYNC_DOCKER_IMAGE``, else :data:`DEFAULT_IMAGE`."""
    return image or os.environ.get(IMAGE_ENV_VAR) or DEFAULT_IMAGE


def container_settings(image: str | None = None, *, password: str | None = None) -> ContainerSettings:
    """Return the environment and command the sandbox container runs with."""
    chosen_password = password or secrets.token_urlsafe(18)
    environment = {
        "POSTGRES_PASSWORD": chosen_password,
        "POSTGRES_DB": "postgres",
        "POSTGRES_HOST": "/var/run/postgresql",
        "PGPORT": str(CONTAINER_PORT),
        # The image's init scripts store these as database settings.
        "JWT_SECRET": secrets.token_urlsafe(32),
        "JWT_EXP": "3600",
    }
    command = [
        "postgres",
        "-c",
        "config_file=/etc/postgresql/postgresql.conf",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "log_min_messages=fatal",
    ]
    return ContainerSettings(
        image=resolve_image(image), password=chosen_password, environment=environment, command=command
    )


def server_address(host: str, port: int, password: str) -> ServerAddress:
    """Describe the container's server as reached from here (the owner shares the superuser's password)."""
    return ServerAddress(
        host=host, port=port, superuser=SUPERUSER, superuser_password=password, owner_password=password
    )


def unavailable_reason() -> str | None:
    """Say why this backend cannot run here (no daemon answers a ping), or None when it can."""
    try:
        import docker
    except ImportError:
        return "the docker and testcontainers packages are not installed (pip install testcontainers)"
    try:
        client = docker.from_env(timeout=PING_TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:  # docker raises DockerException, requests errors, OSError...
        host = os.environ.get("DOCKER_HOST", "the default socket")
        return f"{_NO_DAEMON} at {host} ({type(error).__name__}: {first_line(error)})"
    return None


@contextmanager
def run(*, keep: bool = False, image: str | None = None, log: LogFunction) -> Iterator[Sandbox]:
    """Run the Supabase image in a container and yield it as a :class:`Sandbox`; remove it after.

    With ``keep`` the container is left running (and testcontainers' reaper,
    which would remove it when this process exits, is not started).
    """
    reason = unavailable_reason()
    if reason is not None:
        raise SandboxError(
            f"the docker sandbox backend is unavailable: {reason}",
            hint="start Docker (or set DOCKER_HOST), or use --backend local / --backend embedded",
        )
    settings = container_settings(image)
    container = _container(settings, keep=keep)
    log(f"sandbox: starting {settings.image} (the first run pulls it)")
    ready = False
    try:
        container.start()
        host = container.get_container_host_ip()
        port = int(container.get_exposed_port(settings.port))
        address = server_address(host, port, settings.password)
        sandbox = Sandbox(
            backend="docker",
            address=address,
            owner_role=OWNER_ROLE,
            description=f"container {container.get_container_id()[:12]} of {settings.image}",
        )
        _wait_until_ready(sandbox, container)
        _match_hosted_owner(sandbox, log)
        log(f"sandbox: docker {settings.image} on {host}:{port}")
        ready = True
        yield sandbox
    finally:
        # keep applies to a sandbox that was handed over; a failed start is always cleaned up.
        if keep and ready:
            log(f"sandbox: container kept running; remove it with: docker rm -f {container.get_container_id()[:12]}")
        else:
            container.stop()


def _container(settings: ContainerSettings, *, keep: bool) -> Any:
    from testcontainers.core.config import testcontainers_config
    from testcontainers.core.container import DockerContainer

    if keep:
        testcontainers_config.ryuk_disabled = True
    container = DockerContainer(settings.image, command=settings.command)  # type: ignore[arg-type]
    container.with_exposed_ports(settings.port)
    for name, value in settings.environment.items():
        container.with_env(name, value)
    return container


def _wait_until_ready(sandbox: Sandbox, container: Any) -> None:
    # While the image runs its init scripts the server listens on its unix
    # socket only; a TCP connection succeeds once the final server is up.
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(sandbox.superuser_dsn, connect_timeout=3) as conn:
                conn.execute("select 1")
            return
        except psycopg.OperationalError as error:
            last_error = error
            time.sleep(0.5)
    logs = b"".join(container.get_logs()).decode("utf-8", errors="replace")[-2000:]
    raise SandboxError(
        f"the Supabase container did not accept connections within {READY_TIMEOUT_SECONDS}s: {last_error}",
        hint=f"check the image and its logs:\n{logs}",
    )


def _match_hosted_owner(sandbox: Sandbox, log: LogFunction) -> None:
    """Make sure the owner role can log in with our password and, as on hosted Supabase, is no superuser."""
    with psycopg.connect(sandbox.superuser_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter role {owner} with login password {password}").format(
                owner=sql.Identifier(sandbox.owner_role), password=sql.Literal(sandbox.address.owner_password)
            )
        )
        row = conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = %s", (sandbox.owner_role,)).fetchone()
        if row and row[0]:
            conn.execute(sql.SQL("alter role {} nosuperuser").format(sql.Identifier(sandbox.owner_role)))
            log(f"sandbox: demoted the image's {sandbox.owner_role} role to non-superuser, as on hosted Supabase")
