"""STUDENT_CLASS_ENROLMENT element values: one function per element, for every kind of row.

A row of the segment is one of two kinds (`RowKind`):

- ENROLLED: a merged row, one student's enrolment in one class (class code) for the school
  year: `first_enrolled` / `last_left` span every class_enrolments row of that class, the
  other class_enrolments, section, course and term columns come from the latest row,
  `start_raw` and `left` are that span cut to the student's school enrolment, `stored_*`
  columns describe the stored grade that belongs to the latest row (if any), and `pae_*` /
  `_held` what PAE 0004 holds. `facts()` adds the yes/no facts the selection and the
  elements share.
- CLOSEOUT: a class OnSIS holds open (`pae_*` columns of 0004) that the school data no
  longer has for the student: a withdrawal on the period start, sent as OnSIS holds the
  class (flags OnSIS leaves blank are sent F).

Each public element function gives one element's expression for a kind of row: it is the
one place the element is derived, and segment_specs/STUDENT_CLASS_ENROLMENT.yaml names it
(D560). The elements that need a join (attendance counts, diploma allocation flags) are in
enrolment_counts.py; `ELEMENT_STAGES` in enrolment.py runs them all.

Dates follow the SIS: `date_left` (and so `left`) is the first day out of the class, and
it is what COURSE_END_DATE reports when the student leaves before the end of the term.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import HELD

RowKind = Literal["enrolled", "closeout"]
ENROLLED: RowKind = "enrolled"
CLOSEOUT: RowKind = "closeout"

PASS_MARK = 50
ESL_ELD_PREFIXES = ("ESL", "ELD")
CREDIT_RECOVERY_CLASS_TYPE = "RCR"
SENIOR_GRADE_DIGITS = ("3", "4")  # 4th character of a course code: grade 11 / 12


def flag(name: str) -> pl.Expr:
    """A yes/no column, no when unknown."""
    return pl.col(name).fill_null(False)


def course_code(number: str = "course_number", code: str = "ministry_code") -> pl.Expr:
    """Ministry (or local) course code, else the first five characters of the course number."""
    return pl.coalesce(pl.col(code), pl.col(number).str.slice(0, 5)).str.to_uppercase()


def grade_text() -> pl.Expr:
    """The stored grade trimmed and upper-cased; null when there is none."""
    text = pl.col("stored_grade").str.strip_chars().str.to_uppercase()
    return pl.when(text.str.len_chars() > 0).then(text)


def is_final_mark(grade: pl.Expr, potential: str, credit: str) -> pl.Expr:
    """A posted final mark: a grade other than W, with credit attempted on credit courses."""
    credit_ok = (pl.col(credit).fill_null(0.0) == 0) | (pl.col(potential).fill_null(0.0) > 0)
    return (grade.is_not_null() & (grade != "W") & credit_ok).fill_null(False)


def facts(period: SubmissionPeriod) -> list[list[pl.Expr]]:
    """Stages of `with_columns`: each stage may use the columns of the ones before."""
    count, start = period.count_date, period.start
    code = pl.col("course_code")
    grade = pl.col("grade")
    senior = code.str.slice(3, 1).is_in(SENIOR_GRADE_DIGITS)
    # A class still running after the count date has no mark yet in October and March: a
    # grade already stored for it belongs to the period in which the class ends.
    running = (pl.col("left") > count) & (pl.col("term_last") > count).fill_null(True)
    graded = ~running if period.kind != "jun" else pl.lit(True)
    return [
        [
            pl.when(graded).then(grade_text()).alias("grade"),
            (graded & flag("stored_transcript_w")).alias("full_disclosure"),
            pl.coalesce("stored_credit_date", "stored_date_stored").alias("mark_date"),
            (
                code.str.slice(0, 3).is_in(ESL_ELD_PREFIXES)
                | (pl.col("class_type") == CREDIT_RECOVERY_CLASS_TYPE).fill_null(False)
                | flag("section_credit_recovery")
                | flag("stored_credit_recovery")
            ).alias("esl_or_recovery"),
            ((pl.col("left") < pl.col("term_last")) & (pl.col("left") <= count))
            .fill_null(False)
            .alias("early"),
            (pl.col("start_raw") >= start).alias("entered_in_period"),
            (pl.col("left") >= pl.col("term_last")).fill_null(False).alias("stayed"),
            (pl.col("term_last") <= count).fill_null(False).alias("term_ended"),
        ],
        [
            grade.is_not_null().alias("has_grade"),
            is_final_mark(grade, "stored_potential_credit", "credit").alias("final_mark"),
            (grade.is_null() | ((grade == "I") & senior)).alias("missing_grade"),
        ],
        [
            (
                pl.col("final_mark")
                & (pl.col("enrolments") > 1)
                & (pl.col("mark_date") > count).fill_null(False)
            ).alias("mark_pending"),
            # Stayed to the last or second-last day of a term over by the count date, no mark.
            (pl.col("stayed") & pl.col("term_ended") & pl.col("missing_grade")).alias(
                "unmarked_at_term_end"
            ),
        ],
    ]


# --- codes and course ----------------------------------------------------------------------------


def class_code(_ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """The class code, spaces removed and upper-cased (how OnSIS compares it)."""
    return pl.col("class_key").alias("CLASS_CODE")


def _held_value(element: str) -> pl.Expr:
    """An element as OnSIS holds it (PAE 0004's column of the same name)."""
    return pl.col(f"pae_{element.lower()}").alias(element)


def _held_flag(element: str) -> pl.Expr:
    """A flag as OnSIS holds it, F when blank."""
    return pl.col(f"pae_{element.lower()}").fill_null(False).alias(element)


def _course_code(ours: pl.Expr, element: str) -> pl.Expr:
    """A course code element: ours on ADD; on UPDATE the codes OnSIS holds, when it holds
    any; on a close-out OnSIS's."""
    held = pl.col(HELD) & (
        pl.col("pae_ministry_dfnd_crs").is_not_null() | pl.col("pae_local_dev_crs").is_not_null()
    )
    return pl.when(held).then(pl.col(f"pae_{element.lower()}")).otherwise(ours).alias(element)


def _ministry() -> pl.Expr:
    return pl.col("course_type") == "M"


def ministry_dfnd_crs(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The Ministry course code of a Ministry course (type M)."""
    name = "MINISTRY_DFND_CRS"
    if kind == CLOSEOUT:
        return _held_value(name)
    return _course_code(pl.when(_ministry()).then(pl.col("course_code")), name)


def institution_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The dual-credit institution of a Ministry course."""
    name = "INSTITUTION_TYPE"
    if kind == CLOSEOUT:
        return _held_value(name)
    return _course_code(pl.when(_ministry()).then(pl.col("institution")), name)


def local_dev_crs(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The code of a locally developed course (type L)."""
    name = "LOCAL_DEV_CRS"
    if kind == CLOSEOUT:
        return _held_value(name)
    return _course_code(pl.when(~_ministry()).then(pl.col("course_code")), name)


def language_type(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The section's language, else the course's, else the board's."""
    if kind == CLOSEOUT:
        return _held_value("LANGUAGE_TYPE")
    return pl.coalesce("section_language", "course_language", pl.lit(ctx.default_language)).alias(
        "LANGUAGE_TYPE"
    )


def credit_value(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The course's credit value."""
    if kind == CLOSEOUT:
        return _held_value("CREDIT_VALUE")
    return pl.col("credit").alias("CREDIT_VALUE")


def course_delivery_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The section's delivery type, 1 (classroom) when empty."""
    if kind == CLOSEOUT:
        return _held_value("COURSE_DELIVERY_TYPE")
    return pl.col("delivery_type").fill_null("1").alias("COURSE_DELIVERY_TYPE")


def course_sem_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The term's semester type."""
    if kind == CLOSEOUT:
        return _held_value("COURSE_SEM_TYPE")
    return pl.col("course_sem_type").alias("COURSE_SEM_TYPE")


# --- leaving and dates ---------------------------------------------------------------------------


def withdrawal_type(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """D dropped / W withdrawn for students out before the course end (or W in June on a
    full-disclosure grade); ESL/ELD and credit recovery are D even with full disclosure.
    A close-out is W."""
    if kind == CLOSEOUT:
        return pl.lit("W").alias("WITHDRAWAL_TYPE")
    full_disclosure = pl.col("full_disclosure") if ctx.period.kind == "jun" else pl.lit(False)
    out = pl.col("early") | full_disclosure
    return (
        pl.when(pl.col("unmarked_at_term_end") | ~out)
        .then(None)
        .when(pl.col("full_disclosure"))
        .then(pl.when(pl.col("esl_or_recovery")).then(pl.lit("D")).otherwise(pl.lit("W")))
        .when(pl.col("final_mark"))
        .then(None)
        .otherwise(pl.lit("D"))
        .alias("WITHDRAWAL_TYPE")
    )


def withdrawal_date(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The course end date of a W, sent only when it falls in the period; a close-out's is
    the period start."""
    period = ctx.period
    if kind == CLOSEOUT:
        return pl.lit(period.start).alias("WITHDRAWAL_DATE")
    date = pl.when(pl.col("WITHDRAWAL_TYPE") == "W").then(pl.col("COURSE_END_DATE"))
    in_period = date.is_between(period.start, period.count_date)
    return pl.when(in_period).then(date).alias("WITHDRAWAL_DATE")


def course_start_date(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """On ADD the later of the class start and the period start; on UPDATE and close-out
    the start OnSIS holds."""
    if kind == CLOSEOUT:
        return _held_value("COURSE_START_DATE")
    start = pl.when(~pl.col(HELD)).then(
        pl.max_horizontal(pl.col("start_raw"), pl.lit(ctx.period.start))
    )
    return pl.coalesce(start, pl.col("pae_course_start_date"), pl.col("start_raw")).alias(
        "COURSE_START_DATE"
    )


def course_end_date(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Credit date, date left, or last day of the term, never after the count date; a
    close-out ends on the period start."""
    period = ctx.period
    if kind == CLOSEOUT:
        return pl.lit(period.start).alias("COURSE_END_DATE")
    count = period.count_date
    credit_date, left, last = pl.col("stored_credit_date"), pl.col("left"), pl.col("term_last")
    return (
        pl.when(credit_date.is_not_null() & (credit_date < left) & (credit_date <= count))
        .then(credit_date)
        .when((left <= count) & (left <= last))
        .then(left)
        .when((last <= count) & (left > last))
        .then(last)
        .alias("COURSE_END_DATE")
    )


# --- completed classes ---------------------------------------------------------------------------


def _completed() -> pl.Expr:
    return pl.col("COURSE_END_DATE").is_not_null() & pl.col("WITHDRAWAL_TYPE").is_null()


def iep_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The class enrolment's IEP flag, completed classes only."""
    if kind == CLOSEOUT:
        return pl.lit(None).alias("IEP_FLAG")
    return pl.when(_completed()).then(flag("iep")).alias("IEP_FLAG")


def program(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """ESL/ELD for a completed class of an ESL/ELD program."""
    if kind == CLOSEOUT:
        return pl.lit(None).alias("PROGRAM")
    return pl.when(_completed() & flag("esl_eld")).then(pl.lit("ESL/ELD")).alias("PROGRAM")


def course_complete_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Complete when the term is over and the student stayed, or left early with a final
    mark; never on full disclosure, a missing mark at the end, a mark sent later or a
    close-out."""
    if kind == CLOSEOUT:
        return pl.lit(False).alias("COURSE_COMPLETE_FLAG")
    return (
        pl.when(pl.col("unmarked_at_term_end") | pl.col("full_disclosure") | pl.col("mark_pending"))
        .then(False)
        .when(pl.col("left") < pl.col("term_last"))
        .then(pl.col("final_mark"))
        .otherwise(pl.col("term_ended"))
        .fill_null(False)
        .alias("COURSE_COMPLETE_FLAG")
    )


def course_incomplete_flag(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Incomplete when unmarked at the term end, on full disclosure, or out by the count
    date without a grade; a close-out is incomplete."""
    if kind == CLOSEOUT:
        return pl.lit(True).alias("COURSE_INCOMPLETE_FLAG")
    ended_by_count = (pl.col("left") <= ctx.period.count_date) | pl.col("term_ended")
    return (
        pl.when(pl.col("unmarked_at_term_end"))
        .then(True)
        .when(pl.col("COURSE_COMPLETE_FLAG") | pl.col("mark_pending"))
        .then(False)
        .when(pl.col("full_disclosure"))
        .then(True)
        .when(pl.col("left") > pl.col("term_last"))
        .then(False)
        .when(~pl.col("has_grade"))
        .then(ended_by_count)
        .otherwise(False)
        .fill_null(False)
        .alias("COURSE_INCOMPLETE_FLAG")
    )


def course_repeat_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """T for every attempt at a course after the first."""
    if kind == CLOSEOUT:
        return _held_flag("COURSE_REPEAT_FLAG")
    return pl.col("repeat").fill_null(False).alias("COURSE_REPEAT_FLAG")


def course_continued_flag(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """A class continued from the previous school year."""
    if kind == CLOSEOUT:
        return _held_flag("COURSE_CONTINUED_FLAG")
    return flag("continued").alias("COURSE_CONTINUED_FLAG")


# --- marks and credit ----------------------------------------------------------------------------


def _numeric_mark() -> pl.Expr:
    """The grade as a whole number (half away from zero); null when not a number."""
    value = pl.col("grade").cast(pl.Float64, strict=False)
    return value.round(0, mode="half_away_from_zero").cast(pl.Int64, strict=False)


def final_mark(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Never in October; 0 for dropped, non-numeric or missing-at-the-end marks (and a
    close-out); June and W rows always carry one."""
    period = ctx.period
    if period.kind == "oct":
        return pl.lit(None, dtype=pl.Int64).alias("FINAL_MARK")
    if kind == CLOSEOUT:
        return pl.lit(0).alias("FINAL_MARK")
    withdrawal = pl.col("WITHDRAWAL_TYPE")
    always = (withdrawal == "W").fill_null(False) | pl.lit(period.kind == "jun")
    return (
        pl.when(pl.col("unmarked_at_term_end") | (withdrawal == "D").fill_null(False))
        .then(0)
        .when(pl.col("mark_pending"))
        .then(None)
        .when(pl.col("has_grade"))
        .then(_numeric_mark().fill_null(0))
        .when(always)
        .then(0)
        .cast(pl.Int64)
        .alias("FINAL_MARK")
    )


def earned_credit_value(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Credit earned from the stored grade, 0.00 in every case the rule book lists (and on
    a close-out)."""
    if kind == CLOSEOUT:
        return pl.lit(0.0).alias("EARNED_CREDIT_VALUE")
    zero = (
        pl.col("WITHDRAWAL_TYPE").is_not_null()
        | pl.col("full_disclosure")
        | pl.coalesce("stored_course_number", "course_number")
        .str.to_uppercase()
        .str.starts_with("K")
        | flag("stored_transcript_a_m")
        | (pl.col("grade") == "ALT").fill_null(False)
        | (_numeric_mark() < PASS_MARK).fill_null(False)
    )
    return (
        pl.when(pl.col("unmarked_at_term_end"))
        .then(0.0)
        .when(pl.col("mark_pending"))
        .then(None)
        .when(pl.col("WITHDRAWAL_TYPE").is_not_null())
        .then(0.0)
        .when(~pl.col("has_grade"))
        .then(None)
        .when(zero)
        .then(0.0)
        .otherwise(pl.col("stored_earned_credit").fill_null(0.0))
        .cast(pl.Float64)
        .alias("EARNED_CREDIT_VALUE")
    )
