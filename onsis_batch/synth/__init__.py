"""Synthetic school data and the PAE extracts OnSIS would hand out for it.

`synthesize` writes a coherent board as contract CSV files under `out/data/`: schools, board
settings, students with their enrolment histories (returning, new, leaving, cross-enrolled,
no-show... students in realistic shares), community hours, literacy results, an October
snapshot, and each SIS school's timetable (courses, terms, calendar, sections and their
meetings), class enrolments, stored grades (with earlier years' transcripts, PLAR and other
credits), attendance and special programs. For each period it writes the board-level
extracts 0003 (student school enrolment), 0001, 0002 and 0004 (classes, course segments,
student class enrolments) under `out/pae/<PERIOD CODE>/`. `out/scenarios.csv` says which
scenario and traits each student was given, for tests. Everything is invented (OENs and BSIDs
start with 99) and the same arguments always give byte-identical files.

Modules: people/enrolments/scenarios (students and school enrolments), catalogue (courses,
plans), timetable (calendar, terms, sections), classes (class items, transcript history),
marks (stored grades, programs), extract and class_extracts (the PAE files).
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
from onsis_batch.period.periods import PERIOD_KINDS, parse_school_year
from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.catalogue import ESL_LEVELS, Q4
from onsis_batch.synth.class_extracts import (
    choose_vanished,
    enrolment_base,
    section_attributes,
    write_class_extracts,
)
from onsis_batch.synth.classes import (
    ADDED,
    DROPPED,
    DROPPED_LATE,
    WITHDRAWN,
    ClassBuilder,
)
from onsis_batch.synth.credentials import (
    Credentials,
    make_credentials,
    write_credential_extracts,
)
from onsis_batch.synth.educators import educator_tables
from onsis_batch.synth.enrolments import Enrolments
from onsis_batch.synth.extract import ENROLMENT_EXTRA, STUDENT_EXTRA, write_extracts
from onsis_batch.synth.extras import add_hours, add_tests, hours_rows, snapshot_rows, test_rows
from onsis_batch.synth.marks import (
    class_grades,
    credit_grades,
    history_grades,
    program_enrolment_rows,
    stored_grades,
)
from onsis_batch.synth.people import Person, make_person, secondary_entry, student_row
from onsis_batch.synth.programs import (
    holders,
    program_rows,
    write_program_extracts,
)
from onsis_batch.synth.programs import program_enrolment_rows as program_values
from onsis_batch.synth.scenarios import (
    OVERLAYS,
    SCENARIOS,
    allocate,
    choose_overlays,
    gather_internal_transfers,
)
from onsis_batch.synth.schools import Board, School, board_settings_rows, make_board, school_rows
from onsis_batch.synth.tables import table_frame, write_table
from onsis_batch.synth.timetable import (
    CONTINUED,
    INDEPENDENT,
    RECOVERY,
    SchoolCalendar,
    SchoolYear,
    assign_sections,
    bsid_of,
    calendar_frame,
    courses_frame,
    meeting_counts,
    meetings_frame,
    school_calendars,
    terms_frame,
)

__all__ = ["SynthSummary", "synthesize"]

SCENARIO_FILE = "scenarios.csv"


@dataclass(frozen=True)
class SynthSummary:
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
    """Write `out/data/*.csv`, the extracts 0001-0004 of each period in
    `out/pae/<PERIOD CODE>/` and `out/scenarios.csv`.

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
        year = SchoolYear(cal.year)
        calendars = school_calendars(board, year, seed)
        builder = ClassBuilder(seed, cal, board, calendars)
        people, tables = _tables(cal, board, students, seed, builder)
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
        _scenario_frame(people).write_csv(out / SCENARIO_FILE)
        pae_dirs = write_extracts(out / "pae", cal, board, tables, periods, created)
        write_credential_extracts(pae_dirs, cal, board, credentials, created)
        counts = _counts(people)
        known = tables["students"].select("student_id", "_oen", "_excluded")
        held = holders(cal, tables, periods)  # for the program extracts
        written = set(tables)
        del people, tables  # written: make room for the class tables
        classes = _class_tables(
            data_dir,
            pae_dirs,
            cal,
            board,
            year,
            calendars,
            builder,
            known,
            seed,
            created,
            held,
            credentials,
        )
        counts.update(classes.counts)
        for name in _unfilled(written | set(classes.names)):  # a contract table not made yet
            write_table(data_dir, name, table_frame(name, []))
    return SynthSummary(data_dir, pae_dirs, board.reporting_bsids, students, counts)


def _unfilled(written: set[str]) -> list[str]:
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


def _tables(
    cal: Calendar, board: Board, students: int, seed: int, builder: ClassBuilder
) -> tuple[list[Person], dict[str, pl.DataFrame]]:
    """The student and school tables, as typed frames (with working columns); the class
    builder sees every student on the way."""
    rng = random.Random(seed)
    people, rows = _population(rng, cal, board, students, seed, builder)
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
    builder: ClassBuilder,
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
        own = enrolments.for_person(person)
        rows.extend(own)
        add_hours(rng, person)
        add_tests(rng, person)
        person.secondary_entry = secondary_entry(person, own)
        builder.add(index, person, own)
        people.append(person)
    return people, rows


@dataclass(frozen=True)
class _Written:
    names: tuple[str, ...]
    counts: dict[str, int]


