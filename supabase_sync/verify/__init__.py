"""Verify a Supabase project's sync setup in a throwaway Postgres, acting as real users.

``verify()`` applies the project's migrations in a sandbox
(:mod:`supabase_sync.sandbox.migrated`) and runs the checks of
:mod:`supabase_sync.verify.checks` against every synced table; the result is a
:class:`VerifyReport` (text table, JSON, JUnit XML).
"""

from supabase_sync.verify.report import CheckResult, VerifyReport
from supabase_sync.verify.runner import verify

__all__ = ["CheckResult", "VerifyReport", "verify"]
