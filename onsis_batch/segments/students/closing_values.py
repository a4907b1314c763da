"""Element values of a STUDENT_SCHOOL_ENROLMENT OnSIS holds that the period closes: a
non-returning (or excluded) student's, or one of an OEN the school data does not know.

Rows carry the `pae_*` columns of 0003, which supply most values, the student's columns
when the school data knows them, and `prev_*` columns of their latest usable enrolment.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.students.enrolment_values import (
    CROSS_ENROLMENT_EXIT,
    FULL_TIME_FTE,
    exit_place,
    flag,
    language,
    literacy,
    with_calculated,
)


def _non_returning_end(ctx: SegmentContext) -> pl.Expr:
    """Close the enrolment OnSIS holds.

    October: the last exit if it is on or after the period start, else the period start.
    March/June: the period start for non-main students, when no exit is known, or when the
    exit predates what OnSIS holds; otherwise the exit, never before the period start.
    """
    start = pl.lit(ctx.period.start)
    exit_date = pl.col("prev_exit_date")
    if ctx.period.kind == "oct":
        return pl.when(exit_date >= start).then(exit_date).otherwise(start)
    main = pl.col("pae_main_school_flag").fill_null(True)
    return (
        pl.when(~main | exit_date.is_null() | (exit_date < pl.col("pae_enrolment_start_date")))
        .then(start)
        .otherwise(pl.max_horizontal(exit_date, start))
    )


def _non_returning_funding(ctx: SegmentContext) -> list[pl.Expr]:
    """October: last year's FTE (regular + high credit): the enrolment's override, else the
    minutes of their last day enrolled (or a program rule), else 1.00 full-time.

    March/June: what OnSIS holds.
    """
    if ctx.period.kind == "oct":
        override = pl.col("prev_fte") + pl.col("prev_high_credit_fte").fill_null(0.0)
        calculated = (pl.col("calc_fte") + pl.col("calc_high_credit_fte").fill_null(0.0)).round(
            2, mode="half_away_from_zero"
        )
        # No minutes scheduled last year is "no schedule" unless a rule gave the value.
        scheduled = (pl.col("calc_funding_rule") != "minutes") | (pl.col("calc_minutes") > 0)
        fte = pl.coalesce(override, pl.when(scheduled).then(calculated), pl.lit(1.0))
        high_credit = pl.lit(0.0)
    else:
        fte, high_credit = pl.col("pae_fte"), pl.col("pae_high_credit_fte")
    total = fte + high_credit.fill_null(0.0)
    derived = pl.when(total >= FULL_TIME_FTE).then(pl.lit("FT")).otherwise(pl.lit("PT"))
    attendance = (
        pl.when(pl.col("prev_attendance_type").is_in(["FT", "PT"]))
        .then(pl.col("prev_attendance_type"))
        .otherwise(derived)
    )
    return [
        fte.alias("FTE"),
        high_credit.alias("HIGH_CREDIT_FTE"),
        attendance.alias("ATTENDANCE_TYPE"),
        pl.col("pae_ade").fill_null(0.0).alias("ADE"),
        pl.col("pae_high_credit_ade").fill_null(0.0).alias("HIGH_CREDIT_ADE"),
    ]


def _last_year_reference(frame: pl.DataFrame) -> pl.DataFrame:
    """Reference rows for the minutes of a non-returning student's last day enrolled."""
    return frame.select(
        "student_id",
        pl.col("prev_school_id").alias("school_id"),
        (pl.col("prev_exit_date") - timedelta(days=1)).alias("as_of"),
        pl.col("prev_board_residence_status").alias("board_residence_status"),
        pl.col("prev_grade_level").alias("grade_level"),
    ).filter(pl.col("school_id").is_not_null() & pl.col("as_of").is_not_null())


def _year_month(column: str) -> pl.Expr:
    """A PAE year-month (YYYY/MM) as the first day of that month, like the contract's."""
    text = pl.col(column).str.replace_all("-", "/", literal=True) + pl.lit("/01")
    return text.str.to_date("%Y/%m/%d", strict=False)


