"""Credit items: the credits the diploma allocation hands out, one row per item.

Items are a student's credits: earned ones (stored grades not excluded from the transcript)
in credit-date order, then the classes they are taking now, counted as if the credit were
earned. Each carries the student's cohort, its course code, whether it is co-op, dual
credit or an equivalent (PLAR), and the requirement the SIS recorded on the grade, if any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from onsis_batch.segments.credentials.requirements.rules import (
    PLAR_CODES,
    cohort_of,
    requirement_rules,
)

if TYPE_CHECKING:  # a runtime import would be circular (segments import the allocation)
    from onsis_batch.segments.context import SegmentContext


COOP_CREDIT_TYPE = "15"  # stored_grades.credit_type: co-operative education


COOP_DELIVERY_TYPE = "4"  # sections.delivery_type: co-operative education


ITEM_SCHEMA = {
    "item_id": pl.String,
    "student_id": pl.String,
    "cohort": pl.String,
    "seq": pl.Int64,
    "code": pl.String,
    "coop": pl.Boolean,
    "dual": pl.Boolean,
    "credit": pl.Float64,
    "forced": pl.String,
    "equivalent": pl.Boolean,
}


def course_codes(ctx: SegmentContext) -> pl.DataFrame:
    """course_number -> code (ministry or local code, upper case), course_type, institution,
    credit. The code is the first five characters of the course number when the course has
    no ministry code."""
    courses = ctx.table("courses")
    given = pl.col("ministry_code").str.strip_chars().str.to_uppercase()
    fallback = pl.col("course_number").str.strip_chars().str.slice(0, 5).str.to_uppercase()
    return courses.select(
        "course_number",
        pl.when(given.str.len_chars() > 0).then(given).otherwise(fallback).alias("code"),
        "course_type",
        pl.col("institution").str.strip_chars().replace("", None).alias("institution"),
        pl.col("credit").fill_null(0.0).alias("course_credit"),
    ).unique("course_number", keep="first", maintain_order=True)


def population(ctx: SegmentContext) -> pl.Series:
    """Students the run allocates for: anyone with an enrolment at the BSID's schools."""
    enrolments = ctx.table("school_enrolments")
    here = enrolments.filter(pl.col("school_id").is_in(list(ctx.period.school_ids)))
    return here.get_column("student_id").unique()


def _cohorts(ctx: SegmentContext, ids: pl.Series) -> pl.DataFrame:
    students = ctx.table("students").filter(pl.col("student_id").is_in(ids.implode()))
    return students.select("student_id", cohort_of(pl.col("secondary_entry_date")).alias("cohort"))


def _stored_grade_items(ctx: SegmentContext, ids: pl.Series) -> pl.DataFrame:
    grades = ctx.table("stored_grades").filter(
        pl.col("student_id").is_in(ids.implode()) & ~pl.col("exclude_from_transcript")
    )
    fallback = pl.col("course_number").str.strip_chars().str.slice(0, 5).str.to_uppercase()
    requirement = pl.col("requirement").str.strip_chars().str.to_uppercase()
    return grades.join(course_codes(ctx), on="course_number", how="left").select(
        pl.format("G:{}", "grade_id").alias("item_id"),
        "student_id",
        pl.lit(0).alias("kind"),
        pl.coalesce("credit_date", "date_stored").alias("when"),
        pl.coalesce("code", fallback).alias("code"),
        (pl.col("credit_type") == COOP_CREDIT_TYPE).fill_null(False).alias("coop"),
        pl.col("institution").is_not_null().alias("dual"),
        pl.col("earned_credit").fill_null(0.0).alias("credit"),
        pl.when(requirement.str.len_chars() > 0).then(requirement).alias("forced_raw"),
        (pl.col("plar_type").is_not_null() | pl.coalesce("code", fallback).is_in(PLAR_CODES))
        .fill_null(False)
        .alias("equivalent"),
        "grade_id",
        "_row",
    )


def _current_items(ctx: SegmentContext, ids: pl.Series) -> pl.DataFrame:
    """Class enrolments of this school year, still running at the term end or on the count
    date, whose credit is not stored yet: counted as if the credit were earned."""
    period = ctx.period
    graded = (
        ctx.table("stored_grades")
        .filter(pl.col("section_id").is_not_null() & (pl.col("section_id") != ""))
        .select("student_id", "section_id")
        .unique()
    )
    sections = ctx.table("sections").select(
        "section_id", "course_number", "term_id", "delivery_type"
    )
    terms = ctx.table("terms").select("term_id", "first_day", "last_day")
    horizon = pl.min_horizontal(pl.col("last_day"), pl.lit(period.count_date))
    current = (
        ctx.table("class_enrolments")
        .filter(pl.col("student_id").is_in(ids.implode()))
        .join(sections, on="section_id")
        .join(terms, on="term_id")
        .filter(
            (pl.col("last_day") >= period.year_start)
            & (pl.col("first_day") <= period.count_date)
            & (pl.col("date_left") > pl.col("date_enrolled"))
            & (pl.col("date_left") > horizon)
        )
        .join(graded, on=["student_id", "section_id"], how="anti")
        .join(course_codes(ctx), on="course_number", how="left")
        .sort("student_id", "section_id", "date_enrolled")
        .unique(["student_id", "section_id"], keep="first", maintain_order=True)
    )
    fallback = pl.col("course_number").str.strip_chars().str.slice(0, 5).str.to_uppercase()
    return current.select(
        pl.format("S:{}|{}", "student_id", "section_id").alias("item_id"),
        "student_id",
        pl.lit(1).alias("kind"),
        pl.col("last_day").alias("when"),
        pl.coalesce("code", fallback).alias("code"),
        (pl.col("delivery_type") == COOP_DELIVERY_TYPE).fill_null(False).alias("coop"),
        pl.col("institution").is_not_null().alias("dual"),
        pl.col("course_credit").fill_null(0.0).alias("credit"),
        pl.lit(None, dtype=pl.String).alias("forced_raw"),
        pl.lit(False).alias("equivalent"),
    )


def _canonical(forced: pl.Expr, cohort: pl.Expr) -> pl.Expr:
    """The requirement a stored grade names, as the canonical name of the student's
    cohort; null when it names nothing of that cohort."""
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for c in requirement_rules().cohorts:
        mapped = forced.replace_strict(c.names(), default=None, return_dtype=pl.String)
        expr = pl.when(cohort == c.name).then(mapped).otherwise(expr)
    return expr


def credit_items(ctx: SegmentContext) -> pl.DataFrame:
    """Every item of the run's students, in allocation order, with `forced_raw` (the SIS
    requirement as written), `grade_id` and `_row` (stored grades only) kept."""
    ids = population(ctx)
    items = pl.concat(
        [_stored_grade_items(ctx, ids), _current_items(ctx, ids)], how="diagonal_relaxed"
    )
    items = items.join(_cohorts(ctx, ids), on="student_id", how="left").with_columns(
        pl.col("cohort").fill_null(requirement_rules().cohorts[0].name)
    )
    items = items.sort(
        "student_id", "kind", "when", "item_id", nulls_last=True, maintain_order=True
    ).with_row_index("seq")
    return items.with_columns(
        pl.col("seq").cast(pl.Int64),
        pl.col("code").str.slice(0, 5).alias("code"),
        _canonical(pl.col("forced_raw"), pl.col("cohort")).alias("forced"),
    )
