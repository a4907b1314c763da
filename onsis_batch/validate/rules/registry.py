"""The business-rule checks run on the finished plan, registered by finding code.

A check is a small function that reads the plan's frames and returns the rows that break
its rule: a polars frame with `_id` (the row's key), optionally `segment` (when one check
covers several segments) and one column per parameter of the finding's message. One loop
here turns those rows into findings; the catalog entry (`findings.yaml`) holds everything
else about the rule: severity, segment, the elements it reads, messages, hint and the
Ministry message it anticipates. Checks never change the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import polars as pl

from onsis_batch.findings import Finding, FromColumn, catalog, findings_for_rows
from onsis_batch.plan.model import Plan

Check = Callable[[Plan], pl.DataFrame]
CHECKS: dict[str, Check] = {}


def rule(code: str) -> Callable[[Check], Check]:
    """Register `check` as the one check raising finding `code`."""

    def register(check: Check) -> Check:
        if code in CHECKS:
            raise ValueError(f"two checks registered for {code}")
        CHECKS[code] = check
        return check

    return register


def run_checks(plan: Plan, leave_out: Collection[str] = ()) -> list[Finding]:
    """Every registered check on `plan` but those of `leave_out`, in code order; rows in
    segment and key order."""
    findings: list[Finding] = []
    for code in sorted(set(CHECKS) - set(leave_out)):
        findings += _findings(code, CHECKS[code](plan))
    return findings


def _findings(code: str, hits: pl.DataFrame) -> list[Finding]:
    if hits.height == 0:
        return []
    if "segment" not in hits.columns:
        hits = hits.with_columns(segment=pl.lit(catalog()[code].segment))
    hits = hits.sort("segment", "_id", maintain_order=True)
    params = {c: FromColumn(c) for c in hits.columns if c not in ("_id", "segment")}
    return findings_for_rows(
        code, hits, segment=FromColumn("segment"), key=FromColumn("_id"), **params
    )
