"""Special programs: special education, SAL and the expulsion program, and who is in them.

Special education goes to IEP students (and a few gifted ones without an IEP), SAL to a few
older students and the expulsion program to a couple. Each program then gets the values
the program segments read: an exceptionality (or none, for the non-identified program), a
placement, the main flag and an IPRC date for special education; a status, components and
exit reason for SAL. A few more students join SAL so that every board, even a small
sample, has some, a few students are identified during the year, and a few special
education programs end during the year.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from onsis_batch.synth.calendar import Calendar, school_day
from onsis_batch.synth.coursework import Enrolled
from onsis_batch.synth.rand import Weighted, between, some_of

PROGRAMS = (
    # program_id, name, is_sal, is_expulsion
    ("SE-LD", "Special Education - Learning Disability", False, False),
    ("SE-MID", "Special Education - Mild Intellectual Disability", False, False),
    ("SE-AUT", "Special Education - Autism", False, False),
    ("SE-GIF", "Special Education - Giftedness", False, False),
    ("SAL", "Supervised Alternative Learning", True, False),
    ("EXP", "Expulsion Program", False, True),
    ("SE-NID", "Special Education - Non-identified", False, False),
)
NON_IDENTIFIED = "SE-NID"
SPECIAL_EDUCATION = Weighted({"SE-LD": 0.65, "SE-MID": 0.15, "SE-AUT": 0.2})
EXCEPTIONALITY = {"SE-LD": "5", "SE-MID": "9", "SE-AUT": "2", "SE-GIF": "8"}
PLACEMENT = Weighted({"R": 0.4, "W": 0.3, "I": 0.15, "P": 0.1, "F": 0.05})
COMPONENTS = ("001,007", "001,008", "001,005,008", "002,010", "001,009,011")
P_GIFTED = 0.02
P_NON_IDENTIFIED = 1 / 6
P_ENDS_IN_YEAR = 1 / 8
SAL_SHARE = 1 / 150
SAL_LEAST = 5


def program_rows() -> list[dict[str, Any]]:
    """The `programs` table (the SHSM programs come with the credentials)."""
    return [
        {
            "program_id": pid,
            "name": name,
            "is_sal": sal,
            "is_expulsion": expulsion,
            "is_special_education": pid.startswith("SE-"),
        }
        for pid, name, sal, expulsion in PROGRAMS
    ]


def program_enrolment_rows(
    rng: random.Random, seed: int, cal: Calendar, enrolled: Sequence[Enrolled]
) -> list[dict[str, Any]]:
    """The `program_enrolments` rows of this year's students; `rng` is the class tables'
    stream, the values of each program are drawn from a stream of their own."""
    rows = _enrolment_rows(rng, cal, enrolled)
    values = random.Random(f"onsis-synth-programs-{seed}")
    grades = {e.person.sid: e.person.grade for e in enrolled}
    out = [
        _special(values, cal, row, grades.get(row["student_id"], 9))
        if row["program_id"] in EXCEPTIONALITY
        else row
        for row in rows
    ]
    out = [_sal(values, row) if row["program_id"] == "SAL" else row for row in out]
    taken = {row["student_id"] for row in rows}
    more = _more_sal(values, cal, enrolled, taken)
    return out + more + _identified_later(values, cal, enrolled, taken)


def _identified_later(
    rng: random.Random, cal: Calendar, enrolled: Sequence[Enrolled], taken: set[str]
) -> list[dict[str, Any]]:
    """A few students identified during the year: in the March period, then in June's."""
    pool = [e for e in enrolled if not e.cross and e.exit is None and e.person.sid not in taken]
    chosen = some_of(rng, pool, Fraction(1, 150), least=2)
    y = cal.year
    windows = [(date(y, 11, 10), date(y + 1, 2, 27)), (date(y + 1, 4, 6), date(y + 1, 5, 29))]
    rows = []
    for index, e in enumerate(chosen):
        entry = school_day(rng, *windows[index % 2])
        rows.append(
            {
                "student_id": e.person.sid,
                "program_id": "SE-LD",
                "entry_date": entry,
                "exceptionality": EXCEPTIONALITY["SE-LD"],
                "placement": PLACEMENT.draw(rng),
                "main_exceptionality": True,
                "iprc_date": entry,
                "iep": True,
            }
        )
    return rows


