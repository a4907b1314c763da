"""The marks of earlier years: the transcript history of each student.

The pass over the students records one row per student and earlier school year with the
plan followed (credits from another board too, for students who transferred in); `frame`
expands them into marks with polars: every course of a term the student was there for from
(nearly) the start to the end, a few under 50 and, rarely, I or ALT. A compulsory course
failed last year is recorded with its failing mark, to be taken again this year.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import YEAR, Calendar, ordinal_date
from onsis_batch.synth.catalogue import COURSES, ESL_LEVELS, OLC, STUDY_HALL
from onsis_batch.synth.course_plans import CoursePlanner
from onsis_batch.synth.marks import MarkPools
from onsis_batch.synth.people import Person
from onsis_batch.synth.tables import ColumnStore

P_RETAKE = 0.07  # of students with a last-year record: failed a compulsory course, retake it
LATE_START = 10  # days into a term a student may join and still earn its mark
_YEAR_COLUMNS = {
    "_pidx": pl.Int32,
    "school_id": pl.String,  # None for credits from another board
    "_year": pl.Int32,
    "_plan": pl.Int32,
    "_start": pl.Int32,  # ordinals
    "_end": pl.Int32,
}


@cache
def _term_bounds(year: int) -> dict[str, tuple[int, int]]:
    return Calendar(year).term_bounds


class Transcripts:
    """Earlier years of each student, fed in student order from the run's class stream."""

    def __init__(
        self, rng: random.Random, cal: Calendar, seed: int, plans: CoursePlanner, marks: MarkPools
    ) -> None:
        self.rng = rng
        self.cal = cal
        self.seed = seed
        self.plans = plans
        self.marks = marks
        self.years = ColumnStore(_YEAR_COLUMNS)
        self.failed: list[tuple[int, int, int, int]] = []  # pidx, year, course, mark

    def record(self, pidx: int, p: Person, earlier: list[dict[str, Any]]) -> list[int]:
        """Record the earlier years' rows; returns the course failed last year and to take
        again this year, if any."""
        retake = []
        for row in earlier:
            grade = int(row["grade_level"])
            if grade < 9 or row["is_cross_enrolment"]:
                continue
            entry = row["entry_date"]
            year = entry.year if entry.month >= 7 else entry.year - 1
            start = entry.toordinal()
            exit_date = row["exit_date"]
            bounds = _term_bounds(year)
            end = exit_date.toordinal() if exit_date is not None else bounds[YEAR][1] + 1
            plan_id, plan = self.plans.plan(p, grade, year)
            self.years.add(pidx, row["school_id"], year, plan_id, start, end)
            if year == self.cal.year - 1 and self.rng.random() < P_RETAKE:
                failed = [
                    c
                    for c, t in plan
                    if COURSES[c].compulsory
                    and c not in ESL_LEVELS
                    and c != OLC
                    and start <= bounds[t][0] + LATE_START
                    and end > bounds[t][1]
                ]
                if failed:
                    course = failed[int(self.rng.random() * len(failed))]
                    failing = self.marks.failing
                    mark = failing[int(self.rng.random() * len(failing))]
                    self.failed.append((pidx, year, course, mark))
                    retake = [course]
        return retake

    def transfer_credits(self, pidx: int, p: Person) -> None:
        """Credits earned at another board before the student came: no school here."""
        for grade in range(9, p.grade):
            year = self.cal.year - (p.grade - grade)
            first, last = _term_bounds(year)[YEAR]
            plan_id, _ = self.plans.plan(p, grade, year)
            self.years.add(pidx, None, year, plan_id, first, last + 1)

    def frame(self) -> pl.DataFrame:
        """Marks of the earlier years: each recorded year's plan, the courses of terms the
        student was there for from (nearly) the start to the end."""
        years = self.years.frame()
        bounds = pl.DataFrame(
            [
                (year, term, first, last)
                for year in sorted(set(self.years.columns["_year"]))
                for term, (first, last) in _term_bounds(year).items()
            ],
            schema={"_year": pl.Int32, "_term": pl.String, "_first": pl.Int32, "_last": pl.Int32},
            orient="row",
        )
        failed = pl.DataFrame(
            self.failed,
            schema={"_pidx": pl.Int32, "_year": pl.Int32, "_course": pl.Int32, "_fail": pl.Int16},
            orient="row",
        )
        history = (
            years.join(self.plans.plan_items(), on="_plan", maintain_order="left")
            .join(bounds, on=["_year", "_term"], maintain_order="left")
            .filter(
                (pl.col("_start") <= pl.col("_first") + LATE_START)
                & (pl.col("_end") > pl.col("_last"))
                & (pl.col("_course") != STUDY_HALL)
            )
        )
        rng = random.Random(f"onsis-synth-history-marks-{self.seed}")
        return (
            history.with_columns(self.marks.finals_expr(rng, history.height))
            .join(failed, on=["_pidx", "_year", "_course"], how="left", maintain_order="left")
            .select(
                "_pidx",
                "school_id",
                "_course",
                pl.coalesce("_fail", "_mark").alias("_mark"),
                ordinal_date(pl.col("_last")).alias("_credit_date"),
            )
        )
