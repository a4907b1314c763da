"""The records a batch file leaves out, as explain and the HTML report show them (D844).

The plan lists them (`Plan.not_sent`, built by segments/not_sent.py); here they are picked
for one record (explain) or laid out for the report, each reason with its titles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from onsis_batch.plan.model import Plan
from onsis_batch.reasons import reason_title

KIND_OF_SUBJECT = {"oen": "student", "class": "class", "men": "educator"}


def not_sent_rows(
    plan: Plan, subject: str, value: str, student_ids: pl.Series | None = None
) -> list[dict[str, Any]]:
    """The plan's not-sent entries for one record: `subject` oen, class or men, `value` its
    normal form; a student also by the SIS ids `student_ids` of its school-data rows."""
    frame = plan.not_sent
    if not frame.height:
        return []
    hit = pl.col("key") == value
    if student_ids is not None:
        hit = hit | pl.col("record").is_in(student_ids.cast(pl.String).implode())
    rows = frame.filter((pl.col("kind") == KIND_OF_SUBJECT[subject]) & hit)
    return [
        {
            "record": row["record"],
            "reason": row["reason"],
            "reason_title_en": reason_title(row["reason"], "en"),
            "reason_title_fr": reason_title(row["reason"], "fr"),
            "table": row["table"],
            "row": row["row"],
        }
        for row in rows.iter_rows(named=True)
    ]


def report_rows(plan: Plan | None, mask: Callable[[str], str], lang: str) -> list[dict[str, Any]]:
    """Every not-sent record for the HTML report: kind, SIS id, key (OENs masked by
    `mask`), input table and row, reason id and its title in `lang`."""
    if plan is None or not plan.not_sent.height:
        return []
    return [
        {
            "kind": row["kind"],
            "record": mask(row["record"]),
            "key": mask(row["key"] or ""),
            "table": row["table"],
            "row": row["row"],
            "reason": row["reason"],
            "reason_title": reason_title(row["reason"], lang) or "",
        }
        for row in plan.not_sent.iter_rows(named=True)
    ]


def report_counts(counts: dict[str, int], lang: str) -> list[dict[str, Any]]:
    """The not-sent counts by reason id, with each title in `lang`."""
    return [
        {"reason": reason, "title": reason_title(reason, lang) or "", "count": n}
        for reason, n in counts.items()
    ]
