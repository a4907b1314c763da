"""FTE, high-credit FTE and the rules behind ATTENDANCE_TYPE, from scheduled minutes.

The rule book counts the minutes of the classes a student is scheduled in on one day: the
latest in-session day on or before the count date, or, for a student who left during the
period, the latest in-session day on or before their last day of enrolment. Classes at
night schools and independent-study classes do not count.

Minutes become FTE the Ministry's way: 210 minutes or more is full-time (1.00), fewer
count minutes / 300. For pupils of the board past 34 credits, the "high-credit" share of
the minutes is split off into HIGH_CREDIT_FTE (docs/decisions.md, "FTE from scheduled
minutes"). Program rules (SAL, expulsion) and the independent-study-only rule replace the
minutes where they apply.

Everything works on a *reference* frame, one row per student:

    student_id, school_id (the enrolment's school, whose calendar gives the day),
    as_of (the last day that counts: the count date or the last day enrolled),
    board_residence_status, grade_level

`reference_days(ctx)` builds it from the period's enrolments; the STUDENT_SCHOOL_ENROLMENT
builder passes its own (its speaking enrolment, or last year's for non-returning students).
"""

from __future__ import annotations

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.programs.sal_rules import sal_reported
from onsis_batch.segments.students.dates import active_on, age_on_december_31, last_enrolled_day
from onsis_batch.segments.students.high_credits import (
    BOARD_PUPIL,
    high_credit_exemption,
    high_credit_factor,
    high_credits,
    prior_credits,
)
from onsis_batch.segments.students.school_day import fte_days, schedule
from onsis_batch.segments.students.scope import classified_enrolments, current_enrolments

FULL_TIME_MINUTES = 210  # O. Reg. 79/97 and successors: full-time pupil
FULL_DAY_MINUTES = 300  # part-time FTE = minutes / 300
OTHER_STUDENT = "07"
SAL_PART_TIME, SAL_FULL_TIME = "001", "002"
SAL_AGES = (14, 17)
KINDERGARTEN = ["JK", "K"]

REFERENCE_COLUMNS = ("student_id", "school_id", "as_of", "board_residence_status", "grade_level")


# --- reference days and programs -----------------------------------------------------------


def reference_days(ctx: SegmentContext) -> pl.DataFrame:
    """One reference row per student enrolled in the period, from their speaking enrolment."""
    classified, _ = classified_enrolments(ctx)
    current = current_enrolments(classified, ctx.period)
    return current.select(
        "student_id",
        "school_id",
        last_enrolled_day(ctx).alias("as_of"),
        "board_residence_status",
        "grade_level",
    )


def _programs(ctx: SegmentContext, reference: pl.DataFrame) -> pl.DataFrame:
    """Per student, the programs active on `as_of`: IEP, SAL (and its type), expulsion."""
    programs = ctx.table("programs").select("program_id", "is_sal", "is_expulsion")
    ids = reference.get_column("student_id").implode()
    active = (
        reference.select("student_id", "as_of")
        .join(
            ctx.table("program_enrolments").filter(pl.col("student_id").is_in(ids)),
            on="student_id",
        )
        .join(programs, on="program_id", how="left")
        .filter(active_on("as_of"))
        .sort("student_id", "entry_date")
    )
    # Only the SAL enrolments a SALEP reports change the attendance type (segments/sal_rules.py).
    sal = pl.col("is_sal").fill_null(False) & sal_reported(ctx.period)
    return active.group_by("student_id").agg(
        pl.col("iep").fill_null(False).any().alias("has_iep"),
        sal.any().alias("in_sal"),
        pl.col("sal_type").filter(sal).drop_nulls().last().alias("sal_type"),
        pl.col("is_expulsion").fill_null(False).any().alias("in_expulsion"),
    )


# --- scheduled minutes and high credits -------------------------------------------------------


