"""Synthetic school data and the PAE extracts OnSIS would hand out for it.

`synthesize` writes a coherent board: schools, board settings, students with their enrolment
histories (returning, new, leaving, cross-enrolled, no-show... students in realistic shares),
community hours, literacy results and an October snapshot as contract CSV files under
`out/data/`, and for each period the board-level extract 0003 under `out/pae/<PERIOD CODE>/`.
`out/scenarios.csv` says which scenario and traits each student was given, for tests.
Everything is invented (OENs and BSIDs start with 99) and the same arguments always give
byte-identical files.
"""

from __future__ import annotations

import gc
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.period import PERIOD_KINDS, parse_school_year
from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.enrolments import Enrolments
from onsis_batch.synth.extract import ENROLMENT_EXTRA, STUDENT_EXTRA, write_extracts
from onsis_batch.synth.extras import add_hours, add_tests, hours_rows, snapshot_rows, test_rows
from onsis_batch.synth.people import Person, make_person, student_row
from onsis_batch.synth.scenarios import (
    OVERLAYS,
    SCENARIOS,
    allocate,
    choose_overlays,
    gather_internal_transfers,
)
from onsis_batch.synth.schools import Board, School, board_settings_rows, make_board, school_rows
from onsis_batch.synth.tables import table_frame, write_table

__all__ = ["SynthSummary", "synthesize"]

SCENARIO_FILE = "scenarios.csv"


@dataclass(frozen=True)
class SynthSummary:
    data_dir: Path
    pae_dirs: dict[str, Path]  # period kind (oct/mar/jun) -> folder holding its extract 0003
    bsids: tuple[str, ...]  # reporting BSIDs, one H2 block each
    students: int
    counts: dict[str, int]  # scenario or trait -> students; traits overlap scenarios


def synthesize(
    out: Path,
    *,
    students: int,
    schools: int = 1,
    seed: int = 1,
    school_year: str = "2025-2026",
    periods: Sequence[str] = PERIOD_KINDS,
    created: datetime | None = None,
) -> SynthSummary:
    """Write `out/data/*.csv`, `out/pae/<PERIOD CODE>/EXSMS-0003.00 - ...csv` and
    `out/scenarios.csv`.

    `students` is the total across the `schools` main schools (split evenly). `created` stamps
    every extract's H1; by default each period's extract is dated the 1st of its count month.
    """
    if students < 0:
        raise ValueError("students must not be negative")
    unknown = [kind for kind in periods if kind not in PERIOD_KINDS]
    if unknown:
        raise ValueError(f"unknown period(s) {', '.join(unknown)}: use {', '.join(PERIOD_KINDS)}")
    cal = Calendar(int(parse_school_year(school_year)[:4]))
    board = make_board(schools, seed)
    out = Path(out)
    data_dir = out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    with _collector_paused():
        people, tables = _tables(cal, board, students, seed)
        for name, frame in tables.items():
            write_table(data_dir, name, frame)
        for name in _unfilled(tables):  # tables this generator does not make yet: header only
            write_table(data_dir, name, table_frame(name, []))
        _scenario_frame(people).write_csv(out / SCENARIO_FILE)
        pae_dirs = write_extracts(out / "pae", cal, board, tables, periods, created)
        counts = _counts(people)
    return SynthSummary(data_dir, pae_dirs, board.reporting_bsids, students, counts)


def _unfilled(tables: dict[str, pl.DataFrame]) -> list[str]:
    return sorted(set(contract()) - set(tables) - {"code_mappings"})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Millions of small dicts would set off the cycle collector again and again (a third of
    the run time), though none of them is part of a cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tables(
    cal: Calendar, board: Board, students: int, seed: int
) -> tuple[list[Person], dict[str, pl.DataFrame]]:
    """Every contract table the generator fills, as typed frames (with working columns)."""
    rng = random.Random(seed)
    people, rows = _population(rng, cal, board, students, seed)
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
    rng: random.Random, cal: Calendar, board: Board, students: int, seed: int
) -> tuple[list[Person], list[dict[str, Any]]]:
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
        rows.extend(enrolments.for_person(person))
        add_hours(rng, person)
        add_tests(rng, person)
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
    if p.has("missing_oen"):
        return
    p.oen_digits = oen
    p.oen = f"{oen[:3]}-{oen[3:6]}-{oen[6:]}" if p.has("dashed_oen") else oen


def _scenario_frame(people: list[Person]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "student_id": [p.sid for p in people],
            "scenario": [p.scenario for p in people],
            "variant": [p.variant for p in people],
            "school_id": [p.school.school_id for p in people],
            "traits": [" ".join(sorted(p.traits)) or None for p in people],
        }
    )


def _counts(people: list[Person]) -> dict[str, int]:
    scenarios = Counter(p.scenario for p in people)
    counts = {name: scenarios.get(name, 0) for name in SCENARIOS}
    counts.update({name: sum(p.has(name) for p in people) for name in OVERLAYS})
    return counts
