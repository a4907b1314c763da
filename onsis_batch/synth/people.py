"""Synthetic students: who they are, where they come from, and their `students` table row."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from onsis_batch.synth import names
from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.rand import Weighted, between, one_of
from onsis_batch.synth.schools import School

ORIGIN = Weighted({"local": 0.85, "province": 0.05, "country": 0.10})
GENDER = Weighted({"M": 0.485, "F": 0.485, "N": 0.03})
# Ministry first-language codes: English, French, then Mandarin (32), Punjabi (38), Arabic
# (04), Tamil (47), Spanish (45), Tagalog (46) and Urdu (50).
FIRST_LANGUAGE = Weighted(
    {
        "E": 0.66,
        "F": 0.04,
        "32": 0.03,
        "38": 0.03,
        "04": 0.02,
        "47": 0.015,
        "45": 0.015,
        "46": 0.01,
        "50": 0.01,
        None: 0.18,
    }
)
INDIGENOUS = Weighted({"002": 0.7, "003": 0.25, "004": 0.05})
BIRTH_PROVINCE = Weighted({"ON": 0.85, None: 0.05, "QC": 0.05, "BC": 0.05})
NEWCOMER_RESIDENCE = Weighted({"3": 0.4, "12": 0.25, "7": 0.15, "16": 0.15, "15": 0.05})
IMMIGRANT_RESIDENCE = Weighted({"1": 0.5, "3": 0.5})
RESIDENCE = Weighted({"1": 0.98, "98": 0.01, "17": 0.01})
BOARD_RESIDENCE = Weighted({"01": 0.97, "07": 0.02, "02": 0.005, "03": 0.005})
DESIGNATION = Weighted({"1": 0.9, "2": 0.08, "3": 0.02})
ONLINE_REQUIREMENT = Weighted({"1": 0.7, "2": 0.05, None: 0.25})
PLAR = Weighted({"010": 0.25, "020": 0.15, "030": 0.1, None: 0.5})


@dataclass(slots=True)
class Person:
    """One student and everything the generators need to agree on about them."""

    sid: str
    number: str
    scenario: str
    variant: str  # a scenario's flavour, e.g. "returning" or "new" for a transfer out
    school: School  # the school the scenario is about
    grade: int  # grade in `grade_year`
    grade_year: int  # the school year of `grade` (last year for non-returning students)
    birth_date: date
    origin: str  # local / province / country: where the student first came from
    place: str | None  # province or country of origin
    traits: frozenset[str]
    oen: str | None = None  # as the SIS keeps it (maybe with dashes)
    oen_digits: str | None = None
    first_name: str = ""
    middle_name: str | None = None
    last_name: str = ""
    legal: tuple[str | None, str | None, str | None] = (None, None, None)
    gender: str = "F"
    gender_desc: str | None = None
    first_language: str | None = None
    indigenous: str | None = None
    birth_country: str | None = None
    birth_province: str | None = None
    arrival: date | None = None  # entry to Canada
    postal_code: str = ""
    current_province: str | None = None
    current_country: str | None = None
    residence: str = "1"
    board_residence: str = "01"
    designation: str = "1"
    local_program: bool = False
    oyap: bool = False
    online_requirement: str | None = None
    scholarship_date: date | None = None
    plar: str | None = None
    high_credit: bool = False
    secondary_entry: date | None = None  # when grade 9 started (None for grade 8 students)
    hours: list[tuple[date, float]] = field(default_factory=list)
    tests: list[tuple[str, str, date]] = field(default_factory=list)

    @property
    def excluded(self) -> bool:
        """Whether the student plays the excluded-from-reporting scenario."""
        return self.scenario == "excluded"

    def has(self, trait: str) -> bool:
        """Whether the student carries `trait` (an overlay)."""
        return trait in self.traits


def grade_and_variant(rng: random.Random, scenario: str, mature: bool) -> tuple[int, str]:
    """Grade fitting the scenario (returning students are past grade 9) and its flavour."""
    upper = between(rng, 10, 12) if not mature else between(rng, 11, 12)
    any_grade = between(rng, 9, 12) if not mature else upper
    if scenario == "returning" or scenario == "internal_transfer" or scenario == "no_show":
        return upper, "returning"
    if scenario == "new":
        return (9 if rng.random() < 0.75 and not mature else upper), "new"
    if scenario == "non_returning":
        return (12 if rng.random() < 0.55 else between(rng, 9, 11)), "previous"
    if scenario == "cross_enrolled":
        return (8, "E") if rng.random() < 0.3 else (any_grade, "S")
    if scenario == "transferred_out" or scenario == "excluded":
        variant = "returning" if rng.random() < 0.75 else "new"
        grade = upper if variant == "returning" else any_grade
        if scenario == "excluded":  # by the student flag, or by attendance type EX
            variant += "_flag" if rng.random() < 0.5 else "_ex"
        return grade, variant
    if scenario == "same_day":
        return any_grade, ("alone" if rng.random() < 0.5 else "then_new")
    return any_grade, scenario


def birth_date(rng: random.Random, grade: int, grade_year: int, mature: bool) -> date:
    """Turning grade + 5 in the autumn's calendar year; a few a year older; mature 21+."""
    age = between(rng, 21, 34) if mature else grade + 5 + (1 if rng.random() < 0.04 else 0)
    return date(grade_year - age, 1, 1) + timedelta(days=between(rng, 0, 364))


