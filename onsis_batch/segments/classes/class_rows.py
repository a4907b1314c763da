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

from onsis_batch.findings import Finding, FromColumn, findings_for_rows
from onsis_batch.pae.layout import empty_frame
from onsis_batch.segments.classes.meetings import count_meetings, section_meeting_days
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.engine import ADD, DELETE, UPDATE, finish
from onsis_batch.specs import load_specs

CLASS = "CLASS"
SEGMENT = "SEGMENT"
REPORTED_COURSE_TYPES = ("M", "L")
LANGUAGES = ("E", "F", "B")
MAX_TOTAL = 999
CREDIT_TOLERANCE = 0.005
SEGMENT_KEY = ("class_code", "seg_code", "inst_key")


def class_code(expr: pl.Expr) -> pl.Expr:
    """A class code as OnSIS compares it: every space removed, upper-cased."""
    return expr.str.replace_all(r"\s+", "").str.to_uppercase()


def _text(column: str) -> pl.Expr:
    """Trimmed text; null when nothing is left."""
    value = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(value.str.len_chars() > 0).then(value)


def _language(column: str) -> pl.Expr:
    """A language of instruction when it is E, F or B; null otherwise."""
    value = _text(column).str.to_uppercase()
    return pl.when(value.is_in(LANGUAGES)).then(value)


def _combined(column: str) -> pl.Expr:
    """One language for several sections: theirs when they agree, B when they differ."""
    return (
        pl.when(pl.col(column).n_unique() == 1).then(pl.col(column).first()).otherwise(pl.lit("B"))
    )


def _extract(ctx: SegmentContext, number: str) -> pl.DataFrame:
    return ctx.pae[number] if number in ctx.pae else empty_frame(number)


# --- school data -----------------------------------------------------------------------


def _sections(ctx: SegmentContext) -> pl.DataFrame:
    """Sections of the BSID's schools with their course, term and per-section values."""
    courses = ctx.table("courses").unique("course_number", keep="first", maintain_order=True)
    courses = courses.select(
        "course_number",
        pl.lit(True).alias("course_known"),
        _text("course_type").str.to_uppercase().alias("course_type"),
        _text("ministry_code").str.to_uppercase().alias("ministry_code"),
        pl.col("credit").alias("course_credit"),
        _text("institution").str.to_uppercase().alias("course_institution"),
        _language("language").alias("course_language"),
    )
    terms = (
        ctx.table("terms")
        .unique("term_id", keep="first", maintain_order=True)
        .select("term_id", "first_day", "last_day")
    )
    sections = (
        ctx.table("sections")
        .filter(pl.col("school_id").is_in(list(ctx.period.school_ids)))
        .join(courses, on="course_number", how="left", maintain_order="left")
        .join(terms, on="term_id", how="left", maintain_order="left")
    )
    ministry = pl.col("course_type") == "M"
    return sections.with_columns(
        pl.col("course_known").fill_null(False),
        class_code(pl.col("class_code")).alias("class_code"),
        pl.coalesce(
            _language("language"), pl.col("course_language"), pl.lit(ctx.default_language)
        ).alias("section_language"),
        pl.coalesce(
            pl.col("ministry_code"), pl.col("course_number").str.slice(0, 5).str.to_uppercase()
        ).alias("seg_code"),
        pl.when(ministry).then(pl.col("course_institution")).alias("seg_institution"),
        pl.when(ministry)
        .then(pl.col("course_institution"))
        .otherwise(None)
        .fill_null("")
        .alias("inst_key"),
        _text("class_type").str.to_uppercase().alias("section_class_type"),
        pl.col("classroom_type").cast(pl.Int64, strict=False).alias("section_classroom"),
    )


def _classes(reported: pl.DataFrame) -> pl.DataFrame:
    """One row per class code: dates, class type, language, classroom type, schools."""
    return reported.group_by("class_code").agg(
        pl.col("first_day").min().alias("start"),
        pl.col("last_day").max().alias("end"),
        pl.col("section_class_type").sort_by("section_id").drop_nulls().first().alias("type"),
        _combined("section_language").alias("language"),
        pl.col("section_classroom").max().alias("classroom"),
        pl.col("school_id").unique().sort().alias("schools"),
        pl.col("_row").sort().alias("rows"),
    )


def _codes(frame: pl.DataFrame) -> pl.Series:
    return frame.get_column("class_code").drop_nulls().unique()


