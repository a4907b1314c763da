"""Extracts 0001 (Class List), 0002 (Course Segment) and 0004 (Student Class Enrolment) as
OnSIS would hand them out: what the previous submission left it holding (reported_classes
replays it).

Besides the class enrolments that vanished from the SIS, changes made in the SIS after a
submission give the next one a class to update: the first class of March's class list moved
to another classroom type after October, and the first semester-2 class with a mark in
June's list after March. Placeholder courses are never reported.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.catalogue import COURSES
from onsis_batch.synth.extract_files import write_board_extract
from onsis_batch.synth.reported_classes import reported, submissions
from onsis_batch.synth.schools import Board

# The course segment of a class enrolment, as OnSIS keys it under a BSID.
SEGMENT_KEY = [
    "class_code",
    "ministry_dfnd_crs",
    "institution_type",
    "local_dev_crs",
    "credit_value",
    "language_type",
]


def section_attributes(
    sections: pl.DataFrame, terms: pl.DataFrame, courses: pl.DataFrame
) -> pl.DataFrame:
    """Per section of a reportable course: its class and course segment as OnSIS knows them
    (class code, course code, institution, credit, language, delivery, term dates...)."""
    code = pl.coalesce(pl.col("ministry_code"), pl.col("course_number").str.slice(0, 5))
    course = courses.filter(pl.col("course_type").is_in(["M", "L"])).select(
        "course_number",
        code.alias("_code"),
        (pl.col("course_type") == "L").alias("_local"),
        pl.col("credit").cast(pl.Float64).alias("credit_value"),
        pl.col("institution").alias("institution_type"),
        pl.col("language").alias("_course_language"),
        pl.col("_course")
        .replace_strict({i: c.compulsory for i, c in enumerate(COURSES)}, return_dtype=pl.Boolean)
        .alias("_compulsory"),
    )
    term = terms.select(
        "term_id",
        pl.col("first_day").alias("_first"),
        pl.col("last_day").alias("_last"),
        "course_sem_type",
    )
    local = pl.col("_local")
    return (
        sections.join(course, on="course_number")
        .join(term, on="term_id")
        .select(
            "section_id",
            "_n",
            "_bsid",
            "_first",
            "_last",
            "class_code",
            pl.when(~local).then(pl.col("_code")).alias("ministry_dfnd_crs"),
            "institution_type",
            pl.when(local).then(pl.col("_code")).alias("local_dev_crs"),
            "credit_value",
            pl.coalesce("language", "_course_language", pl.lit("E")).alias("language_type"),
            pl.col("delivery_type").fill_null("1").alias("course_delivery_type"),
            "course_sem_type",
            "_compulsory",
            pl.col("is_previous_year").alias("course_continued_flag"),
            pl.when(pl.col("credit_recovery") | (pl.col("class_type") == "RCR"))
            .then(pl.lit("1"))
            .alias("other_course_info_credit_recovery"),
            pl.when(pl.col("ministry_content"))
            .then(pl.lit("2"))
            .alias("other_course_info_ministry_content"),
            pl.col("class_type").fill_null("R"),
            pl.col("classroom_type").fill_null("1").cast(pl.Int32).alias("_room"),
        )
    )


def _enrolment_rows(sent: pl.DataFrame, attributes: pl.DataFrame) -> pl.DataFrame:
    """The 0004 columns (with _bsid, _item and the start date), by BSID, OEN and class."""
    order = (
        sent.select("_item", "section_id", "_oen")
        .join(attributes.select("section_id", "_bsid", "class_code"), on="section_id")
        .sort("_bsid", "_oen", "class_code", "_item")
        .select("_item")
    )
    return (
        order.join(sent, on="_item", how="left", maintain_order="left")
        .join(attributes, on="section_id", how="left", maintain_order="left")
        .select(
            "_bsid",
            "_item",
            pl.col("_oen").alias("oen"),
            *SEGMENT_KEY,
            "course_delivery_type",
            "course_sem_type",
            "withdrawal_type",
            "withdrawal_date",
            "course_start_date",
            "course_end_date",
            "earned_credit_value",
            pl.col("credit_value").alias("attemped_credit_value"),
            "final_mark",
            pl.lit(False).alias("course_sbst_flag"),
            "course_complete_flag",
            pl.col("_repeat").alias("course_repeat_flag"),
            pl.col("_compulsory").alias("compulsory_course_flag"),
            pl.lit(True).alias("prepopulation_flag"),
            pl.col("language_type").alias("segment_language_type"),
            "course_incomplete_flag",
            "course_continued_flag",
            "other_course_info_credit_recovery",
            "other_course_info_ministry_content",
        )
    )


def _classes(
    codes: pl.DataFrame, attributes: pl.DataFrame, meetings: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Class list and course segments of the classes `codes` (_bsid, class_code) names."""
    members = (
        attributes.join(codes, on=["_bsid", "class_code"])
        .join(meetings, on="section_id")
        .sort("_n")
    )
    classes = (
        members.group_by("_bsid", "class_code", maintain_order=True)
        .agg(
            pl.col("_first").min().alias("class_start_date"),
            pl.col("_last").max().alias("class_end_date"),
            pl.col("language_type").first(),
            pl.col("class_type").first(),
            pl.col("_room").max().cast(pl.String).alias("classroom_type"),
        )
        .with_columns(pl.lit(True).alias("prepopulation_flag"))
        .sort("_bsid", "class_code")
    )
    key = ["_bsid", *SEGMENT_KEY]
    segments = (
        members.select(*key, pl.col("_meetings").alias("total_class_course"))
        .unique(key, keep="first", maintain_order=True)
        .sort("_bsid", "class_code", "ministry_dfnd_crs", "local_dev_crs", nulls_last=True)
    )
    return classes, segments


