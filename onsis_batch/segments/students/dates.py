"""Date and age expressions the funding rules share: the last day that counts, the school
year of a day, a student's age on December 31, and whether an enrolment is open on a day."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from onsis_batch.segments.context import SegmentContext


def last_enrolled_day(ctx: SegmentContext, exit_column: str = "exit_date") -> pl.Expr:
    """The count date, or the day before the exit date when the student left in the period.

    An exit date is the first day a student is no longer enrolled (decision D5).
    """
    period = ctx.period
    exit_date = pl.col(exit_column)
    left = exit_date.is_not_null() & (exit_date > period.start) & (exit_date <= period.count_date)
    return pl.when(left).then(exit_date - timedelta(days=1)).otherwise(pl.lit(period.count_date))


def school_year(day: pl.Expr) -> pl.Expr:
    """First calendar year of the school year a date belongs to (years open on July 1)."""
    return day.dt.year() - (day.dt.month() < 7).cast(pl.Int32)


def age_on_december_31(birth: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Age on December 31 of the school year of `day` (December 31 ends every birth year)."""
    return school_year(day) - birth.dt.year()


def active_on(day: str, start: str = "entry_date", end: str = "exit_date") -> pl.Expr:
    """Enrolled on `day`: entered on or before it, not yet left (end = first day out)."""
    return (pl.col(start) <= pl.col(day)) & (pl.col(end).is_null() | (pl.col(end) > pl.col(day)))
