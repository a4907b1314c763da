"""Sections (classes) cut from the class items, their attributes and when they meet.

* Every section meets every in-session day of its term for 75 minutes (one row without a
  cycle day, or for a few sections an A row and a B row), except paired courses
  (civics/careers, full-year French/music) that meet on A or B days only, and
  independent-study sections, which have no meeting rows.
* Section kinds: regular (delivery 1, often left empty), credit recovery (class type RCR),
  online (delivery 18 or 19, class type E; 19 carries Ministry-developed content),
  independent study (delivery 2) and dual credit (delivery 12, class type NE).
* Class codes are `<CODE>-<NN>`, numbered per BSID and code; the second SIS school under a
  BSID numbers its sections from 51 (or the next free fifty), as the Ministry recommends.
* Combined classes (one class code, several courses): the last AVI4M section of a school
  and term joins the last AVI3M class, and a school's Q4 credit-recovery sections share
  classrooms (a computer lab), up to RECOVERY_ROOM courses a class.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.synth.calendar import CONTINUED, Q4, Calendar
from onsis_batch.synth.catalogue import COMBINED, COURSES, PATTERN
from onsis_batch.synth.school_days import TERM_ORDER, SchoolCalendar
from onsis_batch.synth.schools import Board, bsid_of

MINUTES = "75"

# Section kinds: how a group of students takes a course.
REGULAR, RECOVERY, ONLINE_OWN, ONLINE_LMS, INDEPENDENT, DUAL = range(6)
CAPACITY = {REGULAR: 28, RECOVERY: 18, ONLINE_OWN: 30, ONLINE_LMS: 30, INDEPENDENT: 60, DUAL: 24}
RECOVERY_ROOM = 8  # courses (sections) of one Q4 credit-recovery class


def assign_sections(items: pl.DataFrame, board: Board) -> tuple[pl.Series, pl.DataFrame]:
    """Cut each (school, term, course, kind) group of class items into sections of at most
    CAPACITY students; returns each item's section_id (in item order) and the sections.

    `items` needs _pidx (a number per student), school_id, _term, _course, _kind. A student
    always lands in the same section of a group (so a re-entry resumes the class).
    """
    group = ["school_id", "_term", "_course", "_kind"]
    keys = items.select("_pidx", *group)
    capacity = pl.col("_kind").replace_strict(CAPACITY, return_dtype=pl.Int64)
    sizes = keys.group_by(group).agg(pl.len().alias("_size"))
    sizes = sizes.select(*group, ((pl.col("_size") + capacity - 1) // capacity).alias("_count"))
    keyed = keys.join(sizes, on=group, how="left", maintain_order="left").select(
        *group,
        ((pl.col("_pidx").cast(pl.Int64) * 31 + pl.col("_course")) % pl.col("_count"))
        .cast(pl.Int32)
        .alias("_part"),
    )
    sections = _sections(keyed.unique(), board)
    ids = keyed.join(
        sections.select(*group, "_part", "section_id"),
        on=[*group, "_part"],
        how="left",
        maintain_order="left",
    ).get_column("section_id")
    return ids, sections


def _sections(keys: pl.DataFrame, board: Board) -> pl.DataFrame:
    """One row per section key, numbered in school, term, code and kind order."""
    rank = {s.school_id: i for i, s in enumerate(board.timetabled)}
    term_rank = {t: i for i, t in enumerate(TERM_ORDER)}
    code = pl.col("_course").replace_strict(
        {i: c.code for i, c in enumerate(COURSES)}, return_dtype=pl.String
    )
    frame = (
        keys.with_columns(
            pl.col("school_id").replace_strict(rank, return_dtype=pl.Int32).alias("_school"),
            bsid_of(board).alias("_bsid"),
            pl.col("_term").replace_strict(term_rank, return_dtype=pl.Int32).alias("_term_rank"),
            code.alias("_code"),
        )
        .sort("_school", "_term_rank", "_code", "_kind", "_part")
        .with_row_index("_n")
    )
    frame = frame.with_columns(
        (pl.col("_n") + 500_001).cast(pl.String).alias("section_id"),
        (pl.col("_n").cum_count().over("_school", "_code")).cast(pl.Int32).alias("_number"),
    )
    frame = _class_codes(frame)
    frame = _combine_recovery(_combine(frame))
    return _attributes(frame).sort("_n")


def _class_codes(frame: pl.DataFrame) -> pl.DataFrame:
    """`<CODE>-<NN>` from each section's number at its school; the second school of a BSID
    numbers past the first school's sections."""
    first_of_bsid = frame.group_by("_bsid").agg(pl.col("_school").min().alias("_first"))
    frame = frame.join(first_of_bsid, on="_bsid")
    used = (
        frame.filter(pl.col("_school") == pl.col("_first"))
        .group_by("_bsid")
        .agg(pl.col("_number").max().alias("_used"))
    )
    frame = frame.join(used, on="_bsid", how="left").with_columns(
        pl.when(pl.col("_school") == pl.col("_first"))
        .then(pl.col("_number"))
        .otherwise(pl.col("_number") + ((pl.col("_used").fill_null(0) // 50) + 1) * 50)
        .alias("_number")
    )
    number = pl.col("_number").cast(pl.String).str.zfill(2)
    return frame.with_columns(pl.format("{}-{}", "_code", number).alias("class_code"))


def _combine(frame: pl.DataFrame) -> pl.DataFrame:
    """The last AVI4M section of each school and term joins the last AVI3M class there."""
    junior, senior = COMBINED
    regular = pl.col("_kind") == REGULAR
    last = ["school_id", "_term"]
    host = (
        frame.filter(regular & (pl.col("_course") == junior))
        .group_by(last)
        .agg(pl.col("class_code").sort_by("_n").last().alias("_host"))
    )
    guest = (
        frame.filter(regular & (pl.col("_course") == senior))
        .group_by(last)
        .agg(pl.col("_n").max().alias("_guest"))
    )
    pairs = host.join(guest, on=last)
    frame = frame.join(pairs, on=last, how="left")
    return frame.with_columns(
        pl.when(pl.col("_n") == pl.col("_guest"))
        .then(pl.col("_host"))
        .otherwise(pl.col("class_code"))
        .alias("class_code")
    ).drop("_host", "_guest")


def _combine_recovery(frame: pl.DataFrame) -> pl.DataFrame:
    """Q4 credit-recovery sections share a classroom, each student working on their own
    course: a school's sections, in order, make classes of up to RECOVERY_ROOM courses,
    each with the class code of its first section."""
    q4 = pl.col("_term") == Q4
    group = (pl.col("_n").rank("ordinal").over("school_id", "_term") - 1) // RECOVERY_ROOM
    frame = frame.with_columns(group.alias("_room"))
    host = pl.col("class_code").sort_by("_n").first().over("school_id", "_term", "_room")
    return frame.with_columns(
        pl.when(q4).then(host).otherwise(pl.col("class_code")).alias("class_code")
    ).drop("_room")


def _attributes(frame: pl.DataFrame) -> pl.DataFrame:
    """Delivery, class and classroom types, language and flags, from kind and course."""
    kind = pl.col("_kind")
    n = pl.col("_n")
    course = pl.col("_course")
    room = course.replace_strict(
        {i: c.classroom for i, c in enumerate(COURSES)}, return_dtype=pl.String
    )
    local = course.is_in([i for i, c in enumerate(COURSES) if c.course_type == "L"])
    delivery = (
        pl.when(kind == ONLINE_OWN)
        .then(pl.lit("18"))
        .when(kind == ONLINE_LMS)
        .then(pl.lit("19"))
        .when(kind == INDEPENDENT)
        .then(pl.lit("2"))
        .when(kind == DUAL)
        .then(pl.lit("12"))
        .when(n % 2 == 0)
        .then(pl.lit("1"))  # half the regular sections leave it empty (1 by default)
    )
    class_type = (
        pl.when(kind == RECOVERY)
        .then(pl.lit("RCR"))
        .when(kind.is_in([ONLINE_OWN, ONLINE_LMS]))
        .then(pl.lit("E"))
        .when(kind == DUAL)
        .then(pl.lit("NE"))
        .when(kind == INDEPENDENT)
        .then(pl.lit("OTH"))
        .when(local)
        .then(pl.lit("S"))
        .when(n % 3 == 0)
        .then(pl.lit("R"))
    )
    classroom = (
        pl.when(kind.is_in([ONLINE_OWN, ONLINE_LMS]))
        .then(pl.lit("6"))
        .when(pl.col("_term") == Q4)
        .then(pl.lit("4"))  # credit recovery in a computer lab
        .when(kind == INDEPENDENT)
        .then(pl.lit("3"))
        .when(room.is_not_null())
        .then(room)
        .when(n % 20 == 7)
        .then(pl.lit("2"))  # a portable now and then
        .when(n % 4 == 1)
        .then(pl.lit("1"))
    )
    return frame.select(
        "section_id",
        "school_id",
        pl.col("_course")
        .replace_strict({i: c.number for i, c in enumerate(COURSES)}, return_dtype=pl.String)
        .alias("course_number"),
        pl.format("{}-{}", "school_id", "_term").alias("term_id"),
        "class_code",
        delivery.alias("delivery_type"),
        class_type.alias("class_type"),
        classroom.alias("classroom_type"),
        pl.when(n % 3 == 2).then(pl.lit("E")).alias("language"),
        (kind == INDEPENDENT).alias("is_independent_study"),
        (pl.col("_term") == CONTINUED).alias("is_previous_year"),
        (kind == RECOVERY).alias("credit_recovery"),
        (kind == ONLINE_LMS).alias("ministry_content"),
        pl.lit(None, dtype=pl.String).alias("language_program_type"),
        "_n",
        "_bsid",
        "_term",
        "_course",
        "_kind",
        "_part",
    )


def meetings_frame(sections: pl.DataFrame) -> pl.DataFrame:
    """75 minutes every day (no cycle day), or on the A or B days of paired courses; some
    every-day sections are written as one A and one B row. Independent study: no rows."""
    pattern = _pattern_expr()
    meeting = sections.filter(pl.col("_kind") != INDEPENDENT).select(
        "section_id", pattern.alias("cycle_day"), "_n"
    )
    split = meeting.filter(pl.col("cycle_day").is_null() & (pl.col("_n") % 20 == 3))
    every = meeting.join(split.select("section_id"), on="section_id", how="anti")
    rows = pl.concat(
        [
            every.select("section_id", "cycle_day", "_n"),
            split.select("section_id", pl.lit("A").alias("cycle_day"), "_n"),
            split.select("section_id", pl.lit("B").alias("cycle_day"), "_n"),
        ]
    )
    return rows.sort("_n", "cycle_day", nulls_last=False).select(
        "section_id", "cycle_day", pl.lit(MINUTES).alias("minutes")
    )


def _pattern_expr() -> pl.Expr:
    """The cycle day a section of a paired course meets on; null for every day."""
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for (course, term), day in PATTERN.items():
        hit = (pl.col("_course") == course) & (pl.col("_term") == term)
        expr = pl.when(hit).then(pl.lit(day)).otherwise(expr)
    return expr


def meeting_counts(
    sections: pl.DataFrame, calendars: dict[str, SchoolCalendar], cal: Calendar
) -> pl.DataFrame:
    """section_id -> meetings over its whole term (TOTAL_CLASS_COURSE)."""
    keys = sections.select("section_id", "school_id", "_term", _pattern_expr().alias("_pattern"))
    counts: dict[tuple[str, str, str | None], int] = {}
    out = []
    for _, school, term, pattern in keys.iter_rows():
        key = (school, term, pattern)
        if key not in counts:
            first, last = cal.term_bounds[term]
            counts[key] = calendars[school].meetings(pattern, first, last)
        out.append(min(counts[key], 999))
    return pl.DataFrame(
        {"section_id": keys.get_column("section_id"), "_meetings": out},
        schema={"section_id": pl.String, "_meetings": pl.Int64},
    )
