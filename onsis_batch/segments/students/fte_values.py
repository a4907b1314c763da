"""STUDENT_SCHOOL_ENROLMENT funding elements: FTE, HIGH_CREDIT_FTE, ATTENDANCE_TYPE, ADE and
HIGH_CREDIT_ADE, one function per element for both kinds of row (see enrolment_values.py),
and the minute-based values (`calc_*`, segments/students/funding.py) they read.

Enrolled rows apply the structural rules, then the enrolment's override columns, then the
calculated values. Closing rows send in October last year's FTE (regular + high credit),
in March and June what OnSIS holds.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.students.dates import last_enrolled_day
from onsis_batch.segments.students.enrolment_values import (
    BOARD_PUPIL,
    CLOSING,
    ELEARNING,
    SHARED,
    RowKind,
    flag,
    independent_study_only,
)
from onsis_batch.segments.students.funding import funding_values

FULL_TIME_FTE = 0.7  # FTE + high-credit FTE below this is part-time (Ministry rule MSE0026)
CALCULATED = (
    "fte",
    "high_credit_fte",
    "full_time_rule",
    "funding_rule",
    "minutes",
    "is_independent_study_only",
)


def _last_year_reference(frame: pl.DataFrame) -> pl.DataFrame:
    """Reference rows for the minutes of a non-returning student's last day enrolled."""
    return frame.select(
        "student_id",
        pl.col("prev_school_id").alias("school_id"),
        (pl.col("prev_exit_date") - timedelta(days=1)).alias("as_of"),
        pl.col("prev_board_residence_status").alias("board_residence_status"),
        pl.col("prev_grade_level").alias("grade_level"),
    ).filter(pl.col("school_id").is_not_null() & pl.col("as_of").is_not_null())


def _reads_calculated(ctx: SegmentContext, kind: RowKind) -> bool:
    """Closing rows outside October send what OnSIS holds: no minutes are read for them."""
    return kind != CLOSING or ctx.period.kind == "oct"


def funding_reference(
    frame: pl.DataFrame, ctx: SegmentContext, kind: RowKind
) -> pl.DataFrame | None:
    """The reference rows (segments/students/funding.py) of the rows' funding elements: the
    last day enrolled in the period, or for October closing rows the last day enrolled last
    year; None when the rows read no minutes."""
    if not _reads_calculated(ctx, kind):
        return None
    if kind == CLOSING:
        return _last_year_reference(frame)
    return frame.select(
        "student_id",
        "school_id",
        last_enrolled_day(ctx).alias("as_of"),
        "board_residence_status",
        "grade_level",
    )


def calculated_values(ctx: SegmentContext, *references: pl.DataFrame | None) -> pl.DataFrame:
    """The minute-based values (segments/funding.py) as `calc_*` columns by student, computed
    once over the reference rows of both kinds of row: each is keyed by student, and a
    student's rows are of one kind (OnSIS's row of a student the period reports is held,
    never closed)."""
    reference = pl.concat([r for r in references if r is not None], how="vertical")
    return funding_values(ctx, reference).select(
        "student_id", *[pl.col(c).alias(f"calc_{c}") for c in CALCULATED]
    )


def with_funding_inputs(
    frame: pl.LazyFrame, ctx: SegmentContext, kind: RowKind, calculated: pl.DataFrame
) -> pl.LazyFrame:
    """The rows with the `calc_*` values their funding elements read (`calculated_values`)."""
    if not _reads_calculated(ctx, kind):
        return frame
    return frame.join(calculated.lazy(), on="student_id", how="left")


def _shared() -> pl.Expr:
    """Shared, e-learning, cross-enrolled, not-main and independent-study-only students
    count 0.00 and part-time, whatever the enrolment's overrides say (D783)."""
    return (
        pl.col("STU_BRD_RES_STAT_TYPE").is_in([SHARED, ELEARNING])
        | ~pl.col("MAIN_SCHOOL_FLAG")
        | independent_study_only()
    )


def _enrolled_high_credit() -> pl.Expr:
    return (
        pl.when(_shared())
        .then(0.0)
        .when(pl.col("high_credit_fte").is_not_null())
        .then(pl.col("high_credit_fte"))
        .when(pl.col("STU_BRD_RES_STAT_TYPE") != BOARD_PUPIL)
        .then(0.0)
        .otherwise(pl.col("calc_high_credit_fte"))
    )


def _left_in_june(ctx: SegmentContext) -> pl.Expr | None:
    """In June, leaving before the end folds high-credit FTE into the regular FTE."""
    if ctx.period.kind != "jun":
        return None
    return pl.col("ENROLMENT_END_DATE").is_not_null()


