"""Report formats and exit codes."""

from __future__ import annotations

import json

from supabase_sync.lint.report import Finding, LintReport, Problem, format_github, format_json, format_text

STYLE = Finding(level="error", code="CP01", message="Keywords must be lower case.", source="sqlfluff",
                path="sql/a.sql", line=3, column=7)
SCHEMA = Finding(level="warning", code="SS005", message="column user_id of public.task starts no index",
                 source="semantic", object="public.task.user_id", why="scans, 100% of them",
                 fix='create index if not exists "task_user_id_idx" on "public"."task" ("user_id");')


def test_exit_code_follows_fail_on() -> None:
    report = LintReport(findings=[SCHEMA])

    assert report.exit_code("error") == 0
    assert report.exit_code("warning") == 2
    assert report.exit_code("info") == 2
    assert LintReport().exit_code() == 0


def test_a_problem_makes_the_run_an_error_whatever_the_findings() -> None:
    report = LintReport(findings=[STYLE], problems=[Problem("bad", path="x.sql", line=1, column=2, code="PRS")])

    assert report.exit_code() == 1


def test_text_format_shows_location_code_message_then_why_and_fix() -> None:
    text = format_text(LintReport(findings=[STYLE, SCHEMA]))

    assert text.splitlines() == [
        "sql/a.sql:3:7 CP01 Keywords must be lower case.",
        "public.task.user_id SS005 [warning] column user_id of public.task starts no index",
        "    why: scans, 100% of them",
        '    fix: create index if not exists "task_user_id_idx" on "public"."task" ("user_id");',
    ]


def test_github_format_emits_escaped_workflow_commands() -> None:
    lines = format_github(LintReport(findings=[STYLE, SCHEMA])).splitlines()

    assert lines[0] == "::error file=sql/a.sql,line=3,col=7,title=CP01::Keywords must be lower case."
    assert lines[1].startswith("::warning title=SS005 public.task.user_id::public.task.user_id: column user_id")
    assert "100%25 of them%0Afix:%0Acreate index" in lines[1]
    assert len(lines) == 2


def test_json_format_is_one_document_with_findings_counts_and_exit_code() -> None:
    document = json.loads(format_json(LintReport(findings=[STYLE, SCHEMA], files=["sql/a.sql"])))

    assert document["counts"] == {"error": 1, "warning": 1, "info": 0}
    assert document["exit_code"] == 2
    assert document["findings"][1]["fix"].startswith("create index")
    assert document["files"] == ["sql/a.sql"]
