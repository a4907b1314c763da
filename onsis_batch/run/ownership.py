"""Which BSIDs a finding about the school data concerns, so one school's bad rows stop only
that school in a board run.

A finding about one row of a table that names a student or a school belongs to the BSIDs
whose submission would read that row: the BSID of the school, or every BSID that reports
the student. Every other finding (a missing table or column, a bad row of a board-wide
table such as `courses`, a school's unreadable BSID) concerns the whole board.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.findings import Finding
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.outcome import Inputs
from onsis_batch.queries import IN_MEMORY
from onsis_batch.run.slicing import bsid_students
from onsis_batch.sources import StagedData

OWNER_COLUMNS = ("student_id", "school_id")
# A problem with the column that places a row under a BSID cannot be placed by it: a school
# whose BSID is unreadable may be any BSID's, so it stops the whole board.
PLACING = {("schools", "bsid")}
_SCHEMA = {"finding": pl.Int64, "student_id": pl.String, "school_id": pl.String}


class FindingOwners:
    """The staged data's findings split into board-wide ones and row findings with owners."""

    def __init__(self, staged: StagedData) -> None:
        self.findings = list(staged.findings)
        self.owners = _owners(staged, self.findings)
        owned = set(self.owners.get_column("finding").to_list())
        self.board_findings = [f for i, f in enumerate(self.findings) if i not in owned]

    def for_bsid(self, inputs: Inputs, period: SubmissionPeriod) -> list[Finding]:
        """The row findings that concern this BSID's submission, in their original order."""
        if self.owners.is_empty():
            return []
        students = bsid_students(inputs.tables, period, inputs.pae[period.bsid]).implode()
        mine = self.owners.filter(
            pl.col("student_id").is_in(students) | pl.col("school_id").is_in(period.school_ids)
        )
        return [self.findings[i] for i in sorted(set(mine.get_column("finding").to_list()))]


def _owners(staged: StagedData, findings: list[Finding]) -> pl.DataFrame:
    """Finding index, student_id, school_id: one row per finding about an owned row."""
    # Findings name a file by its name, an SQL table or view as it was read.
    tables = {
        where.name if isinstance(where, Path) else str(where): name
        for name, where in staged.files.items()
    }
    wanted: dict[str, list[tuple[int, int]]] = {}
    for index, item in enumerate(findings):
        table = tables.get(item.file or "")
        if item.row is None or table is None or (table, item.column) in PLACING:
            continue
        if any(column in contract()[table].column_names for column in OWNER_COLUMNS):
            wanted.setdefault(table, []).append((index, item.row))
    frames = [pl.DataFrame(schema=_SCHEMA)]
    for table, pairs in wanted.items():
        present = [c for c in OWNER_COLUMNS if c in contract()[table].column_names]
        rows = pl.DataFrame(pairs, schema={"finding": pl.Int64, "_row": pl.Int64}, orient="row")
        owners = (
            staged.scan(table)
            .select("_row", *present)
            .join(rows.lazy(), on="_row")
            .select(
                "finding",
                *(
                    pl.col(c) if c in present else pl.lit(None, pl.String).alias(c)
                    for c in OWNER_COLUMNS
                ),
            )
            .collect(engine=IN_MEMORY)
        )
        frames.append(owners)
    # A row that names neither (both empty) cannot be placed: it concerns the whole board.
    return pl.concat(frames).filter(
        pl.any_horizontal(pl.col(c).is_not_null() for c in OWNER_COLUMNS)
    )
