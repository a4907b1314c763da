"""Class items of the current year: each course a student takes in a term at a school,
clipped to the school enrolment it belongs to, with what happened to it, its mark and its
absences.

On the way the class-level scenarios are played:

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
* transfers out and late entries cut items at the school enrolment's dates.

Marks: every class the student stayed in to its term's end (semester 1 and the continued
classes to the end of January, semester 2, the full year and Q4 to the last school day)
gets a final mark dated on the term's last day.

The later-term drops, the October ESL/credit-recovery leaving and the Q4 retake each happen
to the first student of each school who can play them (returning or new, with an OEN), so
that even a small run shows every one of them; after that they are drawn like the rest.
"""

from __future__ import annotations

import bisect
import random
from datetime import date
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import CONTINUED, Q4, SEM1, SEM2, YEAR, Calendar, ordinal_date
from onsis_batch.synth.catalogue import (
    COURSES,
    DUAL_CREDIT,
    ESL_LEVELS,
    OLC,
    PATTERN,
    STUDY_HALL,
    elective_swap,
)
from onsis_batch.synth.course_plans import Planned
from onsis_batch.synth.marks import NO_MARK, MarkPools
from onsis_batch.synth.school_days import SchoolCalendar
from onsis_batch.synth.sections import RECOVERY, REGULAR
from onsis_batch.synth.tables import ColumnStore

# What happened to an item.
DONE, DROPPED, WITHDRAWN, ADDED, LEFT, DROPPED_LATE = range(6)

P_DROP = 0.03
P_REPLACE = 0.5
P_WITHDRAW = 0.012
P_MID_DROP = 0.006  # a grade 9-10 or ESL class dropped later in the semester (no mark)
P_LEAVE = 0.03  # an ESL or credit-recovery class of semester 1 left in October (full disclosure)
P_Q4 = 0.2  # a failed semester-1 course retaken in Q4 credit recovery
# Attendance exceptions per class enrolment (a hundred equally likely draws): mostly none.
ABSENCES = (0,) * 45 + (1,) * 20 + (2,) * 13 + (3,) * 9 + (4,) * 6 + (6,) * 4 + (10,) * 2 + (15,)
STATUS = ("A",) * 11 + ("C",) * 5 + ("L",) * 4

_ITEM_COLUMNS = {
    "_pidx": pl.Int32,  # the student's number in the run
    "school_id": pl.String,
    "_course": pl.Int32,
    "_term": pl.String,
    "_kind": pl.Int32,  # section kind
    "date_enrolled": pl.Date,
    "date_left": pl.Date,
    "_event": pl.Int8,  # what happened
    "_mark": pl.Int16,  # mark code
}
_ABSENCE_COLUMNS = {"_item": pl.Int32, "date": pl.Date, "status": pl.String}


