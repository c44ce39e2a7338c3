"""Big numbers (issue 11.9, docs/protocol.md "Big numbers"): int8 and numeric survive a round trip exactly.

JavaScript reads JSON numbers as doubles, so ``enable --big-numbers string``
sends int8/numeric columns as JSON strings, exactly as PostgreSQL prints them;
the default, ``number``, keeps them exact JSON numbers. Pushes accept both
forms under either choice. Every call is a signed-in user's, through
``supabase_sync.rpc``; the user's connection decodes JSON numbers with
``Decimal`` so that a test can tell an exact number from a rounded one.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, new_id
from psycopg.types.json import set_json_loads

from supabase_sync import api, rpc

LEDGER = "public.ledger"
#: 2^53 + 1: the first integer a double cannot hold (JavaScript reads it as ...992).
BIG = 9007199254740993
#: More digits than a double keeps.
EXACT = "12345678901234567890.123456789"


def _exact_json(device: Device) -> Device:
    """Make ``device``'s connection decode JSON numbers exactly (ints as int, the rest as Decimal)."""
    set_json_loads(functools.partial(json.loads, parse_float=Decimal), device.conn)
    return device


def _json_text(value: Any) -> str:
    """``value`` as JSON text, each Decimal as a bare JSON number (Python's json writes only floats, rounded)."""
    numbers: dict[str, str] = {}

    def mark(item: object) -> str:
        if not isinstance(item, Decimal):
            raise TypeError(f"cannot write a {type(item).__name__} as JSON")
        key = f"\u0000{len(numbers)}"
        numbers[key] = str(item)
        return key

    text = json.dumps(value, default=mark)
    for key, number in numbers.items():
        text = text.replace(json.dumps(key), number)
    return text


def _push(device: Device, changes: dict[str, Any]) -> Any:
    """sync_push as ``device``'s user, the changes sent as JSON text (exact numbers stay exact on the wire)."""
    with rpc.as_user(device.conn, user_id=device.user_id) as cur:
        cur.execute(
            "select public.sync_push(changes => %s::jsonb, client_id => %s)", (_json_text(changes), device.client_id)
        )
        (response,) = cur.fetchone() or (None,)
    return response


def _pulled(device: Device, row_id: str, *, kind: str) -> dict[str, Any]:
    """The row as the next pull sends it (``created`` from null, ``updated`` from the device cursor)."""
    page = device.pull(collections=[LEDGER], last_pulled_at=device.cursor)
    device.cursor = page["timestamp"]
    (row,) = [row for row in page["changes"][LEDGER][kind] if row["id"] == row_id]
    return row


@pytest.fixture
def ledger(example_db: Any) -> str:
    """public.ledger: a synced table with a bigint and a numeric column, enabled with the pack default."""
    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "create table public.ledger (id uuid primary key,"
            " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
            " big bigint, exact numeric, label text)"
        )
    api.enable([LEDGER], db_url=example_db.owner_dsn, add_missing_columns=True)
    return LEDGER


def _stored(owner: psycopg.Connection, row_id: str) -> tuple[Any, ...] | None:
    return owner.execute("select big, exact::text, label from public.ledger where id = %s", (row_id,)).fetchone()


def _assert_as_chosen(row: dict[str, Any], choice: str) -> None:
    if choice == "string":
        assert (row["big"], row["exact"]) == (str(BIG), EXACT)
    else:
        # Exact JSON numbers: the int8 an int, the numeric a Decimal with every digit.
        assert type(row["big"]) is int and row["big"] == BIG
        assert isinstance(row["exact"], Decimal) and str(row["exact"]) == EXACT
    assert row["label"] == "x"


@pytest.mark.parametrize("pushed_as", ["string", "number"])
@pytest.mark.parametrize("choice", ["string", "number"])
def test_big_numbers_round_trip_exactly_under_either_choice_whichever_form_is_pushed(
    example_db: Any, ledger: str, alice: Device, owner: psycopg.Connection, choice: str, pushed_as: str
) -> None:
    api.enable([ledger], db_url=example_db.owner_dsn, big_numbers=choice)
    device = _exact_json(alice)
    row_id = new_id()
    big: Any = str(BIG) if pushed_as == "string" else BIG
    exact: Any = EXACT if pushed_as == "string" else Decimal(EXACT)
    response = _push(device, {ledger: {"created": [{"id": row_id, "big": big, "exact": exact, "label": "x"}]}})
    assert response["applied"][ledger]["created"] == 1
    assert _stored(owner, row_id) == (BIG, EXACT, "x")

    pulled = _pulled(device, row_id, kind="created")
    _assert_as_chosen(pulled, choice)

    # The pulled row pushed back as it came, and pulled again: nothing drifts.
    _push(device, {ledger: {"updated": [{**pulled, "label": "x"}]}})
    assert _stored(owner, row_id) == (BIG, EXACT, "x")
    _assert_as_chosen(_pulled(device, row_id, kind="updated"), choice)


def test_big_numbers_pack_default_applies_to_tables_enabled_without_a_choice(
    ledger: str, alice: Device, owner: psycopg.Connection
) -> None:
    device = _exact_json(alice)
    row_id = new_id()
    _push(device, {ledger: {"created": [{"id": row_id, "big": BIG, "exact": Decimal(EXACT), "label": "x"}]}})
    assert owner.execute(
        "select big_numbers from supabase_sync.synced_table where relid = 'public.ledger'::regclass"
    ).fetchone() == (None,)
    _assert_as_chosen(_pulled(device, row_id, kind="created"), "number")
    # The pack-wide choice (docs/protocol.md "Big numbers"): meta big_numbers.
    owner.execute("update supabase_sync.meta set value = 'string' where key = 'big_numbers'")
    device.cursor = None
    _assert_as_chosen(_pulled(device, row_id, kind="created"), "string")
