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


def match_held(frame: pl.DataFrame, held: pl.DataFrame, on: str = "position") -> pl.DataFrame:
    """For each row of `frame` (one per `_id`), the held assignment of the same MEN and
    position it matches: the one with the same leave type first, then the same withdrawal
    type, then the first in the file. Adds `pae_match`, `pae_same_leave`, `pae_fte`,
    `pae_times`, `pae_leave` and `pae_wthd`."""
    candidates = held.rename(
        {"position": on, "leave": "pae_leave", "wthd": "pae_wthd"}
    ).with_columns(pl.lit(True).alias("pae_match"))
    joined = frame.join(candidates, on=["men", on], how="left", maintain_order="left")
    same_leave = pl.col("leave").eq_missing(pl.col("pae_leave")) & pl.col("pae_match")
    same_wthd = pl.col("wthd").eq_missing(pl.col("pae_wthd"))
    joined = joined.with_columns(same_leave.fill_null(False).alias("pae_same_leave"))
    best = (
        joined.with_columns(same_wthd.alias("_same_wthd"), pl.int_range(pl.len()).alias("_seq"))
        .sort(
            ["pae_same_leave", "_same_wthd", "pae_row", "_seq"],
            descending=[True, True, False, False],
            nulls_last=True,
        )
        .unique("_id", keep="first")
        .sort("_seq")
        .drop("_same_wthd", "_seq", "pae_row")
    )
    return best.with_columns(pl.col("pae_match").fill_null(False))


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
