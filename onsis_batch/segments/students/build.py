"""STUDENT and STUDENT_SCHOOL_ENROLMENT, built together: one row of each per reported student."""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import NO_ACTION, Decision, Outcome, decide, finish
from onsis_batch.segments.students.enrolment import build_school_enrolments
from onsis_batch.segments.students.student_rows import build_students

# STUDENT has no ACTION and no extract: one row per student whose enrolment is sent.
STUDENT_DECISION = Decision(key=("_id",), new=Outcome(NO_ACTION, "STU-WITH-SSE"))


def build_student_segments(
    ctx: SegmentContext, _built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """STUDENT rows (no ACTION) and their STUDENT_SCHOOL_ENROLMENT, keyed by student id."""
    enrolments, found = build_school_enrolments(ctx)
    # Stable order: by OEN, then SIS student id (students without OEN share 000000000).
    enrolments = enrolments.sort("_key", "student_id").with_row_index("_order")
    students, student_findings = build_students(ctx, enrolments)
    identity = enrolments.select("student_id", pl.col("_order").cast(pl.Int64))
    desired = identity.join(
        students.drop("oen_key"), on="student_id", how="left", maintain_order="left"
    ).rename({"student_id": "_id"})
    student_rows = decide(desired, None, STUDENT_DECISION).with_columns(
        pl.lit(None, dtype=pl.Utf8).alias("_parent")
    )
    enrolment_rows = enrolments.with_columns(
        pl.col("student_id").alias("_id"),
        pl.col("student_id").alias("_parent"),
        pl.col("_order").cast(pl.Int64),
    ).drop("student_id", "oen_key", "student_row", "_key")
    frames = {
        "STUDENT": finish("STUDENT", student_rows),
        "STUDENT_SCHOOL_ENROLMENT": finish(
            "STUDENT_SCHOOL_ENROLMENT", enrolment_rows, extra=("independent_study_only",)
        ),
    }
    return frames, found + student_findings
