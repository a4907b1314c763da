"""Minimal educator assignments, sent when the board excludes teacher reporting.

The assignment tables are not read then: an educator with a MEN and an active staff record
at a school of the BSID who teaches a class of the BSID this school year (any role) gets
one row, only to carry the class assignments:

  OnSIS holds an assignment of the MEN (PAE 0009) .. UPDATE SEA-UPD-MINIMAL: MEN and the
                                                     held position type (TEA first)
  otherwise ........................................ ADD    SEA-ADD-MINIMAL: MEN, TEA, start
                                                     date, FTE 1.00, board employee number,
                                                     TEACHING_TYPE T, CORE_FLAG T

The start date sent is the first day of the educator's earliest class, or the period start
when that class started earlier (D108). Every other element is left out. The values are
derived with the full rows' in assignment_values.py.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.educators.assignment_values import (
    MINIMAL,
    MINIMAL_POSITION,
    element_values,
)
from onsis_batch.segments.educators.inputs import (
    MEN_PATTERN,
    active_staff,
    educators,
    men_findings,
)
from onsis_batch.segments.educators.pending import held_men
from onsis_batch.segments.engine import ADD, HELD, UPDATE, Decision, Outcome, decide

ADD_ONLY = ["ASSIGNMENT_START_DATE", "FTE", "BOARD_EMPLOYEE_NUMBER", "TEACHING_TYPE", "CORE_FLAG"]
# An educator OnSIS holds any assignment for is updated under the position type it holds.
DECISION = Decision(
    key=("men",),
    new=Outcome(ADD, "SEA-ADD-MINIMAL"),
    held=Outcome(UPDATE, "SEA-UPD-MINIMAL"),
)
NEVER = [
    "GENDER_TYPE",
    "GENDER_DESC",
    "EDUCATOR_LEAVE_TYPE",
    "NEW_EDUCATOR_LEAVE_TYPE",
    "ASSIGNMENT_WTHD_TYPE",
    "NEW_ASSIGNMENT_WTHD_TYPE",
    "ASSIGNMENT_END_DATE",
    "DEPARTMENT_TYPE",
    "NTIP_STATUS_TYPE",
]


def minimal_rows(ctx: SegmentContext, links: pl.DataFrame) -> tuple[pl.DataFrame, list[Finding]]:
    """One minimal row per educator teaching a class of the BSID this school year, and
    EDU001 / EDU002 for those whose MEN is missing or malformed."""
    period = ctx.period
    teaching = (
        links.filter(pl.col("last") >= period.year_start)
        .group_by("educator_id")
        .agg(pl.col("first").min().alias("_first"))
    )
    staff = active_staff(ctx).select("educator_id").unique()
    people = educators(ctx).join(staff, on="educator_id").join(teaching, on="educator_id")
    found = men_findings(people)
    people = people.filter(pl.col("men").str.contains(MEN_PATTERN).fill_null(False))
    update = pl.col(HELD)
    rows = decide(people, held_men(ctx), DECISION).with_columns(
        pl.format("SEA|{}", "men").alias("_id"),
        *element_values(ctx, MINIMAL),
        pl.col("pae_position").fill_null(MINIMAL_POSITION).alias("position"),
        *[update.alias(f"{name}__omit") for name in ADD_ONLY],
        *[pl.lit(True).alias(f"{name}__omit") for name in NEVER],
        pl.max_horizontal(pl.col("_first"), pl.lit(period.start)).alias("start"),
        pl.lit(None, dtype=pl.Date).alias("end"),
        pl.lit([], dtype=pl.List(pl.String)).alias("members"),
        pl.lit(True).alias("minimal"),
    )
    return rows, found
