"""The errors every client test provokes: docs/protocol.md's error table, one scenario each.

Each entry names a scenario (implemented once per client library: supabase-py
in test_supabase_py.py, supabase-js in tests/js/rpc_errors.mjs) and what the
client must receive: the RPC called, the SQLSTATE (PostgREST's ``code``) and
the HTTP status.
"""

from __future__ import annotations

from typing import NamedTuple


class ExpectedError(NamedTuple):
    """What a client receives for one scenario."""

    function: str
    sqlstate: str
    status: int


EXPECTED_ERRORS: dict[str, ExpectedError] = {
    "22023 unknown collection": ExpectedError("sync_push", "22023", 400),
    "22023 page_size out of range": ExpectedError("sync_pull", "22023", 400),
    "22P02 bad value": ExpectedError("sync_push", "22P02", 400),
    "23502 null in a not null column": ExpectedError("sync_push", "23502", 400),
    "23503 parent row missing": ExpectedError("sync_push", "23503", 409),
    "42501 service_role": ExpectedError("sync_push", "42501", 403),
    "42501 anon": ExpectedError("sync_pull", "42501", 401),
    "PT409 conflict": ExpectedError("sync_push", "PT409", 409),
    "PT410 cursor too old": ExpectedError("sync_pull", "PT410", 410),
}

#: Errors PostgreSQL itself words (the others' messages start with "supabase_sync:").
POSTGRES_WORDED = ("42501 anon", "23503 parent row missing")
