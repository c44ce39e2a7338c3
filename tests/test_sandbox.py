"""supabase_sync.sandbox starts throwaway servers, prepares them like Supabase, and cleans up."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest

from supabase_sync import rpc, sandbox
from supabase_sync.errors import SandboxError
from supabase_sync.sandbox import docker, local
from supabase_sync.sandbox.base import compose_url

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Backends that start a server in a directory of their own.
SERVER_BACKENDS = ["local", "embedded"]
#: Every backend that starts a server: the shared ``started`` sandbox runs on each.
STARTED_BACKENDS = [*SERVER_BACKENDS, "docker"]


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


@pytest.fixture(scope="module", params=STARTED_BACKENDS)
def started(request):
    """One sandbox per backend that starts a server, shared by the tests of this module."""
    _require(request.param)
    messages: list[str] = []
    with sandbox.start(request.param, log=messages.append) as box:
        yield box, messages


def test_backend_reports_itself_and_where_it_listens(started):
    box, messages = started
    assert box.backend in STARTED_BACKENDS
    assert any(box.backend in message for message in messages)
    if box.backend == "docker":
        assert box.image and box.image in box.description and box.data_dir is None
        assert any(f":{box.address.port}" in message and box.image in message for message in messages)
    else:
        assert box.data_dir is not None and box.data_dir.is_dir() and box.image is None


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
    with sandbox.start(log=messages.append) as box:
        assert box.backend == expected
    assert f"auto chose the {expected} backend" in messages[0]


def test_auto_prefers_local_then_docker_then_embedded(monkeypatch):
    available = {"docker": True, "local": True, "embedded": True}
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda name: None if available[name] else "absent")
    assert sandbox.choose_backend("auto") == "local"
    available["local"] = False
    assert sandbox.choose_backend("auto") == "docker"
    available["docker"] = False
    assert sandbox.choose_backend("auto") == "embedded"
    assert sandbox.choose_backend("auto", db_url="postgresql://x@h/db") == "url"
    assert sandbox.available_backends() == ["embedded"]


def test_auto_order_is_written_identically_in_readme_and_docs():
    # One sentence, copied word for word, naming the backends in the order the code tries them.
    def lines(doc: str) -> list[str]:
        return [line.strip() for line in (REPO_ROOT / doc).read_text(encoding="utf-8").splitlines()]

    sentence = next(line for line in lines("README.md") if line.startswith("`auto` uses the first backend"))
    for doc in ("docs/sandbox.md", "docs/verify.md"):
        assert sentence in lines(doc), f"{doc} does not say what README says about auto"
    named = [word.strip("`,.():") for word in sentence.split()]
    assert [word for word in named if word in sandbox.AUTO_ORDER] == list(sandbox.AUTO_ORDER)


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


def test_docker_default_image_is_one_already_here_before_one_to_pull(monkeypatch):
    monkeypatch.delenv(docker.IMAGE_ENV_VAR, raising=False)
    here: set[str] = set()
    assert docker.resolve_image(is_present=here.__contains__) == docker.DEFAULT_IMAGE  # nothing here: pull Supabase's
    here.add(docker.LOCAL_IMAGE)
    assert docker.resolve_image(is_present=here.__contains__) == docker.LOCAL_IMAGE
    here.add(docker.DEFAULT_IMAGE)
    assert docker.resolve_image(is_present=here.__contains__) == docker.DEFAULT_IMAGE
    assert docker.resolve_image("postgres:16", is_present=here.__contains__) == "postgres:16"


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("supabase/postgres:15.8.1.085", "supabase"),
        ("public.ecr.aws/supabase/postgres:17.4.1.054", "supabase"),
        ("localhost:5000/supabase/postgres:15.1.0.147", "supabase"),
        ("supabase/postgres@sha256:" + "0" * 64, "supabase"),
        ("postgres:16", "plain"),
        ("library/postgres:15", "plain"),
        ("supabase-sync/sandbox-postgres:15", "plain"),
        ("localhost:5000/postgres", "plain"),
        ("supabase/postgres-meta:v0.84.2", "plain"),
    ],
)
def test_docker_image_kind_is_told_by_name(image, kind):
    assert docker.image_kind(image) == kind


def test_docker_container_settings_follow_the_image_kind():
    supabase = docker.container_settings("supabase/postgres:15.8.1.085", password="s3cret")
    assert (supabase.kind, supabase.image, supabase.port) == ("supabase", "supabase/postgres:15.8.1.085", 5432)
    assert supabase.environment["POSTGRES_PASSWORD"] == "s3cret"
    assert supabase.environment["JWT_SECRET"]
    assert "config_file=/etc/postgresql/postgresql.conf" in supabase.command and "fsync=off" in supabase.command
    plain = docker.container_settings(docker.LOCAL_IMAGE, password="s3cret")
    assert plain.kind == "plain"
    assert plain.environment == {"POSTGRES_PASSWORD": "s3cret", "POSTGRES_USER": "supabase_admin", "POSTGRES_DB": "postgres"}
    assert plain.command[0] == "postgres" and "fsync=off" in plain.command and "jit=off" in plain.command
    assert not any(part.startswith("config_file=") for part in plain.command)
    assert "plain PostgreSQL" in plain.label and "Supabase's image" in supabase.label
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


def test_image_build_script_makes_the_image_the_backend_looks_for():
    script = (REPO_ROOT / "tools" / "sandbox-image" / "build.sh").read_text(encoding="utf-8")
    assert f'tag="{docker.LOCAL_IMAGE}"' in script.splitlines()
    assert "tools/sandbox-image/build.sh" in docker.PULL_HINT


@pytest.fixture(scope="module")
def engine():
    """A docker client of the engine the docker tests run on (they skip only when none answers)."""
    reason = docker.unavailable_reason()
    if reason is not None:
        pytest.skip(f"the docker backend cannot be exercised: {reason}; `CI=true bash .ci/run` starts an engine")
    import docker as docker_sdk

    client = docker_sdk.from_env()
    yield client
    client.close()


def _sandbox_containers(client) -> set[str]:
    """Ids of every container, running or not, that a docker sandbox created."""
    return {found.id for found in client.containers.list(all=True, filters={"label": docker.RUN_LABEL})}


def test_docker_sandbox_is_removed_on_exit_and_restores_the_reaper_setting(engine):
    from testcontainers.core.config import testcontainers_config

    before, reaper_setting = _sandbox_containers(engine), testcontainers_config.ryuk_disabled
    messages: list[str] = []
    with sandbox.start("docker", log=messages.append) as box:
        running = _sandbox_containers(engine) - before
        assert len(running) == 1 and engine.containers.get(running.pop()).status == "running"
        assert box.address.host == "127.0.0.1" and _server_accepts(box.superuser_dsn)
        bindings = [
            binding for found in engine.containers.list(filters={"label": docker.RUN_LABEL})
            for binding in found.attrs["HostConfig"]["PortBindings"]["5432/tcp"]
        ]
        assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}  # published on loopback only
        dsn = box.superuser_dsn
    assert _sandbox_containers(engine) == before
    assert not _server_accepts(dsn)
    assert testcontainers_config.ryuk_disabled == reaper_setting
    if not docker.has_image(engine, testcontainers_config.ryuk_image) and not reaper_setting:
        assert any("reaper" in message and "not started" in message for message in messages)
    kind = docker.image_kind(box.image)
    assert any(f"({docker.KIND_LABELS[kind]})" in message for message in messages)  # which kind it started


def test_docker_plain_image_gets_the_shim_and_a_non_superuser_owner(engine):
    plain = next((image for image in (docker.LOCAL_IMAGE, "postgres:16", "postgres:15") if docker.has_image(engine, image)), None)
    if plain is None:
        pytest.skip(f"no plain PostgreSQL image here: build {docker.LOCAL_IMAGE} with tools/sandbox-image/build.sh")
    with sandbox.start("docker", image=plain, log=lambda _m: None) as box:
        assert box.image == plain and box.owner_role == "postgres"
        with box.connect() as conn:
            assert conn.execute(
                "select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = current_user"
            ).fetchone() == (False, True, True, True)
            assert conn.execute("select pg_get_userbyid(datdba) from pg_database where datname = 'postgres'").fetchone() == (
                "postgres",
            )
            user = uuid.uuid4()
            with rpc.as_user(conn, user_id=user) as cur:
                cur.execute("select auth.uid(), current_user")
                assert cur.fetchone() == (user, "authenticated")
        with box.connect(superuser=True) as conn:
            assert conn.execute("select current_user, current_setting('fsync')").fetchone() == ("supabase_admin", "off")


def test_docker_backend_runs_supabase_image_with_non_superuser_owner(engine):
    if not docker.has_image(engine, docker.DEFAULT_IMAGE):
        pytest.skip(f"Supabase's image {docker.DEFAULT_IMAGE} is not on this machine (docker pull it to run this test)")
    with sandbox.start("docker", image=docker.DEFAULT_IMAGE, log=lambda _m: None) as box:
        assert box.backend == "docker" and box.image == docker.DEFAULT_IMAGE
        with box.connect() as conn:
            assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)
            user = uuid.uuid4()
            with rpc.as_user(conn, user_id=user) as cur:
                cur.execute("select auth.uid()")
                assert cur.fetchone() == (user,)
        dsn = box.create_database("docker_check")
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select to_regprocedure('auth.uid()') is not null").fetchone() == (True,)


def test_docker_image_that_does_not_start_is_reported_and_its_container_removed(engine):
    # An image holding no PostgreSQL: docker creates the container, then cannot start it.
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        readme = tarfile.TarInfo("README")
        readme.size = len(b"not a database\n")
        tar.addfile(readme, io.BytesIO(b"not a database\n"))
    image = f"supabase-sync-test/not-postgres:{uuid.uuid4().hex[:8]}"
    repository, tag = image.split(":")
    engine.api.import_image_from_data(archive.getvalue(), repository=repository, tag=tag)
    try:
        with pytest.raises(SandboxError, match="did not start") as raised:
            with sandbox.start("docker", image=image, log=lambda _m: None):
                pass
        assert "\n" not in str(raised.value) and image in str(raised.value)
        assert engine.containers.list(all=True, filters={"ancestor": image}) == []
    finally:
        engine.images.remove(image, force=True)


def test_docker_ctrl_c_during_start_up_removes_the_container(engine):
    before = _sandbox_containers(engine)

    def interrupt_once_ready(message: str) -> None:
        if message.startswith("sandbox: docker "):  # the container runs and the server accepts connections
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with sandbox.start("docker", log=interrupt_once_ready):
            pytest.fail("the block must not be entered")
    assert _sandbox_containers(engine) == before


def test_docker_block_failure_removes_the_container(engine):
    before = _sandbox_containers(engine)
    with pytest.raises(RuntimeError, match="boom"):
        with sandbox.start("docker", log=lambda _m: None) as box:
            assert _server_accepts(box.superuser_dsn)
            raise RuntimeError("boom")
    assert _sandbox_containers(engine) == before


def test_docker_pull_failure_says_how_to_build_the_image_here(engine):
    # A registry on a closed port of 127.0.0.1: the pull fails at once, and nothing leaves this machine.
    image = "127.0.0.1:9/supabase-sync-test/absent:1"
    with pytest.raises(SandboxError, match=f"could not pull the docker image {image}") as raised:
        with sandbox.start("docker", image=image, log=lambda _m: None):
            pass
    assert "tools/sandbox-image/build.sh" in raised.value.hint and docker.IMAGE_ENV_VAR in raised.value.hint
    assert "\n" not in str(raised.value)


def test_two_docker_sandboxes_run_side_by_side_on_their_own_ports(engine):
    before = _sandbox_containers(engine)
    with sandbox.start("docker", log=lambda _m: None) as first, sandbox.start("docker", log=lambda _m: None) as second:
        assert first.address.port != second.address.port
        assert first.address.superuser_password != second.address.superuser_password
        first.create_database("only_in_first")
        with second.connect(superuser=True) as conn:
            assert conn.execute("select count(*) from pg_database where datname = 'only_in_first'").fetchone() == (0,)
        assert len(_sandbox_containers(engine) - before) == 2
    assert _sandbox_containers(engine) == before


def test_verify_example_on_docker_passes_names_the_image_and_leaves_no_container(engine, capsys):
    from supabase_sync.cli import main

    before = _sandbox_containers(engine)
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--example", "--backend", "docker", "--json"])
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.err
    report = json.loads(captured.out)
    assert report["passed"] is True and report["backend"] == "docker"
    assert report["image"] == docker.resolve_image(is_present=lambda image: docker.has_image(engine, image))
    assert report["counts"]["fail"] == 0 and report["counts"]["pass"] > 40
    assert _sandbox_containers(engine) == before


def test_verify_keep_on_docker_leaves_the_container_and_prints_how_to_remove_it(engine, capsys):
    from supabase_sync.cli import main

    before = _sandbox_containers(engine)
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--example", "--backend", "docker", "--keep"])
    captured = capsys.readouterr()
    kept = _sandbox_containers(engine) - before
    try:
        assert exited.value.code == 0, captured.err
        assert "on the docker backend (image " in captured.out
        assert len(kept) == 1 and engine.containers.get(next(iter(kept))).status == "running"
        remove = next(line.split("remove it with: ", 1)[1] for line in captured.err.splitlines() if "remove it with: " in line)
        assert remove == f"docker rm -f {next(iter(kept))[:12]}"
        subprocess.run(remove, shell=True, check=True, capture_output=True)
        assert _sandbox_containers(engine) == before
    finally:
        for container_id in kept & _sandbox_containers(engine):
            engine.containers.get(container_id).remove(force=True, v=True)


def test_a_sandbox_connection_failure_is_one_line_saying_why():
    from supabase_sync.sandbox.base import connect

    with pytest.raises(SandboxError) as raised:
        connect("postgresql://nobody@127.0.0.1:9/postgres?connect_timeout=2")
    assert "Connection refused" in str(raised.value) and "\n" not in str(raised.value)
