"""Throwaway PostgreSQL servers prepared like a Supabase project.

``start()`` is a context manager yielding a :class:`Sandbox`::

    from supabase_sync import sandbox

    with sandbox.start() as box:               # backend="auto"
        db_url = box.create_database("demo")   # owned by box.owner_role, shim applied
        ...

Backends: ``local`` (the machine's initdb/pg_ctl), ``docker``
(testcontainers: Supabase's pinned ``supabase/postgres`` image, or a plain
PostgreSQL image with the shim), ``embedded`` (the ``pgserver`` wheel) and
``url`` (an existing server). ``auto`` picks local when server binaries are
found, else docker when a daemon answers, else embedded, and reports its
choice through ``log``. Local comes first because it starts in about a
second, needs no image or network and behaves the same whether or not a
daemon runs; docker comes before embedded because Supabase's image (or a
PostgreSQL 15 like hosted Supabase's) is closer to production than the
wheel's PostgreSQL 16 with its ``supabase_owner`` role.
The sandbox stops only what it started, also on errors and Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from supabase_sync.errors import SandboxError
from supabase_sync.sandbox.base import LogFunction, Sandbox, ServerAddress, default_log

#: The backends ``auto`` tries, in this order (why: see the module docstring).
AUTO_ORDER = ("local", "docker", "embedded")
#: Every backend name ``start`` accepts, "auto" aside.
BACKENDS = (*AUTO_ORDER, "url")

__all__ = [
    "AUTO_ORDER",
    "BACKENDS",
    "LogFunction",
    "Sandbox",
    "SandboxError",
    "ServerAddress",
    "available_backends",
    "choose_backend",
    "start",
    "unavailable_reason",
]


def unavailable_reason(backend: str) -> str | None:
    """Say why ``backend`` cannot run on this machine, or None when it can.

    ``url`` is always available (it needs only a URL).
    """
    if backend == "docker":
        from supabase_sync.sandbox import docker

        return docker.unavailable_reason()
    if backend == "local":
        from supabase_sync.sandbox import local

        return local.unavailable_reason()
    if backend == "embedded":
        from supabase_sync.sandbox import embedded

        return embedded.unavailable_reason()
    if backend == "url":
        return None
    raise SandboxError(
        f"unknown sandbox backend {backend!r}",
        hint=f"choose one of: auto, {', '.join(BACKENDS)}",
    )


def available_backends() -> list[str]:
    """Return the backends that can start a server here, in auto's order (``url`` excluded)."""
    return [name for name in AUTO_ORDER if unavailable_reason(name) is None]


def choose_backend(backend: str = "auto", *, db_url: str | None = None) -> str:
    """Resolve ``backend`` ("auto" or a name) to the backend ``start`` would use.

    ``auto`` with a ``db_url`` means ``url``; otherwise local, docker, embedded,
    the first that is available. Raises :class:`SandboxError` naming what is
    missing when none is.
    """
    if backend != "auto":
        unavailable_reason(backend)  # validates the name
        return backend
    if db_url:
        return "url"
    reasons = []
    for name in AUTO_ORDER:
        reason = unavailable_reason(name)
        if reason is None:
            return name
        reasons.append(f"{name}: {reason}")
    raise SandboxError(
        "no sandbox backend can start a PostgreSQL server here (" + "; ".join(reasons) + ")",
        hint="install PostgreSQL, start Docker, `pip install pgserver`, or pass --db-url of a server to use",
    )


@contextmanager
def start(
    backend: str = "auto",
    *,
    keep: bool = False,
    image: str | None = None,
    db_url: str | None = None,
    log: LogFunction | None = None,
) -> Iterator[Sandbox]:
    """Start (or attach to) a PostgreSQL server with the Supabase shim and yield a :class:`Sandbox`.

    ``backend`` is "auto", "docker", "local", "embedded" or "url"; ``image``
    overrides the docker image; ``db_url`` is the server for "url" (a
    superuser's URL, or a Supabase owner's such as ``supabase start``'s).
    ``log`` receives progress lines (default: the ``supabase_sync.sandbox``
    logger). On exit everything the sandbox started is stopped and removed,
    also after an exception or Ctrl-C; ``keep=True`` leaves it running.
    """
    report = log or default_log
    chosen = choose_backend(backend, db_url=db_url)
    if backend == "auto":
        report(f"sandbox: auto chose the {chosen} backend")
    if chosen == "local":
        from supabase_sync.sandbox import local

        with local.run(keep=keep, log=report) as sandbox:
            yield sandbox
    elif chosen == "embedded":
        from supabase_sync.sandbox import embedded

        with embedded.run(keep=keep, log=report) as sandbox:
            yield sandbox
    elif chosen == "docker":
        from supabase_sync.sandbox import docker

        with docker.run(keep=keep, image=image, log=report) as sandbox:
            yield sandbox
    else:
        from supabase_sync.sandbox import url

        if not db_url:
            raise SandboxError(
                "the url sandbox backend needs a database URL",
                hint="pass --db-url postgresql://user:password@host:port/postgres (e.g. supabase start's port 54322)",
            )
        with url.run(db_url=db_url, keep=keep, log=report) as sandbox:
            yield sandbox
