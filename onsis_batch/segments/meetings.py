"""When classes meet: one row per section and in-session day it meets.

A section meets on every in-session day of its school's calendar that falls in its term,
on the cycle days its `section_meetings` rows name (a row with no cycle day, or a section
with no rows, means every in-session day). TOTAL_CLASS_COURSE, TOTAL_CLASSES, the classes
missed on G days and the scheduled minutes behind FTE all count these rows.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.segments.context import SegmentContext


def section_meeting_days(ctx: SegmentContext) -> pl.DataFrame:
    """section_id, school_id, date, minutes (null when unknown), is_g_day.

    Limited to the sections of the BSID's schools and to days inside each section's term.
    """
    schools = list(ctx.period.school_ids)
    sections = (
        ctx.table("sections")
        .filter(pl.col("school_id").is_in(schools))
        .join(ctx.table("terms").select("term_id", "first_day", "last_day"), on="term_id")
        .select("section_id", "school_id", "first_day", "last_day")
    )
    days = ctx.table("calendar_days").filter(
        pl.col("school_id").is_in(schools) & pl.col("in_session")
    )
    in_term = sections.join(days, on="school_id").filter(
        pl.col("date").is_between(pl.col("first_day"), pl.col("last_day"))
    )
    meetings = ctx.table("section_meetings").select("section_id", "cycle_day", "minutes")
    every_day = meetings.filter(pl.col("cycle_day").is_null()).drop("cycle_day")
    by_cycle = meetings.filter(pl.col("cycle_day").is_not_null())
    unscheduled = in_term.join(meetings.select("section_id").unique(), on="section_id", how="anti")
    matched = [
        in_term.join(every_day, on="section_id"),
        in_term.join(by_cycle, on=["section_id", "cycle_day"]),
        unscheduled.with_columns(pl.lit(None, dtype=pl.Int64).alias("minutes")),
    ]
    columns = ["section_id", "school_id", "date", "minutes", "is_g_day"]
    return pl.concat([m.select(columns) for m in matched]).sort("section_id", "date")


def count_meetings(meetings: pl.DataFrame, spans: pl.DataFrame, start: str, end: str) -> pl.Series:
    """For each row of `spans` (with `section_id` and date columns `start`, `end`), the number
    of meetings of its section on days from start to end inclusive, in the order of `spans`."""
    indexed = spans.select("section_id", start, end).with_row_index("_span")
    counted = (
        indexed.join(meetings.select("section_id", "date"), on="section_id", how="left")
        .filter(pl.col("date").is_between(pl.col(start), pl.col(end)))
        .group_by("_span")
        .len()
    )
    return (
        indexed.join(counted, on="_span", how="left")
        .sort("_span")
        .get_column("len")
        .fill_null(0)
        .cast(pl.Int64)
        .alias("meetings")
    )
