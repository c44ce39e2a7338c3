"""The docs cannot drift from the code: README commands, CLI reference, protocol contract."""

from __future__ import annotations

import re
from pathlib import Path

from supabase_sync.cli import cli
from supabase_sync.cli.reference import render_reference

ROOT = Path(__file__).resolve().parent.parent


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _first_code_block(text: str) -> list[str]:
    match = re.search(r"```(?:\w+)?\n(.*?)```", text, re.S)
    assert match, "README.md has no fenced code block"
    return [line for line in match.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_cli_reference_matches_every_commands_help() -> None:
    expected = render_reference()
    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run `python -m supabase_sync.cli.reference > docs/cli.md`"


def test_readme_mentions_every_command() -> None:
    readme = _readme()
    missing = [
        name
        for name, command in cli.commands.items()
        if not command.hidden and f"supabase-sync {name}" not in readme
    ]
    assert not missing, f"README.md does not document: {missing}"


def test_readme_starts_with_exactly_two_commands() -> None:
    readme = _readme()
    first_block_start = readme.index("```")
    assert "##" not in readme[: first_block_start].split("\n", 1)[1], "the two commands must come first"
    commands = _first_code_block(readme)
    assert len(commands) == 2, commands
    assert "supabase-sync verify --example" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _first_code_block(_readme())[1]
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci_script.splitlines()


def test_protocol_doc_names_every_rpc_and_sqlstate() -> None:
    protocol = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    for name in ("sync_pull", "sync_push", "pull_changes", "push_changes"):
        assert name in protocol
    for sqlstate in ("22023", "22P02", "42501", "PT409", "PT410"):
        assert sqlstate in protocol


def _exit_codes(text: str) -> set[str]:
    match = re.search(r"Exit codes: ([^.]*)", " ".join(text.split()))
    assert match, "no 'Exit codes:' sentence"
    return set(re.findall(r"\b(\d+) ", match.group(1)))


def test_readme_lists_the_exit_codes_of_the_cli_help() -> None:
    root = cli.make_context("supabase-sync", [], resilient_parsing=True)
    assert _exit_codes(_readme()) == _exit_codes(cli.get_help(root)) == {"0", "1", "2", "64"}


#: ``pip install supabase-sync`` (or ``-U``): the published form, which fails until it is on PyPI.
_PUBLISHED_INSTALL = re.compile(r"pip install (?:-U )?supabase-sync\b(?![\"'@])")


def test_no_doc_or_hint_tells_to_pip_install_the_unpublished_package() -> None:
    files = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += sorted((ROOT / "supabase_sync").rglob("*.py"))
    offending = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        for match in _PUBLISHED_INSTALL.finditer(line)
        if "once it is on PyPI" not in line[: match.start()]
    ]
    assert not offending, "supabase-sync is not on PyPI yet; install it from a checkout or git URL:\n" + "\n".join(
        offending
    )


def test_the_tour_installs_from_a_checkout_or_the_git_url() -> None:
    tour = _readme().split("## A 5-minute tour", 1)[1]
    first_command = next(line for line in _first_code_block(tour) if line.strip().startswith("pip install"))
    assert first_command == "pip install /path/to/supabase-sync"
    assert 'pip install "supabase-sync @ git+https://' in tour


def test_the_generated_tables_of_the_docs_match_the_data() -> None:
    from supabase_sync.reference import SECTIONS, render_doc

    for name, (doc, _render) in SECTIONS.items():
        text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
        assert render_doc(text, name) == text, f"docs/{doc} ({name}) is stale: run `python -m supabase_sync.reference`"


def test_every_lint_rule_that_repeats_a_supabase_lint_says_which() -> None:
    from supabase_sync.lint.rules import RULES

    lint_doc = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    repeated = {code: rule.splinter for code, rule in RULES.items() if rule.splinter}
    assert set(repeated) == {"SS001", "SS002", "SS003", "SS004", "SS006", "SS007", "SS012", "SS013"}
    for code, names in repeated.items():
        assert all(name[:4].isdigit() for name in names), code
        assert all(f"`{name}`" in lint_doc for name in names), code


def test_the_protocol_error_table_says_what_to_do_on_a_foreign_key_violation() -> None:
    protocol = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    (row,) = [line for line in protocol.splitlines() if line.startswith("| `23503` |")]
    assert "| 409 |" in row and "Not a conflict" in row and "Push the parent first" in row
