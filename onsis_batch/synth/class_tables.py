"""The tables that follow from the coursework pass, each written as soon as it is made (a
board-sized run holds millions of class rows): the timetable (courses, terms, calendar days,
sections and meetings), educators, class enrolments, attendance, stored grades and special
programs, with the class, educator and program extracts of every period.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from onsis_batch.synth.calendar import CONTINUED, Q4, Calendar
from onsis_batch.synth.catalogue import ESL_LEVELS, courses_frame
from onsis_batch.synth.class_extracts import section_attributes, write_class_extracts
from onsis_batch.synth.class_items import ADDED, DROPPED, DROPPED_LATE, WITHDRAWN
from onsis_batch.synth.coursework import Coursework, Enrolled
from onsis_batch.synth.credentials import Credentials
from onsis_batch.synth.educators import educator_tables
from onsis_batch.synth.program_extracts import write_program_extracts
from onsis_batch.synth.programs import program_enrolment_rows, program_rows
from onsis_batch.synth.reported_classes import choose_vanished, enrolment_base
from onsis_batch.synth.school_days import SchoolCalendar, calendar_frame, terms_frame
from onsis_batch.synth.schools import Board, bsid_of
from onsis_batch.synth.sections import (
    INDEPENDENT,
    RECOVERY,
    assign_sections,
    meeting_counts,
    meetings_frame,
)
from onsis_batch.synth.stored_grades import (
    class_grades,
    credit_grades,
    history_grades,
    stored_grades,
)
from onsis_batch.synth.tables import table_frame, write_table

Write = Callable[[str, pl.DataFrame | pl.LazyFrame], None]


@dataclass(frozen=True)
class ClassRun:
    """What the class tables are made for, and where they go."""

    data_dir: Path
    pae_dirs: dict[str, Path]  # period kind -> folder of its extracts
    cal: Calendar
    board: Board
    calendars: dict[str, SchoolCalendar]
    seed: int
    created: datetime | None


@dataclass(frozen=True)
class ClassTables:
    """The tables written, and how often the class-level scenarios occur."""

    names: tuple[str, ...]
    counts: dict[str, int]


def write_class_tables(
    run: ClassRun,
    coursework: Coursework,
    students: pl.DataFrame,
    held: dict[str, pl.DataFrame],
    credentials: Credentials,
) -> ClassTables:
    """Write the class tables and extracts; `students` are student_id, _oen and _excluded,
    `held` the students each period's 0003 carries. Releases `coursework`'s columns."""
    rng = random.Random(f"onsis-synth-class-tables-{run.seed}")
    names: list[str] = []

    def write(name: str, frame: pl.DataFrame | pl.LazyFrame) -> None:
        write_table(run.data_dir, name, frame)
        names.append(name)

    items = coursework.items_frame().unique(
        ["student_id", "school_id", "_course", "_term", "date_enrolled"],
        keep="first",
        maintain_order=True,
    )
    history, absences = coursework.history_frame(), coursework.absences_frame()
    enrolled, ids = coursework.enrolled, coursework.students()
    coursework.release()
    items, sections = _sectioned(rng, run, items, students, write)
    closed_out = items.filter(pl.col("_vanished")).height
    items = items.filter(~pl.col("_vanished"))
    enrolments = _class_enrolments(items)
    write("class_enrolments", enrolments)
    _write_attendance(absences, items, write)
    del absences
    credits = credit_grades(rng, run.cal, enrolled, run.board)
    parts = [history_grades(history, run.board), class_grades(items, run.board), credits]
    del history
    write("stored_grades", stored_grades(parts, ids, run.board))
    del parts
    _write_programs(rng, run, enrolled, enrolments, held, credentials, write)
    counts = _class_counts(enrolments, sections, credits)
    counts["close_out"] = closed_out
    return ClassTables(tuple(names), counts)


def _sectioned(
    rng: random.Random, run: ClassRun, items: pl.DataFrame, students: pl.DataFrame, write: Write
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The items in sections (the vanishing ones chosen), and the sections; writes the
    timetable, educator tables and the class and educator extracts."""
    cal, board = run.cal, run.board
    section_ids, sections = assign_sections(items, board)
    items = items.with_columns(section_ids.alias("section_id"), bsid_of(board).alias("_bsid"))
    del section_ids
    items = items.with_columns(choose_vanished(rng, cal, items, students))
    terms = terms_frame(board, cal)
    courses = courses_frame()
    write("courses", courses)
    write("terms", terms)
    write("calendar_days", calendar_frame(run.calendars.values()))
    write("sections", sections)
    write("section_meetings", meetings_frame(sections))
    educators = educator_tables(
        sections, terms, courses, board, cal, run.pae_dirs, run.seed, run.created
    )
    for name, frame in educators.items():
        write(name, frame)
    attributes = section_attributes(sections, terms, courses)
    write_class_extracts(
        run.pae_dirs,
        cal,
        board,
        enrolment_base(items, attributes, students),
        attributes,
        meeting_counts(sections, run.calendars, cal),
        run.created,
    )
    return items, sections


def _write_attendance(absences: pl.DataFrame, items: pl.DataFrame, write: Write) -> None:
    """The `attendance` table: the absences of the items still in the SIS."""
    attendance = absences.join(
        items.select("_item", "student_id", "section_id"), on="_item", maintain_order="left"
    )
    write(
        "attendance",
        attendance.select("student_id", "section_id", "date", "status").unique(
            ["student_id", "section_id", "date"], keep="first", maintain_order=True
        ),
    )


def _write_programs(
    rng: random.Random,
    run: ClassRun,
    enrolled: list[Enrolled],
    enrolments: pl.DataFrame,
    held: dict[str, pl.DataFrame],
    credentials: Credentials,
    write: Write,
) -> None:
    """The `programs` and `program_enrolments` tables (special and SHSM programs) and the
    program extracts."""
    programs = program_enrolment_rows(rng, run.seed, run.cal, enrolled)
    write("programs", table_frame("programs", program_rows() + credentials.programs))
    program_frame = table_frame("program_enrolments", programs + credentials.program_enrolments)
    write("program_enrolments", program_frame)
    write_program_extracts(
        run.pae_dirs,
        run.cal,
        run.board,
        held,
        program_frame,
        enrolments.drop("_event"),
        run.created,
    )


def _class_enrolments(items: pl.DataFrame) -> pl.DataFrame:
    """The `class_enrolments` table, with the working columns the counts read."""
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
