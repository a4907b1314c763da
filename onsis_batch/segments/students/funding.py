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

from datetime import timedelta

import polars as pl

from onsis_batch.segments.classes.meetings import section_meeting_days
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.programs.sal_rules import sal_reported
from onsis_batch.segments.students.scope import classify_enrolments, current_enrolments

FULL_TIME_MINUTES = 210  # O. Reg. 79/97 and successors: full-time pupil
FULL_DAY_MINUTES = 300  # part-time FTE = minutes / 300
HIGH_CREDIT_THRESHOLD = 34.0  # credits beyond this are high credits
EXEMPT_COURSE_PREFIXES = ("ESL", "ELD", "ALF")  # their credits never count toward 34
HIGH_CREDIT_GRADES = ["9", "10", "11", "12"]
BOARD_PUPIL, OTHER_STUDENT = "01", "07"
SAL_PART_TIME, SAL_FULL_TIME = "001", "002"
SAL_AGES = (14, 17)
ADULT_AGE = 21  # no high credit from the year a student turns 21
KINDERGARTEN = ["JK", "K"]
SECONDARY_YEARS = 4  # the first four school years of secondary are exempt from high credit

REFERENCE_COLUMNS = ("student_id", "school_id", "as_of", "board_residence_status", "grade_level")


# --- dates and ages ---------------------------------------------------------------------------


def last_enrolled_day(ctx: SegmentContext, exit_column: str = "exit_date") -> pl.Expr:
    """The count date, or the day before the exit date when the student left in the period.

    An exit date is the first day a student is no longer enrolled (decision D5).
    """
    period = ctx.period
    exit_date = pl.col(exit_column)
    left = exit_date.is_not_null() & (exit_date > period.start) & (exit_date <= period.count_date)
    return pl.when(left).then(exit_date - timedelta(days=1)).otherwise(pl.lit(period.count_date))


def _school_year(day: pl.Expr) -> pl.Expr:
    """First calendar year of the school year a date belongs to (years open on July 1)."""
    return day.dt.year() - (day.dt.month() < 7).cast(pl.Int32)


