"""A Supabase project folder, as ``supabase init`` lays it out: the one place that knows the layout.

::

    <project>/
        supabase/
            config.toml        the Supabase CLI's configuration (marks a project)
            migrations/        <UTC timestamp>_<name>.sql, applied in name order
            tests/             pgTAP tests (``supabase test db``)

The bundled example project (``examples/todo``) has the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from supabase_sync.errors import ConfigError

#: The folder ``supabase init`` creates inside a project.
SUPABASE_DIR = "supabase"

#: The bundled example project, relative to the package (wheel) or the repository root.
EXAMPLE = Path("examples") / "todo"


@dataclass(frozen=True)
class Project:
    """A Supabase project folder (the one holding ``supabase/``)."""

    root: Path

    @property
    def supabase_dir(self) -> Path:
        """``<project>/supabase``."""
        return self.root / SUPABASE_DIR

    @property
    def config_file(self) -> Path:
        """``<project>/supabase/config.toml`` (the Supabase CLI's configuration)."""
        return self.supabase_dir / "config.toml"

    @property
    def migrations_dir(self) -> Path:
        """``<project>/supabase/migrations``."""
        return self.supabase_dir / "migrations"

    @property
    def tests_dir(self) -> Path:
        """``<project>/supabase/tests`` (pgTAP tests for ``supabase test db``)."""
        return self.supabase_dir / "tests"

    @property
    def has_config(self) -> bool:
        """True when ``supabase init`` made this folder (``supabase/config.toml`` exists)."""
        return self.config_file.is_file()

    @property
    def has_migrations(self) -> bool:
        """True when the folder holds ``supabase/migrations``."""
        return self.migrations_dir.is_dir()


def example_project() -> Project:
    """The bundled example project (``examples/todo``), from the wheel or a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / EXAMPLE, package.parent / EXAMPLE):
        if Project(candidate).has_migrations:
            return Project(candidate)
    raise ConfigError(
        "the bundled example project (examples/todo) is not part of this installation",
        hint="run from a source checkout of supabase-sync, or pass a Supabase project folder",
    )


def find_project(path: str | Path | None = None, *, example: bool = False) -> Project:
    """The Supabase project to work on: ``path`` (default: the current folder), or the example.

    ``path`` may also be the ``supabase`` folder itself. Raises
    :class:`ConfigError` when there is no ``supabase/migrations`` folder.
    """
    if example:
        if path is not None:
            raise ConfigError("pass either a project folder or --example, not both")
        return example_project()
    folder = Path(path) if path is not None else Path.cwd()
    if Project(folder).has_migrations:
        return Project(folder)
    if folder.name == SUPABASE_DIR and (folder / "migrations").is_dir():
        return Project(folder.parent)
    shown = folder if path is not None else f"{folder} (the current folder)"
    raise ConfigError(
        f"no supabase/migrations folder in {shown}",
        hint="pass a Supabase project folder (made by `supabase init`) or --example",
    )


def project_at(path: str | Path | None = None) -> Project | None:
    """The Supabase project made by ``supabase init`` at ``path`` (default: the current folder), if any."""
    project = Project(Path.cwd() if path is None else Path(path))
    return project if project.has_config else None
