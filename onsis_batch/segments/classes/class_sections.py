"""The sections of the BSID's schools as CLASS and SEGMENT read them, and the classes they make.

A class is the set of sections sharing a class code (spaces removed, upper-cased); each
section brings its course (type, code, institution, credit), term dates, language and
classroom. A class is active when a student is enrolled in one of its sections on the count
date or has a stored grade of one; it is named when this submission's class enrolments
name it.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext, class_code, text
from onsis_batch.segments.engine import DELETE
from onsis_batch.segments.not_sent import CLASS, bsid_schools, note

LANGUAGES = ("E", "F", "B")


def language(column: str) -> pl.Expr:
    """A language of instruction when it is E, F or B; null otherwise."""
    value = text(column).str.to_uppercase()
    return pl.when(value.is_in(LANGUAGES)).then(value)


def combined_language(column: str) -> pl.Expr:
    """One language for several sections: theirs when they agree, B when they differ."""
    return (
        pl.when(pl.col(column).n_unique() == 1).then(pl.col(column).first()).otherwise(pl.lit("B"))
    )


def _courses(ctx: SegmentContext) -> pl.DataFrame:
    """Courses by number (the first row wins), with their CLASS and SEGMENT values."""
    courses = ctx.table("courses").unique("course_number", keep="first", maintain_order=True)
    return courses.select(
        "course_number",
        pl.lit(True).alias("course_known"),
        text("course_type").str.to_uppercase().alias("course_type"),
        text("ministry_code").str.to_uppercase().alias("ministry_code"),
        pl.col("credit").alias("course_credit"),
        text("institution").str.to_uppercase().alias("course_institution"),
        language("language").alias("course_language"),
    )


def class_sections(ctx: SegmentContext) -> pl.DataFrame:
    """Sections of the BSID's schools with their course, term and per-section values."""
    terms = (
        ctx.table("terms")
        .unique("term_id", keep="first", maintain_order=True)
        .select("term_id", "first_day", "last_day")
    )
    reporting = pl.col("school_id").is_in(list(ctx.period.school_ids))
    elsewhere = ctx.table("sections").filter(
        ~reporting & pl.col("school_id").is_in(bsid_schools(ctx).implode())
    )
    note(
        ctx,
        CLASS,
        elsewhere.select(class_code(pl.col("class_code"))).to_series(),
        "NOTSENT-CLS-SCHOOL",
    )
    sections = (
        ctx.table("sections")
        .filter(reporting)
        .join(_courses(ctx), on="course_number", how="left", maintain_order="left")
        .join(terms, on="term_id", how="left", maintain_order="left")
    )
    ministry = pl.col("course_type") == "M"
    return sections.with_columns(
        pl.col("course_known").fill_null(False),
        class_code(pl.col("class_code")).alias("class_code"),
        pl.coalesce(
            language("language"), pl.col("course_language"), pl.lit(ctx.default_language)
        ).alias("section_language"),
        pl.coalesce(
            pl.col("ministry_code"), pl.col("course_number").str.slice(0, 5).str.to_uppercase()
        ).alias("seg_code"),
        pl.when(ministry).then(pl.col("course_institution")).alias("seg_institution"),
        pl.when(ministry)
        .then(pl.col("course_institution"))
        .otherwise(None)
        .fill_null("")
        .alias("inst_key"),
        text("class_type").str.to_uppercase().alias("section_class_type"),
        pl.col("classroom_type").cast(pl.Int64, strict=False).alias("section_classroom"),
    )


def classes_of(sections: pl.DataFrame) -> pl.DataFrame:
    """One row per class code: dates, class type, language, classroom type, schools."""
    return sections.group_by("class_code").agg(
        pl.col("first_day").min().alias("start"),
        pl.col("last_day").max().alias("end"),
        pl.col("section_class_type").sort_by("section_id").drop_nulls().first().alias("type"),
        combined_language("section_language").alias("language"),
        pl.col("section_classroom").max().alias("classroom"),
        pl.col("school_id").unique().sort().alias("schools"),
        pl.col("_row").sort().alias("rows"),
    )


def _codes(frame: pl.DataFrame) -> pl.Series:
    return frame.get_column("class_code").drop_nulls().unique()


def active_codes(ctx: SegmentContext, sections: pl.DataFrame) -> pl.Series:
    """Classes with a student enrolled on the count date or a final mark of a section."""
    count = ctx.period.count_date
    by_section = sections.select("section_id", "class_code")
    enrolled = (
        ctx.table("class_enrolments")
        .filter(
            (pl.col("date_enrolled") <= count)
            & (pl.col("date_left").is_null() | (pl.col("date_left") > count))
        )
        .join(by_section, on="section_id")
    )
    marked = (
        ctx.table("stored_grades")
        .filter(pl.col("section_id").is_not_null())
        .join(by_section, on="section_id")
    )
    return pl.concat([_codes(enrolled), _codes(marked)]).unique()


def named_codes(built: dict[str, pl.DataFrame]) -> pl.Series:
    """Class codes this submission's class enrolments name (DELETE rows excepted)."""
    enrolments = built.get("STUDENT_CLASS_ENROLMENT")
    if enrolments is None or "CLASS_CODE" not in enrolments.columns:
        return pl.Series("class_code", [], dtype=pl.String)
    if "_action" in enrolments.columns:
        enrolments = enrolments.filter(pl.col("_action").fill_null("") != DELETE)
    return _codes(
        enrolments.select(class_code(pl.col("CLASS_CODE").cast(pl.String)).alias("class_code"))
    )
