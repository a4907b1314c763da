"""Enrolment histories per scenario: the SIS's `school_enrolments` rows.

Every row also carries what OnSIS knows it by (`_stay`: start date and entry data of the
uninterrupted enrolment at the BSID), whether OnSIS can ever have been told about it (`_pae`),
its BSID and its person, so that extract 0003 can be derived from the rows themselves.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from onsis_batch.synth.calendar import DAY, Calendar, school_day, weekday_on_or_after
from onsis_batch.synth.names import COUNTRIES, FRENCH_PROVINCES, PROVINCES
from onsis_batch.synth.people import Person
from onsis_batch.synth.rand import Weighted, between, one_of, pick
from onsis_batch.synth.schools import Board, School

# Entry and exit codes with their shares.
FROM_ELEMENTARY = Weighted(
    {"05": 0.70, "27": 0.08, "31": 0.10, "32": 0.04, "21": 0.03, "22": 0.01, "41": 0.02, "50": 0.02}
)
TRANSFER_IN = Weighted(
    {"29": 0.35, "30": 0.15, "09": 0.15, "19": 0.05, "34": 0.10, "38": 0.10, "41": 0.05, "21": 0.05}
)
LEAVING = Weighted(
    {"64": 0.35, "68": 0.15, "70": 0.15, "71": 0.15, "65": 0.05, "72": 0.05, "66": 0.05, "69": 0.05}
)
TRANSFER_OUT = Weighted(
    {"64": 0.6, "68": 0.1, "72": 0.1, "65": 0.05, "70": 0.05, "71": 0.05, "66": 0.05}
)

Row = dict[str, Any]


@dataclass(frozen=True)
class Stay:
    """An uninterrupted enrolment at one BSID as OnSIS holds it."""

    start: date
    entry_code: str
    country: str | None = None
    province: str | None = None
    language: str | None = None


def active_on(row: Row, day: date) -> bool:
    """Enrolled on `day`: the SIS keeps a student enrolled until the day before exit_date."""
    return row["entry_date"] <= day and (row["exit_date"] is None or row["exit_date"] > day)


class Enrolments:
    """Builds each person's rows; one instance per run, sharing the run's random stream."""

    def __init__(self, rng: random.Random, cal: Calendar, board: Board) -> None:
        self.rng, self.cal, self.board = rng, cal, board
        self.year = cal.year
        self.by_scenario: dict[str, Callable[[Person], list[Row]]] = {
            "returning": self._returning,
            "new": self._new,
            "new_later": self._new_later,
            "non_returning": self._non_returning,
            "transferred_out": self._transferred_out,
            "internal_transfer": self._internal_transfer,
            "enter_and_leave": self._enter_and_leave,
            "cross_enrolled": self._cross_enrolled,
            "no_show": self._no_show,
            "same_day": self._same_day,
            "excluded": self._excluded,
        }

    def for_person(self, p: Person) -> list[Row]:
        """The person's rows, as their scenario has them."""
        return self.by_scenario[p.scenario](p)

    # -- scenarios ------------------------------------------------------------------------

    def _returning(self, p: Person) -> list[Row]:
        return self._history(p, p.school, self.year, p.grade, None, None)

    def _new(self, p: Person) -> list[Row]:
        if p.grade >= 10 and p.origin == "local" and self.rng.random() < 0.15:
            # Came from the school that closed: earlier years there, then same-board entry.
            rows = self._history(
                p,
                self.board.closed,
                self.year - 1,
                p.grade - 1,
                self.cal.previous_year_exit,
                "64",
                min_years=1,
            )
            first = self.cal.first_day
            return [*rows, self._row(p, p.school, first, None, p.grade, Stay(first, "09"))]
        first = self.cal.first_day
        late = p.grade > 9 and self.rng.random() < 0.6
        entry = school_day(self.rng, first + DAY, self.cal.oct_count) if late else first
        return [self._arriving(p, entry)]

    def _new_later(self, p: Person) -> list[Row]:
        if self.rng.random() < 0.4:
            entry = self.cal.semester_two
        else:
            entry = school_day(self.rng, date(self.year, 11, 1), self.cal.mar_count)
        return [self._arriving(p, entry)]

    def _non_returning(self, p: Person) -> list[Row]:
        if self.rng.random() < 0.6:
            left = self.cal.previous_year_exit
        else:
            left = date(self.year, 7, 2) + timedelta(days=between(self.rng, 0, 58))
        code = "61" if p.grade == 12 and self.rng.random() < 0.8 else LEAVING.draw(self.rng)
        return self._history(p, p.school, self.year - 1, p.grade, left, code, min_years=1)

    def _transferred_out(self, p: Person) -> list[Row]:
        left = school_day(self.rng, self.cal.first_day + timedelta(days=5), self.cal.oct_count)
        code = TRANSFER_OUT.draw(self.rng)
        if p.variant == "returning":
            return self._history(p, p.school, self.year, p.grade, left, code)
        return [self._arriving(p, self.cal.first_day, left, code)]

    def _internal_transfer(self, p: Person) -> list[Row]:
        """Moves to the other SIS school of the same BSID: OnSIS sees one enrolment go on."""
        moved = school_day(
            self.rng,
            self.cal.first_day + timedelta(days=10),
            self.cal.oct_count - timedelta(days=7),
        )
        rows = self._history(p, p.school, self.year, p.grade, moved, "64")
        other = self.board.campus if p.school != self.board.campus else self.board.main[0]
        stay = rows[-1]["_stay"]
        return [*rows, self._row(p, other, moved, None, p.grade, stay, code="09")]

    def _enter_and_leave(self, p: Person) -> list[Row]:
        """A short stay inside one period, so no count date and no extract ever sees it."""
        cal = self.cal
        start, last = one_of(
            self.rng,
            [
                (cal.first_day + timedelta(days=5), cal.oct_count),
                (date(self.year, 11, 1), cal.mar_count),
                (date(self.year + 1, 4, 1), cal.last_day - timedelta(days=5)),
            ],
        )
        entry = school_day(self.rng, start, last - timedelta(days=21))
        left = school_day(self.rng, entry + timedelta(days=7), last)
        stay = self._arrival(p, entry, p.grade)
        code = TRANSFER_OUT.draw(self.rng)
        return [self._row(p, p.school, entry, left, p.grade, stay, exit_code=code)]

    def _cross_enrolled(self, p: Person) -> list[Row]:
        """Classes here while the main enrolment is elsewhere (an elementary school for a
        grade-8 reach-ahead student, or another secondary school of the board)."""
        cal = self.cal
        entry, left, code = pick(
            self.rng,
            {
                (cal.first_day, None, None): 0.35,
                (cal.first_day, cal.semester_two, "64"): 0.35,
                (cal.semester_two, None, None): 0.30,
            },
        )
        rows: list[Row] = []
        if p.variant == "S":
            home = self._home_school(p.school)
            rows = (
                self._history(p, home, self.year, p.grade, None, None)
                if p.grade >= 10
                else [
                    self._row(p, home, cal.first_day, None, 9, self._arrival(p, cal.first_day, 9))
                ]
            )
        self._settle(p, entry)
        entry_code = "05" if p.variant == "E" else "09"
        cross = self._row(
            p,
            p.school,
            entry,
            left,
            p.grade,
            Stay(entry, entry_code),
            exit_code=code,
            home=p.variant,
        )
        return [*rows, cross]

    def _no_show(self, p: Person) -> list[Row]:
        """Re-enrolled for this year but never came: NS row after last year's enrolment."""
        rows = self._history(
            p,
            p.school,
            self.year - 1,
            p.grade - 1,
            self.cal.previous_year_exit,
            LEAVING.draw(self.rng),
            min_years=1,
        )
        first = self.cal.first_day
        left = (
            first
            if self.rng.random() < 0.5
            else school_day(self.rng, first + DAY, first + timedelta(days=7))
        )
        stay = rows[-1]["_stay"]
        no_show = self._row(
            p, p.school, first, left, p.grade, stay, code="RS", exit_code="NS", pae=False
        )
        return [*rows, no_show]

    def _same_day(self, p: Person) -> list[Row]:
        day = school_day(self.rng, self.cal.first_day, self.cal.mar_count)
        stay = self._arrival(p, day, p.grade)
        code = pick(self.rng, {None: 0.5, "64": 0.5})
        rows = [self._row(p, p.school, day, day, p.grade, stay, exit_code=code, pae=False)]
        if p.variant == "then_new":  # entered by mistake, then properly the next school day
            entry = weekday_on_or_after(day + DAY)
            rows.append(self._row(p, p.school, entry, None, p.grade, replace(stay, start=entry)))
        return rows

    def _excluded(self, p: Person) -> list[Row]:
        if p.variant.startswith("returning"):
            return self._returning(p)
        return self._new(p)

    # -- building blocks ------------------------------------------------------------------

    def _arriving(
        self, p: Person, entry: date, left: date | None = None, exit_code: str | None = None
    ) -> Row:
        """The row of a student who arrives at their school on `entry`."""
        stay = self._arrival(p, entry, p.grade)
        return self._row(p, p.school, entry, left, p.grade, stay, exit_code=exit_code)

    def _history(
        self,
        p: Person,
        school: School,
        last_year: int,
        last_grade: int,
        left: date | None,
        exit_code: str | None,
        min_years: int = 2,
    ) -> list[Row]:
        """One row per school year up to `last_year` (SIS year-end rollover: the next year
        re-enters as RS), the last row ending on `left` with `exit_code`."""
        latest_entry_grade = last_grade - min_years + 1
        if p.has("mature") or self.rng.random() >= 0.8:
            entry_grade = between(self.rng, min(9, latest_entry_grade), latest_entry_grade)
        else:
            entry_grade = 9
        first_year = last_year - (last_grade - entry_grade)
        year_start = Calendar(first_year).first_day
        if entry_grade == 9 and self.rng.random() < 0.85:
            entry = year_start
        else:
            latest = date(first_year + 1, 4, 30)
            entry = school_day(self.rng, year_start + timedelta(days=7), latest)
        stay = self._arrival(p, entry, entry_grade)
        rows = []
        for year in range(first_year, last_year + 1):
            year_cal = Calendar(year)
            begin = entry if year == first_year else year_cal.first_day
            final = year == last_year
            rows.append(
                self._row(
                    p,
                    school,
                    begin,
                    left if final else year_cal.last_day + DAY,
                    last_grade - (last_year - year),
                    stay,
                    code=None if year == first_year else "RS",
                    exit_code=exit_code if final else None,
                )
            )
        return rows

    def _arrival(self, p: Person, entry: date, grade: int) -> Stay:
        """The stay starting on `entry`; where the student came from decides its entry code."""
        self._settle(p, entry)
        if p.origin == "country":
            return Stay(entry, "36", country=p.place)
        if p.origin == "province":
            language = "F" if p.place in FRENCH_PROVINCES else "E"
            return Stay(entry, "35", province=p.place, language=language)
        if p.has("mature"):
            return Stay(entry, "34")
        starts_secondary = grade == 9 and entry == Calendar(entry.year).first_day
        return Stay(entry, (FROM_ELEMENTARY if starts_secondary else TRANSFER_IN).draw(self.rng))

    def _settle(self, p: Person, entry: date) -> None:
        """A newcomer from abroad arrived in Canada shortly before their first entry."""
        if p.origin == "country" and p.arrival is None:
            p.arrival = entry - timedelta(days=between(self.rng, 3, 60))

    def _home_school(self, school: School) -> School:
        """Where a cross-enrolled secondary student has their main enrolment."""
        board = self.board
        same_bsid = board.campus if school != board.campus else board.main[0]
        if school.bsid == board.main[0].bsid and (len(board.main) == 1 or self.rng.random() < 0.5):
            return same_bsid
        others = [s for s in board.main if s.bsid != school.bsid]
        return one_of(self.rng, others) if others else same_bsid

    def _row(
        self,
        p: Person,
        school: School,
        entry: date,
        left: date | None,
        grade: int,
        stay: Stay,
        *,
        code: str | None = None,
        exit_code: str | None = None,
        home: str | None = None,
        pae: bool = True,
    ) -> Row:
        code = code or stay.entry_code
        row: Row = {
            "student_id": p.sid,
            "school_id": school.school_id,
            "entry_date": entry,
            "exit_date": left,
            "entry_code": code,
            "exit_code": exit_code,
            "grade_level": str(grade),
            "is_cross_enrolment": home is not None,
            "home_school_level": home,
            "home_school_private": False if home else None,
            "residence_status": p.residence,
            "grade_designation": p.designation if grade >= 10 else None,
            "current_country": p.current_country,
            "current_province": p.current_province,
            "local_program": p.local_program,
            "_bsid": school.bsid,
            "_stay": stay,
            "_pae": pae,
            "_person": p,
            # the stay flattened, for the extract built from these rows
            "_start": stay.start,
            "_code": stay.entry_code,
            "_country": stay.country,
            "_province": stay.province,
            "_language": stay.language,
        }
        if code in ("35", "36"):
            row.update(
                entry_country=stay.country,
                entry_province=stay.province,
                entry_language=stay.language,
            )
        if exit_code == "68":
            if self.rng.random() < 0.6:
                row["exit_province"] = one_of(self.rng, PROVINCES)
            else:
                row["exit_country"] = one_of(self.rng, COUNTRIES)
        row.update(self._load(p, entry, grade, home))
        return row

    def _load(self, p: Person, entry: date, grade: int, home: str | None) -> Row:
        """Attendance, residence status and FTE fields: cross-enrolments leave FTE empty."""
        if home is not None:
            return {"board_residence_status": "09" if self.rng.random() < 0.15 else "08"}
        this_year = entry >= date(self.year, 7, 1)
        if this_year and p.variant.endswith("_ex"):
            attendance = "EX"
        elif this_year and p.has("part_time"):
            attendance = "PT"
        else:
            attendance = "FT"
        high_credit = "0.17" if this_year and p.high_credit and grade == 12 else "0.00"
        return {
            "attendance_type": attendance,
            "board_residence_status": p.board_residence,
            "fte": "0.50" if attendance == "PT" else "1.00",
            "high_credit_fte": high_credit,
            "ade": "0.0000",
            "high_credit_ade": "0.0000",
        }
