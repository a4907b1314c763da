"""What every student takes: this year's class items and the marks of earlier years.

One pass over the students, sharing one random stream, writes plain columns (never a row
object per class): each item is a course in a term at a school, clipped to the school
enrolment it belongs to. On the way it plays the class-level scenarios:

* drops early in a semester (no mark), half of them followed by a late add of another
  elective from the drop day; withdrawals after mid-term in grade 11-12 courses, kept on
  the transcript with the mark at the time (full disclosure, `transcript_w`);
* drops later in a term of grade 9-10 and ESL courses (no full disclosure below grade 11,
  so no mark): a semester-1 class between mid-November and mid-January, a semester-2 class
  between early April and early June, so that the March and June submissions send the
  class OnSIS holds open as dropped (D);
* ESL and credit-recovery classes of semester 1 left in October with the mark at the time
  and full disclosure (the October submission adds them as D, the rule for ESL/ELD and
  credit recovery);
* a failed semester-1 course retaken in a credit-recovery class of the short Q4 term
  (mid-April to the last day), the classes the June submission adds;
* transfers out and late entries cut items at the school enrolment's dates;
* a course failed last year taken again (credit recovery for grade 9-10 courses);
* a February-to-January class continued from last year for some grade 12 students;
* online (delivery 18/19), independent-study (2) and dual-credit (12) sections;
* ESL levels in place of English for recent newcomers, the literacy course OLC4O for those
  who passed it this year, IEP and ESL/ELD report-card boxes.

Marks: every class the student stayed in to its term's end (semester 1 and the continued
classes to the end of January, semester 2, the full year and Q4 to the last school day)
gets a final mark dated on the term's last day. Earlier years give the transcript its
history (credits from another board too, for students who transferred in): the pass records
one row per student and year with the plan followed, and `history_frame` expands them into
marks with polars, a few under 50 and, rarely, I or ALT.

The later-term drops, the October ESL/credit-recovery leaving and the Q4 retake each happen
to the first student of each school who can play them (returning or new, with an OEN), so
that even a small run shows every one of them; after that they are drawn like the rest.
"""

from __future__ import annotations

import bisect
import random
from array import array
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.catalogue import (
    CONTINUED,
    CONTINUED_COURSE,
    COURSES,
    DUAL_CREDIT,
    ELD,
    ENGLISH,
    ESL_LEVELS,
    INDEPENDENT,
    OLC,
    ONLINE,
    PATTERN,
    Q4,
    REACH_AHEAD,
    SEM1,
    SEM2,
    STUDY_HALL,
    TEMPLATES_PER_GRADE,
    YEAR,
    Plan,
    elective_swap,
    plan_templates,
)
from onsis_batch.synth.people import Person
from onsis_batch.synth.schools import Board
from onsis_batch.synth.timetable import (
    DUAL,
    EPOCH,
    ONLINE_LMS,
    ONLINE_OWN,
    RECOVERY,
    REGULAR,
    SchoolCalendar,
    SchoolYear,
)
from onsis_batch.synth.timetable import INDEPENDENT as INDEPENDENT_KIND

# What happened to an item.
DONE, DROPPED, WITHDRAWN, ADDED, LEFT, DROPPED_LATE = range(6)
NO_MARK, INCOMPLETE, ALTERNATIVE = -99, -1, -2  # mark codes besides 0-100

P_IEP = 0.10
P_DROP = 0.03
P_REPLACE = 0.5
P_WITHDRAW = 0.012
P_RETAKE = 0.07  # of students with a last-year record: failed a compulsory course, retake it
P_CONTINUED = 0.04
P_ONLINE = 0.08
P_INDEPENDENT = 0.03
P_LETTER = 0.002  # each of I and ALT, among final marks
P_MID_DROP = 0.006  # a grade 9-10 or ESL class dropped later in the semester (no mark)
P_LEAVE = 0.03  # an ESL or credit-recovery class of semester 1 left in October (full disclosure)
P_Q4 = 0.2  # a failed semester-1 course retaken in Q4 credit recovery
STEADY = ("returning", "new")  # scenarios that stay the year (for the first-per-school plays)
LATE_START = 10  # days into a term a student may join and still earn its mark
# Attendance exceptions per class enrolment (a hundred equally likely draws): mostly none.
ABSENCES = (0,) * 45 + (1,) * 20 + (2,) * 13 + (3,) * 9 + (4,) * 6 + (6,) * 4 + (10,) * 2 + (15,)
STATUS = ("A",) * 11 + ("C",) * 5 + ("L",) * 4


