"""The ``docker`` backend: PostgreSQL in a container, run with testcontainers.

Two kinds of image, told apart by name (:func:`image_kind`):

- **Supabase's** (``supabase/postgres``, under any registry): it already has
  Supabase's roles, the ``auth`` schema and its helpers, so no cluster shim is
  applied; its ``postgres`` role is the project owner, ``supabase_admin`` the
  superuser.
- **plain** PostgreSQL, any other image following the official ``postgres``
  image's conventions (``POSTGRES_PASSWORD``, ``POSTGRES_USER``,
  ``POSTGRES_DB``): ``postgres:15``, ``postgres:16``, or the image
  ``tools/sandbox-image/build.sh`` builds without a registry
  (:data:`LOCAL_IMAGE`). The container's superuser is named ``supabase_admin``
  and the Supabase shim is applied as on the local backend, with the
  non-superuser owner ``postgres``.

New databases made through :meth:`Sandbox.create_database` get the
(idempotent) database shim on both kinds.

The image is ``image=`` or ``$SUPABASE_SYNC_DOCKER_IMAGE`` when given; else
the pinned Supabase image (:data:`DEFAULT_IMAGE`) when it is on this machine;
else :data:`LOCAL_IMAGE` when it is; else the pinned Supabase image, pulled.

With a daemon on this machine the server's port is published on 127.0.0.1
only and reached there, whatever testcontainers would guess inside a container;
with a remote daemon, from inside a container of the same daemon, or with
``TESTCONTAINERS_HOST_OVERRIDE`` naming another host, testcontainers' own way
to reach containers applies. Every container
carries a label unique to its start, and every container with that label is
removed on exit, also after a failed start or Ctrl-C. testcontainers' reaper
(ryuk), which also removes containers when the process dies, is started only
when its image is already on this machine and the sandbox is not kept.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

import psycopg
from psycopg import sql

from supabase_sync.errors import SandboxError, first_line
from supabase_sync.sandbox import shim
from supabase_sync.sandbox.base import THROWAWAY_SETTINGS, LogFunction, Sandbox, ServerAddress

#: The image tag Supabase's self-hosting compose file pins (PostgreSQL 15).
DEFAULT_IMAGE = "supabase/postgres:15.8.1.085"
#: The plain PostgreSQL 15 image tools/sandbox-image/build.sh makes without a registry.
LOCAL_IMAGE = "supabase-sync/sandbox-postgres:15"
IMAGE_ENV_VAR = "SUPABASE_SYNC_DOCKER_IMAGE"
SUPERUSER = "supabase_admin"
OWNER_ROLE = "postgres"
CONTAINER_PORT = 5432
#: Label put on every sandbox container; its value is unique to one start.
RUN_LABEL = "org.supabase-sync.sandbox.run"
#: How long to wait for the daemon's answer before calling it absent.
PING_TIMEOUT_SECONDS = 2
#: First start of Supabase's image runs its migrations (tens of seconds on 2 shared cores).
READY_TIMEOUT_SECONDS = 180

ImageKind = Literal["supabase", "plain"]

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

_NO_DAEMON = "no Docker daemon answers"
KIND_LABELS = {"supabase": "Supabase's image", "plain": "plain PostgreSQL + Supabase shim"}
PULL_HINT = (
    "with no registry reachable, build the sandbox image on this machine with "
    "`bash tools/sandbox-image/build.sh` (from a supabase-sync checkout; the backend then uses it), "
    f"or set {IMAGE_ENV_VAR} to an image that is here, or use --backend local / --backend embedded"
)


@dataclass(frozen=True)
class ContainerSettings:
    """Everything the container is started with (kept apart so it can be checked without a daemon)."""

    image: str
    kind: ImageKind
    password: str
    environment: dict[str, str]
    command: list[str]
    port: int = CONTAINER_PORT

    @property
    def label(self) -> str:
        """The image and its kind, as reports show them."""
        return f"{self.image} ({KIND_LABELS[self.kind]})"


def image_kind(image: str) -> ImageKind:
    """Say how ``image`` is run: "supabase" for Supabase's ``supabase/postgres``, else "plain"."""
    repository = image.split("@", 1)[0]
    name = repository.rsplit(":", 1)[0] if ":" in repository.rsplit("/", 1)[-1] else repository
    return "supabase" if name == "supabase/postgres" or name.endswith("/supabase/postgres") else "plain"


def resolve_image(image: str | None = None, *, is_present: Callable[[str], bool] = lambda _image: False) -> str:
    """Return the image to run: ``image``, else ``$SUPABASE_SYNC_DOCKER_IMAGE``, else one already here.

    ``is_present`` says whether an image is on this machine; without it (no
    daemon to ask) the answer is :data:`DEFAULT_IMAGE`.
    """
    explicit = image or os.environ.get(IMAGE_ENV_VAR)
    if explicit:
        return explicit
    for candidate in (DEFAULT_IMAGE, LOCAL_IMAGE):
        if is_present(candidate):
            return candidate
    return DEFAULT_IMAGE


