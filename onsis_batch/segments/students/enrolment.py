"""STUDENT_SCHOOL_ENROLMENT: who is reported, and whether as ADD or UPDATE.

Desired rows are the students enrolled in the period at the BSID's schools; pending rows
are 0003's rows, one per student of the school data carrying the OEN (one with no student
when none does). Joined on the student and OEN:

  enrolled, not in 0003 .................... ADD     SSE-ADD-NEW
  enrolled, in 0003 ........................ UPDATE  SSE-UPD-ENROLLED
  in 0003, known student, no enrolment ..... UPDATE  SSE-UPD-NONRETURNING (SSE-UPD-EXCLUDED
                                                      when their enrolment is attendance EX)
  in 0003, unknown to the school data ...... UPDATE  SSE-UPD-PAE-ONLY
  in 0003, cross-enrolled only in classes
    of courses with no course type ......... UPDATE  SSE-UPD-UNTYPED-CROSS
  entered and left in the period, not in 0003, nothing else to report: not sent.
  cross-enrolled only in classes of courses with no course type, not in 0003: not sent
    (SSE005, D782).

The segment never sends DELETE.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.context import MISSING_OEN, SegmentContext, normalised_oen
from onsis_batch.segments.credentials.diploma import diploma_activity
from onsis_batch.segments.engine import (
    ADD,
    HELD,
    UPDATE,
    WANTED,
    Decision,
    Outcome,
    decide,
)
from onsis_batch.segments.located import at_data_rows, at_plan_rows
from onsis_batch.segments.not_sent import STUDENT, bsid_schools, note
from onsis_batch.segments.programs.facts import special_education_flags
from onsis_batch.segments.students import enrolment_values as v
from onsis_batch.segments.students import fte_values as f
from onsis_batch.segments.students import movement_values as m
from onsis_batch.segments.students.activity import students_with_activity
from onsis_batch.segments.students.cross_classes import class_facts
from onsis_batch.segments.students.enrolment_values import CLOSING, ENROLLED, RowKind
from onsis_batch.segments.students.multi_school import concurrent_primary_enrolments
from onsis_batch.segments.students.scholarship import reports_scholarship
from onsis_batch.segments.students.scope import (
    classified_enrolments,
    current_enrolments,
    overlaps_period,
    previous_enrolments,
)
from onsis_batch.segments.students.side_facts import community_hours, literacy_status
from onsis_batch.specs import load_specs

SEGMENT = "STUDENT_SCHOOL_ENROLMENT"


def element_names() -> list[str]:
    """Element columns of the segment, ACTION excepted (it is the `_action` column)."""
    return [e.name for e in load_specs()[SEGMENT].elements if e.type != "action"]


CLOSING_REASONS = [
    "SSE-UPD-NONRETURNING",
    "SSE-UPD-EXCLUDED",
    "SSE-UPD-UNTYPED-CROSS",
    "SSE-UPD-PAE-ONLY",
]
ROW_COLUMNS = (
    "student_id",
    "oen_key",
    "student_row",
    "_key",
    "_action",
    "_reason",
    "GENDER_TYPE__omit",
    "GENDER_DESC__omit",
    "independent_study_only",  # kept in the plan for the FTE range check (RUL005, D783)
)
SNAPSHOT_COLUMNS = (
    "grade_level",
    "residence_status",
    "entry_country",
    "entry_province",
    "entry_language",
    "postal_code",
    "current_country",
    "current_province",
    "gender",
    "gender_desc",
    "oyap",
    "online_graduation_requirement",
)
# A cross-enrolled student whose classes of the period are all of courses with no course
# type is not reported (D782); a primary enrolment ended in the period keeps them (D314).
UNTYPED_CROSS = (
    ~pl.col("main_school")
    & ~pl.col("became_shared")
    & pl.col("cross_untyped_only").fill_null(False)
)
# Joined on student and OEN: a pending row is 0003's row of an OEN for each student who
# carries it (for none when no student of the school data does).
SHORT_STAY, HOLDER = pl.col("short_stay"), pl.col("student_id")
DECISION = Decision(
    key=("student_id", "oen_key"),
    new=Outcome(
        ADD,
        pl.when(~SHORT_STAY)
        .then(pl.lit("SSE-ADD-NEW"))
        .when(pl.col("active"))
        .then(pl.lit("SSE-ADD-SHORTSTAY")),
    ),
    held=Outcome(UPDATE, "SSE-UPD-ENROLLED"),
    gone=Outcome(
        UPDATE,
        pl.when(HOLDER.is_null())
        .then(pl.lit("SSE-UPD-PAE-ONLY"))
        .when(pl.col("holder_reported") & pl.col("holder_excluded"))
        .then(pl.lit("SSE-UPD-EXCLUDED"))
        .when(pl.col("holder_reported") & pl.col("holder_untyped"))
        .then(pl.lit("SSE-UPD-UNTYPED-CROSS"))
        .when(pl.col("holder_reported"))
        .then(pl.lit("SSE-UPD-NONRETURNING")),
    ),
)


ElementRule = Callable[[SegmentContext, RowKind], pl.Expr]
# Every element's one derivation (enrolment_values.py, movement_values.py, fte_values.py),
# in stages: an expression may read the elements of the stages before its own.
ELEMENT_STAGES: tuple[tuple[ElementRule, ...], ...] = (
    (v.stu_brd_res_stat_type, v.grade_type, m.student_mobility_type, v.enrolment_end_date),
    (
        v.main_school_flag,
        v.grade_designation_type,
        v.residence_status_type,
        v.current_residence_province,
        v.current_residence_country,
        m.country_type,
        m.province_state_type,
        m.language_type_previous_sch,
        m.student_mobility_type_exit,
        v.language_type,
        v.indigenous_self_identification,
        v.school_student_number,
        v.french_admission_approval_date,
        m.year_of_entry_to_canada,
        v.community_involment_accu_hours,
        v.plar_attendance_type,
        v.mature_student_flag,
        m.country_type_birth,
        m.province_state_type_birth,
        v.local_school_program_flag,
        v.gender_type,
        v.gender_desc,
        v.online_graduation_requirement_type,
        v.enrolment_start_date,
        v.special_education_flag,
        v.reach_ahead_flag,
    ),
    (v.ontario_scholarship_flag, v.ontario_scholarship_date, v.oyap_flag, f.fte, f.high_credit_fte),
    (
        f.attendance_type,
        v.literacy_status_type,
        m.country_type_exit,
        m.province_state_type_exit,
        v.postal_area_type,
    ),
    (f.ade, f.high_credit_ade),
)


def element_values(
    frame: pl.DataFrame, ctx: SegmentContext, kind: RowKind, calculated: pl.DataFrame
) -> pl.DataFrame:
    """The rows of one kind with every element column, stage by stage, from the minute-based
    values `calculated` (fte_values.calculated_values); one query."""
    query = f.with_funding_inputs(frame.lazy(), ctx, kind, calculated)
    for stage in ELEMENT_STAGES:
        query = query.with_columns(rule(ctx, kind) for rule in stage)
    return query.collect(engine=IN_MEMORY)


def _prefixed(frame: pl.DataFrame, prefix: str, keep: str) -> pl.DataFrame:
    return frame.rename({c: f"{prefix}{c}" for c in frame.columns if c != keep})


def _held(ctx: SegmentContext) -> pl.DataFrame:
    """PAE 0003 rows keyed by normalised OEN (first row wins if OnSIS repeats one)."""
    pae = ctx.extract("0003").with_columns(normalised_oen().alias("oen_key"))
    pae = pae.filter(pl.col("oen_key").is_not_null()).unique(
        "oen_key", keep="first", maintain_order=True
    )
    return _prefixed(pae.drop("_row"), "pae_", keep="oen_key")


def _pending(
    held: pl.DataFrame, students: pl.DataFrame, classified: pl.DataFrame, untyped: pl.Series
) -> pl.DataFrame:
    """0003's rows per student carrying the OEN, with whether that student may be reported
    (`holder_reported`), was excluded by attendance EX in the period (`holder_excluded`) or
    is cross-enrolled only in classes of untyped courses (`holder_untyped`, `untyped`)."""
    excluded_ex = classified.filter(pl.col("in_period") & pl.col("is_ex")).get_column("student_id")
    holders = students.filter(pl.col("oen_key").is_not_null()).select(
        "student_id",
        "oen_key",
        (~pl.col("exclude_from_reporting")).alias("holder_reported"),
        pl.col("student_id").is_in(excluded_ex.implode()).alias("holder_excluded"),
        pl.col("student_id").is_in(untyped.implode()).alias("holder_untyped"),
    )
    return held.join(holders, on="oen_key", how="left", maintain_order="left")


def _students(ctx: SegmentContext, classified: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """The run's candidate students with normalised OEN and per-student facts joined on.

    Candidates are the students with an enrolment at the BSID's schools and those whose
    OEN OnSIS holds; on a board-wide data set this keeps each BSID's work to its own
    students.
    """
    students = ctx.table("students").with_columns(normalised_oen().alias("oen_key"))
    candidates = students.filter(
        pl.col("student_id").is_in(classified.get_column("student_id").implode())
        | pl.col("oen_key").is_in(held.get_column("oen_key").implode())
    )
    ids = candidates.get_column("student_id").implode()
    hours = ctx.table("community_hours").filter(pl.col("student_id").is_in(ids))
    results = ctx.table("test_results").filter(pl.col("student_id").is_in(ids))
    return (
        candidates.lazy()
        .join(community_hours(hours).lazy(), on="student_id", how="left")
        .join(literacy_status(results).lazy(), on="student_id", how="left")
        .join(special_education_flags(ctx).lazy(), on="student_id", how="left")
        .with_columns(
            pl.col("special_education").fill_null(False),
            pl.col("student_id")
            .is_in(reports_scholarship(ctx).implode())
            .alias("reports_scholarship"),
        )
        .rename({"_row": "student_row"})
        .collect(engine=IN_MEMORY)
    )


def _snapshot(ctx: SegmentContext) -> pl.DataFrame:
    snap = ctx.table("snapshot").filter(pl.col("count_date") == ctx.period.count_date)
    snap = snap.unique("student_id", keep="first", maintain_order=True)
    return snap.select("student_id", *[pl.col(c).alias(f"snap_{c}") for c in SNAPSHOT_COLUMNS])


def _with_school_flags(frame: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    schools = ctx.table("schools").select(
        "school_id", pl.col("is_online").alias("school_is_online")
    )
    return frame.join(schools, on="school_id", how="left")


def _enrolled(
    ctx: SegmentContext, classified: pl.DataFrame, students: pl.DataFrame
) -> pl.DataFrame:
    """Desired: the reportable students' enrolments in the period, with `short_stay` (entered
    and left in the period), `active` (something else to report this period), the class
    facts (cross_classes.py) and `grants_diploma` (a diploma sent in this submission)."""
    current = current_enrolments(classified, ctx.period)
    usable = pl.col("ignored").is_null()
    ids = classified.filter(usable & ~pl.col("in_period")).get_column("student_id")
    note(ctx, STUDENT, ids, "NOTSENT-STU-OUT-OF-PERIOD")
    ids = classified.filter(pl.col("in_period") & pl.col("is_ex")).get_column("student_id")
    note(ctx, STUDENT, ids, "NOTSENT-STU-ATTENDANCE-EX")
    excluded = ctx.table("students").filter(pl.col("exclude_from_reporting"))
    note(ctx, STUDENT, excluded.get_column("student_id"), "NOTSENT-STU-EXCLUDED")
    diplomas = diploma_activity(ctx, current).implode()
    frame = (
        current.join(students, on="student_id", how="inner")
        .filter(~pl.col("exclude_from_reporting"))
        .join(_snapshot(ctx), on="student_id", how="left")
        .join(class_facts(ctx, classified, current), on="student_id", how="left")
        .with_columns(pl.col("student_id").is_in(diplomas).alias("grants_diploma"))
    )
    period = ctx.period
    short_stay = (
        (pl.col("start_date") >= period.start)
        & pl.col("exit_date").is_not_null()
        & (pl.col("exit_date") <= period.count_date)
    )
    active = students_with_activity(ctx, classified)
    return _with_school_flags(frame, ctx).with_columns(
        short_stay.alias("short_stay"), pl.col("student_id").is_in(active.implode()).alias("active")
    )


def _closing(gone: pl.DataFrame, students: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """The enrolments OnSIS holds that the period does not, with what their values read: the
    student and their previous enrolment when the school data knows them, else PAE values
    alone (`student_id` PAE:OEN). Known students first, each in 0003's order."""
    return (
        gone.join(students.drop("oen_key"), on="student_id", how="left", maintain_order="left")
        .join(previous, on="student_id", how="left", maintain_order="left")
        .sort(HOLDER.is_null(), maintain_order=True)
        .with_columns(
            pl.coalesce(HOLDER, pl.format("PAE:{}", pl.col("oen_key"))).alias("student_id")
        )
    )


