"""Extracts 0009 (School Educator Assignment) and 0010 (Assigned Classes) for the synthetic
educators: what the submission before each period left OnSIS holding (see educators.py)."""

from __future__ import annotations

from datetime import date

import polars as pl

from onsis_batch.synth.calendar import Calendar

# changes made in the SIS after each submission:
# (role, type held but gone from the SIS, type in the SIS not yet held)
CHANGES = {
    "oct": [("counsellor", "LIB", None), ("vice_principal", None, "TEC")],
    "mar": [("counsellor", None, "SSS"), ("vice_principal", "SAS", None)],
    "jun": [("counsellor", "EOY", None), ("vice_principal", None, "ADM")],
}


def _in_effect(start: str, end: str, first: date | pl.Expr, last: date | pl.Expr) -> pl.Expr:
    """Whether a span from the `start` column to the `end` column (both inclusive, null for
    open) meets the days from `first` to `last`."""
    return (pl.col(start).is_null() | (pl.col(start) <= last)) & (
        pl.col(end).is_null() | (pl.col(end) >= first)
    )


def held_assignments(
    kind: str, rows: pl.DataFrame, times: pl.DataFrame, cal: Calendar
) -> pl.DataFrame:
    """0009 rows: assignments active in the previous period, one row per time type."""
    start, end = cal.submission_before(kind)
    active = rows.filter(_in_effect("start_date", "end_date", start, end))
    if kind == "oct":  # last year nobody was on leave or leaving yet
        active = active.with_columns(pl.lit(None, dtype=pl.String).alias("withdrawal_type"))
    key = ["_bsid", "educator_id", "position_type", "leave_type", "withdrawal_type"]
    held = active.group_by(key, maintain_order=True).agg(
        pl.col("men").first(),
        pl.col("fte").sum(),
        pl.col("start_date").min(),
        pl.col("board_employee_number").first(),
        pl.col("teaching_type").first(),
        pl.col("role").first(),
        pl.col("assignment_id"),
    )
    held_times = (
        held.select("educator_id", "assignment_id", "role", "leave_type")
        .explode("assignment_id")
        .join(times, on="assignment_id")
        .select("educator_id", "role", "time_type")
    )
    for role, gone, added in CHANGES[kind]:
        if added:  # added in the SIS after the submission: not held yet
            held_times = held_times.filter(
                ~((pl.col("role") == role) & (pl.col("time_type") == added))
            )
        if gone:  # removed from the SIS after the submission: still held
            extra = held.filter((pl.col("role") == role) & pl.col("leave_type").is_null())
            extra = extra.select("educator_id", "role", pl.lit(gone).alias("time_type"))
            held_times = pl.concat([held_times, extra])
    held_times = held_times.unique(["educator_id", "time_type"], keep="first")
    out = held.join(held_times.drop("role"), on="educator_id", how="left")
    return out.sort("_bsid", "men", "position_type", "time_type", nulls_last=True).select(
        "_bsid",
        "men",
        "position_type",
        pl.col("leave_type").alias("educator_leave_type"),
        pl.col("withdrawal_type").alias("assignment_wthd_type"),
        "fte",
        "board_employee_number",
        pl.col("start_date").alias("assignment_start_date"),
        pl.col("time_type").alias("instructional_tm_type"),
        "teaching_type",
        pl.lit(True).alias("prepopulation_flag"),
    )


def held_classes(
    kind: str,
    rows: pl.DataFrame,
    leads: pl.DataFrame,
    classes: pl.DataFrame,
    named: pl.DataFrame,
    cal: Calendar,
) -> pl.DataFrame:
    """0010 rows: classes running in the previous period under the lead teacher then (the
    librarian's named class only), with one class held under teacher 7 instead of its
    teacher."""
    start, end = cal.submission_before(kind)
    staff = rows.filter(
        _in_effect("start_date", "end_date", start, end)
        & pl.col("leave_type").is_null()
        & pl.col("class_assignment")
    ).select(
        "educator_id",
        "men",
        "position_type",
        "number",
        pl.col("role").alias("_staff_role"),
        "school_id",
        pl.col("start_date").alias("_from"),
        pl.col("end_date").alias("_to"),
    )
    running = classes.filter((pl.col("first") <= end) & (pl.col("last") >= start))
    as_of = pl.min_horizontal(pl.lit(end), pl.col("last"))
    role_on = _in_effect("start_date", "end_date", as_of, as_of)
    working = _in_effect("_from", "_to", as_of, as_of)
    librarian_named = (pl.col("_staff_role") != "librarian") | pl.col("section_id").is_in(
        named.get_column("section_id").implode()
    )
    held = (
        leads.filter(pl.col("is_lead"))
        .join(running, on="section_id")
        .join(staff, on="educator_id")
        .filter(role_on & working & librarian_named)
        .select("_bsid", "school_id", "men", "position_type", "number", "class_code")
        .unique()
    )
    moved = (
        held.filter(~pl.col("number").is_in([3, 6, 7]))
        .sort("number", "class_code")
        .unique("school_id", keep="first")
    )
    held = held.join(
        moved.select("school_id", "class_code"), on=["school_id", "class_code"], how="anti"
    )
    seven = (
        staff.filter(pl.col("number") == 7)
        .unique("school_id")
        .select("school_id", "men", "position_type")
    )
    moved = moved.drop("men", "position_type").join(seven, on="school_id")
    frame = pl.concat([held, moved.select(held.columns)])
    return frame.sort("_bsid", "men", "class_code").select(
        "_bsid", "men", "position_type", "class_code"
    )
