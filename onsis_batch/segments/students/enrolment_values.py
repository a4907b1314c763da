"""STUDENT_SCHOOL_ENROLMENT element values: one function per element, for every kind of row.

A row of the segment is one of two kinds (`RowKind`):

- ENROLLED: a student enrolled in the period (ADD or UPDATE). It carries the speaking
  enrolment's columns (`entry_code`, `fte`, ...), the student's columns, `snap_*` snapshot
  columns, `pae_*` columns when OnSIS holds the student, the `calc_*` minute-based values
  and the flags `_held` and `main_school`.
- CLOSING: an enrolment OnSIS holds that the period closes (a non-returning or excluded
  student, or an OEN the school data does not know). It carries 0003's `pae_*` columns,
  which supply most values, the student's columns when the school data knows them,
  `prev_*` columns of their latest usable enrolment, and in October the `calc_*` values of
  their last day enrolled.

Each public function gives one element's expression for a kind of row: it is the one place
the element is derived, and segment_specs/STUDENT_SCHOOL_ENROLMENT.yaml names it (D560).
Entry, exit and birth are in movement_values.py, FTE, attendance and ADE in fte_values.py;
`ELEMENT_STAGES` in enrolment.py runs them all in an order where an expression may read the
elements of the stages before its own.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import HELD
from onsis_batch.segments.students.side_facts import postal_code

RowKind = Literal["enrolled", "closing"]
ENROLLED: RowKind = "enrolled"
CLOSING: RowKind = "closing"

SHARED, ELEARNING, BOARD_PUPIL, OTHER_STUDENT = "08", "09", "01", "07"
ELEMENTARY_GRADES = ["JK", "K", "1", "2", "3", "4", "5", "6", "7", "8"]


def first_of(*names: str) -> pl.Expr:
    """The first non-null of the columns `names` (a snapshot column before its source)."""
    return pl.coalesce([pl.col(n) for n in names])


def flag(expr: pl.Expr) -> pl.Expr:
    """A yes/no value, no when unknown."""
    return expr.fill_null(False)


def closing_main() -> pl.Expr:
    """Whether the enrolment OnSIS holds is a main school enrolment (yes when it does not say)."""
    return pl.col("pae_main_school_flag").fill_null(True)


# --- grade, language, residence -------------------------------------------------------------


def grade_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Snapshot grade first; a grade below 9 is a reach-ahead student, reported in grade 9.
    Closing: OnSIS's grade, else the previous enrolment's."""
    if kind == CLOSING:
        return pl.coalesce(pl.col("pae_grade_type"), pl.col("prev_grade_level")).alias("GRADE_TYPE")
    grade = first_of("snap_grade_level", "grade_level")
    below_nine = grade.is_in(ELEMENTARY_GRADES)
    return pl.when(below_nine).then(pl.lit("9")).otherwise(grade).alias("GRADE_TYPE")


def grade_designation_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The enrolment's grade designation, 1 when empty; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_grade_designation_type").alias("GRADE_DESIGNATION_TYPE")
    return pl.col("grade_designation").fill_null("1").alias("GRADE_DESIGNATION_TYPE")


