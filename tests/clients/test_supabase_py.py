"""supabase-py (PyPI ``supabase``) against the stand-in: the happy path and every documented error.

A client is made as an app makes it (``create_client(url, anon_key)``), signs
in with a password, and calls the sync RPCs with ``client.rpc(...).execute()``.
Errors arrive as ``postgrest.exceptions.APIError`` with PostgREST's ``code``,
``message``, ``details`` and ``hint``; supabase-py does not keep the HTTP
status, so the status is read from the stand-in's request log.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import supabase
from error_table import EXPECTED_ERRORS, POSTGRES_WORDED
from http_endpoint import SupabaseStandIn
from postgrest.exceptions import APIError

# supabase-py passes postgrest-py options it has itself deprecated; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The '(timeout|verify)' parameter is deprecated:DeprecationWarning")


@dataclass
class Account:
    """A signed-in supabase-py client of one user."""

    client: Any
    user_id: uuid.UUID

    def rpc(self, function: str, args: dict[str, Any]) -> Any:
        return self.client.rpc(function, args).execute().data

    def error(self, function: str, args: dict[str, Any]) -> APIError:
        with pytest.raises(APIError) as caught:
            self.client.rpc(function, args).execute()
        return caught.value


def sign_up_and_in(stand_in: SupabaseStandIn, name: str) -> Account:
    email, password = f"{name}-{uuid.uuid4().hex[:8]}@example.test", "correct horse battery staple"
    user_id = stand_in.create_user(email, password)
    client = supabase.create_client(stand_in.url, stand_in.anon_key)
    session = client.auth.sign_in_with_password({"email": email, "password": password})
    assert session.user.id == str(user_id)
    return Account(client, user_id)


def last_status(stand_in: SupabaseStandIn, function: str) -> int:
    return next(status for path, status in reversed(stand_in.requests) if path == f"/rest/v1/rpc/{function}")


def new_id() -> str:
    return str(uuid.uuid4())


def test_a_signed_in_client_pushes_and_two_devices_pull_the_same_rows(stand_in):
    ann = sign_up_and_in(stand_in, "ann")
    project_id, task_id = new_id(), new_id()
    response = ann.rpc(
        "sync_push",
        {
            "changes": {
                "public.project": {"created": [{"id": project_id, "name": "Groceries"}]},
                "public.task": {"created": [{"id": task_id, "project_id": project_id, "title": "milk", "isRemote": True}]},
            },
            "push_id": new_id(),
            "client_id": new_id(),
        },
    )
    assert response["applied"]["public.task"]["created"] == 1
    assert response["ignored_columns"] == {"public.task": ["isRemote"]}
    page = ann.rpc("sync_pull", {"last_pulled_at": None})
    assert [row["id"] for row in page["changes"]["public.task"]["created"]] == [task_id]
    assert page["changes"]["public.task"]["created"][0]["user_id"] == str(ann.user_id)
    assert isinstance(page["timestamp"], int) and page["has_more"] is False
    again = ann.rpc("sync_pull", {"last_pulled_at": page["timestamp"]})
    assert again["changes"]["public.task"] == {"created": [], "updated": [], "deleted": []}
    # Another user sees none of it.
    bob = sign_up_and_in(stand_in, "bob")
    assert bob.rpc("sync_pull", {})["changes"]["public.task"]["created"] == []


def _conflict(stand_in: SupabaseStandIn) -> tuple[APIError, Account]:
    ann = sign_up_and_in(stand_in, "ann")
    phone, laptop, row = new_id(), new_id(), {"id": new_id(), "name": "shared"}
    ann.rpc("sync_push", {"changes": {"public.project": {"created": [row]}}, "client_id": phone})
    cursor = ann.rpc("sync_pull", {"client_id": laptop})["timestamp"]
    ann.rpc("sync_push", {"changes": {"public.project": {"updated": [{"id": row["id"], "name": "phone"}]}}, "client_id": phone})
    error = ann.error(
        "sync_push",
        {
            "changes": {"public.project": {"updated": [{"id": row["id"], "name": "laptop"}]}},
            "last_pulled_at": cursor,
            "client_id": laptop,
        },
    )
    assert json.loads(error.details) == {"conflicts": {"public.project": [row["id"]]}}
    return error, ann


def _cursor_too_old(stand_in: SupabaseStandIn) -> tuple[APIError, Account]:
    ann = sign_up_and_in(stand_in, "ann")
    row = {"id": new_id(), "name": "to delete"}
    ann.rpc("sync_push", {"changes": {"public.project": {"created": [row]}}})
    cursor = ann.rpc("sync_pull", {})["timestamp"]
    ann.rpc("sync_push", {"changes": {"public.project": {"deleted": [row["id"]]}}})
    time.sleep(0.01)
    stand_in.hooks["purge"]({})
    return ann.error("sync_pull", {"last_pulled_at": cursor}), ann


def _push_error(changes: dict[str, Any]) -> Callable[[SupabaseStandIn], tuple[APIError, Account]]:
    def scenario(stand_in: SupabaseStandIn) -> tuple[APIError, Account]:
        ann = sign_up_and_in(stand_in, "ann")
        return ann.error("sync_push", {"changes": changes}), ann

    return scenario


def _member_who_does_not_exist(stand_in: SupabaseStandIn) -> tuple[APIError, Account]:
    ann = sign_up_and_in(stand_in, "ann")
    project = {"id": new_id(), "name": "shared"}
    ann.rpc("sync_push", {"changes": {"public.project": {"created": [project]}}})
    grant = {"id": new_id(), "project_id": project["id"], "user_id": new_id(), "role": "viewer"}
    return ann.error("sync_push", {"changes": {"public.project_member": {"created": [grant]}}}), ann


def _service_role(stand_in: SupabaseStandIn) -> tuple[APIError, Any]:
    client = supabase.create_client(stand_in.url, stand_in.service_key)  # server code with the service key
    with pytest.raises(APIError) as caught:
        client.rpc("sync_push", {"changes": {"public.project": {"created": [{"id": new_id(), "name": "p"}]}}}).execute()
    return caught.value, None


def _anon(stand_in: SupabaseStandIn) -> tuple[APIError, Any]:
    client = supabase.create_client(stand_in.url, stand_in.anon_key)  # never signed in
    with pytest.raises(APIError) as caught:
        client.rpc("sync_pull", {}).execute()
    return caught.value, None


def _page_size_out_of_range(stand_in: SupabaseStandIn) -> tuple[APIError, Account]:
    ann = sign_up_and_in(stand_in, "ann")
    return ann.error("sync_pull", {"page_size": 0}), ann


SCENARIOS: dict[str, Callable[[SupabaseStandIn], tuple[APIError, Any]]] = {
    "22023 unknown collection": _push_error({"auth.users": {"created": []}}),
    "22023 page_size out of range": _page_size_out_of_range,
    # The example's tasks belong to a project (a scope): a task in a missing project answers 42501 like
    # one in another user's project (docs/protocol.md "Sharing"), so these use projects and members.
    "22P02 bad value": _push_error({"public.project": {"created": [{"id": new_id(), "name": "p", "archived": "maybe"}]}}),
    "23502 null in a not null column": _push_error({"public.project": {"created": [{"id": new_id(), "name": None}]}}),
    "23503 parent row missing": _member_who_does_not_exist,
    "42501 service_role": _service_role,
    "42501 anon": _anon,
    "PT409 conflict": _conflict,
    "PT410 cursor too old": _cursor_too_old,
}


def test_every_expected_error_has_a_scenario():
    assert SCENARIOS.keys() == EXPECTED_ERRORS.keys()


@pytest.mark.parametrize("case", EXPECTED_ERRORS, ids=list(EXPECTED_ERRORS))
def test_each_documented_error_reaches_supabase_py_with_its_code_and_status(stand_in, case):
    expected = EXPECTED_ERRORS[case]
    error, _account = SCENARIOS[case](stand_in)
    assert error.code == expected.sqlstate
    assert last_status(stand_in, expected.function) == expected.status
    if case not in POSTGRES_WORDED:
        assert error.message.startswith("supabase_sync:"), error.message
    assert error.json().keys() >= {"code", "message", "details", "hint"}


def test_after_pt409_a_pull_and_the_same_push_succeed(stand_in):
    _error, ann = _conflict(stand_in)
    laptop = new_id()
    cursor = ann.rpc("sync_pull", {"client_id": laptop})["timestamp"]
    row_id = next(iter(ann.rpc("sync_pull", {})["changes"]["public.project"]["created"]))["id"]
    response = ann.rpc(
        "sync_push",
        {"changes": {"public.project": {"updated": [{"id": row_id, "name": "laptop"}]}}, "last_pulled_at": cursor},
    )
    assert response["applied"]["public.project"]["updated"] == 1
