"""SCHOOL_EDUCATOR_ASSIGNMENT element values: one function per element, for every kind of row.

A row of the segment is one of two kinds (`RowKind`), and a run sends only one of them:

- FULL: a combined assignment of the assignment tables (assignments.py), decided; it
  carries the group's `men`, `position`, `start`, `end`, `fte`, `leave`, `wthd`,
  `department`, `teaching`, `ntip`, the educator's columns and `_action` / `_reason`.
- MINIMAL: when the board excludes teacher reporting, one row per educator teaching a class
  (minimal.py); it carries the educator's columns, `_first` (the first day of their
  earliest class) and `pae_position` when OnSIS holds the MEN. Elements a minimal row never
  sends are empty here and left out by minimal.py.

Each function gives one element's expression for a kind of row: it is the one place the
element is derived, and segment_specs/SCHOOL_EDUCATOR_ASSIGNMENT.yaml names it (D560).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import polars as pl

from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import ADD

RowKind = Literal["full", "minimal"]
FULL: RowKind = "full"
MINIMAL: RowKind = "minimal"
ADD_LEAVE = "SEA-ADD-LEAVE"  # a leave added to a held assignment starts on the period start
MINIMAL_POSITION = "TEA"
MINIMAL_TEACHING = "T"


def _added() -> pl.Expr:
    return pl.col("_action") == ADD


def _none(name: str) -> pl.Expr:
    """An element a minimal row never sends."""
    return pl.lit(None).alias(name)


def men(_ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """The educator's MEN."""
    return pl.col("men").alias("MEN")


def position_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The assignment's position type; minimal: the one OnSIS holds for the MEN, else TEA."""
    if kind == MINIMAL:
        return pl.coalesce("pae_position", pl.lit(MINIMAL_POSITION)).alias("POSITION_TYPE")
    return pl.col("position").alias("POSITION_TYPE")


def educator_leave_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The leave type, on ADD only."""
    if kind == MINIMAL:
        return _none("EDUCATOR_LEAVE_TYPE")
    return pl.when(_added()).then(pl.col("leave")).alias("EDUCATOR_LEAVE_TYPE")


def new_educator_leave_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The leave type, on UPDATE only."""
    if kind == MINIMAL:
        return _none("NEW_EDUCATOR_LEAVE_TYPE")
    return pl.when(~_added()).then(pl.col("leave")).alias("NEW_EDUCATOR_LEAVE_TYPE")


def assignment_wthd_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The withdrawal type, on ADD only."""
    if kind == MINIMAL:
        return _none("ASSIGNMENT_WTHD_TYPE")
    return pl.when(_added()).then(pl.col("wthd")).alias("ASSIGNMENT_WTHD_TYPE")


def new_assignment_wthd_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The withdrawal type, on UPDATE only."""
    if kind == MINIMAL:
        return _none("NEW_ASSIGNMENT_WTHD_TYPE")
    return pl.when(~_added()).then(pl.col("wthd")).alias("NEW_ASSIGNMENT_WTHD_TYPE")


def assignment_start_date(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The group's earliest start; the period start for a leave added to a held assignment.
    Minimal: the first day of the earliest class, not before the period start (D108)."""
    start = pl.lit(ctx.period.start)
    if kind == MINIMAL:
        return pl.max_horizontal(pl.col("_first"), start).alias("ASSIGNMENT_START_DATE")
    return (
        pl.when(pl.col("_reason") == ADD_LEAVE)
        .then(start)
        .otherwise(pl.col("start"))
        .alias("ASSIGNMENT_START_DATE")
    )


def assignment_end_date(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The group's latest end, empty when one of its assignments is open."""
    if kind == MINIMAL:
        return _none("ASSIGNMENT_END_DATE")
    return pl.col("end").alias("ASSIGNMENT_END_DATE")


def fte(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The group's FTE summed; 1.00 when minimal."""
    if kind == MINIMAL:
        return pl.lit(1.0).alias("FTE")
    return pl.col("fte").alias("FTE")


def department_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The assignment's department type."""
    if kind == MINIMAL:
        return _none("DEPARTMENT_TYPE")
    return pl.col("department").alias("DEPARTMENT_TYPE")


def board_employee_number(_ctx: SegmentContext, _kind: RowKind) -> pl.Expr:
    """The educator's board employee number."""
    return pl.col("board_employee_number").alias("BOARD_EMPLOYEE_NUMBER")


def teaching_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The assignment's teaching type, N/A with a withdrawal; T when minimal."""
    if kind == MINIMAL:
        return pl.lit(MINIMAL_TEACHING).alias("TEACHING_TYPE")
    return (
        pl.when(pl.col("wthd").is_not_null())
        .then(pl.lit("N/A"))
        .otherwise(pl.col("teaching"))
        .alias("TEACHING_TYPE")
    )


def core_flag(ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """Empty for public schools, F for private schools reporting it (else left out by
    assignments.py); T when minimal. Held as the text sent."""
    if kind == MINIMAL:
        return pl.lit("T").alias("CORE_FLAG")
    period = ctx.period
    value = "F" if period.private and period.report_core_flag else None
    return pl.lit(value, pl.String).alias("CORE_FLAG")


def ntip_status_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The assignment's NTIP status."""
    if kind == MINIMAL:
        return _none("NTIP_STATUS_TYPE")
    return pl.col("ntip").alias("NTIP_STATUS_TYPE")


def gender_type(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The educator's gender."""
    if kind == MINIMAL:
        return _none("GENDER_TYPE")
    return pl.col("gender").alias("GENDER_TYPE")


def gender_desc(_ctx: SegmentContext, kind: RowKind) -> pl.Expr:
    """The educator's gender description, only with gender S."""
    if kind == MINIMAL:
        return _none("GENDER_DESC")
    return pl.when(pl.col("gender") == "S").then(pl.col("gender_description")).alias("GENDER_DESC")


ElementRule = Callable[[SegmentContext, RowKind], pl.Expr]
# Every element of the segment; none reads another, so they run in one stage.
ELEMENTS: tuple[ElementRule, ...] = (
    men,
    position_type,
    educator_leave_type,
    new_educator_leave_type,
    assignment_wthd_type,
    new_assignment_wthd_type,
    assignment_start_date,
    assignment_end_date,
    fte,
    department_type,
    board_employee_number,
    teaching_type,
    core_flag,
    ntip_status_type,
    gender_type,
    gender_desc,
)


def element_values(ctx: SegmentContext, kind: RowKind) -> list[pl.Expr]:
    """Every element column of a row of that kind."""
    return [rule(ctx, kind) for rule in ELEMENTS]
