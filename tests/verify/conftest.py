"""Fixtures of the verify tests: projects built from the example plus one breaking migration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supabase_sync.verify import example_project

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def build_project(destination: Path, case: str | None = None) -> Path:
    """Copy the example's supabase/ folder to ``destination``, plus fixture ``case``'s migrations."""
    shutil.copytree(example_project() / "supabase", destination / "supabase", ignore=shutil.ignore_patterns("tests"))
    if case is not None:
        for migration in sorted((FIXTURES / case / "supabase" / "migrations").glob("*.sql")):
            shutil.copy(migration, destination / "supabase" / "migrations" / migration.name)
    return destination


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A writable copy of the example project (without its generated tests)."""
    return build_project(tmp_path / "project")
