"""Extracts 0001 (Class List), 0002 (Course Segment) and 0004 (Student Class Enrolment) as
OnSIS would hand them out: what the previous submission left it holding.

Each period's extracts come from replaying the submission before it on the synthetic data,
in a simplified form of the rule book (this module does not implement the rules, it only
needs plausible, consistent holdings):

* October's extracts stem from last year's June submission. Only classes still running into
  this year are kept: the February-to-January classes continued from last year, with their
  enrolments, reported then without an end date or a mark.
* March's hold what the October submission reported: the classes and class enrolments of
  students known to OnSIS that were enrolled on the October count date (semester 1 and
  full-year classes), plus the continued ones.
* June's hold what the March submission reported: those again (now with end dates, marks,
  withdrawals) and the classes and enrolments of semester 2 running on the March count date.

Changes made in the SIS after a submission give the next one work beyond new records:

* class enrolments chosen to "vanish" were reported and then deleted from the SIS (they are
  not in `class_enrolments.csv`), so the next submission must close them out: a class
  continued from last year, deleted over the summer (October closes it out), a semester-1
  class reported in October (March) and a semester-2 class reported in March (June). The
  extracts after the close-out hold it closed: withdrawal W on the first day of the period
  that closed it out;
* the first class of March's class list moved to another classroom type after October, and
  the first semester-2 class with a mark in June's list after March, so March and June
  each update a class.

Dropped classes are held with withdrawal D; so are ESL and credit-recovery classes left with
full disclosure (the rule book's D for ESL/ELD and credit recovery), other full-disclosure
withdrawals with W.

A student is known to OnSIS as in extract 0003: with an OEN, and not excluded once October
has been submitted. Placeholder courses are never reported.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from onsis_batch.pae.extracts import H2_STATUS, extract_file_name, write_extract
from onsis_batch.pae.grid import quoted, to_lines
from onsis_batch.pae.layout import load_layouts
from onsis_batch.period.periods import default_period_code
from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.catalogue import CONTINUED, COURSES, ESL_LEVELS, SEM1, SEM2
from onsis_batch.synth.classes import DONE, INCOMPLETE, WITHDRAWN
from onsis_batch.synth.extract import created_at
from onsis_batch.synth.schools import Board
from onsis_batch.synth.timetable import RECOVERY, REGULAR

EXTRACTS = ("0001", "0002", "0004")


@dataclass(frozen=True)
class Submission:
    """The submission a period's extracts stem from."""

    start: date
    count: date
    known_excluded: bool  # excluded students still known (before October is submitted)
    marks: bool  # final marks are reported (not in October)
    only_continued: bool = False


def submissions(cal: Calendar) -> dict[str, Submission]:
    """PAE period -> the submission before it."""
    y = cal.year
    # Last June's submission; the continued enrolments it held were first reported in
    # March, from their start, so nothing before last February is cut off.
    continued_from = Calendar(y - 1).semester_two
    return {
        "oct": Submission(continued_from, date(y, 6, 30), True, True, only_continued=True),
        "mar": Submission(date(y, 7, 1), cal.oct_count, False, False),
        "jun": Submission(date(y, 11, 1), cal.mar_count, False, True),
    }


def vanishings(cal: Calendar) -> tuple[tuple[str, date, date], ...]:
    """(term, count date of the submission that last reported the class enrolment, first
    day of the period whose submission closes it out) of each kind of vanished enrolment."""
    y = cal.year
    return (
        (CONTINUED, date(y, 6, 30), date(y, 7, 1)),
        (SEM1, cal.oct_count, date(y, 11, 1)),
        (SEM2, cal.mar_count, date(y + 1, 4, 1)),
    )


