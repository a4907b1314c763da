"""STUDENT_SCHOOL_ENROLMENT: FTE ranges (RUL005, RUL006), attendance type against FTE
(RUL007) and the Ontario Scholar flag outside the main school (RUL008)."""

from __future__ import annotations

import polars as pl

from onsis_batch.checks.frames import sent
from onsis_batch.checks.registry import rule
from onsis_batch.plan import Plan
from onsis_batch.segments.school_enrolment_values import ELEARNING, SHARED

SSE = "STUDENT_SCHOOL_ENROLMENT"
FTE_MIN, FTE_MAX, PT_MAX = 0.04, 1.0, 0.69
FT_MIN = 0.70  # below this (with high-credit FTE) a student is part-time
EPSILON = 1e-9  # FTE is a two-decimal value held as a float


def _fte_rows(plan: Plan) -> pl.DataFrame:
    rows = sent(
        plan, SSE, "FTE", "HIGH_CREDIT_FTE", "ATTENDANCE_TYPE", "STU_BRD_RES_STAT_TYPE"
    ).filter(pl.col("FTE").is_not_null())
    return rows.with_columns(zero_fte=pl.col("STU_BRD_RES_STAT_TYPE").is_in([SHARED, ELEARNING]))


def _fte_hits(rows: pl.DataFrame, bad: pl.Expr) -> pl.DataFrame:
    return rows.filter(bad.fill_null(False)).select(
        "_id",
        fte=pl.col("FTE").round(2).cast(pl.String).str.pad_end(4, "0"),  # 0.8 -> 0.80
        residence=pl.col("STU_BRD_RES_STAT_TYPE").fill_null("-"),
        attendance=pl.col("ATTENDANCE_TYPE").fill_null("-"),
    )


@rule("RUL005")
def fte_out_of_range(plan: Plan) -> pl.DataFrame:
    fte = pl.col("FTE")
    outside = (fte < FTE_MIN - EPSILON) | (fte > FTE_MAX + EPSILON)
    return _fte_hits(_fte_rows(plan), ~pl.col("zero_fte") & outside)


@rule("RUL006")
def shared_student_with_fte(plan: Plan) -> pl.DataFrame:
    return _fte_hits(_fte_rows(plan), pl.col("zero_fte") & (pl.col("FTE").abs() > EPSILON))


@rule("RUL007")
def attendance_type_against_fte(plan: Plan) -> pl.DataFrame:
    fte = pl.col("FTE")
    total = fte + pl.col("HIGH_CREDIT_FTE").fill_null(0.0)
    attendance = pl.col("ATTENDANCE_TYPE")
    part_time_too_high = (attendance == "PT") & (fte > PT_MAX + EPSILON)
    full_time_too_low = (attendance == "FT") & (total < FT_MIN - EPSILON)
    return _fte_hits(
        _fte_rows(plan), ~pl.col("zero_fte") & (part_time_too_high | full_time_too_low)
    )


@rule("RUL008")
def scholarship_outside_main_school(plan: Plan) -> pl.DataFrame:
    rows = sent(
        plan, SSE, "ONTARIO_SCHOLARSHIP_FLAG", "ONTARIO_SCHOLARSHIP_DATE", "MAIN_SCHOOL_FLAG"
    )
    scholar = (
        pl.col("ONTARIO_SCHOLARSHIP_FLAG").fill_null(False)
        | pl.col("ONTARIO_SCHOLARSHIP_DATE").is_not_null()
    )
    return rows.filter(scholar & ~pl.col("MAIN_SCHOOL_FLAG").fill_null(True)).select("_id")
