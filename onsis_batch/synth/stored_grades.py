"""Stored grades: the transcript as the contract's `stored_grades` table.

They hold the final marks the class items earned (every term's, dated the term's
last day, with the credit-recovery and Ministry-content flags of their section; withdrawals
with `transcript_w`), the earlier years' marks, and credits earned outside a class here:
PLAR (type 7 with PLE99 for mature students, type 8 challenges of a course) and other
credits (conservatory music, type 5; co-operative education, type 15). Those credits are
dated in turn in each of the three periods (September-October, November-March,
April-June), so every submission has some, and most carry the BSID of the school that
granted them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar, school_day
from onsis_batch.synth.catalogue import CHALLENGE, CONSERVATORY, COOP, COURSES, PLAR
from onsis_batch.synth.class_items import WITHDRAWN
from onsis_batch.synth.coursework import Enrolled
from onsis_batch.synth.marks import ALTERNATIVE, INCOMPLETE, NO_MARK
from onsis_batch.synth.rand import between, some_of
from onsis_batch.synth.schools import Board
from onsis_batch.synth.sections import ONLINE_LMS, RECOVERY

P_CHALLENGE = 0.003
P_CONSERVATORY = 0.003
P_COOP = 0.003

_NUMBER = {i: c.number for i, c in enumerate(COURSES)}
_CREDIT = {i: c.credit for i, c in enumerate(COURSES)}
_GRADE = {i: c.grade for i, c in enumerate(COURSES)}

# Stored grades are kept compact (numbers only) until they are written: one row per grade
# with its student, school, section, course, mark code and date; the text columns are made
# while streaming to the file.
COMPACT = {
    "_pidx": pl.Int32,  # student number of the run
    "_school": pl.Int16,  # index in board.schools; null for another board's credit
    "_section": pl.Int32,  # the (numeric) section id of a class mark
    "_course": pl.Int16,
    "_mark": pl.Int16,  # 0-100, INCOMPLETE, ALTERNATIVE, or NO_MARK (PLAR without a mark)
    "_credit_date": pl.Date,
    "_withdrawn": pl.Boolean,
    "_kind": pl.Int8,  # section kind of a class mark
    "_plar_type": pl.Int8,
    "_credit_type": pl.Int8,
}


def _school_index(board: Board) -> pl.Expr:
    """school_id as its index in board.schools (null when empty)."""
    index = {s.school_id: i for i, s in enumerate(board.schools)}
    return pl.col("school_id").replace_strict(index, default=None, return_dtype=pl.Int16)


def _compact(frame: pl.DataFrame, board: Board) -> pl.DataFrame:
    """The COMPACT columns of `frame` (school and section as numbers), null where missing."""
    if "school_id" in frame.columns:
        frame = frame.with_columns(_school_index(board).alias("_school"))
    if "section_id" in frame.columns:
        frame = frame.with_columns(pl.col("section_id").cast(pl.Int32).alias("_section"))
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in COMPACT.items()
    )


def class_grades(items: pl.DataFrame, board: Board) -> pl.DataFrame:
    """Marks of this year's class items (items carry _pidx, school_id and section_id)."""
    graded = items.filter(pl.col("_mark") != NO_MARK)
    withdrawn = (pl.col("_event") == WITHDRAWN).alias("_withdrawn")
    return _compact(graded.with_columns(withdrawn), board)


def history_grades(history: pl.DataFrame, board: Board) -> pl.DataFrame:
    """Marks of the earlier years (`Coursework.history_frame`)."""
    return _compact(history.with_columns(pl.lit(False).alias("_withdrawn")), board)


