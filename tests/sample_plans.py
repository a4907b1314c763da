"""Tiny hand-built plans for the render, validate and output tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.model import Plan
from onsis_batch.specs import load_specs

CREATED = datetime(2025, 11, 3, 14, 30, 5)

DTYPES = {
    "date": pl.Date,
    "year_month": pl.Date,
    "flag": pl.Boolean,
    "decimal": pl.Float64,
    "integer": pl.Int64,
}

STUDENT = {
    "OEN": "123456789",
    "STUDENT_LEGAL_GIVEN_NAME": "Anne",
    "STUDENT_LEGAL_SECOND_NAME": None,
    "STUDENT_LEGAL_LAST_NAME": "Tremblay",
    "STUDENT_DOB": date(2008, 4, 1),
    "LANGUAGE_TYPE": "E",
}

ENROLMENT = {
    "GRADE_TYPE": "11",
    "GRADE_DESIGNATION_TYPE": "1",
    "LANGUAGE_TYPE": "E",
    "STU_BRD_RES_STAT_TYPE": "01",
    "CURRENT_RESIDENCE_PROVINCE": "ON",
    "ATTENDANCE_TYPE": "FT",
    "RESIDENCE_STATUS_TYPE": "1",
    "STUDENT_MOBILITY_TYPE": "05",
    "POSTAL_AREA_TYPE": "K1A 0B1",
    "PROVINCE_STATE_TYPE_BIRTH": "ON",
    "YEAR_OF_ENTRY_TO_CANADA": date(2015, 9, 1),
    "MAIN_SCHOOL_FLAG": True,
    "SCHOOL_STUDENT_NUMBER": "S-1001",
    "COMMUNITY_INVOLMENT_ACCU_HOURS": 12.5,
    "LOCAL_SCHOOL_PROGRAM_FLAG": False,
    "FTE": 1.0,
    "HIGH_CREDIT_FTE": 0.0,
    "ADE": 0.0,
    "HIGH_CREDIT_ADE": 0.0,
    "SPECIAL_EDUCATION_FLAG": False,
    "GENDER_TYPE": "F",
    "ENROLMENT_START_DATE": date(2025, 9, 2),
    "MATURE_STUDENT_FLAG": False,
    "REACH_AHEAD_FLAG": False,
    "OYAP_FLAG": False,
}


def period(private: bool = False) -> SubmissionPeriod:
    return SubmissionPeriod(
        kind="oct",
        code="OCTSEC1",
        description="October Secondary School",
        school_year="2025-2026",
        start=date(2025, 7, 1),
        count_date=date(2025, 10, 31),
        bsid="123456",
        school_ids=("S1",),
        private=private,
    )


def frame(segment: str, rows: list[dict[str, Any]], defaults: dict[str, Any]) -> pl.DataFrame:
    """A plan frame: bookkeeping columns, then one typed column per spec element."""
    schema: dict[str, Any] = {
        "_id": pl.String,
        "_parent": pl.String,
        "_order": pl.Int64,
        "_action": pl.String,
        "_reason": pl.String,
    }
    for element in load_specs()[segment].elements:
        if element.type != "action":
            schema[element.name] = DTYPES.get(element.type, pl.String)
    extra = {k: pl.Boolean for row in rows for k in row if k.endswith("__omit")}
    full = [{**{k: None for k in schema}, **defaults, **row} for row in rows]
    return pl.DataFrame(full, schema={**schema, **extra}, orient="row")


def students(*rows: dict[str, Any]) -> pl.DataFrame:
    base = [{"_id": r["OEN"], "_order": i, **r} for i, r in enumerate(rows)]
    return frame("STUDENT", base, STUDENT)


def enrolments(*rows: dict[str, Any]) -> pl.DataFrame:
    base = [
        {"_id": f"SSE-{r['_parent']}", "_order": 0, "_action": "ADD", "_reason": "TEST", **r}
        for r in rows
    ]
    return frame("STUDENT_SCHOOL_ENROLMENT", base, ENROLMENT)


def simple_plan(private: bool = False, oens: tuple[str, ...] = ("123456789", "987654321")) -> Plan:
    """Students with one ADD enrolment each."""
    return Plan(
        period=period(private),
        segments={
            "STUDENT": students(*({"OEN": oen} for oen in oens)),
            "STUDENT_SCHOOL_ENROLMENT": enrolments(*({"_parent": oen} for oen in oens)),
        },
    )
