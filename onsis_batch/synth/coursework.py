"""What every student takes: this year's class items and the marks of earlier years.

One pass over the students, sharing one random stream, feeds the course planner, the class
items and the transcripts (plain columns, never a row object per class). Besides the items
of the planned courses it places a grade 8 reach-ahead student in one grade 9 course, and
gives students their IEP and ESL/ELD report-card boxes. `enrolled` keeps this year's
students for the programs and credits made after the pass.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.catalogue import REACH_AHEAD
from onsis_batch.synth.class_items import ClassItems
from onsis_batch.synth.course_plans import CoursePlanner, esl_level
from onsis_batch.synth.marks import MarkPools
from onsis_batch.synth.people import Person
from onsis_batch.synth.school_days import SchoolCalendar
from onsis_batch.synth.sections import REGULAR
from onsis_batch.synth.transcripts import Transcripts

P_IEP = 0.10
STEADY = ("returning", "new")  # scenarios that stay the year (for the first-per-school plays)


@dataclass(frozen=True, slots=True)
class Enrolled:
    """A student enrolled this year: where, since and until when (their main rows)."""

    pidx: int
    person: Person
    school_id: str
    bsid: str
    entry: date
    exit: date | None
    iep: bool
    cross: bool


class Coursework:
    """Feeds on one student at a time (`add`, every student in order)."""

    def __init__(self, seed: int, cal: Calendar, calendars: dict[str, SchoolCalendar]) -> None:
        self.rng = random.Random(f"onsis-synth-classes-{seed}")
        self.cal = cal
        self.year_start = date(cal.year, 7, 1)
        marks = MarkPools.for_seed(seed)
        self.plans = CoursePlanner(self.rng, cal, seed)
        self.classes = ClassItems(self.rng, cal, calendars, marks)
        self.transcripts = Transcripts(self.rng, cal, seed, self.plans, marks)
        self.sids: list[str] = []  # person index -> student id
        self.flags: dict[int, tuple[bool, bool]] = {}  # person index -> (IEP, ESL/ELD)
        self.enrolled: list[Enrolled] = []  # this year's students, for programs and credits

    def add(self, pidx: int, p: Person, rows: list[dict[str, Any]]) -> None:
        """Take in the next student with their school enrolment rows."""
        assert pidx == len(self.sids), "students must come in order"
        self.sids.append(p.sid)
        current = [r for r in rows if r["entry_date"] >= self.year_start]
        earlier = [r for r in rows if r["entry_date"] < self.year_start]
        failed = self.transcripts.record(pidx, p, earlier)
        if not earlier and p.grade >= 10 and p.origin != "country" and not p.has("mature"):
            self.transcripts.transfer_credits(pidx, p)
        current = [r for r in current if r.get("exit_code") != "NS"]
        if not current:
            return
        iep = self.rng.random() < P_IEP
        esl = esl_level(p, self.cal.year, p.grade) is not None
        self.flags[pidx] = (iep, esl)
        self.enrolled.append(_enrolled(pidx, p, current, iep))
        if p.grade < 9:  # reach-ahead: one grade 9 course at the secondary school
            course = REACH_AHEAD[int(self.rng.random() * len(REACH_AHEAD))]
            for row in current:
                term = self.plans.term_for(row)
                self.classes.emit(pidx, row, [(course, term, REGULAR, False)], 9)
            return
        steady = p.scenario in STEADY and not p.has("missing_oen")
        for row, courses, continues in self.plans.placements(p, failed, earlier, current):
            at_home = not row["is_cross_enrolment"]
            self.classes.emit(pidx, row, courses, p.grade, continues, steady and at_home)

    def students(self) -> pl.DataFrame:
        """_pidx -> student_id."""
        return pl.DataFrame(
            {
                "_pidx": pl.int_range(len(self.sids), dtype=pl.Int32, eager=True),
                "student_id": pl.Series(self.sids, dtype=pl.String),
            }
        )

    def items_frame(self) -> pl.DataFrame:
        """The class items of the year, with their students and report-card boxes."""
        flagged = [(pidx, iep, esl) for pidx, (iep, esl) in self.flags.items() if iep or esl]
        flags = pl.DataFrame(
            flagged,
            schema={"_pidx": pl.Int32, "iep": pl.Boolean, "esl_eld": pl.Boolean},
            orient="row",
        )
        return self.classes.frame(self.students(), flags)

    def history_frame(self) -> pl.DataFrame:
        """Marks of the earlier years."""
        return self.transcripts.frame()

    def absences_frame(self) -> pl.DataFrame:
        """The attendance exceptions of the year, by item."""
        return self.classes.absences_frame()

    def release(self) -> None:
        """Drop the columns once they are frames."""
        del self.classes, self.transcripts


def _enrolled(pidx: int, p: Person, current: list[dict[str, Any]], iep: bool) -> Enrolled:
    """The student's stay this year: from the first main row to the last one."""
    main = [r for r in current if not r["is_cross_enrolment"]] or current
    last = main[-1]
    return Enrolled(
        pidx,
        p,
        last["school_id"],
        last["_bsid"],
        main[0]["entry_date"],
        last["exit_date"],
        iep,
        bool(main[0]["is_cross_enrolment"]),
    )