def non_returning_values(frame: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """Element columns for students OnSIS holds who have no enrolment in the period."""
    main = pl.col("pae_main_school_flag").fill_null(True)
    if ctx.period.kind == "oct":
        frame = with_calculated(frame, ctx, _last_year_reference(frame))
    return frame.with_columns(
        pl.coalesce(pl.col("pae_grade_type"), pl.col("prev_grade_level")).alias("GRADE_TYPE"),
        pl.col("pae_grade_designation_type").alias("GRADE_DESIGNATION_TYPE"),
        pl.coalesce(
            pl.col("prev_board_residence_status"), pl.col("pae_stu_brd_res_stat_type")
        ).alias("STU_BRD_RES_STAT_TYPE"),
        pl.col("pae_residence_status_type").alias("RESIDENCE_STATUS_TYPE"),
        pl.col("pae_indigenous_self_identification").alias("INDIGENOUS_SELF_IDENTIFICATION"),
        pl.col("pae_student_mobility_type").alias("STUDENT_MOBILITY_TYPE"),
        pl.col("pae_country_type").alias("COUNTRY_TYPE"),
        pl.col("pae_province_state_type").alias("PROVINCE_STATE_TYPE"),
        pl.col("pae_language_type_previous_sch").alias("LANGUAGE_TYPE_PREVIOUS_SCH"),
        pl.when(~main)
        .then(pl.lit(CROSS_ENROLMENT_EXIT))
        .otherwise(pl.col("prev_exit_code"))
        .alias("STUDENT_MOBILITY_TYPE_EXIT"),
        pl.col("pae_country_type_birth").alias("COUNTRY_TYPE_BIRTH"),
        pl.col("pae_province_state_type_birth").alias("PROVINCE_STATE_TYPE_BIRTH"),
        _year_month("pae_year_of_entry_to_canada").alias("YEAR_OF_ENTRY_TO_CANADA"),
        main.alias("MAIN_SCHOOL_FLAG"),
        pl.col("pae_school_student_number").alias("SCHOOL_STUDENT_NUMBER"),
        pl.col("pae_french_admission_approval_date").alias("FRENCH_ADMISSION_APPROVAL_DATE"),
        pl.col("pae_ontario_scholarship_flag").alias("ONTARIO_SCHOLARSHIP_FLAG"),
        pl.col("pae_ontario_scholarship_date").alias("ONTARIO_SCHOLARSHIP_DATE"),
        pl.col("pae_local_school_program_flag").alias("LOCAL_SCHOOL_PROGRAM_FLAG"),
        # Known students: their programs on their last day; OnSIS's value for the others.
        pl.coalesce(pl.col("special_education"), pl.col("pae_special_education_flag")).alias(
            "SPECIAL_EDUCATION_FLAG"
        ),
        pl.col("pae_online_graduation_requirement_type").alias(
            "ONLINE_GRADUATION_REQUIREMENT_TYPE"
        ),
        pl.col("pae_enrolment_start_date").alias("ENROLMENT_START_DATE"),
        _non_returning_end(ctx).alias("ENROLMENT_END_DATE"),
        # Extract 0003 carries no mature-student flag, so the student record supplies it.
        flag(pl.col("mature_student")).alias("MATURE_STUDENT_FLAG"),
        pl.col("pae_reach_ahead_flag").alias("REACH_AHEAD_FLAG"),
        pl.when(main).then(flag(pl.col("oyap"))).otherwise(pl.lit(False)).alias("OYAP_FLAG"),
        pl.col("pae_postal_area_type").alias("POSTAL_AREA_TYPE"),
        pl.col("pae_current_residence_country").alias("CURRENT_RESIDENCE_COUNTRY"),
        pl.col("pae_current_residence_province").alias("CURRENT_RESIDENCE_PROVINCE"),
        language(ctx),
        pl.col("community_hours").fill_null(0.0).alias("COMMUNITY_INVOLMENT_ACCU_HOURS"),
        pl.when(pl.col("mature_student"))
        .then(pl.col("plar_attendance_type"))
        .alias("PLAR_ATTENDANCE_TYPE"),
        pl.lit(None, dtype=pl.Utf8).alias("GENDER_TYPE"),
        pl.lit(None, dtype=pl.Utf8).alias("GENDER_DESC"),
        *_non_returning_funding(ctx),
    ).with_columns(*exit_place("prev_exit_country", "prev_exit_province"), literacy())
