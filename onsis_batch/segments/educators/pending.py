"""What OnSIS holds for the BSID's educators: extracts 0009 (assignments, with their
instructional time types) and 0010 (assigned classes)."""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext, class_code, text

HELD_KEY = ["men", "position", "leave", "wthd"]


def held_assignments(ctx: SegmentContext) -> pl.DataFrame:
    """One row per assignment OnSIS holds (MEN, position, leave, withdrawal); a 0009 row per
    instructional time type of an assignment is folded into the list `pae_times` (D102)."""
    frame: pl.DataFrame = ctx.cached("held_educator_assignments", lambda: _held(ctx))
    return frame


def _held(ctx: SegmentContext) -> pl.DataFrame:
    rows = ctx.extract("0009").select(
        text("men").alias("men"),
        text("position_type").str.to_uppercase().alias("position"),
        text("educator_leave_type").str.to_uppercase().alias("leave"),
        text("assignment_wthd_type").str.to_uppercase().alias("wthd"),
        pl.col("fte").alias("pae_fte"),
        text("instructional_tm_type").str.to_uppercase().alias("time_type"),
        pl.col("_row").alias("pae_row"),
    )
    return (
        rows.filter(pl.col("men").is_not_null() & pl.col("position").is_not_null())
        .group_by(HELD_KEY, maintain_order=True)
        .agg(
            pl.col("pae_fte").drop_nulls().first(),
            pl.col("pae_row").min(),
            pl.col("time_type").drop_nulls().unique(maintain_order=True).alias("pae_times"),
        )
    )


def held_men(ctx: SegmentContext) -> pl.DataFrame:
    """MEN OnSIS holds any assignment for, with the position type of one of them (TEA
    first, else the first in the file)."""
    held = held_assignments(ctx)
    return (
        held.sort(pl.col("position") != "TEA", "pae_row")
        .unique("men", keep="first", maintain_order=True)
        .select("men", pl.col("position").alias("pae_position"))
    )


def held_classes(ctx: SegmentContext) -> pl.DataFrame:
    """Class assignments OnSIS holds: MEN, position type and class code (compared
    case-insensitively, spaces removed)."""
    return (
        ctx.extract("0010")
        .select(
            text("men").alias("men"),
            text("position_type").str.to_uppercase().alias("POSITION_TYPE"),
            class_code(text("class_code")).alias("class_code"),
        )
        .drop_nulls()
        .unique(maintain_order=True)
    )