def stored_grades(
    parts: Sequence[pl.DataFrame], students: pl.DataFrame, board: Board
) -> pl.LazyFrame:
    """All stored grades, per student by date, numbered, as the contract's columns; a few
    without the granting BSID. `students` maps _pidx to student_id."""
    grades = (
        pl.concat([part.lazy() for part in parts])
        .sort("_pidx", "_credit_date", "_course", maintain_order=True)
        .with_row_index("_n")
        .join(students.lazy(), on="_pidx", how="left", maintain_order="left")
    )
    mark = pl.col("_mark")
    credit = pl.col("_course").replace_strict(_CREDIT, return_dtype=pl.String)
    withdrawn = pl.col("_withdrawn")
    school = pl.col("_school")
    ids = dict(enumerate(s.school_id for s in board.schools))
    bsids = dict(enumerate(s.bsid for s in board.schools))
    return grades.select(
        (pl.col("_n") + 1_000_001).cast(pl.String).alias("grade_id"),
        "student_id",
        school.replace_strict(ids, default=None, return_dtype=pl.String).alias("school_id"),
        pl.col("_course").replace_strict(_NUMBER, return_dtype=pl.String).alias("course_number"),
        pl.col("_section").cast(pl.String).alias("section_id"),
        pl.when(mark == INCOMPLETE)
        .then(pl.lit("I"))
        .when(mark == ALTERNATIVE)
        .then(pl.lit("ALT"))
        .when(mark != NO_MARK)
        .then(mark.cast(pl.String))
        .alias("grade"),
        pl.when(~withdrawn & ((mark >= 50) | (mark == NO_MARK)))
        .then(credit)
        .otherwise(pl.lit("0.00"))
        .alias("earned_credit"),
        pl.when(mark == ALTERNATIVE)
        .then(pl.lit("0.00"))
        .otherwise(credit)
        .alias("potential_credit"),
        pl.col("_credit_date").alias("credit_date"),
        pl.col("_credit_date").alias("date_stored"),
        withdrawn.alias("transcript_w"),
        pl.lit(False).alias("transcript_a_m"),
        pl.col("_plar_type").cast(pl.String).alias("plar_type"),
        pl.when(pl.col("_plar_type").is_not_null()).then(pl.lit("S")).alias("plar_status"),
        pl.col("_credit_type").cast(pl.String).alias("credit_type"),
        pl.when(pl.col("_n") % 23 != 5)
        .then(school.replace_strict(bsids, default=None, return_dtype=pl.String))
        .alias("bsid_completed_at"),
        (
            pl.col("_course").replace_strict(_GRADE, return_dtype=pl.Int32).is_in([9, 10])
            & mark.is_between(0, 49)
        ).alias("exclude_from_transcript"),
        (pl.col("_kind") == RECOVERY).fill_null(False).alias("credit_recovery"),
        (pl.col("_kind") == ONLINE_LMS).fill_null(False).alias("ministry_content"),
        pl.lit(None, pl.String).alias("requirement"),
    )


def credit_grades(
    rng: random.Random, cal: Calendar, enrolled: Sequence[Enrolled], board: Board
) -> pl.DataFrame:
    """PLAR and other-credit stored grades: no section, credit date inside a period."""
    rows: list[dict[str, Any]] = []
    staying = [e for e in enrolled if e.exit is None and not e.cross]
    senior = [e for e in staying if e.person.grade >= 11 and not e.person.has("mature")]
    plar = itertools.count()  # the n-th PLAR (and other credit, below) falls in period n % 3
    for e in staying:
        if e.person.has("mature") and e.person.plar is not None:
            day = _credit_day(rng, cal, e.entry, next(plar))
            for _ in range(between(rng, 2, 4)):  # one PLAR segment, its credits summed
                rows.append(_credit(e, PLAR, day, NO_MARK, plar_type=7))
    for e in some_of(rng, senior, P_CHALLENGE, least=3):
        day = _credit_day(rng, cal, e.entry, next(plar))
        rows.append(_credit(e, CHALLENGE, day, between(rng, 60, 92), plar_type=8))
    other = itertools.count()
    for e in some_of(rng, senior, P_CONSERVATORY, least=2):
        day = _credit_day(rng, cal, e.entry, next(other))
        rows.append(_credit(e, CONSERVATORY, day, between(rng, 72, 96), credit_type=5))
    for e in some_of(rng, senior, P_COOP, least=2):
        day = _credit_day(rng, cal, e.entry, next(other))
        rows.append(_credit(e, COOP, day, between(rng, 70, 95), credit_type=15))
    schema = {**COMPACT, "school_id": pl.String}
    del schema["_school"]
    return _compact(pl.DataFrame(rows, schema=schema), board)


def _credit_day(rng: random.Random, cal: Calendar, entry: date, n: int) -> date:
    """A school day in period `n % 3` (October's, March's, June's), after the student's
    entry: in a later period when the student came too late for that one."""
    windows = [
        (date(cal.year, 9, 15), date(cal.year, 10, 24)),
        (date(cal.year, 11, 10), date(cal.year + 1, 3, 20)),
        (date(cal.year + 1, 4, 10), date(cal.year + 1, 6, 12)),
    ]
    index = n % 3
    while index < 2 and entry + timedelta(days=9) > windows[index][1]:
        index += 1
    start, end = windows[index]
    return school_day(rng, max(start, entry + timedelta(days=1)), max(end, entry + timedelta(9)))


def _credit(
    e: Enrolled,
    course: int,
    day: date,
    mark: int,
    plar_type: int | None = None,
    credit_type: int | None = None,
) -> dict[str, Any]:
    return {
        "_pidx": e.pidx,
        "school_id": e.school_id,
        "_section": None,
        "_course": course,
        "_mark": mark,
        "_credit_date": day,
        "_withdrawn": False,
        "_kind": None,
        "_plar_type": plar_type,
        "_credit_type": credit_type,
    }
