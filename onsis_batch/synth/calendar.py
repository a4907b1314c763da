"""The school year synthetic data is laid on: school days, terms, holidays, count dates and
the periods the PAE extracts stem from.

Schools are semestered: semester 1 runs from the first school day to the end of January,
semester 2 from early February to the last day. Besides the year and the two semesters a
year has the February-to-January term of classes continued from last year and the short
Q4 term (mid-April to the last day) of credit-recovery classes.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, cached_property

import polars as pl

DAY = timedelta(days=1)
EPOCH = date(1970, 1, 1).toordinal()  # polars dates count days from here

# Terms of a school year; C is the class continued from last year's second semester, Q4 the
# short April-to-June term of credit-recovery classes.
YEAR, SEM1, SEM2, CONTINUED, Q4 = "Y", "S1", "S2", "C", "Q4"


@cache
def first_school_day(year: int) -> date:
    """The Tuesday after Labour Day (first Monday of September) of `year`."""
    sept = date(year, 9, 1)
    labour_day = sept + timedelta(days=(0 - sept.weekday()) % 7)
    return labour_day + DAY


@cache
def last_school_day(year: int) -> date:
    """Last weekday on or before June 26 of the school year that starts in `year`."""
    day = date(year + 1, 6, 26)
    while day.weekday() >= 5:
        day -= DAY
    return day


def weekday_on_or_after(day: date) -> date:
    """`day` when it is a weekday, else the Monday after."""
    while day.weekday() >= 5:
        day += DAY
    return day


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m + 114) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class Calendar:
    """One school year, named by the calendar year it starts in."""

    year: int

    @property
    def school_year(self) -> str:
        """The year as the contract and the extracts write it, e.g. 2025-2026."""
        return f"{self.year}-{self.year + 1}"

    @property
    def first_day(self) -> date:
        """The first school day."""
        return first_school_day(self.year)

    @property
    def last_day(self) -> date:
        """The last school day."""
        return last_school_day(self.year)

    @property
    def previous_year_exit(self) -> date:
        """Exit date of last year's enrolments that ran to its last school day."""
        return last_school_day(self.year - 1) + DAY

    @property
    def semester_two(self) -> date:
        """The first day of the second semester."""
        return weekday_on_or_after(date(self.year + 1, 2, 2))

    @cached_property
    def semester_one_last(self) -> date:
        """The last weekday before the second semester."""
        day = self.semester_two - DAY
        while day.weekday() >= 5:
            day -= DAY
        return day

    @cached_property
    def quadmester_four(self) -> date:
        """First day of the Q4 term: the Monday on or after April 13."""
        day = date(self.year + 1, 4, 13)
        return day + timedelta(days=(0 - day.weekday()) % 7)

    @property
    def oct_count(self) -> date:
        """The October count date."""
        return date(self.year, 10, 31)

    @property
    def mar_count(self) -> date:
        """The March count date."""
        return date(self.year + 1, 3, 31)

    @property
    def jun_count(self) -> date:
        """The June count date."""
        return date(self.year + 1, 6, 30)

    def pae_reference(self, kind: str) -> date:
        """The day OnSIS last saw the school: the count date of the submission before `kind`.

        A student active on that day was reported without an end date, so OnSIS carries the
        enrolment into the period's extract 0003.
        """
        return {
            "oct": last_school_day(self.year - 1),
            "mar": self.oct_count,
            "jun": self.mar_count,
        }[kind]

    def submission_before(self, kind: str) -> tuple[date, date]:
        """The period of the submission before `kind`'s: its first day and its count date
        (October's is last year's June period)."""
        y = self.year
        return {
            "oct": (date(y, 4, 1), date(y, 6, 30)),
            "mar": (date(y, 7, 1), self.oct_count),
            "jun": (date(y, 11, 1), self.mar_count),
        }[kind]

    @cached_property
    def term_bounds(self) -> dict[str, tuple[int, int]]:
        """Term -> its first and last day (inclusive ordinals)."""
        first, last = self.first_day.toordinal(), self.last_day.toordinal()
        s1_last = self.semester_one_last.toordinal()
        previous = Calendar(self.year - 1).semester_two.toordinal()
        return {
            YEAR: (first, last),
            SEM1: (first, s1_last),
            SEM2: (self.semester_two.toordinal(), last),
            CONTINUED: (previous, s1_last),
            Q4: (self.quadmester_four.toordinal(), last),
        }

    @cached_property
    def closed(self) -> frozenset[date]:
        """Holidays and breaks: weekdays without school."""
        y = self.year
        thanksgiving = _nth_weekday(y, 10, 0, 2)
        family_day = _nth_weekday(y + 1, 2, 0, 3)
        march_break = _nth_weekday(y + 1, 3, 0, 3)
        easter = _easter(y + 1)
        victoria = date(y + 1, 5, 24)
        while victoria.weekday() != 0:
            victoria -= DAY
        days = {thanksgiving, family_day, easter - 2 * DAY, easter + DAY, victoria}
        days.update(march_break + timedelta(days=i) for i in range(5))
        winter = date(y, 12, 22)
        while winter <= date(y + 1, 1, 2):
            days.add(winter)
            winter += DAY
        return frozenset(days)

    @cached_property
    def pa_days(self) -> frozenset[date]:
        """Professional activity days: school days without classes."""
        y = self.year
        return frozenset(
            {
                _nth_weekday(y, 10, 0, 2) - 3 * DAY,  # the Friday before Thanksgiving
                _nth_weekday(y, 11, 4, 3),
                self.semester_one_last,  # semester turnaround
                _nth_weekday(y + 1, 6, 4, 1),
            }
        )

    def weekdays(self, start: date, end: date) -> list[tuple[date, bool]]:
        """(day, in session) for every weekday from start to end."""
        days, day = [], weekday_on_or_after(start)
        while day <= end:
            if day.weekday() < 5:
                days.append((day, day not in self.closed and day not in self.pa_days))
            day += DAY
        return days


def school_day(rng: random.Random, start: date, end: date) -> date:
    """A random weekday in [start, end] (the range must hold one)."""
    day = start + timedelta(days=int(rng.random() * ((end - start).days + 1)))
    forward = weekday_on_or_after(day)
    if forward <= end:
        return forward
    while day.weekday() >= 5:
        day -= DAY
    return day


def polars_dates(ordinals: array[int] | Sequence[int]) -> pl.Series:
    """Day ordinals as a polars Date series."""
    return (pl.Series(ordinals, dtype=pl.Int32) - EPOCH).cast(pl.Date)


def ordinal_date(ordinal: pl.Expr) -> pl.Expr:
    """A column of day ordinals as dates."""
    return (ordinal - EPOCH).cast(pl.Date)


def active_on(day: date, start: str = "entry_date", end: str = "exit_date") -> pl.Expr:
    """Whether a row's span holds `day`: the SIS keeps a student enrolled (or in a program)
    until the day before the end date."""
    return (pl.col(start) <= day) & (pl.col(end).is_null() | (pl.col(end) > day))
