"""Conflicts between the SIS schools reported under one BSID.

A BSID may gather several SIS schools (decision D314). The segments combine them as the
rule book asks; this module reports the school data that cannot be combined faithfully.
Class codes shared by two schools are CLS002 (segments/classes.py).
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.located import at_data_rows

FAR_FUTURE = pl.date(9999, 12, 31)


def concurrent_primary_enrolments(classified: pl.DataFrame) -> list[Finding]:
    """SSE004: a student with primary enrolments at two schools of the BSID on the same days.

    `classified` is `scope.classify_enrolments`' frame (the BSID's reporting schools only).
    Only enrolments of the period count. Exit dates are first days out (D5), so a move
    that leaves one school the day the other begins is no conflict. One finding per pair,
    placed on the later row; the latest enrolment still speaks for the student (D11).
    """
    primary = classified.filter(
        pl.col("in_period") & ~pl.col("is_ex") & ~pl.col("is_cross_enrolment")
    ).select(
        "student_id",
        "school_id",
        "_row",
        "entry_date",
        pl.col("exit_date").fill_null(FAR_FUTURE).alias("until"),
    )
    pairs = (
        primary.join(primary, on="student_id", suffix="_other")
        .filter(
            (pl.col("school_id") != pl.col("school_id_other"))
            & (pl.col("_row_other") < pl.col("_row"))
            & (pl.col("entry_date") < pl.col("until_other"))
            & (pl.col("entry_date_other") < pl.col("until"))
        )
        .sort("student_id", "_row", "_row_other")
    )
    return at_data_rows(
        "SSE004",
        pairs,
        "school_enrolments",
        "entry_date",
        student_id=FromColumn("student_id"),
        school=FromColumn("school_id"),
        other_school=FromColumn("school_id_other"),
        other_row=FromColumn("_row_other"),
    )
