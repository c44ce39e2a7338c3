"""The library's public commands: typed functions the CLI and users call.

Each command lives in the module named for its concern; this module gathers
them, with the reports they return and the error base every failure derives
from, so ``from supabase_sync import api`` gives the whole surface. Nothing
inside the package imports this module: it is the face, not a hub.
"""

from __future__ import annotations

from supabase_sync.apply import PlanResult
from supabase_sync.enable import disable, enable
from supabase_sync.errors import SupabaseSyncError
from supabase_sync.gen_tests import GeneratedTests, gen_tests
from supabase_sync.install import install, uninstall
from supabase_sync.lint import LintReport, lint
from supabase_sync.object_store import DEFAULT_TABLE as OBJECT_STORE_TABLE
from supabase_sync.object_store import ObjectStoreResult, object_store
from supabase_sync.purge import PurgeReport, purge
from supabase_sync.rls import rls
from supabase_sync.status import StatusReport, status
from supabase_sync.storage import storage_policies
from supabase_sync.verify import VerifyReport, verify

__all__: list[str] = [
    "OBJECT_STORE_TABLE",
    "GeneratedTests",
    "LintReport",
    "ObjectStoreResult",
    "PlanResult",
    "PurgeReport",
    "StatusReport",
    "SupabaseSyncError",
    "VerifyReport",
    "disable",
    "enable",
    "gen_tests",
    "install",
    "lint",
    "object_store",
    "purge",
    "rls",
    "status",
    "storage_policies",
    "uninstall",
    "verify",
]