def _special(rng: random.Random, cal: Calendar, row: dict[str, Any], grade: int) -> dict[str, Any]:
    """A special education program with its exceptionality, placement and IPRC date; now
    and then non-identified, or ending during the year."""
    if grade >= 10 and row["entry_date"] <= date(cal.year, 9, 30):  # identified in an earlier year
        row = {**row, "entry_date": date(cal.year - 1, 10, 14)}
    exit_date = row["exit_date"]
    if exit_date is None and rng.random() < P_ENDS_IN_YEAR:  # the program ends, the student stays
        exit_date = date(cal.year, 12, 12) if rng.random() < 0.5 else date(cal.year + 1, 4, 17)
        exit_date = max(exit_date, row["entry_date"] + timedelta(days=30))
    if row["program_id"] != "SE-GIF" and rng.random() < P_NON_IDENTIFIED:
        return {**row, "program_id": NON_IDENTIFIED, "exit_date": exit_date,
                "exceptionality": "NONIDE" if rng.random() < 0.5 else None,
                "placement": "I", "main_exceptionality": False}  # fmt: skip
    return {
        **row,
        "exit_date": exit_date,
        "exceptionality": EXCEPTIONALITY[row["program_id"]],
        "placement": PLACEMENT.draw(rng),
        "main_exceptionality": True,
        "iprc_date": row["entry_date"],
    }


def _sal(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    """A SAL program with its status and components."""
    return {
        **row,
        "sal_status": "001" if rng.random() < 0.7 else "002",
        "sal_components": rng.choice(COMPONENTS),
    }


def _more_sal(
    rng: random.Random, cal: Calendar, enrolled: Sequence[Enrolled], taken: set[str]
) -> list[dict[str, Any]]:
    """SAL students entering in each period: some in September-October, some in November-
    February (one of those leaves SAL in February), one entering and leaving in spring."""
    pool = [
        e for e in enrolled
        if not e.cross and e.exit is None and e.person.grade >= 11 and e.person.sid not in taken
    ]  # fmt: skip
    chosen = some_of(rng, pool, SAL_SHARE, SAL_LEAST)
    y = cal.year
    windows = [
        (date(y, 9, 15), date(y, 10, 20), None),
        (date(y + 1, 1, 5), date(y + 1, 2, 20), None),
        (date(y, 9, 8), date(y, 9, 30), date(y + 1, 2, 12)),
        (date(y + 1, 4, 13), date(y + 1, 4, 24), date(y + 1, 5, 22)),
    ]
    rows = []
    for index, e in enumerate(chosen):
        first, last, exit_date = windows[index % len(windows)]
        rows.append(
            _sal(
                rng,
                {
                    "student_id": e.person.sid,
                    "program_id": "SAL",
                    "entry_date": school_day(rng, first, last),
                    "exit_date": exit_date,
                    "sal_type": "001" if index % 3 else "002",
                    "sal_exit_reason": None if exit_date is None else ("001", "002")[index % 2],
                    "iep": e.iep,
                },
            )
        )
    return rows


def _enrolment_rows(
    rng: random.Random, cal: Calendar, enrolled: Sequence[Enrolled]
) -> list[dict[str, Any]]:
    """Special education for IEP students (and a few gifted ones without an IEP), SAL for a
    few older students and the expulsion program for a couple."""
    rows: list[dict[str, Any]] = []
    gifted: set[int] = set()
    for e in enrolled:
        if e.iep:
            program = SPECIAL_EDUCATION.draw(rng)
            rows.append(_program(e, program, e.entry, e.exit, iep=True))
        elif not e.cross and rng.random() < P_GIFTED:
            gifted.add(e.pidx)
            rows.append(_program(e, "SE-GIF", e.entry, e.exit, iep=False))
    older = [e for e in enrolled if not e.cross and e.exit is None and e.person.grade >= 11]
    sal = some_of(rng, older, 1 / 2000)
    for e in sal:
        day = school_day(rng, date(cal.year, 10, 1), date(cal.year, 11, 28))
        kind = "001" if rng.random() < 0.5 else "002"
        rows.append(_program(e, "SAL", day, None, iep=e.iep, sal=kind))
    taken = gifted | {e.pidx for e in sal}
    expelled = some_of(rng, [e for e in older if e.pidx not in taken], 1 / 5000, least=2)
    for index, e in enumerate(expelled):
        day = school_day(rng, date(cal.year, 12, 1), date(cal.year + 1, 2, 20))
        until = day + timedelta(days=between(rng, 30, 60)) if index % 2 == 0 else None
        rows.append(_program(e, "EXP", day, until, iep=e.iep))
    return rows


def _program(
    e: Enrolled,
    program: str,
    entry: date,
    exit_date: date | None,
    *,
    iep: bool,
    sal: str | None = None,
) -> dict[str, Any]:
    return {
        "student_id": e.person.sid,
        "program_id": program,
        "entry_date": entry,
        "exit_date": exit_date,
        "sal_type": sal,
        "iep": iep,
    }
