"""enable on a big live table: online DDL, concurrent index builds, lock timeouts (issue 12).

The two timing tests assert the bounds the issue's acceptance states (150 ms,
2.5 s); nothing else here looks at a clock. They run on 1M rows with two other
sessions doing a primary-key read and a primary-key update every 20 ms, as the
issue measured the old one-transaction enable (every read and write waited
0.54-0.75 s; 5.4 s behind a 6 s transaction).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest

from supabase_sync import api
from supabase_sync import apply as apply_module
from supabase_sync.catalog import read_table, snapshot
from supabase_sync.contract import TableSpec, check_tables
from supabase_sync.errors import ApplyFailed
from supabase_sync.names import TableName
from supabase_sync.plan import Timeouts
from supabase_sync.sync_objects import owner_version_index_name

BIG = TableName("public", "big")
ROWS = 1_000_000
#: Rows the traffic sessions read and update (spread over the table).
HOT_IDS = [uuid.UUID(hashlib.md5(str(i * 997).encode()).hexdigest()) for i in range(1, 200)]


def _create_big(db, rows: int = ROWS) -> None:  # type: ignore[no-untyped-def]
    """A plain app table of ``rows`` rows (uuid key and owner), built in one statement."""
    with db.connect() as conn:
        conn.execute("create table public.big (id uuid not null, user_id uuid not null, body text not null)")
        conn.execute(
            "insert into public.big (id, user_id, body)"
            " select md5(i::text)::uuid, md5((i %% 1000)::text)::uuid, 'row ' || i from generate_series(1, %s) as i",
            (rows,),
        )
        conn.execute("alter table public.big add primary key (id)")  # after the load: faster than row by row
        conn.execute("analyze public.big")


@dataclass
class Traffic:
    """Two sessions: one reads a row by primary key, one updates one, each every 20 ms; worst waits kept."""

    dsn: str
    period: float = 0.02
    worst: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "update": 0.0})
    counts: dict[str, int] = field(default_factory=lambda: {"read": 0, "update": 0})
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _run(self, kind: str) -> None:
        sql = (
            "select body from public.big where id = %s"
            if kind == "read"
            else "update public.big set body = body where id = %s"
        )
        try:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute("select 1")
                turn = 0
                while not self._stop.is_set():
                    started = time.monotonic()
                    cursor = conn.execute(sql, (HOT_IDS[turn % len(HOT_IDS)],))
                    if kind == "read":
                        cursor.fetchall()
                    waited = time.monotonic() - started
                    self.worst[kind] = max(self.worst[kind], waited)
                    self.counts[kind] += 1
                    turn += 1
                    self._stop.wait(max(0.0, self.period - waited))
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            self.errors.append(error)

    def __enter__(self) -> Traffic:
        for kind in ("read", "update"):
            thread = threading.Thread(target=self._run, args=(kind,), daemon=True)
            thread.start()
            self._threads.append(thread)
        time.sleep(0.3)  # both sessions connected and running
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        assert not self.errors, self.errors
        assert min(self.counts.values()) > 10, self.counts


def _fully_enabled(db) -> bool:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        (check,) = check_tables(conn, [TableSpec(BIG, owner_column="user_id")]).values()
    return check.passed


@pytest.fixture
def big_db(installed_db) -> Iterator[object]:  # type: ignore[no-untyped-def]
    _create_big(installed_db)
    yield installed_db


def test_enable_of_a_1m_row_table_under_traffic_keeps_every_read_and_update_under_150ms(big_db, monkeypatch):
    # Acceptance bound of issue 12: neither session waits more than 150 ms at any time. The one
    # transaction enable of before made them wait 0.54-0.75 s here; online, the DDL transaction
    # holds its lock for milliseconds and the index build blocks nobody, so 150 ms leaves margin
    # for a 2-core machine also building the index.
    monkeypatch.setattr(apply_module, "PROGRESS_INTERVAL", 0.25)
    lines: list[str] = []
    with Traffic(big_db.owner_dsn) as traffic:
        result = api.enable([str(BIG)], db_url=big_db.owner_dsn, add_missing_columns=True, log=lines.append)
    assert result.changed
    assert traffic.worst["read"] < 0.150, traffic.worst
    assert traffic.worst["update"] < 0.150, traffic.worst
    assert _fully_enabled(big_db)
    index = f'"public"."{owner_version_index_name("big")}"'
    assert any(line.startswith(f"building {index}: ") for line in lines), lines  # progress of the build


def test_enable_behind_a_6s_write_transaction_keeps_others_under_2_5s_and_completes_after_retrying(big_db):
    # Acceptance bound of issue 12: no other session waits more than 2.5 s (the old enable queued
    # everyone for 5.4 s). Each attempt waits at most --lock-timeout (1 s) with others queued
    # behind it, then rolls back and backs off; 2.5 s is the bound, 1 s what we expect.
    lines: list[str] = []
    blocker = psycopg.connect(big_db.owner_dsn)
    try:
        blocker.execute("update public.big set body = 'held' where id = md5('1')::uuid")  # opens the write transaction
        release = threading.Timer(6.0, blocker.commit)
        with Traffic(big_db.owner_dsn) as traffic:
            release.start()
            result = api.enable(
                [str(BIG)],
                db_url=big_db.owner_dsn,
                add_missing_columns=True,
                timeouts=Timeouts(lock_timeout=1.0, retries=8),
                log=lines.append,
            )
        release.join()
    finally:
        blocker.close()
    assert traffic.worst["read"] < 2.5 and traffic.worst["update"] < 2.5, traffic.worst
    assert any("not granted within 1s" in line and "retrying" in line for line in lines), lines
    assert result.changed and _fully_enabled(big_db)


def test_enable_that_cannot_get_the_lock_exits_with_one_line_and_changes_nothing(big_db, capsys):
    from supabase_sync.cli import main

    with big_db.connect() as conn:
        before = snapshot(conn, ["public", "supabase_sync"])
    blocker = psycopg.connect(big_db.owner_dsn)
    try:
        blocker.execute("update public.big set body = 'held' where id = md5('1')::uuid")
        release = threading.Timer(6.0, blocker.rollback)
        with Traffic(big_db.owner_dsn) as traffic:
            release.start()
            with pytest.raises(SystemExit) as done:
                main(
                    ["enable", str(BIG), "--add-missing-columns", "--db-url", big_db.owner_dsn,
                     "--lock-timeout", "0.5", "--retries", "2"]
                )
        release.join()
    finally:
        blocker.close()
    assert traffic.worst["read"] < 2.5 and traffic.worst["update"] < 2.5, traffic.worst
    assert done.value.code == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert len(errors) == 1, err
    assert "not granted within --lock-timeout 500ms in 3 attempts" in errors[0]
    assert "nothing was changed" in errors[0]
    with big_db.connect() as conn:
        assert snapshot(conn, ["public", "supabase_sync"]) == before


def test_an_invalid_leftover_of_an_interrupted_build_is_dropped_and_built_again(installed_db):
    _create_big(installed_db, rows=2000)
    api.enable([str(BIG)], db_url=installed_db.owner_dsn, add_missing_columns=True)
    name = owner_version_index_name("big")
    with installed_db.connect() as conn:
        conn.execute(f'drop index public."{name}"')
        # A concurrent build that fails half way (duplicates) leaves an invalid index of that name.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(f'create unique index concurrently "{name}" on public.big (user_id)')
        (valid,) = conn.execute("select indisvalid from pg_index where indexrelid = %s::regclass", (f"public.{name}",)).fetchone()
        assert valid is False
    dry = api.enable([str(BIG)], db_url=installed_db.owner_dsn, dry_run=True)
    assert "concurrently" in dry.sql and "not i.indisvalid" in dry.sql
    api.enable([str(BIG)], db_url=installed_db.owner_dsn)
    with installed_db.connect() as conn:
        info = read_table(conn, BIG)
    (index,) = [index for index in info.indexes if index.name == name]
    assert index.valid and index.columns[:2] == ("user_id", "server_version")
    assert _fully_enabled(installed_db)


def test_an_index_that_cannot_be_built_says_re_run_enable_to_complete(installed_db, capsys):
    from supabase_sync.cli import main

    _create_big(installed_db, rows=20000)
    with pytest.raises(SystemExit) as done:
        main(
            ["enable", str(BIG), "--add-missing-columns", "--db-url", installed_db.owner_dsn,
             "--index-timeout", "0.001"]
        )
    assert done.value.code == 1
    err = capsys.readouterr().err
    (error,) = [line for line in err.splitlines() if line.startswith("error")]
    assert "re-run enable to complete" in error and "statement timeout" in error
    # The re-run completes it.
    api.enable([str(BIG)], db_url=installed_db.owner_dsn)
    assert _fully_enabled(installed_db)


def test_dry_run_carries_the_timeouts_it_runs_with():
    assert Timeouts.setting(1.0) == "1s" and Timeouts.setting(0.25) == "250ms" and Timeouts.setting(0) == "0"


# --- the migration linter squawk (PyPI squawk-cli, in the dev extra) ---------------------------

SQUAWK_RULES = {"require-concurrent-index-creation", "require-lock-timeout"}


def _squawk_rules(sql_text: str, tmp_path) -> set[str]:  # type: ignore[no-untyped-def]
    import json
    import shutil
    import subprocess

    squawk = shutil.which("squawk")
    if squawk is None:
        pytest.skip("the squawk binary is not installed (pip install -e '.[dev]' installs squawk-cli)")
    path = tmp_path / "enable.sql"
    path.write_text(sql_text, encoding="utf-8")
    done = subprocess.run([squawk, "--reporter", "json", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: it found something
    return {finding["rule_name"] for finding in json.loads(done.stdout or "[]")}


def test_squawk_finds_no_missing_concurrent_index_nor_lock_timeout_in_the_dry_run_sql(installed_db, tmp_path):
    with installed_db.connect() as conn:
        conn.execute("create table public.note (id uuid primary key, user_id uuid not null, body text)")
    dry = api.enable(["public.note"], db_url=installed_db.owner_dsn, add_missing_columns=True, dry_run=True)
    assert not _squawk_rules(dry.sql, tmp_path) & SQUAWK_RULES
    # The same plan run the old way (one transaction, plain index) is what squawk flagged: the check bites.
    from supabase_sync.enable import build_blind_enable_plan

    spec = TableSpec(TableName("public", "note"), owner_column="user_id", id_column="id")
    plain = build_blind_enable_plan([spec], add_missing_columns=True)
    plain.timeouts = None
    assert _squawk_rules(plain.script(), tmp_path) >= SQUAWK_RULES


def test_a_partitioned_table_gets_its_index_in_the_ddl_transaction(installed_db):
    # PostgreSQL 15 cannot build an index concurrently on a partitioned table.
    with installed_db.connect() as conn:
        conn.execute(
            "create table public.part (id uuid primary key, user_id uuid not null) partition by hash (id);"
            "create table public.part_0 partition of public.part for values with (modulus 2, remainder 0);"
            "create table public.part_1 partition of public.part for values with (modulus 2, remainder 1)"
        )
    result = api.enable(["public.part"], db_url=installed_db.owner_dsn, add_missing_columns=True)
    assert "concurrently" not in result.sql and "set local lock_timeout" in result.sql
    with installed_db.connect() as conn:
        (check,) = check_tables(conn, [TableSpec(TableName("public", "part"), owner_column="user_id")]).values()
    assert check.passed, [verdict.problem for verdict in check.unmet]
