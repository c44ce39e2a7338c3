"""The CLI frame: exit codes and error lines, whatever the command."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from supabase_sync.cli.app import USAGE_EXIT_CODE, cli, main
from supabase_sync.errors import ChecksFailed, ConfigError


@cli.command("_exit-with", hidden=True)
@click.argument("code", type=int)
def _exit_with(code: int) -> None:
    click.get_current_context().exit(code)


@cli.command("_raise", hidden=True)
@click.argument("kind")
def _raise(kind: str) -> None:
    if kind == "config":
        raise ConfigError("no project here", hint="pass a folder")
    if kind == "checks":
        raise ChecksFailed("2 checks failed")
    raise RuntimeError("boom")


@pytest.mark.parametrize("code", [0, 2, 3])
def test_exit_code_set_by_a_command_reaches_the_shell(code: int) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["_exit-with", str(code)])
    assert exited.value.code == code


def test_library_error_is_one_line_with_its_hint_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["_raise", "config"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err == "error: no project here (hint: pass a folder)\n"


def test_checks_failed_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["_raise", "checks"])
    assert exited.value.code == 2


def test_unexpected_error_has_no_traceback_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["_raise", "other"])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "RuntimeError: boom" in err and len(err.splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["_raise", "other", "--traceback"])
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["verfy"], "No such command 'verfy'"),
        (["lint", "--format", "xml"], "'xml' is not one of"),
        (["status", "--jsn"], "No such option '--jsn'"),
        (["enable"], "Missing argument 'TABLE...'"),
    ],
)
def test_usage_error_is_one_line_and_exits_64_not_the_checks_failed_code(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == USAGE_EXIT_CODE == 64
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and expected in line and "--help`" in line


def test_usage_error_exits_64_under_clicks_own_runner_and_from_the_shell() -> None:
    assert CliRunner().invoke(cli, ["verify", "--format", "xml"]).exit_code == USAGE_EXIT_CODE
    done = subprocess.run(
        [sys.executable, "-m", "supabase_sync", "verfy"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == USAGE_EXIT_CODE, done.stderr
    assert "Did you mean 'verify'?" in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_bare_command_prints_the_help_and_exits_with_the_usage_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == USAGE_EXIT_CODE
    assert "Commands:" in capsys.readouterr().err