def container_settings(image: str | None = None, *, password: str | None = None) -> ContainerSettings:
    """Return the environment and command the sandbox container runs with, for ``image``'s kind."""
    chosen_image = resolve_image(image)
    kind = image_kind(chosen_image)
    chosen_password = password or secrets.token_urlsafe(18)
    if kind == "supabase":
        environment = {
            "POSTGRES_PASSWORD": chosen_password,
            "POSTGRES_DB": "postgres",
            "POSTGRES_HOST": "/var/run/postgresql",
            "PGPORT": str(CONTAINER_PORT),
            # The image's init scripts store these as database settings.
            "JWT_SECRET": secrets.token_urlsafe(32),
            "JWT_EXP": "3600",
        }
        settings = {"config_file": "/etc/postgresql/postgresql.conf", **_SUPABASE_IMAGE_SETTINGS}
    else:
        # The official image's conventions; the superuser gets hosted Supabase's name,
        # which leaves "postgres" free for the non-superuser owner the shim creates.
        environment = {"POSTGRES_PASSWORD": chosen_password, "POSTGRES_USER": SUPERUSER, "POSTGRES_DB": "postgres"}
        settings = dict(THROWAWAY_SETTINGS)
    command = ["postgres"]
    for name, value in settings.items():
        command += ["-c", f"{name}={value}"]
    return ContainerSettings(
        image=chosen_image, kind=kind, password=chosen_password, environment=environment, command=command
    )


#: Supabase's image brings its own configuration file; only durability is traded for speed.
_SUPABASE_IMAGE_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "fatal",
}


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
    """Run a PostgreSQL image in a container and yield it as a :class:`Sandbox`; remove it after.

    With ``keep`` the container is left running (and testcontainers' reaper,
    which would remove it when this process exits, is not started); the log
    says how to remove it.
    """
    reason = unavailable_reason()
    if reason is not None:
        raise SandboxError(
            f"the docker sandbox backend is unavailable: {reason}",
            hint="start Docker (or set DOCKER_HOST), or use --backend local / --backend embedded",
        )
    import docker

    client = docker.from_env()
    run_id = secrets.token_hex(8)
    container: Any = None
    ready = False
    try:
        settings = container_settings(resolve_image(image, is_present=lambda name: has_image(client, name)))
        _pull_if_absent(client, settings.image, log)
        loopback = _publishes_on_our_loopback(client)
        container = _container(settings, run_id=run_id, loopback=loopback)
        log(f"sandbox: starting a container of {settings.label}")
        with _reaper(client, keep=keep, log=log):
            _start(container, settings)
        short_id = container.get_container_id()[:12]
        host, port = _server_host(container, loopback=loopback), _published_port(container, settings)
        sandbox = Sandbox(
            backend="docker",
            address=server_address(host, port, settings.password),
            owner_role=OWNER_ROLE,
            description=f"container {short_id} of {settings.label}",
            image=settings.image,
        )
        _wait_until_ready(sandbox, container, settings)
        if settings.kind == "plain":
            shim.prepare_new_cluster(sandbox.superuser_dsn, owner_role=sandbox.owner_role)
        _match_hosted_owner(sandbox, log)
        log(f"sandbox: docker {settings.label} on {host}:{port}, container {short_id}")
        ready = True
        yield sandbox
    finally:
        try:
            # keep applies to a sandbox that was handed over; a failed start is always cleaned up.
            if keep and ready:
                log(f"sandbox: container {short_id} kept running; remove it with: docker rm -f {short_id}")
            else:
                if container is not None:
                    container.stop()
                # Also a container whose creation a Ctrl-C interrupted before testcontainers knew it.
                _remove_containers(client, run_id)
        finally:
            client.close()


def has_image(client: Any, image: str) -> bool:
    """True when ``image`` is on the machine of the daemon ``client`` talks to."""
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True


def _pull_if_absent(client: Any, image: str, log: LogFunction) -> None:
    """Pull ``image`` unless it is here, turning a failed pull into one clear error."""
    import docker

    if has_image(client, image):
        return
    log(f"sandbox: {image} is not on this machine; pulling it (once)")
    try:
        client.images.pull(image)
    except docker.errors.DockerException as error:
        raise SandboxError(f"could not pull the docker image {image}: {_daemon_reason(error)}", hint=PULL_HINT) from error


def _container(settings: ContainerSettings, *, run_id: str, loopback: bool) -> Any:
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(
        settings.image,
        command=settings.command,  # type: ignore[arg-type]
        env=dict(settings.environment),
        labels={RUN_LABEL: run_id},
        # Docker's default 64 MB /dev/shm is too small for parallel queries on big tables.
        shm_size="256m",
    )
    # On loopback only when that is where we connect: nothing else on the network reaches the sandbox.
    container.ports[f"{settings.port}/tcp"] = ("127.0.0.1", None) if loopback else None  # type: ignore[assignment]
    return container


