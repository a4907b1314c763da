"""Educator assignments as the educator segments read them, and the input findings.

An assignment is considered when it belongs to a school of the BSID, the educator has an
active staff record at that school, it has a position type and a start date (else the
warning EDU003) and the educator has a MEN (else the warning EDU001) of nine digits (else
the error EDU002: such a MEN cannot be sent). Assignments that ended before the period
or start after its count date play no part in this submission.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import SegmentContext, text
from onsis_batch.segments.located import at_data_rows
from onsis_batch.segments.not_sent import EDUCATOR, bsid_schools, note

MEN_PATTERN = r"^\d{9}$"


def educators(ctx: SegmentContext) -> pl.DataFrame:
    """One row per educator: MEN, board employee number, gender, and the file row."""
    return (
        ctx.table("educators")
        .unique("educator_id", keep="first", maintain_order=True)
        .select(
            "educator_id",
            text("men").alias("men"),
            text("board_employee_number").alias("board_employee_number"),
            pl.col("gender"),
            text("gender_description").alias("gender_description"),
            pl.col("_row").alias("educator_row"),
        )
    )


def active_staff(ctx: SegmentContext) -> pl.DataFrame:
    """(educator_id, school_id) pairs with an active staff record at a school of the BSID."""
    return (
        ctx.table("educator_schools")
        .filter(pl.col("active") & pl.col("school_id").is_in(list(ctx.period.school_ids)))
        .select("educator_id", "school_id")
        .unique(maintain_order=True)
    )


def _relevant(ctx: SegmentContext) -> pl.Expr:
    """Assignments that overlap the period (undated ones are kept for EDU003)."""
    period = ctx.period
    start, end = pl.col("start_date"), pl.col("end_date")
    return (start.is_null() | (start <= period.count_date)) & (
        end.is_null() | (end >= period.start)
    )


def assignments(ctx: SegmentContext) -> tuple[pl.DataFrame, list[Finding]]:
    """The assignments this submission works with, one row each, and the input findings."""
    staff = active_staff(ctx).with_columns(pl.lit(True).alias("_staff"))
    table = ctx.table("educator_assignments")
    reporting = pl.col("school_id").is_in(list(ctx.period.school_ids))
    _note(
        ctx,
        table.filter(~reporting & pl.col("school_id").is_in(bsid_schools(ctx).implode())),
        "NOTSENT-EDU-SCHOOL",
    )
    _note(ctx, table.filter(reporting & ~_relevant(ctx)), "NOTSENT-EDU-OUT-OF-PERIOD")
    rows = table.filter(reporting & _relevant(ctx)).join(
        staff, on=["educator_id", "school_id"], how="left", maintain_order="left"
    )
    _note(ctx, rows.filter(~pl.col("_staff").fill_null(False)), "NOTSENT-EDU-NOT-ACTIVE")
    rows = rows.filter(pl.col("_staff").fill_null(False)).join(
        educators(ctx), on="educator_id", how="left", maintain_order="left"
    )
    undated = rows.filter(pl.col("position_type").is_null() | pl.col("start_date").is_null())
    _note(ctx, undated, "NOTSENT-EDU-INCOMPLETE")
    found = at_data_rows(
        "EDU003",
        undated.with_columns(
            pl.when(pl.col("position_type").is_null())
            .then(pl.lit("position_type"))
            .otherwise(pl.lit("start_date"))
            .alias("_missing")
        ),
        "educator_assignments",
        FromColumn("_missing"),
        assignment_id=FromColumn("assignment_id"),
    )
    rows = rows.filter(pl.col("position_type").is_not_null() & pl.col("start_date").is_not_null())
    found += men_findings(rows)
    good_men = pl.col("men").str.contains(MEN_PATTERN).fill_null(False)
    _note(ctx, rows.filter(~good_men), "NOTSENT-EDU-NO-MEN")
    return _typed(rows.filter(good_men)), found


def _note(ctx: SegmentContext, dropped: pl.DataFrame, reason: str) -> None:
    """Not sent: the educators of the assignment rows a step drops, for `reason`."""
    note(ctx, EDUCATOR, dropped.get_column("educator_id"), reason)


def men_findings(rows: pl.DataFrame) -> list[Finding]:
    """EDU001 for educators without a MEN, EDU002 for a MEN that is not nine digits; once
    per educator."""
    people = rows.unique("educator_id", keep="first", maintain_order=True).sort("educator_row")
    missing = people.filter(pl.col("men").is_null())
    bad = people.filter(pl.col("men").is_not_null() & ~pl.col("men").str.contains(MEN_PATTERN))
    return at_data_rows(
        "EDU001",
        missing,
        "educators",
        "men",
        row="educator_row",
        educator_id=FromColumn("educator_id"),
    ) + at_data_rows(
        "EDU002",
        bad.with_columns(pl.col("men").str.len_chars().alias("_length")),
        "educators",
        "men",
        row="educator_row",
        length=FromColumn("_length"),
        educator_id=FromColumn("educator_id"),
    )


def _typed(rows: pl.DataFrame) -> pl.DataFrame:
    """The working columns of an assignment, codes upper-cased."""
    return rows.select(
        "assignment_id",
        "educator_id",
        "school_id",
        "men",
        pl.col("position_type").alias("position"),
        pl.col("start_date").alias("start"),
        pl.col("end_date").alias("end"),
        pl.col("fte"),
        pl.col("leave_type").alias("leave"),
        pl.col("withdrawal_type").alias("wthd"),
        pl.col("department_type").alias("department"),
        pl.col("teaching_type").alias("teaching"),
        pl.col("ntip_status").alias("ntip"),
        pl.col("class_assignment").fill_null(False).alias("class_flag"),
        "board_employee_number",
        "gender",
        "gender_description",
        pl.col("_row").alias("assignment_row"),
    )
