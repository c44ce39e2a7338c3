"""Random interleavings of offline edits, deletes and syncs on a user's devices converge to the server state."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from helpers.protocol import Device, new_id

from supabase_sync.rpc import RpcError

DEVICES = 3
_clock = itertools.count(1)
_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # in the past: lww refuses clocks ahead of the server


def _stamp() -> str:
    """A device clock reading; devices share one clock so later edits carry later updated_at."""
    return (_EPOCH + dt.timedelta(seconds=next(_clock))).isoformat()


@dataclass
class OfflineDevice:
    """A device's local copy of public.project: live rows, pending edits and deletes, cursor."""

    remote: Device
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)

    def edit(self, slot: int, name: str) -> None:
        ids = sorted(self.rows)
        row_id = ids[slot] if slot < len(ids) else new_id()
        row = {**self.rows.get(row_id, {"id": row_id}), "name": name, "updated_at": _stamp()}
        self.rows[row_id] = row
        self.pending[row_id] = {"id": row_id, "name": name, "updated_at": row["updated_at"]}

    def delete(self, slot: int) -> None:
        ids = sorted(self.rows)
        if not ids:
            return
        row_id = ids[slot % len(ids)]
        del self.rows[row_id]
        self.pending.pop(row_id, None)
        self.deletes.add(row_id)

    def pull(self) -> dict[str, dict[str, Any]]:
        pulled: dict[str, dict[str, Any]] = {}
        for _ in range(1000):
            page = self.remote.pull(
                last_pulled_at=self.remote.cursor,
                collections=["public.project"],
                client_id=str(self.remote.client_id),
                page_size=3,
            )
            change = page["changes"]["public.project"]
            for row in change["created"] + change["updated"]:
                pulled[row["id"]] = row
                if row["id"] not in self.pending and row["id"] not in self.deletes:
                    self.rows[row["id"]] = {"id": row["id"], "name": row["name"], "updated_at": row["updated_at"]}
            for row_id in change["deleted"]:
                # A delete wins over a local edit, as it does on the server (deleted_at stays set).
                self.rows.pop(row_id, None)
                self.pending.pop(row_id, None)
                pulled.pop(row_id, None)
            self.remote.cursor = page["timestamp"]
            if not page["has_more"]:
                return pulled
        raise AssertionError("pull did not finish")

    def sync(self) -> None:
        pulled = self.pull()
        for _attempt in range(5):
            changes = {"public.project": {"updated": list(self.pending.values()), "deleted": sorted(self.deletes)}}
            try:
                response = self.remote.push(changes, last_pulled_at=self.remote.cursor, client_id=str(self.remote.client_id))
            except RpcError as error:
                assert error.sqlstate == "PT409", error
                pulled.update(self.pull())
                continue
            for lost in response["conflicts"]:
                # The server kept its newer row: take it (pulled before the push, or pulled next time).
                self.pending.pop(lost["id"], None)
                server_row = pulled.get(lost["id"])
                if server_row is not None:
                    self.rows[lost["id"]] = {"id": lost["id"], "name": server_row["name"], "updated_at": server_row["updated_at"]}
            self.pending.clear()
            self.deletes.clear()
            return
        raise AssertionError("push kept conflicting")

    def live(self) -> dict[str, str]:
        return {row_id: row["name"] for row_id, row in self.rows.items()}


operation = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, DEVICES - 1), st.integers(0, 4), st.sampled_from(["a", "b", "c", "d"])),
    st.tuples(st.just("delete"), st.integers(0, DEVICES - 1), st.integers(0, 4)),
    st.tuples(st.just("sync"), st.integers(0, DEVICES - 1)),
)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["reject", "lww"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_offline_devices_of_one_user_converge_to_the_server_state(
    example_db: Any, owner, strategy: str, operations: list[tuple]
) -> None:
    owner.execute(
        "update supabase_sync.synced_table set conflict_strategy = %s where relid = 'public.project'::regclass",
        (strategy,),
    )
    user_id = example_db.create_user()
    conn = example_db.connect()
    devices = [OfflineDevice(Device(conn, user_id)) for _ in range(DEVICES)]
    for op in operations:
        device = devices[op[1]]
        if op[0] == "edit":
            device.edit(op[2], op[3])
        elif op[0] == "delete":
            device.delete(op[2])
        else:
            device.sync()
    for _round in range(2):
        for device in devices:
            device.sync()
    server = dict(
        owner.execute(
            "select id::text, name from public.project where user_id = %s and deleted_at is null", (user_id,)
        ).fetchall()
    )
    for device in devices:
        assert device.live() == server
