"""Which courses a student takes in a school year, and under which enrolment row.

A year's plan is a template of the student's grade (catalogue), with English replaced by an
ESL level for recent newcomers and an elective by the literacy course OLC4O for grade 12
students who passed it that year. This year's courses add a section kind (online,
independent study, dual credit), the retake of a course failed last year (credit recovery
for grade 9-10 courses), the February-to-January class continued from last year for some
grade 12 students, and for a student cross-enrolled at another school of the board a course
or two taken there.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

import polars as pl

from onsis_batch.synth.calendar import CONTINUED, SEM1, SEM2, Calendar
from onsis_batch.synth.catalogue import (
    CONTINUED_COURSE,
    COURSES,
    DUAL_CREDIT,
    ELD,
    ENGLISH,
    ESL_LEVELS,
    INDEPENDENT,
    OLC,
    ONLINE,
    STUDY_HALL,
    TEMPLATES_PER_GRADE,
    Plan,
    plan_templates,
)
from onsis_batch.synth.people import Person
from onsis_batch.synth.sections import DUAL, ONLINE_LMS, ONLINE_OWN, RECOVERY, REGULAR
from onsis_batch.synth.sections import INDEPENDENT as INDEPENDENT_KIND

P_CONTINUED = 0.04
P_ONLINE = 0.08
P_INDEPENDENT = 0.03

Row = dict[str, Any]  # a school enrolment row
# A planned course this year: (course, term, section kind, repeated course)
Planned = tuple[int, str, int, bool]


class Placement(NamedTuple):
    """The courses a student takes under one of this year's enrolment rows."""

    row: Row
    courses: list[Planned]
    continues: bool  # the row holds the class continued from last year


