"""`storage-policies BUCKET`: each user owns the folder of BUCKET named by their id, tested as two users.

The printed SQL is applied in the sandbox (Supabase Storage's tables and
helpers come from the shim); then two users act on storage.objects as the
Storage API does, as themselves under RLS.
"""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from supabase_sync import api, rpc
from supabase_sync.cli import cli
from supabase_sync.errors import ConfigError, RpcError
from supabase_sync.lint import lint


@pytest.fixture
def media(fresh_db):
    with fresh_db.connect() as conn:
        conn.execute(api.storage_policies("media").sql.encode())
        conn.execute("insert into storage.buckets (id, name) values ('other', 'other')")
    return fresh_db


def upload(db, user: uuid.UUID, name: str, bucket: str = "media") -> None:
    """What the Storage API does on an upload: insert the object's row as the user."""
    with db.connect() as conn, rpc.as_user(conn, user_id=user) as cur:
        cur.execute(
            "insert into storage.objects (bucket_id, name, owner, owner_id) values (%s, %s, %s, %s)",
            (bucket, name, user, str(user)),
        )


def visible(db, user: uuid.UUID) -> list[str]:
    with db.connect() as conn, rpc.as_user(conn, user_id=user, read_only=True) as cur:
        cur.execute("select name from storage.objects order by name")
        return [name for (name,) in cur.fetchall()]


def test_each_user_reads_and_writes_only_their_own_folder_of_the_bucket(media):
    ann, bob = media.create_users(2)
    upload(media, ann, f"{ann}/photos/a.jpg")
    upload(media, bob, f"{bob}/b.jpg")
    assert visible(media, ann) == [f"{ann}/photos/a.jpg"]
    assert visible(media, bob) == [f"{bob}/b.jpg"]
    for name, bucket in ((f"{bob}/forged.jpg", "media"), ("no-folder.jpg", "media"), (f"{ann}/a.jpg", "other")):
        with pytest.raises(RpcError) as refused:
            upload(media, ann, name, bucket)
        assert (refused.value.sqlstate, refused.value.status) == ("42501", 403)


def test_another_user_cannot_change_delete_or_take_over_an_object(media):
    ann, bob = media.create_users(2)
    upload(media, ann, f"{ann}/a.jpg")
    with media.connect() as conn:
        with rpc.as_user(conn, user_id=bob) as cur:
            cur.execute("update storage.objects set metadata = '{}' where name = %s", (f"{ann}/a.jpg",))
            assert cur.rowcount == 0
            cur.execute("delete from storage.objects where name = %s", (f"{ann}/a.jpg",))
            assert cur.rowcount == 0
        with pytest.raises(RpcError) as moved, rpc.as_user(conn, user_id=ann) as cur:
            cur.execute("update storage.objects set name = %s where name = %s", (f"{bob}/a.jpg", f"{ann}/a.jpg"))
        assert moved.value.sqlstate == "42501"
        with rpc.as_user(conn, user_id=ann) as cur:
            cur.execute("delete from storage.objects where name = %s", (f"{ann}/a.jpg",))
            assert cur.rowcount == 1
    assert visible(media, ann) == []


def test_anon_sees_and_writes_nothing(media):
    ann = media.create_user()
    upload(media, ann, f"{ann}/a.jpg")
    with media.connect() as conn, rpc.as_user(conn) as cur:
        cur.execute("select count(*) from storage.objects")
        assert cur.fetchone() == (0,)


def test_the_sql_replays_as_a_no_op_and_keeps_the_bucket_private(media):
    with media.connect() as conn:
        before = conn.execute("select count(*) from pg_policy where polrelid = 'storage.objects'::regclass").fetchone()
        conn.execute("update storage.buckets set public = true where id = 'media'")
        conn.execute(api.storage_policies("media").sql.encode())
        after = conn.execute("select count(*) from pg_policy where polrelid = 'storage.objects'::regclass").fetchone()
        assert conn.execute("select public from storage.buckets where id = 'media'").fetchone() == (True,)
    assert before == after == (4,)


def test_a_hostile_bucket_name_stays_a_value(fresh_db):
    bucket = "x'); drop table storage.objects; --"
    with fresh_db.connect() as conn:
        conn.execute(api.storage_policies(bucket).sql.encode())
        assert conn.execute("select id from storage.buckets").fetchall() == [(bucket,)]
        assert conn.execute("select count(*) from pg_policy where polrelid = 'storage.objects'::regclass").fetchone() == (4,)


@pytest.mark.parametrize("bucket", ["", "a/b", " media", "x" * 101])
def test_an_impossible_bucket_id_is_a_clear_error(bucket):
    with pytest.raises(ConfigError, match="is not a bucket id"):
        api.storage_policies(bucket)


def test_cli_prints_the_sql_or_writes_a_migration_that_lints_clean(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(cli, ["storage-policies", "media", "--no-bucket"])
    assert printed.exit_code == 0
    assert "insert into storage.buckets" not in printed.output
    assert printed.output.count("create policy") == 4
    written = runner.invoke(cli, ["storage-policies", "media", "--migrations-dir", str(tmp_path)])
    assert written.exit_code == 0
    (migration,) = tmp_path.glob("*_supabase_sync_storage_policies_media.sql")
    report = lint([migration], project_dir=tmp_path, semantic_checks=False)
    assert report.findings == [] and report.problems == []
