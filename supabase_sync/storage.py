"""Supabase Storage for synced apps: owner-folder policies for a bucket.

Synced rows hold the path of their media files; the files live in a Supabase
Storage bucket, where each user owns the folder named by their user id
(``<auth.uid()>/photos/a.jpg``). ``storage_policies`` renders what that needs:
the bucket (a private row of ``storage.buckets``) and four policies on
``storage.objects`` (the table the Storage API reads and writes as the
requesting user), each allowing a signed-in user only the objects of that
bucket whose first folder is their id:
``(storage.foldername(name))[1] = (select auth.uid())::text``.

The pattern for clients (docs/clients.md): upload the file first, then push
the row that holds its path; a row never points at a file that is not there.
"""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from supabase_sync.apply import Destination, PlanResult, Target, run_plan
from supabase_sync.errors import ConfigError
from supabase_sync.plan import Plan, Statement
from supabase_sync.names import truncate_identifier
from supabase_sync.render.templates import render_template
from supabase_sync.sync_objects import POLICY_COMMANDS

#: Longest bucket id Supabase Storage accepts.
MAX_BUCKET_LENGTH = 100

_CLAUSES = {
    "select": ("using",),
    "insert": ("with check",),
    "update": ("using", "with check"),
    "delete": ("using",),
}


def storage_policy_name(bucket: str, command: str) -> str:
    """The name of the owner-folder policy for ``command`` on ``bucket`` (63 bytes at most)."""
    return truncate_identifier(f"supabase_sync: owner can {command} in {bucket}")


def check_bucket(bucket: str) -> None:
    """Raise :class:`ConfigError` unless ``bucket`` is a bucket id Supabase Storage accepts."""
    if not bucket or len(bucket) > MAX_BUCKET_LENGTH or "/" in bucket or bucket != bucket.strip():
        raise ConfigError(
            f"{bucket!r} is not a bucket id",
            hint=f"use 1 to {MAX_BUCKET_LENGTH} characters without '/' or surrounding spaces, e.g. media",
        )


def render_storage_bucket(bucket: str) -> Statement:
    """Create the private bucket ``bucket`` unless it exists."""
    return Statement(
        f"bucket {bucket} (private, unless it exists)", render_template("storage_bucket", bucket=sql.Literal(bucket))
    )


def render_storage_folder_policy(bucket: str, command: str) -> Statement:
    """The owner-folder policy for ``command`` (select, insert, update, delete) on ``bucket``."""
    condition = sql.SQL(
        "bucket_id = {bucket} and (storage.foldername(name))[1] = (select auth.uid())::text"
    ).format(bucket=sql.Literal(bucket))
    clauses = sql.SQL("\n        ").join(
        sql.SQL("{keyword} ({condition})").format(keyword=sql.SQL(keyword), condition=condition)
        for keyword in _CLAUSES[command]
    )
    name = storage_policy_name(bucket, command)
    return Statement(
        f'policy "{name}" on storage.objects',
        render_template(
            "storage_folder_policy",
            command=sql.SQL(command),
            command_text=sql.Literal(command),
            policy_name=sql.Identifier(name),
            policy_name_text=sql.Literal(name),
            clauses=clauses,
            bucket=sql.Literal(bucket),
        ),
    )


def storage_policies(
    bucket: str,
    *,
    create_bucket: bool = True,
    migrations_dir: str | Path | None = None,
) -> PlanResult:
    """Render the owner-folder policies of ``bucket`` (and the bucket, unless ``create_bucket`` is false).

    Returns the SQL (``result.sql``); with ``migrations_dir`` also writes it as a
    migration file. Every statement is idempotent.
    """
    check_bucket(bucket)
    plan = Plan(f"storage-policies {bucket}")
    if create_bucket:
        plan.add(render_storage_bucket(bucket))
    plan.extend([render_storage_folder_policy(bucket, command) for command in POLICY_COMMANDS])
    if migrations_dir is None:
        return run_plan(plan, Target(Destination.STDOUT), dry_run=False, migration_name="")
    return run_plan(
        plan,
        Target(Destination.MIGRATION, migrations_dir=Path(migrations_dir)),
        dry_run=False,
        migration_name=f"supabase_sync_storage_policies_{bucket}",
    )