def write_class_extracts(
    folders: dict[str, Path],
    cal: Calendar,
    board: Board,
    base: pl.DataFrame,
    attributes: pl.DataFrame,
    meetings: pl.DataFrame,
    created: datetime | None,
) -> None:
    """Write 0001, 0002 and 0004 next to each period's 0003 (`folders`: kind -> folder), one
    block per reporting BSID. Every period is replayed, in order, as each one's holdings
    depend on the period before."""
    held: pl.DataFrame | None = None
    for kind, sub in submissions(cal).items():
        sent = reported(base, sub, held)
        held = sent.select("_item", "course_start_date")
        if kind not in folders:
            continue
        enrolments = _enrolment_rows(sent, attributes)
        del sent
        classes, segments = _classes(
            enrolments.select("_bsid", "class_code").unique(), attributes, meetings
        )
        if kind == "mar":
            classes = _moved(classes, pl.lit(True))
        elif kind == "jun":
            marked = _marked(base, attributes).with_columns(pl.lit(True).alias("_marked"))
            classes = classes.join(
                marked, on=["_bsid", "class_code"], how="left", maintain_order="left"
            )
            second = pl.col("class_start_date") >= cal.semester_two
            classes = _moved(classes, second & pl.col("_marked").fill_null(False))
            classes = classes.drop("_marked")
        for extract, frame in (("0001", classes), ("0002", segments), ("0004", enrolments)):
            write_board_extract(folders[kind], extract, kind, cal, board, frame, created)


def _marked(base: pl.DataFrame, attributes: pl.DataFrame) -> pl.DataFrame:
    """_bsid and class_code of the classes with a stored grade (of a student with an OEN)."""
    graded = base.filter(pl.col("_credit_date").is_not_null() & pl.col("_gone").is_null())
    return (
        graded.select("section_id")
        .unique()
        .join(attributes.select("section_id", "_bsid", "class_code"), on="section_id")
        .select("_bsid", "class_code")
        .unique()
    )


def _moved(classes: pl.DataFrame, which: pl.Expr) -> pl.DataFrame:
    """The classroom type the submission before reported for the first class `which` picks,
    before it moved."""
    hit = (pl.int_range(pl.len()) >= 0) & which.fill_null(False)  # a column, never a scalar
    first = hit & (hit.cast(pl.Int32).cum_sum() == 1)
    old = pl.when(pl.col("classroom_type") == "2").then(pl.lit("1")).otherwise(pl.lit("2"))
    return classes.with_columns(
        pl.when(first).then(old).otherwise(pl.col("classroom_type")).alias("classroom_type")
    )
