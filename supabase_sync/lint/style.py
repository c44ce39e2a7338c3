"""sqlfluff over SQL files, with the shipped default configuration as the base layer.

sqlfluff is driven through its Python API (``sqlfluff.core.Linter`` and
``FluffConfig``), not its command line. Configuration of a file is layered:
sqlfluff's built-in defaults, then ``default.sqlfluff`` shipped here, then every
sqlfluff config file (``setup.cfg``, ``tox.ini``, ``.sqlfluff``,
``pyproject.toml``) found in the folders from the filesystem root down to the
file, nearest last. So a project's ``.sqlfluff`` is honoured key by key, and a
nested one (e.g. a placeholder templater for a folder of templates) applies to
its folder only.

Parsing is the slow part, so files are spread over worker processes, each of
which builds a configured ``Linter`` once per folder and reuses it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from supabase_sync.errors import ConfigError
from supabase_sync.lint.report import Finding, Problem

#: Name of the shipped default configuration, next to this module.
DEFAULT_CONFIG_NAME = "default.sqlfluff"

#: sqlfluff codes that mean "could not read this file as SQL" rather than a style violation.
_UNLINTABLE_CODES = {"PRS", "TMP", "LXR"}

#: Below this many files one process is faster than starting workers.
_MIN_FILES_PER_PROCESS = 4


def default_config_text() -> str:
    """Return the text of the shipped default sqlfluff configuration."""
    return (resources.files("supabase_sync.lint") / DEFAULT_CONFIG_NAME).read_text(encoding="utf-8")


def default_config_path() -> Path:
    """Return the path of the shipped default sqlfluff configuration file."""
    return Path(str(resources.files("supabase_sync.lint") / DEFAULT_CONFIG_NAME))


@dataclass
class StyleResult:
    """What sqlfluff found in one file (``problem`` when it could not read or parse it)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def discover_sql_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into the ``.sql`` files under them, sorted and deduplicated.

    Raises :class:`ConfigError` naming a path that does not exist.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            for candidate in sorted(path.rglob("*.sql")):
                hidden = any(part.startswith(".") for part in candidate.relative_to(path).parts)
                if candidate.is_file() and not hidden:
                    found[candidate] = None
        else:
            raise ConfigError(f"{path} does not exist", hint="pass existing .sql files or folders holding them")
    return list(found)


@cache
def _config_for_folder(folder: str):  # type: ignore[no-untyped-def]  # sqlfluff is untyped
    """The layered FluffConfig for files in ``folder`` (cached per process)."""
    from sqlfluff.core import FluffConfig
    from sqlfluff.core.config import load_config_at_path, load_config_string
    from sqlfluff.core.helpers.dict import nested_combine

    layers = [load_config_string(default_config_text(), working_path=str(default_config_path().parent))]
    directory = Path(folder).resolve()
    for ancestor in reversed([directory, *directory.parents]):
        try:
            layers.append(load_config_at_path(str(ancestor)))
        except (OSError, PermissionError):
            continue
    return FluffConfig(configs=nested_combine(*layers), require_dialect=True)


@cache
def _linter_for_folder(folder: str):  # type: ignore[no-untyped-def]
    from sqlfluff.core import Linter

    return Linter(config=_config_for_folder(folder))


def display_path(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base`` when it lies inside it, else as given."""
    if base is None:
        return str(path)
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def lint_file(path: str, display: str | None = None) -> StyleResult:
    """Lint one file with its layered configuration; never raises for a bad file."""
    shown = display or path
    result = StyleResult(path=shown)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        result.problems.append(Problem(f"cannot read the file: {error}", path=shown, code="IO"))
        return result
    folder = str(Path(path).resolve().parent)
    try:
        linter = _linter_for_folder(folder)
        linted = linter.lint_string(text, fname=path, config=_config_for_folder(folder))
    except Exception as error:  # noqa: BLE001 - sqlfluff raises config and templater errors of many types
        result.problems.append(Problem(f"sqlfluff could not lint the file: {error}", path=shown, code="SQLFLUFF"))
        return result
    for violation in linted.get_violations(filter_warning=False):
        code = violation.rule_code()
        line, column = violation.line_no or 1, violation.line_pos or 1
        if code in _UNLINTABLE_CODES and not violation.warning:
            result.problems.append(Problem(violation.desc(), path=shown, line=line, column=column, code=code))
            continue
        result.findings.append(
            Finding(
                level="warning" if violation.warning else "error",
                code=code,
                message=violation.desc(),
                source="sqlfluff",
                path=shown,
                line=line,
                column=column,
            )
        )
    return result


def _lint_file_task(task: tuple[str, str]) -> StyleResult:
    return lint_file(task[0], task[1])


def effective_processes(processes: int | None, file_count: int) -> int:
    """Worker processes to use: ``processes`` (default: CPU count), at most one per few files."""
    wanted = processes if processes and processes > 0 else (os.cpu_count() or 1)
    useful = max(1, file_count // _MIN_FILES_PER_PROCESS)
    return max(1, min(wanted, useful))


def lint_files(
    files: Sequence[Path],
    *,
    processes: int | None = None,
    base: Path | None = None,
) -> list[StyleResult]:
    """Lint ``files`` in parallel; results come back in the order of ``files``.

    Paths in findings are shown relative to ``base`` when given.
    """
    tasks = [(str(path), display_path(path, base)) for path in files]
    workers = effective_processes(processes, len(tasks))
    if workers == 1:
        return [_lint_file_task(task) for task in tasks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_lint_file_task, tasks, chunksize=max(1, len(tasks) // (workers * 4))))