def _closing_fte(ctx: SegmentContext) -> pl.Expr:
    """October: the enrolment's override (regular + high credit), else the minutes of their
    last day enrolled (or a program rule), else 1.00 full-time. March/June: OnSIS's."""
    if ctx.period.kind != "oct":
        return pl.col("pae_fte")
    override = pl.col("prev_fte") + pl.col("prev_high_credit_fte").fill_null(0.0)
    calculated = (pl.col("calc_fte") + pl.col("calc_high_credit_fte").fill_null(0.0)).round(
        2, mode="half_away_from_zero"
    )
    # No minutes scheduled last year is "no schedule" unless a rule gave the value.
    scheduled = (pl.col("calc_funding_rule") != "minutes") | (pl.col("calc_minutes") > 0)
    return pl.coalesce(override, pl.when(scheduled).then(calculated), pl.lit(1.0))


def fte(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """0.00 when shared; else the enrolment's override, else the calculated value (empty
    without class data nor a program rule: the builder reports it)."""
    if kind == CLOSING:
        return _closing_fte(ctx).alias("FTE")
    regular = (
        pl.when(_shared())
        .then(0.0)
        .when(pl.col("fte").is_not_null())
        .then(pl.col("fte"))
        .otherwise(pl.col("calc_fte"))
    )
    left = _left_in_june(ctx)
    if left is not None:
        folded = (regular + _enrolled_high_credit().fill_null(0.0)).round(
            2, mode="half_away_from_zero"
        )
        regular = pl.when(left).then(folded).otherwise(regular)
    return regular.alias("FTE")


def high_credit_fte(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """0.00 when shared or not a pupil of the board; else the override, else the calculated
    value. Closing: 0.00 in October (folded into FTE), else OnSIS's."""
    if kind == CLOSING:
        held = pl.lit(0.0) if ctx.period.kind == "oct" else pl.col("pae_high_credit_fte")
        return held.alias("HIGH_CREDIT_FTE")
    high_credit = _enrolled_high_credit()
    left = _left_in_june(ctx)
    if left is not None:
        high_credit = pl.when(left).then(0.0).otherwise(high_credit)
    return high_credit.alias("HIGH_CREDIT_FTE")


def attendance_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Shared students PT; then the override; then a full-time rule (JK/K aged 6+) unless
    FTE is overridden; else FT from FTE + high-credit FTE of 0.70. Closing: the previous
    enrolment's override, else FT from the FTE sent."""
    total = pl.col("FTE") + pl.col("HIGH_CREDIT_FTE").fill_null(0.0)
    derived = pl.when(total >= FULL_TIME_FTE).then(pl.lit("FT")).otherwise(pl.lit("PT"))
    if kind == CLOSING:
        return (
            pl.when(pl.col("prev_attendance_type").is_in(["FT", "PT"]))
            .then(pl.col("prev_attendance_type"))
            .otherwise(derived)
            .alias("ATTENDANCE_TYPE")
        )
    override = pl.col("attendance_type").is_in(["FT", "PT"])
    full_time_rule = pl.col("fte").is_null() & pl.col("calc_full_time_rule").fill_null(False)
    return (
        pl.when(_shared())
        .then(pl.lit("PT"))
        .when(override)
        .then(pl.col("attendance_type"))
        .when(full_time_rule)
        .then(pl.lit("FT"))
        .when(pl.col("FTE").is_not_null())
        .then(derived)
        .alias("ATTENDANCE_TYPE")
    )


def _no_ade() -> pl.Expr:
    """Independent-study ADE: none for e-learning, nor for full-time pupils of the board."""
    return (pl.col("STU_BRD_RES_STAT_TYPE") == ELEARNING) | (
        (pl.col("STU_BRD_RES_STAT_TYPE") == BOARD_PUPIL) & (pl.col("ATTENDANCE_TYPE") == "FT")
    )


def ade(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The enrolment's ADE unless none is due; closing: OnSIS's (0 when empty)."""
    if kind == CLOSING:
        return pl.col("pae_ade").fill_null(0.0).alias("ADE")
    return pl.when(_no_ade()).then(0.0).otherwise(pl.col("ade").fill_null(0.0)).alias("ADE")


def high_credit_ade(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The enrolment's high-credit ADE unless none is due or the school is online; closing:
    OnSIS's (0 when empty)."""
    if kind == CLOSING:
        return pl.col("pae_high_credit_ade").fill_null(0.0).alias("HIGH_CREDIT_ADE")
    none_due = _no_ade() | flag(pl.col("school_is_online"))
    return (
        pl.when(none_due)
        .then(0.0)
        .otherwise(pl.col("high_credit_ade").fill_null(0.0))
        .alias("HIGH_CREDIT_ADE")
    )
