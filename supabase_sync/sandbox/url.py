"""The ``url``sandbox backend (in progress)."""

from __future__ import annotations


def unavailable_reason() -> str | None:
    """Say why this backend cannot run here, or None when it can."""
    return "not implemented yet"
