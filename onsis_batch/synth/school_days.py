"""Each timetabled school's calendar days and terms: the `calendar_days` and `terms` tables.

Assumptions (the Ministry's COURSE_SEM_TYPE list is not public):

* COURSE_SEM_TYPE is "1" for full-year terms (the year, and the February-to-January term of
  classes continued from last year), "2" for semesters and "3" for the quadmester-style Q4
  term (portion 4) that runs from mid-April to the last day: each school's credit-recovery
  classes for students who failed a grade 9-10 course in semester 1.
* The calendar has one row per weekday from last year's second semester (the continued
  classes started then) to this year's last day: holidays and PA days are not in session,
  a couple of in-session G days (school closures) fall in winter, and in-session days
  alternate between cycle days A and B.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from onsis_batch.synth.calendar import CONTINUED, Q4, SEM1, SEM2, YEAR, Calendar, polars_dates
from onsis_batch.synth.schools import Board, School

TERM_ORDER = (CONTINUED, YEAR, SEM1, SEM2, Q4)
TERM_NAMES = {
    YEAR: ("Full Year", "1", "1"),  # name, portion, course_sem_type
    SEM1: ("Semester 1", "2", "2"),
    SEM2: ("Semester 2", "2", "2"),
    CONTINUED: ("Continued from last year (February to January)", "1", "1"),
    Q4: ("Quadmester 4 (April to June)", "4", "3"),
}
_TERM_SCHEMA = {
    "term_id": pl.String,
    "school_id": pl.String,
    "name": pl.String,
    "first_day": pl.Date,
    "last_day": pl.Date,
    "portion": pl.String,
    "course_sem_type": pl.String,
    "_term": pl.String,
}


@dataclass(frozen=True)
class Day:
    """One weekday of a school's calendar."""

    ordinal: int
    day: date
    in_session: bool
    cycle: str | None
    g_day: bool


class SchoolCalendar:
    """One school's calendar days, with the in-session days a section pattern meets on."""

    def __init__(self, school: School, cal: Calendar, rng: random.Random, g_days: int):
        previous = Calendar(cal.year - 1)
        part = previous.weekdays(previous.semester_two, previous.last_day)
        days = _cycled(part) + _cycled(cal.weekdays(cal.first_day, cal.last_day))
        winter = [
            d
            for d in days
            if d.in_session and date(cal.year + 1, 1, 5) <= d.day <= date(cal.year + 1, 2, 27)
        ]
        closures = {d.ordinal for d in rng.sample(winter, min(g_days, len(winter)))}
        self.school = school
        self.days = [
            Day(d.ordinal, d.day, d.in_session, d.cycle, d.ordinal in closures) for d in days
        ]
        taught = [d for d in self.days if d.in_session]
        self.meeting_days = _by_cycle(taught)
        self.attendance_days = _by_cycle([d for d in taught if not d.g_day])  # none on closures

    def meetings(self, pattern: str | None, first: int, last: int) -> int:
        """Meetings of a section with `pattern` from `first` to `last` (ordinals)."""
        days = self.meeting_days[pattern]
        return bisect.bisect_right(days, last) - bisect.bisect_left(days, first)


def _cycled(weekdays: list[tuple[date, bool]]) -> list[Day]:
    """The weekdays as calendar days, the in-session ones alternating A and B."""
    days, count = [], 0
    for day, in_session in weekdays:
        cycle = None
        if in_session:
            cycle = "AB"[count % 2]
            count += 1
        days.append(Day(day.toordinal(), day, in_session, cycle, False))
    return days


def _by_cycle(days: list[Day]) -> dict[str | None, list[int]]:
    """Ordinals of `days` for a section meeting every day (None) or on A or B days."""
    return {
        None: [d.ordinal for d in days],
        "A": [d.ordinal for d in days if d.cycle == "A"],
        "B": [d.ordinal for d in days if d.cycle == "B"],
    }


def school_calendars(board: Board, cal: Calendar, seed: int) -> dict[str, SchoolCalendar]:
    """Calendars of the schools with a timetable (open ones), G days drawn per school."""
    calendars = {}
    for index, school in enumerate(board.timetabled):
        rng = random.Random(f"onsis-synth-calendar-{seed}-{school.school_id}")
        g_days = 2 if index == 0 else (0, 0, 1, 2)[int(rng.random() * 4)]
        calendars[school.school_id] = SchoolCalendar(school, cal, rng, g_days)
    return calendars


def calendar_frame(calendars: Iterable[SchoolCalendar]) -> pl.DataFrame:
    """The `calendar_days` table."""
    school, day, in_session, g_day, cycle = [], [], [], [], []
    for calendar in calendars:
        for d in calendar.days:
            school.append(calendar.school.school_id)
            day.append(d.ordinal)
            in_session.append(d.in_session)
            g_day.append(d.g_day)
            cycle.append(d.cycle)
    return pl.DataFrame(
        {
            "school_id": school,
            "date": polars_dates(day),
            "in_session": in_session,
            "is_g_day": g_day,
            "cycle_day": cycle,
        },
        schema={
            "school_id": pl.String,
            "date": pl.Date,
            "in_session": pl.Boolean,
            "is_g_day": pl.Boolean,
            "cycle_day": pl.String,
        },
    )


def terms_frame(board: Board, cal: Calendar) -> pl.DataFrame:
    """The `terms` table: every term at every timetabled school, with `_term`."""
    rows = []
    for school in board.timetabled:
        for term in TERM_ORDER:
            name, portion, sem_type = TERM_NAMES[term]
            first, last = cal.term_bounds[term]
            rows.append(
                {
                    "term_id": f"{school.school_id}-{term}",
                    "school_id": school.school_id,
                    "name": name,
                    "first_day": date.fromordinal(first),
                    "last_day": date.fromordinal(last),
                    "portion": portion,
                    "course_sem_type": sem_type,
                    "_term": term,
                }
            )
    return pl.DataFrame(rows, schema=_TERM_SCHEMA)