def postal_code(rng: random.Random, first_letters: str) -> str:
    """A postal code starting with one of `first_letters`."""
    letters = names.POSTAL_LETTERS
    return (
        f"{one_of(rng, first_letters)}{between(rng, 0, 9)}{one_of(rng, letters)} "
        f"{between(rng, 0, 9)}{one_of(rng, letters)}{between(rng, 0, 9)}"
    )


def make_person(
    rng: random.Random,
    cal: Calendar,
    index: int,
    scenario: str,
    school: School,
    traits: frozenset[str],
) -> Person:
    """Student number `index` playing `scenario` at `school`, with all their particulars."""
    mature = "mature" in traits
    grade, variant = grade_and_variant(rng, scenario, mature)
    grade_year = cal.year - 1 if scenario == "non_returning" else cal.year
    origin = ORIGIN.draw(rng)
    places = {"local": None, "province": names.PROVINCES, "country": names.COUNTRIES}[origin]
    place = one_of(rng, places) if places else None
    person = Person(
        sid=str(100_001 + index),
        number=str(700_001 + index),
        scenario=scenario,
        variant=variant,
        school=school,
        grade=grade,
        grade_year=grade_year,
        birth_date=birth_date(rng, grade, grade_year, mature),
        origin=origin,
        place=place,
        traits=traits,
    )
    _name(rng, person)
    _identity(rng, person)
    _residence(rng, person)
    _programs(rng, cal, person)
    return person


def _name(rng: random.Random, p: Person) -> None:
    p.last_name = one_of(rng, names.LAST_NAMES)
    p.middle_name = one_of(rng, names.FIRST_NAMES) if rng.random() < 0.45 else None
    if p.has("legal_name_differs"):
        usual = one_of(rng, tuple(names.LEGAL_FORMS))
        if rng.random() < 0.7:
            p.first_name = usual
            p.legal = (names.LEGAL_FORMS[usual], p.middle_name, p.last_name)
        else:
            p.first_name = one_of(rng, names.FIRST_NAMES)
            double = f"{p.last_name}-{one_of(rng, names.LAST_NAMES)}"
            p.legal = (p.first_name, p.middle_name, double)
        return
    p.first_name = one_of(rng, names.FIRST_NAMES)
    if rng.random() < 0.4:  # some SIS records repeat the usual name as the legal one
        p.legal = (p.first_name, p.middle_name, p.last_name)


def _identity(rng: random.Random, p: Person) -> None:
    if p.has("gender_specified"):
        p.gender, p.gender_desc = "S", one_of(rng, names.GENDER_DESCRIPTIONS)
    else:
        p.gender = GENDER.draw(rng)
    p.first_language = FIRST_LANGUAGE.draw(rng)
    if rng.random() < 0.04:
        p.indigenous = INDIGENOUS.draw(rng)
    if p.origin == "country" or (p.origin == "local" and rng.random() < 0.08):
        p.birth_country = p.place or one_of(rng, names.COUNTRIES)
        if p.origin == "local":  # immigrated years before starting secondary school
            years_back = between(rng, 2, 10)
            p.arrival = date(p.birth_date.year + 14 - years_back, between(rng, 1, 12), 1)
    elif p.origin == "province":
        p.birth_province = p.place
        p.birth_country = "CAN" if rng.random() < 0.3 else None
    else:
        p.birth_province = BIRTH_PROVINCE.draw(rng)
        p.birth_country = "CAN" if rng.random() < 0.3 else None


