"""The shipped WatermelonDB adapter (clients/watermelondb) with the real @nozbe/watermelondb.

``clients/watermelondb/test/scenario.mjs`` runs two devices of one user and a
device of a second user (LokiJS in memory, supabase-js, the stand-in): offline
creates, same-row edits on both devices, deletes, a PT409 forced between a
pull and its push and retried, a purge followed by PT410 and a paged
replacement sync, checking each step. This test then compares every device's
records with the server's rows of its user. Skipped, saying why, only when
Node.js or the locked npm packages (``npm ci --prefix clients/watermelondb``,
run by .ci/run) are absent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from node_runner import REPO_ROOT, node_packages_or_skip, run_node
from server_state import live_rows

ADAPTER = REPO_ROOT / "clients" / "watermelondb"
COLUMNS = {
    "project": ("name", "color", "archived", "created_at", "updated_at"),
    "task": ("project_id", "title", "notes", "done", "position", "created_at", "updated_at"),
}
TIMESTAMPS = ("created_at", "updated_at")


def _as_watermelon(column: str, value: Any) -> Any:
    if column in TIMESTAMPS and isinstance(value, dt.datetime):
        return round(value.timestamp() * 1000)
    return str(value) if column == "project_id" and value is not None else value


def server_rows(conn: Any, user_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The user's live rows per WatermelonDB table, as the WatermelonDB schema's columns."""
    found = live_rows(conn, user_id, {f"public.{table}": columns for table, columns in COLUMNS.items()}, _as_watermelon)
    return {table.removeprefix("public."): rows for table, rows in found.items()}


def local_rows(device: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    return {table: {row_id: {c: raw[c] for c in columns} for row_id, raw in device[table].items()} for table, columns in COLUMNS.items()}


def test_watermelondb_devices_converge_through_conflicts_deletes_and_a_resync(stand_in, example_db, tmp_path):
    node_packages_or_skip(ADAPTER)
    result_path = tmp_path / "devices.json"
    completed = run_node(
        ADAPTER / "test" / "scenario.mjs",
        env={"SUPABASE_URL": stand_in.url, "SUPABASE_ANON_KEY": stand_in.anon_key, "RESULT_PATH": str(result_path)},
    )
    result = json.loads(result_path.read_text())
    # WatermelonDB logs "[Sync] Server wants client to create record ... but it already exists"
    # and the like when a pull does not fit its local state: the adapter must never cause one.
    assert "[Sync]" not in completed.stdout + completed.stderr, completed.stderr
    statuses = {(path.rsplit("/", 1)[-1], status) for path, status in stand_in.requests}
    assert {("sync_push", 409), ("sync_pull", 410)} <= statuses
    with example_db.connect() as conn:
        for name, device in result["devices"].items():
            expected = server_rows(conn, device["user_id"])
            assert local_rows(device) == expected, name
            assert expected["task"], name
    ann = {device["user_id"] for name, device in result["devices"].items() if name != "bob-phone"}
    assert len(ann) == 1 and result["devices"]["bob-phone"]["user_id"] not in ann
