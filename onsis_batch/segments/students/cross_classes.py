"""What a student's class enrolments at the BSID's schools say about their school enrolment.

The rule book reads five things about STUDENT_SCHOOL_ENROLMENT from the classes ([CC]):

- ENROLMENT_START_DATE on ADD: the earliest class start in the period; for a cross-enrolled
  student, of the classes that cause the cross-enrolment, for the others the earlier of
  that and the entry date (D780);
- ENROLMENT_END_DATE of a cross-enrolled student: the latest date left of the classes that
  cause the cross-enrolment (sent only when it falls in the period, D942);
- STU_BRD_RES_STAT_TYPE of a cross-enrolled student: 09 (e-learning) when every
  cross-enrolled class on the count date is delivered as e-learning (18 or 19), or when
  all of them ended early as e-learning and the student left by the count date; else 08
  (D781);
- REACH_AHEAD_FLAG of a cross-enrolled elementary grade-8 student: T only when one of the
  classes causing the cross-enrolment is a language course, i.e. its Ministry course code
  starts with L or has 1 or 2 as its fourth character (D944);
- selection: a student cross-enrolled only in classes of courses with no course type is not
  reported (D782).

A class counts when it is in session during the period (enrolled by the count date, left
after the period start). The classes that cause a cross-enrolment are those at the school
of one of the student's cross-enrolments of the period that overlap it. A student with no
such class has null facts, and the enrolment's own values stand.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext, text

ELEARNING_DELIVERY = ["18", "19"]  # e-learning, with and without the provincial LMS
FACTS = ("class_start", "class_end", "cross_elearning", "cross_reach_ahead", "cross_untyped_only")
# A language course, in the rule book's words: [courses]alt_course_number (the Ministry course
# code) starting with L or with 1 or 2 as its fourth character.
LANGUAGE_COURSE = r"^(L|...[12])"


def _classes(ctx: SegmentContext, student_ids: pl.Series) -> pl.DataFrame:
    """The students' class enrolments in sections of the BSID's schools, in session during
    the period, with the section's school and delivery type and the course's type."""
    period = ctx.period
    sections = ctx.table("sections").filter(pl.col("school_id").is_in(list(period.school_ids)))
    courses = (
        ctx.table("courses")
        .unique("course_number", keep="first", maintain_order=True)
        .select(
            "course_number",
            text("course_type").alias("course_type"),
            text("ministry_code").str.to_uppercase().alias("ministry_code"),
        )
    )
    in_session = (pl.col("date_enrolled") <= period.count_date) & (
        pl.col("date_left") > period.start
    )
    return (
        ctx.table("class_enrolments")
        .filter(
            pl.col("student_id").is_in(student_ids.implode())
            & in_session
            & (pl.col("date_enrolled") != pl.col("date_left"))
        )
        .join(
            sections.select("section_id", "school_id", "course_number", "delivery_type"),
            on="section_id",
        )
        .join(courses, on="course_number", how="left")
        .select(
            "student_id",
            "section_id",
            "school_id",
            "date_enrolled",
            "date_left",
            pl.col("delivery_type").is_in(ELEARNING_DELIVERY).fill_null(False).alias("elearning"),
            "course_type",
            pl.col("ministry_code")
            .str.contains(LANGUAGE_COURSE)
            .fill_null(False)
            .alias("language_course"),
        )
    )


def _cross_classes(classes: pl.DataFrame, classified: pl.DataFrame) -> pl.DataFrame:
    """The classes at the school of a cross-enrolment of the period that overlap it."""
    cross = classified.filter(
        pl.col("in_period") & ~pl.col("is_ex") & pl.col("is_cross_enrolment")
    ).select("student_id", "school_id", "entry_date", "exit_date")
    overlaps = (pl.col("date_left") > pl.col("entry_date")) & (
        pl.col("exit_date").is_null() | (pl.col("date_enrolled") < pl.col("exit_date"))
    )
    return (
        classes.join(cross, on=["student_id", "school_id"])
        .filter(overlaps)
        .unique(["student_id", "section_id", "date_enrolled"], keep="first", maintain_order=True)
    )


def _cross_facts(cross: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """Per student: first cross class start, last date left, delivery and course types."""
    period = ctx.period
    on_count = pl.col("date_left") > period.count_date
    starts_in_period = pl.col("date_enrolled") >= period.start
    return cross.group_by("student_id").agg(
        pl.col("date_enrolled").filter(starts_in_period).min().alias("cross_start"),
        pl.col("date_left").max().alias("cross_end"),
        on_count.any().alias("_on_count"),
        pl.col("elearning").filter(on_count).all().alias("_elearning_on_count"),
        pl.col("elearning").all().alias("_elearning_all"),
        pl.col("language_course").any().alias("cross_reach_ahead"),
        pl.col("course_type").is_null().all().alias("cross_untyped_only"),
    )


def class_facts(
    ctx: SegmentContext, classified: pl.DataFrame, current: pl.DataFrame
) -> pl.DataFrame:
    """student_id and the FACTS of each student of `current` (the speaking enrolments,
    with `main_school` and `exit_date`): `class_start` (the class start the start date
    rule reads), `class_end` (a cross-enrolled student's last date left), `cross_elearning`
    (whether the cross-enrolment is e-learning, 09), `cross_reach_ahead` (a language course
    among the classes) and `cross_untyped_only`; null where the student has no class that
    counts."""
    classes = _classes(ctx, current.get_column("student_id"))
    starts = classes.filter(pl.col("date_enrolled") >= ctx.period.start)
    first_any = starts.group_by("student_id").agg(pl.col("date_enrolled").min().alias("any_start"))
    cross = _cross_facts(_cross_classes(classes, classified), ctx)
    early_exit = pl.col("exit_date").is_not_null() & (pl.col("exit_date") <= ctx.period.count_date)
    elearning = (
        pl.when(pl.col("_on_count"))
        .then(pl.col("_elearning_on_count"))
        .otherwise(pl.col("_elearning_all") & early_exit)
    )
    return (
        current.select("student_id", "main_school", "exit_date")
        .join(first_any, on="student_id", how="left")
        .join(cross, on="student_id", how="left")
        .select(
            "student_id",
            pl.when(pl.col("main_school"))
            .then(pl.col("any_start"))
            .otherwise(pl.col("cross_start"))
            .alias("class_start"),
            pl.when(~pl.col("main_school")).then(pl.col("cross_end")).alias("class_end"),
            pl.when(~pl.col("main_school")).then(elearning).alias("cross_elearning"),
            pl.when(~pl.col("main_school"))
            .then(pl.col("cross_reach_ahead"))
            .alias("cross_reach_ahead"),
            pl.when(~pl.col("main_school"))
            .then(pl.col("cross_untyped_only"))
            .alias("cross_untyped_only"),
        )
    )
