"""High credits: the credits past 34 a pupil of the board carries, and the share of their
scheduled minutes those credits take (docs/decisions.md, "FTE from scheduled minutes").

ESL, ELD and ALF credits never count toward 34. A student's credits cannot be high credits
outside grades 9-12, when they are not a pupil of the board, with an IEP or in SAL, from
the year they turn 21, or in their first four school years of secondary school.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.students.dates import age_on_december_31, school_year

BOARD_PUPIL = "01"  # board residence status of a pupil of the board


HIGH_CREDIT_THRESHOLD = 34.0  # credits beyond this are high credits


EXEMPT_COURSE_PREFIXES = ("ESL", "ELD", "ALF")  # their credits never count toward 34


HIGH_CREDIT_GRADES = ["9", "10", "11", "12"]


ADULT_AGE = 21  # no high credit from the year a student turns 21


SECONDARY_YEARS = 4  # the first four school years of secondary are exempt from high credit


def exempt_course(course_number: pl.Expr, ministry_code: pl.Expr) -> pl.Expr:
    """ESL, ELD and ALF courses: their credits are exempt from the high-credit count."""
    code = pl.coalesce(ministry_code, course_number.str.slice(0, 5)).str.to_uppercase()
    return pl.any_horizontal([code.str.starts_with(p) for p in EXEMPT_COURSE_PREFIXES])


def prior_credits(ctx: SegmentContext, days: pl.DataFrame) -> pl.DataFrame:
    """Non-exempt credits earned before the FTE day (stored grades on the transcript)."""
    ids = days.get_column("student_id").implode()
    courses = ctx.table("courses").lazy().select("course_number", "ministry_code")
    grades = (
        ctx.table("stored_grades")
        .lazy()
        .filter(
            pl.col("student_id").is_in(ids)
            & ~pl.col("exclude_from_transcript").fill_null(False)
            & (pl.col("earned_credit").fill_null(0.0) > 0)
        )
        .join(courses, on="course_number", how="left")
        .filter(~exempt_course(pl.col("course_number"), pl.col("ministry_code")))
        .select(
            "student_id",
            "earned_credit",
            pl.coalesce("credit_date", "date_stored").alias("_earned_on"),
        )
    )
    return (
        days.lazy()
        .filter(pl.col("fte_day").is_not_null())
        .join(grades, on="student_id")
        .filter(pl.col("_earned_on") < pl.col("fte_day"))
        .group_by("student_id")
        .agg(pl.col("earned_credit").sum().alias("prior_credits"))
        .collect(engine=IN_MEMORY)
    )


def high_credit_exemption() -> pl.Expr:
    """Why a student's credits cannot be high credits (null when they can)."""
    status = pl.col("board_residence_status")
    cohort = school_year(pl.col("secondary_entry_date"))
    return (
        pl.when(~pl.col("grade_level").is_in(HIGH_CREDIT_GRADES))
        .then(pl.lit("grade"))
        .when(status.is_not_null() & (status != BOARD_PUPIL))
        .then(pl.lit("other_pupil"))
        .when(pl.col("has_iep"))
        .then(pl.lit("iep"))
        .when(pl.col("in_sal"))
        .then(pl.lit("sal"))
        .when(age_on_december_31(pl.col("birth_date"), pl.col("as_of")) >= ADULT_AGE)
        .then(pl.lit("age_21"))
        .when(school_year(pl.col("as_of")) < cohort + SECONDARY_YEARS)
        .then(pl.lit("first_four_years"))
    )


def high_credits() -> pl.Expr:
    """Credits past the threshold: none up to 34 in all; every current credit when 34 were
    already earned; else the part of the total above 34 (research §4.2, steps 2-3)."""
    prior, current = pl.col("prior_credits"), pl.col("current_credits")
    total = prior + current
    return (
        pl.when(pl.col("high_credit_exemption").is_not_null() | (total <= HIGH_CREDIT_THRESHOLD))
        .then(0.0)
        .when(prior >= HIGH_CREDIT_THRESHOLD)
        .then(current)
        .otherwise(total - HIGH_CREDIT_THRESHOLD)
    )


def high_credit_factor() -> pl.Expr:
    """High credits over all current credits (exempt ones included), two decimals."""
    enrolled = pl.col("current_credits") + pl.col("exempt_credits")
    return (
        pl.when(pl.col("high_credit_exemption").is_not_null())
        .then(0.0)
        .when(enrolled > 0)
        .then((pl.col("high_credits") / enrolled).round(2, mode="half_away_from_zero"))
        .when(pl.col("prior_credits") >= HIGH_CREDIT_THRESHOLD)
        .then(1.0)
        .otherwise(0.0)
    )
