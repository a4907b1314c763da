"""STUDENT_NON_ENROLMENT: former students with a diploma, SHSM certification or Ontario
Scholar approval to report, under a STUDENT of their own.

A student qualifies when this file sends no school enrolment for them, they were enrolled
at one of the BSID's schools before the period, they have no enrolment (primary or cross)
there that overlaps the period, and they have one of:

  a diploma granted here dated inside the period .............. NE-ADD-DIPLOMA
  an SHSM certification completed inside the period ........... NE-ADD-SHSM
  a scholarship date inside the period that one of the BSID's
  schools reports (students/scholarship.py: none enrolls them
  on that date or in the period, so the latest before it) ..... NE-ADD-SCHOLARSHIP

The segment is always ADD, with MAIN_SCHOOL_FLAG T.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.credentials.diploma import non_enrolled_diplomas
from onsis_batch.segments.credentials.shsm import non_enrolled_shsm
from onsis_batch.segments.engine import ADD, Decision, Outcome, decide, finish
from onsis_batch.segments.students.scholarship import reports_scholarship
from onsis_batch.segments.students.scope import classified_enrolments
from onsis_batch.segments.students.side_facts import community_hours, literacy_status

SEGMENT = "STUDENT_NON_ENROLMENT"


def _former_students(ctx: SegmentContext, reported: pl.Series) -> pl.DataFrame:
    """Students enrolled at the BSID before the period, not in it, not reported otherwise;
    with the grade of their latest enrolment there."""
    period = ctx.period
    classified, _ = classified_enrolments(ctx)
    usable = classified.filter(pl.col("ignored").is_null())
    in_period = usable.filter(pl.col("in_period")).get_column("student_id").implode()
    before = usable.filter(
        (pl.col("entry_date") < period.start) & ~pl.col("student_id").is_in(in_period)
    )
    latest = before.sort("student_id", "entry_date").group_by("student_id", maintain_order=True)
    return latest.agg(pl.col("grade_level").last()).filter(
        ~pl.col("student_id").is_in(reported.implode())
    )


def _decision(ctx: SegmentContext) -> Decision:
    """A former student's segment is added for the first thing they have to report; OnSIS
    reports no extract of the segment, so every row is new."""
    diplomas = non_enrolled_diplomas(ctx).get_column("student_id").implode()
    shsm = non_enrolled_shsm(ctx)[1].get_column("student_id").implode()
    scholars = reports_scholarship(ctx).implode()
    sid = pl.col("student_id")
    reason = (
        pl.when(sid.is_in(diplomas))
        .then(pl.lit("NE-ADD-DIPLOMA"))
        .when(sid.is_in(shsm))
        .then(pl.lit("NE-ADD-SHSM"))
        .when(sid.is_in(scholars))
        .then(pl.lit("NE-ADD-SCHOLARSHIP"))
    )
    return Decision(key=("student_id",), new=Outcome(ADD, reason))


def non_enrolled_students(ctx: SegmentContext, reported: pl.Series) -> pl.DataFrame:
    """student_id, grade_level, `_action` and `_reason` of every student the segment is
    sent for."""
    former = _former_students(ctx, reported)
    excluded = ctx.table("students").filter(pl.col("exclude_from_reporting"))
    former = former.filter(~pl.col("student_id").is_in(excluded.get_column("student_id").implode()))
    return decide(former, None, _decision(ctx)).sort("student_id")


def non_enrolment_rows(ctx: SegmentContext, chosen: pl.DataFrame) -> pl.DataFrame:
    """The segment's plan rows for the students `chosen` (decided; with grade_level),
    plus `oen_key` and `student_row` for their STUDENT rows."""
    period = ctx.period
    ids = chosen.get_column("student_id").implode()
    students = ctx.table("students").filter(pl.col("student_id").is_in(ids))
    hours = community_hours(ctx.table("community_hours").filter(pl.col("student_id").is_in(ids)))
    literacy = literacy_status(ctx.table("test_results").filter(pl.col("student_id").is_in(ids)))
    frame = (
        chosen.join(students, on="student_id", how="left")
        .join(hours, on="student_id", how="left")
        .join(literacy, on="student_id", how="left")
    )
    scholarship = pl.when(
        pl.col("scholarship_date").is_between(period.start, period.count_date)
    ).then(pl.col("scholarship_date"))
    values = [
        pl.col("grade_level").alias("GRADE_TYPE"),
        pl.lit(True).alias("MAIN_SCHOOL_FLAG"),
        pl.when(pl.col("grade_level") != "9")
        .then(pl.col("literacy_status"))
        .alias("LITERACY_STATUS_TYPE"),
        pl.col("community_hours").fill_null(0.0).alias("COMMUNITY_INVOLMENT_ACCU_HOURS"),
        scholarship.is_not_null().alias("ONTARIO_SCHOLARSHIP_FLAG"),
        scholarship.alias("ONTARIO_SCHOLARSHIP_DATE"),
        # No program of a student who is not enrolled is sent (D145).
        pl.lit(False).alias("SPECIAL_EDUCATION_FLAG"),
        pl.col("gender").alias("GENDER_TYPE"),
        pl.when(pl.col("gender") == "S").then(pl.col("gender_desc")).alias("GENDER_DESC"),
        pl.col("online_graduation_requirement").alias("ONLINE_GRADUATION_REQUIREMENT_TYPE"),
    ]
    frame = frame.with_columns(
        pl.col("student_id").alias("_id"),
        pl.col("student_id").alias("_parent"),
        pl.lit(0, dtype=pl.Int64).alias("_order"),
        normalised_oen().alias("oen_key"),
        pl.col("_row").alias("student_row"),
        *values,
    )
    return finish(SEGMENT, frame, extra=("student_id", "oen_key", "student_row"))
