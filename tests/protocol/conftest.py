"""Fixtures of the protocol tests: the example database, its owner, two users' devices."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device


@pytest.fixture
def owner(example_db: Any) -> Iterator[psycopg.Connection]:
    """An autocommit owner connection to the example database."""
    yield example_db.connect()


@pytest.fixture
def alice(example_db: Any) -> Device:
    """A device of a signed-up user."""
    return Device(example_db.connect(), example_db.create_user())


@pytest.fixture
def bob(example_db: Any) -> Device:
    """A device of another signed-up user."""
    return Device(example_db.connect(), example_db.create_user())
