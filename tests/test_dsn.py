"""Database URLs are shown with the whole password masked, whatever it holds."""

from __future__ import annotations

import pytest

from supabase_sync.dsn import mask_dsn, password_needs_encoding


@pytest.mark.parametrize(
    ("url", "shown", "needs_encoding"),
    [
        ("postgresql://postgres:s3cret@db.example:5432/app", "postgresql://postgres:***@db.example:5432/app", False),
        ("postgresql://postgres:p@ss@127.0.0.1/app", "postgresql://postgres:***@127.0.0.1/app", True),
        ("postgresql://postgres:a/b@c@127.0.0.1/app", "postgresql://postgres:***@127.0.0.1/app", True),
        ("postgresql://postgres:p%40ss@127.0.0.1/app", "postgresql://postgres:***@127.0.0.1/app", False),
        ("postgresql://postgres@127.0.0.1/app", "postgresql://postgres@127.0.0.1/app", False),
        ("host=127.0.0.1 password=p@ss user=postgres", "host=127.0.0.1 password=*** user=postgres", False),
    ],
)
def test_mask_hides_the_whole_password(url: str, shown: str, needs_encoding: bool) -> None:
    assert mask_dsn(url) == shown
    assert password_needs_encoding(url) is needs_encoding
