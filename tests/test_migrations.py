"""Supabase CLI migration files: names, order, writing and applying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from supabase_sync.errors import ConfigError, MigrationFailed
from supabase_sync.migrations import (
    apply_migrations,
    list_migrations,
    migration_filename,
    write_migration,
)


def test_migration_filename_is_the_utc_timestamp_and_the_name_like_the_supabase_cli():
    moment = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    assert migration_filename("supabase_sync_install", now=moment) == "20250304030607_supabase_sync_install.sql"


def test_migration_filename_keeps_only_safe_characters():
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    assert migration_filename('Enable "My Table"; drop', now=moment) == "20250101000000_enable_my_table_drop.sql"
    with pytest.raises(ConfigError):
        migration_filename("---", now=moment)


def test_list_migrations_uses_file_name_order_and_skips_other_files(tmp_path):
    for name in ("20250102000000_b.sql", "20250101000000_a.sql", "README.md", "notes.sql", "2025_x.sql"):
        (tmp_path / name).write_text("select 1;\n")
    assert [p.name for p in list_migrations(tmp_path)] == [
        "20250101000000_a.sql",
        "20250102000000_b.sql",
        "2025_x.sql",
    ]


def test_write_migration_never_reuses_or_goes_below_the_latest_version(tmp_path):
    later = datetime(2030, 1, 1, tzinfo=UTC)
    first = write_migration(tmp_path, "one", "select 1;\n", now=later)
    second = write_migration(tmp_path, "two", "select 2;\n", now=later)
    earlier = write_migration(tmp_path, "three", "select 3;\n", now=later - timedelta(days=1))
    assert [p.name for p in list_migrations(tmp_path)] == [first.name, second.name, earlier.name]
    assert first.name == "20300101000000_one.sql"
    assert second.name == "20300101000001_two.sql"
    assert earlier.name == "20300101000002_three.sql"


def test_apply_migrations_runs_each_file_in_order_in_its_own_transaction(fresh_db, tmp_path):
    (tmp_path / "20250101000000_create.sql").write_text("create table public.t (n int);\n")
    (tmp_path / "20250101000001_fill.sql").write_text("insert into public.t values (1);\ninsert into public.t values (2);\n")
    (tmp_path / "20250101000002_broken.sql").write_text("insert into public.t values (3);\nselect 1/0;\n")

    with pytest.raises(MigrationFailed, match="20250101000002_broken.sql"):
        apply_migrations(fresh_db.owner_dsn, tmp_path)

    with fresh_db.connect() as conn:
        assert conn.execute("select n from public.t order by n").fetchall() == [(1,), (2,)]