def _age_on_december_31(birth: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Age on December 31 of the school year of `day` (December 31 ends every birth year)."""
    return _school_year(day) - birth.dt.year()


def _active_on(day: str, start: str = "entry_date", end: str = "exit_date") -> pl.Expr:
    """Enrolled on `day`: entered on or before it, not yet left (end = first day out)."""
    return (pl.col(start) <= pl.col(day)) & (pl.col(end).is_null() | (pl.col(end) > pl.col(day)))


def reference_days(ctx: SegmentContext) -> pl.DataFrame:
    """One reference row per student enrolled in the period, from their speaking enrolment."""
    classified, _ = classify_enrolments(ctx.table("school_enrolments"), ctx.period)
    current = current_enrolments(classified, ctx.period)
    return current.select(
        "student_id",
        "school_id",
        last_enrolled_day(ctx).alias("as_of"),
        "board_residence_status",
        "grade_level",
    )


# --- the day, the classes and their minutes ---------------------------------------------------


def _fte_days(ctx: SegmentContext, reference: pl.DataFrame) -> pl.DataFrame:
    """student_id, fte_day: the latest in-session day of the student's school on or before
    `as_of` (null when the school has no such day in `calendar_days`)."""
    days = (
        ctx.table("calendar_days")
        .filter(pl.col("school_id").is_in(list(ctx.period.school_ids)) & pl.col("in_session"))
        .select("school_id", pl.col("date").alias("fte_day"))
        .unique()
        .sort("fte_day")
    )
    dated = reference.filter(pl.col("as_of").is_not_null()).sort("as_of")
    found = dated.join_asof(
        days,
        left_on="as_of",
        right_on="fte_day",
        by="school_id",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted above; polars cannot check with `by`
    )
    return reference.select("student_id").join(
        found.select("student_id", "fte_day"), on="student_id", how="left"
    )


def _exempt_course(course_number: pl.Expr, ministry_code: pl.Expr) -> pl.Expr:
    """ESL, ELD and ALF courses: their credits are exempt from the high-credit count."""
    code = pl.coalesce(ministry_code, course_number.str.slice(0, 5)).str.to_uppercase()
    return pl.any_horizontal([code.str.starts_with(p) for p in EXEMPT_COURSE_PREFIXES])


def _sections(ctx: SegmentContext) -> pl.DataFrame:
    """Sections of the BSID's schools with what the calculation needs about them."""
    schools = ctx.table("schools").select("school_id", "is_night_school")
    terms = ctx.table("terms").select("term_id", "first_day", "last_day", "portion")
    courses = ctx.table("courses").select("course_number", "ministry_code", "credit")
    full_year = pl.col("portion").fill_null(0) == 1
    return (
        ctx.table("sections")
        .filter(pl.col("school_id").is_in(list(ctx.period.school_ids)))
        .select(
            "section_id",
            "school_id",
            "course_number",
            "term_id",
            pl.col("is_independent_study").alias("section_is_independent_study"),
        )
        .join(terms, on="term_id", how="left")
        .join(schools, on="school_id", how="left")
        .join(courses, on="course_number", how="left")
        .with_columns(
            _exempt_course(pl.col("course_number"), pl.col("ministry_code")).alias("is_exempt"),
            # A full-year course counts half its credit on a count date (one of two).
            (pl.col("credit").fill_null(0.0) * pl.when(full_year).then(0.5).otherwise(1.0)).alias(
                "count_credit"
            ),
        )
    )


def _classes_on_day(
    ctx: SegmentContext, days: pl.DataFrame, sections: pl.DataFrame
) -> pl.DataFrame:
    """Class enrolments at the BSID's day schools active on each student's FTE day."""
    ids = days.get_column("student_id").implode()
    enrolments = ctx.table("class_enrolments").filter(pl.col("student_id").is_in(ids))
    in_term = pl.col("first_day").is_null() | pl.col("fte_day").is_between(
        pl.col("first_day"), pl.col("last_day")
    )
    return (
        days.filter(pl.col("fte_day").is_not_null())
        .join(enrolments, on="student_id")
        .join(sections, on="section_id")
        .filter(
            _active_on("fte_day", "date_enrolled", "date_left")
            & in_term
            & ~pl.col("is_night_school").fill_null(False)
        )
        .with_columns(
            (
                pl.col("is_independent_study").fill_null(False)
                | pl.col("section_is_independent_study").fill_null(False)
            ).alias("independent_study")
        )
    )


def _class_minutes(ctx: SegmentContext, classes: pl.DataFrame) -> pl.DataFrame:
    """Per class row: its minutes on the FTE day; 0 when it does not meet that day, null
    when its meetings are unknown (no timetable rows, no term or no calendar for it)."""
    meetings = section_meeting_days(ctx)
    known = meetings.select("section_id").unique().with_columns(pl.lit(True).alias("_known"))
    on_day = meetings.group_by("section_id", "date").agg(
        pl.when(pl.col("minutes").is_null().any())
        .then(None)
        .otherwise(pl.col("minutes").sum())
        .alias("_day_minutes"),
        pl.lit(True).alias("_meets"),
    )
    joined = classes.join(known, on="section_id", how="left").join(
        on_day, left_on=["section_id", "fte_day"], right_on=["section_id", "date"], how="left"
    )
    return joined.with_columns(
        pl.when(pl.col("_known").is_null())
        .then(None)
        .when(pl.col("_meets").is_null())
        .then(0)
        .otherwise(pl.col("_day_minutes"))
        .cast(pl.Int64)
        .alias("class_minutes")
    )


def _schedule(ctx: SegmentContext, days: pl.DataFrame) -> pl.DataFrame:
    """Per student: class data present, minutes on the day, current credits, IS-only."""
    sections = _sections(ctx)
    classes = _class_minutes(ctx, _classes_on_day(ctx, days, sections))
    counted = ~pl.col("independent_study")
    per_student = classes.group_by("student_id").agg(
        pl.lit(True).alias("_in_class"),
        pl.col("independent_study").all().alias("is_independent_study_only"),
        pl.when(pl.col("class_minutes").filter(counted).is_null().any())
        .then(None)
        .otherwise(pl.col("class_minutes").filter(counted).sum())
        .cast(pl.Int64)
        .alias("_day_minutes"),
        pl.col("count_credit")
        .filter(counted & ~pl.col("is_exempt"))
        .sum()
        .alias("current_credits"),
        pl.col("count_credit").filter(counted & pl.col("is_exempt")).sum().alias("exempt_credits"),
    )
    ids = days.get_column("student_id").implode()
    with_data = (
        ctx.table("class_enrolments")
        .filter(pl.col("student_id").is_in(ids))
        .join(sections.select("section_id"), on="section_id")
        .select("student_id")
        .unique()
        .with_columns(pl.lit(True).alias("has_class_data"))
    )
    schedule = (
        days.join(with_data, on="student_id", how="left")
        .join(per_student, on="student_id", how="left")
        .with_columns(pl.col("has_class_data").fill_null(False))
    )
    minutes = (
        pl.when(~pl.col("has_class_data") | pl.col("fte_day").is_null())
        .then(None)
        .when(pl.col("_in_class").is_null())
        .then(0)  # in no class that day
        .otherwise(pl.col("_day_minutes"))
    )
    return schedule.with_columns(
        minutes.cast(pl.Int64).alias("minutes"),
        pl.col("is_independent_study_only").fill_null(False),
        pl.col("current_credits").fill_null(0.0),
        pl.col("exempt_credits").fill_null(0.0),
    ).drop("_day_minutes", "_in_class")


def _prior_credits(ctx: SegmentContext, days: pl.DataFrame) -> pl.DataFrame:
    """Non-exempt credits earned before the FTE day (stored grades on the transcript)."""
    ids = days.get_column("student_id").implode()
    courses = ctx.table("courses").select("course_number", "ministry_code")
    grades = (
        ctx.table("stored_grades")
        .filter(
            pl.col("student_id").is_in(ids)
            & ~pl.col("exclude_from_transcript").fill_null(False)
            & (pl.col("earned_credit").fill_null(0.0) > 0)
        )
        .join(courses, on="course_number", how="left")
        .filter(~_exempt_course(pl.col("course_number"), pl.col("ministry_code")))
        .select(
            "student_id",
            "earned_credit",
            pl.coalesce("credit_date", "date_stored").alias("_earned_on"),
        )
    )
    return (
        days.filter(pl.col("fte_day").is_not_null())
        .join(grades, on="student_id")
        .filter(pl.col("_earned_on") < pl.col("fte_day"))
        .group_by("student_id")
        .agg(pl.col("earned_credit").sum().alias("prior_credits"))
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
        .filter(_active_on("as_of"))
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


def _high_credit_exemption() -> pl.Expr:
    """Why a student's credits cannot be high credits (null when they can)."""
    status = pl.col("board_residence_status")
    cohort = _school_year(pl.col("secondary_entry_date"))
    return (
        pl.when(~pl.col("grade_level").is_in(HIGH_CREDIT_GRADES))
        .then(pl.lit("grade"))
        .when(status.is_not_null() & (status != BOARD_PUPIL))
        .then(pl.lit("other_pupil"))
        .when(pl.col("has_iep"))
        .then(pl.lit("iep"))
        .when(pl.col("in_sal"))
        .then(pl.lit("sal"))
        .when(_age_on_december_31(pl.col("birth_date"), pl.col("as_of")) >= ADULT_AGE)
        .then(pl.lit("age_21"))
        .when(_school_year(pl.col("as_of")) < cohort + SECONDARY_YEARS)
        .then(pl.lit("first_four_years"))
    )


def _high_credits() -> pl.Expr:
    """Credits past the threshold: none up to 34 in all; every current credit when 34 were
    already earned; else the part of the total above 34 (research §4.2, steps 2-3)."""
    prior, current = pl.col("prior_credits"), pl.col("current_credits")
    total = prior + current
    return (
        pl.when(pl.col("high_credit_exemption").is_not_null() | (total <= HIGH_CREDIT_THRESHOLD))
        .then(0.0)
        .when(prior >= HIGH_CREDIT_THRESHOLD)
        .then(current)
        .otherwise(total - HIGH_CREDIT_THRESHOLD)
    )


def _high_credit_factor() -> pl.Expr:
    """High credits over all current credits (exempt ones included), two decimals."""
    enrolled = pl.col("current_credits") + pl.col("exempt_credits")
    return (
        pl.when(pl.col("high_credit_exemption").is_not_null())
        .then(0.0)
        .when(enrolled > 0)
        .then((pl.col("high_credits") / enrolled).round(2, mode="half_away_from_zero"))
        .when(pl.col("prior_credits") >= HIGH_CREDIT_THRESHOLD)
        .then(1.0)
        .otherwise(0.0)
    )


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
        _fte_days(ctx, reference), on="student_id", how="left"
    )
    students = ctx.table("students").select("student_id", "birth_date", "secondary_entry_date")
    return (
        reference.join(_schedule(ctx, days).drop("as_of"), on="student_id", how="left")
        .join(_prior_credits(ctx, days), on="student_id", how="left")
        .join(_programs(ctx, reference), on="student_id", how="left")
        .join(students, on="student_id", how="left")
        .with_columns(
            pl.col("prior_credits").fill_null(0.0),
            pl.col("has_iep").fill_null(False),
            pl.col("in_sal").fill_null(False),
            pl.col("in_expulsion").fill_null(False),
        )
        .with_columns(_high_credit_exemption().alias("high_credit_exemption"))
        .with_columns(_high_credits().alias("high_credits"))
        .with_columns(_high_credit_factor().alias("high_credit_factor"))
        .with_columns(
            # Whole minutes, truncated; the factor in hundredths keeps this exact.
            (pl.col("minutes") * (pl.col("high_credit_factor") * 100).round(0).cast(pl.Int64))
            .floordiv(100)
            .alias("high_credit_minutes")
        )
        .with_columns((pl.col("minutes") - pl.col("high_credit_minutes")).alias("regular_minutes"))
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
    age = _age_on_december_31(pl.col("birth_date"), pl.col("as_of"))
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
        _age_on_december_31(pl.col("birth_date"), pl.col("as_of")) >= 6
    )
    return frame.with_columns(
        fte.alias("fte"),
        high_credit.alias("high_credit_fte"),
        kindergarten.fill_null(False).alias("full_time_rule"),
    )
