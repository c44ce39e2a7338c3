"""The ``supabase-sync`` command line: a thin layer over :mod:`supabase_sync.api`.

Each command lives in its own module and registers itself on :data:`cli`;
importing them here is what makes them part of the program.
"""

from supabase_sync.cli.app import cli, main

# Command modules (each registers its commands on `cli` when imported).
# fmt: off
# (one import line per command module; keep sorted)
from supabase_sync.cli import enable  # noqa: F401
from supabase_sync.cli import install  # noqa: F401
from supabase_sync.cli import lint  # noqa: F401
from supabase_sync.cli import object_store  # noqa: F401
from supabase_sync.cli import purge  # noqa: F401
from supabase_sync.cli import rls  # noqa: F401
from supabase_sync.cli import storage  # noqa: F401
from supabase_sync.cli import verify  # noqa: F401
from supabase_sync.cli import status  # noqa: F401
# fmt: on

__all__ = ["cli", "main"]
