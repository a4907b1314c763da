"""STUDENT: one per student whose STUDENT_SCHOOL_ENROLMENT is sent.

STUDENT has no ACTION. Its values come from the student record (legal names preferred
over usual names); students OnSIS holds but the school data lacks carry the OEN only.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import MISSING_OEN, SegmentContext
from onsis_batch.segments.located import at_data_rows

SEGMENT = "STUDENT"


def _oen_findings(rows: pl.DataFrame) -> list[Finding]:
    """Missing OENs are sent as 000000000; malformed or shared OENs stop the run."""
    present = pl.col("oen_key").is_not_null()
    found = at_data_rows(
        "STU001",
        rows.filter(~present),
        "students",
        "oen",
        row="student_row",
        student_id=FromColumn("student_id"),
    )
    found += at_data_rows(
        "STU003",
        rows.filter(present & (pl.col("oen_key").str.len_chars() != 9)),
        "students",
        "oen",
        row="student_row",
        student_id=FromColumn("student_id"),
        value=FromColumn("oen"),
    )
    shared = (
        rows.filter(present)
        .group_by("oen_key")
        .agg(
            pl.col("student_id").sort().str.join(", ").alias("students"),
            pl.col("student_row").min(),
            pl.len().alias("holders"),
        )
        .filter(pl.col("holders") > 1)
        .sort("oen_key")
    )
    found += at_data_rows(
        "STU004",
        shared,
        "students",
        "oen",
        row="student_row",
        key=FromColumn("oen_key"),
        students=FromColumn("students"),
    )
    return found


def build_students(
    ctx: SegmentContext, enrolments: pl.DataFrame
) -> tuple[pl.DataFrame, list[Finding]]:
    """STUDENT rows for the enrolment rows selected, in the plan's row format."""
    students = ctx.table("students").drop("_row")
    rows = enrolments.select("student_id", "oen_key", "student_row").join(
        students, on="student_id", how="left", maintain_order="left"
    )
    language = pl.coalesce(pl.col("first_language"), pl.lit(ctx.default_language))
    frame = rows.select(
        "student_id",
        "oen_key",
        pl.coalesce(pl.col("oen_key"), pl.lit(MISSING_OEN)).alias("OEN"),
        pl.coalesce("legal_first_name", "first_name").alias("STUDENT_LEGAL_GIVEN_NAME"),
        pl.coalesce("legal_middle_name", "middle_name").alias("STUDENT_LEGAL_SECOND_NAME"),
        pl.coalesce("legal_last_name", "last_name").alias("STUDENT_LEGAL_LAST_NAME"),
        pl.col("birth_date").alias("STUDENT_DOB"),
        pl.when(pl.col("student_row").is_not_null()).then(language).alias("LANGUAGE_TYPE"),
    )
    return frame, _oen_findings(rows.with_columns(pl.col("oen")))
