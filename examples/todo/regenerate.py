"""Re-renders the migrations supabase-sync generated for the example and the test fixtures, in place.

Run it after changing anything under ``sql/`` or the renderers:
``python examples/todo/regenerate.py``. ``tests/test_install.py`` fails while
a committed file differs from what the tool renders today. File names stay.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
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
        ["public.task"], scope_column="project_id", conflict_strategy="lww", migrations_dir=folder, dry_run=True,
        check_folder=False,
    ),
}


def _sibling(first: Path, index: int, text_suffix: str) -> Path:
    """The path of a command's ``index``-th file: the first one's version plus ``index`` seconds."""
    matches = sorted(first.parent.glob(f"*{text_suffix}"))
    if matches:
        return matches[0]
    version = datetime.strptime(first.name.split("_", 1)[0], "%Y%m%d%H%M%S") + timedelta(seconds=index)
    return first.parent / f"{version:%Y%m%d%H%M%S}{text_suffix}"


def rendered_migrations(*, write: bool = False) -> dict[Path, str]:
    """Return each generated migration file with the SQL the tool renders today.

    A command writing two files (enable: the DDL, then ``*_indexes.sql``) gives both.
    ``write`` rewrites each command's files as soon as they are rendered: enable
    checks a folder by migrating it in a sandbox, so the files before it must be current.
    """
    files: dict[Path, str] = {}
    for (folder, suffix), render in GENERATED.items():
        if write:
            _write_changed(files)
        matches = sorted(folder.glob(f"*{suffix}"))
        if len(matches) != 1:
            raise SystemExit(f"expected one *{suffix} in {folder}, found {len(matches)}")
        result = render(folder)
        texts = result.migration_texts or [result.sql]
        files[matches[0]] = texts[0]
        for index, (path, text) in enumerate(zip(result.migration_paths[1:], texts[1:], strict=True), start=1):
            tail = path.name.split("_", 1)[1]
            files[_sibling(matches[0], index, "_" + tail)] = text
    return files


def _write_changed(files: dict[Path, str]) -> None:
    for path, text in files.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"updated {path.relative_to(REPO)}")


def main() -> int:
    """Rewrite the generated migrations; print the ones that changed."""
    _write_changed(rendered_migrations(write=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
