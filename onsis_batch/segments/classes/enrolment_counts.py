"""STUDENT_CLASS_ENROLMENT elements that need a join, for both kinds of row (see
enrolment_values.py): the attendance counts (meetings, absences, lateness) and the
compulsory and substitution flags of the diploma requirement allocation. Each function is
the one place its elements are derived, and the spec names it (D560).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.classes.enrolment_values import CLOSEOUT, RowKind
from onsis_batch.segments.classes.meetings import count_meetings, section_meeting_days
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.credentials.requirements import credit_allocation

MAX_TOTAL_CLASSES = 999
NO_ATTENDANCE_DELIVERY = ("2", "16", "18", "19")  # independent, correspondence, online


# --- attendance ------------------------------------------------------------------------------


def with_attendance(frame: pl.DataFrame, ctx: SegmentContext, kind: RowKind) -> pl.DataFrame:
    """CLASSES_MISSED, SCHOOL_CLOSURE_CLASSES_MISSED, TIMES_LATE and TOTAL_CLASSES, counted
    from the class start to the earlier of the count date and the last day in class; only
    for completed classes that are not independent, correspondence or online study (so
    never on a close-out)."""
    names = ["TOTAL_CLASSES", "SCHOOL_CLOSURE_CLASSES_MISSED", "CLASSES_MISSED", "TIMES_LATE"]
    if kind == CLOSEOUT:
        return frame.with_columns(pl.lit(None).alias(n) for n in names)
    reported = (
        pl.col("COURSE_END_DATE").is_not_null()
        & pl.col("WITHDRAWAL_TYPE").is_null()
        & ~pl.col("COURSE_DELIVERY_TYPE").is_in(NO_ATTENDANCE_DELIVERY)
    )
    last_in_class = pl.col("left") - timedelta(days=1)
    spans = frame.filter(reported).select(
        "_id",
        "student_id",
        "class_key",
        "section_id",
        "school_id",
        pl.col("start_raw").alias("from"),
        pl.min_horizontal(last_in_class, pl.lit(ctx.period.count_date)).alias("to"),
    )
    if spans.height == 0:
        return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(n) for n in names)
    missed, late = _attendance_counts(ctx, spans)
    counted = spans.with_columns(missed.alias("ac"), late.alias("late")).join(
        _meeting_counts(ctx, spans), on=["section_id", "from", "to"], how="left"
    )
    counted = counted.select(
        "_id",
        "TOTAL_CLASSES",
        pl.min_horizontal("g", "TOTAL_CLASSES").alias("SCHOOL_CLOSURE_CLASSES_MISSED"),
        pl.min_horizontal(pl.col("g") + pl.col("ac"), "TOTAL_CLASSES").alias("CLASSES_MISSED"),
        pl.min_horizontal("late", "TOTAL_CLASSES").alias("TIMES_LATE"),
    )
    return frame.join(counted, on="_id", how="left", maintain_order="left")


def _meeting_counts(ctx: SegmentContext, spans: pl.DataFrame) -> pl.DataFrame:
    """Meetings and G-day meetings per distinct (section, from, to): the students of a
    section mostly share one span, so each is counted once."""
    distinct = spans.select("section_id", "from", "to").unique()
    meetings = section_meeting_days(ctx)
    total = count_meetings(meetings, distinct, "from", "to")
    g_days = count_meetings(meetings.filter(pl.col("is_g_day")), distinct, "from", "to")
    return distinct.with_columns(
        total.clip(upper_bound=MAX_TOTAL_CLASSES).alias("TOTAL_CLASSES"), g_days.alias("g")
    )


def _attendance_counts(ctx: SegmentContext, spans: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Per span: days absent (A, C) that are not G days, and days late (L)."""
    sections = ctx.table("sections").select(
        "section_id",
        pl.col("class_code").str.replace_all(r"\s", "").str.to_uppercase().alias("class_key"),
    )
    g_days = ctx.table("calendar_days").filter(pl.col("is_g_day")).select("school_id", "date")
    marks = (
        ctx.table("attendance")
        .join(sections, on="section_id")
        .select("student_id", "class_key", "date", "status")
        .join(
            spans.select("_id", "student_id", "class_key", "school_id", "from", "to"),
            on=["student_id", "class_key"],
        )
        .filter(pl.col("date").is_between(pl.col("from"), pl.col("to")))
        .join(g_days, on=["school_id", "date"], how="anti")
        .unique(["_id", "date", "status"])
        .group_by("_id")
        .agg(
            pl.col("status").is_in(["A", "C"]).sum().alias("ac"),
            (pl.col("status") == "L").sum().alias("late"),
        )
    )
    counts = spans.select("_id").join(marks, on="_id", how="left", maintain_order="left")
    return (
        counts.get_column("ac").fill_null(0).cast(pl.Int64),
        counts.get_column("late").fill_null(0).cast(pl.Int64),
    )


# --- compulsory and substitution flags -------------------------------------------------------


def with_credit_allocation(frame: pl.DataFrame, ctx: SegmentContext, kind: RowKind) -> pl.DataFrame:
    """COMPULSORY_COURSE_FLAG and COURSE_SBST_FLAG from the diploma allocation of the class's
    stored grade (or, before a mark, of the class enrolment); a close-out sends OnSIS's
    (F when blank)."""
    names = ("COMPULSORY_COURSE_FLAG", "COURSE_SBST_FLAG")
    if kind == CLOSEOUT:
        return frame.with_columns(
            pl.col(f"pae_{n.lower()}").fill_null(False).alias(n) for n in names
        )
    if frame.is_empty():
        return frame.with_columns(pl.lit(False).alias(n) for n in names)
    allocation = credit_allocation(ctx).lazy()
    by_item = allocation.group_by("item_id").agg(
        pl.col("compulsory").any().alias("_compulsory"),
        pl.col("substitution").any().alias("_substitution"),
    )
    by_grade = by_item.rename(
        {
            "item_id": "_grade_item",
            "_compulsory": "grade_compulsory",
            "_substitution": "grade_substitution",
        }
    )
    by_class = by_item.rename(
        {
            "item_id": "_class_item",
            "_compulsory": "class_compulsory",
            "_substitution": "class_substitution",
        }
    )
    return (
        frame.lazy()
        .with_columns(
            pl.format("G:{}", "stored_grade_id").alias("_grade_item"),
            pl.format("S:{}|{}", "student_id", "section_id").alias("_class_item"),
        )
        .join(by_grade, on="_grade_item", how="left", maintain_order="left")
        .join(by_class, on="_class_item", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("grade_compulsory", "class_compulsory", pl.lit(False)).alias(names[0]),
            pl.coalesce("grade_substitution", "class_substitution", pl.lit(False)).alias(names[1]),
        )
        .drop(
            "_grade_item",
            "_class_item",
            "grade_compulsory",
            "grade_substitution",
            "class_compulsory",
            "class_substitution",
        )
        .collect(engine=IN_MEMORY)
    )
