"""Supabase project folders for tests: the example, plus the migrations of one fixture case."""

from __future__ import annotations

import shutil
from pathlib import Path

from supabase_sync.project import example_project

#: Fixture cases (``<case>/supabase/migrations/*.sql``) of the verify tests.
FIXTURES = Path(__file__).resolve().parent.parent / "verify" / "fixtures"


def build_project(destination: Path, case: str | None = None) -> Path:
    """Copy the example's supabase/ folder to ``destination``, plus fixture ``case``'s migrations."""
    shutil.copytree(
        example_project().supabase_dir, destination / "supabase", ignore=shutil.ignore_patterns("tests")
    )
    if case is not None:
        for migration in sorted((FIXTURES / case / "supabase" / "migrations").glob("*.sql")):
            shutil.copy(migration, destination / "supabase" / "migrations" / migration.name)
    return destination
