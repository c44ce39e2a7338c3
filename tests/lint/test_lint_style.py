"""sqlfluff through supabase-sync: the shipped config, project configs, locations, parallel runs."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from supabase_sync.errors import ConfigError
from supabase_sync.lint import format_report, lint
from supabase_sync.lint.style import default_config_path, discover_sql_files, lint_files

REPO = Path(__file__).resolve().parents[2]
STYLE = Path(__file__).parent / "fixtures" / "style"


def test_violations_print_as_file_line_col_code_message(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("SELECT 1 AS one;\n")

    report = lint([tmp_path / "a.sql"], project_dir=tmp_path, semantic_checks=False, style_rules=True)

    assert format_report(report, "text").splitlines() == [
        "a.sql:1:1 CP01 Keywords must be lower case.",
        "a.sql:1:10 CP01 Keywords must be lower case.",
    ]
    assert report.exit_code() == 2


def test_unparsable_sql_is_reported_with_its_location_and_exit_code_1() -> None:
    report = lint([STYLE / "unparsable.sql"], project_dir=STYLE, semantic_checks=False)

    assert [(p.path, p.line, p.code) for p in report.problems] == [
        ("unparsable.sql", 2, "PRS"),
        ("unparsable.sql", 3, "PRS"),
    ]
    assert report.exit_code() == 1


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "binary.sql").write_bytes(b"select \xff\xfe;\n")

    report = lint([tmp_path], project_dir=tmp_path, semantic_checks=False)

    assert [(p.path, p.code) for p in report.problems] == [("binary.sql", "IO")]
    assert report.exit_code() == 1


def test_a_missing_path_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.sql does not exist"):
        lint([tmp_path / "nope.sql"], semantic_checks=False)


def test_supabase_policy_names_with_spaces_and_colons_pass() -> None:
    report = lint([STYLE / "policy_names.sql"], project_dir=STYLE, semantic_checks=False)

    assert report.findings == [] and report.problems == []


def test_a_project_sqlfluff_is_layered_over_the_shipped_default(tmp_path: Path) -> None:
    (tmp_path / ".sqlfluff").write_text("[sqlfluff:rules:capitalisation.keywords]\ncapitalisation_policy = upper\n")
    (tmp_path / "upper.sql").write_text("SELECT 1 AS one;\n")
    (tmp_path / "lower.sql").write_text("select 1 as one;\n")

    report = lint([tmp_path], project_dir=tmp_path, semantic_checks=False)

    assert {(f.path, f.code) for f in report.findings} == {("lower.sql", "CP01")}


def test_a_nested_sqlfluff_applies_to_its_folder_only(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / ".sqlfluff").write_text(
        "[sqlfluff]\ntemplater = placeholder\n\n[sqlfluff:templater:placeholder]\n"
        "param_regex = \\{(?P<param_name>\\w+)\\}\ntable = public.task\n"
    )
    (templates / "t.sql").write_text("alter table {table} enable row level security;\n")
    (tmp_path / "plain.sql").write_text("alter table {table} enable row level security;\n")

    report = lint([tmp_path], project_dir=tmp_path, semantic_checks=False)

    assert [p.path for p in report.problems] == ["plain.sql"]


def test_parallel_and_serial_runs_find_the_same(tmp_path: Path) -> None:
    for index in range(8):
        (tmp_path / f"f{index}.sql").write_text(f"SELECT {index} AS n;\n")
    files = discover_sql_files([tmp_path])

    serial = lint_files(files, processes=1, base=tmp_path, style_rules=True)
    parallel = lint_files(files, processes=2, base=tmp_path, style_rules=True)

    assert [r.findings for r in serial] == [r.findings for r in parallel]
    assert all(r.findings for r in parallel)


def _config(path: Path) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return {section: dict(parser[section]) for section in parser.sections()}


def test_the_repository_sqlfluff_repeats_the_shipped_configuration() -> None:
    shipped = _config(default_config_path())
    repository = _config(REPO / ".sqlfluff")

    for section, values in shipped.items():
        for key, value in values.items():
            if (section, key) == ("sqlfluff", "templater"):
                continue
            assert repository[section][key] == value, f"[{section}] {key} differs between .sqlfluff files"


# Two-space indents and uppercase keywords: valid SQL in a style of its own.
OWN_STYLE = """CREATE TABLE public.note (
  id uuid PRIMARY KEY,
  body text
);
"""


def test_a_file_no_config_covers_gets_only_the_correctness_rules(tmp_path: Path) -> None:
    (tmp_path / "styled.sql").write_text(OWN_STYLE)
    (tmp_path / "wrong.sql").write_text("select id from public.note where body = null;\n")

    report = lint([tmp_path], project_dir=tmp_path, semantic_checks=False)

    assert [(f.path, f.code) for f in report.findings] == [("wrong.sql", "CV05")]
    assert any("--style" in note and "--write-config" in note for note in report.notes)
    styled = lint([tmp_path / "styled.sql"], project_dir=tmp_path, semantic_checks=False, style_rules=True)
    assert {"LT02", "CP01"} <= {f.code for f in styled.findings}


def test_a_users_own_sqlfluff_config_decides_the_rules(tmp_path: Path) -> None:
    (tmp_path / ".sqlfluff").write_text("[sqlfluff]\ndialect = postgres\nrules = LT02\n")
    (tmp_path / "styled.sql").write_text(OWN_STYLE)

    report = lint([tmp_path], project_dir=tmp_path, semantic_checks=False)

    assert {f.code for f in report.findings} == {"LT02"}
    assert not report.notes


def test_fix_writes_the_fixes_of_the_rules_that_run(tmp_path: Path) -> None:
    (tmp_path / "wrong.sql").write_text("select id from public.note where body = null;\n")
    (tmp_path / "styled.sql").write_text(OWN_STYLE)

    report = lint([tmp_path], project_dir=tmp_path, semantic_checks=False, fix=True)

    assert report.fixed == ["wrong.sql"] and report.findings == []
    assert (tmp_path / "wrong.sql").read_text() == "select id from public.note where body is null;\n"
    assert (tmp_path / "styled.sql").read_text() == OWN_STYLE  # style rules did not run on it
    styled = lint([tmp_path / "styled.sql"], project_dir=tmp_path, semantic_checks=False, fix=True, style_rules=True)
    assert styled.fixed == ["styled.sql"] and styled.findings == []
    assert (tmp_path / "styled.sql").read_text().startswith("create table public.note (\n    id uuid primary key,")
