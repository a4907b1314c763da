"""OTHER_CREDIT rows (one per stored grade) and their OTHER_COURSE_INFO children.

A Ministry course (type M) fills MINISTRY_DFND_CRS and, for a dual credit, INSTITUTION_TYPE;
a local course (type L) fills LOCAL_DEV_CRS. FINAL_MARK is the stored mark when it is a
number (rounded half away from zero), else 0. The stored grade's credit-recovery and
Ministry-content flags give OTHER_COURSE_INFO types 1 and 2. Every row is an ADD.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.engine import ADD, Decision, Outcome, decide, empty, finish

DECISION = Decision(key=("student_id", "grade_id"), new=Outcome(ADD, "OC-ADD"))
INFO_DECISION = Decision(key=("_parent", "OTHER_COURSE_INFO_TYPE"), new=Outcome(ADD, "OCI-ADD"))
INFO_FLAGS = (("credit_recovery", "1"), ("ministry_content", "2"))


def final_mark(column: str = "grade") -> pl.Expr:
    """The mark as an integer; 0 when it is missing or not a number."""
    number = pl.col(column).str.strip_chars().cast(pl.Float64, strict=False)
    rounded = number.round(0, mode="half_away_from_zero").cast(pl.Int64, strict=False)
    return rounded.fill_null(0)


def build_other_credits(grades: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(OTHER_CREDIT, OTHER_CREDIT_COURSE_INFO) from the stored grades chosen for it."""
    if grades.is_empty():
        return empty("OTHER_CREDIT"), empty("OTHER_CREDIT_COURSE_INFO")
    ministry = pl.col("course_type") == "M"
    rows = decide(grades, None, DECISION).with_columns(
        pl.format("OC|{}|{}", "student_id", "grade_id").alias("_id"),
        pl.col("student_id").alias("_parent"),
        pl.when(ministry).then(pl.col("code")).alias("MINISTRY_DFND_CRS"),
        pl.when(ministry).then(pl.col("institution")).alias("INSTITUTION_TYPE"),
        pl.when(pl.col("course_type") == "L").then(pl.col("code")).alias("LOCAL_DEV_CRS"),
        pl.col("credit_date").alias("COURSE_COMPLETE_DATE"),
        pl.lit(None, dtype=pl.Date).alias("NEW_COURSE_COMPLETE_DATE"),
        pl.col("credit_type").alias("TYPE"),
        pl.col("earned_credit").alias("EARNED_CREDIT"),
        final_mark().alias("FINAL_MARK"),
    )
    info = pl.concat(
        [
            rows.filter(pl.col(flag).fill_null(False)).select(
                pl.col("_id").alias("_parent"), pl.lit(code).alias("OTHER_COURSE_INFO_TYPE")
            )
            for flag, code in INFO_FLAGS
        ]
    )
    info = decide(info, None, INFO_DECISION).with_columns(
        pl.format("{}|{}", "_parent", "OTHER_COURSE_INFO_TYPE").alias("_id")
    )
    order = ("student_id", "credit_date", "code", "grade_id")
    return finish("OTHER_CREDIT", rows, order_by=order), finish(
        "OTHER_CREDIT_COURSE_INFO", info, order_by=("OTHER_COURSE_INFO_TYPE",)
    )
