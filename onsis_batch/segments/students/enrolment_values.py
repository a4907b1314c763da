"""Element values of STUDENT_SCHOOL_ENROLMENT for enrolled students, as polars expressions,
and the pieces the closing rows share (segments/students/closing_values.py).

An enrolled student's row (ADD or UPDATE) carries the speaking enrolment's columns
(`entry_code`, `fte`, ...), the student's columns, `snap_*` snapshot columns, `pae_*`
columns when OnSIS holds the student, and the flags `_held` and `main_school`.

Each function returns the finished element columns named as the XML elements.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import HELD
from onsis_batch.segments.students.dates import last_enrolled_day
from onsis_batch.segments.students.funding import funding_values
from onsis_batch.segments.students.side_facts import postal_code

FULL_TIME_FTE = 0.7  # FTE + high-credit FTE below this is part-time (Ministry rule MSE0026)
SHARED, ELEARNING, BOARD_PUPIL = "08", "09", "01"
OUT_OF_PROVINCE, OUT_OF_COUNTRY, MOVED_AWAY = "35", "36", "68"
CROSS_ENROLMENT_EXIT = "64"


def _col_or(*names: str) -> pl.Expr:
    return pl.coalesce([pl.col(n) for n in names])


def flag(expr: pl.Expr) -> pl.Expr:
    """A yes/no value, no when unknown."""
    return expr.fill_null(False)


# --- shared by both kinds -------------------------------------------------------------------


def _residence_place() -> list[pl.Expr]:
    """CURRENT_RESIDENCE_*: province wins; Ontario when nothing says otherwise in Canada."""
    country = _col_or("snap_current_country", "current_country")
    province = _col_or("snap_current_province", "current_province")
    in_canada = country.is_null() | (country == "CAN")
    province_out = pl.when(province.is_not_null()).then(province).when(in_canada).then(pl.lit("ON"))
    country_out = pl.when(province.is_null() & ~in_canada).then(country)
    return [
        province_out.alias("CURRENT_RESIDENCE_PROVINCE"),
        country_out.alias("CURRENT_RESIDENCE_COUNTRY"),
    ]


def _birth_place() -> list[pl.Expr]:
    """Province of birth (ON by default for the Canadian-born) or else country of birth."""
    born_in_canada = pl.col("birth_country").is_null() | (pl.col("birth_country") == "CAN")
    province = (
        pl.when(pl.col("year_of_entry_to_canada").is_not_null())
        .then(None)
        .when(pl.col("birth_province").is_not_null())
        .then(pl.col("birth_province"))
        .when(born_in_canada)
        .then(pl.lit("ON"))
    )
    country = pl.when(~born_in_canada & province.is_null()).then(pl.col("birth_country"))
    return [country.alias("COUNTRY_TYPE_BIRTH"), province.alias("PROVINCE_STATE_TYPE_BIRTH")]


def language(ctx: SegmentContext) -> pl.Expr:
    """Language of the submission: B for private schools, else the board's language."""
    value = "B" if ctx.period.private else ctx.default_language
    return pl.lit(value).alias("LANGUAGE_TYPE")


def literacy() -> pl.Expr:
    """Literacy status is never reported for grade 9."""
    return (
        pl.when(pl.col("GRADE_TYPE") != "9")
        .then(pl.col("literacy_status"))
        .alias("LITERACY_STATUS_TYPE")
    )


def _scholarship(ctx: SegmentContext, main: pl.Expr) -> list[pl.Expr]:
    """Scholarship date inside the period, never for cross-enrolled students."""
    period = ctx.period
    inside = pl.col("scholarship_date").is_between(period.start, period.count_date)
    date = pl.when(main & inside).then(pl.col("scholarship_date"))
    flag = pl.when(main).then(date.is_not_null())
    return [flag.alias("ONTARIO_SCHOLARSHIP_FLAG"), date.alias("ONTARIO_SCHOLARSHIP_DATE")]


