"""Purges what sync no longer needs: old tombstones, soft-deleted rows, access events and push log entries.

The work happens in the pack's ``supabase_sync.purge(older_than, dry_run)``
function (see ``sql/functions/purge.sql``): it also moves the retention horizon
past the newest version purged, so a client whose cursor is older is told to
resync (PT410) instead of missing a deletion or an access change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

import psycopg

from supabase_sync.apply import connection
from supabase_sync.dsn import mask_dsn, resolve_db_url
from supabase_sync.errors import ConfigError, NotInstalled, SupabaseSyncError
from supabase_sync.resources import read_sql

_UNITS = {
    "w": dt.timedelta(weeks=1),
    "week": dt.timedelta(weeks=1),
    "d": dt.timedelta(days=1),
    "day": dt.timedelta(days=1),
    "h": dt.timedelta(hours=1),
    "hour": dt.timedelta(hours=1),
    "m": dt.timedelta(minutes=1),
    "min": dt.timedelta(minutes=1),
    "minute": dt.timedelta(minutes=1),
    "s": dt.timedelta(seconds=1),
    "sec": dt.timedelta(seconds=1),
    "second": dt.timedelta(seconds=1),
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?", re.I)
_DURATION_HINT = "use a number and a unit, e.g. 30d, 12h, 90m, 2w or '1 day 12 hours'"


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, for a dry run, would remove)."""

    db_url: str
    older_than: str
    cutoff: str
    dry_run: bool
    tombstones: int
    rows: dict[str, int]
    push_log: int
    access_events: int
    retention_horizon: int

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return asdict(self)


def parse_duration(text: str) -> dt.timedelta:
    """Return the positive duration ``text`` names (``30d``, ``12h``, ``1 day 12 hours``...).

    Raises :class:`ConfigError` naming the text when it is not one.
    """
    position = 0
    total = dt.timedelta()
    stripped = text.strip()
    for match in _PART.finditer(stripped):
        if match.start() != position:
            break
        name = match.group(2).lower()
        unit = _UNITS.get(name) or (_UNITS.get(name[:-1]) if len(name) > 2 and name.endswith("s") else None)
        if unit is None:
            raise ConfigError(f"unknown unit {match.group(2)!r} in duration {text!r}", hint=_DURATION_HINT)
        total += unit * float(match.group(1))
        position = match.end()
    if not stripped or position != len(stripped):
        raise ConfigError(f"{text!r} is not a duration", hint=_DURATION_HINT)
    if total <= dt.timedelta():
        raise ConfigError(f"duration {text!r} must be longer than zero", hint=_DURATION_HINT)
    return total


def purge(
    *,
    older_than: str | dt.timedelta,
    db_url: str | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete tombstones, soft-deleted rows, access events and push log entries older than ``older_than``.

    Cursors older than the newest version purged from (or, for access events,
    for) a table then get PT410 (full resync) for that table.
    ``dry_run`` runs the same statements and rolls them back, reporting what a
    real run would remove. Needs the project owner (or service_role) URL.
    """
    interval = parse_duration(older_than) if isinstance(older_than, str) else older_than
    if interval <= dt.timedelta():
        raise ConfigError(f"older_than must be longer than zero, not {interval}", hint=_DURATION_HINT)
    url = resolve_db_url(db_url)
    assert url is not None  # required=True raises instead
    with connection(url) as conn:
        _require_purge_function(conn, url)
        try:
            row = conn.execute(read_sql("queries/purge.sql"), {"older_than": interval, "dry_run": dry_run}).fetchone()
        except psycopg.Error as error:
            diag = error.diag
            raise SupabaseSyncError(
                f"purge failed: {diag.message_primary or error}",
                hint=diag.message_hint or "connect as the project owner (the postgres role on Supabase) or service_role",
            ) from error
    report: dict[str, Any] = row[0] if row else {}
    return PurgeReport(
        db_url=mask_dsn(url),
        older_than=str(report["older_than"]),
        cutoff=str(report["cutoff"]),
        dry_run=bool(report["dry_run"]),
        tombstones=int(report["tombstones"]),
        rows={name: int(count) for name, count in report["rows"].items()},
        push_log=int(report["push_log"]),
        access_events=int(report["access_events"]),
        retention_horizon=int(report["retention_horizon"]),
    )


def _require_purge_function(conn: psycopg.Connection, url: str) -> None:
    found = conn.execute("select to_regprocedure('supabase_sync.purge(interval, boolean)') is not null").fetchone()
    if not (found and found[0]):
        raise NotInstalled(
            f"the supabase-sync SQL pack (with purge) is not installed in {mask_dsn(url)}",
            hint="run `supabase-sync install --db-url ...` first",
        )