def choose_vanished(
    rng: random.Random, cal: Calendar, items: pl.DataFrame, students: pl.DataFrame
) -> list[pl.Series]:
    """About one in a thousand of the class enrolments of each `vanishings` term that the
    submission before was told of (at least one each), in classes of three or more when
    there are some, to delete from the SIS afterwards: `_gone` (the first day of the period
    whose submission closes each out) and `_vanished`."""
    sizes = items.group_by("section_id").agg(pl.len().alias("_size"))
    ministry = [i for i, c in enumerate(COURSES) if c.course_type == "M"]
    eligible = (
        items.select(
            "_item",
            "student_id",
            "section_id",
            "_term",
            "_event",
            "_kind",
            "_repeat",
            "_course",
            "date_enrolled",
            "date_left",
        )
        .join(students.select("student_id", "_oen", "_excluded"), on="student_id")
        .join(sizes, on="section_id")
        .filter(
            (pl.col("_event") == DONE)
            & (pl.col("_kind") == REGULAR)
            & ~pl.col("_repeat")
            & pl.col("_course").is_in(ministry)
            & pl.col("_oen").is_not_null()
            & ~pl.col("_excluded")
        )
    )
    items_of, days = [], []
    for term, reported, gone in vanishings(cal):
        told = eligible.filter(
            (pl.col("_term") == term)
            & (pl.col("date_enrolled") <= reported)
            & (pl.col("date_left") > reported)
        )
        # Classes of three or more if there are any (a small run's continued classes may
        # all be smaller).
        crowded = told.filter(pl.col("_size") >= 3)
        candidates = (crowded if crowded.height else told).get_column("_item").sort().to_list()
        count = min(len(candidates), max(1, round(len(candidates) / 1000)))
        chosen = rng.sample(candidates, count)
        items_of += chosen
        days += [gone] * count
    gone_on = pl.DataFrame(
        {"_item": items_of, "_gone": days}, schema={"_item": pl.Int32, "_gone": pl.Date}
    )
    gone = (
        items.select("_item")
        .join(gone_on, on="_item", how="left", maintain_order="left")
        .get_column("_gone")
    )
    return [gone, gone.is_not_null().alias("_vanished")]


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


def enrolment_base(
    items: pl.DataFrame, attributes: pl.DataFrame, students: pl.DataFrame
) -> pl.DataFrame:
    """Class enrolments of reportable courses for students with an OEN: just what deciding
    what was reported needs; the rest is joined by section when writing."""
    return (
        items.select(
            "_item",
            "student_id",
            "section_id",
            "date_enrolled",
            "date_left",
            "_event",
            "_mark",
            "_credit_date",
            "_repeat",
            "_term",
            "_gone",
            (pl.col("_kind") == RECOVERY).or_(pl.col("_course").is_in(ESL_LEVELS)).alias("_esl_cr"),
        )
        .join(attributes.select("section_id", "_last", "credit_value"), on="section_id")
        .join(students.select("student_id", "_oen", "_excluded"), on="student_id")
        .filter(pl.col("_oen").is_not_null())
        .drop("student_id")
    )


def _reported(base: pl.DataFrame, sub: Submission, held: pl.DataFrame | None) -> pl.DataFrame:
    """The class enrolments `sub` reported, with the values it reported for them."""
    s, c = pl.lit(sub.start), pl.lit(sub.count)
    de, dl, last = pl.col("date_enrolled"), pl.col("date_left"), pl.col("_last")
    credit_date = pl.col("_credit_date")
    graded = credit_date.is_not_null() & (credit_date <= c)
    known = pl.lit(sub.known_excluded) | ~pl.col("_excluded")
    gone = (pl.col("_gone") <= s).fill_null(False)
    fresh = (
        known
        & ~gone
        & (de <= c)
        & (dl > s)
        & (de != dl)
        & ((dl > c) | graded)
        & (pl.lit(not sub.only_continued) | (pl.col("_term") == CONTINUED))
    )
    frame = base
    if held is not None:
        frame = frame.join(held.select("_item", "course_start_date"), on="_item", how="left")
        chosen = fresh | pl.col("course_start_date").is_not_null()
    else:
        frame = frame.with_columns(pl.lit(None, pl.Date).alias("course_start_date"))
        chosen = fresh
    frame = frame.filter(chosen)
    withdrawn = pl.col("_event") == WITHDRAWN
    mark = pl.col("_mark")
    end = (
        pl.when(gone)
        .then(pl.col("_gone"))
        .when(graded & (credit_date < dl))
        .then(credit_date)
        .when((dl <= c) & (dl <= last))
        .then(dl)
        .when(dl <= c)
        .then(last)
        .when(last == c)
        .then(last)
    )
    frame = frame.with_columns(
        pl.coalesce("course_start_date", pl.max_horizontal(de, s)).alias("course_start_date"),
        end.alias("course_end_date"),
        gone.alias("_closed"),
        graded.alias("_graded"),
    )
    ended = pl.col("course_end_date").is_not_null()
    gone, graded = pl.col("_closed"), pl.col("_graded")
    kind = (
        pl.when(gone)
        .then(pl.lit("W"))
        .when(graded & withdrawn)
        .then(pl.when(pl.col("_esl_cr")).then(pl.lit("D")).otherwise(pl.lit("W")))
        .when(ended & (dl < last) & ~graded)
        .then(pl.lit("D"))
    )
    frame = frame.with_columns(kind.alias("withdrawal_type"))
    dropped = pl.col("withdrawal_type") == "D"
    complete = ended & graded & ~withdrawn & ~gone & (mark != INCOMPLETE)
    final = (
        pl.when(pl.lit(not sub.marks))
        .then(None)
        .when(gone | dropped)
        .then(0)
        .when(graded)
        .then(pl.when(mark >= 0).then(mark).otherwise(0))
        .when(ended)
        .then(0)
    )
    earned = (
        pl.when(gone | dropped)
        .then(0.0)
        .when(graded)
        .then(pl.when(withdrawn | (mark < 50)).then(0.0).otherwise(pl.col("credit_value")))
        .when(ended)
        .then(0.0)
    )
    return frame.select(
        "_item",
        "section_id",
        "_oen",
        "_repeat",
        "course_start_date",
        "course_end_date",
        "withdrawal_type",
        pl.when(pl.col("withdrawal_type") == "W")
        .then(pl.col("course_end_date"))
        .alias("withdrawal_date"),
        final.cast(pl.Int64).alias("final_mark"),
        earned.alias("earned_credit_value"),
        complete.alias("course_complete_flag"),
        (ended & ~complete).alias("course_incomplete_flag"),
    )