def _common(ctx: SegmentContext) -> list[pl.Expr]:
    return [
        language(ctx),
        pl.col("indigenous_self_identification").alias("INDIGENOUS_SELF_IDENTIFICATION"),
        pl.col("student_number").alias("SCHOOL_STUDENT_NUMBER"),
        pl.col("french_admission_approval_date").alias("FRENCH_ADMISSION_APPROVAL_DATE"),
        pl.col("year_of_entry_to_canada").alias("YEAR_OF_ENTRY_TO_CANADA"),
        pl.col("community_hours").fill_null(0.0).alias("COMMUNITY_INVOLMENT_ACCU_HOURS"),
        pl.when(pl.col("mature_student"))
        .then(pl.col("plar_attendance_type"))
        .alias("PLAR_ATTENDANCE_TYPE"),
        flag(pl.col("mature_student")).alias("MATURE_STUDENT_FLAG"),
        *_birth_place(),
    ]


# --- enrolled students -----------------------------------------------------------------------


ELEMENTARY_GRADES = ["JK", "K", "1", "2", "3", "4", "5", "6", "7", "8"]


def _primary_reach_ahead() -> pl.Expr:
    """Grade 8 on the primary enrolment: in a school of the BSID that has both elementary
    and secondary grades, this student is reaching ahead (D315)."""
    return pl.col("main_school") & (pl.col("grade_level") == "8")


def _board_residence() -> pl.Expr:
    """Not-main, cross-enrolled and primary reach-ahead students are shared (08), or
    e-learning (09) when so recorded."""
    cross_value = (
        pl.when(pl.col("board_residence_status") == ELEARNING)
        .then(pl.lit(ELEARNING))
        .otherwise(pl.lit(SHARED))
    )
    return (
        pl.when(flag(pl.col("not_main_school")) | _primary_reach_ahead())
        .then(pl.lit(SHARED))
        .when(~pl.col("main_school"))
        .then(cross_value)
        .otherwise(pl.col("board_residence_status"))
        .alias("STU_BRD_RES_STAT_TYPE")
    )


def _entry_mobility(ctx: SegmentContext) -> pl.Expr:
    """IA on UPDATE; for cross-enrolments the code says where the main school is."""
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


def _entry_origin(ctx: SegmentContext) -> list[pl.Expr]:
    mobility = pl.col("STUDENT_MOBILITY_TYPE")
    country = _col_or("snap_entry_country", "entry_country")
    province = _col_or("snap_entry_province", "entry_province")
    language = pl.coalesce(
        _col_or("snap_entry_language", "entry_language"), pl.lit(ctx.default_language)
    )
    return [
        pl.when(mobility == OUT_OF_COUNTRY).then(country).alias("COUNTRY_TYPE"),
        pl.when((mobility == OUT_OF_PROVINCE) & (province != "ON"))
        .then(province)
        .alias("PROVINCE_STATE_TYPE"),
        pl.when(mobility == OUT_OF_PROVINCE).then(language).alias("LANGUAGE_TYPE_PREVIOUS_SCH"),
    ]


def _end_date(ctx: SegmentContext) -> pl.Expr:
    """Exit inside the period; in June, staying past the last school day is not leaving."""
    period = ctx.period
    exit_date = pl.col("exit_date")
    inside = exit_date.is_not_null() & (exit_date > period.start) & (exit_date <= period.count_date)
    if period.kind == "jun" and period.last_school_day is not None:
        inside = inside & (exit_date <= period.last_school_day)
    return pl.when(inside).then(exit_date).alias("ENROLMENT_END_DATE")


def _exit_values() -> list[pl.Expr]:
    ended = pl.col("ENROLMENT_END_DATE").is_not_null()
    code = (
        pl.when(~ended)
        .then(None)
        .when(~pl.col("main_school"))
        .then(pl.lit(CROSS_ENROLMENT_EXIT))
        .otherwise(pl.col("exit_code"))
    )
    return [code.alias("STUDENT_MOBILITY_TYPE_EXIT")]