def _marks(seed: int) -> tuple[list[int], list[int], list[int]]:
    """Final marks (mean 73, about 5% under 50), marks at a withdrawal and failing marks."""
    rng = random.Random(f"onsis-synth-marks-{seed}")
    finals = [max(12, min(100, round(rng.gauss(73, 14)))) for _ in range(2000)]
    withdrawn = [int(22 + rng.random() * 41) for _ in range(500)]
    failing = [int(28 + rng.random() * 22) for _ in range(200)]
    return finals, withdrawn, failing


@dataclass
class Items:
    """One entry per class enrolment (an item), as plain columns."""

    pidx: array = field(default_factory=lambda: array("i"))
    school: list[str] = field(default_factory=list)
    course: array = field(default_factory=lambda: array("h"))
    term: list[str] = field(default_factory=list)
    kind: array = field(default_factory=lambda: array("b"))
    start: array = field(default_factory=lambda: array("i"))
    end: array = field(default_factory=lambda: array("i"))
    event: array = field(default_factory=lambda: array("b"))
    mark: array = field(default_factory=lambda: array("h"))
    repeated: list[int] = field(default_factory=list)  # item numbers of repeated courses
    withdrawn_on: dict[int, int] = field(default_factory=dict)  # item -> last day in class


@dataclass
class Years:
    """One entry per student and earlier school year: where, and the plan followed."""

    pidx: array = field(default_factory=lambda: array("i"))
    school: list[str | None] = field(default_factory=list)
    year: array = field(default_factory=lambda: array("h"))
    plan: array = field(default_factory=lambda: array("i"))
    start: array = field(default_factory=lambda: array("i"))
    end: array = field(default_factory=lambda: array("i"))
    failed: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # pidx, year, course, mark


@dataclass
class Absences:
    item: array = field(default_factory=lambda: array("i"))
    day: array = field(default_factory=lambda: array("i"))
    status: list[str] = field(default_factory=list)


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


# A planned course this year: (course, term, section kind, repeated course)
Planned = tuple[int, str, int, bool]


