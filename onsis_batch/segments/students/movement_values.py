"""STUDENT_SCHOOL_ENROLMENT elements of where a student came from, went to and was born: one
function per element for both kinds of row (see enrolment_values.py), named by the spec's
`derived_by` (D560).
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import HELD
from onsis_batch.segments.students.enrolment_values import (
    CLOSING,
    RowKind,
    closing_main,
    first_of,
    flag,
)

OUT_OF_PROVINCE, OUT_OF_COUNTRY, MOVED_AWAY = "35", "36", "68"
CROSS_ENROLMENT_EXIT = "64"


# --- entry --------------------------------------------------------------------------------------


def student_mobility_type(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """IA on UPDATE; for cross-enrolments the code says where the main school is; else the
    entry code. Closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_student_mobility_type").alias("STUDENT_MOBILITY_TYPE")
    home_secondary = "19" if ctx.period.catholic_board else "09"
    cross_code = (
        pl.when(flag(pl.col("home_school_private")))
        .then(pl.lit("21"))
        .when(pl.col("home_school_level") == "E")
        .then(pl.lit("05"))
        .otherwise(pl.lit(home_secondary))
    )
    return (
        pl.when(pl.col(HELD))
        .then(pl.lit("IA"))
        .when(~pl.col("main_school"))
        .then(cross_code)
        .otherwise(pl.col("entry_code"))
        .alias("STUDENT_MOBILITY_TYPE")
    )


def country_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Country the student came from, only for entry code 36; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_country_type").alias("COUNTRY_TYPE")
    country = first_of("snap_entry_country", "entry_country")
    mobility = pl.col("STUDENT_MOBILITY_TYPE")
    return pl.when(mobility == OUT_OF_COUNTRY).then(country).alias("COUNTRY_TYPE")


def province_state_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Province the student came from, only for entry code 35 and never ON; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_province_state_type").alias("PROVINCE_STATE_TYPE")
    province = first_of("snap_entry_province", "entry_province")
    mobility = pl.col("STUDENT_MOBILITY_TYPE")
    return (
        pl.when((mobility == OUT_OF_PROVINCE) & (province != "ON"))
        .then(province)
        .alias("PROVINCE_STATE_TYPE")
    )


def language_type_previous_sch(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Language of the previous school (the board's when unknown), only for entry code 35;
    closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_language_type_previous_sch").alias("LANGUAGE_TYPE_PREVIOUS_SCH")
    language = pl.coalesce(
        first_of("snap_entry_language", "entry_language"), pl.lit(ctx.default_language)
    )
    mobility = pl.col("STUDENT_MOBILITY_TYPE")
    return pl.when(mobility == OUT_OF_PROVINCE).then(language).alias("LANGUAGE_TYPE_PREVIOUS_SCH")


# --- exit ---------------------------------------------------------------------------------------


def student_mobility_type_exit(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The exit code when the enrolment ends in the period, 64 for a cross-enrolment.
    Closing: 64 for a cross-enrolment, else the previous enrolment's exit code."""
    if kind == CLOSING:
        return (
            pl.when(~closing_main())
            .then(pl.lit(CROSS_ENROLMENT_EXIT))
            .otherwise(pl.col("prev_exit_code"))
            .alias("STUDENT_MOBILITY_TYPE_EXIT")
        )
    ended = pl.col("ENROLMENT_END_DATE").is_not_null()
    return (
        pl.when(~ended)
        .then(None)
        .when(~pl.col("main_school"))
        .then(pl.lit(CROSS_ENROLMENT_EXIT))
        .otherwise(pl.col("exit_code"))
        .alias("STUDENT_MOBILITY_TYPE_EXIT")
    )


def _moved_away() -> pl.Expr:
    return pl.col("STUDENT_MOBILITY_TYPE_EXIT") == MOVED_AWAY


def country_type_exit(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Country a student who moved outside Ontario (exit 68) went to, never CAN."""
    country = pl.col("prev_exit_country" if kind == CLOSING else "exit_country")
    return pl.when(_moved_away() & (country != "CAN")).then(country).alias("COUNTRY_TYPE_EXIT")


def province_state_type_exit(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Province a student who moved outside Ontario (exit 68) went to, never ON."""
    province = pl.col("prev_exit_province" if kind == CLOSING else "exit_province")
    return (
        pl.when(_moved_away() & (province != "ON")).then(province).alias("PROVINCE_STATE_TYPE_EXIT")
    )


# --- birth and identity ------------------------------------------------------------------------


def _born_in_canada() -> pl.Expr:
    return pl.col("birth_country").is_null() | (pl.col("birth_country") == "CAN")


def _birth_province() -> pl.Expr:
    """Province of birth (ON by default for the Canadian-born), none with a year of entry."""
    return (
        pl.when(pl.col("year_of_entry_to_canada").is_not_null())
        .then(None)
        .when(pl.col("birth_province").is_not_null())
        .then(pl.col("birth_province"))
        .when(_born_in_canada())
        .then(pl.lit("ON"))
    )


def country_type_birth(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Country of birth when outside Canada and no province is sent; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_country_type_birth").alias("COUNTRY_TYPE_BIRTH")
    sent = ~_born_in_canada() & _birth_province().is_null()
    return pl.when(sent).then(pl.col("birth_country")).alias("COUNTRY_TYPE_BIRTH")


def province_state_type_birth(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Province of birth, ON for the Canadian-born, none with a year of entry; closing:
    OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_province_state_type_birth").alias("PROVINCE_STATE_TYPE_BIRTH")
    return _birth_province().alias("PROVINCE_STATE_TYPE_BIRTH")


def _year_month(column: str) -> pl.Expr:
    """A PAE year-month (YYYY/MM) as the first day of that month, like the contract's."""
    text = pl.col(column).str.replace_all("-", "/", literal=True) + pl.lit("/01")
    return text.str.to_date("%Y/%m/%d", strict=False)


def year_of_entry_to_canada(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The student's year of entry to Canada; closing: OnSIS's."""
    if kind == CLOSING:
        return _year_month("pae_year_of_entry_to_canada").alias("YEAR_OF_ENTRY_TO_CANADA")
    return pl.col("year_of_entry_to_canada").alias("YEAR_OF_ENTRY_TO_CANADA")
