"""`supabase-sync lint` as a user runs it: output, formats and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STYLE = Path(__file__).parent / "fixtures" / "style"
EXAMPLE = REPO / "examples" / "todo"


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supabase_sync", "lint", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_style_findings_exit_2_and_print_file_line_col_code_message() -> None:
    result = _run("--no-semantic", str(STYLE / "uppercase.sql"))

    assert result.returncode == 2, result.stderr
    assert result.stdout.splitlines()[0].endswith("uppercase.sql:2:1 CP01 Keywords must be lower case.")
    assert "Traceback" not in result.stderr


def test_github_format_prints_annotations() -> None:
    result = _run("--no-semantic", "--format", "github", str(STYLE / "uppercase.sql"))

    assert result.stdout.startswith("::error file=")
    assert ",line=2,col=1,title=CP01::" in result.stdout


def test_unparsable_file_exits_1_with_its_location() -> None:
    result = _run("--no-semantic", str(STYLE / "unparsable.sql"))

    assert result.returncode == 1
    assert "unparsable.sql:2:8 PRS" in result.stdout


def test_a_missing_path_exits_1_with_a_hint_and_no_traceback() -> None:
    result = _run("--no-semantic", "does/not/exist.sql")

    assert result.returncode == 1
    assert "does/not/exist.sql does not exist" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_clean_files_exit_0() -> None:
    result = _run("--no-semantic", "--json", str(STYLE / "policy_names.sql"))

    assert result.returncode == 0, result.stdout
    assert '"exit_code": 0' in result.stdout


def test_the_example_project_lints_clean_sqlfluff_and_semantic_lints() -> None:
    # The real default flow: supabase/migrations linted, then applied in a sandbox and inspected.
    result = _run("--format", "json", cwd=EXAMPLE)

    assert result.returncode == 0, result.stdout + result.stderr
    import json

    report = json.loads(result.stdout)
    errors = [f for f in report["findings"] if f["level"] == "error"]
    assert errors == [], errors
    assert report["database"] and "migrated in a sandbox" in report["database"]


#: A valid migration a newcomer writes in their own style: two-space indents.
TWO_SPACE_MIGRATION = """create table public.label (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id),
  name text not null
);

alter table public.label enable row level security;

create policy "owner reads labels"
on public.label
for select
to authenticated
using ((select auth.uid()) = user_id);

create index label_user_id_idx on public.label (user_id);
"""


def _newcomer_project(tmp_path: Path) -> Path:
    from helpers.projects import build_project

    project = build_project(tmp_path / "project")
    (project / "supabase" / "migrations" / "29990101000000_labels.sql").write_text(TWO_SPACE_MIGRATION)
    return project


def test_a_valid_migration_in_its_own_style_passes_the_tour_and_style_is_opt_in(tmp_path: Path) -> None:
    project = _newcomer_project(tmp_path)

    plain = _run(cwd=project)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "--style" in plain.stderr  # the note says style rules were left out, and how to opt in

    styled = _run("--style", "--no-semantic", cwd=project)
    assert styled.returncode == 2
    assert "29990101000000_labels.sql:2:1 LT02" in styled.stdout
    assert "supabase-sync lint --fix" in styled.stderr

    fixed = _run("--style", "--fix", "--no-semantic", cwd=project)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed supabase/migrations/29990101000000_labels.sql" in fixed.stderr
    text = (project / "supabase" / "migrations" / "29990101000000_labels.sql").read_text()
    assert "\n    id uuid primary key" in text


def test_write_config_lets_plain_sqlfluff_lint_the_project(tmp_path: Path) -> None:
    project = _newcomer_project(tmp_path)
    migration = "supabase/migrations/29990101000000_labels.sql"

    def sqlfluff() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sqlfluff", "lint", migration], cwd=project, capture_output=True, text=True, check=False
        )

    assert "No dialect was specified" in sqlfluff().stdout + sqlfluff().stderr
    written = _run("--write-config", cwd=project)
    assert written.returncode == 0 and (project / ".sqlfluff").is_file()
    after = sqlfluff()
    assert "No dialect" not in after.stdout + after.stderr
    assert "LT02" in after.stdout  # the written configuration is supabase-sync's style
    again = _run("--write-config", cwd=project)
    assert again.returncode == 1 and "already exists" in again.stderr
