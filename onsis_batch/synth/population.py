"""The board's students: who plays which scenario, at which school, with which OEN, and the
student-level tables made from them (schools, board settings, students, school enrolments,
the October snapshot, community hours and literacy results).

Students are made one at a time from one random stream; the coursework pass sees each of
them on the way. Main schools take contiguous equal blocks of students, a quarter of the
first block going to its second campus.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.coursework import Coursework
from onsis_batch.synth.enrolment_extract import ENROLMENT_EXTRA, STUDENT_EXTRA
from onsis_batch.synth.enrolments import Enrolments
from onsis_batch.synth.extras import add_hours, add_tests, hours_rows, snapshot_rows, test_rows
from onsis_batch.synth.people import Person, make_person, secondary_entry, student_row
from onsis_batch.synth.scenarios import (
    OVERLAYS,
    SCENARIOS,
    allocate,
    choose_overlays,
    gather_internal_transfers,
)
from onsis_batch.synth.schools import Board, School, board_settings_rows, school_rows
from onsis_batch.synth.tables import table_frame


def student_tables(
    cal: Calendar, board: Board, students: int, seed: int, coursework: Coursework
) -> tuple[list[Person], dict[str, pl.DataFrame]]:
    """The people, and the student and school tables as typed frames (with working
    columns); `coursework` sees every student on the way."""
    rng = random.Random(seed)
    people, rows = _population(rng, cal, board, students, seed, coursework)
    return people, {
        "schools": table_frame("schools", school_rows(board)),
        "board_settings": table_frame("board_settings", board_settings_rows(cal)),
        "students": table_frame("students", [student_row(p) for p in people], STUDENT_EXTRA),
        "school_enrolments": table_frame("school_enrolments", rows, ENROLMENT_EXTRA),
        "snapshot": table_frame("snapshot", snapshot_rows(rng, cal, rows)),
        "community_hours": table_frame("community_hours", hours_rows(people)),
        "test_results": table_frame("test_results", test_rows(people)),
    }


def _population(
    rng: random.Random,
    cal: Calendar,
    board: Board,
    students: int,
    seed: int,
    coursework: Coursework,
) -> tuple[list[Person], list[dict[str, Any]]]:
    """Every student and their school enrolment rows."""
    scenarios = allocate(rng, students)
    first_block = -(-students // len(board.main))
    gather_internal_transfers(scenarios, first_block)
    overlays = choose_overlays(rng, scenarios)
    oens = _oens(seed, students)
    enrolments = Enrolments(rng, cal, board)
    people, rows = [], []
    for index, scenario in enumerate(scenarios):
        traits = frozenset(name for name, members in overlays.items() if index in members)
        school = _school_for(board, index, students, scenario)
        person = make_person(rng, cal, index, scenario, school, traits)
        _give_oen(person, oens[index])
        own = enrolments.for_person(person)
        rows.extend(own)
        add_hours(rng, person)
        add_tests(rng, person)
        person.secondary_entry = secondary_entry(person, own)
        coursework.add(index, person, own)
        people.append(person)
    return people, rows


def _school_for(board: Board, index: int, students: int, scenario: str) -> School:
    """Contiguous equal blocks per main school; a quarter of the first block at its campus."""
    block = index * len(board.main) // students
    if block == 0 and index % 4 == 3 and scenario != "internal_transfer":
        return board.campus
    return board.main[block]


def _oens(seed: int, count: int) -> list[str]:
    """Unique nine-digit OENs beginning with 99 (plainly fake), stable for a seed."""
    rng = random.Random(f"onsis-synth-oen-{seed}")
    return [f"99{n:07d}" for n in rng.sample(range(10**7), count)]


def _give_oen(p: Person, oen: str) -> None:
    """The OEN as the SIS keeps it (sometimes dashed, or missing)."""
    if p.has("missing_oen"):
        return
    p.oen_digits = oen
    p.oen = f"{oen[:3]}-{oen[3:6]}-{oen[6:]}" if p.has("dashed_oen") else oen


def scenario_frame(people: list[Person]) -> pl.DataFrame:
    """The scenario, variant, school and traits of each student (`scenarios.csv`)."""
    return pl.DataFrame(
        {
            "student_id": [p.sid for p in people],
            "scenario": [p.scenario for p in people],
            "variant": [p.variant for p in people],
            "school_id": [p.school.school_id for p in people],
            "traits": [" ".join(sorted(p.traits)) or None for p in people],
        }
    )


def scenario_counts(people: list[Person]) -> dict[str, int]:
    """Students per scenario and per trait (traits overlap scenarios)."""
    scenarios = Counter(p.scenario for p in people)
    counts = {name: scenarios.get(name, 0) for name in SCENARIOS}
    counts.update({name: sum(p.has(name) for p in people) for name in OVERLAYS})
    return counts
