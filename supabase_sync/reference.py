"""Renders the generated parts of the docs from the data they describe.

Three tables are data in the code, not prose: the per-table contract's
requirements (``docs/enable.md``), the semantic lint rules (``docs/lint.md``)
and verify's checks (``docs/verify.md``). Each sits between two markers::

    <!-- BEGIN generated: NAME (python -m supabase_sync.reference) -->
    <!-- END generated: NAME -->

``python -m supabase_sync.reference`` rewrites them in place; a test fails
when a doc and the data disagree (like ``docs/cli.md`` and ``--help``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from supabase_sync.contract import Requirement, TableSpec, requirements
from supabase_sync.lint.rules import RULES
from supabase_sync.names import TableName
from supabase_sync.verify.checks import all_checks

_SAMPLE = TableSpec(TableName("public", "task"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _met_by(requirement: Requirement) -> str:
    if requirement.column:
        return "enable `--add-missing-columns`"
    if requirement.render(_SAMPLE):
        return "enable"
    if requirement.then():
        return "enable (recomputes the push order)"
    return "you (enable refuses the table and says how)"


def render_requirements() -> str:
    """The owner kind's requirements: key, family (verify check), what is required, who meets it."""
    lines = ["| key | verify check | what the table must have | met by |", "|---|---|---|---|"]
    for requirement in requirements("owner"):
        lines.append(
            f"| `{requirement.key}` | `structure.{requirement.family}` | {_cell(requirement.title)} |"
            f" {_met_by(requirement)} |"
        )
    return "\n".join(lines)


def render_lint_rules() -> str:
    """The semantic lint rules: code, level, finding, fix given, and the Supabase lint each repeats."""
    lines = [
        "| code | level | finding | fix given | Supabase lint (splinter) |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES.values():
        level = f"{rule.level} ({rule.level_note})" if rule.level_note else rule.level
        splinter = ", ".join(f"`{name}`" for name in rule.splinter) or "new"
        if rule.families:
            splinter = "new: the per-table contract (" + ", ".join(f"`{family}`" for family in rule.families) + ")"
        lines.append(f"| {rule.code} | {level} | {_cell(rule.finding)} | {_cell(rule.fix)} | {splinter} |")
    return "\n".join(lines)


def render_verify_checks() -> str:
    """verify's checks, in the order they run: name, scope and what passing means."""
    lines = ["| check | scope | passes when |", "|---|---|---|"]
    for check in all_checks():
        lines.append(f"| `{check.name}` | {check.scope} | {_cell(check.summary)} |")
    return "\n".join(lines)


#: Generated section -> (the doc holding it, what renders it).
SECTIONS: dict[str, tuple[str, Callable[[], str]]] = {
    "requirements": ("enable.md", render_requirements),
    "lint rules": ("lint.md", render_lint_rules),
    "verify checks": ("verify.md", render_verify_checks),
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN generated: {re.escape(name)} \(python -m supabase_sync\.reference\) -->\n)"
        rf".*?(<!-- END generated: {re.escape(name)} -->)",
        re.S,
    )


def render_doc(text: str, name: str) -> str:
    """``text`` with section ``name`` regenerated; raises ValueError when its markers are missing."""
    pattern = _pattern(name)
    if not pattern.search(text):
        raise ValueError(f"no generated section {name!r} (its BEGIN/END markers are missing)")
    body = SECTIONS[name][1]()
    return pattern.sub(lambda match: f"{match.group(1)}{body}\n{match.group(2)}", text)


def docs_folder() -> Path:
    """The repository's ``docs`` folder (a source checkout)."""
    return Path(__file__).resolve().parent.parent / "docs"


def main() -> int:
    """Regenerate every generated section of the docs in place; print the files that changed."""
    for name, (doc, _render) in SECTIONS.items():
        path = docs_folder() / doc
        text = path.read_text(encoding="utf-8")
        updated = render_doc(text, name)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"updated {path} ({name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
