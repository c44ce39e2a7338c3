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
