"""Database column types: which ones can hold each contract type, and how each is read.

A database column is read only when its type can hold the contract column's values
faithfully: a name kept in a BLOB or a list, a flag in an INTERVAL, would otherwise be
read as the text of the bytes (escaped bytes) or of the list (`[Tolbric]`) and sent.
Every other type is refused with SQL003 naming the table and the column, never a value.

Types are grouped into families by their lower-case name without parameters
(`DECIMAL(6,0)` is `decimal`, DuckDB's `VARCHAR[]` a `list`). A PostgreSQL type the driver
does not know (a domain or an enum of the board's) has no name: it is read as text, as a
CSV cell is, and its values are checked like one.
"""

from __future__ import annotations

import re

import polars as pl

FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        [
            "text", "varchar", "bpchar", "char", "character", "character varying",
            "string", "name", "citext", "enum", "uuid",
        ],
        "text",
    ),
    **dict.fromkeys(
        [
            "int1", "int2", "int4", "int8", "smallint", "integer", "int", "bigint",
            "tinyint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint", "uhugeint",
        ],
        "integer",
    ),
    **dict.fromkeys(["numeric", "decimal"], "exact"),
    **dict.fromkeys(["float4", "float8", "real", "double", "float", "double precision"], "float"),
    "date": "date",
    **dict.fromkeys(
        [
            "timestamp", "timestamp without time zone", "datetime",
            "timestamp_s", "timestamp_ms", "timestamp_ns",
        ],
        "timestamp",
    ),
    **dict.fromkeys(["bool", "boolean"], "boolean"),
}  # fmt: skip
# contract column type -> the families that hold its values faithfully
ACCEPTED: dict[str, frozenset[str]] = {
    "text": frozenset({"text", "integer"}),
    "code": frozenset({"text", "integer"}),
    "integer": frozenset({"integer", "exact", "text"}),
    "decimal": frozenset({"integer", "exact", "float", "text"}),
    "date": frozenset({"date", "timestamp", "text"}),
    "year_month": frozenset({"date", "timestamp", "text"}),
    "flag": frozenset({"boolean", "integer", "text"}),
}
# Database types read as they are (lower-case type names of the three drivers); the
# others arrive as text. Numeric/decimal is text too: its exact digits parse as the
# contract's integer or decimal, where a float would turn 5 into "5.0".
KEPT_TYPES: dict[str, pl.DataType] = {
    **dict.fromkeys(["text", "varchar", "bpchar", "char", "character varying"], pl.String()),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us"),
    **dict.fromkeys(["bool", "boolean"], pl.Boolean()),
    **dict.fromkeys(
        ["int2", "int4", "int8", "smallint", "integer", "bigint", "tinyint"], pl.Int64()
    ),
    **dict.fromkeys(["float4", "float8", "real", "double", "float"], pl.Float64()),
}
_FORMATS = {"date": "%Y-%m-%d", "year_month": "%Y-%m"}


def family(type_name: str) -> str:
    """The family of a database type name: one of FAMILIES' values, else "list", "other"."""
    name = type_name.strip().lower()
    if not name:
        return "text"  # a type the driver does not name (a PostgreSQL domain or enum)
    if name.endswith("]") or name.startswith("_"):  # DuckDB lists, PostgreSQL arrays
        return "list"
    return FAMILIES.get(re.sub(r"\(.*\)$", "", name).strip(), "other")


def fits(type_name: str, contract_type: str) -> bool:
    """Whether a column of that database type can be read as the contract type."""
    return family(type_name) in ACCEPTED[contract_type]


def dated_text(column: str, contract_type: str) -> str:
    """DuckDB SQL giving a date or timestamp column as the contract's date text.

    A finite value is written YYYY-MM-DD (YYYY-MM for a year and month); `infinity` stays
    as it is, so the loader reports it as a bad date instead of reading 9999-12-31.
    """
    text_format = _FORMATS.get(contract_type, _FORMATS["date"])
    return (
        f"CASE WHEN isfinite({column}) THEN strftime({column}, '{text_format}') "
        f"ELSE CAST({column} AS TEXT) END"
    )
