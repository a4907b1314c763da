"""The student lists of one BSID, from its school data and PAE extracts (rules.yaml).

Each list keeps the rows of the BSID's reporting schools (`SubmissionPeriod.school_ids`)
and leaves out students excluded from reporting, as the submission does. Every list comes
back with the columns `rules.yaml` names, sorted so the same data gives the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import polars as pl

from onsis_batch.pae.layout import empty_frame
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.tools.lists.rules import ListRule, list_rules

Tables = dict[str, pl.DataFrame]
Extracts = dict[str, pl.DataFrame]


def _students(tables: Tables) -> pl.DataFrame:
    """Reported students: id, OEN, SIS number and name (last, first)."""
    return (
        tables["students"]
        .filter(~pl.col("exclude_from_reporting").fill_null(False))
        .select(
            "student_id",
            "oen",
            "student_number",
            pl.concat_str(
                pl.coalesce("legal_last_name", "last_name"),
                pl.coalesce("legal_first_name", "first_name"),
                separator=", ",
                ignore_nulls=True,
            ).alias("name"),
            "diploma_type",
            "diploma_date",
        )
    )


def _at_bsid(frame: pl.DataFrame, period: SubmissionPeriod) -> pl.DataFrame:
    """The rows of the BSID's schools, with the BSID as a column."""
    kept = frame.filter(pl.col("school_id").is_in(list(period.school_ids)))
    return kept.with_columns(pl.lit(period.bsid).alias("bsid"))


def _window(period: SubmissionPeriod, name: str) -> tuple[date, date]:
    """`period`: the period's start to its count date; `school_year`: July 1 to it."""
    start = period.year_start if name == "school_year" else period.start
    return start, period.count_date


def failing_marks(
    tables: Tables, period: SubmissionPeriod, _pae: Extracts, rule: dict[str, Any]
) -> pl.DataFrame:
    """Stored final marks below the pass mark in a credit course, dated in the window."""
    start, end = _window(period, rule["window"])
    mark = pl.col("grade").str.strip_chars().cast(pl.Int64, strict=False)
    credit = pl.coalesce(
        pl.when(pl.col("potential_credit") > 0).then(pl.col("potential_credit")),
        pl.col("credit"),
    )
    grades = _at_bsid(tables["stored_grades"], period).join(
        tables["courses"].select("course_number", "ministry_code", "credit"),
        on="course_number",
        how="left",
    )
    if rule["skip_excluded_from_transcript"]:
        grades = grades.filter(~pl.col("exclude_from_transcript").fill_null(False))
    failing = grades.with_columns(
        mark.alias("mark"), pl.coalesce(*rule["mark_date"]).alias("mark_date")
    ).filter(
        (pl.col("mark") < rule["pass_mark"])
        & pl.col("mark_date").is_between(start, end)
        & (credit.fill_null(0) > 0 if rule["credit_course"] else pl.lit(True))
    )
    sections = tables["sections"].select("section_id", "class_code")
    return (
        failing.join(sections, on="section_id", how="left")
        .join(_students(tables), on="student_id")
        .join(_grade_levels(tables, period), on=["student_id", "school_id"], how="left")
        .with_columns(
            pl.coalesce("ministry_code", pl.col("course_number").str.slice(0, 5)).alias(
                "course_code"
            )
        )
        .sort("school_id", "student_number", "course_number", "grade_id", nulls_last=True)
    )


def _grade_levels(tables: Tables, period: SubmissionPeriod) -> pl.DataFrame:
    """Each student's grade level at each school: of the latest enrolment begun by the
    count date."""
    return (
        tables["school_enrolments"]
        .filter(pl.col("entry_date") <= period.count_date)
        .sort("student_id", "school_id", "entry_date")
        .group_by("student_id", "school_id", maintain_order=True)
        .agg(pl.col("grade_level").last())
    )


def no_diploma(
    tables: Tables, period: SubmissionPeriod, pae: Extracts, rule: dict[str, Any]
) -> pl.DataFrame:
    """Last-year students enrolled on the count date with no OSSD in the data or OnSIS."""
    day = period.count_date
    enrolled = _at_bsid(tables["school_enrolments"], period).filter(
        pl.col("grade_level").is_in(rule["last_year_grades"])
        & (pl.col("entry_date") <= day)
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") > day))
    )
    if rule["main_school_only"]:
        enrolled = enrolled.filter(~pl.col("is_cross_enrolment").fill_null(False))
    held = pae.get(rule["extract"], empty_frame(rule["extract"]))
    held_ossd = held.filter(pl.col("diploma_type").is_in(rule["diploma_types"]))
    digits = pl.col("oen").str.replace_all(r"\D", "")
    return (
        enrolled.join(_students(tables), on="student_id")
        .filter(
            ~pl.col("diploma_type").fill_null("").is_in(rule["diploma_types"])
            & ~digits.is_in(held_ossd.select(digits).to_series().implode())
        )
        .unique(["student_id", "school_id"], keep="first", maintain_order=True)
        .sort("school_id", "student_number", "student_id", nulls_last=True)
    )


def no_exit_code(
    tables: Tables, period: SubmissionPeriod, _pae: Extracts, rule: dict[str, Any]
) -> pl.DataFrame:
    """Enrolments ended in the window with no exit code, unless the student went on at
    one of the BSID's schools within `continued_within_days`."""
    start, end = _window(period, rule["window"])
    enrolments = _at_bsid(tables["school_enrolments"], period)
    ended = enrolments.filter(
        pl.col("exit_date").is_between(start, end) & pl.col("exit_code").is_null()
    ).with_row_index("_n")
    soon = timedelta(days=rule["continued_within_days"])
    went_on = (
        ended.select("_n", "student_id", "exit_date")
        .join(enrolments.select("student_id", pl.col("entry_date").alias("next")), on="student_id")
        .filter(pl.col("next").is_between(pl.col("exit_date"), pl.col("exit_date") + soon))
        .select("_n")
    )
    return (
        ended.join(went_on, on="_n", how="anti")
        .join(_students(tables).drop("diploma_type", "diploma_date"), on="student_id")
        .sort("school_id", "student_number", "entry_date", nulls_last=True)
    )


Builder = Callable[[Tables, SubmissionPeriod, Extracts, dict[str, Any]], pl.DataFrame]
BUILDERS: dict[str, Builder] = {
    "failing-marks": failing_marks,
    "no-diploma": no_diploma,
    "no-exit-code": no_exit_code,
}


def student_list(
    name: str, tables: Tables, period: SubmissionPeriod, pae: Extracts
) -> pl.DataFrame:
    """The list `name` for the BSID of `period`, with the columns rules.yaml names."""
    listed: ListRule = list_rules()[name]
    frame: pl.DataFrame = BUILDERS[name](tables, period, pae, listed.rule)
    return frame.select(listed.columns)