def _findings(frame: pl.DataFrame) -> list[Finding]:
    """Warnings about rows the segment had to send with a gap."""
    no_fte = frame.filter((pl.col("_action") == ADD) & pl.col("FTE").is_null())
    closing = frame.filter(
        pl.col("_reason").is_in(CLOSING_REASONS) & pl.col("STUDENT_MOBILITY_TYPE_EXIT").is_null()
    )
    pae_only = frame.filter(pl.col("_reason") == "SSE-UPD-PAE-ONLY")
    return [
        *at_plan_rows("SSE002", no_fte, SEGMENT, key="_key"),
        *at_plan_rows("SSE003", closing, SEGMENT, key="_key"),
        *at_plan_rows("STU002", pae_only, "STUDENT", key="_key"),
    ]


IGNORED_REASONS = {
    "same_day": "NOTSENT-STU-SAME-DAY",
    "no_show": "NOTSENT-STU-NO-SHOW",
    "unmapped_exit": "NOTSENT-STU-UNMAPPED-EXIT",
}


def _note_unread_enrolments(ctx: SegmentContext, classified: pl.DataFrame) -> None:
    """Not sent: students whose enrolments in the period the rule book ignores (same day,
    no-show, unmapped exit code) or that are at a school of the BSID that does not report."""
    overlapping = classified.filter(overlaps_period(ctx.period))
    for ignored, reason in IGNORED_REASONS.items():
        ids = overlapping.filter(pl.col("ignored") == ignored).get_column("student_id")
        note(ctx, STUDENT, ids, reason)
    elsewhere = bsid_schools(ctx).filter(~bsid_schools(ctx).is_in(ctx.period.school_ids))
    unread = ctx.table("school_enrolments").filter(
        pl.col("school_id").is_in(elsewhere.implode()) & overlaps_period(ctx.period)
    )
    note(ctx, STUDENT, unread.get_column("student_id"), "NOTSENT-STU-SCHOOL")


