"""The sandbox gives a plain PostgreSQL what Supabase projects' migrations commonly use of Storage.

A migration that creates a bucket (a row of storage.buckets), writes policies
on storage.objects with Storage's SQL helpers, and defaults ids with
extensions.uuid_generate_v4() applies in the sandbox as the non-superuser
owner, exactly as `supabase db push` applies it on hosted Supabase.
"""

from __future__ import annotations

import pytest

from supabase_sync.migrations import apply_migrations
from supabase_sync.sandbox import shim

SUPABASE_STYLE_MIGRATION = """
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('avatars', 'avatars', false, 5242880, array['image/png', 'image/jpeg']);

create table public.profile (
    id uuid primary key default extensions.uuid_generate_v4(),
    user_id uuid not null references auth.users (id),
    avatar_path text
);

create policy "users read their avatars" on storage.objects for select to authenticated
using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "users upload pngs and jpegs" on storage.objects for insert to authenticated
with check (bucket_id = 'avatars' and storage.extension(name) in ('png', 'jpg') and storage.filename(name) <> '');
"""


def test_a_migration_using_storage_and_uuid_ossp_applies_as_the_owner(fresh_db, tmp_path):
    (tmp_path / "20250101000000_avatars.sql").write_text(SUPABASE_STYLE_MIGRATION)
    apply_migrations(fresh_db.owner_dsn, tmp_path)
    with fresh_db.connect() as conn:
        assert conn.execute("select public from storage.buckets where id = 'avatars'").fetchone() == (False,)
        policies = conn.execute("select polname from pg_policy where polrelid = 'storage.objects'::regclass order by 1")
        assert [name for (name,) in policies] == ["users read their avatars", "users upload pngs and jpegs"]
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)
        assert conn.execute("insert into public.profile (user_id) select id from auth.users limit 0").rowcount == 0
        (new_id,) = conn.execute("select extensions.uuid_generate_v4()").fetchone()
    assert new_id.version == 4


@pytest.mark.parametrize(
    ("name", "folders", "filename", "extension"),
    [
        ("user-1/photos/a.jpg", ["user-1", "photos"], "a.jpg", "jpg"),
        ("a.jpg", [], "a.jpg", "jpg"),
        ("user-1/archive.tar.gz", ["user-1"], "archive.tar.gz", "gz"),
        ("user-1/README", ["user-1"], "README", "README"),
    ],
)
def test_storage_helpers_split_paths_like_supabase_storage(fresh_db, name, folders, filename, extension):
    with fresh_db.connect() as conn:
        row = conn.execute(
            "select storage.foldername(%(n)s), storage.filename(%(n)s), storage.extension(%(n)s)", {"n": name}
        ).fetchone()
    assert row == (folders, filename, extension)


def test_storage_tables_belong_to_the_storage_admin_and_have_rls(fresh_db):
    with fresh_db.connect() as conn:
        rows = conn.execute(
            "select relname, pg_get_userbyid(relowner), relrowsecurity from pg_class "
            "where relnamespace = 'storage'::regnamespace and relkind = 'r' order by 1"
        ).fetchall()
    assert rows == [("buckets", "supabase_storage_admin", True), ("objects", "supabase_storage_admin", True)]


def test_the_database_shim_with_storage_replays_as_a_no_op(fresh_db):
    with fresh_db.connect(superuser=True) as conn:
        before = conn.execute("select count(*) from pg_class where relnamespace = 'storage'::regnamespace").fetchone()
    shim.apply_database_shim(fresh_db.superuser_dsn, owner_role=fresh_db.sandbox.owner_role)
    with fresh_db.connect(superuser=True) as conn:
        after = conn.execute("select count(*) from pg_class where relnamespace = 'storage'::regnamespace").fetchone()
    assert before == after