class CoursePlanner:
    """Hands out plans; draws from the run's class stream (`rng`), in student order."""

    def __init__(self, rng: random.Random, cal: Calendar, seed: int) -> None:
        self.rng = rng
        self.cal = cal
        self.templates = plan_templates(seed)
        self.special: dict[Plan, int] = {}  # plans that are no template -> plan id
        self.continued_at: set[str] = set()  # schools with a continued class

    def plan(self, p: Person, grade: int, year: int) -> tuple[int, Plan]:
        """A plan id and the plan: a template, adjusted for ESL and the literacy course."""
        index = int(self.rng.random() * TEMPLATES_PER_GRADE)
        plan = self.templates[grade][index]
        changed = False
        level = esl_level(p, year, grade)
        if level is not None:
            plan = tuple((level if c in ENGLISH else c, t) for c, t in plan)
            changed = True
        if grade == 12 and any(t == "OLC" and d.year == year + 1 for t, _, d in p.tests):
            at = _first_elective(plan, SEM1)
            if at is not None:
                plan = (*plan[:at], (OLC, SEM1), *plan[at + 1 :])
                changed = True
        if not changed:
            return grade * 100 + index, plan
        if plan not in self.special:
            self.special[plan] = 10_000 + len(self.special)
        return self.special[plan], plan

    def placements(
        self, p: Person, failed: list[int], earlier: list[Row], current: list[Row]
    ) -> list[Placement]:
        """The courses a student of grade 9-12 takes this year under each current row, the
        main rows first: a course or two at the school of a cross-enrolment, the rest at home."""
        planned = self._this_year(p, failed)
        continued = self._continued(p, earlier, current)
        if continued is not None:
            planned = _with_continued(planned)
        cross = [r for r in current if r["is_cross_enrolment"]]
        home = [r for r in current if not r["is_cross_enrolment"]]
        there: list[Planned] = []
        if cross and home:
            there = self._move_some(planned, self.term_for(cross[0]))
            planned = [item for item in planned if item not in there]
        return [Placement(row, planned, row is continued) for row in home] + [
            Placement(row, there or planned, False) for row in cross
        ]

    def term_for(self, row: Row) -> str:
        """The semester a short enrolment (a cross-enrolment) falls in."""
        bounds = self.cal.term_bounds
        entry = row["entry_date"].toordinal()
        exit_date = row["exit_date"]
        if entry >= bounds[SEM2][0]:
            return SEM2
        if exit_date is not None and exit_date.toordinal() <= bounds[SEM2][0]:
            return SEM1
        return SEM1 if self.rng.random() < 0.5 else SEM2

    def plan_items(self) -> pl.DataFrame:
        """_plan, _course and _term of every plan handed out (templates and special plans)."""
        plans = [
            (grade * 100 + index, course, term)
            for grade, templates in self.templates.items()
            for index, plan in enumerate(templates)
            for course, term in plan
        ]
        plans += [
            (pid, course, term) for plan, pid in self.special.items() for course, term in plan
        ]
        return pl.DataFrame(
            plans,
            schema={"_plan": pl.Int32, "_course": pl.Int32, "_term": pl.String},
            orient="row",
        )

    def _this_year(self, p: Person, failed: list[int]) -> list[Planned]:
        """The plan of the current year with section kinds, the first failed course retaken
        in one of its slots."""
        rng = self.rng
        planned = []
        for course, term in self.plan(p, p.grade, self.cal.year)[1]:
            kind = REGULAR
            if course == DUAL_CREDIT:
                kind = DUAL
            elif course in ONLINE and rng.random() < P_ONLINE:
                kind = ONLINE_LMS if rng.random() < 0.6 else ONLINE_OWN
            elif course in INDEPENDENT and rng.random() < P_INDEPENDENT:
                kind = INDEPENDENT_KIND
            planned.append((course, term, kind, False))
        if failed:
            retake = failed[0]
            kind = RECOVERY if COURSES[retake].grade <= 10 else REGULAR
            term = SEM1 if rng.random() < 0.5 else SEM2
            slots = [i for i, (_, t, _, _) in enumerate(planned) if t == term]
            electives = [i for i in slots if not COURSES[planned[i][0]].compulsory]
            at = (electives or slots)[-1]
            planned[at] = (retake, term, kind, True)
        return planned

    def _continued(self, p: Person, earlier: list[Row], current: list[Row]) -> Row | None:
        """The row a February-to-January class continues into, for a few grade 12 students
        who were at the same school last February (at least one per school)."""
        if p.scenario != "returning" or p.grade != 12:
            return None
        row = current[0]
        if row["is_cross_enrolment"] or row["entry_code"] != "RS":
            return None
        start = self.cal.term_bounds[CONTINUED][0]
        school = row["school_id"]
        if not any(
            r["school_id"] == school and r["entry_date"].toordinal() <= start for r in earlier
        ):
            return None
        if school in self.continued_at and self.rng.random() >= P_CONTINUED:
            return None
        self.continued_at.add(school)
        return row

    def _move_some(self, planned: list[Planned], term: str) -> list[Planned]:
        """One or two courses of `term` to take at the other school."""
        fits = [item for item in planned if item[1] == term and item[0] != STUDY_HALL]
        count = 1 if self.rng.random() < 0.6 else 2
        return fits[:count]


def esl_level(p: Person, year: int, grade: int) -> int | None:
    """ESL level for newcomers from abroad in their first four years here."""
    if p.origin != "country" or p.arrival is None or grade > 11:
        return None
    arrival: date = p.arrival
    years = year - (arrival.year if arrival.month < 7 else arrival.year + 1) + 1
    if not 0 <= years <= 3:
        return None
    if years == 0 and arrival.day % 2 == 0:  # limited schooling before: ELD
        return ELD
    return ESL_LEVELS[years]


def _first_elective(items: Iterable[tuple[int, str]], term: str) -> int | None:
    """The position of the first non-compulsory course of `term` among (course, term)."""
    return next(
        (i for i, (c, t) in enumerate(items) if t == term and not COURSES[c].compulsory), None
    )


def _with_continued(planned: list[Planned]) -> list[Planned]:
    """The continued course takes a first-semester slot (and leaves the plan elsewhere)."""
    kept = [item for item in planned if item[0] != CONTINUED_COURSE]
    at = _first_elective((item[:2] for item in kept), SEM1)
    if at is None:
        return planned
    kept[at] = (CONTINUED_COURSE, CONTINUED, REGULAR, False)
    return kept