class ClassBuilder:
    """Feeds on one student at a time (`add`, every student in order)."""

    def __init__(
        self, seed: int, cal: Calendar, board: Board, calendars: dict[str, SchoolCalendar]
    ) -> None:
        self.seed = seed
        self.rng = random.Random(f"onsis-synth-classes-{seed}")
        self.cal = cal
        self.bounds = SchoolYear(cal.year).bounds
        self.year_start = date(cal.year, 7, 1)
        self.year_end = cal.last_day.toordinal() + 1
        self.templates = plan_templates(seed)
        self.finals, self.withdrawn, self.failing = _marks(seed)
        self.calendars = calendars
        self.items = Items()
        self.years = Years()
        self.absences = Absences()
        self.sids: list[str] = []  # person index -> student id
        self.flags: dict[int, tuple[bool, bool]] = {}  # person index -> (IEP, ESL/ELD)
        self.enrolled: list[Enrolled] = []  # this year's students, for programs and credits
        self.special: dict[Plan, int] = {}  # plans that are no template -> plan id
        self.continued_at: set[str] = set()
        self.played: set[tuple[str, str]] = set()  # (scenario, school) played at least once
        y = cal.year
        self.mid_drop = {  # when later-term drops happen (ordinals)
            SEM1: (date(y, 11, 10).toordinal(), date(y + 1, 1, 16).toordinal()),
            SEM2: (date(y + 1, 4, 7).toordinal(), date(y + 1, 6, 5).toordinal()),
        }
        self.leave = (date(y, 10, 6).toordinal(), date(y, 10, 24).toordinal())
        self._years: dict[int, dict[str, tuple[int, int]]] = {}

    # -- per student ---------------------------------------------------------------------

    def add(self, pidx: int, p: Person, rows: list[dict[str, Any]]) -> None:
        assert pidx == len(self.sids), "students must come in order"
        self.sids.append(p.sid)
        current = [r for r in rows if r["entry_date"] >= self.year_start]
        earlier = [r for r in rows if r["entry_date"] < self.year_start]
        failed = self._history(pidx, p, earlier)
        if not earlier and p.grade >= 10 and p.origin != "country" and not p.has("mature"):
            self._transfer_credits(pidx, p)
        current = [r for r in current if r.get("exit_code") != "NS"]
        if not current:
            return
        rng = self.rng
        iep = rng.random() < P_IEP
        esl = self._esl_level(p, self.cal.year, p.grade) is not None
        self.flags[pidx] = (iep, esl)
        main = [r for r in current if not r["is_cross_enrolment"]] or current
        last = main[-1]
        self.enrolled.append(
            Enrolled(
                pidx,
                p,
                last["school_id"],
                last["_bsid"],
                main[0]["entry_date"],
                last["exit_date"],
                iep,
                bool(main[0]["is_cross_enrolment"]),
            )
        )
        if p.grade < 9:  # reach-ahead: one grade 9 course at the secondary school
            course = REACH_AHEAD[int(rng.random() * len(REACH_AHEAD))]
            for row in current:
                self._emit(pidx, row, [(course, self._term_for(row), REGULAR, False)], 9)
            return
        planned = self._planned(p, failed)
        continued = self._continued(p, earlier, current)
        if continued is not None:
            planned = _with_continued(planned)
        cross = [r for r in current if r["is_cross_enrolment"]]
        home = [r for r in current if not r["is_cross_enrolment"]]
        there: list[Planned] = []
        if cross and home:  # a course or two at the other school, the rest at home
            there = self._move_some(planned, self._term_for(cross[0]))
            planned = [item for item in planned if item not in there]
        steady = p.scenario in STEADY and not p.has("missing_oen")
        for row in home:
            self._emit(pidx, row, planned, p.grade, row is continued, steady)
        for row in cross:
            self._emit(pidx, row, there or planned, p.grade)

    def _planned(self, p: Person, failed: list[int]) -> list[Planned]:
        rng = self.rng
        planned = []
        for course, term in self._plan(p, p.grade, self.cal.year)[1]:
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

    def _plan(self, p: Person, grade: int, year: int) -> tuple[int, Plan]:
        """A plan id and the plan: a template, adjusted for ESL and the literacy course."""
        index = int(self.rng.random() * TEMPLATES_PER_GRADE)
        plan = self.templates[grade][index]
        changed = False
        level = self._esl_level(p, year, grade)
        if level is not None:
            plan = tuple((level if c in ENGLISH else c, t) for c, t in plan)
            changed = True
        if (
            grade == 12
            and p.tests
            and any(t == "OLC" and d.year == year + 1 for t, _, d in p.tests)
        ):
            at = next(
                (i for i, (c, t) in enumerate(plan) if t == SEM1 and not COURSES[c].compulsory),
                None,
            )
            if at is not None:
                plan = (*plan[:at], (OLC, SEM1), *plan[at + 1 :])
                changed = True
        if not changed:
            return grade * 100 + index, plan
        if plan not in self.special:
            self.special[plan] = 10_000 + len(self.special)
        return self.special[plan], plan

    @staticmethod
    def _esl_level(p: Person, year: int, grade: int) -> int | None:
        """ESL level for newcomers from abroad in their first four years here."""
        if p.origin != "country" or p.arrival is None or grade > 11:
            return None
        years = year - (p.arrival.year if p.arrival.month < 7 else p.arrival.year + 1) + 1
        if not 0 <= years <= 3:
            return None
        if years == 0 and p.arrival.day % 2 == 0:  # limited schooling before: ELD
            return ELD
        return ESL_LEVELS[years]

    def _continued(
        self, p: Person, earlier: list[dict[str, Any]], current: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The row a February-to-January class continues into, for a few grade 12 students
        who were at the same school last February (at least one per school)."""
        if p.scenario != "returning" or p.grade != 12:
            return None
        row = current[0]
        if row["is_cross_enrolment"] or row["entry_code"] != "RS":
            return None
        start = self.bounds[CONTINUED][0]
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
        fits = [item for item in planned if item[1] == term and item[0] != STUDY_HALL]
        count = 1 if self.rng.random() < 0.6 else 2
        return fits[:count]

    def _term_for(self, row: dict[str, Any]) -> str:
        """The semester a short enrolment (a cross-enrolment) falls in."""
        entry = row["entry_date"].toordinal()
        exit_date = row["exit_date"]
        if entry >= self.bounds[SEM2][0]:
            return SEM2
        if exit_date is not None and exit_date.toordinal() <= self.bounds[SEM2][0]:
            return SEM1
        return SEM1 if self.rng.random() < 0.5 else SEM2

    # -- items --------------------------------------------------------------------------

    def _emit(
        self,
        pidx: int,
        row: dict[str, Any],
        planned: list[Planned],
        grade: int,
        continues: bool = False,
        steady: bool = False,
    ) -> None:
        bounds, add = self.bounds, self._item
        entry = row["entry_date"].toordinal()
        end = row["exit_date"].toordinal() if row["exit_date"] is not None else self.year_end
        school = row["school_id"]
        taken = {item[0] for item in planned}
        emitted = len(self.items.course)
        for course, term, kind, repeat in planned:
            first, last = bounds[term]
            if term == CONTINUED:
                if continues:
                    add(pidx, school, course, term, kind, first, min(last + 1, end), repeat)
                continue
            if entry == end:  # entered and left the same day
                if first <= entry <= last:
                    add(pidx, school, course, term, kind, entry, entry, repeat)
                continue
            start, stop = max(first, entry), min(last + 1, end)
            if start >= stop:
                continue
            if (
                stop == last + 1
                and start <= first + 7
                and term != YEAR
                and self._changed(
                    pidx, school, (course, term, kind, repeat), start, grade, taken, steady
                )
            ):
                continue
            add(
                pidx, school, course, term, kind, start, stop, repeat, DONE if stop > last else LEFT
            )
        first, last = bounds[Q4]
        if entry <= first and end > last:
            self._retake(pidx, school, emitted, steady)

    def _changed(
        self,
        pidx: int,
        school: str,
        planned: Planned,
        start: int,
        grade: int,
        taken: set[int],
        steady: bool,
    ) -> bool:
        """Play a class scenario on a semester item the student would take from (nearly) the
        start to the end; True when it did (and wrote the items)."""
        rng, add = self.rng, self._item
        course, term, kind, repeat = planned
        first, last = self.bounds[term]
        stop = last + 1
        leaves = term == SEM1 and (kind == RECOVERY or course in ESL_LEVELS)
        if leaves and self._plays(("leave", school), steady, rng.random() < P_LEAVE):
            day = self._session_day(school, *self.leave)
            add(pidx, school, course, term, kind, start, day, repeat, WITHDRAWN)
            return True
        if kind != REGULAR or repeat:
            return False
        roll = rng.random()
        if roll < P_DROP:
            day = self._session_day(school, max(start + 1, first + 8), first + 36)
            add(pidx, school, course, term, kind, start, day, False, DROPPED)
            swap = elective_swap(rng, grade, taken) if rng.random() < P_REPLACE else None
            if swap is not None:
                taken.add(swap)
                add(pidx, school, swap, term, kind, day, stop, False, ADDED)
            return True
        if roll < P_DROP + P_WITHDRAW:
            if COURSES[course].grade < 11:
                return False
            day = self._session_day(school, (first + last) // 2, last - 14)
            add(pidx, school, course, term, kind, start, day, False, WITHDRAWN)
            return True
        drawn = roll < P_DROP + P_WITHDRAW + P_MID_DROP
        lower = COURSES[course].grade <= 10 and course != STUDY_HALL
        if lower and self._plays((term, school), steady, drawn):
            day = self._session_day(school, *self.mid_drop[term])
            add(pidx, school, course, term, kind, start, day, False, DROPPED_LATE)
            return True
        return False

    def _plays(self, key: tuple[str, str], steady: bool, drawn: bool) -> bool:
        """Whether a student who can play a scenario does: when drawn, and always for the
        first steady student at the school (`key` names the scenario and school)."""
        if steady and key not in self.played:
            self.played.add(key)
            return True
        return drawn

    def _retake(self, pidx: int, school: str, emitted: int, steady: bool) -> None:
        """A semester-1 course failed in the items from `emitted` on, taken again in a Q4
        credit-recovery class."""
        items = self.items
        for index in range(emitted, len(items.course)):
            mark = items.mark[index]
            if items.term[index] != SEM1 or not 0 <= mark < 50:
                continue
            course = items.course[index]
            if course in (OLC, DUAL_CREDIT) or COURSES[course].grade < 9:
                continue
            if self._plays(("q4", school), steady, self.rng.random() < P_Q4):
                first, last = self.bounds[Q4]
                self._item(pidx, school, course, Q4, RECOVERY, first, last + 1, True)
            return

    def _item(
        self,
        pidx: int,
        school: str,
        course: int,
        term: str,
        kind: int,
        start: int,
        stop: int,
        repeat: bool,
        event: int = DONE,
    ) -> None:
        items = self.items
        index = len(items.course)
        mark = NO_MARK
        if event == WITHDRAWN:
            mark = self.withdrawn[int(self.rng.random() * len(self.withdrawn))]
            days = self.calendars[school].meeting_days[None]  # the last day in class
            items.withdrawn_on[index] = days[max(0, bisect.bisect_left(days, stop) - 1)]
        elif event != DROPPED and stop == self.bounds[term][1] + 1 and course != STUDY_HALL:
            mark = self._final(course)
        items.pidx.append(pidx)
        items.school.append(school)
        items.course.append(course)
        items.term.append(term)
        items.kind.append(kind)
        items.start.append(start)
        items.end.append(stop)
        items.event.append(event)
        items.mark.append(mark)
        if repeat:
            items.repeated.append(index)
        if stop > start and kind <= RECOVERY:  # no attendance in online or independent study
            self._absences(index, school, PATTERN.get((course, term)), start, stop)

    def _session_day(self, school: str, low: int, high: int) -> int:
        """A day in session at `school` from `low` to `high` (ordinals)."""
        days = self.calendars[school].meeting_days[None]
        first, last = bisect.bisect_left(days, low), bisect.bisect_right(days, high)
        if last <= first:
            return _weekday(low)
        return days[first + int(self.rng.random() * (last - first))]

    def _final(self, course: int) -> int:
        roll = self.rng.random()
        if roll < P_LETTER and COURSES[course].grade >= 11:
            return INCOMPLETE
        if roll < 2 * P_LETTER:
            return ALTERNATIVE
        return self.finals[int(self.rng.random() * len(self.finals))]

    def _absences(self, index: int, school: str, pattern: str | None, start: int, stop: int):
        count = ABSENCES[int(self.rng.random() * 100)]
        if not count:
            return
        days = self.calendars[school].attendance_days[pattern]
        low, high = bisect.bisect_left(days, start), bisect.bisect_left(days, stop)
        span = high - low
        if span <= 0:
            return
        rng, absences = self.rng, self.absences
        for _ in range(min(count, span)):
            absences.item.append(index)
            absences.day.append(days[low + int(rng.random() * span)])
            absences.status.append(STATUS[int(rng.random() * len(STATUS))])

    # -- transcript history --------------------------------------------------------------

    def _history(self, pidx: int, p: Person, earlier: list[dict[str, Any]]) -> list[int]:
        """Record the earlier years' rows; returns the course failed last year and to take
        again this year, if any."""
        retake = []
        last_year = self.cal.year - 1
        for row in earlier:
            grade = int(row["grade_level"])
            if grade < 9 or row["is_cross_enrolment"]:
                continue
            entry = row["entry_date"]
            year = entry.year if entry.month >= 7 else entry.year - 1
            start = entry.toordinal()
            exit_date = row["exit_date"]
            bounds = self._bounds(year)
            end = exit_date.toordinal() if exit_date is not None else bounds[YEAR][1] + 1
            plan_id, plan = self._plan(p, grade, year)
            self._year(pidx, row["school_id"], year, plan_id, start, end)
            if year == last_year and self.rng.random() < P_RETAKE:
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
                    mark = self.failing[int(self.rng.random() * len(self.failing))]
                    self.years.failed.append((pidx, year, course, mark))
                    retake = [course]
        return retake

    def _transfer_credits(self, pidx: int, p: Person) -> None:
        """Credits earned at another board before the student came: no school here."""
        for grade in range(9, p.grade):
            year = self.cal.year - (p.grade - grade)
            bounds = self._bounds(year)
            plan_id, _ = self._plan(p, grade, year)
            self._year(pidx, None, year, plan_id, bounds[YEAR][0], bounds[YEAR][1] + 1)

    def _year(
        self,
        pidx: int,
        school: str | None,
        year: int,
        plan: int,
        start: int,
        end: int,
    ) -> None:
        years = self.years
        years.pidx.append(pidx)
        years.school.append(school)
        years.year.append(year)
        years.plan.append(plan)
        years.start.append(start)
        years.end.append(end)

    def _bounds(self, year: int) -> dict[str, tuple[int, int]]:
        if year not in self._years:
            self._years[year] = SchoolYear(year).bounds
        return self._years[year]

    # -- frames -------------------------------------------------------------------------

    def release(self) -> None:
        """Drop the columns once they are frames."""
        self.items, self.years, self.absences = Items(), Years(), Absences()

    def students(self) -> pl.DataFrame:
        """_pidx -> student_id."""
        return self._students()

    def _students(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "_pidx": pl.int_range(len(self.sids), dtype=pl.Int32, eager=True),
                "student_id": pl.Series(self.sids, dtype=pl.String),
            }
        )

    def items_frame(self) -> pl.DataFrame:
        """Class items: student, school, course, term, section kind, dates, what happened,
        mark code and credit date, report-card boxes, repeated course."""
        items = self.items
        flagged = [(pidx, iep, esl) for pidx, (iep, esl) in self.flags.items() if iep or esl]
        flags = pl.DataFrame(
            flagged,
            schema={"_pidx": pl.Int32, "iep": pl.Boolean, "esl_eld": pl.Boolean},
            orient="row",
        )
        withdrawn = pl.DataFrame(
            {"_item": list(items.withdrawn_on), "_w": list(items.withdrawn_on.values())},
            schema={"_item": pl.Int32, "_w": pl.Int32},
        )
        last_days = pl.DataFrame(
            {"_term": list(self.bounds), "_last": [b[1] for b in self.bounds.values()]},
            schema={"_term": pl.String, "_last": pl.Int32},
        )
        frame = pl.DataFrame(
            {
                "_item": pl.int_range(len(items.course), dtype=pl.Int32, eager=True),
                "_pidx": pl.Series(items.pidx, dtype=pl.Int32),
                "school_id": pl.Series(items.school, dtype=pl.String),
                "_course": pl.Series(items.course, dtype=pl.Int32),
                "_term": pl.Series(items.term, dtype=pl.String),
                "_kind": pl.Series(items.kind, dtype=pl.Int32),
                "date_enrolled": _dates(items.start),
                "date_left": _dates(items.end),
                "_event": pl.Series(items.event, dtype=pl.Int8),
                "_mark": pl.Series(items.mark, dtype=pl.Int16),
            }
        )
        mark = pl.col("_mark") != NO_MARK
        day = pl.when(pl.col("_w").is_not_null()).then(pl.col("_w")).when(mark).then("_last")
        return (
            frame.join(self._students(), on="_pidx", how="left", maintain_order="left")
            .join(flags, on="_pidx", how="left", maintain_order="left")
            .join(withdrawn, on="_item", how="left", maintain_order="left")
            .join(last_days, on="_term", how="left", maintain_order="left")
            .with_columns(
                pl.col("iep").fill_null(False),
                pl.col("esl_eld").fill_null(False),
                pl.col("_item").is_in(items.repeated).alias("_repeat"),
                (day - EPOCH).cast(pl.Date).alias("_credit_date"),
            )
            .drop("_w", "_last")
        )

    def history_frame(self) -> pl.DataFrame:
        """Marks of the earlier years: each recorded year's plan, the courses of terms the
        student was there for from (nearly) the start to the end."""
        years = self.years
        frame = pl.DataFrame(
            {
                "_pidx": pl.Series(years.pidx, dtype=pl.Int32),
                "school_id": pl.Series(years.school, dtype=pl.String),
                "_year": pl.Series(years.year, dtype=pl.Int32),
                "_plan": pl.Series(years.plan, dtype=pl.Int32),
                "_start": pl.Series(years.start, dtype=pl.Int32),
                "_end": pl.Series(years.end, dtype=pl.Int32),
            }
        )
        plans = [
            (grade * 100 + index, course, term)
            for grade, templates in self.templates.items()
            for index, plan in enumerate(templates)
            for course, term in plan
        ]
        plans += [
            (pid, course, term) for plan, pid in self.special.items() for course, term in plan
        ]
        plan_items = pl.DataFrame(
            plans,
            schema={"_plan": pl.Int32, "_course": pl.Int32, "_term": pl.String},
            orient="row",
        )
        bounds = pl.DataFrame(
            [
                (year, term, first, last)
                for year in sorted(set(years.year))
                for term, (first, last) in self._bounds(year).items()
            ],
            schema={"_year": pl.Int32, "_term": pl.String, "_first": pl.Int32, "_last": pl.Int32},
            orient="row",
        )
        failed = pl.DataFrame(
            years.failed,
            schema={"_pidx": pl.Int32, "_year": pl.Int32, "_course": pl.Int32, "_fail": pl.Int16},
            orient="row",
        )
        history = (
            frame.join(plan_items, on="_plan", maintain_order="left")
            .join(bounds, on=["_year", "_term"], maintain_order="left")
            .filter(
                (pl.col("_start") <= pl.col("_first") + LATE_START)
                & (pl.col("_end") > pl.col("_last"))
                & (pl.col("_course") != STUDY_HALL)
            )
            .with_row_index("_n")
        )
        return (
            history.with_columns(self._history_marks(history.height))
            .join(failed, on=["_pidx", "_year", "_course"], how="left", maintain_order="left")
            .select(
                "_pidx",
                "school_id",
                "_course",
                pl.coalesce("_fail", "_mark").alias("_mark"),
                (pl.col("_last") - EPOCH).cast(pl.Date).alias("_credit_date"),
            )
        )

    def _history_marks(self, count: int) -> pl.Expr:
        """A mark for each history row, drawn like the class marks (a seeded stream)."""
        rng = random.Random(f"onsis-synth-history-marks-{self.seed}")
        finals, size = self.finals, len(self.finals)
        marks = [finals[int(rng.random() * size)] for _ in range(count)]
        letter = [rng.random() for _ in range(count)]
        senior = pl.col("_course").is_in([i for i, c in enumerate(COURSES) if c.grade >= 11])
        roll = pl.Series(letter, dtype=pl.Float64)
        return (
            pl.when(pl.lit(roll) < P_LETTER)
            .then(pl.when(senior).then(INCOMPLETE).otherwise(ALTERNATIVE))
            .when(pl.lit(roll) < 2 * P_LETTER)
            .then(ALTERNATIVE)
            .otherwise(pl.lit(pl.Series(marks, dtype=pl.Int16)))
            .cast(pl.Int16)
            .alias("_mark")
        )

    def absences_frame(self) -> pl.DataFrame:
        absences = self.absences
        return pl.DataFrame(
            {
                "_item": pl.Series(absences.item, dtype=pl.Int32),
                "date": _dates(absences.day),
                "status": pl.Series(absences.status, dtype=pl.String),
            }
        )


def _with_continued(planned: list[Planned]) -> list[Planned]:
    """The continued course takes a first-semester slot (and leaves the plan elsewhere)."""
    kept = [item for item in planned if item[0] != CONTINUED_COURSE]
    at = next(
        (i for i, item in enumerate(kept) if item[1] == SEM1 and not COURSES[item[0]].compulsory),
        None,
    )
    if at is None:
        return planned
    kept[at] = (CONTINUED_COURSE, CONTINUED, REGULAR, False)
    return kept


def _weekday(ordinal: int) -> int:
    """The ordinal itself when a weekday, else the next Monday."""
    weekday = (ordinal - 1) % 7  # date.fromordinal(1) is a Monday
    return ordinal if weekday < 5 else ordinal + (7 - weekday)


def _dates(ordinals: array) -> pl.Series:
    """Ordinals as a polars Date series."""
    return (pl.Series(ordinals, dtype=pl.Int32) - EPOCH).cast(pl.Date)
