"""Segment builders: from school data and PAE frames to the plan.

Each builder selects records, derives element values with polars expressions and decides
ACTION against the PAE. `build_plan` runs them in dependency order and gives every row the
plan's bookkeeping columns (see onsis_batch.plan).
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.plan import Plan
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.school_enrolment import build_school_enrolments
from onsis_batch.segments.student import build_students


def _ordered(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Stable order: by OEN, then SIS student id (students without OEN share 000000000)."""
    return enrolments.sort("_key", "student_id").with_row_index("_order")


def build_plan(ctx: SegmentContext) -> tuple[Plan, list[Finding]]:
    """The plan of one batch file, and the findings met while building it."""
    enrolments, found = build_school_enrolments(ctx)
    enrolments = _ordered(enrolments)
    students, student_findings = build_students(ctx, enrolments)
    identity = enrolments.select("student_id", pl.col("_order").cast(pl.Int64))
    student_rows = (
        identity.join(students.drop("oen_key"), on="student_id", how="left", maintain_order="left")
        .rename({"student_id": "_id"})
        .with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("_parent"),
            pl.lit(None, dtype=pl.Utf8).alias("_action"),
            pl.lit("STU-WITH-SSE").alias("_reason"),
        )
    )
    enrolment_rows = enrolments.with_columns(
        pl.col("student_id").alias("_id"),
        pl.col("student_id").alias("_parent"),
        pl.col("_order").cast(pl.Int64),
    ).drop("student_id", "oen_key", "student_row", "_key")
    plan = Plan(
        period=ctx.period,
        segments={"STUDENT": student_rows, "STUDENT_SCHOOL_ENROLMENT": enrolment_rows},
    )
    return plan, found + student_findings
