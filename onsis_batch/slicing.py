"""The rows of a board-wide data set that one BSID's submission can use.

Board IT loads the whole board once and generates every BSID from it. The segment
builders only ever report students who have something at the BSID (an enrolment, a
class, a credit posted there) or whom OnSIS holds for it (PAE), so each run is given those
students' rows only: all of them, at any school, because rules look at a student's
history elsewhere (transcript, previous enrolments). Small per-school tables (courses,
sections, terms, calendar) are kept whole.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.period import SubmissionPeriod
from onsis_batch.segments.context import normalised_oen

PER_STUDENT = (
    "students",
    "school_enrolments",
    "class_enrolments",
    "stored_grades",
    "attendance",
    "community_hours",
    "test_results",
    "snapshot",
    "program_enrolments",
    "shsm_certifications",
)
OEN_EXTRACTS = ("0003", "0004")  # extracts naming the students OnSIS holds, by OEN


def _ids(frame: pl.DataFrame, condition: pl.Expr) -> pl.Series:
    return frame.filter(condition).get_column("student_id")


def bsid_students(
    tables: dict[str, pl.DataFrame], period: SubmissionPeriod, pae: dict[str, pl.DataFrame]
) -> pl.Series:
    """Every student the BSID's submission could report or warn about."""
    schools = list(period.school_ids)
    at_schools = pl.col("school_id").is_in(schools)
    sections = tables["sections"].filter(at_schools).get_column("section_id")
    oens = (
        pl.concat([pae[n].select(normalised_oen().alias("oen")) for n in OEN_EXTRACTS if n in pae])
        .get_column("oen")
        .drop_nulls()
    )
    grades = tables["stored_grades"]
    found = [
        _ids(tables["school_enrolments"], at_schools),
        _ids(tables["class_enrolments"], pl.col("section_id").is_in(sections.implode())),
        _ids(grades, at_schools | (pl.col("bsid_completed_at") == period.bsid)),
        _ids(
            tables["students"].with_columns(normalised_oen().alias("_oen")),
            pl.col("_oen").is_in(oens.implode()),
        ),
    ]
    return pl.concat(found).unique()


def tables_for_bsid(
    tables: dict[str, pl.DataFrame], period: SubmissionPeriod, pae: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """The tables with per-student rows limited to the BSID's students."""
    students = bsid_students(tables, period, pae).implode()
    return {
        name: frame.filter(pl.col("student_id").is_in(students)) if name in PER_STUDENT else frame
        for name, frame in tables.items()
    }
