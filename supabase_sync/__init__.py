"""supabase-sync: an offline-first sync backend for Supabase (PostgreSQL) projects.

The library is the product; the command line (``supabase-sync``) is a thin layer
over :mod:`supabase_sync.api`.
"""

from supabase_sync.errors import SupabaseSyncError

__version__ = "0.1.0"

#: Version of the SQL pack (``sql/``) this release installs. It is recorded in
#: ``supabase_sync.meta`` and bumped whenever a file under ``sql/`` changes.
PACK_VERSION = "3"

__all__ = ["PACK_VERSION", "SupabaseSyncError", "__version__"]
