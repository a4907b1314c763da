"""The rows of a board-wide data set that one BSID's submission (or a worker's share) can use.

Board IT loads the whole board once and generates every BSID from it. The segment
builders only ever report students who have something at the BSID (an enrolment, a
class, a credit posted there) or whom OnSIS holds for it (PAE), so each run is given those
students' rows only: all of them, at any school, because rules look at a student's
history elsewhere (transcript, previous enrolments). Small per-school tables (courses,
sections, terms, calendar) are kept whole.

A worker process of a board run reads, from the staged data, the rows of the students of
all its BSIDs at once (`share_tables`); each BSID is then sliced from that share.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.context import normalised_oen
from onsis_batch.sources import StagedData

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

Tables = Mapping[str, pl.LazyFrame]


def students_of(
    tables: Tables,
    schools: Collection[str],
    bsids: Collection[str],
    pae: Collection[Mapping[str, pl.DataFrame]],
) -> pl.LazyFrame:
    """Ids of every student the submissions of `bsids` (with these schools) could report."""
    at_schools = pl.col("school_id").is_in(list(schools))
    sections = tables["sections"].filter(at_schools).select("section_id")
    oens = [
        extracts[n].lazy().select(normalised_oen().alias("_oen"))
        for extracts in pae
        for n in OEN_EXTRACTS
        if n in extracts
    ]
    held = pl.concat(oens).drop_nulls() if oens else pl.LazyFrame(schema={"_oen": pl.String})
    found = [
        tables["school_enrolments"].filter(at_schools),
        tables["class_enrolments"].join(sections, on="section_id", how="semi"),
        tables["stored_grades"].filter(at_schools | pl.col("bsid_completed_at").is_in(list(bsids))),
        tables["students"]
        .with_columns(normalised_oen().alias("_oen"))
        .join(held, on="_oen", how="semi"),
    ]
    return pl.concat([frame.select("student_id") for frame in found]).unique()


def bsid_students(
    tables: dict[str, pl.DataFrame], period: SubmissionPeriod, pae: dict[str, pl.DataFrame]
) -> pl.Series:
    """Every student the BSID's submission could report or warn about."""
    lazy = {name: frame.lazy() for name, frame in tables.items()}
    ids = students_of(lazy, period.school_ids, [period.bsid], [pae])
    return ids.collect(engine=IN_MEMORY).get_column("student_id")


def tables_for_bsid(
    tables: dict[str, pl.DataFrame], period: SubmissionPeriod, pae: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """The tables with per-student rows limited to the BSID's students."""
    students = bsid_students(tables, period, pae).implode()
    return {
        name: frame.filter(pl.col("student_id").is_in(students)) if name in PER_STUDENT else frame
        for name, frame in tables.items()
    }


def share_tables(
    staged: StagedData,
    periods: Collection[SubmissionPeriod],
    pae: Mapping[str, Mapping[str, pl.DataFrame]],
    tables: Collection[str],
) -> dict[str, pl.DataFrame]:
    """The staged tables, per-student ones limited to the students of these BSIDs."""
    scans = {name: staged.scan(name) for name in tables}
    schools = sorted({school for period in periods for school in period.school_ids})
    bsids = sorted(period.bsid for period in periods)
    ids = students_of(scans, schools, bsids, [pae[b] for b in bsids]).collect(engine="streaming")
    students = ids.get_column("student_id").implode()
    return {
        name: (scan.filter(pl.col("student_id").is_in(students)) if name in PER_STUDENT else scan)
        .collect(engine="streaming")
        .rechunk()
        for name, scan in scans.items()
    }
