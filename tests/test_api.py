"""The library's face: what ``supabase_sync.api`` exports, in one vocabulary."""

from __future__ import annotations

import typing

from supabase_sync import api
from supabase_sync.contract import CONFLICT_STRATEGIES


def test_the_reports_of_api_share_one_vocabulary() -> None:
    for report in (api.StatusReport, api.VerifyReport, api.LintReport):
        assert isinstance(getattr(report, "passed", None), property), report
    for report in (api.StatusReport, api.VerifyReport, api.LintReport, api.PlanResult, api.PurgeReport):
        assert callable(getattr(report, "to_dict", None)), report
    assert issubclass(api.SupabaseSyncError, Exception)


def test_the_conflict_strategy_is_a_literal_of_the_strategies_the_registry_accepts() -> None:
    hints = typing.get_type_hints(api.enable)
    assert typing.get_args(hints["conflict_strategy"]) == CONFLICT_STRATEGIES == ("reject", "lww")
