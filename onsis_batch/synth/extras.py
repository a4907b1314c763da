"""Community involvement hours, literacy results and the October snapshot."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from onsis_batch.synth.calendar import Calendar, school_day
from onsis_batch.synth.enrolments import active_on
from onsis_batch.synth.people import Person
from onsis_batch.synth.rand import Weighted, between, one_of

FIRST_SITTING = Weighted({"S": 0.84, "U": 0.12, "A": 0.02, "D": 0.02})
RETAKE = Weighted({"S": 0.6, "U": 0.4})
HOUR_CHOICES = (2.0, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0, 10.0, 12.0, 15.0, 20.0)


def add_hours(rng: random.Random, p: Person) -> None:
    """Volunteer hours since grade 9; a few students log far more than 999 in total."""
    if p.grade < 9:
        return
    since = date(p.grade_year - (p.grade - 9), 9, 1)
    until = date(p.grade_year + 1, 5, 31)
    if p.has("over_999_hours"):
        p.hours = [(school_day(rng, since, until), float(between(rng, 340, 420))) for _ in range(3)]
        return
    count = one_of(rng, (0, 1, 2, 2, 3, 3, 4, 5))
    span = (until - since).days + 1  # any day: volunteering happens on weekends too
    days = sorted(since + timedelta(days=int(rng.random() * span)) for _ in range(count))
    p.hours = [(day, one_of(rng, HOUR_CHOICES)) for day in days]


def add_tests(rng: random.Random, p: Person) -> None:
    """OSSLT in the spring of grade 10, a retake in grade 11, the literacy course in grade 12."""
    if p.grade < 10:
        return
    first = p.grade_year - (p.grade - 10)  # school year of grade 10
    sitting = school_day(rng, date(first + 1, 3, 20), date(first + 1, 4, 3))
    if p.arrival is not None and p.arrival > sitting:
        return  # arrived in Canada after the grade-10 sitting
    result = FIRST_SITTING.draw(rng)
    p.tests.append(("OSSLT", result, sitting))
    if result != "U" or p.grade < 11:
        return
    retake = school_day(rng, date(first + 2, 3, 20), date(first + 2, 4, 3))
    result = RETAKE.draw(rng)
    p.tests.append(("OSSLT", result, retake))
    if result == "U" and p.grade == 12:
        course_end = school_day(rng, date(first + 3, 1, 20), date(first + 3, 1, 30))
        p.tests.append(("OLC", "S", course_end))


def hours_rows(people: Iterable[Person]) -> list[dict[str, Any]]:
    """The `community_hours` table."""
    return [
        {"student_id": p.sid, "hours": f"{hours:.1f}", "activity_date": day}
        for p in people
        for day, hours in p.hours
    ]


def test_rows(people: Iterable[Person]) -> list[dict[str, Any]]:
    """The `test_results` table."""
    return [
        {"student_id": p.sid, "test": test, "result": result, "test_date": day}
        for p in people
        for test, result, day in p.tests
    ]


def snapshot_rows(
    rng: random.Random, cal: Calendar, rows: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """October count-date snapshot of most enrolled students, equal to their enrolment values
    (so the run's output must not change because of it)."""
    count = cal.oct_count
    snapshots, seen = [], set()
    for row in rows:
        p = row["_person"]
        if not active_on(row, count) or row["is_cross_enrolment"] or not row["_pae"]:
            continue
        if p.sid in seen or rng.random() >= 0.9:
            continue
        seen.add(p.sid)
        snapshots.append(
            {
                "student_id": p.sid,
                "count_date": count,
                "grade_level": row["grade_level"],
                "residence_status": row["residence_status"],
                "entry_country": row.get("entry_country"),
                "entry_province": row.get("entry_province"),
                "entry_language": row.get("entry_language"),
                "postal_code": p.postal_code,
                "current_country": row["current_country"],
                "current_province": row["current_province"],
                "gender": p.gender,
                "gender_desc": p.gender_desc,
                "oyap": p.oyap,
                "online_graduation_requirement": p.online_requirement,
            }
        )
    return snapshots
