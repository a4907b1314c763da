"""The minutes a student is scheduled in on their FTE day: the latest in-session day of their
school on or before the day that counts, the class enrolments active on it (night schools
left out), each class's minutes that day, and the current credits those classes carry."""

from __future__ import annotations

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.classes.meetings import section_meeting_days
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.students.dates import active_on
from onsis_batch.segments.students.high_credits import exempt_course


def fte_days(ctx: SegmentContext, reference: pl.DataFrame) -> pl.DataFrame:
    """student_id, fte_day: the latest in-session day of the student's school on or before
    `as_of` (null when the school has no such day in `calendar_days`)."""
    days = (
        ctx.table("calendar_days")
        .lazy()
        .filter(pl.col("school_id").is_in(list(ctx.period.school_ids)) & pl.col("in_session"))
        .select("school_id", pl.col("date").alias("fte_day"))
        .unique()
        .sort("fte_day")
    )
    dated = reference.lazy().filter(pl.col("as_of").is_not_null()).sort("as_of")
    found = dated.join_asof(
        days,
        left_on="as_of",
        right_on="fte_day",
        by="school_id",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted above; polars cannot check with `by`
    )
    return (
        reference.lazy()
        .select("student_id")
        .join(found.select("student_id", "fte_day"), on="student_id", how="left")
        .collect(engine=IN_MEMORY)
    )


def _sections(ctx: SegmentContext) -> pl.LazyFrame:
    """Sections of the BSID's schools with what the calculation needs about them."""
    schools = ctx.table("schools").lazy().select("school_id", "is_night_school")
    terms = ctx.table("terms").lazy().select("term_id", "first_day", "last_day", "portion")
    courses = ctx.table("courses").lazy().select("course_number", "ministry_code", "credit")
    full_year = pl.col("portion").fill_null(0) == 1
    return (
        ctx.table("sections")
        .lazy()
        .filter(pl.col("school_id").is_in(list(ctx.period.school_ids)))
        .select(
            "section_id",
            "school_id",
            "course_number",
            "term_id",
            pl.col("is_independent_study").alias("section_is_independent_study"),
        )
        .join(terms, on="term_id", how="left")
        .join(schools, on="school_id", how="left")
        .join(courses, on="course_number", how="left")
        .with_columns(
            exempt_course(pl.col("course_number"), pl.col("ministry_code")).alias("is_exempt"),
            # A full-year course counts half its credit on a count date (one of two).
            (pl.col("credit").fill_null(0.0) * pl.when(full_year).then(0.5).otherwise(1.0)).alias(
                "count_credit"
            ),
        )
    )


def _classes_on_day(
    ctx: SegmentContext, days: pl.DataFrame, sections: pl.LazyFrame
) -> pl.LazyFrame:
    """Class enrolments at the BSID's day schools active on each student's FTE day."""
    ids = days.get_column("student_id").implode()
    enrolments = ctx.table("class_enrolments").lazy().filter(pl.col("student_id").is_in(ids))
    in_term = pl.col("first_day").is_null() | pl.col("fte_day").is_between(
        pl.col("first_day"), pl.col("last_day")
    )
    return (
        days.lazy()
        .filter(pl.col("fte_day").is_not_null())
        .join(enrolments, on="student_id")
        .join(sections, on="section_id")
        .filter(
            active_on("fte_day", "date_enrolled", "date_left")
            & in_term
            & ~pl.col("is_night_school").fill_null(False)
        )
        .with_columns(
            (
                pl.col("is_independent_study").fill_null(False)
                | pl.col("section_is_independent_study").fill_null(False)
            ).alias("independent_study")
        )
    )


def _class_minutes(ctx: SegmentContext, classes: pl.LazyFrame) -> pl.LazyFrame:
    """Per class row: its minutes on the FTE day; 0 when it does not meet that day, null
    when its meetings are unknown (no timetable rows, no term or no calendar for it)."""
    meetings = section_meeting_days(ctx).lazy()
    known = meetings.select("section_id").unique().with_columns(pl.lit(True).alias("_known"))
    on_day = meetings.group_by("section_id", "date").agg(
        pl.when(pl.col("minutes").is_null().any())
        .then(None)
        .otherwise(pl.col("minutes").sum())
        .alias("_day_minutes"),
        pl.lit(True).alias("_meets"),
    )
    joined = classes.join(known, on="section_id", how="left").join(
        on_day, left_on=["section_id", "fte_day"], right_on=["section_id", "date"], how="left"
    )
    return joined.with_columns(
        pl.when(pl.col("_known").is_null())
        .then(None)
        .when(pl.col("_meets").is_null())
        .then(0)
        .otherwise(pl.col("_day_minutes"))
        .cast(pl.Int64)
        .alias("class_minutes")
    )


def schedule(ctx: SegmentContext, days: pl.DataFrame) -> pl.DataFrame:
    """Per student: class data present, minutes on the day (0 for a student in no class
    of the BSID's schools), current credits, IS-only (one query)."""
    sections = _sections(ctx)
    classes = _class_minutes(ctx, _classes_on_day(ctx, days, sections))
    counted = ~pl.col("independent_study")
    per_student = classes.group_by("student_id").agg(
        pl.lit(True).alias("_in_class"),
        pl.col("independent_study").all().alias("is_independent_study_only"),
        pl.when(pl.col("class_minutes").filter(counted).is_null().any())
        .then(None)
        .otherwise(pl.col("class_minutes").filter(counted).sum())
        .cast(pl.Int64)
        .alias("_day_minutes"),
        pl.col("count_credit")
        .filter(counted & ~pl.col("is_exempt"))
        .sum()
        .alias("current_credits"),
        pl.col("count_credit").filter(counted & pl.col("is_exempt")).sum().alias("exempt_credits"),
    )
    ids = days.get_column("student_id").implode()
    with_data = (
        ctx.table("class_enrolments")
        .lazy()
        .filter(pl.col("student_id").is_in(ids))
        .join(sections.select("section_id"), on="section_id")
        .select("student_id")
        .unique()
        .with_columns(pl.lit(True).alias("has_class_data"))
    )
    schedule = (
        days.lazy()
        .join(with_data, on="student_id", how="left")
        .join(per_student, on="student_id", how="left")
        .with_columns(pl.col("has_class_data").fill_null(False))
    )
    # No class at all is no minutes scheduled (D785); classes without a day are unknown.
    minutes = (
        pl.when(~pl.col("has_class_data"))
        .then(0)
        .when(pl.col("fte_day").is_null())
        .then(None)
        .when(pl.col("_in_class").is_null())
        .then(0)  # in no class that day
        .otherwise(pl.col("_day_minutes"))
    )
    return (
        schedule.with_columns(
            minutes.cast(pl.Int64).alias("minutes"),
            pl.col("is_independent_study_only").fill_null(False),
            pl.col("current_credits").fill_null(0.0),
            pl.col("exempt_credits").fill_null(0.0),
        )
        .drop("_day_minutes", "_in_class")
        .collect(engine=IN_MEMORY)
    )
