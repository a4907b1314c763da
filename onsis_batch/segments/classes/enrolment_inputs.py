"""Reading the school data for STUDENT_CLASS_ENROLMENT: one merged row per class.

Class enrolments of this school year in sections of the BSID's schools are merged per
student and class code (earliest start, latest date left, the latest row's values), cut
to the student's school enrolment at the class's school, and given the stored grade of
the latest enrolment and what PAE 0004 holds. Earlier attempts at the same course give
the repeat flag. The activity source for students who entered and left in the period lives here
too, as it reads the same tables.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.classes.enrolment_values import course_code, grade_text, is_final_mark
from onsis_batch.segments.context import SegmentContext, class_code, normalised_oen
from onsis_batch.segments.students.scope import classified_enrolments


def sections(ctx: SegmentContext) -> pl.DataFrame:
    """Sections of the BSID's schools with their course and term (computed once a run: the
    class enrolments, their activity source and the second languages read them)."""
    return ctx.cached("class_enrolment_sections", lambda: _sections(ctx))


def _sections(ctx: SegmentContext) -> pl.DataFrame:
    courses = ctx.table("courses").select(
        "course_number",
        "ministry_code",
        "course_type",
        "credit",
        "institution",
        pl.col("language").alias("course_language"),
    )
    terms = ctx.table("terms").select(
        "term_id", pl.col("last_day").alias("term_last"), "course_sem_type"
    )
    return (
        ctx.table("sections")
        .filter(pl.col("school_id").is_in(list(ctx.period.school_ids)))
        .join(courses, on="course_number", how="left")
        .join(terms, on="term_id", how="left")
        .with_columns(
            class_code(pl.col("class_code")).alias("class_key"),
            course_code().alias("course_code"),
        )
    )


def this_year(ctx: SegmentContext, student_ids: pl.Series) -> pl.DataFrame:
    """Reported students' class enrolments of this school year (not same-day)."""
    return ctx.table("class_enrolments").filter(
        pl.col("student_id").is_in(student_ids.implode())
        & (pl.col("date_left") > ctx.period.year_start)
        & (pl.col("date_enrolled") != pl.col("date_left"))
    )


def merged_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per student and class: first start, last date left, latest row's values."""
    return (
        rows.with_columns(
            (pl.col("is_previous_year") | pl.col("section_previous_year")).alias("continued")
        )
        .sort("student_id", "class_key", "date_enrolled", "date_left", "section_id")
        .group_by("student_id", "class_key", maintain_order=True)
        .agg(
            pl.col("date_enrolled").min().alias("first_enrolled"),
            pl.col("date_enrolled").last().alias("latest_enrolled"),
            pl.col("date_left").max().alias("last_left"),
            pl.len().alias("enrolments"),
            pl.col("continued").any(),
            pl.col("credit_recovery").any().alias("section_credit_recovery"),
            pl.col("ministry_content").any().alias("section_ministry_content"),
            pl.all()
            .exclude(
                "date_enrolled", "date_left", "continued", "credit_recovery", "ministry_content"
            )
            .last(),
        )
    )


def with_school_span(ctx: SegmentContext, merged: pl.DataFrame) -> pl.DataFrame:
    """`start_raw` / `left`: the class span cut to the student's enrolment at the school."""
    enrolments, _ = classified_enrolments(ctx)
    overlapping = (
        merged.lazy()
        .select("student_id", "class_key", "school_id", "first_enrolled", "last_left")
        .join(
            enrolments.lazy()
            .filter(pl.col("ignored").is_null())
            .select("student_id", "school_id", "entry_date", "exit_date"),
            on=["student_id", "school_id"],
        )
        .filter(
            (pl.col("entry_date") < pl.col("last_left"))
            & (pl.col("exit_date").is_null() | (pl.col("exit_date") > pl.col("first_enrolled")))
        )
        .group_by("student_id", "class_key")
        .agg(
            pl.col("entry_date").min().alias("school_entry"),
            pl.when(pl.col("exit_date").is_null().any())
            .then(None)
            .otherwise(pl.col("exit_date").max())
            .alias("school_exit"),
        )
    )
    return (
        merged.lazy()
        .join(overlapping, on=["student_id", "class_key"], how="left")
        .with_columns(
            pl.max_horizontal("first_enrolled", "school_entry").alias("start_raw"),
            pl.min_horizontal("last_left", "school_exit").alias("left"),
        )
        .collect(engine=IN_MEMORY)
    )


_GRADE_COLUMNS = (
    "grade_id",
    "grade",
    "earned_credit",
    "potential_credit",
    "credit_date",
    "date_stored",
    "transcript_w",
    "transcript_a_m",
    "credit_recovery",
    "ministry_content",
    "course_number",
)