def scheduled_minutes(ctx: SegmentContext, reference: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per reference student (by default every student enrolled in the period).

    student_id, fte_day, has_class_data, minutes (null without class data or when a
    class's timetable is unknown), is_independent_study_only, prior_credits,
    current_credits, exempt_credits, high_credits, high_credit_exemption,
    high_credit_factor, high_credit_minutes, regular_minutes, plus the program facts
    has_iep, in_sal, sal_type, in_expulsion and the reference columns.
    """
    if reference is None:
        reference = reference_days(ctx)
    reference = reference.select(REFERENCE_COLUMNS).unique("student_id", keep="last")
    days = reference.select("student_id", "as_of").join(
        fte_days(ctx, reference), on="student_id", how="left"
    )
    students = (
        ctx.table("students").lazy().select("student_id", "birth_date", "secondary_entry_date")
    )
    return (
        reference.lazy()
        .join(schedule(ctx, days).lazy().drop("as_of"), on="student_id", how="left")
        .join(prior_credits(ctx, days).lazy(), on="student_id", how="left")
        .join(_programs(ctx, reference).lazy(), on="student_id", how="left")
        .join(students, on="student_id", how="left")
        .with_columns(
            pl.col("prior_credits").fill_null(0.0),
            pl.col("has_iep").fill_null(False),
            pl.col("in_sal").fill_null(False),
            pl.col("in_expulsion").fill_null(False),
        )
        .with_columns(high_credit_exemption().alias("high_credit_exemption"))
        .with_columns(high_credits().alias("high_credits"))
        .with_columns(high_credit_factor().alias("high_credit_factor"))
        .with_columns(
            # Whole minutes, truncated; the factor in hundredths keeps this exact.
            (pl.col("minutes") * (pl.col("high_credit_factor") * 100).round(0).cast(pl.Int64))
            .floordiv(100)
            .alias("high_credit_minutes")
        )
        .with_columns((pl.col("minutes") - pl.col("high_credit_minutes")).alias("regular_minutes"))
        .collect(engine=IN_MEMORY)
    )


# --- FTE --------------------------------------------------------------------------------------


def _fte_of(minutes: pl.Expr) -> pl.Expr:
    """1.00 from 210 minutes, else minutes / 300 to two decimals."""
    part = (minutes / FULL_DAY_MINUTES).round(2, mode="half_away_from_zero")
    return pl.when(minutes >= FULL_TIME_MINUTES).then(1.0).otherwise(part)


def _minutes_fte() -> list[pl.Expr]:
    regular, total = pl.col("regular_minutes"), pl.col("minutes")
    regular_fte = _fte_of(regular)
    high_credit_fte = (
        pl.when(regular >= FULL_TIME_MINUTES)
        .then(0.0)
        .when(total >= FULL_TIME_MINUTES)
        .then((1.0 - regular_fte).round(2, mode="half_away_from_zero"))
        .otherwise(
            (pl.col("high_credit_minutes") / FULL_DAY_MINUTES).round(2, mode="half_away_from_zero")
        )
    )
    return [regular_fte, high_credit_fte]


def _rule() -> pl.Expr:
    """Which rule gives the student's FTE; null when nothing can (no class data)."""
    age = age_on_december_31(pl.col("birth_date"), pl.col("as_of"))
    sal_age = age.is_between(*SAL_AGES) & pl.col("in_sal")
    status = pl.col("board_residence_status").fill_null(BOARD_PUPIL)
    return (
        pl.when(sal_age & (pl.col("sal_type") == SAL_PART_TIME))
        .then(pl.lit("sal_001"))
        .when(sal_age & (pl.col("sal_type") == SAL_FULL_TIME))
        .then(pl.lit("sal_002"))
        .when(pl.col("in_expulsion"))
        .then(pl.lit("expulsion"))
        .when(
            pl.col("is_independent_study_only").fill_null(False)
            & status.is_in([BOARD_PUPIL, OTHER_STUDENT])
        )
        .then(pl.lit("independent_study_only"))
        .when(pl.col("minutes").is_not_null())
        .then(pl.lit("minutes"))
    )


def funding_values(ctx: SegmentContext, reference: pl.DataFrame | None = None) -> pl.DataFrame:
    """`scheduled_minutes` plus the calculated values, before any override.

    funding_rule   sal_001 | sal_002 | expulsion | independent_study_only | minutes | null
    fte            FTE (null when no rule applies)
    high_credit_fte
    full_time_rule True when a rule makes the student full-time whatever the FTE
                   (JK/K pupils aged 6 or more on December 31)
    """
    frame = scheduled_minutes(ctx, reference).with_columns(_rule().alias("funding_rule"))
    minutes_fte, minutes_high = _minutes_fte()
    rule = pl.col("funding_rule")
    fte = (
        pl.when(rule == "sal_001")
        .then(0.5)
        .when(rule.is_in(["sal_002", "expulsion"]))
        .then(1.0)
        .when(rule == "independent_study_only")
        .then(0.0)
        .when(rule == "minutes")
        .then(minutes_fte)
    )
    high_credit = pl.when(rule == "minutes").then(minutes_high).when(rule.is_not_null()).then(0.0)
    kindergarten = pl.col("grade_level").is_in(KINDERGARTEN) & (
        age_on_december_31(pl.col("birth_date"), pl.col("as_of")) >= 6
    )
    return frame.with_columns(
        fte.alias("fte"),
        high_credit.alias("high_credit_fte"),
        kindergarten.fill_null(False).alias("full_time_rule"),
    )
