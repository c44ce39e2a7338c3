"""One error hierarchy for the library.

Every error says what is wrong and how to fix it. The CLI turns them into one
line on stderr and an exit code; the library never imports click.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def first_line(error: BaseException) -> str:
    """The first line of ``error``'s message (a database error's primary message), or its type name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class SupabaseSyncError(Exception):
    """Base class of every error the library raises on purpose.

    ``hint`` tells the user how to fix it; ``exit_code`` is what the CLI exits with.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (hint: {self.hint})"
        return self.message


class ConfigError(SupabaseSyncError):
    """A missing or invalid option, file or project layout."""


class ConnectionFailed(SupabaseSyncError):
    """The database could not be reached."""


class SandboxError(SupabaseSyncError):
    """A throwaway PostgreSQL could not be started or prepared."""


class NotInstalled(SupabaseSyncError):
    """The sync pack is not installed in the target database."""


class TableError(SupabaseSyncError):
    """A table cannot be synced as it is (missing, no primary key, bad owner column...)."""


class UnsafeOperation(SupabaseSyncError):
    """A plan would drop or rewrite user data and was not explicitly allowed."""


class ApplyFailed(SupabaseSyncError):
    """A statement of a plan failed; the transaction was rolled back and nothing changed."""


class MigrationFailed(SupabaseSyncError):
    """A migration file could not be applied; nothing of that file was kept.

    ``path`` is the file that failed.
    """

    def __init__(self, message: str, *, hint: str | None = None, path: Path | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class ChecksFailed(SupabaseSyncError):
    """Verification or lint checks failed; the report says which."""

    exit_code = 2


class RpcError(SupabaseSyncError):
    """A request failed in the database; carries what PostgREST would answer.

    ``status`` is the HTTP status, ``sqlstate`` the error code (PostgREST's
    ``code``), ``message``, ``detail`` and ``hint`` the error's fields, and
    ``headers`` any response headers PostgREST adds (``WWW-Authenticate`` on a
    401, the headers of a ``RAISE SQLSTATE 'PGRST'``).
    """

    def __init__(
        self,
        status: int,
        sqlstate: str,
        message: str,
        detail: str | None = None,
        hint: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.sqlstate = sqlstate
        self.detail = detail
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        text = f"HTTP {self.status} ({self.sqlstate}): {self.message}"
        if self.detail:
            text += f" DETAIL: {self.detail}"
        if self.hint:
            text += f" HINT: {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        """Return the error as PostgREST's JSON body (``code``, ``message``, ``details``, ``hint``)."""
        return {"code": self.sqlstate, "message": self.message, "details": self.detail, "hint": self.hint}
