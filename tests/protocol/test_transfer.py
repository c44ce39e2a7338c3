"""Ownership changes reach the former owner as deletions; the key phase shows each user only their own keys."""

from __future__ import annotations

from typing import Any

from helpers.protocol import Device, project

from supabase_sync import rpc


def test_a_row_moved_to_another_owner_reaches_the_former_owner_as_deleted(
    example_db: Any, alice: Device, bob: Device, owner
) -> None:
    moved, kept = project(), project()
    alice.push({"public.project": {"created": [moved, kept]}})
    alice.pull_all()
    bob.pull_all()
    # service_role (an admin, bypassing RLS) moves the row from Alice to Bob.
    with rpc.as_user(example_db.connect(), user_id=alice.user_id, role="service_role") as cur:
        cur.execute("update public.project set user_id = %s where id = %s", (bob.user_id, moved["id"]))
    assert alice.pull_all()["public.project"] == {moved["id"]: None}
    assert set(bob.pull_all()["public.project"]) == {moved["id"]}
    # Alice's next push of her other rows is not blocked by the row she lost.
    alice.push({"public.project": {"updated": [{"id": kept["id"], "name": "still mine"}]}}, last_pulled_at=alice.cursor)
    # Moved back: Alice gets it again and the old tombstone no longer reports it.
    with rpc.as_user(example_db.connect(), user_id=alice.user_id, role="service_role") as cur:
        cur.execute("update public.project set user_id = %s where id = %s", (alice.user_id, moved["id"]))
    back = alice.pull_all()["public.project"]
    assert back[moved["id"]] is not None
    assert bob.pull_all()["public.project"] == {moved["id"]: None}
    alice.cursor = None
    assert set(alice.pull_all()["public.project"]) == {moved["id"], kept["id"]}


def test_an_update_that_keeps_the_owner_writes_no_tombstone(alice: Device, owner) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    alice.push({"public.project": {"updated": [{"id": row["id"], "name": "renamed"}]}})
    owner.execute("update public.project set user_id = user_id where id = %s", (row["id"],))
    assert owner.execute("select count(*) from supabase_sync.tombstone").fetchone()[0] == 0


def test_the_key_phase_answers_only_the_callers_keys_whatever_the_arguments(alice: Device, bob: Device) -> None:
    alice.push({"public.project": {"created": [project()]}})
    args = {
        "relids": "{public.project,public.task,auth.users}",
        "lower_version": "0", "lower_bucket": 0, "upper_version": None, "upper_bucket": None,
        "horizon": "0", "skip_deletions": False, "echo_of": None, "row_limit": None,
    }
    assert rpc.call(bob.conn, "pull_keys", args, user_id=bob.user_id, schema="supabase_sync") == []
    mine = rpc.call(alice.conn, "pull_keys", args, user_id=alice.user_id, schema="supabase_sync")
    assert len(mine) == 1
