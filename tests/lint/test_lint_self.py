"""The project lints itself: every shipped .sql file, and the SQL the tool generates, passes its own lint.

The shipped files are copied out of the repository first, so only the configuration
that ships with them applies (sql/.sqlfluff and the .sqlfluff
files inside sql/), not this repository's top-level .sqlfluff.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from supabase_sync import api
from supabase_sync.lint import LintReport, format_report, lint

REPO = Path(__file__).resolve().parents[2]


def _explain(report: LintReport) -> str:
    return "these files fail `supabase-sync lint`:\n" + format_report(report, "text")


def test_every_shipped_sql_file_passes_the_shipped_lint(tmp_path: Path) -> None:
    shipped = tmp_path / "sql"
    shutil.copytree(REPO / "sql", shipped)

    started = time.perf_counter()
    report = lint([shipped], project_dir=tmp_path, semantic_checks=False, processes=2)
    elapsed = time.perf_counter() - started

    print(f"self-lint: {len(report.files)} files in {elapsed:.1f} s")  # measured, never asserted
    assert len(report.files) >= 20
    assert report.findings == [] and report.problems == [], _explain(report)
    assert not any("style rules" in note for note in report.notes), "sql/.sqlfluff puts the style rules on"


def test_the_example_projects_migrations_pass_the_style_lint() -> None:
    migrations = REPO / "examples" / "todo" / "supabase" / "migrations"

    report = lint([migrations], project_dir=REPO / "examples" / "todo", semantic_checks=False, style_rules=True)

    assert report.findings == [] and report.problems == [], _explain(report)


def test_the_sql_printed_by_rls_passes_the_style_lint(tmp_path: Path) -> None:
    for table in ("public.invoice", 'public."Weird Name"', "app.a_table_with_a_rather_long_name_for_an_index"):
        generated = tmp_path / f"rls_{abs(hash(table))}.sql"
        generated.write_text(api.rls(table).sql)

        report = lint([generated], project_dir=tmp_path, semantic_checks=False, style_rules=True)

        assert report.findings == [] and report.problems == [], _explain(report)
