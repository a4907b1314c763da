"""Special education, SAL and second-language facts, and the extracts 0005, 0007 and 0027.

The special programs of `marks` get the values the program segments read: an
exceptionality (or none, for the non-identified program), a placement, the main flag and
an IPRC date for special education; a status, components and exit reason for SAL. A few
more students join SAL so that every board, even a small sample, has some, and a few
special education programs end during the year.

Each period's extracts hold what the submission before it would have left in OnSIS: the
programs active on that submission's count date (`Calendar.pae_reference`) of the students
0003 carries. On top of that a few records differ on purpose, as records do that a school
corrected: an October exceptionality and a stale ESL record and SAL record the school data
no longer has (DELETE), a March SAL with another start date (DELETE then ADD) and one with
another component list (components added and deleted), and about a third of the October
second-language programs not yet held (ADD).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar, school_day
from onsis_batch.synth.catalogue import COURSES
from onsis_batch.synth.classes import Enrolled
from onsis_batch.synth.extract import _held, write_board_extract
from onsis_batch.synth.marks import program_rows as base_program_rows
from onsis_batch.synth.rand import Weighted
from onsis_batch.synth.schools import Board

EXCEPTIONALITY = {"SE-LD": "5", "SE-MID": "9", "SE-AUT": "2", "SE-GIF": "8"}
NON_IDENTIFIED = "SE-NID"
PLACEMENT = Weighted({"R": 0.4, "W": 0.3, "I": 0.15, "P": 0.1, "F": 0.05})
COMPONENTS = ("001,007", "001,008", "001,005,008", "002,010", "001,009,011")
LANGUAGE_TYPES = {"ESL": "004", "ELD": "005", "LN": "027", "FSF": "001", "FEF": "002", "FIF": "003"}
P_NON_IDENTIFIED = 1 / 6
P_ENDS_IN_YEAR = 1 / 8
SAL_SHARE = 1 / 150
SAL_LEAST = 5


def program_rows() -> list[dict[str, Any]]:
    """`marks`' programs with the special education indicator, and the non-identified one."""
    rows = [
        {**row, "is_special_education": row["program_id"].startswith("SE-")}
        for row in base_program_rows()
    ]
    rows.append(
        {
            "program_id": NON_IDENTIFIED,
            "name": "Special Education - Non-identified",
            "is_sal": False,
            "is_expulsion": False,
            "is_special_education": True,
        }
    )
    return rows


