"""Re-renders the migrations supabase-sync generated for the example and the test fixtures, in place.

Run it after changing anything under ``sql/`` or the renderers:
``python examples/todo/regenerate.py``. ``tests/test_install.py`` fails while
a committed file differs from what the tool renders today. File names stay.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from supabase_sync import api

HERE = Path(__file__).resolve().parent
MIGRATIONS = HERE / "supabase" / "migrations"
REPO = HERE.parent.parent
LWW_FIXTURE = REPO / "tests" / "verify" / "fixtures" / "lww_strategy" / "supabase" / "migrations"

#: The commands that generated each migration: (folder, file-name suffix) -> the command, as a dry run.
GENERATED: dict[tuple[Path, str], Callable[[Path], api.PlanResult]] = {
    (MIGRATIONS, "_supabase_sync_install.sql"): lambda folder: api.install(migrations_dir=folder, dry_run=True),
    (MIGRATIONS, "_supabase_sync_enable_project_task_doc_updates.sql"): lambda folder: api.enable(
        ["public.project", "public.task", "public.doc_updates"],
        add_missing_columns=True,
        migrations_dir=folder,
        dry_run=True,
    ),
    # Sharing: projects get members, tasks and doc updates follow their project.
    (MIGRATIONS, "_supabase_sync_enable_project_project_member.sql"): lambda folder: api.enable(
        ["public.project"], members="public.project_member", create_members=True, migrations_dir=folder, dry_run=True
    ),
    (MIGRATIONS, "_supabase_sync_enable_task.sql"): lambda folder: api.enable(
        ["public.task"], scope_column="project_id", migrations_dir=folder, dry_run=True
    ),
    (MIGRATIONS, "_supabase_sync_enable_doc_updates.sql"): lambda folder: api.enable(
        ["public.doc_updates"],
        scope_column="project_id",
        scope_through="task_id",
        add_missing_columns=True,
        migrations_dir=folder,
        dry_run=True,
    ),
    # `supabase-sync enable public.task --scope-column project_id --conflict-strategy lww`, the verify fixture
    # that switches a table to lww.
    (LWW_FIXTURE, "_supabase_sync_enable_task.sql"): lambda folder: api.enable(
        ["public.task"], scope_column="project_id", conflict_strategy="lww", migrations_dir=folder, dry_run=True
    ),
}


def rendered_migrations() -> dict[Path, str]:
    """Return each generated migration file with the SQL the tool renders today."""
    files: dict[Path, str] = {}
    for (folder, suffix), render in GENERATED.items():
        matches = sorted(folder.glob(f"*{suffix}"))
        if len(matches) != 1:
            raise SystemExit(f"expected one *{suffix} in {folder}, found {len(matches)}")
        files[matches[0]] = render(folder).sql
    return files


def main() -> int:
    """Rewrite the generated migrations; print the ones that changed."""
    for path, text in rendered_migrations().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"updated {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
