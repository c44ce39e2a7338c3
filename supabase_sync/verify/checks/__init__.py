"""The checks verify runs, one module per family (see :mod:`supabase_sync.verify.checks.base`).

The ``structure`` checks render the per-table contract
(:mod:`supabase_sync.contract`), one check per family of requirements; the
others act as real users through :mod:`supabase_sync.rpc`.
"""

from __future__ import annotations

# Importing the family modules registers their checks.
from supabase_sync.verify.checks import (  # noqa: F401
    concurrency,
    conflicts,
    isolation,
    roundtrip,
    security,
    server_columns,
    sharing,
    structure,
)
from supabase_sync.verify.checks.base import REGISTRY, Check

#: Check families in the order verify runs them (structure first, concurrency last).
FAMILY_ORDER = ("structure", "security", "isolation", "sharing", "server_columns", "roundtrip", "conflicts", "concurrency")


def all_checks() -> list[Check]:
    """Every check, in the order verify runs them."""
    return sorted(REGISTRY, key=lambda item: FAMILY_ORDER.index(item.name.split(".", 1)[0]))


__all__ = ["FAMILY_ORDER", "Check", "all_checks"]