def _residence(rng: random.Random, p: Person) -> None:
    if p.origin == "country":
        p.residence = NEWCOMER_RESIDENCE.draw(rng)
    elif p.arrival is not None:
        p.residence = IMMIGRANT_RESIDENCE.draw(rng)
    else:
        p.residence = RESIDENCE.draw(rng)
    if p.residence == "12":
        p.board_residence = "05"  # study permit: an international fee-paying pupil
    else:
        p.board_residence = BOARD_RESIDENCE.draw(rng)
    if p.has("outside_ontario"):
        province = one_of(rng, ("QC", "MB"))
        p.current_province, p.current_country = province, "CAN"
        p.postal_code = postal_code(rng, "J" if province == "QC" else "R")
        return
    p.postal_code = postal_code(rng, names.ONTARIO_FIRST_LETTERS)
    if rng.random() < 0.05:
        p.current_province, p.current_country = "ON", "CAN"


def _programs(rng: random.Random, cal: Calendar, p: Person) -> None:
    p.designation = DESIGNATION.draw(rng)
    p.local_program = rng.random() < 0.03
    p.oyap = p.grade >= 11 and rng.random() < 0.04
    if p.grade == 12:
        p.online_requirement = ONLINE_REQUIREMENT.draw(rng)
        p.high_credit = rng.random() < 0.02
    elif p.grade == 11 and rng.random() < 0.3:
        p.online_requirement = "1"
    if p.has("mature"):
        p.plar = PLAR.draw(rng)
    if p.grade == 12 and rng.random() < 0.12:
        p.scholarship_date = _scholarship(rng, cal, p)


def _scholarship(rng: random.Random, cal: Calendar, p: Person) -> date:
    if p.scenario != "non_returning":
        return date(cal.year + 1, 6, between(rng, 1, 25))
    # Last year's graduates: approved before the summer, or over it (inside October's period).
    if rng.random() < 0.5:
        return date(cal.year, 6, between(rng, 1, 20))
    return date(cal.year, between(rng, 7, 8), between(rng, 1, 28))


def secondary_entry(p: Person, rows: list[dict[str, Any]]) -> date | None:
    """The day the student started grade 9: their first enrolment here when that was in
    grade 9, else the first school day of their grade 9 year (at another school); mature
    students started at 14."""
    if p.has("mature"):
        return Calendar(p.birth_date.year + 14).first_day
    if p.grade < 9:
        return None
    main = [r for r in rows if not r["is_cross_enrolment"]]
    if main:
        first = min(main, key=lambda r: r["entry_date"])
        if first["grade_level"] == "9":
            entry: date = first["entry_date"]
            return entry
    return Calendar(p.grade_year - (p.grade - 9)).first_day


def student_row(p: Person) -> dict[str, Any]:
    """The person's `students` row, with the working columns _oen and _excluded."""
    legal_first, legal_middle, legal_last = p.legal
    return {
        "student_id": p.sid,
        "oen": p.oen,
        "student_number": p.number,
        "first_name": p.first_name,
        "middle_name": p.middle_name,
        "last_name": p.last_name,
        "legal_first_name": legal_first,
        "legal_middle_name": legal_middle,
        "legal_last_name": legal_last,
        "birth_date": p.birth_date,
        "gender": p.gender,
        "gender_desc": p.gender_desc,
        "first_language": p.first_language,
        "exclude_from_reporting": p.excluded and p.variant.endswith("flag"),
        "not_main_school": p.has("not_main_school"),
        "indigenous_self_identification": p.indigenous,
        "birth_country": p.birth_country,
        "birth_province": p.birth_province,
        "year_of_entry_to_canada": p.arrival.strftime("%Y-%m") if p.arrival else None,
        "postal_code": p.postal_code,
        "scholarship_date": p.scholarship_date,
        "mature_student": p.has("mature"),
        "plar_attendance_type": p.plar,
        "oyap": p.oyap,
        "online_graduation_requirement": p.online_requirement,
        "secondary_entry_date": p.secondary_entry,
        "_oen": p.oen_digits,
        "_excluded": p.excluded,
    }
