"""STUDENT_CLASS_ENROLMENT and OTHER_COURSE_INFO: each reported student's classes.

Rows come from class_enrolments in sections of the BSID's schools, for students whose
STUDENT_SCHOOL_ENROLMENT is sent. A student's rows in one class (class code, spaces
removed, upper-cased) make one row: earliest start, latest date left, values and stored
grade of the latest enrolment. Rows are left out when the start and end are the same day,
the course has no M/L type, or its code starts with PLE, QEE, QSE, QMA or QAP. A row is
considered when the student started by the count date and left on or after the period
start; ACTION is UPDATE when PAE 0004 holds the OEN and class code (case-insensitive),
else ADD. Reason ids:

  SCE-ADD-NEW / SCE-UPD-PAE .............. enrolled in the period (default)
  SCE-ADD-DROPPED / SCE-UPD-DROPPED ...... left before the course end: D (an ADD only for
                                           ESL/ELD or credit recovery with full disclosure)
  SCE-ADD-WITHDRAWN / SCE-UPD-WITHDRAWN .. W: full disclosure (early, or any June row)
  SCE-ADD-EARLY-MARK / SCE-UPD-EARLY-MARK  left before the course end with a final mark
  SCE-ADD-INCOMPLETE / SCE-UPD-INCOMPLETE  stayed to the (second-)last day of a term over by
                                           the count date, no mark: incomplete, mark 0
  SCE-ADD-MARK-LATER / SCE-UPD-MARK-LATER  several enrolments, mark dated after the count
                                           date: sent without mark or credit
  SCE-UPD-CLOSEOUT ....................... in PAE 0004, no such class for the student in the
                                           school data: UPDATE W on the period start
  not sent: an ADD that left before the course end with no final mark and no full
  disclosure; an ADD that entered and left in the period with no final mark (except the
  ESL/ELD / credit-recovery D above).

OTHER_COURSE_INFO (types 1 credit recovery, 2 Ministry-developed content, from the stored
grade or section flags) against PAE 0004 columns 26/27: SCE-OCI-ADD for a type OnSIS does
not hold, SCE-OCI-DELETE for one it holds that is no longer wanted.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.classes import enrolment_inputs as inputs
from onsis_batch.segments.classes import enrolment_values as v
from onsis_batch.segments.classes.enrolment_counts import with_attendance, with_credit_allocation
from onsis_batch.segments.classes.enrolment_values import CLOSEOUT, ENROLLED, RowKind
from onsis_batch.segments.context import MISSING_OEN, SegmentContext
from onsis_batch.segments.engine import (
    ADD,
    DELETE,
    UPDATE,
    WANTED,
    Decision,
    Outcome,
    decide,
    finish,
    match,
    plan_schema,
    settle,
)
from onsis_batch.segments.located import at_data_rows, at_plan_rows

SCE, OCI = "STUDENT_CLASS_ENROLMENT", "OTHER_COURSE_INFO"
EXCLUDED_PREFIXES = ("PLE", "QEE", "QSE", "QMA", "QAP")
REPORTED_COURSE_TYPES = ("M", "L")
OCI_TYPES = {
    "1": ("credit_recovery", "other_course_info_credit_recovery"),
    "2": ("ministry_content", "other_course_info_ministry_content"),
}
INTERNAL = ("student_id", "section_id", "school_id", "term_id", "course_number")
# A row's situation, first that applies, and its rule id as an ADD and as an UPDATE.
WITHDRAWAL = pl.col("WITHDRAWAL_TYPE")
SITUATIONS = (
    (pl.col("unmarked_at_term_end"), "SCE-ADD-INCOMPLETE", "SCE-UPD-INCOMPLETE"),
    (pl.col("mark_pending"), "SCE-ADD-MARK-LATER", "SCE-UPD-MARK-LATER"),
    (WITHDRAWAL == "D", "SCE-ADD-DROPPED", "SCE-UPD-DROPPED"),
    (WITHDRAWAL == "W", "SCE-ADD-WITHDRAWN", "SCE-UPD-WITHDRAWN"),
    (pl.col("early"), "SCE-ADD-EARLY-MARK", "SCE-UPD-EARLY-MARK"),
)


def _situation(otherwise: str, column: int) -> pl.Expr:
    """The rule id of a wanted row's situation (`column` 1: as an ADD, 2: as an UPDATE)."""
    reason: pl.Expr = pl.lit(otherwise)
    for situation in reversed(SITUATIONS):
        reason = pl.when(situation[0]).then(pl.lit(situation[column])).otherwise(reason)
    return reason


