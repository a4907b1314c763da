"""The rows of a batch file as a plan, so the business rules of `validate.rules` run on a
file we did not write exactly as they run on our own plans.

Each value is read back from its text by its element's type (`2025/10/31` a date, `T` a
flag, `.50` a number); a value that does not read (a date that does not exist, a number
the schema refused) is null here and reported by the schema or the check mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.model import BOOKKEEPING_TYPES, Plan
from onsis_batch.specs import ElementSpec, load_specs
from onsis_batch.validate.rules.frames import DTYPES
from onsis_batch.validate.xml_rows import FileRows, Row

_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})")
_YEAR_MONTH = re.compile(r"(\d{4})/(\d{2})")
_DECIMAL = re.compile(r"\d+(\.\d*)?|\.\d+")
_INTEGER = re.compile(r"\d+")


def read_date(text: str, kind: str = "date") -> date | None:
    """The day a `YYYY/MM/DD` (or `YYYY/MM`: its first day) text names; None if none."""
    match = (_DATE if kind == "date" else _YEAR_MONTH).fullmatch(text)
    if match is None:
        return None
    parts = [int(p) for p in match.groups()]
    try:
        return date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)
    except ValueError:
        return None


def _flag(text: str) -> bool | None:
    return {"T": True, "F": False}.get(text)


def _number(text: str) -> float | None:
    return float(text) if _DECIMAL.fullmatch(text) else None


def _integer(text: str) -> int | None:
    return int(text) if _INTEGER.fullmatch(text) else None


READERS: dict[str, Callable[[str], Any]] = {
    "date": read_date,
    "year_month": lambda text: read_date(text, "year_month"),
    "flag": _flag,
    "decimal": _number,
    "integer": _integer,
}


def typed_value(element: ElementSpec, text: str | None) -> Any:
    """The plan value of an element's text (null when empty or unreadable)."""
    if text is None:
        return None
    if element.plan_dtype == "String":
        return text
    reader = READERS.get(element.type)
    return text if reader is None else reader(text)


def _dtype(element: ElementSpec) -> pl.DataType:
    if element.plan_dtype == "String":
        return pl.String()
    return DTYPES.get(element.type, pl.String())


def _frame(name: str, rows: list[Row]) -> pl.DataFrame:
    elements = load_specs()[name].elements
    data: dict[str, list[Any]] = {
        "_id": [r.key for r in rows],
        "_parent": [r.parent for r in rows],
        "_order": list(range(len(rows))),
        "_action": [r.action for r in rows],
        "_reason": [None] * len(rows),
    }
    for element in elements:
        if element.type != "action":
            data[element.name] = [typed_value(element, r.values.get(element.name)) for r in rows]
    schema: dict[str, Any] = dict(BOOKKEEPING_TYPES)
    schema |= {e.name: _dtype(e) for e in elements if e.type != "action"}
    return pl.DataFrame(data, schema=schema)


def rows_plan(rows: FileRows, period: SubmissionPeriod) -> Plan:
    """The plan the file's segments make, for the business-rule checks."""
    specs = load_specs()
    segments = {name: _frame(name, found) for name, found in rows.rows.items() if name in specs}
    return Plan(period=period, segments=segments)