def with_grades(merged: pl.DataFrame, grades: pl.DataFrame) -> pl.DataFrame:
    """The stored grade of each row's latest enrolment: its section, and with several
    enrolments dated on or after the latest one. Full disclosure, then a grade, then the
    most recent date wins."""
    date = pl.coalesce("credit_date", "date_stored")
    candidates = (
        merged.lazy()
        .select("student_id", "class_key", "section_id", "latest_enrolled", "enrolments")
        .join(grades.lazy(), on=["student_id", "section_id"])
        .filter((pl.col("enrolments") == 1) | date.is_null() | (date >= pl.col("latest_enrolled")))
        .with_columns(
            pl.col("transcript_w").fill_null(False).alias("is_full_disclosure"),
            pl.col("grade").str.strip_chars().str.len_chars().fill_null(0).gt(0).alias("is_graded"),
            date.alias("grade_date"),
        )
        .sort(
            ["is_full_disclosure", "is_graded", "grade_date", "grade_id"],
            descending=True,
            nulls_last=True,
        )
        .group_by("student_id", "class_key", maintain_order=True)
        .first()
        .select(
            "student_id", "class_key", *[pl.col(c).alias(f"stored_{c}") for c in _GRADE_COLUMNS]
        )
    )
    return (
        merged.lazy()
        .join(candidates, on=["student_id", "class_key"], how="left")
        .collect(engine=IN_MEMORY)
    )


def pending(ctx: SegmentContext) -> pl.DataFrame:
    """PAE 0004 by OEN and class code (the first row wins if OnSIS repeats one)."""
    pae = ctx.extract("0004").with_columns(
        normalised_oen().alias("oen_key"), class_code(pl.col("class_code")).alias("class_key")
    )
    pae = pae.filter(pl.col("oen_key").is_not_null() & pl.col("class_key").is_not_null())
    pae = pae.unique(["oen_key", "class_key"], keep="first", maintain_order=True)
    keep = ("oen_key", "class_key")
    return pae.rename({c: f"pae_{c}" for c in pae.columns if c not in keep})


# --- repeats ---------------------------------------------------------------------------------


def first_attempts(ctx: SegmentContext, student_ids: pl.Series) -> pl.LazyFrame:
    """student_id, course_code, term_id, attempt_date, first_date: every attempt at a course.

    An attempt is the student's class enrolments in one course in one term (several
    enrolments there count as one), or a stored grade not earned in a known section
    (credits from elsewhere). PLAR grades are not attempts.
    """
    ids = student_ids.implode()
    courses = ctx.table("courses").lazy().select("course_number", "ministry_code")
    terms = ctx.table("sections").lazy().select("section_id", "course_number", "term_id")
    in_classes = (
        ctx.table("class_enrolments")
        .lazy()
        .filter(pl.col("student_id").is_in(ids) & (pl.col("date_enrolled") != pl.col("date_left")))
        .join(terms, on="section_id")
        .join(courses, on="course_number", how="left")
        .select(
            "student_id",
            course_code().alias("course_code"),
            "term_id",
            pl.col("date_enrolled").alias("date"),
        )
    )
    grades = (
        ctx.table("stored_grades")
        .lazy()
        .filter(pl.col("student_id").is_in(ids) & pl.col("plar_type").is_null())
        .join(terms.select("section_id", "term_id"), on="section_id", how="left")
        .join(courses, on="course_number", how="left")
        .select(
            "student_id",
            course_code().alias("course_code"),
            pl.coalesce("term_id", pl.format("G:{}", "grade_id")).alias("term_id"),
            pl.coalesce("credit_date", "date_stored").alias("date"),
        )
    )
    attempts = (
        pl.concat([in_classes, grades])
        .group_by("student_id", "course_code", "term_id")
        .agg(pl.col("date").min().alias("attempt_date"))
    )
    return attempts.with_columns(
        pl.col("attempt_date").min().over("student_id", "course_code").alias("first_date")
    )


def with_repeat(frame: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """`repeat`: an earlier attempt at the same course exists (first attempts are F)."""
    attempts = first_attempts(ctx, frame.get_column("student_id").unique())
    repeat = (pl.col("attempt_date") > pl.col("first_date")).fill_null(False).alias("repeat")
    return (
        frame.lazy()
        .join(
            attempts.select("student_id", "course_code", "term_id", repeat),
            on=["student_id", "course_code", "term_id"],
            how="left",
            maintain_order="left",
        )
        .collect(engine=IN_MEMORY)
    )


# --- activity source ---------------------------------------------------------------------------


def students_with_class_marks(ctx: SegmentContext, _enrolments: pl.DataFrame) -> pl.Series:
    """Students with a final mark in a class of the BSID they attended during the period."""
    period = ctx.period
    credits = sections(ctx).select("section_id", "credit")
    attended = ctx.table("class_enrolments").filter(
        (pl.col("date_enrolled") <= period.count_date)
        & (pl.col("date_left") >= period.start)
        & (pl.col("date_enrolled") != pl.col("date_left"))
    )
    grades = ctx.table("stored_grades").select(
        "student_id", "section_id", pl.col("grade").alias("stored_grade"), "potential_credit"
    )
    marked = (
        attended.join(credits, on="section_id")
        .join(grades, on=["student_id", "section_id"])
        .filter(is_final_mark(grade_text(), "potential_credit", "credit"))
    )
    return marked.get_column("student_id").unique()
