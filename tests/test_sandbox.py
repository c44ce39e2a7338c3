"""supabase_sync.sandbox starts throwaway servers, prepares them like Supabase, and cleans up."""

from __future__ import annotations

import subprocess
import uuid

import psycopg
import pytest

from supabase_sync import rpc, sandbox
from supabase_sync.errors import SandboxError
from supabase_sync.sandbox import docker, local
from supabase_sync.sandbox.base import compose_url

SERVER_BACKENDS = ["local", "embedded"]


def _server_accepts(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _require(backend: str) -> None:
    reason = sandbox.unavailable_reason(backend)
    if reason is not None:
        pytest.skip(f"the {backend} backend cannot run here: {reason}")


@pytest.fixture(scope="module", params=SERVER_BACKENDS)
def started(request):
    """One sandbox per server backend, shared by the tests of this module."""
    _require(request.param)
    messages: list[str] = []
    with sandbox.start(request.param, log=messages.append) as box:
        yield box, messages


def test_backend_reports_itself_and_where_it_listens(started):
    box, messages = started
    assert box.backend in SERVER_BACKENDS
    assert any(box.backend in message for message in messages)
    assert box.data_dir is not None and box.data_dir.is_dir()


def test_owner_is_not_superuser_but_has_createrole_createdb_and_bypassrls(started):
    box, _ = started
    with box.connect() as conn:
        row = conn.execute(
            "select current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
            "from pg_roles where rolname = current_user"
        ).fetchone()
    assert row == (box.owner_role, False, True, True, True)


def test_superuser_dsn_is_a_superuser(started):
    box, _ = started
    with box.connect(superuser=True) as conn:
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (True,)


def test_owner_owns_the_postgres_database_like_on_hosted_supabase(started):
    box, _ = started
    with box.connect() as conn:
        owner = conn.execute(
            "select pg_get_userbyid(datdba) from pg_database where datname = 'postgres'"
        ).fetchone()
    assert owner == (box.owner_role,)


def test_shim_applies_in_every_backend(started):
    box, _ = started
    user = uuid.uuid4()
    with box.connect() as conn:
        with rpc.as_user(conn, user_id=user) as cur:
            cur.execute("select auth.uid(), auth.role(), current_user")
            assert cur.fetchone() == (user, "authenticated", "authenticated")
        with rpc.as_user(conn) as cur:
            cur.execute("select auth.uid(), auth.role(), current_user")
            assert cur.fetchone() == (None, "anon", "anon")


def test_create_database_is_owned_by_owner_and_shimmed_and_template_clones_keep_objects(started):
    box, _ = started
    base, clone = f"base_{uuid.uuid4().hex[:8]}", f"clone_{uuid.uuid4().hex[:8]}"
    dsn = box.create_database(base)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute(
                "select pg_get_userbyid(datdba) from pg_database where datname = current_database()"
            ).fetchone() == (box.owner_role,)
            assert conn.execute("select to_regprocedure('auth.uid()') is not null").fetchone() == (True,)
            conn.execute("create table public.marker (id int)")
        box.create_database(clone, template=base)
        with psycopg.connect(box.dsn(clone), autocommit=True) as conn:
            assert conn.execute("select to_regclass('public.marker') is not null").fetchone() == (True,)
    finally:
        box.drop_database(clone)
        box.drop_database(base)
    with box.connect(superuser=True) as conn:
        left = conn.execute("select count(*) from pg_database where datname in (%s, %s)", (base, clone)).fetchone()
    assert left == (0,)


def test_create_database_reports_a_taken_name_as_sandbox_error(started):
    box, _ = started
    with pytest.raises(SandboxError, match="could not create database 'postgres'"):
        box.create_database("postgres")


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_sandbox_stops_and_removes_its_directory_on_exit(backend):
    _require(backend)
    with sandbox.start(backend, log=lambda _message: None) as box:
        dsn, data_dir = box.superuser_dsn, box.data_dir
        assert _server_accepts(dsn)
    assert data_dir is not None and not data_dir.exists()
    assert not _server_accepts(dsn)


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_sandbox_stops_and_removes_its_directory_when_the_block_fails(failure):
    _require("local")
    seen = {}
    with pytest.raises(type(failure)):
        with sandbox.start("local", log=lambda _message: None) as box:
            seen["dsn"], seen["dir"] = box.superuser_dsn, box.data_dir
            raise failure
    assert not seen["dir"].exists()
    assert not _server_accepts(seen["dsn"])


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_keep_leaves_the_server_running_and_says_how_to_stop_it(backend):
    _require(backend)
    messages: list[str] = []
    with sandbox.start(backend, keep=True, log=messages.append) as box:
        dsn, data_dir = box.superuser_dsn, box.data_dir
    try:
        assert _server_accepts(dsn)
        assert data_dir.exists()
    finally:
        command = next(message for message in messages if "kept running" in message).split("stop it with: ")[1]
        subprocess.run(command, shell=True, check=True, capture_output=True)
    assert not data_dir.exists()
    assert not _server_accepts(dsn)


def test_auto_says_which_backend_it_chose():
    messages: list[str] = []
    expected = sandbox.choose_backend("auto")
    if expected == "docker":
        pytest.skip("a Docker daemon answers; the docker integration test covers that choice")
    with sandbox.start(log=messages.append) as box:
        assert box.backend == expected
    assert f"auto chose the {expected} backend" in messages[0]


def test_auto_prefers_docker_then_local_then_embedded(monkeypatch):
    available = {"docker": False, "local": True, "embedded": True}
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda name: None if available[name] else "absent")
    assert sandbox.choose_backend("auto") == "local"
    available["local"] = False
    assert sandbox.choose_backend("auto") == "embedded"
    available["docker"] = True
    assert sandbox.choose_backend("auto") == "docker"
    assert sandbox.choose_backend("auto", db_url="postgresql://x@h/db") == "url"


