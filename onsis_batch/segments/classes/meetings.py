"""When classes meet: one row per section and in-session day it meets.

A section meets on every in-session day of its school's calendar that falls in its term,
on the cycle days its `section_meetings` rows name (a row with no cycle day, or a section
with no rows, means every in-session day). TOTAL_CLASS_COURSE, TOTAL_CLASSES, the classes
missed on G days and the scheduled minutes behind FTE all count these rows.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.context import SegmentContext


def section_meeting_days(ctx: SegmentContext) -> pl.DataFrame:
    """section_id, school_id, date, minutes (null when unknown), is_g_day.

    Limited to the sections of the BSID's schools and to days inside each section's term.
    Worked out once per run: the classes, the class enrolments and FTE all read it.
    """
    return ctx.cached("section_meeting_days", lambda: _meeting_days(ctx))


def _meeting_days(ctx: SegmentContext) -> pl.DataFrame:
    schools = list(ctx.period.school_ids)
    sections = (
        ctx.table("sections")
        .lazy()
        .filter(pl.col("school_id").is_in(schools))
        .join(ctx.table("terms").lazy().select("term_id", "first_day", "last_day"), on="term_id")
        .select("section_id", "school_id", "first_day", "last_day")
    )
    days = (
        ctx.table("calendar_days")
        .lazy()
        .filter(pl.col("school_id").is_in(schools) & pl.col("in_session"))
    )
    in_term = sections.join(days, on="school_id").filter(
        pl.col("date").is_between(pl.col("first_day"), pl.col("last_day"))
    )
    meetings = ctx.table("section_meetings").lazy().select("section_id", "cycle_day", "minutes")
    every_day = meetings.filter(pl.col("cycle_day").is_null()).drop("cycle_day")
    by_cycle = meetings.filter(pl.col("cycle_day").is_not_null())
    unscheduled = in_term.join(meetings.select("section_id").unique(), on="section_id", how="anti")
    matched = [
        in_term.join(every_day, on="section_id"),
        in_term.join(by_cycle, on=["section_id", "cycle_day"]),
        unscheduled.with_columns(pl.lit(None, dtype=pl.Int64).alias("minutes")),
    ]
    columns = ["section_id", "school_id", "date", "minutes", "is_g_day"]
    query = pl.concat([m.select(columns) for m in matched]).sort("section_id", "date")
    return query.collect(engine=IN_MEMORY)


def count_meetings(meetings: pl.DataFrame, spans: pl.DataFrame, start: str, end: str) -> pl.Series:
    """For each row of `spans` (with `section_id` and date columns `start`, `end`), the number
    of meetings of its section on days from start to end inclusive, in the order of `spans`.

    Each meeting gets its running number within its section; a span's count is the number
    reached by its end minus the number reached before its start (two as-of joins, so the
    cost grows with spans + meetings, not their product).
    """
    numbered = (
        meetings.lazy()
        .select("section_id", "date")
        .sort("section_id", "date")
        .with_columns(pl.int_range(1, pl.len() + 1).over("section_id").alias("_n"))
        .sort("date")
    )
    indexed = (
        spans.lazy()
        .select("section_id", start, end)
        .with_row_index("_span")
        .with_columns((pl.col(start) - pl.duration(days=1)).alias("_before"))
    )

    def reached(on: str) -> pl.LazyFrame:
        joined = indexed.sort(on).join_asof(
            numbered,
            left_on=on,
            right_on="date",
            by="section_id",
            strategy="backward",
            check_sortedness=False,  # both sides are sorted on the date just above
        )
        return joined.select("_span", pl.col("_n").fill_null(0).alias(on))

    counts = reached(end).join(reached("_before"), on="_span").sort("_span")
    meetings_in_span = (pl.col(end) - pl.col("_before")).clip(lower_bound=0).cast(pl.Int64)
    return counts.select(meetings_in_span.alias("meetings")).collect(engine=IN_MEMORY).to_series()