# An ADD is left out when the student left before the course end with no final mark and
# no full disclosure, or entered and left in the period with no final mark (ESL/ELD and
# credit recovery with full disclosure excepted).
EARLY, FULL_DISCLOSURE = pl.col("early"), pl.col("full_disclosure")
ADD_ALLOWED = (
    ~EARLY
    | pl.col("final_mark")
    | (FULL_DISCLOSURE & (~pl.col("entered_in_period") | pl.col("esl_or_recovery")))
)
DECISION = Decision(
    key=("student_id", "class_key"),
    new=Outcome(ADD, pl.when(ADD_ALLOWED).then(_situation("SCE-ADD-NEW", 1))),
    held=Outcome(UPDATE, _situation("SCE-UPD-PAE", 2)),
    gone=Outcome(UPDATE, pl.when(pl.col("closable")).then(pl.lit("SCE-UPD-CLOSEOUT"))),
)
# OTHER_COURSE_INFO of a sent class enrolment: a type wanted and not held is added, one
# held and no longer wanted is deleted.
OCI_DECISION = Decision(
    key=("_parent", "OTHER_COURSE_INFO_TYPE"),
    new=Outcome(ADD, "SCE-OCI-ADD"),
    gone=Outcome(DELETE, "SCE-OCI-DELETE"),
)


# --- inputs ----------------------------------------------------------------------------------


