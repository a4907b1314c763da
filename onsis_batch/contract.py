"""The data contract: every table and column the tool reads from the school data.

Declared once in `onsis_batch/contract/<table>.yaml`; the loader, the documentation
(`onsis-batch contract`, docs/data-contract.md) and the synthetic-data generator all read it
from here. Later releases add tables by adding files, without reshaping existing ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.codes import code_tables
from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import SpecError, YamlError, read_checked, record_keys

COLUMN_TYPES = {"text", "integer", "decimal", "date", "year_month", "flag", "code"}


@dataclass(frozen=True)
class Column:
    """One column of a contract table: its type, rules and the rule-book field it stands for."""

    name: str
    type: str
    meaning: str
    source: str = ""
    required: bool = False
    default: Any = None
    codes: str | None = None
    unknown: str = "error"  # "keep": unknown codes pass through for a segment rule to judge
    max_length: int | None = None
    pattern: str | None = None
    personal: bool = False  # names, birth dates...: never quoted in findings or logs
    min: Any = None  # smallest plausible value: a number, or a date (ISO text in YAML)
    max: Any = None  # largest plausible value
    places: int | None = None  # decimal places the submission carries; more are rounded
    sent_pattern: str | None = None  # a value must match this to be sent; else a warning
    sent_as: str = ""  # what a value matching `sent_pattern` is, for that warning


@dataclass(frozen=True)
class Reference:
    """A column whose values must be keys of another contract table."""

    column: str
    table: str


@dataclass(frozen=True)
class Table:
    """One table of the data contract: its key, columns and references."""

    name: str
    description: str
    required: bool
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    ordered: tuple[tuple[str, str], ...] = ()  # (start, end) date columns: end not before start

    def column(self, name: str) -> Column:
        """The column `name`; KeyError when the table has none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of the columns, in contract order."""
        return tuple(c.name for c in self.columns)


_COLUMN_KEYS = record_keys(Column)
_TABLE_KEYS = record_keys(
    Table,
    leave_out=("name",),
    table=None,
    columns=[_COLUMN_KEYS],
    references=[record_keys(Reference)],
    ordered=None,
)


def _column(raw: dict[str, Any], where: str) -> Column:
    if raw.get("type") not in COLUMN_TYPES:
        raise SpecError(f"{where}.type: {raw.get('type')!r} is not one of {sorted(COLUMN_TYPES)}")
    if raw["type"] == "code" and raw.get("codes") not in code_tables():
        raise SpecError(f"{where}.codes: {raw.get('codes')!r} is not a table in codes.yaml")
    if raw.get("unknown", "error") not in ("error", "keep"):
        raise SpecError(f"{where}.unknown: must be error or keep")
    bounds = {key: _bound(raw.get(key), raw["type"], f"{where}.{key}") for key in ("min", "max")}
    if raw.get("places") is not None and (raw["type"] != "decimal" or raw["places"] < 0):
        raise SpecError(f"{where}.places: only a decimal column has decimal places (0 or more)")
    if bool(raw.get("sent_pattern")) != bool(raw.get("sent_as")):
        raise SpecError(f"{where}.sent_pattern: give it with sent_as, which says what it is")
    return Column(**(raw | {k: v for k, v in bounds.items() if v is not None}))


def _bound(value: Any, kind: str, where: str) -> Any:
    """A column's `min` or `max`: a number for numbers, a date (ISO text) for dates."""
    if value is None:
        return None
    if kind in ("integer", "decimal") and isinstance(value, int | float):
        return value
    if kind in ("date", "year_month") and isinstance(value, str):
        try:
            return date.fromisoformat(value if kind == "date" else value + "-01")
        except ValueError:
            pass
    raise SpecError(f"{where}: a {kind} column's bound must be a {_BOUND_KIND.get(kind, '-')}")


_BOUND_KIND = {
    "integer": "number",
    "decimal": "number",
    "date": "date (YYYY-MM-DD)",
    "year_month": "year and month (YYYY-MM)",
}


def _table(raw: dict[str, Any]) -> Table:
    columns = tuple(_column(c, f"columns[{i}]") for i, c in enumerate(raw["columns"]))
    names = {c.name for c in columns}
    key = tuple(raw.get("key", ()))
    if not set(key) <= names:
        raise SpecError("key: every key must be a column")
    references = tuple(Reference(**r) for r in raw.get("references", ()))
    ordered = tuple(
        _pair(pair, columns, f"ordered[{i}]") for i, pair in enumerate(raw.get("ordered", ()))
    )
    return Table(
        name=raw["table"],
        description=" ".join(raw.get("description", "").split()),
        required=bool(raw.get("required", False)),
        key=key,
        columns=columns,
        references=references,
        ordered=ordered,
    )


def _pair(raw: Any, columns: tuple[Column, ...], where: str) -> tuple[str, str]:
    """An `ordered` entry: [start, end], two date columns of the table."""
    dates = {c.name for c in columns if c.type in ("date", "year_month")}
    if not isinstance(raw, list) or len(raw) != 2 or not set(raw) <= dates:
        raise SpecError(f"{where}: must be [start, end], two date columns of the table")
    return raw[0], raw[1]


def _table_file(path: Path) -> Table:
    table = read_checked(path, _TABLE_KEYS, _table)
    if table.name != path.stem:
        raise YamlError(path, f"table: {table.name} must be the file name")
    return table


@cache
def contract() -> dict[str, Table]:
    """Every table of the data contract, by name, in a stable order."""
    paths = sorted(package_file("contract").glob("*.yaml"))
    tables = {path.stem: _table_file(path) for path in paths}
    for path, table in zip(paths, tables.values(), strict=True):
        unknown = [ref.table for ref in table.references if ref.table not in tables]
        if unknown:
            raise YamlError(path, f"references: no table {', '.join(unknown)}")
    return tables


DTYPES: dict[str, pl.DataType] = {  # column type -> the polars type it has once loaded
    "text": pl.String(),
    "code": pl.String(),
    "integer": pl.Int64(),
    "decimal": pl.Float64(),
    "date": pl.Date(),
    "year_month": pl.Date(),
    "flag": pl.Boolean(),
}


def dtype_of(column: Column) -> pl.DataType:
    """The polars type a contract column has once loaded."""
    return DTYPES[column.type]


def frame_from_rows(table: str, rows: list[dict[str, Any]] | None = None) -> pl.DataFrame:
    """A typed frame of a contract table from plain rows (tests, synthetic data).

    Missing columns take their declared default (or null); dates may be given as ISO text
    (`2025-10-31`, `2020-08` for a year and month), as YAML cases write them; `_row` numbers
    the rows as a CSV would (header = row 1).
    """
    spec = contract()[table]
    rows = rows or []
    unknown = {k for row in rows for k in row} - set(spec.column_names)
    if unknown:
        raise KeyError(f"{table} has no column(s) {', '.join(sorted(unknown))}")
    data: dict[str, Any] = {"_row": list(range(2, len(rows) + 2))}
    schema: dict[str, pl.DataType] = {"_row": pl.Int64()}
    for column in spec.columns:
        data[column.name] = [_value(row.get(column.name, column.default), column) for row in rows]
        schema[column.name] = dtype_of(column)
    return pl.DataFrame(data, schema=schema)


def _value(value: Any, column: Column) -> Any:
    """A plain value as its column holds it: ISO text becomes a date in date columns."""
    if isinstance(value, str) and column.type in ("date", "year_month"):
        return date.fromisoformat(value if column.type == "date" else value[:7] + "-01")
    return value