def _active_codes(ctx: SegmentContext, reported: pl.DataFrame) -> pl.Series:
    """Classes with a student enrolled on the count date or a final mark of a section."""
    count = ctx.period.count_date
    by_section = reported.select("section_id", "class_code")
    enrolled = (
        ctx.table("class_enrolments")
        .filter(
            (pl.col("date_enrolled") <= count)
            & (pl.col("date_left").is_null() | (pl.col("date_left") > count))
        )
        .join(by_section, on="section_id")
    )
    marked = (
        ctx.table("stored_grades")
        .filter(pl.col("section_id").is_not_null())
        .join(by_section, on="section_id")
    )
    return pl.concat([_codes(enrolled), _codes(marked)]).unique()


def _named_codes(built: dict[str, pl.DataFrame]) -> pl.Series:
    """Class codes this submission's class enrolments name (DELETE rows excepted)."""
    enrolments = built.get("STUDENT_CLASS_ENROLMENT")
    if enrolments is None or "CLASS_CODE" not in enrolments.columns:
        return pl.Series("class_code", [], dtype=pl.String)
    if "_action" in enrolments.columns:
        enrolments = enrolments.filter(pl.col("_action").fill_null("") != DELETE)
    return _codes(
        enrolments.select(class_code(pl.col("CLASS_CODE").cast(pl.String)).alias("class_code"))
    )


# --- PAE -----------------------------------------------------------------------------


def _held_classes(ctx: SegmentContext) -> pl.DataFrame:
    """PAE 0001 by class code (the first row wins if a code repeats)."""
    return (
        _extract(ctx, "0001")
        .with_columns(class_code(pl.col("class_code")).alias("class_code"))
        .filter(pl.col("class_code").is_not_null())
        .unique("class_code", keep="first", maintain_order=True)
        .select(
            "class_code",
            pl.lit(True).alias("in_pae"),
            pl.col("class_start_date").alias("pae_start"),
            pl.col("class_end_date").alias("pae_end"),
            _text("class_type").str.to_uppercase().alias("pae_type"),
            _text("language_type").str.to_uppercase().alias("pae_language"),
            pl.col("classroom_type").cast(pl.Int64, strict=False).alias("pae_classroom"),
        )
    )


def _held_segments(ctx: SegmentContext) -> pl.DataFrame:
    """PAE 0002 rows keyed like our segments: class, course code, institution, language."""
    pae = _extract(ctx, "0002")
    ministry = _text("ministry_dfnd_crs").str.to_uppercase()
    return pae.select(
        class_code(pl.col("class_code")).alias("class_code"),
        pl.coalesce(ministry, _text("local_dev_crs").str.to_uppercase()).alias("seg_code"),
        pl.when(ministry.is_not_null())
        .then(_text("institution_type").str.to_uppercase())
        .otherwise(None)
        .fill_null("")
        .alias("inst_key"),
        _text("language_type").str.to_uppercase().alias("LANGUAGE_TYPE"),
        pl.col("credit_value").alias("pae_credit"),
        pl.col("total_class_course").alias("pae_total"),
        pl.col("_row").alias("pae_row"),
    ).filter(pl.col("class_code").is_not_null() & pl.col("seg_code").is_not_null())


# --- CLASS ---------------------------------------------------------------------------


def _selected(
    ctx: SegmentContext, classes: pl.DataFrame, active: pl.Series, named: pl.Series
) -> pl.DataFrame:
    """Classes to consider for this submission, with their element values."""
    period = ctx.period
    starts_in_period = pl.col("start").is_between(period.start, period.count_date)
    frame = (
        classes.join(_held_classes(ctx), on="class_code", how="left")
        .with_columns(
            pl.col("in_pae").fill_null(False),
            starts_in_period.fill_null(False).alias("in_period"),
            pl.col("class_code").is_in(active.implode()).alias("active"),
            pl.col("class_code").is_in(named.implode()).alias("named"),
        )
        .filter(pl.col("named") | ((pl.col("in_period") | pl.col("in_pae")) & pl.col("active")))
    )
    class_type = pl.lit("NA") if period.private else pl.col("type").fill_null("R")
    frame = frame.with_columns(
        pl.col("class_code").alias("CLASS_CODE"),
        pl.when(pl.col("in_pae"))
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
        (pl.col("in_pae") & ~same).alias("changed"),
        pl.col("classroom_number").cast(pl.String).alias("CLASSROOM_TYPE"),
    )


