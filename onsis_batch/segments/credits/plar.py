"""PLAR rows: one per student, PLAR type and course (code and institution).

Several stored grades of one group make one segment: DATE_APPROVED is their latest credit
date, STATUS_TYPE the status of the latest one that has a status, CREDIT their earned
credits summed and COMPULSORY_CREDIT the part of those credits the diploma allocation
counts toward compulsory requirements (never more than CREDIT). ACTION is always ADD and
NEW_DATE_APPROVED always empty.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.credentials.requirements import credit_allocation
from onsis_batch.segments.engine import ADD, Decision, Outcome, decide, empty, finish

GROUP = ["student_id", "plar_type", "code", "institution"]
DECISION = Decision(
    key=("student_id", "TYPE", "MINISTRY_DFND_CRS", "institution", "DATE_APPROVED"),
    new=Outcome(ADD, "PLAR-ADD"),
)


def build_plar(ctx: SegmentContext, grades: pl.DataFrame) -> pl.DataFrame:
    """PLAR rows from the stored grades chosen for PLAR (students already reported)."""
    if grades.is_empty():
        return empty("PLAR")
    allocation = credit_allocation(ctx).select(
        pl.col("item_id"), pl.col("compulsory_credit").alias("_compulsory")
    )
    grades = grades.with_columns(pl.format("G:{}", "grade_id").alias("item_id")).join(
        allocation, on="item_id", how="left"
    )
    earned = pl.col("earned_credit")
    groups = (
        grades.sort(*GROUP, "credit_date", "grade_id", nulls_last=True)
        .group_by(GROUP, maintain_order=True)
        .agg(
            pl.col("plar_status").drop_nulls().last().alias("STATUS_TYPE"),
            pl.when(earned.is_not_null().any()).then(earned.sum()).alias("CREDIT"),
            pl.col("_compulsory").fill_null(0.0).sum().alias("_compulsory"),
            pl.col("credit_date").max().alias("DATE_APPROVED"),
        )
    )
    course = (
        pl.when(pl.col("institution").is_null())
        .then(pl.col("code"))
        .otherwise(pl.format("{}-{}", "code", "institution"))
    )
    rows = groups.with_columns(
        pl.col("plar_type").alias("TYPE"), pl.col("code").alias("MINISTRY_DFND_CRS")
    )
    rows = decide(rows, None, DECISION).with_columns(
        pl.format("PLAR|{}|{}|{}|{}", "student_id", "plar_type", course, "DATE_APPROVED").alias(
            "_id"
        ),
        pl.col("student_id").alias("_parent"),
        pl.min_horizontal(pl.col("_compulsory"), pl.col("CREDIT").fill_null(0.0)).alias(
            "COMPULSORY_CREDIT"
        ),
        pl.lit(None, dtype=pl.Date).alias("NEW_DATE_APPROVED"),
    )
    return finish("PLAR", rows, order_by=DECISION.key)