def program_enrolment_rows(
    seed: int, cal: Calendar, enrolled: Sequence[Enrolled], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`rows` (from `marks`) with program values filled in, and a few more SAL students."""
    rng = random.Random(f"onsis-synth-programs-{seed}")
    grades = {e.person.sid: e.person.grade for e in enrolled}
    out = [
        _special(rng, cal, row, grades.get(row["student_id"], 9))
        if row["program_id"] in EXCEPTIONALITY
        else row
        for row in rows
    ]
    out = [_sal(rng, row) if row["program_id"] == "SAL" else row for row in out]
    taken = {row["student_id"] for row in rows}
    return out + _more_sal(rng, cal, enrolled, taken) + _identified_later(rng, cal, enrolled, taken)


def _identified_later(
    rng: random.Random, cal: Calendar, enrolled: Sequence[Enrolled], taken: set[str]
) -> list[dict[str, Any]]:
    """A few students identified during the year: in the March period, then in June's."""
    pool = [e for e in enrolled if not e.cross and e.exit is None and e.person.sid not in taken]
    count = min(len(pool), max(2, round(len(pool) / 150)))
    chosen = [pool[i] for i in sorted(rng.sample(range(len(pool)), count))]
    y = cal.year
    windows = [(date(y, 11, 10), date(y + 1, 2, 27)), (date(y + 1, 4, 6), date(y + 1, 5, 29))]
    rows = []
    for index, e in enumerate(chosen):
        entry = school_day(rng, *windows[index % 2])
        rows.append(
            {
                "student_id": e.person.sid,
                "program_id": "SE-LD",
                "entry_date": entry,
                "exceptionality": EXCEPTIONALITY["SE-LD"],
                "placement": PLACEMENT.draw(rng),
                "main_exceptionality": True,
                "iprc_date": entry,
                "iep": True,
            }
        )
    return rows


def _special(rng: random.Random, cal: Calendar, row: dict[str, Any], grade: int) -> dict[str, Any]:
    if grade >= 10 and row["entry_date"] <= date(cal.year, 9, 30):  # identified in an earlier year
        row = {**row, "entry_date": date(cal.year - 1, 10, 14)}
    exit_date = row["exit_date"]
    if exit_date is None and rng.random() < P_ENDS_IN_YEAR:  # the program ends, the student stays
        exit_date = date(cal.year, 12, 12) if rng.random() < 0.5 else date(cal.year + 1, 4, 17)
        exit_date = max(exit_date, row["entry_date"] + timedelta(days=30))
    if row["program_id"] != "SE-GIF" and rng.random() < P_NON_IDENTIFIED:
        return {**row, "program_id": NON_IDENTIFIED, "exit_date": exit_date,
                "exceptionality": "NONIDE" if rng.random() < 0.5 else None,
                "placement": "I", "main_exceptionality": False}  # fmt: skip
    return {
        **row,
        "exit_date": exit_date,
        "exceptionality": EXCEPTIONALITY[row["program_id"]],
        "placement": PLACEMENT.draw(rng),
        "main_exceptionality": True,
        "iprc_date": row["entry_date"],
    }


def _sal(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "sal_status": "001" if rng.random() < 0.7 else "002",
        "sal_components": rng.choice(COMPONENTS),
    }


def _more_sal(
    rng: random.Random, cal: Calendar, enrolled: Sequence[Enrolled], taken: set[str]
) -> list[dict[str, Any]]:
    """SAL students entering in each period: some in September-October, some in November-
    February (one of those leaves SAL in February), one entering and leaving in spring."""
    pool = [
        e for e in enrolled
        if not e.cross and e.exit is None and e.person.grade >= 11 and e.person.sid not in taken
    ]  # fmt: skip
    count = min(len(pool), max(SAL_LEAST, round(SAL_SHARE * len(pool))))
    chosen = [pool[i] for i in sorted(rng.sample(range(len(pool)), count))]
    y = cal.year
    windows = [
        (date(y, 9, 15), date(y, 10, 20), None),
        (date(y + 1, 1, 5), date(y + 1, 2, 20), None),
        (date(y, 9, 8), date(y, 9, 30), date(y + 1, 2, 12)),
        (date(y + 1, 4, 13), date(y + 1, 4, 24), date(y + 1, 5, 22)),
    ]
    rows = []
    for index, e in enumerate(chosen):
        first, last, exit_date = windows[index % len(windows)]
        rows.append(
            _sal(
                rng,
                {
                    "student_id": e.person.sid,
                    "program_id": "SAL",
                    "entry_date": school_day(rng, first, last),
                    "exit_date": exit_date,
                    "sal_type": "001" if index % 3 else "002",
                    "sal_exit_reason": None if exit_date is None else ("001", "002")[index % 2],
                    "iep": e.iep,
                },
            )
        )
    return rows


# -- extracts -----------------------------------------------------------------------------


def holders(
    cal: Calendar, tables: dict[str, pl.DataFrame], periods: Iterable[str]
) -> dict[str, pl.DataFrame]:
    """Per period, the students 0003 carries: _bsid, _oen, student_id (as `extract` does)."""
    return {
        kind: _held(
            kind, cal.pae_reference(kind), tables["school_enrolments"], tables["students"]
        ).select("_bsid", "_oen", "student_id")
        for kind in periods
    }


def _active(day: date, start: str, end: str) -> pl.Expr:
    return (pl.col(start) <= day) & (pl.col(end).is_null() | (pl.col(end) > day))


def _special_records(kind: str, day: date, programs: pl.DataFrame) -> pl.DataFrame:
    special = programs.filter(pl.col("program_id").str.starts_with("SE-") & _active(
        day, "entry_date", "exit_date"
    ))  # fmt: skip
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


def _language_records(kind: str, day: date, classes: pl.DataFrame) -> pl.DataFrame:
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
        .filter(french | _active(day, "date_enrolled", "date_left"))
        .select("student_id", "program_type")
        .drop_nulls()
        .unique()
    )
    highest = found.filter(french).group_by("student_id").agg(pl.col("program_type").max())
    return pl.concat([found.filter(~french), highest.select(found.columns)])


def _sal_records(kind: str, cal: Calendar, day: date, programs: pl.DataFrame) -> pl.DataFrame:
    """The SALEP the submission before would have sent (none before October)."""
    opened = {"mar": date(cal.year, 7, 1), "jun": cal.oct_count + timedelta(days=1)}.get(kind)
    sal = programs.filter((pl.col("program_id") == "SAL") & pl.col("sal_type").is_not_null())
    if opened is None:
        sal = sal.clear()
    else:
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
    kept = records.with_columns(pl.col("student_id").hash(11).alias("_h")).filter(
        pl.col("_h") % 3 != 0
    )
    return pl.concat([kept.drop("_h"), stale])


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
        languages = _language_records(kind, language_day, classes)
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