def _reported(built: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """student_id (the STUDENT_SCHOOL_ENROLMENT `_id`) and oen_key of every reported student."""
    sse, students = built.get("STUDENT_SCHOOL_ENROLMENT"), built.get("STUDENT")
    if sse is None or students is None:
        return pl.DataFrame(schema={"student_id": pl.String, "oen_key": pl.String})
    oen = students.select(
        pl.col("_id").alias("student_id"),
        pl.when(pl.col("OEN") != MISSING_OEN).then(pl.col("OEN")).alias("oen_key"),
    )
    return sse.select(pl.col("_id").alias("student_id")).join(oen, on="student_id", how="left")


def _pending(ctx: SegmentContext, reported: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """PAE 0004 rows of each reported student with an OEN, by student and class code, with
    `closable`: the school data has no such class for the student, and OnSIS holds it open
    on or after the period start."""
    start = ctx.period.start
    held = inputs.pending(ctx).join(reported.filter(pl.col("oen_key").is_not_null()), on="oen_key")
    held = held.drop("oen_key").join(
        known.with_columns(pl.lit(True).alias("known")),
        on=["student_id", "class_key"],
        how="left",
    )
    end = pl.col("pae_course_end_date")
    closable = pl.col("known").is_null() & (end.is_null() | (end >= start))
    return held.with_columns(closable.alias("closable")).drop("known")


def _desired(frame: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """The merged rows the student attended in the period (started by the count date, left
    on or after the period start), with the facts their selection and values share."""
    period = ctx.period
    frame = frame.filter(
        (pl.col("start_raw") <= period.count_date) & (pl.col("left") >= period.start)
    )
    for stage in v.facts(period):
        frame = frame.with_columns(stage)
    return frame


def _closeout_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The classes OnSIS holds open that the school data no longer has for the student,
    without the school data's section, school, term and course."""
    return frame.with_columns(pl.lit(None).alias(c) for c in INTERNAL[1:])


# --- element values --------------------------------------------------------------------------

ElementRule = Callable[[SegmentContext, RowKind], pl.Expr]
FrameRule = Callable[[pl.DataFrame, SegmentContext, RowKind], pl.DataFrame]
# Every element's one derivation (enrolment_values.py), in stages: an expression may read
# the elements of the stages before its own. Then the elements that need a join
# (enrolment_counts.py).
ELEMENT_STAGES: tuple[tuple[ElementRule, ...], ...] = (
    (v.withdrawal_type, v.course_end_date, v.course_complete_flag),
    (
        v.class_code,
        v.ministry_dfnd_crs,
        v.institution_type,
        v.local_dev_crs,
        v.language_type,
        v.credit_value,
        v.course_delivery_type,
        v.course_sem_type,
        v.withdrawal_date,
        v.iep_flag,
        v.program,
        v.course_start_date,
        v.earned_credit_value,
        v.final_mark,
        v.course_incomplete_flag,
        v.course_repeat_flag,
        v.course_continued_flag,
    ),
)
JOINED_ELEMENTS: tuple[FrameRule, ...] = (with_attendance, with_credit_allocation)


def element_values(frame: pl.DataFrame, ctx: SegmentContext, kind: RowKind) -> pl.DataFrame:
    """The rows of one kind with every element column."""
    for stage in ELEMENT_STAGES:
        frame = frame.with_columns(rule(ctx, kind) for rule in stage)
    for joined in JOINED_ELEMENTS:
        frame = joined(frame, ctx, kind)
    return frame


# --- OTHER_COURSE_INFO -----------------------------------------------------------------------


def other_course_info_rows(selected: pl.DataFrame) -> pl.DataFrame:
    """The types each sent class enrolment wants (desired) and OnSIS holds (pending), decided;
    in type order, then the class enrolments' order."""
    wanted, held = [], []
    for code, (flag, pae_column) in OCI_TYPES.items():
        want = pl.col(f"section_{flag}").fill_null(False) | pl.col(f"stored_{flag}").fill_null(
            False
        )
        hold = pl.col(f"pae_{pae_column}").str.strip_chars().str.len_chars().fill_null(0) > 0
        of_type = [
            pl.col("_id").alias("_parent"),
            pl.lit(code).alias("OTHER_COURSE_INFO_TYPE"),
            pl.int_range(pl.len()).alias("_sce_row"),
        ]
        wanted.append(selected.select(*of_type, want.alias("_want")).filter("_want"))
        held.append(selected.select(*of_type[:2], hold.alias("_hold")).filter("_hold"))
    rows = decide(pl.concat(wanted).drop("_want"), pl.concat(held).drop("_hold"), OCI_DECISION)
    rows = rows.with_columns(
        pl.format("{}|{}", "_parent", "OTHER_COURSE_INFO_TYPE").alias("_id"),
        pl.col("OTHER_COURSE_INFO_TYPE").cast(pl.Int64).alias("_order"),
    )
    return finish(OCI, rows.sort("_order", "_sce_row", maintain_order=True))


# --- findings --------------------------------------------------------------------------------


def _findings(ctx: SegmentContext, rows: pl.DataFrame, reported: pl.DataFrame) -> list[Finding]:
    """Class enrolments naming a section nobody knows, and courses without a type (their
    classes are not reported). Stored grades naming an unknown section are CLS004."""
    ids = reported.get_column("student_id").implode()
    known = ctx.table("sections").select("section_id")
    unknown_class = (
        ctx.table("class_enrolments")
        .filter(pl.col("student_id").is_in(ids) & (pl.col("date_left") > ctx.period.year_start))
        .join(known, on="section_id", how="anti")
    )
    untyped = (
        rows.filter(pl.col("course_type").is_null())
        .unique("course_number", keep="first", maintain_order=True)
        .join(
            ctx.table("courses").select("course_number", pl.col("_row").alias("course_row")),
            on="course_number",
            how="left",
        )
    )
    return [
        *at_data_rows(
            "SCE001",
            unknown_class,
            "class_enrolments",
            "section_id",
            value=FromColumn("section_id"),
            student_id=FromColumn("student_id"),
        ),
        *at_data_rows(
            "SCE003",
            untyped,
            "courses",
            "course_type",
            row="course_row",
            key=FromColumn("course_number"),
        ),
    ]


# --- builder ---------------------------------------------------------------------------------


def build_class_enrolments(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """STUDENT_CLASS_ENROLMENT rows under the reported students, and their OTHER_COURSE_INFO."""
    reported = _reported(built)
    rows = inputs.this_year(ctx, reported.get_column("student_id")).join(
        inputs.sections(ctx).rename(
            {
                "is_previous_year": "section_previous_year",
                "language": "section_language",
                "is_independent_study": "section_independent_study",
            }
        ),
        on="section_id",
    )
    found = _findings(ctx, rows, reported)
    known = rows.select("student_id", "class_key").unique()
    reportable = rows.filter(
        pl.col("course_type").is_in(REPORTED_COURSE_TYPES)
        & ~pl.col("course_code").str.slice(0, 3).is_in(EXCLUDED_PREFIXES)
    )
    grades = ctx.table("stored_grades").filter(pl.col("section_id").is_not_null())
    merged = inputs.with_grades(
        inputs.with_school_span(ctx, inputs.merged_rows(reportable)), grades
    ).join(reported, on="student_id")
    desired = _desired(inputs.with_repeat(merged, ctx), ctx)
    matched = match(desired, _pending(ctx, reported, known), DECISION).with_columns(
        pl.format("{}|{}", "student_id", "class_key").alias("_id"),
        pl.col("student_id").alias("_parent"),
    )
    wanted = element_values(matched.filter(pl.col(WANTED)), ctx, ENROLLED)
    selected = settle(wanted, DECISION)
    gone = _closeout_rows(matched.filter(~pl.col(WANTED)))
    closeouts = settle(element_values(gone, ctx, CLOSEOUT), DECISION)
    found += at_plan_rows("SCE004", closeouts, SCE, date=ctx.period.start.isoformat())
    shape = [pl.col(c).cast(t) for c, t in plan_schema(SCE).items() if c != "_order"]
    shape += [pl.col(c).cast(pl.String) for c in INTERNAL]
    rows = pl.concat([f.select(shape) for f in (selected, closeouts)])
    frame = finish(SCE, rows, order_by=("_parent", "CLASS_CODE"), extra=INTERNAL)
    return {SCE: frame, OCI: other_course_info_rows(selected)}, found
