"""supabase-js (npm ``@supabase/supabase-js`` with ``ws`` on Node 20) against the stand-in.

``tests/js/rpc_errors.mjs`` signs in as apps do, runs the happy path and one
scenario per documented error, and prints what supabase-js reported; this test
checks it. Skipped, saying why, only when Node.js or the locked npm packages
(``npm ci --prefix tests/js``, run by .ci/run) are absent.
"""

from __future__ import annotations

import json

from error_table import EXPECTED_ERRORS, POSTGRES_WORDED
from node_runner import REPO_ROOT, node_packages_or_skip, run_node

JS_TESTS = REPO_ROOT / "tests" / "js"


def test_supabase_js_gets_every_documented_error_code_and_status_and_the_happy_path(stand_in):
    node_packages_or_skip(JS_TESTS)
    completed = run_node(
        JS_TESTS / "rpc_errors.mjs", env={
            "SUPABASE_URL": stand_in.url,
            "SUPABASE_ANON_KEY": stand_in.anon_key,
            "SUPABASE_SERVICE_KEY": stand_in.service_key,
        },
    )
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    happy = results["happy_path"]
    assert happy["applied"]["public.task"] == {"created": 1, "updated": 0, "deleted": 0}
    assert happy["ignored_columns"] == {"public.task": ["_status"]}
    assert happy["pulled_task_ids"] == [happy["task_id"]]
    assert happy["pulled_owner"] == happy["owner"]
    assert (happy["timestamp_is_safe_integer"], happy["has_more"]) == (True, False)
    assert happy["next_task_changes"] == {"created": [], "updated": [], "deleted": []}

    errors = results["errors"]
    assert errors.keys() == EXPECTED_ERRORS.keys()
    for case, expected in EXPECTED_ERRORS.items():
        got = errors[case]
        assert (got["code"], got["status"]) == (expected.sqlstate, expected.status), case
        if case not in POSTGRES_WORDED:
            assert got["message"].startswith("supabase_sync:"), (case, got["message"])
    conflict = errors["PT409 conflict"]
    assert json.loads(conflict["details"])["conflicts"]["public.project"]
    assert conflict["hint"] == "pull, then push again"
    assert (conflict["pulled_after_conflict"], conflict["retry_applied"]) == (["phone"], 1)
