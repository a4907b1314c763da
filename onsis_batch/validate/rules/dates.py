"""Dates against the period and the school year (RUL002), course end after the school
enrolment end (RUL003) and IPRC review after the count date (RUL004)."""

from __future__ import annotations

from datetime import date

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.model import Plan
from onsis_batch.validate.rules.frames import sent
from onsis_batch.validate.rules.registry import rule

SSE, SCE = "STUDENT_SCHOOL_ENROLMENT", "STUDENT_CLASS_ENROLMENT"

# The window each date must fall in (D252): nothing is reported from after the count
# date, and an end date before the school year (July 1) belongs to an earlier year.
# Start dates have no lower bound: OnSIS keeps the first day of a stay or a course that
# began in an earlier year.
DATE_WINDOWS = (
    (SSE, "ENROLMENT_START_DATE", None, "count_date"),
    (SSE, "ENROLMENT_END_DATE", "year_start", "count_date"),
    (SCE, "COURSE_START_DATE", None, "count_date"),
    (SCE, "COURSE_END_DATE", "year_start", "count_date"),
)


def _bound(period: SubmissionPeriod, name: str | None) -> date | None:
    return None if name is None else getattr(period, name)


def _outside(
    plan: Plan, segment: str, element: str, low: date | None, high: date | None
) -> pl.DataFrame:
    value = pl.col(element)
    bad = pl.lit(False)
    if low is not None:
        bad = bad | (value < low)
    if high is not None:
        bad = bad | (value > high)
    return (
        sent(plan, segment, element)
        .filter(bad.fill_null(False))
        .select(
            "_id",
            segment=pl.lit(segment),
            element=pl.lit(element),
            value=value.dt.to_string("%Y/%m/%d"),
            earliest=pl.lit(low.strftime("%Y/%m/%d") if low else "-"),
            latest=pl.lit(high.strftime("%Y/%m/%d") if high else "-"),
        )
    )


@rule("RUL002")
def dates_outside_window(plan: Plan) -> pl.DataFrame:
    """Dates outside the window their element allows."""
    period = plan.period
    return pl.concat(
        [
            _outside(plan, segment, element, _bound(period, low), _bound(period, high))
            for segment, element, low, high in DATE_WINDOWS
        ]
    )


@rule("RUL003")
def course_ends_after_enrolment(plan: Plan) -> pl.DataFrame:
    """Class enrolments ending after the student's school enrolment ends."""
    courses = sent(plan, SCE, "COURSE_END_DATE")
    enrolments = sent(plan, SSE, "ENROLMENT_END_DATE").select("_id", "ENROLMENT_END_DATE")
    joined = courses.join(enrolments, left_on="_parent", right_on="_id", how="inner")
    return joined.filter(pl.col("COURSE_END_DATE") > pl.col("ENROLMENT_END_DATE")).select(
        "_id",
        course_end=pl.col("COURSE_END_DATE").dt.to_string("%Y/%m/%d"),
        enrolment_end=pl.col("ENROLMENT_END_DATE").dt.to_string("%Y/%m/%d"),
    )


@rule("RUL004")
def iprc_after_count_date(plan: Plan) -> pl.DataFrame:
    """IPRC review dates after the count date."""
    count_date = plan.period.count_date
    rows = sent(plan, "SPECIAL_EDUCATION", "IPRC_REVIEW_DATE")
    return rows.filter(pl.col("IPRC_REVIEW_DATE") > count_date).select(
        "_id",
        iprc_date=pl.col("IPRC_REVIEW_DATE").dt.to_string("%Y/%m/%d"),
        count_date=pl.lit(count_date.strftime("%Y/%m/%d")),
    )
