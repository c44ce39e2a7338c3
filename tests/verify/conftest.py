"""Fixtures of the verify tests: projects built from the example plus one breaking migration."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.projects import build_project


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A writable copy of the example project (without its generated tests)."""
    return build_project(tmp_path / "project")