def _class_rows(selected: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """The CLASS rows: every new class, and held classes with a change of their own or of
    a segment."""
    seg_add = segments.filter(pl.col("_action") == ADD).get_column("class_code")
    seg_upd = segments.filter(pl.col("_action") == UPDATE).get_column("class_code")
    reason = (
        pl.when(~pl.col("in_pae") & pl.col("in_period"))
        .then(pl.lit("CLS-ADD-NEW"))
        .when(~pl.col("in_pae"))
        .then(pl.lit("CLS-ADD-ENROLMENTS"))
        .when(pl.col("changed"))
        .then(pl.lit("CLS-UPD-CHANGED"))
        .when(pl.col("class_code").is_in(seg_add.implode()))
        .then(pl.lit("CLS-UPD-SEGMENT-ADDED"))
        .when(pl.col("class_code").is_in(seg_upd.implode()))
        .then(pl.lit("CLS-UPD-SEGMENT-TOTAL"))
    )
    frame = selected.with_columns(reason.alias("_reason")).filter(pl.col("_reason").is_not_null())
    frame = frame.with_columns(
        pl.col("class_code").alias("_id"),
        pl.lit(None, dtype=pl.String).alias("_parent"),
        pl.when(pl.col("in_pae")).then(pl.lit(UPDATE)).otherwise(pl.lit(ADD)).alias("_action"),
    )
    return finish(CLASS, frame, order_by=("class_code",))


# --- SEGMENT -------------------------------------------------------------------------


def _segments(ctx: SegmentContext, reported: pl.DataFrame, selected: pl.DataFrame) -> pl.DataFrame:
    """One row per course code and institution of each selected class, with its action.

    TOTAL_CLASS_COURSE counts the meetings of each section between the class start and
    end dates sent; a course taught in several sections of the class takes the largest.
    """
    spans = reported.join(
        selected.select("class_code", "CLASS_START_DATE", "CLASS_END_DATE", "in_pae"),
        on="class_code",
    )
    spans = spans.with_columns(
        count_meetings(section_meeting_days(ctx), spans, "CLASS_START_DATE", "CLASS_END_DATE")
    )
    first_course = pl.col("course_number").rank("ordinal") == 1
    segments = spans.group_by(*SEGMENT_KEY).agg(
        pl.col("in_pae").first(),
        pl.col("course_type").filter(first_course).first().alias("kind"),
        pl.col("seg_institution").filter(first_course).first().alias("INSTITUTION_TYPE"),
        pl.col("course_credit").filter(first_course).first().alias("credit"),
        _combined("section_language").alias("LANGUAGE_TYPE"),
        pl.col("meetings").max().clip(0, MAX_TOTAL).alias("TOTAL_CLASS_COURSE"),
    )
    segments = segments.with_columns(
        pl.format("{}|{}|{}", *SEGMENT_KEY).alias("_id"),
        pl.when(pl.col("kind") == "M").then(pl.col("seg_code")).alias("MINISTRY_DFND_CRS"),
        pl.when(pl.col("kind") == "L").then(pl.col("seg_code")).alias("LOCAL_DEV_CRS"),
    )
    return _with_actions(ctx, segments)


def _with_actions(ctx: SegmentContext, segments: pl.DataFrame) -> pl.DataFrame:
    """Match each segment of a held class with 0002 and decide its action."""
    held = _held_segments(ctx).with_columns(pl.lit(True).alias("in_0002"))
    keys = [*SEGMENT_KEY, "LANGUAGE_TYPE"]
    matched = (
        segments.join(held, on=keys, how="left", nulls_equal=True)
        .with_columns(
            pl.col("in_0002").fill_null(False) & pl.col("in_pae"),
            ((pl.col("credit") - pl.col("pae_credit")).abs() < CREDIT_TOLERANCE)
            .fill_null(False)
            .alias("credit_same"),
        )
        .sort(["_id", "credit_same", "pae_row"], descending=[False, True, False], nulls_last=True)
        .unique("_id", keep="first", maintain_order=True)
    )
    total_differs = (
        pl.lit(False)
        if ctx.period.private
        else pl.col("TOTAL_CLASS_COURSE").ne_missing(pl.col("pae_total"))
    )
    return matched.with_columns(
        pl.when(~pl.col("in_0002"))
        .then(pl.lit(ADD))
        .when(total_differs)
        .then(pl.lit(UPDATE))
        .alias("_action"),
        pl.when(~pl.col("in_0002"))
        .then(pl.lit("SEG-ADD"))
        .when(total_differs)
        .then(pl.lit("SEG-UPD-TOTAL"))
        .alias("_reason"),
        pl.when(pl.col("in_0002"))
        .then(pl.coalesce("pae_credit", "credit"))
        .otherwise(pl.col("credit"))
        .cast(pl.Float64)
        .alias("CREDIT_VALUE"),
    )


def _segment_rows(segments: pl.DataFrame, classes: pl.DataFrame) -> pl.DataFrame:
    sent = classes.get_column("_id")
    frame = segments.filter(
        pl.col("_action").is_not_null() & pl.col("class_code").is_in(sent.implode())
    ).with_columns(pl.col("class_code").alias("_parent"))
    return finish(SEGMENT, frame, order_by=SEGMENT_KEY)


# --- findings ------------------------------------------------------------------------


def _input_findings(
    ctx: SegmentContext, sections: pl.DataFrame, built: dict[str, pl.DataFrame]
) -> list[Finding]:
    """Sections naming an unknown course; this year's stored grades naming an unknown
    section, when the grade is from the BSID's schools or its student is in this file."""
    unknown_course = sections.filter(~pl.col("course_known"))
    found = findings_for_rows(
        "CLS003",
        unknown_course,
        file="sections",
        row=FromColumn("_row"),
        column="course_number",
        section_id=FromColumn("section_id"),
        value=FromColumn("course_number"),
    )
    period = ctx.period
    known = ctx.table("sections").get_column("section_id").implode()
    dated = pl.coalesce("date_stored", "credit_date")
    enrolments = built.get("STUDENT_SCHOOL_ENROLMENT")
    reported = (
        enrolments.get_column("_id") if enrolments is not None else pl.Series([], dtype=pl.String)
    )
    grades = ctx.table("stored_grades").filter(
        (
            pl.col("school_id").is_null()
            | pl.col("school_id").is_in(list(period.school_ids))
            | pl.col("student_id").is_in(reported.implode())
        )
        & (dated.is_null() | (dated >= period.year_start))
        & pl.col("section_id").is_not_null()
        & ~pl.col("section_id").is_in(known)
    )
    found += findings_for_rows(
        "CLS004",
        grades,
        file="stored_grades",
        row=FromColumn("_row"),
        column="section_id",
        grade_id=FromColumn("grade_id"),
        student_id=FromColumn("student_id"),
        value=FromColumn("section_id"),
    )
    return found


def _class_findings(reported: pl.DataFrame, selected: pl.DataFrame) -> list[Finding]:
    """Class codes too long, and class codes shared by sections of several schools."""
    max_length = load_specs()[CLASS].element("CLASS_CODE").max_length or 25
    codes = selected.get_column("class_code").implode()
    long = (
        reported.filter(pl.col("class_code").is_in(codes))
        .with_columns(pl.col("class_code").str.len_chars().alias("length"))
        .filter(pl.col("length") > max_length)
        .sort("_row")
    )
    found = findings_for_rows(
        "CLS001",
        long,
        file="sections",
        row=FromColumn("_row"),
        column="class_code",
        key=FromColumn("class_code"),
        section_id=FromColumn("section_id"),
        length=FromColumn("length"),
        max_length=max_length,
    )
    shared = (
        selected.filter(pl.col("schools").list.len() > 1)
        .with_columns(
            pl.col("rows").list.first().alias("first_row"),
            pl.col("schools").list.join(", ").alias("school_list"),
            pl.col("rows").cast(pl.List(pl.String)).list.join(", ").alias("row_list"),
        )
        .sort("class_code")
    )
    found += findings_for_rows(
        "CLS002",
        shared,
        file="sections",
        row=FromColumn("first_row"),
        column="class_code",
        key=FromColumn("class_code"),
        schools=FromColumn("school_list"),
        section_rows=FromColumn("row_list"),
    )
    return found


def _action_findings(selected: pl.DataFrame, segments: pl.DataFrame) -> list[Finding]:
    """Classes added from outside the period; segments whose credit OnSIS keeps."""
    late = selected.filter(~pl.col("in_pae") & ~pl.col("in_period")).sort("class_code")
    found = findings_for_rows(
        "CLS006",
        late,
        segment=CLASS,
        key=FromColumn("class_code"),
        start=FromColumn("start"),
    )
    credit = segments.filter(
        pl.col("in_0002") & pl.col("pae_credit").is_not_null() & ~pl.col("credit_same")
    ).sort("_id")
    found += findings_for_rows(
        "CLS005",
        credit,
        segment=SEGMENT,
        key=FromColumn("_id"),
        credit=FromColumn("credit"),
        pae_credit=FromColumn("pae_credit"),
    )
    return found


# --- builder -------------------------------------------------------------------------


def build_classes(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """CLASS rows (under SCHOOL, `_id` = class code) and their SEGMENT rows
    (`_id` = class code|course code|institution)."""
    sections = _sections(ctx)
    reported = sections.filter(pl.col("course_type").is_in(REPORTED_COURSE_TYPES))
    selected = _selected(ctx, _classes(reported), _active_codes(ctx, reported), _named_codes(built))
    segments = _segments(ctx, reported, selected)
    classes = _class_rows(selected, segments)
    frames = {CLASS: classes, SEGMENT: _segment_rows(segments, classes)}
    found = (
        _input_findings(ctx, sections, built)
        + _class_findings(reported, selected)
        + _action_findings(selected, segments)
    )
    return frames, found
