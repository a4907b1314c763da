"""SCHOOL_EDUCATOR_ASSIGNMENT with its INSTRUCTIONAL_TM and CLASS_ASSIGNMENT rows.

Each combined assignment (see educator_groups) is decided against PAE 0009 (P = period
start, E = count date; "held" = 0009 has the MEN and position type, see educator_pae):

  starts in the period, held with the same leave and withdrawal
  type (OnSIS accepted it from an earlier file of the period) .. UPDATE  SEA-UPD-RESENT
  starts in the period, open past E ............................ ADD     SEA-ADD-NEW
  starts and ends in the period with a withdrawal, held with a
  smaller FTE .................................................. ADD     SEA-ADD-WTHD
  started before P, open past E, a leave, held with a larger FTE
  and no held assignment has that leave (start sent = P) ....... ADD     SEA-ADD-LEAVE
  starts and ends in the period with a withdrawal, teaches a class
  that starts and ends in the period, active on its last day ... ADD     SEA-ADD-SHORT
  started before P, open past P, held .......................... UPDATE  SEA-UPD-HELD
  started before P, open past P, OnSIS holds the MEN under another
  position type (the assignment's type is sent, so that OnSIS
  reports the assignment that was never ended) ................. UPDATE  SEA-UPD-MEN
  anything else ................................................ not sent

The leave and withdrawal type go in EDUCATOR_LEAVE_TYPE / ASSIGNMENT_WTHD_TYPE on an ADD
and in NEW_EDUCATOR_LEAVE_TYPE / NEW_ASSIGNMENT_WTHD_TYPE on an UPDATE. Rows are ordered
by MEN, and the renderer writes UPDATE rows before ADD rows. When the board excludes
teacher reporting only minimal rows are sent (see educator_minimal); from 2023-2024 a
private school sends none.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.plan.model import OMIT_SUFFIX
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.educators.assignment_children import (
    class_assignment_rows,
    instructional_rows,
    short_class_members,
    teaching_links,
)
from onsis_batch.segments.educators.assignment_values import FULL, element_values
from onsis_batch.segments.educators.groups import drop_duplicates, group_assignments
from onsis_batch.segments.educators.inputs import assignments
from onsis_batch.segments.educators.minimal import minimal_rows
from onsis_batch.segments.educators.pending import held_assignments, held_men
from onsis_batch.segments.engine import (
    ADD,
    HELD,
    UPDATE,
    WANTED,
    Decision,
    Outcome,
    finish,
    match,
    plan_schema,
    settle,
)
from onsis_batch.segments.not_sent import EDUCATOR, note

SEA = "SCHOOL_EDUCATOR_ASSIGNMENT"
PRIVATE_LAST_YEAR = "2022-2023"  # private schools send no educator segments after this year
OMITTABLE = [
    "GENDER_TYPE",
    "GENDER_DESC",
    "EDUCATOR_LEAVE_TYPE",
    "NEW_EDUCATOR_LEAVE_TYPE",
    "ASSIGNMENT_WTHD_TYPE",
    "NEW_ASSIGNMENT_WTHD_TYPE",
    "ASSIGNMENT_START_DATE",
    "ASSIGNMENT_END_DATE",
    "FTE",
    "DEPARTMENT_TYPE",
    "BOARD_EMPLOYEE_NUMBER",
    "TEACHING_TYPE",
    "CORE_FLAG",
    "NTIP_STATUS_TYPE",
]
# working columns the child builders read, beside the plan's own
WORK: dict[str, pl.DataType] = {
    "educator_id": pl.String(),
    "members": pl.List(pl.String()),
    "start": pl.Date(),
    "end": pl.Date(),
    "class_flag": pl.Boolean(),
    "leave": pl.String(),
    "minimal": pl.Boolean(),
    "pae_times": pl.List(pl.String()),
}
# Columns some rows lack (the minimal rows, an omitted element): null when missing.
OPTIONAL: dict[str, pl.DataType] = {
    **{f"{name}{OMIT_SUFFIX}": pl.Boolean() for name in OMITTABLE},
    **WORK,
}


def sends_educators(ctx: SegmentContext) -> bool:
    """Whether the run sends educator segments (private schools stop after 2022-2023)."""
    period = ctx.period
    return not (period.private and period.school_year > PRIVATE_LAST_YEAR)


# An assignment is held as the 0009 assignment of its MEN and position type with the same
# leave type, else the same withdrawal type, else the first in the file.
SAME_LEAVE = pl.col("leave").eq_missing(pl.col("pae_leave"))
MATCH = Decision(
    key=("men", "position"),
    prefer=(~SAME_LEAVE, ~pl.col("wthd").eq_missing(pl.col("pae_wthd")), pl.col("pae_row")),
)


def _pending(ctx: SegmentContext) -> pl.DataFrame:
    """The assignments OnSIS holds, their leave and withdrawal types named as held."""
    return held_assignments(ctx).rename({"leave": "pae_leave", "wthd": "pae_wthd"})


def _pae_fte_by_assignment(rows: pl.DataFrame, pending: pl.DataFrame) -> pl.DataFrame:
    """The FTE of the held assignment each SIS assignment matches (for group rule 4)."""
    matched = match(rows, pending, MATCH).filter(pl.col(WANTED))
    return matched.select("assignment_id", pl.col("pae_fte").alias("_pae_fte"))


def _decision(ctx: SegmentContext, short: pl.Series) -> Decision:
    """The action and rule of each group, held or not (no rule: not sent); OnSIS's
    assignments no group holds are not sent."""
    p, e = ctx.period.start, ctx.period.count_date
    start, end = pl.col("start"), pl.col("end")
    open_past_e = end.is_null() | (end > e)
    open_past_p = end.is_null() | (end > p)
    starts_in = start.is_between(p, e)
    ends_in = end.is_not_null() & (end <= e)
    wthd, leave, held = pl.col("wthd").is_not_null(), pl.col("leave").is_not_null(), pl.col(HELD)
    add_leave = (
        (start < p) & open_past_e & leave & held & ~SAME_LEAVE & (pl.col("fte") < pl.col("pae_fte"))
    )
    # The rule book assumes OnSIS never holds an assignment starting in the period; it
    # does once it has accepted a file of the period, and a second ADD would be refused.
    resent = starts_in & held & SAME_LEAVE & pl.col("wthd").eq_missing(pl.col("pae_wthd"))
    in_short = pl.col("members").list.eval(pl.element().is_in(short.implode())).list.any()
    reason = (
        pl.when(resent)
        .then(pl.lit("SEA-UPD-RESENT"))
        .when(starts_in & open_past_e)
        .then(pl.lit("SEA-ADD-NEW"))
        .when(starts_in & ends_in & wthd & held & (pl.col("pae_fte") < pl.col("fte")))
        .then(pl.lit("SEA-ADD-WTHD"))
        .when(add_leave)
        .then(pl.lit("SEA-ADD-LEAVE"))
        .when(starts_in & ends_in & wthd & in_short)
        .then(pl.lit("SEA-ADD-SHORT"))
        .when((start < p) & open_past_p & held)
        .then(pl.lit("SEA-UPD-HELD"))
        .when((start < p) & open_past_p & pl.col("men_held"))
        .then(pl.lit("SEA-UPD-MEN"))
    )
    action = pl.when(reason.str.starts_with("SEA-ADD")).then(pl.lit(ADD)).otherwise(pl.lit(UPDATE))
    outcome = Outcome(action, reason)
    return Decision(key=MATCH.key, new=outcome, held=outcome, prefer=MATCH.prefer)


def _elements(ctx: SegmentContext, rows: pl.DataFrame) -> pl.DataFrame:
    """Element values (assignment_values.py) and the elements a row leaves out."""
    period = ctx.period
    add = pl.col("_action") == ADD
    omit_core = period.private and not period.report_core_flag
    return rows.with_columns(
        pl.format(
            "SEA|{}|{}|{}|{}",
            "men",
            "position",
            pl.col("leave").fill_null(""),
            pl.col("wthd").fill_null(""),
        ).alias("_id"),
        *element_values(ctx, FULL),
        add.alias("NEW_EDUCATOR_LEAVE_TYPE__omit"),
        add.alias("NEW_ASSIGNMENT_WTHD_TYPE__omit"),
        (~add).alias("EDUCATOR_LEAVE_TYPE__omit"),
        (~add).alias("ASSIGNMENT_WTHD_TYPE__omit"),
        pl.lit(omit_core).alias("CORE_FLAG__omit"),
        pl.lit(False).alias("minimal"),
    )


def _full_rows(ctx: SegmentContext, links: pl.DataFrame) -> tuple[pl.DataFrame, list[Finding]]:
    """The assignment rows when teacher reporting is not excluded."""
    rows, found = assignments(ctx)
    pending = _pending(ctx)
    groups = group_assignments(rows, ctx.period, _pae_fte_by_assignment(rows, pending))
    groups, duplicates = drop_duplicates(groups)
    decision = _decision(ctx, short_class_members(ctx, rows, links))
    groups = match(groups, pending, decision).filter(pl.col(WANTED))
    men = held_men(ctx).select("men", pl.lit(True).alias("men_held"))
    groups = groups.join(men, on="men", how="left", maintain_order="left").with_columns(
        pl.col("men_held").fill_null(False)
    )
    settled = settle(groups, decision)
    unsent = groups.filter(
        ~pl.col("educator_id").is_in(settled.get_column("educator_id").implode())
    )
    note(ctx, EDUCATOR, unsent.get_column("educator_id"), "NOTSENT-EDU-NO-RULE")
    return _elements(ctx, settled), found + duplicates


def _finish(frame: pl.DataFrame) -> pl.DataFrame:
    """The SEA plan frame (with the WORK columns the child builders read), ordered by MEN."""
    wanted = {**plan_schema(SEA), **OPTIONAL}
    missing = [n for n in wanted if n not in frame.columns and n not in ("_order", "_parent")]
    frame = frame.with_columns(
        *[pl.lit(None, dtype=wanted[n]).alias(n) for n in missing],
        pl.lit(None, dtype=pl.String).alias("_parent"),
    )
    rows = finish(SEA, frame, order_by=("men", "position", "_id"), extra=list(WORK))
    omitted = [f"{name}{OMIT_SUFFIX}" for name in OMITTABLE]
    return rows.select(*plan_schema(SEA), *omitted, *WORK)


def build_educators(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """SCHOOL_EDUCATOR_ASSIGNMENT rows (`_id` SEA|MEN|position|leave|withdrawal) and their
    INSTRUCTIONAL_TM and CLASS_ASSIGNMENT rows (`_id` parent id|type or class code)."""
    if not sends_educators(ctx):
        note(ctx, EDUCATOR, ctx.table("educators").get_column("educator_id"), "NOTSENT-EDU-PRIVATE")
        return {}, []
    links = teaching_links(ctx)
    if ctx.period.exclude_teacher_reporting:
        # The assignment tables are not read: every educator without a class is left out.
        ids = ctx.table("educators").get_column("educator_id")
        note(ctx, EDUCATOR, ids, "NOTSENT-EDU-MINIMAL")
        rows, found = minimal_rows(ctx, links)
    else:
        rows, found = _full_rows(ctx, links)
    sea = _finish(rows)
    frames = {
        SEA: sea.drop(list(WORK)),
        "INSTRUCTIONAL_TM": instructional_rows(ctx, sea),
        "CLASS_ASSIGNMENT": class_assignment_rows(ctx, sea, links),
    }
    return frames, found
