"""The school calendar synthetic data is laid on: school days, count dates, PAE dates."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

DAY = timedelta(days=1)


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
    while day.weekday() >= 5:
        day += DAY
    return day


@dataclass(frozen=True)
class Calendar:
    """One school year, named by the calendar year it starts in."""

    year: int

    @property
    def first_day(self) -> date:
        return first_school_day(self.year)

    @property
    def last_day(self) -> date:
        return last_school_day(self.year)

    @property
    def previous_year_exit(self) -> date:
        """Exit date of last year's enrolments that ran to its last school day."""
        return last_school_day(self.year - 1) + DAY

    @property
    def semester_two(self) -> date:
        return weekday_on_or_after(date(self.year + 1, 2, 2))

    @property
    def oct_count(self) -> date:
        return date(self.year, 10, 31)

    @property
    def mar_count(self) -> date:
        return date(self.year + 1, 3, 31)

    @property
    def jun_count(self) -> date:
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


def school_day(rng: random.Random, start: date, end: date) -> date:
    """A random weekday in [start, end] (the range must hold one)."""
    day = start + timedelta(days=int(rng.random() * ((end - start).days + 1)))
    forward = weekday_on_or_after(day)
    if forward <= end:
        return forward
    while day.weekday() >= 5:
        day -= DAY
    return day