def _enrolment_rows(reported: pl.DataFrame, attributes: pl.DataFrame) -> pl.DataFrame:
    """The 0004 columns (with _bsid, _item and the start date), by BSID, OEN and class."""
    order = (
        reported.select("_item", "section_id", "_oen")
        .join(attributes.select("section_id", "_bsid", "class_code"), on="section_id")
        .sort("_bsid", "_oen", "class_code", "_item")
        .select("_item")
    )
    return (
        order.join(reported, on="_item", how="left", maintain_order="left")
        .join(attributes, on="section_id", how="left", maintain_order="left")
        .select(
            "_bsid",
            "_item",
            pl.col("_oen").alias("oen"),
            "class_code",
            "ministry_dfnd_crs",
            "institution_type",
            "local_dev_crs",
            "credit_value",
            "language_type",
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
    key = [
        "_bsid",
        "class_code",
        "ministry_dfnd_crs",
        "institution_type",
        "local_dev_crs",
        "credit_value",
        "language_type",
    ]
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
        reported = _reported(base, sub, held)
        held = reported.select("_item", "course_start_date")
        if kind not in folders:
            continue
        enrolments = _enrolment_rows(reported, attributes)
        del reported
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
        header = _Header(folders[kind], kind, cal, created)
        header.write("0001", board, classes)
        header.write("0002", board, segments)
        header.write("0004", board, enrolments)


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


@dataclass(frozen=True)
class _Header:
    folder: Path
    kind: str
    cal: Calendar
    created: datetime | None

    def write(self, extract: str, board: Board, frame: pl.DataFrame) -> None:
        """The file as `write_extract` writes it, its blocks appended one BSID at a time so
        that a board's extract 0004 never exists in memory as text all at once."""
        school_year = f"{self.cal.year}-{self.cal.year + 1}"
        _, description = default_period_code(self.kind, school_year)
        layout = load_layouts()[extract]
        when = created_at(self.kind, self.cal, self.created)
        path = self.folder / extract_file_name(extract)
        write_extract(
            path,
            extract,
            school_year=school_year,
            period_description=description,
            blocks=[],
            created=when,
        )
        columns = [
            (pl.col(c.name) if c.name in frame.columns else pl.lit(None))
            .cast(c.dtype)
            .alias(c.name)
            for c in layout.columns
        ]
        spans, offset = {}, 0  # `frame` is sorted by BSID: each block is one slice of it
        for bsid, rows in frame.group_by("_bsid", maintain_order=True).len().iter_rows():
            spans[bsid] = (offset, rows)
            offset += rows
        with path.open("ab") as out:
            for bsid in board.reporting_bsids:
                start, rows = spans.get(bsid, (0, 0))
                block = frame.slice(start, rows).select(columns)
                lines = [
                    quoted(["H2", bsid, board.name_of(bsid), H2_STATUS]),
                    *to_lines(block, layout),
                ]
                out.write(("\r\n".join(lines) + "\r\n").encode("cp1252"))
