"""Re-renders the example's generated migrations in place (their file names stay).

Run it after changing anything under ``sql/`` or the renderers:
``python examples/todo/regenerate.py``. ``tests/test_install.py`` fails while
the committed files differ from what the tool renders today.
"""

from __future__ import annotations

import sys
from pathlib import Path

from supabase_sync import api

MIGRATIONS = Path(__file__).resolve().parent / "supabase" / "migrations"

#: The commands that generated the example's migrations, by file-name suffix.
GENERATED = {
    "_supabase_sync_install.sql": lambda folder: api.install(migrations_dir=folder, dry_run=True),
    "_supabase_sync_enable_project_task_doc_updates.sql": lambda folder: api.enable(
        ["public.project", "public.task", "public.doc_updates"],
        add_missing_columns=True,
        migrations_dir=folder,
        dry_run=True,
    ),
}


def rendered_migrations() -> dict[Path, str]:
    """Return each generated migration file of the example with the SQL the tool renders today."""
    files: dict[Path, str] = {}
    for suffix, render in GENERATED.items():
        matches = sorted(MIGRATIONS.glob(f"*{suffix}"))
        if len(matches) != 1:
            raise SystemExit(f"expected one *{suffix} in {MIGRATIONS}, found {len(matches)}")
        files[matches[0]] = render(MIGRATIONS).sql
    return files


def main() -> int:
    """Rewrite the generated migrations; print the ones that changed."""
    for path, text in rendered_migrations().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"updated {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
