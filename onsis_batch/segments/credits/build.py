"""PLAR and OTHER_CREDIT: credits recorded on the transcript outside a class here.

Both segments come from stored grades whose credit date falls in the period, that are not
tied to a section (a mark earned in a class here is reported with the class enrolment) and
that this BSID posted: `bsid_completed_at` is the BSID, or, when it is empty, the stored
grade's school is one of the BSID's schools. Then

  PLAR .............. a PLAR type and a Ministry course (type M); when the BSID is not
                      recorded, the student must also have been enrolled at that school on
                      the credit date. One segment per student, PLAR type and course.
  OTHER_CREDIT ...... a credit type, a Ministry or local course (M or L), no PLAR type and
                      not one of the PLAR/equivalency codes. One segment per stored grade.

Both hang under the student's STUDENT_SCHOOL_ENROLMENT and are always ADD.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.credentials.requirements import (
    PLAR_CODES,
    course_codes,
    unknown_requirements,
)
from onsis_batch.segments.credits.other_credit import build_other_credits
from onsis_batch.segments.credits.plar import build_plar
from onsis_batch.segments.located import at_data_rows


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def posted_here(ctx: SegmentContext) -> pl.DataFrame:
    """Stored grades of the period, outside any section, posted by this BSID; with the
    course's `code`, `course_type`, `institution` and `known_course` joined on."""
    period = ctx.period
    grades = ctx.table("stored_grades").filter(
        _blank("section_id")
        & pl.col("credit_date").is_between(period.start, period.count_date)
        & (
            (pl.col("bsid_completed_at").str.strip_chars() == period.bsid)
            | (_blank("bsid_completed_at") & pl.col("school_id").is_in(list(period.school_ids)))
        )
    )
    courses = course_codes(ctx).with_columns(pl.lit(True).alias("known_course"))
    return grades.join(courses, on="course_number", how="left").with_columns(
        pl.col("known_course").fill_null(False),
        _blank("bsid_completed_at").alias("bsid_unknown"),
    )


def _enrolled_on_credit_date(ctx: SegmentContext, grades: pl.DataFrame) -> pl.Series:
    """Per row of `grades`: the student had an enrolment at the stored grade's school on
    its credit date."""
    indexed = grades.select("student_id", "school_id", "credit_date").with_row_index("_i")
    enrolled = (
        indexed.join(
            ctx.table("school_enrolments").select(
                "student_id", "school_id", "entry_date", "exit_date"
            ),
            on=["student_id", "school_id"],
        )
        .filter(
            (pl.col("entry_date") <= pl.col("credit_date"))
            & (pl.col("exit_date").is_null() | (pl.col("exit_date") > pl.col("credit_date")))
        )
        .get_column("_i")
        .unique()
    )
    return indexed.get_column("_i").is_in(enrolled.implode())


def plar_grades(ctx: SegmentContext, posted: pl.DataFrame) -> pl.DataFrame:
    """Stored grades sent as PLAR."""
    chosen = posted.filter(pl.col("plar_type").is_not_null() & (pl.col("course_type") == "M"))
    enrolled = _enrolled_on_credit_date(ctx, chosen)
    return chosen.filter(~pl.col("bsid_unknown") | enrolled)


def _is_plar_code() -> pl.Expr:
    return pl.col("code").str.slice(0, 5).is_in(PLAR_CODES).fill_null(False)


def other_credit_grades(posted: pl.DataFrame) -> pl.DataFrame:
    """Stored grades sent as OTHER_CREDIT."""
    return posted.filter(
        pl.col("credit_type").is_not_null()
        & pl.col("course_type").is_in(["M", "L"])
        & pl.col("plar_type").is_null()
        & ~_is_plar_code()
    )


def credit_activity(ctx: SegmentContext, _enrolments: pl.DataFrame) -> pl.Series:
    """Activity source: students with a PLAR or other credit to report in the period."""
    posted = posted_here(ctx)
    ids = pl.concat(
        [
            plar_grades(ctx, posted).get_column("student_id"),
            other_credit_grades(posted).get_column("student_id"),
        ]
    )
    return ids.unique().alias("student_id")


# --- findings ----------------------------------------------------------------------------


def credit_findings(
    ctx: SegmentContext, posted: pl.DataFrame, sent: pl.DataFrame, reported: pl.Series
) -> list[Finding]:
    """CRD001 unknown course, CRD002 unknown requirement, CRD003 PLAR code without a PLAR
    type, CRD004 credit of a student this submission does not report."""
    wanted = pl.col("plar_type").is_not_null() | pl.col("credit_type").is_not_null()
    unknown_course = posted.filter(wanted & ~pl.col("known_course"))
    students = ctx.table("students").select("student_id", "exclude_from_reporting")
    requirement = unknown_requirements(ctx).filter(pl.col("student_id").is_in(reported.implode()))
    code_only = posted.filter(
        pl.col("known_course") & _is_plar_code() & pl.col("plar_type").is_null()
    )
    orphans = (
        sent.filter(~pl.col("student_id").is_in(reported.implode()))
        .join(students, on="student_id", how="left")
        .filter(~pl.col("exclude_from_reporting").fill_null(False))
    )
    return [
        *at_data_rows(
            "CRD001",
            unknown_course,
            "stored_grades",
            "course_number",
            value=FromColumn("course_number"),
            grade_id=FromColumn("grade_id"),
        ),
        *at_data_rows(
            "CRD002",
            requirement,
            "stored_grades",
            "requirement",
            value=FromColumn("requirement"),
            cohort=FromColumn("cohort"),
        ),
        *at_data_rows(
            "CRD003",
            code_only,
            "stored_grades",
            "plar_type",
            grade_id=FromColumn("grade_id"),
            course_code=FromColumn("code"),
        ),
        *at_data_rows(
            "CRD004",
            orphans,
            "stored_grades",
            grade_id=FromColumn("grade_id"),
            student_id=FromColumn("student_id"),
        ),
    ]


def build_credits(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """PLAR, OTHER_CREDIT and OTHER_CREDIT_COURSE_INFO rows under the reported students."""
    reported = built["STUDENT_SCHOOL_ENROLMENT"].get_column("_id")
    posted = posted_here(ctx)
    plar = plar_grades(ctx, posted)
    other = other_credit_grades(posted)
    sent = pl.concat(
        [
            plar.select("grade_id", "student_id", "_row"),
            other.select("grade_id", "student_id", "_row"),
        ]
    )
    findings = credit_findings(ctx, posted, sent, reported)
    mine = pl.col("student_id").is_in(reported.implode())
    plar_rows = build_plar(ctx, plar.filter(mine))
    other_rows, info_rows = build_other_credits(other.filter(mine))
    frames = {"PLAR": plar_rows, "OTHER_CREDIT": other_rows, "OTHER_CREDIT_COURSE_INFO": info_rows}
    return frames, findings
