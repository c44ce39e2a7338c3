"""`supabase-sync verify --example` passes on the local and embedded backends; outputs parse."""

from __future__ import annotations

import json
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from supabase_sync import sandbox
from supabase_sync.api import verify
from supabase_sync.cli import main
from supabase_sync.dsn import mask_dsn

#: Every check family verify must have run on the example (so a silently empty run fails).
FAMILIES = {"structure", "security", "isolation", "sharing", "server_columns", "roundtrip", "conflicts", "concurrency"}


@pytest.mark.parametrize("backend", ["local", "embedded"])
def test_verify_example_passes_on_backend(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    reason = sandbox.unavailable_reason(backend)
    if reason is not None:
        pytest.skip(f"the {backend} backend cannot run here: {reason}")
    lines: list[str] = []
    started = time.monotonic()
    report = verify(example=True, backend=backend, log=lines.append)
    elapsed = time.monotonic() - started
    with capsys.disabled():  # measured, reported, never asserted (DESIGN 4: target under 15 s)
        print(f"\nverify --example on {backend}: {elapsed:.1f} s wall (setup {report.setup_seconds:.1f} s)")
    assert report.passed, report.to_text()
    assert report.backend == backend
    assert report.tables == ["public.project", "public.project_member", "public.task", "public.doc_updates"]
    assert {result.family for result in report.results} == FAMILIES
    assert all(result.outcome == "pass" for result in report.results if result.family != "sharing"), report.to_text()
    # The sharing checks run on the tables they concern and say why they skip the others.
    sharing: dict[str, set[str]] = {}
    for result in report.results:
        if result.family == "sharing" and result.outcome != "skip":
            sharing.setdefault(result.check, set()).add(result.table or "")
    scoped = {"public.task", "public.doc_updates"}
    assert sharing == {
        "sharing.viewer_write": scoped,
        "sharing.non_member": scoped,
        "sharing.grant": set(report.tables),
        "sharing.revoke": set(report.tables),
        "sharing.revoke_pushed": set(report.tables),
        "sharing.move": scoped,
    }, report.to_text()
    assert any("applying" in line for line in lines)


def test_cli_verify_example_writes_json_and_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "report.xml"
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--example", "--backend", "local", "--json", "--junit-xml", str(junit)])
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.err
    data = json.loads(captured.out)
    assert data["passed"] is True and data["backend"] == "local"
    assert data["counts"]["fail"] == 0 and data["counts"]["pass"] > 40
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0" and int(root.get("tests", "0")) > 40
    assert "applying" in captured.err  # progress goes to stderr, data to stdout


def test_cli_verify_text_output_and_kept_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--example", "--backend", "local", "--keep"])
    captured = capsys.readouterr()
    stop = next(
        (line.split("stop it with: ", 1)[1] for line in captured.err.splitlines() if "stop it with: " in line), None
    )
    if stop is not None:  # the kept server is ours: stop it with the command the sandbox printed
        subprocess.run(stop, shell=True, check=False, capture_output=True)
    assert exited.value.code == 0, captured.err
    assert captured.out.splitlines()[0].split() == ["check", "table", "result", "time"]
    assert "on the local backend in" in captured.out
    connect = next(line for line in captured.err.splitlines() if "connect with: psql 'postgresql://" in line)
    dsn = connect.split("psql '", 1)[1].rstrip("'")
    assert mask_dsn(dsn) == dsn  # a password, if any, is never printed
    assert stop is not None


def test_verify_outside_a_project_exits_1_naming_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify", str(tmp_path)])
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert f"no supabase/migrations folder in {tmp_path}" in err
    assert "--example" in err
    assert "Traceback" not in err


def test_verify_refuses_a_project_folder_together_with_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify", str(tmp_path), "--example"])
    assert exited.value.code == 1
    assert "not both" in capsys.readouterr().err
