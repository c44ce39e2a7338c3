"""The library's public commands: typed functions the CLI and users call.

Each command lives in the module named for its concern; this module gathers
them so ``from supabase_sync import api`` gives the whole surface.
"""

from __future__ import annotations

from supabase_sync.install import install, uninstall

__all__: list[str] = ["install", "uninstall"]
