"""The report's three formats: a readable table, JSON and JUnit XML that CI systems parse."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import junitparser

from supabase_sync.verify.report import CheckResult, VerifyReport


def _report() -> VerifyReport:
    return VerifyReport(
        project_dir="/p",
        backend="local",
        tables=["public.task"],
        total_seconds=3.5,
        setup_seconds=1.25,
        results=[
            CheckResult(
                "structure.rls_enabled",
                "public.task",
                "fail",
                0.01,
                "row level security is disabled",
                fix="alter table public.task enable row level security;",
            ),
            CheckResult("structure.triggers", "public.task", "pass", 0.002, "ok"),
            CheckResult("structure.publication", "public.task", "skip", 0.0, "no supabase_realtime publication"),
            CheckResult("security.anon_rpc", None, "error", 0.1, "RpcError: boom"),
        ],
    )


def test_report_is_not_ok_when_a_check_fails_or_errors() -> None:
    report = _report()
    assert not report.passed
    assert [result.check for result in report.failures] == ["structure.rls_enabled", "security.anon_rpc"]
    passing = VerifyReport(project_dir="/p", backend="local", results=[_report().results[1], _report().results[2]])
    assert passing.passed


def test_text_report_lists_every_check_the_backend_the_time_and_how_to_fix() -> None:
    text = _report().to_text()
    header = text.splitlines()[0].split()
    assert header == ["check", "table", "result", "time"]
    assert "structure.rls_enabled  public.task" in text
    assert "FAIL" in text and "ERROR" in text and "skip" in text
    assert "1 passed, 1 failed, 1 errors, 1 skipped on the local backend in 3.5 s" in text
    assert "fix: alter table public.task enable row level security;" in text


def test_json_report_parses_and_keeps_every_result() -> None:
    data = json.loads(_report().to_json())
    assert data["passed"] is False
    assert data["backend"] == "local"
    assert data["counts"] == {"pass": 1, "fail": 1, "error": 1, "skip": 1}
    assert [item["check"] for item in data["results"]][0] == "structure.rls_enabled"
    assert data["results"][0]["fix"].startswith("alter table")


def test_junit_xml_follows_the_testsuites_testsuite_testcase_schema() -> None:
    root = ET.fromstring(_report().to_junit_xml())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "1", "1")
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == [
        "supabase_sync.verify.structure",
        "supabase_sync.verify.security",
    ]
    cases = root.findall("testsuite/testcase")
    assert {case.get("name") for case in cases} >= {"structure.rls_enabled[public.task]", "security.anon_rpc"}
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "enable row level security" in (failure.text or "")
    for case in cases:
        assert set(case.attrib) == {"name", "classname", "time"}
        float(case.get("time", "x"))


def test_junit_xml_reads_back_with_junitparser(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "report.xml"
    path.write_text(_report().to_junit_xml(), encoding="utf-8")
    parsed = junitparser.JUnitXml.fromfile(str(path))
    outcomes = {}
    for suite in parsed:
        for case in suite:
            outcomes[case.name] = type(case.result[0]).__name__ if case.result else "passed"
    assert outcomes == {
        "structure.rls_enabled[public.task]": "Failure",
        "structure.triggers[public.task]": "passed",
        "structure.publication[public.task]": "Skipped",
        "security.anon_rpc": "Error",
    }
