"""Extract 0003 as OnSIS would hand it out: the enrolments earlier submissions left open.

A submission reports every student enrolled on its count date without an end date, so OnSIS
carries that enrolment into the next period's pending area. The extract of a period therefore
holds each enrolment active on the previous count date (for October: last year's last school
day), minus what OnSIS was never told: no-show and same-day rows, students without an OEN,
and excluded students once the October submission has closed them. It is derived from the
synthetic tables themselves, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import polars as pl

from onsis_batch.pae.layout import load_layouts
from onsis_batch.period.periods import default_period_code
from onsis_batch.synth.calendar import Calendar, active_on
from onsis_batch.synth.extract_files import write_board_extract
from onsis_batch.synth.schools import Board

# Working columns the enrolment and student frames carry besides the contract's.
ENROLMENT_EXTRA = {
    "_bsid": pl.String(),
    "_pae": pl.Boolean(),
    "_start": pl.Date(),
    "_code": pl.String(),
    "_country": pl.String(),
    "_province": pl.String(),
    "_language": pl.String(),
}
STUDENT_EXTRA = {"_oen": pl.String(), "_excluded": pl.Boolean()}


def held_enrolments(
    kind: str, day: date, enrolments: pl.DataFrame, students: pl.DataFrame
) -> pl.DataFrame:
    """One row per (BSID, OEN) of the students OnSIS knows: the enrolment active on `day`
    its record stems from. A main enrolment wins over a cross-enrolment under the same BSID,
    then the latest entry."""
    known = pl.col("_oen").is_not_null() & (pl.lit(kind == "oct") | ~pl.col("_excluded"))
    return (
        enrolments.filter(pl.col("_pae") & active_on(day))
        .join(students, on="student_id", how="inner")
        .filter(known)
        .sort(
            ["_bsid", "_oen", "is_cross_enrolment", "entry_date"],
            descending=[False, False, False, True],
        )
        .unique(subset=["_bsid", "_oen"], keep="first", maintain_order=True)
    )


def _as_of(day: date, hours: pl.DataFrame, tests: pl.DataFrame) -> pl.DataFrame:
    """Per student: accumulated hours (capped at 999) and literacy passes up to `day`."""
    total = (
        hours.filter(pl.col("activity_date") <= day)
        .group_by("student_id")
        .agg(pl.col("hours").cast(pl.Float64).sum().clip(upper_bound=999.0).alias("_hours"))
    )
    passed = (
        tests.filter((pl.col("result") == "S") & (pl.col("test_date") <= day))
        .group_by("student_id")
        .agg(
            (pl.col("test") == "OSSLT").any().alias("_osslt"),
            (pl.col("test") == "OLC").any().alias("_olc"),
        )
    )
    return total.join(passed, on="student_id", how="full", coalesce=True)


def _columns(day: date) -> list[pl.Expr]:
    """The 0003 columns, from the held enrolment and its student."""
    cross = pl.col("is_cross_enrolment")
    shared = cross | pl.col("not_main_school")  # reported with main school flag F
    reach_ahead = (pl.col("home_school_level") == "E").fill_null(False)
    grade = pl.when(reach_ahead).then(pl.lit("9")).otherwise(pl.col("grade_level"))
    scholar = ~shared & (pl.col("scholarship_date") <= day).fill_null(False)
    code = pl.col("_code")
    zero = pl.lit(0.0)
    return [
        pl.col("_oen").alias("oen"),
        pl.when(code == "35").then(pl.col("_province")).alias("province_state_type"),
        pl.when(code == "36").then(pl.col("_country")).alias("country_type"),
        pl.lit("E").alias("language_type"),
        pl.when(shared & ~cross)
        .then(pl.lit("08"))
        .otherwise(pl.col("board_residence_status"))
        .alias("stu_brd_res_stat_type"),
        grade.alias("grade_type"),
        pl.col("grade_designation").alias("grade_designation_type"),
        pl.when(shared)
        .then(pl.lit("PT"))
        .otherwise(pl.col("attendance_type"))
        .alias("attendance_type"),
        pl.when(grade.cast(pl.Int32) < 10)
        .then(None)
        .when(pl.col("_osslt").fill_null(False))
        .then(pl.lit("1"))
        .when(pl.col("_olc").fill_null(False))
        .then(pl.lit("6"))
        .alias("literacy_status_type"),
        pl.lit(False).alias("special_education_flag"),
        pl.when(code == "35").then(pl.col("_language")).alias("language_type_previous_sch"),
        pl.col("residence_status").alias("residence_status_type"),
        code.alias("student_mobility_type"),
        pl.when(pl.col("current_province").is_null() | (pl.col("current_province") == "ON"))
        .then(pl.col("postal_code"))
        .alias("postal_area_type"),
        pl.when(pl.col("birth_country") != "CAN")
        .then(pl.col("birth_country"))
        .alias("country_type_birth"),
        pl.when(pl.col("year_of_entry_to_canada").is_null())
        .then(pl.col("birth_province").fill_null("ON"))
        .alias("province_state_type_birth"),
        pl.col("year_of_entry_to_canada").str.replace("-", "/").alias("year_of_entry_to_canada"),
        (~shared).alias("main_school_flag"),
        pl.col("student_number").alias("school_student_number"),
        scholar.alias("ontario_scholarship_flag"),
        pl.when(scholar).then(pl.col("scholarship_date")).alias("ontario_scholarship_date"),
        pl.col("_hours").fill_null(0.0).alias("community_involment_accu_hours"),
        pl.col("local_program").alias("local_school_program_flag"),
        pl.when(shared).then(zero).otherwise(pl.col("fte").cast(pl.Float64)).alias("fte"),
        pl.col("_start").alias("enrolment_start_date"),
        pl.lit(True).alias("prepopulation_flag"),
        pl.col("indigenous_self_identification"),
        reach_ahead.alias("reach_ahead_flag"),
        (pl.col("oyap") & ~shared).alias("oyap_flag"),
        *(
            pl.when(shared).then(zero).otherwise(pl.col(c).cast(pl.Float64)).alias(c)
            for c in ("high_credit_fte", "ade", "high_credit_ade")
        ),
        pl.when(pl.col("current_province").is_not_null())
        .then(pl.col("current_country"))
        .alias("current_residence_country"),
        pl.col("current_province").fill_null("ON").alias("current_residence_province"),
        pl.col("gender").alias("gender_type"),
        pl.col("gender_desc"),
        pl.col("online_graduation_requirement").alias("online_graduation_requirement_type"),
    ]


def _records(kind: str, cal: Calendar, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The 0003 rows of every BSID (with `_bsid`), sorted by BSID and OEN."""
    day = cal.pae_reference(kind)
    layout = load_layouts()["0003"]
    held = held_enrolments(kind, day, tables["school_enrolments"], tables["students"])
    held = held.join(
        _as_of(day, tables["community_hours"], tables["test_results"]), on="student_id", how="left"
    )
    known = {expr.meta.output_name(): expr for expr in _columns(day)}
    return held.select(
        pl.col("_bsid"),
        *(  # every layout column, in order; unknown ones empty
            known.get(c.name, pl.lit(None)).cast(c.dtype).alias(c.name) for c in layout.columns
        ),
    )


def write_extracts(
    folder: Path,
    cal: Calendar,
    board: Board,
    tables: dict[str, pl.DataFrame],
    periods: Iterable[str],
    created: datetime | None,
) -> dict[str, Path]:
    """The board-level 0003 of every period, in `folder/<PERIOD CODE>/`; kind -> folder."""
    folders = {}
    for kind in periods:
        code, _ = default_period_code(kind, cal.school_year)
        target = folder / code
        target.mkdir(parents=True, exist_ok=True)
        write_board_extract(target, "0003", kind, cal, board, _records(kind, cal, tables), created)
        folders[kind] = target
    return folders