def test_auto_without_any_backend_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda name: f"{name} is absent")
    with pytest.raises(SandboxError) as raised:
        sandbox.choose_backend("auto")
    assert "docker: docker is absent" in str(raised.value)
    assert "embedded: embedded is absent" in str(raised.value)
    assert raised.value.hint


def test_unknown_backend_is_rejected_with_the_valid_choices():
    with pytest.raises(SandboxError, match="unknown sandbox backend 'podman'") as raised:
        with sandbox.start("podman"):
            pass
    assert "local" in raised.value.hint


def test_url_backend_needs_a_url():
    with pytest.raises(SandboxError, match="needs a database URL"):
        with sandbox.start("url"):
            pass


def test_url_backend_drops_only_the_databases_it_created(started):
    box, _ = started
    keep_me = f"keep_{uuid.uuid4().hex[:8]}"
    box.create_database(keep_me)
    try:
        with sandbox.start("url", db_url=box.superuser_dsn, log=lambda _m: None) as attached:
            assert attached.backend == "url"
            made = f"made_{uuid.uuid4().hex[:8]}"
            attached.create_database(made)
        with box.connect(superuser=True) as conn:
            names = {row[0] for row in conn.execute("select datname from pg_database")}
        assert keep_me in names
        assert made not in names
        assert _server_accepts(box.superuser_dsn)
    finally:
        box.drop_database(keep_me)


def test_url_backend_accepts_a_supabase_owner_url(started):
    box, _ = started
    with sandbox.start("url", db_url=box.owner_dsn, log=lambda _m: None) as attached:
        assert attached.owner_role == box.owner_role
        dsn = attached.create_database(f"own_{uuid.uuid4().hex[:8]}")
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("select to_regclass('auth.users') is not null").fetchone() == (True,)


def test_local_finds_server_binaries():
    _require("local")
    bindir = local.find_bindir()
    assert bindir is not None
    assert (bindir / "pg_ctl").exists()


