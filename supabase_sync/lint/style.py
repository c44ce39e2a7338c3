"""sqlfluff over SQL files: the shipped configuration as the base layer, correctness always, style by choice.

sqlfluff is driven through its Python API (``sqlfluff.core.Linter`` and
``FluffConfig``), not its command line. Configuration of a file is layered:
sqlfluff's built-in defaults, then supabase-sync's ``sql/.sqlfluff`` (shipped in
the package), then every sqlfluff config file (``setup.cfg``, ``tox.ini``,
``.sqlfluff``, ``pyproject.toml``) found in the folders from the filesystem
root down to the file, nearest last. So a project's ``.sqlfluff`` is honoured
key by key, and a nested one (e.g. a placeholder templater for a folder of
templates) applies to its folder only.

Which rules run: a file some sqlfluff configuration of the user's covers gets
what that configuration says (every rule unless it excludes some); a file no
such configuration covers (a newcomer's ``supabase/migrations``) gets only the
correctness rules (:data:`CORRECTNESS_RULES`: SQL that fails or does not mean
what it reads), unless ``style_rules`` asks for supabase-sync's whole style.
Parse errors are reported always. ``fix`` applies sqlfluff's fixes of the
rules that run and writes the files back.

Parsing is the slow part, so files are spread over worker processes, each of
which builds a configured ``Linter`` once per folder and reuses it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from supabase_sync.errors import ConfigError
from supabase_sync.lint.report import Finding, Problem
from supabase_sync.resources import sql_root

#: Name of the shipped configuration, at the root of the shipped ``sql/`` tree.
CONFIG_NAME = ".sqlfluff"

#: sqlfluff rules that flag SQL which fails or does not mean what it reads: applied to every file.
#: AL04 a table alias used twice, AL08 a column alias used twice, AM04 ``*`` in a set operation (its
#: column count depends on the tables), AM07 set operands with different column counts, CV05
#: ``= null`` (never true), RF01 a reference to a table the query does not name.
CORRECTNESS_RULES = ("AL04", "AL08", "AM04", "AM07", "CV05", "RF01")

#: sqlfluff codes that mean "could not read this file as SQL" rather than a style violation.
_UNLINTABLE_CODES = {"PRS", "TMP", "LXR"}

#: Below this many files one process is faster than starting workers.
_MIN_FILES_PER_PROCESS = 4


def default_config_text() -> str:
    """Return the text of the shipped sqlfluff configuration (``sql/.sqlfluff``)."""
    return (sql_root() / CONFIG_NAME).read_text(encoding="utf-8")


def default_config_path() -> Path:
    """Return the path of the shipped sqlfluff configuration file."""
    return Path(str(sql_root() / CONFIG_NAME))


_WRITTEN_HEADER = """# sqlfluff configuration written by `supabase-sync lint --write-config`: the style
# supabase-sync lints its own SQL with. Plain `sqlfluff lint` / `sqlfluff fix` and
# `supabase-sync lint` read it for every file below this folder, style rules included
# (list rules you do not want under exclude_rules). Edit it freely.

"""


def write_config(folder: str | Path) -> Path:
    """Write the shipped configuration as ``folder/.sqlfluff``, so plain sqlfluff finds it too.

    Raises :class:`ConfigError` when the file exists (it is the user's).
    """
    target = Path(folder) / CONFIG_NAME
    if target.exists():
        raise ConfigError(
            f"{target} already exists",
            hint="supabase-sync lint follows it as it is; delete it first to write supabase-sync's",
        )
    body = default_config_text().split("\n[", 1)[1]
    target.write_text(_WRITTEN_HEADER + "[" + body, encoding="utf-8")
    return target


@dataclass
class StyleResult:
    """What sqlfluff found in one file (``problems`` when it could not read or parse it).

    ``style_rules`` says whether the style rules ran on it; ``fixed`` that
    ``fix`` rewrote it.
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    style_rules: bool = True
    fixed: bool = False


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
def _user_config_layers(folder: str) -> tuple[dict, ...]:  # type: ignore[type-arg]  # sqlfluff config dicts
    """The sqlfluff config of every folder from the filesystem root down to ``folder`` that has one."""
    from sqlfluff.core.config import load_config_at_path

    layers = []
    directory = Path(folder).resolve()
    for ancestor in reversed([directory, *directory.parents]):
        try:
            layer = load_config_at_path(str(ancestor))
        except (OSError, PermissionError):
            continue
        if layer:
            layers.append(layer)
    return tuple(layers)


def covered_by_user_config(folder: str | Path) -> bool:
    """True when some sqlfluff configuration (the user's, or the shipped one in ``sql/``) covers ``folder``."""
    return bool(_user_config_layers(str(Path(folder).resolve())))


@cache
def _config_for_folder(folder: str, style_rules: bool):  # type: ignore[no-untyped-def]  # sqlfluff is untyped
    """The layered FluffConfig for files in ``folder`` (cached per process)."""
    from sqlfluff.core import FluffConfig
    from sqlfluff.core.config import load_config_string
    from sqlfluff.core.helpers.dict import nested_combine

    shipped = load_config_string(default_config_text(), working_path=str(default_config_path().parent))
    own = _user_config_layers(folder)
    overrides = None if own or style_rules else {"rules": ",".join(CORRECTNESS_RULES)}
    return FluffConfig(configs=nested_combine(shipped, *own), overrides=overrides, require_dialect=True)


@cache
def _linter_for_folder(folder: str, style_rules: bool):  # type: ignore[no-untyped-def]
    from sqlfluff.core import Linter

    return Linter(config=_config_for_folder(folder, style_rules))


def display_path(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base`` when it lies inside it, else as given."""
    if base is None:
        return str(path)
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def lint_file(path: str, display: str | None = None, *, style_rules: bool = False, fix: bool = False) -> StyleResult:
    """Lint one file with its layered configuration; never raises for a bad file.

    ``fix`` writes sqlfluff's fixes back to the file first (not for a file it
    cannot parse) and then reports what remains.
    """
    shown = display or path
    folder = str(Path(path).resolve().parent)
    result = StyleResult(path=shown, style_rules=style_rules or covered_by_user_config(folder))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        result.problems.append(Problem(f"cannot read the file: {error}", path=shown, code="IO"))
        return result
    try:
        linter = _linter_for_folder(folder, style_rules)
        config = _config_for_folder(folder, style_rules)
        linted = linter.lint_string(text, fname=path, fix=fix, config=config)
        if fix:
            fixed, _complete = linted.fix_string()
            unparsable = any(violation.rule_code() in _UNLINTABLE_CODES for violation in linted.get_violations())
            if fixed != text and not unparsable:
                Path(path).write_text(fixed, encoding="utf-8")
                result.fixed = True
                linted = linter.lint_string(fixed, fname=path, config=config)
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


def _lint_file_task(task: tuple[str, str, bool, bool]) -> StyleResult:
    path, shown, style_rules, fix = task
    return lint_file(path, shown, style_rules=style_rules, fix=fix)


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
    style_rules: bool = False,
    fix: bool = False,
) -> list[StyleResult]:
    """Lint ``files`` in parallel; results come back in the order of ``files``.

    Paths in findings are shown relative to ``base`` when given; ``style_rules``
    and ``fix`` as for :func:`lint_file`.
    """
    tasks = [(str(path), display_path(path, base), style_rules, fix) for path in files]
    workers = effective_processes(processes, len(tasks))
    if workers == 1:
        return [_lint_file_task(task) for task in tasks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_lint_file_task, tasks, chunksize=max(1, len(tasks) // (workers * 4))))