class ClassItems:
    """Items and absences of every student, fed in student order from the run's class
    stream (`rng`)."""

    def __init__(
        self,
        rng: random.Random,
        cal: Calendar,
        calendars: dict[str, SchoolCalendar],
        marks: MarkPools,
    ) -> None:
        self.rng = rng
        self.bounds = cal.term_bounds
        self.year_end = cal.last_day.toordinal() + 1
        self.calendars = calendars
        self.marks = marks
        self.items = ColumnStore(_ITEM_COLUMNS)
        self.absences = ColumnStore(_ABSENCE_COLUMNS)
        self.repeated: list[int] = []  # item numbers of repeated courses
        self.withdrawn_on: dict[int, int] = {}  # item -> last day in class
        self.played: set[tuple[str, str]] = set()  # (scenario, school) played at least once
        y = cal.year
        self.mid_drop = {  # when later-term drops happen (ordinals)
            SEM1: (date(y, 11, 10).toordinal(), date(y + 1, 1, 16).toordinal()),
            SEM2: (date(y + 1, 4, 7).toordinal(), date(y + 1, 6, 5).toordinal()),
        }
        self.leave = (date(y, 10, 6).toordinal(), date(y, 10, 24).toordinal())

    def emit(
        self,
        pidx: int,
        row: dict[str, Any],
        planned: list[Planned],
        grade: int,
        continues: bool = False,
        steady: bool = False,
    ) -> None:
        """The items of `planned` under the school enrolment `row`; `continues` when the row
        holds the class continued from last year, `steady` for a student who may be the
        first at the school to play a scenario."""
        bounds, add = self.bounds, self._item
        entry = row["entry_date"].toordinal()
        end = row["exit_date"].toordinal() if row["exit_date"] is not None else self.year_end
        school = row["school_id"]
        taken = {item[0] for item in planned}
        emitted = len(self.items)
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
        columns = self.items.columns
        courses, terms, marks = columns["_course"], columns["_term"], columns["_mark"]
        for index in range(emitted, len(self.items)):
            mark = marks[index]
            if terms[index] != SEM1 or not 0 <= mark < 50:
                continue
            course = courses[index]
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
        """Record one item, its mark (at a withdrawal, or final at the term's end) and its
        absences."""
        index = len(self.items)
        mark = NO_MARK
        if event == WITHDRAWN:
            pool = self.marks.at_withdrawal
            mark = pool[int(self.rng.random() * len(pool))]
            days = self.calendars[school].meeting_days[None]  # the last day in class
            self.withdrawn_on[index] = days[max(0, bisect.bisect_left(days, stop) - 1)]
        elif event != DROPPED and stop == self.bounds[term][1] + 1 and course != STUDY_HALL:
            mark = self.marks.final(self.rng, course)
        self.items.add(pidx, school, course, term, kind, start, stop, event, mark)
        if repeat:
            self.repeated.append(index)
        if stop > start and kind <= RECOVERY:  # no attendance in online or independent study
            self._absences(index, school, PATTERN.get((course, term)), start, stop)

    def _session_day(self, school: str, low: int, high: int) -> int:
        """A day in session at `school` from `low` to `high` (ordinals)."""
        days = self.calendars[school].meeting_days[None]
        first, last = bisect.bisect_left(days, low), bisect.bisect_right(days, high)
        if last <= first:
            return _weekday(low)
        return days[first + int(self.rng.random() * (last - first))]

    def _absences(
        self, index: int, school: str, pattern: str | None, start: int, stop: int
    ) -> None:
        """A few attendance exceptions on days the item's section meets."""
        count = ABSENCES[int(self.rng.random() * 100)]
        if not count:
            return
        days = self.calendars[school].attendance_days[pattern]
        low, high = bisect.bisect_left(days, start), bisect.bisect_left(days, stop)
        span = high - low
        if span <= 0:
            return
        rng, add = self.rng, self.absences.add
        for _ in range(min(count, span)):
            add(
                index, days[low + int(rng.random() * span)], STATUS[int(rng.random() * len(STATUS))]
            )

    def frame(self, students: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
        """Class items: student, school, course, term, section kind, dates, what happened,
        mark code and credit date, report-card boxes (`flags` by _pidx), repeated course."""
        withdrawn = pl.DataFrame(
            {"_item": list(self.withdrawn_on), "_withdrawn_day": list(self.withdrawn_on.values())},
            schema={"_item": pl.Int32, "_withdrawn_day": pl.Int32},
        )
        last_days = pl.DataFrame(
            {"_term": list(self.bounds), "_last": [b[1] for b in self.bounds.values()]},
            schema={"_term": pl.String, "_last": pl.Int32},
        )
        items = self.items.frame()
        items = items.select(pl.int_range(pl.len(), dtype=pl.Int32).alias("_item"), pl.all())
        withdrawn_day = pl.col("_withdrawn_day")
        marked = pl.col("_mark") != NO_MARK
        day = pl.when(withdrawn_day.is_not_null()).then(withdrawn_day).when(marked).then("_last")
        return (
            items.join(students, on="_pidx", how="left", maintain_order="left")
            .join(flags, on="_pidx", how="left", maintain_order="left")
            .join(withdrawn, on="_item", how="left", maintain_order="left")
            .join(last_days, on="_term", how="left", maintain_order="left")
            .with_columns(
                pl.col("iep").fill_null(False),
                pl.col("esl_eld").fill_null(False),
                pl.col("_item").is_in(self.repeated).alias("_repeat"),
                ordinal_date(day).alias("_credit_date"),
            )
            .drop("_withdrawn_day", "_last")
        )

    def absences_frame(self) -> pl.DataFrame:
        """Attendance exceptions: _item, date and status."""
        return self.absences.frame()


def _weekday(ordinal: int) -> int:
    """The ordinal itself when a weekday, else the next Monday."""
    weekday = (ordinal - 1) % 7  # date.fromordinal(1) is a Monday
    return ordinal if weekday < 5 else ordinal + (7 - weekday)
