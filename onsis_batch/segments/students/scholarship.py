"""Which school reports a student's Ontario Scholar approval date (D943).

The rule book (ONTARIO_SCHOLARSHIP_DATE, lines 2155-2159) has one school report a
scholarship date that falls in the period, leaving out summer schools:

1. the school whose enrolment the date falls in;
2. else the school of the latest enrolment that falls in the period;
3. else the school of the latest enrolment before the date (a student enrolled nowhere in
   the period: STUDENT_NON_ENROLMENT).

Enrolments are read across the whole school data, every BSID's schools, because the rule
chooses between them: a student who moved from one BSID to another in the period has the
date in one file only. Cross-enrolments never report the date (MAIN_SCHOOL_FLAG F), so
only primary enrolments are read; rows the rule book ignores everywhere (same day,
no-show, unmapped exit code) are not enrolments.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.students.scope import ignored_reason, overlaps_period


def _enrolments(ctx: SegmentContext) -> pl.DataFrame:
    """Primary enrolments at non-summer schools of students with a scholarship date in the
    period, beside that date."""
    period = ctx.period
    students = ctx.table("students").filter(
        pl.col("scholarship_date").is_between(period.start, period.count_date)
    )
    summer = ctx.table("schools").filter(pl.col("is_summer_school")).get_column("school_id")
    return (
        students.select("student_id", "scholarship_date")
        .join(ctx.table("school_enrolments"), on="student_id")
        .filter(
            ~pl.col("school_id").is_in(summer.implode())
            & ~pl.col("is_cross_enrolment")
            & ignored_reason().is_null()
        )
    )


def scholarship_schools(ctx: SegmentContext) -> pl.DataFrame:
    """student_id and `scholarship_school`: the school that reports the student's scholarship
    date in the period, for every student with such a date and a (non-summer) enrolment."""
    date = pl.col("scholarship_date")
    on_date = (pl.col("entry_date") <= date) & (
        pl.col("exit_date").is_null() | (pl.col("exit_date") > date)
    )
    rank = (
        pl.when(on_date)
        .then(1)
        .when(overlaps_period(ctx.period))
        .then(2)
        .when(pl.col("entry_date") <= date)
        .then(3)
    )
    ranked = (
        _enrolments(ctx).with_columns(rank.alias("_rank")).filter(pl.col("_rank").is_not_null())
    )
    # The best step first; within it the latest enrolment (the school id breaks a tie).
    ordered = ranked.sort(
        ["student_id", "_rank", "entry_date", "school_id"], descending=[False, False, True, True]
    )
    return ordered.group_by("student_id", maintain_order=True).agg(
        pl.col("school_id").first().alias("scholarship_school")
    )


def reports_scholarship(ctx: SegmentContext) -> pl.Series:
    """The students whose scholarship date in the period one of the BSID's schools reports
    (computed once a run: STUDENT_SCHOOL_ENROLMENT and STUDENT_NON_ENROLMENT read them)."""
    return ctx.cached("reports_scholarship", lambda: _reports_scholarship(ctx))


def _reports_scholarship(ctx: SegmentContext) -> pl.Series:
    chosen = scholarship_schools(ctx)
    here = chosen.filter(pl.col("scholarship_school").is_in(list(ctx.period.school_ids)))
    return here.get_column("student_id")