def exit_place(country: str, province: str) -> list[pl.Expr]:
    """Where a student who moved outside Ontario (exit 68) went; not for CAN / ON."""
    moved = pl.col("STUDENT_MOBILITY_TYPE_EXIT") == MOVED_AWAY
    return [
        pl.when(moved & (pl.col(country) != "CAN"))
        .then(pl.col(country))
        .alias("COUNTRY_TYPE_EXIT"),
        pl.when(moved & (pl.col(province) != "ON"))
        .then(pl.col(province))
        .alias("PROVINCE_STATE_TYPE_EXIT"),
    ]


def _grade() -> pl.Expr:
    """Snapshot grade first; a grade below 9 is a reach-ahead student, reported in grade 9."""
    grade = _col_or("snap_grade_level", "grade_level")
    below_nine = grade.is_in(ELEMENTARY_GRADES)
    return pl.when(below_nine).then(pl.lit("9")).otherwise(grade).alias("GRADE_TYPE")


CALCULATED = ("fte", "high_credit_fte", "full_time_rule", "funding_rule", "minutes")


def with_calculated(
    frame: pl.DataFrame, ctx: SegmentContext, reference: pl.DataFrame
) -> pl.DataFrame:
    """Join the minute-based values (segments/funding.py) as `calc_*` columns."""
    calculated = funding_values(ctx, reference).select(
        "student_id", *[pl.col(c).alias(f"calc_{c}") for c in CALCULATED]
    )
    return frame.join(calculated, on="student_id", how="left")


def _funding(ctx: SegmentContext) -> list[pl.Expr]:
    """FTE and high-credit FTE: structural rules, then the override columns, then the
    values calculated from scheduled minutes and programs (`calc_*`).

    Shared, e-learning, cross-enrolled and not-main students count 0.00 and part-time.
    Without an override and without class data (nor a program rule) FTE stays empty and
    the caller reports it.
    """
    shared = pl.col("STU_BRD_RES_STAT_TYPE").is_in([SHARED, ELEARNING]) | ~pl.col(
        "MAIN_SCHOOL_FLAG"
    )
    high_credit = (
        pl.when(shared)
        .then(0.0)
        .when(pl.col("high_credit_fte").is_not_null())
        .then(pl.col("high_credit_fte"))
        .when(pl.col("STU_BRD_RES_STAT_TYPE") != BOARD_PUPIL)
        .then(0.0)
        .otherwise(pl.col("calc_high_credit_fte"))
    )
    regular = (
        pl.when(shared)
        .then(0.0)
        .when(pl.col("fte").is_not_null())
        .then(pl.col("fte"))
        .otherwise(pl.col("calc_fte"))
    )
    if ctx.period.kind == "jun":
        # Leaving before the end of June folds high-credit FTE into the regular FTE.
        left = pl.col("ENROLMENT_END_DATE").is_not_null()
        folded = (regular + high_credit.fill_null(0.0)).round(2, mode="half_away_from_zero")
        regular = pl.when(left).then(folded).otherwise(regular)
        high_credit = pl.when(left).then(0.0).otherwise(high_credit)
    return [regular.alias("FTE"), high_credit.alias("HIGH_CREDIT_FTE"), shared.alias("_shared")]


def _attendance() -> pl.Expr:
    """Shared students PT; then the override; then a full-time rule (JK/K aged 6+) unless
    FTE is overridden; else FT from FTE + high-credit FTE of 0.70."""
    total = pl.col("FTE") + pl.col("HIGH_CREDIT_FTE").fill_null(0.0)
    derived = pl.when(total >= FULL_TIME_FTE).then(pl.lit("FT")).otherwise(pl.lit("PT"))
    override = pl.col("attendance_type").is_in(["FT", "PT"])
    full_time_rule = pl.col("fte").is_null() & pl.col("calc_full_time_rule").fill_null(False)
    return (
        pl.when(pl.col("_shared"))
        .then(pl.lit("PT"))
        .when(override)
        .then(pl.col("attendance_type"))
        .when(full_time_rule)
        .then(pl.lit("FT"))
        .when(pl.col("FTE").is_not_null())
        .then(derived)
        .alias("ATTENDANCE_TYPE")
    )


