"""The README's Python client, taken from README.md, run as two devices of one user.

The code block under "## A client in Python" is executed as a program, once
per device (each with its own SQLite file and supabase-py session), exactly
as a user would run it; the test then edits each device's local data through
the README's own ``LocalStore`` and syncs with its ``sync``. It checks that
the devices converge on the server's rows, that a concurrent edit answers
PT409 and is retried, that state survives a restart, and that a purge (PT410)
resyncs.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from http_endpoint import SupabaseStandIn
from server_state import live_rows

README = Path(__file__).resolve().parents[2] / "README.md"
COLUMNS = {"public.project": ("name", "color", "archived"), "public.task": ("project_id", "title", "done", "notes")}

pytestmark = pytest.mark.filterwarnings("ignore:The '(timeout|verify)' parameter is deprecated:DeprecationWarning")


def readme_client_code() -> str:
    """The first python block after the README's "## A client in Python" heading."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## A client in Python\n", 1)
    assert len(section) == 2, "README.md has no '## A client in Python' section"
    found = re.search(r"```python\n(.*?)```", section[1], re.S)
    assert found, "the README's client section has no python block"
    return found.group(1)


def start_device(monkeypatch: pytest.MonkeyPatch, stand_in: SupabaseStandIn, account: dict[str, str], db: Path) -> dict[str, Any]:
    """Run the README's program for one device; return its globals (client, store, sync...)."""
    for name, value in {
        "SUPABASE_URL": stand_in.url,
        "SUPABASE_ANON_KEY": stand_in.anon_key,
        "APP_EMAIL": account["email"],
        "APP_PASSWORD": account["password"],
        "APP_DB": str(db),
    }.items():
        monkeypatch.setenv(name, value)
    program: dict[str, Any] = {"__name__": "readme_client"}
    exec(compile(readme_client_code(), str(README), "exec"), program)  # noqa: S102 - the README's code is the test subject
    return program


def sync(device: dict[str, Any]) -> None:
    device["sync"](device["client"], device["store"])


def view(device: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """What the app shows: each table's live rows, as the compared columns."""
    store = device["store"]
    return {
        table: {row_id: {c: row.get(c) for c in columns} for row_id, row in store.rows(table).items()}
        for table, columns in COLUMNS.items()
    }


def server_view(conn: Any, user_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    return live_rows(conn, user_id, COLUMNS, lambda c, v: str(v) if c == "project_id" and v is not None else v)


def statuses(stand_in: SupabaseStandIn, function: str) -> list[int]:
    return [status for path, status in stand_in.requests if path == f"/rest/v1/rpc/{function}"]


def test_the_readme_client_converges_two_devices_through_a_conflict_a_restart_and_a_resync(
    stand_in, example_db, monkeypatch, tmp_path
):
    email, password = f"ann-{uuid.uuid4().hex[:8]}@example.test", "a password"
    user_id = str(stand_in.create_user(email, password))
    account = {"email": email, "password": password}
    phone = start_device(monkeypatch, stand_in, account, tmp_path / "phone.db")
    laptop = start_device(monkeypatch, stand_in, account, tmp_path / "laptop.db")
    assert phone["store"].client_id() != laptop["store"].client_id()

    # Offline work on both devices, then each syncs.
    groceries, milk, bread, eggs = (str(uuid.uuid4()) for _ in range(4))
    phone["store"].save("public.project", groceries, name="Groceries")
    phone["store"].save("public.task", milk, project_id=groceries, title="milk")
    phone["store"].save("public.task", eggs, project_id=groceries, title="eggs")
    laptop["store"].save("public.task", bread, project_id=groceries, title="bread")
    for device in (phone, laptop, phone):
        sync(device)
    assert set(view(laptop)["public.task"]) == {milk, bread, eggs}

    # The same row edited on both devices; the phone's push lands between the laptop's pull and
    # its push, so the laptop's push answers PT409, and the README's loop pulls and pushes again.
    phone["store"].save("public.task", milk, title="oat milk")
    laptop["store"].save("public.task", milk, done=True)
    real_rpc = laptop["client"].rpc
    interleaved = []

    def rpc_with_a_concurrent_edit(function: str, params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if function == "sync_push" and not interleaved:
            interleaved.append(True)
            sync(phone)
        return real_rpc(function, params, *args, **kwargs)

    monkeypatch.setattr(laptop["client"], "rpc", rpc_with_a_concurrent_edit)
    pushes_before = len(statuses(stand_in, "sync_push"))
    sync(laptop)
    assert statuses(stand_in, "sync_push")[pushes_before:] == [200, 409, 200]  # phone's, laptop's, retry
    monkeypatch.setattr(laptop["client"], "rpc", real_rpc)
    sync(phone)
    assert view(phone)["public.task"][milk] == {"project_id": groceries, "title": "oat milk", "done": True, "notes": None}

    # Deletes travel.
    phone["store"].delete("public.task", bread)
    sync(phone)
    sync(laptop)
    assert bread not in view(laptop)["public.task"]

    # A restart: the same install keeps its client_id, cursor and unpushed edits.
    client_id, cursor = laptop["store"].client_id(), laptop["store"].cursor()
    laptop["store"].save("public.project", groceries, color="green")
    laptop = start_device(monkeypatch, stand_in, account, tmp_path / "laptop.db")  # the program syncs on start
    assert laptop["store"].client_id() == client_id
    assert laptop["store"].cursor() >= cursor
    sync(phone)
    assert view(phone)["public.project"][groceries]["color"] == "green"

    # The phone deletes eggs and a purge removes that deletion: the laptop, which never pulled it,
    # gets PT410 on its next pull, and the README's loop resyncs from null: eggs is gone, the
    # edit the laptop made offline meanwhile is kept and pushed.
    phone["store"].delete("public.task", eggs)
    sync(phone)
    time.sleep(0.01)
    stand_in.hooks["purge"]({})
    laptop["store"].save("public.task", milk, notes="after the purge")
    pulls_before = len(statuses(stand_in, "sync_pull"))
    sync(laptop)
    assert 410 in statuses(stand_in, "sync_pull")[pulls_before:]
    assert eggs not in view(laptop)["public.task"]
    sync(phone)

    with example_db.connect() as conn:
        expected = server_view(conn, user_id)
    assert expected["public.task"][milk]["notes"] == "after the purge"
    assert view(phone) == expected
    assert view(laptop) == expected


def test_the_readme_client_stops_when_the_sign_in_fails(stand_in, monkeypatch, tmp_path):
    with pytest.raises(Exception, match="Invalid login credentials"):
        start_device(monkeypatch, stand_in, {"email": "nobody@example.test", "password": "x"}, tmp_path / "x.db")
