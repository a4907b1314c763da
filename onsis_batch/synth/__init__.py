"""Synthetic school data and the PAE extracts OnSIS would hand out for it.

`synthesize` writes a coherent board as contract CSV files under `out/data/`: schools, board
settings, students with their enrolment histories (returning, new, leaving, cross-enrolled,
no-show... students in realistic shares), community hours, literacy results, an October
snapshot, and each SIS school's timetable (courses, terms, calendar, sections and their
meetings), class enrolments, stored grades (with earlier years' transcripts, PLAR and other
credits), attendance and special programs. For each period it writes the board-level
extracts (0003 student school enrolment, 0001, 0002 and 0004 classes, course segments and
student class enrolments, and those of educators, programs and credentials) under
`out/pae/<PERIOD CODE>/`. `out/scenarios.csv` says which scenario and traits each student was
given, for tests. Everything is invented (OENs and BSIDs start with 99) and the same
arguments always give byte-identical files.

Modules, in the order a run uses them: calendar, schools, school_days (the year and the
board); scenarios, people, enrolments, extras and population (the students); catalogue,
course_plans, class_items, marks, transcripts and coursework (what every student takes, in
the same pass); credentials, diplomas and shsm; sections, educators, stored_grades,
programs and class_tables (the tables after the pass); enrolment_extract, reported_classes,
class_extracts, educator_extracts, program_extracts and extract_files (the PAE files).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from onsis_batch.contract import contract
from onsis_batch.period.periods import PERIOD_KINDS, parse_school_year
from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.class_tables import ClassRun, write_class_tables
from onsis_batch.synth.coursework import Coursework
from onsis_batch.synth.credentials import make_credentials, write_credential_extracts
from onsis_batch.synth.enrolment_extract import write_extracts
from onsis_batch.synth.population import scenario_counts, scenario_frame, student_tables
from onsis_batch.synth.program_extracts import holders
from onsis_batch.synth.school_days import school_calendars
from onsis_batch.synth.schools import make_board
from onsis_batch.synth.tables import table_frame, write_table

__all__ = ["SynthSummary", "synthesize"]

SCENARIO_FILE = "scenarios.csv"


@dataclass(frozen=True)
class SynthSummary:
    """Where a synthetic board was written, and what it holds."""

    data_dir: Path
    pae_dirs: dict[str, Path]  # period kind (oct/mar/jun) -> folder of its extracts
    bsids: tuple[str, ...]  # reporting BSIDs, one H2 block each
    students: int
    # scenario or trait -> students (traits overlap scenarios); class scenario -> rows
    counts: dict[str, int]


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
    """Write `out/data/*.csv`, the extracts of each period in `out/pae/<PERIOD CODE>/` and
    `out/scenarios.csv`.

    `students` is the total across the `schools` main schools (split evenly). `created` stamps
    every extract's H1; by default each period's extracts are dated the 1st of its count month.
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
        calendars = school_calendars(board, cal, seed)
        coursework = Coursework(seed, cal, calendars)
        people, tables = student_tables(cal, board, students, seed, coursework)
        credentials = make_credentials(cal, tables, seed)
        tables["students"] = credentials.students
        tables["shsm_certifications"] = table_frame(
            "shsm_certifications", credentials.certifications
        )
        tables["shsm_certification_map"] = table_frame(
            "shsm_certification_map", credentials.certification_map
        )
        for name, frame in tables.items():
            write_table(data_dir, name, frame)
        scenario_frame(people).write_csv(out / SCENARIO_FILE)
        pae_dirs = write_extracts(out / "pae", cal, board, tables, periods, created)
        write_credential_extracts(pae_dirs, cal, board, credentials, created)
        counts = scenario_counts(people)
        known = tables["students"].select("student_id", "_oen", "_excluded")
        held = holders(cal, tables, periods)  # for the program extracts
        written = set(tables)
        del people, tables  # written: make room for the class tables
        run = ClassRun(data_dir, pae_dirs, cal, board, calendars, seed, created)
        classes = write_class_tables(run, coursework, known, held, credentials)
        counts.update(classes.counts)
        for name in _unfilled(written | set(classes.names)):  # a contract table not made yet
            write_table(data_dir, name, table_frame(name, []))
    return SynthSummary(data_dir, pae_dirs, board.reporting_bsids, students, counts)


def _unfilled(written: set[str]) -> list[str]:
    """Contract tables not written yet (the code mappings are the board's own)."""
    return sorted(set(contract()) - written - {"code_mappings"})


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
