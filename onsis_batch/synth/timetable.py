"""Each SIS school's timetable: calendar days, terms, sections and when they meet.

Assumptions (the Ministry's COURSE_SEM_TYPE list is not public):

* Schools are semestered: four 75-minute periods a day (300 minutes), semester 1 from the
  first school day to the end of January, semester 2 from early February to the last day.
* COURSE_SEM_TYPE is "1" for full-year terms (the year, and the February-to-January term of
  classes continued from last year), "2" for semesters and "3" for the quadmester-style Q4
  term (portion 4) that runs from mid-April to the last day: each school's credit-recovery
  classes for students who failed a grade 9-10 course in semester 1.
* The calendar has one row per weekday from last year's second semester (the continued
  classes started then) to this year's last day: holidays and PA days are not in session,
  a couple of in-session G days (school closures) fall in winter, and in-session days
  alternate between cycle days A and B.
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

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import polars as pl

from onsis_batch.synth.calendar import DAY, Calendar, weekday_on_or_after
from onsis_batch.synth.catalogue import (
    COMBINED,
    CONTINUED,
    COURSES,
    PATTERN,
    Q4,
    SEM1,
    SEM2,
    YEAR,
)
from onsis_batch.synth.schools import Board, School

MINUTES = "75"
EPOCH = date(1970, 1, 1).toordinal()  # polars dates count days from here

TERM_ORDER = (CONTINUED, YEAR, SEM1, SEM2, Q4)
TERM_NAMES = {
    YEAR: ("Full Year", "1", "1"),  # name, portion, course_sem_type
    SEM1: ("Semester 1", "2", "2"),
    SEM2: ("Semester 2", "2", "2"),
    CONTINUED: ("Continued from last year (February to January)", "1", "1"),
    Q4: ("Quadmester 4 (April to June)", "4", "3"),
}

# Section kinds: how a group of students takes a course.
REGULAR, RECOVERY, ONLINE_OWN, ONLINE_LMS, INDEPENDENT, DUAL = range(6)
CAPACITY = {REGULAR: 28, RECOVERY: 18, ONLINE_OWN: 30, ONLINE_LMS: 30, INDEPENDENT: 60, DUAL: 24}
RECOVERY_ROOM = 8  # courses (sections) of one Q4 credit-recovery class


def to_polars_day(ordinal: int) -> int:
    return ordinal - EPOCH


def term_id(school_id: str, term: str) -> str:
    return f"{school_id}-{term}"


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
class SchoolYear:
    """Term dates of the school year starting in `year` (inclusive ordinals)."""

    year: int

    @cached_property
    def cal(self) -> Calendar:
        return Calendar(self.year)

    @cached_property
    def semester_one_last(self) -> date:
        day = self.cal.semester_two - DAY
        while day.weekday() >= 5:
            day -= DAY
        return day

    @cached_property
    def bounds(self) -> dict[str, tuple[int, int]]:
        cal = self.cal
        first, last = cal.first_day.toordinal(), cal.last_day.toordinal()
        s1_last = self.semester_one_last.toordinal()
        previous = Calendar(self.year - 1).semester_two.toordinal()
        return {
            YEAR: (first, last),
            SEM1: (first, s1_last),
            SEM2: (cal.semester_two.toordinal(), last),
            CONTINUED: (previous, s1_last),
            Q4: (self.quadmester_four.toordinal(), last),
        }

    @cached_property
    def quadmester_four(self) -> date:
        """First day of the Q4 term: the Monday on or after April 13."""
        day = date(self.year + 1, 4, 13)
        return day + timedelta(days=(0 - day.weekday()) % 7)

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


@dataclass(frozen=True)
class Day:
    ordinal: int
    day: date
    in_session: bool
    cycle: str | None
    g_day: bool


class SchoolCalendar:
    """One school's calendar days, with the in-session days a section pattern meets on."""

    def __init__(self, school: School, year: SchoolYear, rng: random.Random, g_days: int):
        previous = SchoolYear(year.year - 1)
        part = previous.weekdays(previous.cal.semester_two, previous.cal.last_day)
        days = self._cycled(part) + self._cycled(
            year.weekdays(year.cal.first_day, year.cal.last_day)
        )
        winter = [
            d
            for d in days
            if d.in_session and date(year.year + 1, 1, 5) <= d.day <= date(year.year + 1, 2, 27)
        ]
        closures = {d.ordinal for d in rng.sample(winter, min(g_days, len(winter)))}
        self.school = school
        self.days = [
            Day(d.ordinal, d.day, d.in_session, d.cycle, d.ordinal in closures) for d in days
        ]
        taught = [d for d in self.days if d.in_session]
        self.meeting_days = {
            None: [d.ordinal for d in taught],
            "A": [d.ordinal for d in taught if d.cycle == "A"],
            "B": [d.ordinal for d in taught if d.cycle == "B"],
        }
        attended = [d for d in taught if not d.g_day]  # no attendance taken on a closure
        self.attendance_days = {
            None: [d.ordinal for d in attended],
            "A": [d.ordinal for d in attended if d.cycle == "A"],
            "B": [d.ordinal for d in attended if d.cycle == "B"],
        }

    @staticmethod
    def _cycled(weekdays: list[tuple[date, bool]]) -> list[Day]:
        days, count = [], 0
        for day, in_session in weekdays:
            cycle = None
            if in_session:
                cycle = "AB"[count % 2]
                count += 1
            days.append(Day(day.toordinal(), day, in_session, cycle, False))
        return days

    def meetings(self, pattern: str | None, first: int, last: int) -> int:
        """Meetings of a section with `pattern` from `first` to `last` (ordinals)."""
        days = self.meeting_days[pattern]
        return bisect.bisect_right(days, last) - bisect.bisect_left(days, first)


