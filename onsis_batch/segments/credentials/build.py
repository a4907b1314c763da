"""Credentials builder: DIPLOMA, SHSM_PROGRAM (+ SHSM_CERTIFICATION) and SPCE under the
school enrolments, and STUDENT_NON_ENROLMENT (with its own STUDENT row and the same three
children) for former students who have one of those to report.

Runs after the school enrolments are final: a student gets a non-enrolment segment only
when this file sends no school enrolment for them.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.credentials.diploma import (
    diploma_decisions,
    diploma_findings,
    diploma_rows,
    non_enrolled_diplomas,
)
from onsis_batch.segments.credentials.non_enrolment import non_enrolled_students, non_enrolment_rows
from onsis_batch.segments.credentials.shsm import build_shsm, non_enrolled_shsm_rows
from onsis_batch.segments.engine import NO_ACTION, Decision, Outcome, decide, finish
from onsis_batch.segments.students.student_rows import build_students

Frames = dict[str, pl.DataFrame]
# A former student's STUDENT row (no ACTION, no extract) is sent with their non-enrolment.
STUDENT_DECISION = Decision(key=("_id",), new=Outcome(NO_ACTION, "STU-WITH-NE"))


def _with_student_rows(
    ctx: SegmentContext, students: pl.DataFrame, ne: pl.DataFrame
) -> tuple[pl.DataFrame, list[Finding]]:
    """The STUDENT frame with a row for each non-enrolled student, reordered by OEN."""
    added, findings = build_students(ctx, ne.select("student_id", "oen_key", "student_row"))
    desired = added.drop("student_id", "oen_key").with_columns(
        ne.get_column("student_id").alias("_id"),
        pl.lit(0, dtype=pl.Int64).alias("_order"),
        pl.lit(None, dtype=pl.Utf8).alias("_parent"),
    )
    added = decide(desired, None, STUDENT_DECISION)
    combined = pl.concat([students, added.select(students.columns)], how="vertical_relaxed")
    return finish("STUDENT", combined, order_by=("OEN", "_id")), findings


def build_credentials(ctx: SegmentContext, built: Frames) -> tuple[Frames, list[Finding]]:
    """Credential segments of the students reported, and the non-enrolled students'."""
    enrolled = built["STUDENT_SCHOOL_ENROLMENT"].select(
        pl.col("_id").alias("student_id"), "_action", "_reason", "GRADE_TYPE"
    )
    chosen = non_enrolled_students(ctx, enrolled.get_column("student_id"))
    ne = non_enrolment_rows(ctx, chosen)
    students, found = _with_student_rows(ctx, built["STUDENT"], ne)
    shsm, shsm_findings = build_shsm(ctx, enrolled)
    parents = ne.select("student_id", "_action")
    frames: Frames = {
        "STUDENT": students,
        "STUDENT_NON_ENROLMENT": ne.drop("student_id", "oen_key", "student_row"),
        "DIPLOMA": diploma_rows("DIPLOMA", diploma_decisions(ctx), enrolled),
        "NE_DIPLOMA": diploma_rows("NE_DIPLOMA", non_enrolled_diplomas(ctx), parents),
        **shsm,
        **non_enrolled_shsm_rows(ctx, ne.get_column("student_id")),
    }
    reported = pl.concat([enrolled.get_column("student_id"), ne.get_column("student_id")])
    return frames, found + shsm_findings + diploma_findings(ctx, reported)