def build_school_enrolments(ctx: SegmentContext) -> tuple[pl.DataFrame, list[Finding]]:
    """Every STUDENT_SCHOOL_ENROLMENT row of the run, before ordering.

    The frame keeps `student_id` and `oen_key` beside the element columns so the STUDENT
    segment can be built from the same selection.
    """
    classified, found = classified_enrolments(ctx)
    _note_unread_enrolments(ctx, classified)
    held = _held(ctx)
    students = _students(ctx, classified, held)
    previous = _prefixed(previous_enrolments(classified, ctx.period), "prev_", keep="student_id")
    enrolled = _enrolled(ctx, classified, students)
    short = enrolled.filter(SHORT_STAY & ~pl.col("active")).get_column("student_id")
    note(ctx, STUDENT, short, "NOTSENT-STU-SHORT-STAY")  # unless OnSIS holds them
    untyped = enrolled.filter(UNTYPED_CROSS)
    note(ctx, STUDENT, untyped.get_column("student_id"), "NOTSENT-STU-UNTYPED-CROSS")
    pending = _pending(held, students, classified, untyped.get_column("student_id"))
    decided = decide(enrolled.filter(~UNTYPED_CROSS), pending, DECISION)
    outcome = (WANTED, HELD, "_action", "_reason")
    wanted = decided.filter(pl.col(WANTED))
    gone = decided.filter(~pl.col(WANTED)).select(*pending.columns, *outcome)
    closed = _closing(gone, students, previous)
    calculated = f.calculated_values(
        ctx, f.funding_reference(wanted, ctx, ENROLLED), f.funding_reference(closed, ctx, CLOSING)
    )
    frames = [
        element_values(wanted, ctx, ENROLLED, calculated).with_columns(
            v.independent_study_only().alias("independent_study_only")
        ),
        element_values(closed, ctx, CLOSING, calculated).with_columns(
            pl.lit(False).alias("independent_study_only")
        ),
    ]
    closing = pl.col("_reason").is_in(CLOSING_REASONS)
    rows = [
        f.with_columns(
            pl.coalesce(pl.col("oen_key"), pl.lit(MISSING_OEN)).alias("_key"),
            # Gender is not sent for students whose enrolment is being closed.
            closing.alias("GENDER_TYPE__omit"),
            closing.alias("GENDER_DESC__omit"),
        ).select(*ROW_COLUMNS, *element_names())
        for f in frames
    ]
    result = pl.concat(rows, how="vertical")
    # Named on STUDENT, the segment the student is missing from: `explain` shows the note.
    found += at_data_rows(
        "SSE005",
        untyped,
        "school_enrolments",
        segment="STUDENT",
        student_id=FromColumn("student_id"),
    )
    return result, found + concurrent_primary_enrolments(classified) + _findings(result)
