"""Verify checks that wait for sync_pull to deliver access changes (issue 14: helper sharepull's work).

``sharing.grant``, ``sharing.revoke`` and ``sharing.move`` assert what
docs/protocol.md "Sharing" promises: a gained scope arrives as ``created``, a
lost scope and a row moved out of sight as ``deleted``. Until the pull does so
they fail on every shared table; the tests that expect a project to verify
clean leave exactly them aside, and fail as soon as one passes, so the set is
emptied the day the delivery lands (then remove this module's uses).
"""

from __future__ import annotations

from supabase_sync.verify import VerifyReport

#: The checks that fail until sync_pull delivers gained, lost and moved scopes.
AWAITING_DELIVERY = frozenset({"sharing.grant", "sharing.revoke", "sharing.move"})


def unexpected_outcomes(report: VerifyReport, *, strict: bool = True) -> list[str]:
    """What in ``report`` is not "everything passes, the awaiting checks aside": each as a line of text.

    ``strict``: an awaiting check that passes is unexpected too (the delivery landed: empty AWAITING_DELIVERY).
    """
    problems = []
    for result in report.results:
        where = f"{result.check} ({result.table})" if result.table else result.check
        if result.check in AWAITING_DELIVERY:
            if strict and result.outcome == "pass":
                problems.append(f"{where} passes now: remove it from helpers.delivery.AWAITING_DELIVERY")
            elif result.outcome == "error":
                problems.append(f"{where}: error {result.message}")
        elif result.outcome in ("fail", "error"):
            problems.append(f"{where}: {result.outcome} {result.message}")
    return problems


def verify_exit_code() -> int:
    """The exit code of ``verify`` on a project that is clean but for the awaiting checks."""
    return 2 if AWAITING_DELIVERY else 0
