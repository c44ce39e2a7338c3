"""Structure: the table meets the per-table contract, read from the catalog.

One check per family of :mod:`supabase_sync.contract` requirements
(``structure.registry``, ``structure.columns``, ``structure.policies``...): it
fails naming every unmet requirement of its family, with the SQL enable runs
to meet it (or what only the table's owner can change). So verify, status,
lint and enable cannot disagree about a table. ``structure.policy_initplan``
(policies evaluating ``auth.uid()`` once per statement) is advice on speed,
not part of the contract.
"""

from __future__ import annotations

import re

from supabase_sync.contract import FAMILIES, TableCheck, Verdict, fix_command
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import Check, CheckFailure, CheckFunction, CheckSkipped, register, summary_of
from supabase_sync.verify.context import VerifyContext

_AUTH_CALL = re.compile(r"auth\.(uid|jwt|role|email)\(\)")
_WRAPPED_AUTH_CALL = re.compile(r"SELECT auth\.(uid|jwt|role|email)\(\) AS \w+", re.I)


def _fix(check: TableCheck, unmet: list[Verdict]) -> str:
    """The SQL (one line per statement) and, when enable can do it, the command that writes it as a migration."""
    statements = dict.fromkeys(statement.inline() for verdict in unmet for statement in verdict.fix_statements())
    by_hand = [verdict.manual for verdict in unmet if verdict.manual and not verdict.manual_sql]
    parts = [*statements, *dict.fromkeys(by_hand)]
    command = fix_command(check, *unmet)
    if command is not None:
        parts.append(f"(or run `{command}` in the project: it writes a migration with what is missing)")
    return " ".join(parts)


def _family_check(family: str) -> CheckFunction:
    def run(ctx: VerifyContext, table: SyncedTable | None) -> None:
        assert table is not None
        check = ctx.contract(table)
        verdicts = check.family(family)
        unmet = [verdict for verdict in verdicts if verdict.state == "unmet"]
        if unmet:
            raise CheckFailure(
                "; ".join(verdict.problem for verdict in unmet),
                fix=_fix(check, unmet),
                requirements=tuple(verdict.key for verdict in unmet),
            )
        if verdicts and all(verdict.state == "not applicable" for verdict in verdicts):
            raise CheckSkipped("; ".join(verdict.problem for verdict in verdicts))

    return run


def policy_initplan(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """Policies call auth.uid() as (select auth.uid()), evaluated once per statement, not once per row."""
    assert table is not None
    for policy in ctx.contract(table).info.policies.values():
        for expression in (policy.using_expression or "", policy.check_expression or ""):
            bare = _AUTH_CALL.findall(_WRAPPED_AUTH_CALL.sub("", expression))
            if bare:
                raise CheckFailure(
                    f"policy {policy.name!r} on {table.collection} calls auth.{bare[0]}() per row: {expression}",
                    fix=f"recreate it with (select auth.{bare[0]}()) in place of auth.{bare[0]}()",
                )


for _family, _summary in FAMILIES.items():
    register(Check(name=f"structure.{_family}", summary=_summary, scope="table", run=_family_check(_family)))
    if _family == "policies":
        register(
            Check(
                name="structure.policy_initplan",
                summary=summary_of(policy_initplan.__doc__ or ""),
                scope="table",
                run=policy_initplan,
            )
        )
