"""CLASS and SEGMENT: the classes of the BSID's schools and the courses taught in each.

A class is the set of sections of the BSID's schools that share a class code (spaces
removed, upper-cased) and whose course is a ministry (M) or local (L) course; placeholder
(P) courses and courses without a type are never reported, so a class made only of them
is not sent. One SEGMENT per course of the class (courses with the same reported code and
institution make one segment).

A class is selected when

  * its earliest section term starts in the period (on or after the period start and on
    or before the count date) or PAE 0001 holds it, and it has a student enrolled on the
    count date or a final mark (a stored grade of one of its sections); or
  * STUDENT_CLASS_ENROLMENT rows of this submission (other than DELETE) name it.

Actions, against PAE 0001 (classes) and 0002 (course segments), class codes compared
case-insensitively:

  not in 0001, starts in the period ............. CLASS ADD     CLS-ADD-NEW
  not in 0001, starts outside the period, named
  by this submission's class enrolments ......... CLASS ADD     CLS-ADD-ENROLMENTS (CLS006)
  in 0001, class values differ .................. CLASS UPDATE  CLS-UPD-CHANGED
  in 0001, same values, a segment is new ........ CLASS UPDATE  CLS-UPD-SEGMENT-ADDED
  in 0001, same values, a segment total differs . CLASS UPDATE  CLS-UPD-SEGMENT-TOTAL
  in 0001, nothing differs ...................... not sent

  every segment of a class sent as ADD .......... SEGMENT ADD     SEG-ADD
  segment 0002 does not hold for the class ...... SEGMENT ADD     SEG-ADD
  segment 0002 holds, TOTAL_CLASS_COURSE differs  SEGMENT UPDATE  SEG-UPD-TOTAL
  segment 0002 holds, same total ................ not sent

The class values compared with 0001 are the end date, class type, language and classroom
type (an UPDATE sends the start date OnSIS holds, so the start date cannot differ). A
segment is held by 0002 when a row of the class names the same course code, institution
and language; its credit is OnSIS's (CLS005 when the school data disagree). Neither
segment sends DELETE.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.segments.classes.class_findings import (
    action_findings,
    class_findings,
    input_findings,
)
from onsis_batch.segments.classes.class_sections import (
    active_codes,
    class_sections,
    classes_of,
    combined_language,
    named_codes,
)
from onsis_batch.segments.classes.meetings import count_meetings, section_meeting_days
from onsis_batch.segments.context import SegmentContext, class_code, text
from onsis_batch.segments.engine import (
    ADD,
    HELD,
    UPDATE,
    WANTED,
    Decision,
    Outcome,
    finish,
    match,
    settle,
)
from onsis_batch.segments.not_sent import CLASS as CLASS_RECORD
from onsis_batch.segments.not_sent import note

CLASS = "CLASS"
SEGMENT = "SEGMENT"
REPORTED_COURSE_TYPES = ("M", "L")
MAX_TOTAL = 999
CREDIT_TOLERANCE = 0.005
SEGMENT_KEY = ("class_code", "seg_code", "inst_key")

CLASS_DECISION = Decision(
    key=("class_code",),
    new=Outcome(
        ADD,
        pl.when(pl.col("in_period"))
        .then(pl.lit("CLS-ADD-NEW"))
        .otherwise(pl.lit("CLS-ADD-ENROLMENTS")),
    ),
    held=Outcome(
        UPDATE,
        pl.when(pl.col("changed"))
        .then(pl.lit("CLS-UPD-CHANGED"))
        .when(pl.col("segment_added"))
        .then(pl.lit("CLS-UPD-SEGMENT-ADDED"))
        .when(pl.col("segment_total"))
        .then(pl.lit("CLS-UPD-SEGMENT-TOTAL")),
    ),
)
CREDIT_SAME = ((pl.col("credit") - pl.col("pae_credit")).abs() < CREDIT_TOLERANCE).fill_null(False)


def _segment_decision(private: bool) -> Decision:
    """A segment is held when 0002 has its course code, institution and language (a null
    language matches a null one) under a class 0001 holds; among several such rows, the
    one with the same credit, then the first in the file. A private school sends no
    total, so no total can differ."""
    total_differs = (
        pl.lit(False) if private else pl.col("TOTAL_CLASS_COURSE").ne_missing(pl.col("pae_total"))
    )
    return Decision(
        key=(*SEGMENT_KEY, "LANGUAGE_TYPE"),
        new=Outcome(ADD, "SEG-ADD"),
        held=Outcome(UPDATE, pl.when(total_differs).then(pl.lit("SEG-UPD-TOTAL"))),
        nulls_equal=True,
        prefer=(~CREDIT_SAME, pl.col("pae_row")),
    )


# --- PAE -----------------------------------------------------------------------------


def _held_classes(ctx: SegmentContext) -> pl.DataFrame:
    """PAE 0001 by class code (the first row wins if a code repeats)."""
    return (
        ctx.extract("0001")
        .with_columns(class_code(pl.col("class_code")).alias("class_code"))
        .filter(pl.col("class_code").is_not_null())
        .unique("class_code", keep="first", maintain_order=True)
        .select(
            "class_code",
            pl.col("class_start_date").alias("pae_start"),
            pl.col("class_end_date").alias("pae_end"),
            text("class_type").str.to_uppercase().alias("pae_type"),
            text("language_type").str.to_uppercase().alias("pae_language"),
            pl.col("classroom_type").cast(pl.Int64, strict=False).alias("pae_classroom"),
        )
    )


def _held_segments(ctx: SegmentContext, held_classes: pl.Series) -> pl.DataFrame:
    """PAE 0002 rows of the classes `held_classes`, keyed like our segments: class, course
    code, institution, language."""
    ministry = text("ministry_dfnd_crs").str.to_uppercase()
    return (
        ctx.extract("0002")
        .select(
            class_code(pl.col("class_code")).alias("class_code"),
            pl.coalesce(ministry, text("local_dev_crs").str.to_uppercase()).alias("seg_code"),
            pl.when(ministry.is_not_null())
            .then(text("institution_type").str.to_uppercase())
            .otherwise(None)
            .fill_null("")
            .alias("inst_key"),
            text("language_type").str.to_uppercase().alias("LANGUAGE_TYPE"),
            pl.col("credit_value").alias("pae_credit"),
            pl.col("total_class_course").alias("pae_total"),
            pl.col("_row").alias("pae_row"),
        )
        .filter(pl.col("class_code").is_not_null() & pl.col("seg_code").is_not_null())
        .filter(pl.col("class_code").is_in(held_classes.implode()))
    )


# --- CLASS ---------------------------------------------------------------------------


def selected_classes(
    ctx: SegmentContext, classes: pl.DataFrame, active: pl.Series, named: pl.Series
) -> pl.DataFrame:
    """Classes to consider for this submission, matched with 0001, with their values."""
    period = ctx.period
    starts_in_period = pl.col("start").is_between(period.start, period.count_date)
    desired = classes.with_columns(
        starts_in_period.fill_null(False).alias("in_period"),
        pl.col("class_code").is_in(active.implode()).alias("active"),
        pl.col("class_code").is_in(named.implode()).alias("named"),
    )
    held = pl.col(HELD)
    matched = match(desired, _held_classes(ctx), CLASS_DECISION).filter(pl.col(WANTED))
    idle = matched.filter(~pl.col("named") & ~pl.col("active")).get_column("class_code")
    note(ctx, CLASS_RECORD, idle, "NOTSENT-CLS-NO-STUDENTS")
    later = matched.filter(~pl.col("named") & ~pl.col("in_period") & ~held & pl.col("active"))
    note(ctx, CLASS_RECORD, later.get_column("class_code"), "NOTSENT-CLS-OUT-OF-PERIOD")
    frame = matched.filter(pl.col("named") | ((pl.col("in_period") | held) & pl.col("active")))
    class_type = pl.lit("NA") if period.private else pl.col("type").fill_null("R")
    frame = frame.with_columns(
        held.alias("class_held"),
        pl.col("class_code").alias("CLASS_CODE"),
        pl.when(held)
        .then(pl.coalesce("pae_start", "start"))
        .otherwise(pl.col("start"))
        .alias("CLASS_START_DATE"),
        pl.col("end").alias("CLASS_END_DATE"),
        class_type.alias("CLASS_TYPE"),
        pl.col("language").alias("LANGUAGE_TYPE"),
        pl.col("classroom").fill_null(1).alias("classroom_number"),
    )
    same = (
        pl.col("CLASS_END_DATE").eq_missing(pl.col("pae_end"))
        & pl.col("CLASS_TYPE").eq_missing(pl.col("pae_type"))
        & pl.col("LANGUAGE_TYPE").eq_missing(pl.col("pae_language"))
        & pl.col("classroom_number").eq_missing(pl.col("pae_classroom"))
    )
    return frame.with_columns(
        (held & ~same).alias("changed"),
        pl.col("classroom_number").cast(pl.String).alias("CLASSROOM_TYPE"),
    )


def _class_rows(selected: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """The CLASS rows: every new class, and held classes with a change of their own or of
    a segment sent."""
    added = segments.filter(pl.col("_action") == ADD).get_column("class_code")
    updated = segments.filter(pl.col("_action") == UPDATE).get_column("class_code")
    frame = selected.with_columns(
        pl.col("class_code").is_in(added.implode()).alias("segment_added"),
        pl.col("class_code").is_in(updated.implode()).alias("segment_total"),
    )
    frame = settle(frame, CLASS_DECISION).with_columns(
        pl.col("class_code").alias("_id"),
        pl.lit(None, dtype=pl.String).alias("_parent"),
    )
    return finish(CLASS, frame, order_by=("class_code",))


# --- SEGMENT -------------------------------------------------------------------------


def class_segments(
    ctx: SegmentContext, reported: pl.DataFrame, selected: pl.DataFrame
) -> pl.DataFrame:
    """One row per course code and institution of each selected class, matched with 0002.

    TOTAL_CLASS_COURSE counts the meetings of each section between the class start and
    end dates sent; a course taught in several sections of the class takes the largest.
    """
    spans = reported.join(
        selected.select("class_code", "CLASS_START_DATE", "CLASS_END_DATE"), on="class_code"
    )
    spans = spans.with_columns(
        count_meetings(section_meeting_days(ctx), spans, "CLASS_START_DATE", "CLASS_END_DATE")
    )
    first_course = pl.col("course_number").rank("ordinal") == 1
    segments = spans.group_by(*SEGMENT_KEY).agg(
        pl.col("course_type").filter(first_course).first().alias("kind"),
        pl.col("seg_institution").filter(first_course).first().alias("INSTITUTION_TYPE"),
        pl.col("course_credit").filter(first_course).first().alias("credit"),
        combined_language("section_language").alias("LANGUAGE_TYPE"),
        pl.col("meetings").max().clip(0, MAX_TOTAL).alias("TOTAL_CLASS_COURSE"),
    )
    segments = segments.with_columns(
        pl.format("{}|{}|{}", *SEGMENT_KEY).alias("_id"),
        pl.when(pl.col("kind") == "M").then(pl.col("seg_code")).alias("MINISTRY_DFND_CRS"),
        pl.when(pl.col("kind") == "L").then(pl.col("seg_code")).alias("LOCAL_DEV_CRS"),
    )
    held_classes = selected.filter(pl.col("class_held")).get_column("class_code")
    matched = match(
        segments, _held_segments(ctx, held_classes), _segment_decision(ctx.period.private)
    )
    return matched.filter(pl.col(WANTED)).with_columns(
        CREDIT_SAME.alias("credit_same"),
        pl.when(pl.col(HELD))
        .then(pl.coalesce("pae_credit", "credit"))
        .otherwise(pl.col("credit"))
        .cast(pl.Float64)
        .alias("CREDIT_VALUE"),
    )


def _segment_rows(segments: pl.DataFrame, classes: pl.DataFrame) -> pl.DataFrame:
    """The SEGMENT rows sent, under the CLASS rows sent."""
    sent = classes.get_column("_id")
    frame = segments.filter(pl.col("class_code").is_in(sent.implode())).with_columns(
        pl.col("class_code").alias("_parent")
    )
    return finish(SEGMENT, frame, order_by=SEGMENT_KEY)


# --- builder -------------------------------------------------------------------------


def build_classes(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """CLASS rows (under SCHOOL, `_id` = class code) and their SEGMENT rows
    (`_id` = class code|course code|institution)."""
    sections = class_sections(ctx)
    reportable = pl.col("course_type").is_in(REPORTED_COURSE_TYPES)
    unreported = sections.filter(~reportable.fill_null(False)).get_column("class_code")
    note(ctx, CLASS_RECORD, unreported, "NOTSENT-CLS-COURSE-TYPE")
    reported = sections.filter(reportable)
    selected = selected_classes(
        ctx, classes_of(reported), active_codes(ctx, reported), named_codes(built)
    )
    matched = class_segments(ctx, reported, selected)
    segments = settle(matched, _segment_decision(ctx.period.private))
    classes = _class_rows(selected, segments)
    frames = {CLASS: classes, SEGMENT: _segment_rows(segments, classes)}
    found = (
        input_findings(ctx, sections, built)
        + class_findings(reported, selected)
        + action_findings(selected, matched)
    )
    return frames, found