def language_type(ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """Language of the submission: B for private schools, else the board's language."""
    value = "B" if ctx.period.private else ctx.default_language
    return pl.lit(value).alias("LANGUAGE_TYPE")


def _primary_reach_ahead() -> pl.Expr:
    """Grade 8 on the primary enrolment: in a school of the BSID that has both elementary
    and secondary grades, this student is reaching ahead (D315)."""
    return pl.col("main_school") & (pl.col("grade_level") == "8")


def stu_brd_res_stat_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Not-main and primary reach-ahead students are shared (08). Cross-enrolled students
    are e-learning (09) when their cross-enrolled classes are (cross_classes.py, D781),
    else shared; without such classes, 09 only when so recorded. Closing: the previous
    enrolment's, else OnSIS's."""
    if kind == CLOSING:
        return pl.coalesce(
            pl.col("prev_board_residence_status"), pl.col("pae_stu_brd_res_stat_type")
        ).alias("STU_BRD_RES_STAT_TYPE")
    recorded = pl.col("board_residence_status") == ELEARNING
    elearning = pl.coalesce(pl.col("cross_elearning"), recorded)
    cross_value = pl.when(elearning).then(pl.lit(ELEARNING)).otherwise(pl.lit(SHARED))
    return (
        pl.when(flag(pl.col("not_main_school")) | _primary_reach_ahead())
        .then(pl.lit(SHARED))
        .when(~pl.col("main_school"))
        .then(cross_value)
        .otherwise(pl.col("board_residence_status"))
        .alias("STU_BRD_RES_STAT_TYPE")
    )


def _current_place() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(country, province, in Canada) of the current residence, snapshot first."""
    country = first_of("snap_current_country", "current_country")
    province = first_of("snap_current_province", "current_province")
    return country, province, country.is_null() | (country == "CAN")


def current_residence_country(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The country only when outside Canada and no province is known; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_current_residence_country").alias("CURRENT_RESIDENCE_COUNTRY")
    country, province, in_canada = _current_place()
    return pl.when(province.is_null() & ~in_canada).then(country).alias("CURRENT_RESIDENCE_COUNTRY")


def current_residence_province(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The province wins; Ontario when nothing says otherwise in Canada; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_current_residence_province").alias("CURRENT_RESIDENCE_PROVINCE")
    _, province, in_canada = _current_place()
    return (
        pl.when(province.is_not_null())
        .then(province)
        .when(in_canada)
        .then(pl.lit("ON"))
        .alias("CURRENT_RESIDENCE_PROVINCE")
    )


def residence_status_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Snapshot residence status, else the enrolment's; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_residence_status_type").alias("RESIDENCE_STATUS_TYPE")
    return first_of("snap_residence_status", "residence_status").alias("RESIDENCE_STATUS_TYPE")


def postal_area_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Snapshot postal code, else the student's, only when residing in Ontario; closing:
    OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_postal_area_type").alias("POSTAL_AREA_TYPE")
    return (
        pl.when(pl.col("CURRENT_RESIDENCE_PROVINCE") == "ON")
        .then(postal_code("snap_postal_code").fill_null(postal_code("postal_code")))
        .alias("POSTAL_AREA_TYPE")
    )


def literacy_status_type(_ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """Literacy status, never reported for grade 9."""
    return (
        pl.when(pl.col("GRADE_TYPE") != "9")
        .then(pl.col("literacy_status"))
        .alias("LITERACY_STATUS_TYPE")
    )


def indigenous_self_identification(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The student's self-identification; closing: OnSIS's."""
    column = (
        "pae_indigenous_self_identification"
        if kind == CLOSING
        else "indigenous_self_identification"
    )
    return pl.col(column).alias("INDIGENOUS_SELF_IDENTIFICATION")


# --- identity ----------------------------------------------------------------------------------


def school_student_number(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The student number; closing: OnSIS's."""
    column = "pae_school_student_number" if kind == CLOSING else "student_number"
    return pl.col(column).alias("SCHOOL_STUDENT_NUMBER")


def french_admission_approval_date(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The student's French admission approval date; closing: OnSIS's."""
    column = "french_admission_approval_date"
    return pl.col(f"pae_{column}" if kind == CLOSING else column).alias(
        "FRENCH_ADMISSION_APPROVAL_DATE"
    )


def gender_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Snapshot gender, else the student's; none on a closing row."""
    if kind == CLOSING:
        return pl.lit(None, dtype=pl.Utf8).alias("GENDER_TYPE")
    return first_of("snap_gender", "gender").alias("GENDER_TYPE")


def gender_desc(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The gender description, only for gender S; none on a closing row."""
    if kind == CLOSING:
        return pl.lit(None, dtype=pl.Utf8).alias("GENDER_DESC")
    gender = first_of("snap_gender", "gender")
    return (
        pl.when(gender == "S")
        .then(first_of("snap_gender_desc", "gender_desc"))
        .alias("GENDER_DESC")
    )


# --- school and programs -----------------------------------------------------------------------


def independent_study_only() -> pl.Expr:
    """A pupil of the board (01) or other student (07) whose classes on the FTE day are all
    independent study (segments/students/school_day.py): part-time, FTE and high-credit FTE
    0.00, main school only where a diploma is granted (D783)."""
    return pl.col("calc_is_independent_study_only").fill_null(False) & pl.col(
        "STU_BRD_RES_STAT_TYPE"
    ).is_in([BOARD_PUPIL, OTHER_STUDENT])


def main_school_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """T for a primary enrolment that is not shared, e-learning or not-main; an
    independent-study-only student is T only when this school grants them a diploma in
    this submission. Closing: OnSIS's (T when it does not say)."""
    if kind == CLOSING:
        return closing_main().alias("MAIN_SCHOOL_FLAG")
    main = (
        pl.col("main_school")
        & ~flag(pl.col("not_main_school"))
        & ~pl.col("STU_BRD_RES_STAT_TYPE").is_in([SHARED, ELEARNING])
    )
    return (
        pl.when(independent_study_only())
        .then(flag(pl.col("grants_diploma")))
        .otherwise(main)
        .alias("MAIN_SCHOOL_FLAG")
    )


def _scholarship_date(ctx: SegmentContext) -> pl.Expr:
    """Scholarship date inside the period, never for cross-enrolled students, and only when
    the BSID's school is the one reporting it (scholarship.py, D943)."""
    period = ctx.period
    inside = pl.col("scholarship_date").is_between(period.start, period.count_date)
    here = pl.col("MAIN_SCHOOL_FLAG") & inside & pl.col("reports_scholarship")
    return pl.when(here).then(pl.col("scholarship_date"))


def ontario_scholarship_flag(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """T when a scholarship date is sent, empty for cross-enrolments; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_ontario_scholarship_flag").alias("ONTARIO_SCHOLARSHIP_FLAG")
    sent = _scholarship_date(ctx).is_not_null()
    return pl.when(pl.col("MAIN_SCHOOL_FLAG")).then(sent).alias("ONTARIO_SCHOLARSHIP_FLAG")


def ontario_scholarship_date(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Scholarship date inside the period, never for cross-enrolments; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_ontario_scholarship_date").alias("ONTARIO_SCHOLARSHIP_DATE")
    return _scholarship_date(ctx).alias("ONTARIO_SCHOLARSHIP_DATE")


def community_involment_accu_hours(_ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """Community involvement hours recorded, 0 when none."""
    return pl.col("community_hours").fill_null(0.0).alias("COMMUNITY_INVOLMENT_ACCU_HOURS")


def local_school_program_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The enrolment's local program flag; closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_local_school_program_flag").alias("LOCAL_SCHOOL_PROGRAM_FLAG")
    return flag(pl.col("local_program")).alias("LOCAL_SCHOOL_PROGRAM_FLAG")


def special_education_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """A special education program on the last day (the facts of the SPECIAL_EDUCATION
    segments, programs/facts.py). Closing: known students' programs on their last day,
    OnSIS's value for the others."""
    if kind == CLOSING:
        return pl.coalesce(pl.col("special_education"), pl.col("pae_special_education_flag")).alias(
            "SPECIAL_EDUCATION_FLAG"
        )
    return flag(pl.col("special_education")).alias("SPECIAL_EDUCATION_FLAG")


def online_graduation_requirement_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Snapshot value, else the student's; closing: OnSIS's."""
    name = "ONLINE_GRADUATION_REQUIREMENT_TYPE"
    if kind == CLOSING:
        return pl.col("pae_online_graduation_requirement_type").alias(name)
    return first_of("snap_online_graduation_requirement", "online_graduation_requirement").alias(
        name
    )


def plar_attendance_type(_ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """The student's PLAR attendance type, only for mature students."""
    return (
        pl.when(pl.col("mature_student"))
        .then(pl.col("plar_attendance_type"))
        .alias("PLAR_ATTENDANCE_TYPE")
    )


def mature_student_flag(_ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """The student's mature-student flag (extract 0003 carries none, so closing rows read
    the student record too)."""
    return flag(pl.col("mature_student")).alias("MATURE_STUDENT_FLAG")


def reach_ahead_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """On UPDATE OnSIS keeps its value; a cross-enrolled elementary grade 8 reaches ahead
    when one of their cross-enrolled classes is a language course (cross_classes.py, D944),
    and so does a primary enrolment in an elementary grade (D315). Closing: OnSIS's."""
    if kind == CLOSING:
        return pl.col("pae_reach_ahead_flag").alias("REACH_AHEAD_FLAG")
    reaching = (
        ~pl.col("main_school")
        & (pl.col("home_school_level") == "E")
        & (pl.col("grade_level") == "8")
        & pl.col("cross_reach_ahead").fill_null(False)
    ) | _primary_reach_ahead()
    return (
        pl.when(pl.col(HELD) & pl.col("pae_reach_ahead_flag").is_not_null())
        .then(pl.col("pae_reach_ahead_flag"))
        .otherwise(reaching)
        .alias("REACH_AHEAD_FLAG")
    )


def oyap_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The OYAP flag (snapshot first) of a main school enrolment, F otherwise."""
    if kind == CLOSING:
        main, oyap = closing_main(), pl.col("oyap")
    else:
        main, oyap = pl.col("MAIN_SCHOOL_FLAG"), first_of("snap_oyap", "oyap")
    return pl.when(main).then(flag(oyap)).otherwise(pl.lit(False)).alias("OYAP_FLAG")


# --- dates --------------------------------------------------------------------------------------


def enrolment_start_date(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """OnSIS's on UPDATE and on closing rows. On ADD, a cross-enrolled student's earliest
    class start in the period among the classes causing the cross-enrolment; anyone else's
    earlier of the entry date and the earliest class start in the period; the entry date
    when no class says (cross_classes.py, D780)."""
    if kind == CLOSING:
        return pl.col("pae_enrolment_start_date").alias("ENROLMENT_START_DATE")
    entry, classes = pl.col("start_date"), pl.col("class_start")
    added = (
        pl.when(pl.col("main_school"))
        .then(pl.min_horizontal(entry, classes))
        .otherwise(pl.coalesce(classes, entry))
    )
    return (
        pl.when(pl.col(HELD))
        .then(pl.col("pae_enrolment_start_date"))
        .otherwise(added)
        .alias("ENROLMENT_START_DATE")
    )


def enrolment_end_date(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Exit inside the period; in June, staying past the last school day is not leaving.
    A cross-enrolled student leaves with the last of the classes causing the cross-enrolment,
    their row's exit date standing in only when no such class says (cross_classes.py, D942).

    Closing rows close the enrolment OnSIS holds. October: the last exit if it is on or
    after the period start, else the period start. March/June: the period start for
    non-main students, when no exit is known, or when the exit predates what OnSIS holds;
    otherwise the exit date itself (D784).
    """
    period = ctx.period
    if kind == CLOSING:
        return _closing_end(ctx).alias("ENROLMENT_END_DATE")
    exit_date = pl.coalesce(pl.col("class_end"), pl.col("exit_date"))
    inside = exit_date.is_not_null() & (exit_date > period.start) & (exit_date <= period.count_date)
    if period.kind == "jun" and period.last_school_day is not None:
        inside = inside & (exit_date <= period.last_school_day)
    return pl.when(inside).then(exit_date).alias("ENROLMENT_END_DATE")


def _closing_end(ctx: SegmentContext) -> pl.Expr:
    start = pl.lit(ctx.period.start)
    exit_date = pl.col("prev_exit_date")
    if ctx.period.kind == "oct":
        return pl.when(exit_date >= start).then(exit_date).otherwise(start)
    return (
        pl.when(
            ~closing_main() | exit_date.is_null() | (exit_date < pl.col("pae_enrolment_start_date"))
        )
        .then(start)
        .otherwise(exit_date)
    )
