"""The result of ``verify``: one row per check and table, in three formats.

The text table is for people, JSON for scripts, JUnit XML for CI systems (one
``testsuite`` per check family, one ``testcase`` per check and table, a
``failure`` or ``error`` element when it did not pass).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["pass", "fail", "error", "skip"]

#: Result words as printed in the text table.
_OUTCOME_LABEL = {"pass": "ok", "fail": "FAIL", "error": "ERROR", "skip": "skip"}


@dataclass(frozen=True)
class CheckResult:
    """One check run against one synced table (``table`` is None for database-wide checks).

    ``message`` says what was found; ``fix`` says how to repair it (a command or SQL);
    ``requirements`` are the per-table contract keys a failed structure check found unmet.
    """

    check: str
    table: str | None
    outcome: Outcome
    seconds: float
    message: str = ""
    fix: str | None = None
    requirements: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        """The check family, the part of the name before the first dot (``isolation``)."""
        return self.check.split(".", 1)[0]

    @property
    def passed(self) -> bool:
        """True when the check passed or was skipped for a stated reason."""
        return self.outcome in ("pass", "skip")


@dataclass
class VerifyReport:
    """Everything ``verify`` found: where it ran, what it checked, how long it took."""

    project_dir: str
    backend: str
    #: The container image the docker backend ran (None on the other backends).
    image: str | None = None
    results: list[CheckResult] = field(default_factory=list)
    total_seconds: float = 0.0
    setup_seconds: float = 0.0
    tables: list[str] = field(default_factory=list)
    pack_installed_by: str = "migrations"
    kept_dsn: str | None = None

    @property
    def passed(self) -> bool:
        """True when every check passed (or was skipped with a reason)."""
        return all(result.passed for result in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        """The checks that failed or could not run."""
        return [result for result in self.results if not result.passed]

    def counts(self) -> dict[str, int]:
        """Number of results per outcome."""
        totals = {"pass": 0, "fail": 0, "error": 0, "skip": 0}
        for result in self.results:
            totals[result.outcome] += 1
        return totals

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "passed": self.passed,
            "project_dir": self.project_dir,
            "backend": self.backend,
            "image": self.image,
            "tables": list(self.tables),
            "pack_installed_by": self.pack_installed_by,
            "setup_seconds": round(self.setup_seconds, 3),
            "total_seconds": round(self.total_seconds, 3),
            "counts": self.counts(),
            "kept_dsn": self.kept_dsn,
            "results": [{**asdict(result), "seconds": round(result.seconds, 3)} for result in self.results],
        }

    def to_json(self) -> str:
        """Return the report as an indented JSON document."""
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        """Return the human-readable table, then what to fix for each failure."""
        rows = [("check", "table", "result", "time")]
        for result in self.results:
            rows.append(
                (result.check, result.table or "-", _OUTCOME_LABEL[result.outcome], f"{result.seconds * 1000:.0f} ms")
            )
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        lines = []
        for index, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row[:3], widths[:3], strict=True)]
            lines.append("  ".join([*cells, row[3].rjust(widths[3])]).rstrip())
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        counts = self.counts()
        backend = f"{self.backend} backend (image {self.image})" if self.image else f"{self.backend} backend"
        lines.append("")
        lines.append(
            f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors, {counts['skip']} skipped"
            f" on the {backend} in {self.total_seconds:.1f} s"
            f" (sandbox and migrations {self.setup_seconds:.1f} s)"
        )
        for result in self.failures:
            lines.append("")
            where = f" on {result.table}" if result.table else ""
            lines.append(f"{_OUTCOME_LABEL[result.outcome]} {result.check}{where}: {result.message}")
            if result.fix:
                lines.append(f"  fix: {result.fix}")
        return "\n".join(lines)

    def to_junit_xml(self) -> str:
        """Return the report as a JUnit XML document (testsuites/testsuite/testcase)."""
        root = ET.Element("testsuites", name="supabase-sync verify", time=f"{self.total_seconds:.3f}")
        families: dict[str, list[CheckResult]] = {}
        for result in self.results:
            families.setdefault(result.family, []).append(result)
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for family, results in families.items():
            suite = ET.SubElement(root, "testsuite", name=f"supabase_sync.verify.{family}")
            counts = _suite_counts(results)
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
            suite.set("time", f"{sum(result.seconds for result in results):.3f}")
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(properties, "property", name="backend", value=self.backend)
            if self.image:
                ET.SubElement(properties, "property", name="image", value=self.image)
            for result in results:
                _add_testcase(suite, result)
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite_counts(results: list[CheckResult]) -> dict[str, int]:
    return {
        "tests": len(results),
        "failures": sum(result.outcome == "fail" for result in results),
        "errors": sum(result.outcome == "error" for result in results),
        "skipped": sum(result.outcome == "skip" for result in results),
    }


def _add_testcase(suite: ET.Element, result: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        name=f"{result.check}[{result.table}]" if result.table else result.check,
        classname=f"supabase_sync.verify.{result.family}",
        time=f"{result.seconds:.3f}",
    )
    body = result.message + (f"\nfix: {result.fix}" if result.fix else "")
    if result.outcome == "fail":
        ET.SubElement(case, "failure", message=result.message, type="CheckFailed").text = body
    elif result.outcome == "error":
        ET.SubElement(case, "error", message=result.message, type="CheckError").text = body
    elif result.outcome == "skip":
        ET.SubElement(case, "skipped", message=result.message)
