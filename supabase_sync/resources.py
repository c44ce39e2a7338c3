"""Access to the SQL files shipped with the package.

In a wheel the top-level ``sql/`` tree lives at ``supabase_sync/sql``; in a
source checkout (editable install) it is the repository's ``sql/`` folder.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def sql_root() -> Traversable:
    """Return the root of the shipped ``sql/`` tree."""
    packaged = resources.files("supabase_sync") / "sql"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "sql"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("the supabase_sync SQL pack is missing from this installation")


def sql_files(folder: str) -> list[Traversable]:
    """Return the ``.sql`` files of ``sql/<folder>`` sorted by name (their apply order)."""
    directory = sql_root() / folder
    return sorted(
        (entry for entry in directory.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )


def read_sql(relative_path: str) -> str:
    """Return the text of one shipped SQL file, e.g. ``functions/sync_pull.sql``."""
    entry = sql_root()
    for part in relative_path.split("/"):
        entry = entry / part
    return entry.read_text(encoding="utf-8")
