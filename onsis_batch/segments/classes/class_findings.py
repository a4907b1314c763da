"""Findings about classes: unknown courses and sections, long or shared class codes, classes
added from outside the period (CLS001-CLS006)."""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import HELD
from onsis_batch.segments.located import at_data_rows, at_plan_rows
from onsis_batch.specs import load_specs

CLASS, SEGMENT = "CLASS", "SEGMENT"


def input_findings(
    ctx: SegmentContext, sections: pl.DataFrame, built: dict[str, pl.DataFrame]
) -> list[Finding]:
    """Sections naming an unknown course; this year's stored grades naming an unknown
    section, when the grade is from the BSID's schools or its student is in this file."""
    unknown_course = sections.filter(~pl.col("course_known"))
    found = at_data_rows(
        "CLS003",
        unknown_course,
        "sections",
        "course_number",
        section_id=FromColumn("section_id"),
        value=FromColumn("course_number"),
    )
    period = ctx.period
    known = ctx.table("sections").get_column("section_id").implode()
    dated = pl.coalesce("date_stored", "credit_date")
    enrolments = built.get("STUDENT_SCHOOL_ENROLMENT")
    reported = (
        enrolments.get_column("_id") if enrolments is not None else pl.Series([], dtype=pl.String)
    )
    grades = ctx.table("stored_grades").filter(
        (
            pl.col("school_id").is_null()
            | pl.col("school_id").is_in(list(period.school_ids))
            | pl.col("student_id").is_in(reported.implode())
        )
        & (dated.is_null() | (dated >= period.year_start))
        & pl.col("section_id").is_not_null()
        & ~pl.col("section_id").is_in(known)
    )
    found += at_data_rows(
        "CLS004",
        grades,
        "stored_grades",
        "section_id",
        grade_id=FromColumn("grade_id"),
        student_id=FromColumn("student_id"),
        value=FromColumn("section_id"),
    )
    return found


def class_findings(reported: pl.DataFrame, selected: pl.DataFrame) -> list[Finding]:
    """Class codes too long, and class codes shared by sections of several schools."""
    max_length = load_specs()[CLASS].element("CLASS_CODE").max_length or 25
    codes = selected.get_column("class_code").implode()
    long = (
        reported.filter(pl.col("class_code").is_in(codes))
        .with_columns(pl.col("class_code").str.len_chars().alias("length"))
        .filter(pl.col("length") > max_length)
        .sort("_row")
    )
    found = at_data_rows(
        "CLS001",
        long,
        "sections",
        "class_code",
        key=FromColumn("class_code"),
        section_id=FromColumn("section_id"),
        length=FromColumn("length"),
        max_length=max_length,
    )
    shared = (
        selected.filter(pl.col("schools").list.len() > 1)
        .with_columns(
            pl.col("rows").list.first().alias("first_row"),
            pl.col("schools").list.join(", ").alias("school_list"),
            pl.col("rows").cast(pl.List(pl.String)).list.join(", ").alias("row_list"),
        )
        .sort("class_code")
    )
    found += at_data_rows(
        "CLS002",
        shared,
        "sections",
        "class_code",
        row="first_row",
        key=FromColumn("class_code"),
        schools=FromColumn("school_list"),
        section_rows=FromColumn("row_list"),
    )
    return found


def action_findings(selected: pl.DataFrame, segments: pl.DataFrame) -> list[Finding]:
    """Classes added from outside the period; segments whose credit OnSIS keeps (`segments`
    as matched with 0002, sent or not)."""
    late = selected.filter(~pl.col("class_held") & ~pl.col("in_period")).sort("class_code")
    found = at_plan_rows("CLS006", late, CLASS, key="class_code", start=FromColumn("start"))
    credit = segments.filter(
        pl.col(HELD) & pl.col("pae_credit").is_not_null() & ~pl.col("credit_same")
    ).sort("_id")
    found += at_plan_rows(
        "CLS005", credit, SEGMENT, credit=FromColumn("credit"), pae_credit=FromColumn("pae_credit")
    )
    return found
