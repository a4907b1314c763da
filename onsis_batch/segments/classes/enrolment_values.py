"""Element values of STUDENT_CLASS_ENROLMENT, as polars expressions over merged rows.

A merged row is one student's enrolment in one class (class code) for the school year:
`first_enrolled` / `last_left` span every class_enrolments row of that class, the other
class_enrolments, section, course and term columns come from the latest row, `start_raw`
and `left` are that span cut to the student's school enrolment, `stored_*` columns describe
the stored grade that belongs to the latest row (if any), and `pae_*` / `_held` what
PAE 0004 holds. `facts()` adds the yes/no facts the selection and the elements share;
`element_values()` the elements themselves.

Dates follow the SIS: `date_left` (and so `left`) is the first day out of the class, and
it is what COURSE_END_DATE reports when the student leaves before the end of the term.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.segments.classes.meetings import count_meetings, section_meeting_days
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import HELD

PASS_MARK = 50
MAX_TOTAL_CLASSES = 999
NO_ATTENDANCE_DELIVERY = ("2", "16", "18", "19")  # independent, correspondence, online
ESL_ELD_PREFIXES = ("ESL", "ELD")
CREDIT_RECOVERY_CLASS_TYPE = "RCR"
SENIOR_GRADE_DIGITS = ("3", "4")  # 4th character of a course code: grade 11 / 12


def _flag(name: str) -> pl.Expr:
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
            (graded & _flag("stored_transcript_w")).alias("full_disclosure"),
            pl.coalesce("stored_credit_date", "stored_date_stored").alias("mark_date"),
            (
                code.str.slice(0, 3).is_in(ESL_ELD_PREFIXES)
                | (pl.col("class_type") == CREDIT_RECOVERY_CLASS_TYPE).fill_null(False)
                | _flag("section_credit_recovery")
                | _flag("stored_credit_recovery")
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


def _withdrawal(period: SubmissionPeriod) -> pl.Expr:
    """D dropped / W withdrawn for students out before the course end (or W in June on a
    full-disclosure grade); ESL/ELD and credit recovery are D even with full disclosure."""
    out = pl.col("early") | (pl.col("full_disclosure") if period.kind == "jun" else pl.lit(False))
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


def _end_date(period: SubmissionPeriod) -> pl.Expr:
    """Credit date, date left, or last day of the term, never after the count date."""
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


def _complete() -> pl.Expr:
    """Complete when the term is over and the student stayed, or left early with a final
    mark; never on full disclosure, a missing mark at the end, or a mark sent later."""
    return (
        pl.when(pl.col("unmarked_at_term_end") | pl.col("full_disclosure") | pl.col("mark_pending"))
        .then(False)
        .when(pl.col("left") < pl.col("term_last"))
        .then(pl.col("final_mark"))
        .otherwise(pl.col("term_ended"))
        .fill_null(False)
        .alias("COURSE_COMPLETE_FLAG")
    )


def _incomplete(period: SubmissionPeriod) -> pl.Expr:
    ended_by_count = (pl.col("left") <= period.count_date) | pl.col("term_ended")
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


def _numeric_mark() -> pl.Expr:
    """The grade as a whole number (half away from zero); null when not a number."""
    value = pl.col("grade").cast(pl.Float64, strict=False)
    return value.round(0, mode="half_away_from_zero").cast(pl.Int64, strict=False)


def _final_mark(period: SubmissionPeriod) -> pl.Expr:
    """Never in October; 0 for dropped, non-numeric or missing-at-the-end marks; June and
    W rows always carry one."""
    if period.kind == "oct":
        return pl.lit(None, dtype=pl.Int64).alias("FINAL_MARK")
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


def _earned_credit() -> pl.Expr:
    """Credit earned from the stored grade, 0.00 in every case the rule book lists."""
    zero = (
        pl.col("WITHDRAWAL_TYPE").is_not_null()
        | pl.col("full_disclosure")
        | pl.coalesce("stored_course_number", "course_number")
        .str.to_uppercase()
        .str.starts_with("K")
        | _flag("stored_transcript_a_m")
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


def _course_codes() -> list[pl.Expr]:
    """Ministry code (with the dual-credit institution) or local code; an UPDATE sends the
    codes OnSIS holds."""
    ministry = pl.col("course_type") == "M"
    held = pl.col(HELD) & (
        pl.col("pae_ministry_dfnd_crs").is_not_null() | pl.col("pae_local_dev_crs").is_not_null()
    )

    def pick(pae: str, ours: pl.Expr, name: str) -> pl.Expr:
        return pl.when(held).then(pl.col(pae)).otherwise(ours).alias(name)

    return [
        pick(
            "pae_ministry_dfnd_crs",
            pl.when(ministry).then(pl.col("course_code")),
            "MINISTRY_DFND_CRS",
        ),
        pick(
            "pae_institution_type",
            pl.when(ministry).then(pl.col("institution")),
            "INSTITUTION_TYPE",
        ),
        pick("pae_local_dev_crs", pl.when(~ministry).then(pl.col("course_code")), "LOCAL_DEV_CRS"),
    ]


def element_values(frame: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """Every element column of the wanted rows (matched with 0004: `_held` is set)."""
    period = ctx.period
    start = pl.when(~pl.col(HELD)).then(
        pl.max_horizontal(pl.col("start_raw"), pl.lit(period.start))
    )
    completed = pl.col("COURSE_END_DATE").is_not_null() & pl.col("WITHDRAWAL_TYPE").is_null()
    frame = frame.with_columns(_withdrawal(period), _end_date(period), _complete()).with_columns(
        pl.col("class_key").alias("CLASS_CODE"),
        *_course_codes(),
        pl.coalesce("section_language", "course_language", pl.lit(ctx.default_language)).alias(
            "LANGUAGE_TYPE"
        ),
        pl.col("credit").alias("CREDIT_VALUE"),
        pl.col("delivery_type").fill_null("1").alias("COURSE_DELIVERY_TYPE"),
        pl.col("course_sem_type").alias("COURSE_SEM_TYPE"),
        pl.when(pl.col("WITHDRAWAL_TYPE") == "W")
        .then(pl.col("COURSE_END_DATE"))
        .alias("WITHDRAWAL_DATE"),
        pl.when(completed).then(_flag("iep")).alias("IEP_FLAG"),
        pl.when(completed & _flag("esl_eld")).then(pl.lit("ESL/ELD")).alias("PROGRAM"),
        pl.coalesce(start, pl.col("pae_course_start_date"), pl.col("start_raw")).alias(
            "COURSE_START_DATE"
        ),
        _earned_credit(),
        _final_mark(period),
        _incomplete(period),
        pl.col("repeat").fill_null(False).alias("COURSE_REPEAT_FLAG"),
        _flag("continued").alias("COURSE_CONTINUED_FLAG"),
    )
    # A withdrawal date is sent only when it falls in the period.
    in_period = pl.col("WITHDRAWAL_DATE").is_between(period.start, period.count_date)
    frame = frame.with_columns(
        pl.when(in_period).then(pl.col("WITHDRAWAL_DATE")).alias("WITHDRAWAL_DATE")
    )
    return with_attendance(frame, ctx)


# --- attendance ------------------------------------------------------------------------------


def with_attendance(frame: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """CLASSES_MISSED, SCHOOL_CLOSURE_CLASSES_MISSED, TIMES_LATE and TOTAL_CLASSES, counted
    from the class start to the earlier of the count date and the last day in class; only
    for completed classes that are not independent, correspondence or online study."""
    names = ["TOTAL_CLASSES", "SCHOOL_CLOSURE_CLASSES_MISSED", "CLASSES_MISSED", "TIMES_LATE"]
    reported = (
        pl.col("COURSE_END_DATE").is_not_null()
        & pl.col("WITHDRAWAL_TYPE").is_null()
        & ~pl.col("COURSE_DELIVERY_TYPE").is_in(NO_ATTENDANCE_DELIVERY)
    )
    last_in_class = pl.col("left") - timedelta(days=1)
    spans = frame.filter(reported).select(
        "_id",
        "student_id",
        "class_key",
        "section_id",
        "school_id",
        pl.col("start_raw").alias("from"),
        pl.min_horizontal(last_in_class, pl.lit(ctx.period.count_date)).alias("to"),
    )
    if spans.height == 0:
        return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(n) for n in names)
    missed, late = _attendance_counts(ctx, spans)
    counted = spans.with_columns(missed.alias("ac"), late.alias("late")).join(
        _meeting_counts(ctx, spans), on=["section_id", "from", "to"], how="left"
    )
    counted = counted.select(
        "_id",
        "TOTAL_CLASSES",
        pl.min_horizontal("g", "TOTAL_CLASSES").alias("SCHOOL_CLOSURE_CLASSES_MISSED"),
        pl.min_horizontal(pl.col("g") + pl.col("ac"), "TOTAL_CLASSES").alias("CLASSES_MISSED"),
        pl.min_horizontal("late", "TOTAL_CLASSES").alias("TIMES_LATE"),
    )
    return frame.join(counted, on="_id", how="left", maintain_order="left")


def _meeting_counts(ctx: SegmentContext, spans: pl.DataFrame) -> pl.DataFrame:
    """Meetings and G-day meetings per distinct (section, from, to): the students of a
    section mostly share one span, so each is counted once."""
    distinct = spans.select("section_id", "from", "to").unique()
    meetings = section_meeting_days(ctx)
    total = count_meetings(meetings, distinct, "from", "to")
    g_days = count_meetings(meetings.filter(pl.col("is_g_day")), distinct, "from", "to")
    return distinct.with_columns(
        total.clip(upper_bound=MAX_TOTAL_CLASSES).alias("TOTAL_CLASSES"), g_days.alias("g")
    )


def _attendance_counts(ctx: SegmentContext, spans: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Per span: days absent (A, C) that are not G days, and days late (L)."""
    sections = ctx.table("sections").select(
        "section_id",
        pl.col("class_code").str.replace_all(r"\s", "").str.to_uppercase().alias("class_key"),
    )
    g_days = ctx.table("calendar_days").filter(pl.col("is_g_day")).select("school_id", "date")
    marks = (
        ctx.table("attendance")
        .join(sections, on="section_id")
        .select("student_id", "class_key", "date", "status")
        .join(
            spans.select("_id", "student_id", "class_key", "school_id", "from", "to"),
            on=["student_id", "class_key"],
        )
        .filter(pl.col("date").is_between(pl.col("from"), pl.col("to")))
        .join(g_days, on=["school_id", "date"], how="anti")
        .unique(["_id", "date", "status"])
        .group_by("_id")
        .agg(
            pl.col("status").is_in(["A", "C"]).sum().alias("ac"),
            (pl.col("status") == "L").sum().alias("late"),
        )
    )
    counts = spans.select("_id").join(marks, on="_id", how="left", maintain_order="left")
    return (
        counts.get_column("ac").fill_null(0).cast(pl.Int64),
        counts.get_column("late").fill_null(0).cast(pl.Int64),
    )
