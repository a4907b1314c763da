"""Which SAL program enrolments a submission reports: shared by SALEP and the FTE rules, so
the attendance type a SAL program gives always matches the SALEP segment sent."""

from __future__ import annotations

from datetime import date

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod


def sal_reported(period: SubmissionPeriod) -> pl.Expr:
    """A typed SAL enrolment that is not one entered and left within an October or March
    period (June reports those too). Reads sal_type, entry_date, exit_date."""
    typed = pl.col("sal_type").is_not_null()
    if period.kind == "jun":
        return typed
    exit_date = pl.col("exit_date")
    short = (
        (pl.col("entry_date") >= period.start)
        & exit_date.is_not_null()
        & (exit_date <= period.count_date)
    )
    return typed & ~short


def sal_in_window(period: SubmissionPeriod) -> pl.Expr:
    """Entered by the count date and not left by the period start (an exit on the start
    date is outside)."""
    exit_date = pl.col("exit_date")
    return (pl.col("entry_date") <= period.count_date) & (
        exit_date.is_null() | (exit_date > period.start)
    )


def sal_exit_cutoff(period: SubmissionPeriod) -> date:
    """Exits up to this day are reported: the count date, or July 1 in June."""
    if period.kind == "jun":
        return max(period.count_date, date(period.first_year + 1, 7, 1))
    return period.count_date
