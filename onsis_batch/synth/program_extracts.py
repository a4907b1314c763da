"""Extracts 0005 (special education), 0007 (second language) and 0027 (SALEP) as OnSIS
would hand them out.

Each period's extracts hold what the submission before it would have left in OnSIS: the
programs active on that submission's count date (`Calendar.pae_reference`) of the students
0003 carries. On top of that a few records differ on purpose, as records do that a school
corrected: an October exceptionality and a stale ESL record and SAL record the school data
no longer has (DELETE), a March SAL with another start date (DELETE then ADD) and one with
another component list (components added and deleted), and about a third of the October
second-language programs not yet held (ADD).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from onsis_batch.synth.calendar import Calendar, active_on
from onsis_batch.synth.catalogue import COURSES
from onsis_batch.synth.enrolment_extract import held_enrolments
from onsis_batch.synth.extract_files import write_board_extract
from onsis_batch.synth.schools import Board

LANGUAGE_TYPES = {"ESL": "004", "ELD": "005", "LN": "027", "FSF": "001", "FEF": "002", "FIF": "003"}


def holders(
    cal: Calendar, tables: dict[str, pl.DataFrame], periods: Iterable[str]
) -> dict[str, pl.DataFrame]:
    """Per period, the students 0003 carries: _bsid, _oen, student_id (as in extract 0003)."""
    return {
        kind: held_enrolments(
            kind, cal.pae_reference(kind), tables["school_enrolments"], tables["students"]
        ).select("_bsid", "_oen", "student_id")
        for kind in periods
    }


def _special_records(kind: str, day: date, programs: pl.DataFrame) -> pl.DataFrame:
    """The special education programs active on `day`, one of five October ones held with
    another exceptionality too."""
    special = programs.filter(pl.col("program_id").str.starts_with("SE-") & active_on(day))
    code = pl.when(pl.col("exceptionality") != "NONIDE").then(pl.col("exceptionality"))
    identified = code.is_not_null()
    records = special.select(
        "student_id",
        code.fill_null("").alias("exceptionality_type"),
        pl.col("placement").alias("special_edu_plmnt_type"),
        pl.when(identified).then(pl.col("iprc_date")).alias("iprc_review_date"),
        identified.alias("iprc_student_flag"),
        (~identified).alias("non_identified_student_flag"),
        pl.col("main_exceptionality").fill_null(False).alias("main_exceptionality_flag"),
        pl.col("iep").fill_null(False).alias("individual_education_plan_flag"),
    )
    if kind == "oct":  # an exceptionality OnSIS holds that the school has since changed
        stale = (
            records.filter(pl.col("exceptionality_type") != "")
            .gather_every(5)
            .with_columns(
                pl.lit("6").alias("exceptionality_type"),
                pl.lit(False).alias("main_exceptionality_flag"),
            )
        )
        records = pl.concat([records, stale])
    return records


def _language_records(day: date, classes: pl.DataFrame) -> pl.DataFrame:
    """The second-language programs of the classes taken on `day` (the highest French)."""
    codes = {i: c.code for i, c in enumerate(COURSES)}
    code = pl.col("_course").replace_strict(codes, return_dtype=pl.String)
    kind_of = pl.lit(None, dtype=pl.String)
    for prefix, value in LANGUAGE_TYPES.items():
        kind_of = pl.when(code.str.starts_with(prefix)).then(pl.lit(value)).otherwise(kind_of)
    french = pl.col("program_type").is_in(["001", "002", "003"])
    # French counts for any class of the year (the cascade's current, recent or upcoming)
    found = (
        classes.select("student_id", kind_of.alias("program_type"), "date_enrolled", "date_left")
        .filter(french | active_on(day, "date_enrolled", "date_left"))
        .select("student_id", "program_type")
        .drop_nulls()
        .unique()
    )
    highest = found.filter(french).group_by("student_id").agg(pl.col("program_type").max())
    return pl.concat([found.filter(~french), highest.select(found.columns)])


def _sal_records(kind: str, cal: Calendar, day: date, programs: pl.DataFrame) -> pl.DataFrame:
    """The SALEP the submission before would have sent (none before October)."""
    sal = programs.filter((pl.col("program_id") == "SAL") & pl.col("sal_type").is_not_null())
    if kind == "oct":
        sal = sal.clear()
    else:
        opened = cal.submission_before(kind)[0]
        sal = sal.filter(
            (pl.col("entry_date") <= day)
            & (pl.col("exit_date").is_null() | (pl.col("exit_date") > opened))
        )
    ended = pl.col("exit_date") <= day
    return sal.sort("student_id", "entry_date").select(
        "student_id",
        pl.col("sal_type").alias("salep_type"),
        pl.col("sal_status").alias("status_type"),
        pl.col("sal_components").alias("component_types"),
        pl.when(ended).then(pl.col("sal_exit_reason")).alias("exit_type"),
        pl.col("entry_date").alias("start_date"),
        pl.when(ended).then(pl.col("exit_date")).alias("end_date"),
    )


def _corrected_sal(
    kind: str, cal: Calendar, records: pl.DataFrame, held: pl.DataFrame
) -> pl.DataFrame:
    """Records the school has corrected since they were sent."""
    first = pl.int_range(pl.len()) == 0
    second = pl.int_range(pl.len()) == 1
    if kind == "oct":  # last year's SAL record of a student the school data has no SAL for
        stale = (
            held.sort("_oen")
            .head(1)
            .select(
                "student_id",
                pl.lit("002").alias("salep_type"),
                pl.lit("001").alias("status_type"),
                pl.lit("001,007").alias("component_types"),
                pl.lit(date(cal.year, 2, 9)).alias("start_date"),
            )
        )
        return pl.concat([records, stale], how="diagonal_relaxed")
    if kind == "mar":  # one start date and one component list changed
        records = records.with_columns(
            pl.when(first)
            .then(pl.col("start_date") - timedelta(days=7))
            .otherwise(pl.col("start_date"))
            .alias("start_date"),
            pl.when(second)
            .then(pl.lit("001,010"))
            .otherwise(pl.col("component_types"))
            .alias("component_types"),
        )
    return records


def _stale_esl(records: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """October: ESL that OnSIS still holds for two students who no longer take it."""
    esl = records.filter(pl.col("program_type") == "004")
    without = held.join(esl, on="student_id", how="anti")
    stale = (
        without.sort("_oen")
        .gather_every(97)
        .head(2)
        .select("student_id", pl.lit("004").alias("program_type"))
    )
    # and a third of this year's programs not yet held: they are added in October
    kept = records.filter(pl.col("student_id").hash(11) % 3 != 0)
    return pl.concat([kept, stale])


def write_program_extracts(
    folders: dict[str, Path],
    cal: Calendar,
    board: Board,
    held: dict[str, pl.DataFrame],
    programs: pl.DataFrame,
    classes: pl.DataFrame,
    created: datetime | None,
) -> None:
    """Extracts 0005, 0007 and 0027 next to each period's 0003."""
    for kind, folder in folders.items():
        day = cal.pae_reference(kind)
        holders_now = held[kind]
        language_day = cal.oct_count if kind == "oct" else day
        languages = _language_records(language_day, classes)
        if kind == "oct":
            languages = _stale_esl(languages, holders_now)
        sal = _corrected_sal(kind, cal, _sal_records(kind, cal, day, programs), holders_now)
        frames = {
            "0005": _special_records(kind, day, programs),
            "0007": languages.with_columns(pl.lit(0.0).alias("minutes_per_day_of_instruction")),
            "0027": sal,
        }
        for extract, frame in frames.items():
            rows = (
                frame.join(holders_now, on="student_id")
                .with_columns(pl.col("_oen").alias("oen"), pl.lit(True).alias("prepopulation_flag"))
                .sort("_bsid", "oen", *[c for c in frame.columns if c != "student_id"][:1])
            )
            write_board_extract(folder, extract, kind, cal, board, rows, created)