def _ade(ctx: SegmentContext) -> list[pl.Expr]:
    """Independent-study ADE: none for e-learning, nor for full-time pupils of the board."""
    none_due = (pl.col("STU_BRD_RES_STAT_TYPE") == ELEARNING) | (
        (pl.col("STU_BRD_RES_STAT_TYPE") == BOARD_PUPIL) & (pl.col("ATTENDANCE_TYPE") == "FT")
    )
    high_none = none_due | flag(pl.col("school_is_online"))
    return [
        pl.when(none_due).then(0.0).otherwise(pl.col("ade").fill_null(0.0)).alias("ADE"),
        pl.when(high_none)
        .then(0.0)
        .otherwise(pl.col("high_credit_ade").fill_null(0.0))
        .alias("HIGH_CREDIT_ADE"),
    ]


def _reach_ahead() -> pl.Expr:
    """On UPDATE OnSIS keeps its value; a cross-enrolled elementary grade 8 reaches ahead,
    and so does a primary enrolment in an elementary grade (D315)."""
    reaching = (
        ~pl.col("main_school")
        & (pl.col("home_school_level") == "E")
        & (pl.col("grade_level") == "8")
    ) | _primary_reach_ahead()
    return (
        pl.when(pl.col(HELD) & pl.col("pae_reach_ahead_flag").is_not_null())
        .then(pl.col("pae_reach_ahead_flag"))
        .otherwise(reaching)
        .alias("REACH_AHEAD_FLAG")
    )


def enrolled_values(frame: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """Element columns for students enrolled in the period (ADD or UPDATE)."""
    main = pl.col("MAIN_SCHOOL_FLAG")
    not_main = flag(pl.col("not_main_school"))
    gender = _col_or("snap_gender", "gender")
    reference = frame.select(
        "student_id",
        "school_id",
        last_enrolled_day(ctx).alias("as_of"),
        "board_residence_status",
        "grade_level",
    )
    return (
        with_calculated(frame, ctx, reference)
        .with_columns(_board_residence(), _grade(), _entry_mobility(ctx), _end_date(ctx))
        .with_columns(
            (
                pl.col("main_school")
                & ~not_main
                & ~pl.col("STU_BRD_RES_STAT_TYPE").is_in([SHARED, ELEARNING])
            ).alias("MAIN_SCHOOL_FLAG"),
            pl.col("grade_designation").fill_null("1").alias("GRADE_DESIGNATION_TYPE"),
            _col_or("snap_residence_status", "residence_status").alias("RESIDENCE_STATUS_TYPE"),
            *_residence_place(),
            *_entry_origin(ctx),
            *_exit_values(),
            *_common(ctx),
            flag(pl.col("local_program")).alias("LOCAL_SCHOOL_PROGRAM_FLAG"),
            gender.alias("GENDER_TYPE"),
            pl.when(gender == "S")
            .then(_col_or("snap_gender_desc", "gender_desc"))
            .alias("GENDER_DESC"),
            _col_or("snap_online_graduation_requirement", "online_graduation_requirement").alias(
                "ONLINE_GRADUATION_REQUIREMENT_TYPE"
            ),
            pl.when(pl.col(HELD))
            .then(pl.col("pae_enrolment_start_date"))
            .otherwise(pl.col("start_date"))
            .alias("ENROLMENT_START_DATE"),
            # Same facts as the SPECIAL_EDUCATION segments (segments/program_facts.py).
            flag(pl.col("special_education")).alias("SPECIAL_EDUCATION_FLAG"),
            _reach_ahead(),
        )
        .with_columns(
            *_scholarship(ctx, main),
            pl.when(main)
            .then(flag(_col_or("snap_oyap", "oyap")))
            .otherwise(pl.lit(False))
            .alias("OYAP_FLAG"),
            *_funding(ctx),
        )
        .with_columns(
            _attendance(),
            literacy(),
            *exit_place("exit_country", "exit_province"),
            pl.when(pl.col("CURRENT_RESIDENCE_PROVINCE") == "ON")
            .then(postal_code("snap_postal_code").fill_null(postal_code("postal_code")))
            .alias("POSTAL_AREA_TYPE"),
        )
        .with_columns(*_ade(ctx))
    )