@contextmanager
def _reaper(client: Any, *, keep: bool, log: LogFunction) -> Iterator[None]:
    """Let testcontainers start its reaper (ryuk) only when it can work and is wanted; restore the setting after."""
    from testcontainers.core.config import testcontainers_config

    previous = testcontainers_config.ryuk_disabled
    if keep:
        testcontainers_config.ryuk_disabled = True
    elif not previous and not has_image(client, testcontainers_config.ryuk_image):
        log(
            f"sandbox: testcontainers' reaper image {testcontainers_config.ryuk_image} is not on this machine, "
            "so the reaper is not started; the sandbox removes its container itself"
        )
        testcontainers_config.ryuk_disabled = True
    try:
        yield
    finally:
        testcontainers_config.ryuk_disabled = previous


def _start(container: Any, settings: ContainerSettings) -> None:
    import docker

    try:
        container.start()
    except docker.errors.DockerException as error:
        raise SandboxError(
            f"the container of {settings.label} did not start: {_daemon_reason(error)}",
            hint="the image must run PostgreSQL with the official postgres image's conventions "
            "(POSTGRES_PASSWORD, POSTGRES_USER), or be Supabase's supabase/postgres",
        ) from error


def _daemon_reason(error: Exception) -> str:
    """What the daemon said (an API error's explanation), without the HTTP request around it."""
    explanation = getattr(error, "explanation", None)
    return first_line(Exception(explanation)) if explanation else first_line(error)


def _publishes_on_our_loopback(client: Any) -> bool:
    """True when a port the daemon publishes on 127.0.0.1 is on this process's own loopback.

    That is the case for a daemon on this machine (a unix socket, a named pipe, TCP on
    loopback), unless this process runs in a container of that same daemon
    (docker-outside-of-docker), where testcontainers' own way to reach containers applies.
    """
    import docker
    from testcontainers.core.config import testcontainers_config
    from testcontainers.core.utils import get_running_in_container_id, inside_container

    override = testcontainers_config.tc_host_override
    if override and override not in _LOOPBACK_NAMES:
        return False
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith(("unix://", "npipe://")) and urlparse(host).hostname not in _LOOPBACK_NAMES:
        return False
    our_container = get_running_in_container_id() if inside_container() else None
    if our_container is None:
        return True
    try:
        client.containers.get(our_container)
    except docker.errors.NotFound:
        return True  # we run in a container, but of another engine
    return False


def _server_host(container: Any, *, loopback: bool) -> str:
    """Where this process reaches the published port."""
    from testcontainers.core.config import testcontainers_config

    if testcontainers_config.tc_host_override:
        return testcontainers_config.tc_host_override
    if loopback:
        # Inside a container testcontainers would answer the bridge's or the default route's
        # gateway; the port is published on loopback, so loopback is where it is.
        return "127.0.0.1"
    return str(container.get_container_host_ip())


def _published_port(container: Any, settings: ContainerSettings) -> int:
    try:
        return int(container.get_exposed_port(settings.port))
    except (TimeoutError, ConnectionError) as error:  # the container stopped before its port was published
        raise _stopped_early(container, settings) from error


def _stopped_early(container: Any, settings: ContainerSettings) -> SandboxError:
    return SandboxError(
        f"the container of {settings.label} stopped before PostgreSQL accepted connections: {_log_tail(container)}",
        hint="check that the image runs PostgreSQL and accepts the settings the sandbox passes",
    )


def _wait_until_ready(sandbox: Sandbox, container: Any, settings: ContainerSettings) -> None:
    # While an image runs its init scripts the server listens on its unix
    # socket only; a TCP connection succeeds once the final server is up.
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        container.reload()
        if container.status in ("exited", "dead"):
            raise _stopped_early(container, settings)
        try:
            with psycopg.connect(sandbox.superuser_dsn, connect_timeout=3) as conn:
                conn.execute("select 1")
            return
        except psycopg.OperationalError as error:
            last_error = error
            time.sleep(0.5)
    raise SandboxError(
        f"the container of {settings.label} did not accept connections within {READY_TIMEOUT_SECONDS}s: "
        f"{first_line(last_error) if last_error else 'no answer'}; last log lines: {_log_tail(container)}",
        hint="check the image; a first start of Supabase's image runs its migrations, which takes a while",
    )


def _log_tail(container: Any, lines: int = 3) -> str:
    """The container's last log lines, on one line (the container is removed right after)."""
    text = b"".join(container.get_logs()).decode("utf-8", errors="replace")
    tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(tail) or "(no output)"


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


def _remove_containers(client: Any, run_id: str) -> None:
    """Remove every container of this start, with its anonymous volumes (also one whose start was interrupted)."""
    import docker

    for found in client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}):
        try:
            found.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
