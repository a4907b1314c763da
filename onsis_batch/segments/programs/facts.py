"""Program facts several builders share: each student's last day that counts, the special
education programs active on it, and the SAL program enrolments a SALEP may report.

The STUDENT_SCHOOL_ENROLMENT builder reads SPECIAL_EDUCATION_FLAG and the SAL activity
from here and the program builders read the same frames, through `ctx.cached`, so the flag
and the segments sent can never disagree.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.students.dates import last_enrolled_day
from onsis_batch.segments.students.scope import (
    classified_enrolments,
    current_enrolments,
    previous_enrolments,
)

NO_DATE = date(1900, 1, 1)  # the SIS's "no exit date"
NON_IDENTIFIED = "NONIDE"


def _last_days(ctx: SegmentContext) -> pl.DataFrame:
    period = ctx.period
    classified, _ = classified_enrolments(ctx)
    current = current_enrolments(classified, period).select(
        "student_id", last_enrolled_day(ctx).alias("as_of"), pl.lit(True).alias("enrolled")
    )
    exit_date = pl.col("exit_date")
    before_exit = pl.when(exit_date.is_not_null()).then(exit_date - timedelta(days=1))
    previous = (
        previous_enrolments(classified, period)
        .filter(~pl.col("student_id").is_in(current.get_column("student_id").implode()))
        .select(
            "student_id",
            pl.min_horizontal(before_exit, pl.lit(period.count_date)).alias("as_of"),
            pl.lit(False).alias("enrolled"),
        )
    )
    # When the school year ends before the count date (June), the last school day counts.
    last_school_day = pl.lit(period.last_school_day or period.count_date)
    capped = pl.min_horizontal("as_of", last_school_day).alias("as_of")
    return pl.concat([current, previous]).with_columns(capped).sort("student_id")


def last_days(ctx: SegmentContext) -> pl.DataFrame:
    """student_id, as_of, enrolled: the count date, or the last day a student who left in
    the period was enrolled; for a student not enrolled in the period (non-returning), the
    last day of their latest enrolment; never after the board's last school day. Exit
    dates are first days out (decision D5)."""
    return ctx.cached("program_facts.last_days", lambda: _last_days(ctx))


def _program_enrolments(ctx: SegmentContext) -> pl.DataFrame:
    days = last_days(ctx)
    programs = ctx.table("programs").select(
        "program_id", "is_sal", "is_special_education", "is_expulsion"
    )
    exit_date = pl.col("exit_date")
    return (
        ctx.table("program_enrolments")
        .filter(pl.col("student_id").is_in(days.get_column("student_id").implode()))
        .join(programs, on="program_id", how="left")
        .join(days, on="student_id", how="left")
        .with_columns(
            pl.when(exit_date > NO_DATE).then(exit_date).alias("exit_date"),
            pl.col("is_sal").fill_null(False),
            pl.col("is_special_education").fill_null(False),
        )
    )


def program_enrolments(ctx: SegmentContext) -> pl.DataFrame:
    """The candidate students' program enrolments with their program's flags and the
    student's `as_of` / `enrolled`; an exit date of 1900-01-01 or earlier reads as none."""
    return ctx.cached("program_facts.enrolments", lambda: _program_enrolments(ctx))


def active_on_last_day() -> pl.Expr:
    """Entered on or before `as_of` and not left by then (exit = first day out)."""
    exit_date = pl.col("exit_date")
    return (pl.col("entry_date") <= pl.col("as_of")) & (
        exit_date.is_null() | (exit_date > pl.col("as_of"))
    )


def _special_education(ctx: SegmentContext) -> pl.DataFrame:
    """One row per student and exceptionality (blank for non-identified): the latest
    special education program enrolment active on the student's last day."""
    exceptionality = pl.col("exceptionality").str.strip_chars()
    identified = (
        exceptionality.is_not_null() & (exceptionality != "") & (exceptionality != NON_IDENTIFIED)
    )
    return (
        program_enrolments(ctx)
        .filter(pl.col("is_special_education") & active_on_last_day())
        .with_columns(
            pl.when(identified).then(exceptionality).alias("exceptionality_code"),
            pl.when(identified).then(exceptionality).otherwise(pl.lit("")).alias("se_key"),
        )
        .sort("student_id", "se_key", "entry_date", "program_id")
        .group_by("student_id", "se_key", maintain_order=True)
        .last()
    )


def special_education(ctx: SegmentContext) -> pl.DataFrame:
    """Active special education programs, one per student and exceptionality key `se_key`."""
    return ctx.cached("program_facts.special_education", lambda: _special_education(ctx))


def special_education_flags(ctx: SegmentContext) -> pl.DataFrame:
    """student_id, special_education: T for a student in an active special education
    program on their last day, F for every other student with a last day."""
    active = special_education(ctx).get_column("student_id").unique()
    return last_days(ctx).select(
        "student_id", pl.col("student_id").is_in(active.implode()).alias("special_education")
    )