def test_local_bindir_can_be_forced_and_a_wrong_one_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv(local.BINDIR_ENV_VAR, str(tmp_path))
    assert local.find_bindir() is None
    with pytest.raises(SandboxError, match="no PostgreSQL server binaries") as raised:
        with sandbox.start("local"):
            pass
    assert local.BINDIR_ENV_VAR in raised.value.hint


def test_compose_url_quotes_credentials_and_supports_socket_directories():
    assert (
        compose_url(host="127.0.0.1", port=5432, user="a b", password="p@ss:/", dbname="my db")
        == "postgresql://a%20b:p%40ss%3A%2F@127.0.0.1:5432/my%20db"
    )
    socket_url = compose_url(host="/tmp/x y", port=5433, user="postgres", password=None, dbname="d")
    assert socket_url == "postgresql://postgres@/d?host=%2Ftmp%2Fx%20y&port=5433"
    params = psycopg.conninfo.conninfo_to_dict(socket_url)
    assert (params["host"], params["port"], params["dbname"]) == ("/tmp/x y", "5433", "d")


# --- docker backend: what can be checked without a daemon, then the real thing ---


def test_docker_image_is_pinned_and_overridable(monkeypatch):
    monkeypatch.delenv(docker.IMAGE_ENV_VAR, raising=False)
    assert docker.resolve_image() == docker.DEFAULT_IMAGE
    assert docker.DEFAULT_IMAGE.startswith("supabase/postgres:")
    assert ":latest" not in docker.DEFAULT_IMAGE
    monkeypatch.setenv(docker.IMAGE_ENV_VAR, "supabase/postgres:17.4.1.054")
    assert docker.resolve_image() == "supabase/postgres:17.4.1.054"
    assert docker.resolve_image("my/registry:1") == "my/registry:1"


def test_docker_container_settings_carry_password_and_throwaway_settings():
    settings = docker.container_settings("supabase/postgres:15.8.1.085", password="s3cret")
    assert settings.image == "supabase/postgres:15.8.1.085"
    assert settings.environment["POSTGRES_PASSWORD"] == "s3cret"
    assert settings.environment["JWT_SECRET"]
    assert "fsync=off" in settings.command
    assert settings.port == 5432
    assert docker.container_settings().password != docker.container_settings().password


def test_docker_sandbox_urls_use_supabase_roles_and_the_mapped_port():
    box = sandbox.Sandbox(
        backend="docker",
        address=docker.server_address("localhost", 49153, "pw"),
        owner_role=docker.OWNER_ROLE,
    )
    assert box.superuser_dsn == "postgresql://supabase_admin:pw@localhost:49153/postgres"
    assert box.owner_dsn == "postgresql://postgres:pw@localhost:49153/postgres"
    assert box.dsn("app") == "postgresql://postgres:pw@localhost:49153/app"


def test_docker_without_a_daemon_raises_a_clear_sandbox_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    reason = docker.unavailable_reason()
    assert reason is not None and "no Docker daemon answers" in reason
    with pytest.raises(SandboxError, match="no Docker daemon answers") as raised:
        with sandbox.start("docker"):
            pass
    assert "--backend local" in raised.value.hint


def test_docker_backend_runs_supabase_image_with_non_superuser_owner():
    reason = docker.unavailable_reason()
    if reason is not None:
        pytest.skip(f"no Docker daemon answers, so the docker backend cannot be exercised ({reason})")
    with sandbox.start("docker", log=lambda _m: None) as box:
        assert box.backend == "docker"
        with box.connect() as conn:
            assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)
            user = uuid.uuid4()
            with rpc.as_user(conn, user_id=user) as cur:
                cur.execute("select auth.uid()")
                assert cur.fetchone() == (user,)
        dsn = box.create_database("docker_check")
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select to_regprocedure('auth.uid()') is not null").fetchone() == (True,)


def test_a_sandbox_connection_failure_is_one_line_saying_why():
    from supabase_sync.sandbox.base import connect

    with pytest.raises(SandboxError) as raised:
        connect("postgresql://nobody@127.0.0.1:9/postgres?connect_timeout=2")
    assert "Connection refused" in str(raised.value) and "\n" not in str(raised.value)