def school_calendars(board: Board, year: SchoolYear, seed: int) -> dict[str, SchoolCalendar]:
    """Calendars of the schools with a timetable (open ones), G days drawn per school."""
    calendars = {}
    for index, school in enumerate(timetabled(board)):
        rng = random.Random(f"onsis-synth-calendar-{seed}-{school.school_id}")
        g_days = 2 if index == 0 else (0, 0, 1, 2)[int(rng.random() * 4)]
        calendars[school.school_id] = SchoolCalendar(school, year, rng, g_days)
    return calendars


def timetabled(board: Board) -> tuple[School, ...]:
    return (*board.main, board.campus)


def bsid_of(board: Board) -> pl.Expr:
    """The BSID of `school_id`."""
    return pl.col("school_id").replace_strict(
        {s.school_id: s.bsid for s in board.schools}, return_dtype=pl.String
    )


def calendar_frame(calendars: Iterable[SchoolCalendar]) -> pl.DataFrame:
    school, day, in_session, g_day, cycle = [], [], [], [], []
    for cal in calendars:
        for d in cal.days:
            school.append(cal.school.school_id)
            day.append(to_polars_day(d.ordinal))
            in_session.append(d.in_session)
            g_day.append(d.g_day)
            cycle.append(d.cycle)
    return pl.DataFrame(
        {
            "school_id": school,
            "date": pl.Series(day, dtype=pl.Int32).cast(pl.Date),
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


def terms_frame(board: Board, year: SchoolYear) -> pl.DataFrame:
    rows = []
    for school in timetabled(board):
        for term in TERM_ORDER:
            name, portion, sem_type = TERM_NAMES[term]
            first, last = year.bounds[term]
            rows.append(
                {
                    "term_id": term_id(school.school_id, term),
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


def courses_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "course_number": [c.number for c in COURSES],
            "ministry_code": [c.code if c.written_code else None for c in COURSES],
            "course_type": [c.course_type for c in COURSES],
            "credit": [c.credit for c in COURSES],
            "institution": [c.institution for c in COURSES],
            "language": [None if i % 9 == 4 else "E" for i in range(len(COURSES))],
            "name": [c.name for c in COURSES],
            "language_program_type": [None] * len(COURSES),
            "_course": list(range(len(COURSES))),
        },
        schema_overrides={"_course": pl.Int32, "language_program_type": pl.String},
    )


# -- sections ---------------------------------------------------------------------------


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
        .alias("_k"),
    )
    sections = _sections(keyed.unique(), board)
    ids = keyed.join(
        sections.select(*group, "_k", "section_id"),
        on=[*group, "_k"],
        how="left",
        maintain_order="left",
    ).get_column("section_id")
    return ids, sections


def _sections(keys: pl.DataFrame, board: Board) -> pl.DataFrame:
    schools = timetabled(board)
    rank = {s.school_id: i for i, s in enumerate(schools)}
    bsid = {s.school_id: s.bsid for s in schools}
    term_rank = {t: i for i, t in enumerate(TERM_ORDER)}
    code = pl.col("_course").replace_strict(
        {i: c.code for i, c in enumerate(COURSES)}, return_dtype=pl.String
    )
    frame = (
        keys.with_columns(
            pl.col("school_id").replace_strict(rank, return_dtype=pl.Int32).alias("_school"),
            pl.col("school_id").replace_strict(bsid, return_dtype=pl.String).alias("_bsid"),
            pl.col("_term").replace_strict(term_rank, return_dtype=pl.Int32).alias("_term_rank"),
            code.alias("_code"),
        )
        .sort("_school", "_term_rank", "_code", "_kind", "_k")
        .with_row_index("_n")
    )
    frame = frame.with_columns(
        (pl.col("_n") + 500_001).cast(pl.String).alias("section_id"),
        (pl.col("_n").cum_count().over("_school", "_code")).cast(pl.Int32).alias("_nn"),
    )
    # The second school of a BSID numbers past the first school's sections.
    first_of_bsid = frame.group_by("_bsid").agg(pl.col("_school").min().alias("_first"))
    frame = frame.join(first_of_bsid, on="_bsid")
    used = (
        frame.filter(pl.col("_school") == pl.col("_first"))
        .group_by("_bsid")
        .agg(pl.col("_nn").max().alias("_used"))
    )
    frame = frame.join(used, on="_bsid", how="left").with_columns(
        pl.when(pl.col("_school") == pl.col("_first"))
        .then(pl.col("_nn"))
        .otherwise(pl.col("_nn") + ((pl.col("_used").fill_null(0) // 50) + 1) * 50)
        .alias("_nn")
    )
    number = pl.col("_nn").cast(pl.String).str.zfill(2)
    frame = frame.with_columns(pl.format("{}-{}", "_code", number).alias("class_code"))
    frame = _combine_recovery(_combine(frame))
    return _attributes(frame).sort("_n")


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
        "_k",
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
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for (course, term), day in PATTERN.items():
        hit = (pl.col("_course") == course) & (pl.col("_term") == term)
        expr = pl.when(hit).then(pl.lit(day)).otherwise(expr)
    return expr


def meeting_counts(
    sections: pl.DataFrame, calendars: dict[str, SchoolCalendar], year: SchoolYear
) -> pl.DataFrame:
    """section_id -> meetings over its whole term (TOTAL_CLASS_COURSE)."""
    keys = sections.select("section_id", "school_id", "_term", _pattern_expr().alias("_p"))
    counts: dict[tuple[str, str, str | None], int] = {}
    out = []
    for _, school, term, pattern in keys.iter_rows():
        key = (school, term, pattern)
        if key not in counts:
            first, last = year.bounds[term]
            counts[key] = calendars[school].meetings(pattern, first, last)
        out.append(min(counts[key], 999))
    return pl.DataFrame(
        {"section_id": keys.get_column("section_id"), "_meetings": out},
        schema={"section_id": pl.String, "_meetings": pl.Int64},
    )
