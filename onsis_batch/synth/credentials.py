"""Synthetic credentials: diplomas and SHSM programs, and the extracts 0026 and 0028 OnSIS
would hold of them (see diplomas and shsm).

Both draw their students from the same pools, in turn and from one random stream: grade 12
students enrolled this year, students of grades 10-12, and last year's grade 12 leavers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.diplomas import held_diplomas, make_diplomas
from onsis_batch.synth.extract_files import write_board_extract
from onsis_batch.synth.schools import Board
from onsis_batch.synth.shsm import certification_map_rows, held_shsm, make_shsm, shsm_program_rows

PERIODS = ("oct", "mar", "jun")


@dataclass(frozen=True)
class Credentials:
    """The credential tables and, per period, what extracts 0026 and 0028 hold."""

    students: pl.DataFrame  # the students frame with diploma columns filled
    programs: list[dict[str, Any]]
    program_enrolments: list[dict[str, Any]]
    certifications: list[dict[str, Any]]
    certification_map: list[dict[str, Any]]
    held_diplomas: dict[str, pl.DataFrame]  # period kind -> 0026 rows with _bsid
    held_shsm: dict[str, pl.DataFrame]  # period kind -> 0028 rows with _bsid


def make_credentials(cal: Calendar, tables: dict[str, pl.DataFrame], seed: int) -> Credentials:
    """Diplomas on the students frame, SHSM programs and certifications, and what each
    period's extracts 0026 and 0028 hold."""
    rng = random.Random(f"onsis-synth-credentials-{seed}")
    students, enrolments = tables["students"], tables["school_enrolments"]
    pools = _candidates(students, enrolments, cal)
    diplomas, cleared = make_diplomas(rng, cal, pools)
    programs, certs = make_shsm(rng, cal, pools)
    students = students.drop("diploma_type", "diploma_date", "graduation_school_id").join(
        diplomas.drop("_bsid", "_plant"), on="student_id", how="left", maintain_order="left"
    )
    oens = students.select("student_id", "_oen")
    shsm = held_shsm(cal, PERIODS, programs, certs, enrolments)
    return Credentials(
        students=students.select(tables["students"].columns),
        programs=shsm_program_rows(),
        program_enrolments=programs,
        certifications=certs,
        certification_map=certification_map_rows(),
        held_diplomas={
            kind: held_diplomas(cal, kind, diplomas, cleared).join(oens, on="student_id")
            for kind in PERIODS
        },
        held_shsm={kind: frame.join(oens, on="student_id") for kind, frame in shsm.items()},
    )


def _latest(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Each student's latest primary enrolment (school, BSID, grade, dates)."""
    return (
        enrolments.filter(~pl.col("is_cross_enrolment") & pl.col("_pae"))
        .sort("student_id", "entry_date")
        .group_by("student_id", maintain_order=True)
        .agg(pl.col("school_id", "_bsid", "grade_level", "entry_date", "exit_date").last())
    )


def _candidates(
    students: pl.DataFrame, enrolments: pl.DataFrame, cal: Calendar
) -> dict[str, list[dict[str, Any]]]:
    """Students by situation: enrolled now (by grade) and last year's leavers."""
    latest = _latest(enrolments).join(
        students.filter(pl.col("_oen").is_not_null() & ~pl.col("_excluded")).select("student_id"),
        on="student_id",
    )
    now = latest.filter(pl.col("exit_date").is_null() & (pl.col("entry_date") <= cal.oct_count))
    left = latest.filter(
        (pl.col("exit_date") == cal.previous_year_exit) & (pl.col("grade_level") == "12")
    )
    return {
        "grade12": now.filter(pl.col("grade_level") == "12").to_dicts(),
        "senior": now.filter(pl.col("grade_level").is_in(["10", "11", "12"])).to_dicts(),
        "left": left.to_dicts(),
    }


def write_credential_extracts(
    pae_dirs: dict[str, Path],
    cal: Calendar,
    board: Board,
    credentials: Credentials,
    created: datetime | None,
) -> None:
    """0026 and 0028 of every period written, one block per reporting BSID."""
    for kind, folder in pae_dirs.items():
        for extract, frames in (
            ("0026", credentials.held_diplomas),
            ("0028", credentials.held_shsm),
        ):
            rows = frames[kind].rename({"_oen": "oen"}).sort("_bsid", "oen", maintain_order=True)
            write_board_extract(folder, extract, kind, cal, board, rows, created)
