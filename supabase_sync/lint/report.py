"""What a lint run found, and the three ways of printing it (text, JSON, GitHub).

A :class:`Finding` is either located in a file (sqlfluff, plpgsql_check) or names
a database object (the semantic lints). A :class:`Problem` is a file or schema
the linter could not judge at all (unreadable, unparsable, failing migration):
problems make the run an error (exit 1) whatever the findings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

Level = Literal["error", "warning", "info"]

#: Levels from the most to the least severe; ``--fail-on`` picks one of them.
LEVELS: tuple[Level, ...] = ("error", "warning", "info")

#: Exit codes of a lint run (the CLI exits with them).
EXIT_CLEAN = 0
EXIT_PROBLEM = 1
EXIT_FINDINGS = 2

_GITHUB_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def level_rank(level: str) -> int:
    """Return how severe ``level`` is: 0 for error, 1 for warning, 2 for info."""
    return LEVELS.index(level)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Finding:
    """One thing to fix: a style violation in a file or a risky database object.

    ``object`` names the database object (``public.task``, ``policy "x" on
    public.task``, ``function public.f(uuid)``); ``why`` says what goes wrong if
    it stays; ``fix`` is SQL that fixes it, when one statement can;
    ``requirements`` are the per-table contract's keys a contract rule reports
    (``trigger.stamp``...).
    """

    level: Level
    code: str
    message: str
    source: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    object: str | None = None
    why: str | None = None
    fix: str | None = None
    requirements: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        """``path:line:col`` for file findings, else the object's name."""
        if self.path is None:
            return self.object or "<database>"
        return f"{self.path}:{self.line or 1}:{self.column or 1}"


@dataclass(frozen=True)
class Problem:
    """A file or schema the linter could not judge (exit code 1)."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    code: str = "ERR"

    @property
    def location(self) -> str:
        """``path:line:col`` when known, else the path, else ``<lint>``."""
        if self.path is None:
            return "<lint>"
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}:{self.column or 1}"


@dataclass
class LintReport:
    """Everything one lint run found.

    ``files`` are the SQL files sqlfluff read; ``fixed`` those ``--fix``
    rewrote; ``database`` says which schema the semantic lints inspected (a
    masked URL, or the migrations folder applied in a sandbox), ``None`` when
    they did not run; ``notes`` say what was skipped and why.
    """

    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    database: str | None = None
    notes: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the number of findings per level."""
        counts = {level: 0 for level in LEVELS}
        for finding in self.findings:
            counts[finding.level] += 1
        return counts

    def failing(self, fail_on: Level = "error") -> list[Finding]:
        """Return the findings at or above ``fail_on``."""
        threshold = level_rank(fail_on)
        return [finding for finding in self.findings if level_rank(finding.level) <= threshold]

    @property
    def passed(self) -> bool:
        """True when every file and the schema could be judged and no finding is an error."""
        return self.exit_code() == EXIT_CLEAN

    def exit_code(self, fail_on: Level = "error") -> int:
        """0 clean, 2 findings at or above ``fail_on``, 1 when a file or schema could not be judged."""
        if self.problems:
            return EXIT_PROBLEM
        if self.failing(fail_on):
            return EXIT_FINDINGS
        return EXIT_CLEAN

    def summary(self) -> str:
        """One line: how many findings of each level, in how many files."""
        counts = self.counts()
        parts = [f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}" for level in LEVELS]
        text = f"{', '.join(parts)} in {len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        if self.database:
            text += f" and {self.database}"
        if self.problems:
            text += f"; {len(self.problems)} could not be linted"
        return text

    def to_dict(self, fail_on: Level = "error") -> dict[str, object]:
        """Return the report as plain data (the ``--format json`` document)."""
        return {
            "findings": [asdict(finding) for finding in self.findings],
            "problems": [asdict(problem) for problem in self.problems],
            "files": list(self.files),
            "fixed": list(self.fixed),
            "database": self.database,
            "notes": list(self.notes),
            "counts": self.counts(),
            "fail_on": fail_on,
            "passed": self.exit_code(fail_on) == EXIT_CLEAN,
            "exit_code": self.exit_code(fail_on),
        }


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """File findings by path and position first, then database findings by code and object."""
    return sorted(
        findings,
        key=lambda f: (f.path is None, f.path or "", f.line or 0, f.column or 0, f.code, f.object or ""),
    )


def format_text(report: LintReport) -> str:
    """``file:line:col CODE message`` per file finding; object, why and fix per database finding."""
    lines: list[str] = []
    for problem in report.problems:
        lines.append(f"{problem.location} {problem.code} {problem.message}")
    for finding in report.findings:
        if finding.path is not None:
            suffix = "" if finding.level == "error" else f" [{finding.level}]"
            lines.append(f"{finding.location} {finding.code} {finding.message}{suffix}")
            continue
        lines.append(f"{finding.location} {finding.code} [{finding.level}] {finding.message}")
        if finding.why:
            lines.append(f"    why: {finding.why}")
        if finding.fix:
            fix_lines = finding.fix.splitlines()
            lines.append(f"    fix: {fix_lines[0]}")
            lines.extend(f"         {line}" for line in fix_lines[1:])
    return "\n".join(lines)


def format_json(report: LintReport, fail_on: Level = "error") -> str:
    """The report as one indented JSON document."""
    return json.dumps(report.to_dict(fail_on), indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_line(command: str, message: str, properties: dict[str, object]) -> str:
    rendered = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    separator = " " if rendered else ""
    return f"::{command}{separator}{rendered}::{_escape_data(message)}"


def format_github(report: LintReport) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...,col=...::...``), one per line."""
    lines: list[str] = []
    for problem in report.problems:
        properties: dict[str, object] = {}
        if problem.path:
            properties["file"] = problem.path
        if problem.line:
            properties.update(line=problem.line, col=problem.column or 1)
        properties["title"] = problem.code
        lines.append(_github_line("error", problem.message, properties))
    for finding in report.findings:
        properties = {}
        if finding.path is not None:
            properties.update(file=finding.path, line=finding.line or 1, col=finding.column or 1)
            properties["title"] = finding.code
            message = finding.message
        else:
            properties["title"] = f"{finding.code} {finding.object}"
            message = f"{finding.object}: {finding.message}"
            if finding.why:
                message += f"\n{finding.why}"
            if finding.fix:
                message += f"\nfix:\n{finding.fix}"
        lines.append(_github_line(_GITHUB_COMMANDS[finding.level], message, properties))
    return "\n".join(lines)


FORMATS = ("text", "json", "github")


def format_report(report: LintReport, output_format: str, *, fail_on: Level = "error") -> str:
    """Render ``report`` in ``output_format`` (one of :data:`FORMATS`)."""
    if output_format == "json":
        return format_json(report, fail_on)
    if output_format == "github":
        return format_github(report)
    return format_text(report)
