"""STUDENT_SCHOOL_ENROLMENT: FTE ranges (RUL005, RUL006; independent-study-only students
report 0.00 like shared ones, D783), attendance type against FTE
(RUL007), the Ontario Scholar flag outside the main school (RUL008), high-credit FTE of a
student who is not a pupil of the board (RUL016) or is 21 or older (RUL017), literacy
status in grade 9 (RUL018), country and province of birth together (RUL021) and community
involvement hours above 999 (RUL022)."""

from __future__ import annotations

import polars as pl

from onsis_batch.plan.model import Plan
from onsis_batch.segments.students.enrolment_values import BOARD_PUPIL, ELEARNING, SHARED
from onsis_batch.validate.rules.frames import enrolment_ages, sent
from onsis_batch.validate.rules.registry import rule

SSE = "STUDENT_SCHOOL_ENROLMENT"
FTE_MIN, FTE_MAX, PT_MAX = 0.04, 1.0, 0.69
FT_MIN = 0.70  # below this (with high-credit FTE) a student is part-time
EPSILON = 1e-9  # FTE is a two-decimal value held as a float
IS_ONLY = "independent_study_only"  # the builder's column for the rule of D783
HIGH_CREDIT_AGE_LIMIT = 21  # on December 31 of the school year's first calendar year
MAX_HOURS = 999.0


def _independent_study_only(plan: Plan) -> pl.DataFrame:
    """`_id` of the enrolments the builder found independent-study-only (D783); none for a
    plan that does not say."""
    frame = plan.segments.get(SSE)
    if frame is None or IS_ONLY not in frame.columns:
        return pl.DataFrame(schema={"_id": pl.String()})
    return frame.filter(pl.col(IS_ONLY).fill_null(False)).select("_id")


def _fte_rows(plan: Plan) -> pl.DataFrame:
    """Sent enrolments with an FTE, `zero_fte` (shared and e-learning students report 0)
    and `independent` (enrolled only in independent-study classes: 0.00 as well)."""
    rows = sent(
        plan, SSE, "FTE", "HIGH_CREDIT_FTE", "ATTENDANCE_TYPE", "STU_BRD_RES_STAT_TYPE"
    ).filter(pl.col("FTE").is_not_null())
    independent = _independent_study_only(plan).get_column("_id").implode()
    return rows.with_columns(
        zero_fte=pl.col("STU_BRD_RES_STAT_TYPE").is_in([SHARED, ELEARNING]),
        independent=pl.col("_id").is_in(independent),
    )


def _fte_hits(rows: pl.DataFrame, bad: pl.Expr) -> pl.DataFrame:
    return rows.filter(bad.fill_null(False)).select(
        "_id",
        fte=pl.col("FTE").round(2).cast(pl.String).str.pad_end(4, "0"),  # 0.8 -> 0.80
        residence=pl.col("STU_BRD_RES_STAT_TYPE").fill_null("-"),
        attendance=pl.col("ATTENDANCE_TYPE").fill_null("-"),
    )


@rule("RUL005")
def fte_out_of_range(plan: Plan) -> pl.DataFrame:
    """Enrolments whose FTE lies outside the range OnSIS accepts; an
    independent-study-only student's 0.00 is the rule book's own value."""
    fte = pl.col("FTE")
    outside = (fte < FTE_MIN - EPSILON) | (fte > FTE_MAX + EPSILON)
    independent_zero = pl.col("independent") & (fte.abs() <= EPSILON)
    return _fte_hits(_fte_rows(plan), ~pl.col("zero_fte") & outside & ~independent_zero)


@rule("RUL006")
def shared_student_with_fte(plan: Plan) -> pl.DataFrame:
    """Shared or e-learning enrolments that report an FTE other than 0."""
    return _fte_hits(_fte_rows(plan), pl.col("zero_fte") & (pl.col("FTE").abs() > EPSILON))


@rule("RUL007")
def attendance_type_against_fte(plan: Plan) -> pl.DataFrame:
    """Enrolments whose attendance type does not fit their FTE."""
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
    """Ontario Scholars reported at a school that is not their main school."""
    rows = sent(
        plan, SSE, "ONTARIO_SCHOLARSHIP_FLAG", "ONTARIO_SCHOLARSHIP_DATE", "MAIN_SCHOOL_FLAG"
    )
    scholar = (
        pl.col("ONTARIO_SCHOLARSHIP_FLAG").fill_null(False)
        | pl.col("ONTARIO_SCHOLARSHIP_DATE").is_not_null()
    )
    return rows.filter(scholar & ~pl.col("MAIN_SCHOOL_FLAG").fill_null(True)).select("_id")


def _high_credit(plan: Plan) -> pl.DataFrame:
    rows = sent(plan, SSE, "HIGH_CREDIT_FTE", "STU_BRD_RES_STAT_TYPE")
    return rows.filter(pl.col("HIGH_CREDIT_FTE").fill_null(0.0) > EPSILON).with_columns(
        high_credit_fte=pl.col("HIGH_CREDIT_FTE").round(2).cast(pl.String).str.pad_end(4, "0")
    )


@rule("RUL016")
def high_credit_outside_the_board(plan: Plan) -> pl.DataFrame:
    """High-credit FTE reported for a student who is not a pupil of the board."""
    rows = _high_credit(plan).filter(pl.col("STU_BRD_RES_STAT_TYPE") != BOARD_PUPIL)
    return rows.select("_id", "high_credit_fte", residence="STU_BRD_RES_STAT_TYPE")


@rule("RUL017")
def high_credit_at_21(plan: Plan) -> pl.DataFrame:
    """High-credit FTE reported for a student past the age limit."""
    rows = _high_credit(plan).join(
        enrolment_ages(plan), left_on="_id", right_on="enrolment", how="inner"
    )
    return rows.filter(pl.col("age") >= HIGH_CREDIT_AGE_LIMIT).select(
        "_id", "high_credit_fte", age_limit=pl.lit(str(HIGH_CREDIT_AGE_LIMIT))
    )


@rule("RUL018")
def literacy_status_in_grade_9(plan: Plan) -> pl.DataFrame:
    """Grade 9 enrolments that report a literacy status."""
    rows = sent(plan, SSE, "GRADE_TYPE", "LITERACY_STATUS_TYPE")
    grade_9 = (pl.col("GRADE_TYPE") == "9") & pl.col("LITERACY_STATUS_TYPE").is_not_null()
    return rows.filter(grade_9.fill_null(False)).select("_id", status="LITERACY_STATUS_TYPE")


@rule("RUL021")
def birth_country_and_province(plan: Plan) -> pl.DataFrame:
    """Students reported with both a birth country and a birth province."""
    rows = sent(plan, SSE, "COUNTRY_TYPE_BIRTH", "PROVINCE_STATE_TYPE_BIRTH")
    both = (
        pl.col("COUNTRY_TYPE_BIRTH").is_not_null()
        & pl.col("PROVINCE_STATE_TYPE_BIRTH").is_not_null()
    )
    return rows.filter(both).select("_id")


@rule("RUL022")
def community_hours_above_999(plan: Plan) -> pl.DataFrame:
    """Community involvement hours above what the element holds."""
    rows = sent(plan, SSE, "COMMUNITY_INVOLMENT_ACCU_HOURS")
    hours = pl.col("COMMUNITY_INVOLMENT_ACCU_HOURS")
    return rows.filter(hours > MAX_HOURS).select("_id", hours=hours.cast(pl.String))