def _class_tables(
    data_dir: Path,
    pae_dirs: dict[str, Path],
    cal: Calendar,
    board: Board,
    year: SchoolYear,
    calendars: dict[str, SchoolCalendar],
    builder: ClassBuilder,
    students: pl.DataFrame,
    seed: int,
    created: datetime | None,
    held: dict[str, pl.DataFrame],
    credentials: Credentials,
) -> _Written:
    """Write the timetable and class tables and the class extracts of every period, each as
    soon as it is made (a board-sized run holds millions of class rows)."""
    rng = random.Random(f"onsis-synth-class-tables-{seed}")
    items = builder.items_frame().unique(
        ["student_id", "school_id", "_course", "_term", "date_enrolled"],
        keep="first",
        maintain_order=True,
    )
    history, absences = builder.history_frame(), builder.absences_frame()
    enrolled, ids = builder.enrolled, builder.students()
    builder.release()
    section_ids, sections = assign_sections(items, board)
    items = items.with_columns(section_ids.alias("section_id"), bsid_of(board).alias("_bsid"))
    del section_ids
    items = items.with_columns(choose_vanished(rng, cal, items, students))
    terms = terms_frame(board, year)
    courses = courses_frame()
    names: list[str] = []

    def write(name: str, frame: pl.DataFrame | pl.LazyFrame) -> None:
        write_table(data_dir, name, frame)
        names.append(name)

    write("courses", courses)
    write("terms", terms)
    write("calendar_days", calendar_frame(calendars.values()))
    write("sections", sections)
    write("section_meetings", meetings_frame(sections))
    educators = educator_tables(sections, terms, courses, board, cal, pae_dirs, seed, created)
    for name, frame in educators.items():
        write(name, frame)
    attributes = section_attributes(sections, terms, courses)
    write_class_extracts(
        pae_dirs,
        cal,
        board,
        enrolment_base(items, attributes, students),
        attributes,
        meeting_counts(sections, calendars, year),
        created,
    )
    del attributes
    closed_out = items.filter(pl.col("_vanished")).height
    items = items.filter(~pl.col("_vanished"))
    enrolments = _class_enrolments(items)
    write("class_enrolments", enrolments)
    attendance = absences.join(
        items.select("_item", "student_id", "section_id"), on="_item", maintain_order="left"
    )
    write(
        "attendance",
        attendance.select("student_id", "section_id", "date", "status").unique(
            ["student_id", "section_id", "date"], keep="first", maintain_order=True
        ),
    )
    del attendance, absences
    credits = credit_grades(rng, cal, enrolled, board)
    parts = [history_grades(history, board), class_grades(items, board), credits]
    del history
    write("stored_grades", stored_grades(parts, ids, board))
    del parts
    programs = program_values(seed, cal, enrolled, program_enrolment_rows(rng, cal, enrolled))
    write("programs", table_frame("programs", program_rows() + credentials.programs))
    program_frame = table_frame("program_enrolments", programs + credentials.program_enrolments)
    write("program_enrolments", program_frame)
    write_program_extracts(
        pae_dirs, cal, board, held, program_frame, enrolments.drop("_event"), created
    )
    counts = _class_counts(enrolments, sections, credits)
    counts["close_out"] = closed_out
    return _Written(tuple(names), counts)


def _class_enrolments(items: pl.DataFrame) -> pl.DataFrame:
    kind = pl.col("_kind")
    units = (pl.col("_pidx") * 7 + pl.col("_course")) % 9 + 2
    return items.select(
        "student_id",
        "section_id",
        "date_enrolled",
        "date_left",
        (kind == INDEPENDENT).alias("is_independent_study"),
        (pl.col("_term") == CONTINUED).alias("is_previous_year"),
        "iep",
        "esl_eld",
        pl.when(kind == INDEPENDENT).then(pl.format("{}.00", units)).alias("work_units"),
        "_event",
        "_repeat",
        "_kind",
        "_course",
        "_term",
    )


def _class_counts(
    enrolments: pl.DataFrame, sections: pl.DataFrame, credits: pl.DataFrame
) -> dict[str, int]:
    """How often the class-level scenarios occur (rows, not students)."""
    event = pl.col("_event")
    combined = sections.group_by("school_id", "class_code").agg(
        pl.col("course_number").n_unique().alias("courses")
    )
    esl_cr = (pl.col("_kind") == RECOVERY) | pl.col("_course").is_in(ESL_LEVELS)
    return {
        "class_drop": enrolments.filter(event == DROPPED).height,
        "class_late_drop": enrolments.filter(event == DROPPED_LATE).height,
        "class_late_add": enrolments.filter(event == ADDED).height,
        "class_withdrawal": enrolments.filter(event == WITHDRAWN).height,
        "class_repeat": enrolments.filter(pl.col("_repeat")).height,
        "credit_recovery": enrolments.filter(pl.col("_kind") == RECOVERY).height,
        "q4_recovery": enrolments.filter(pl.col("_term") == Q4).height,
        "esl_cr_leave": enrolments.filter((event == WITHDRAWN) & esl_cr).height,
        "continued_class": enrolments.filter(pl.col("is_previous_year")).height,
        "combined_class": combined.filter(pl.col("courses") > 1).height,
        "plar": credits.filter(pl.col("_plar_type").is_not_null()).height,
        "other_credit": credits.filter(pl.col("_credit_type").is_not_null()).height,
    }


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
