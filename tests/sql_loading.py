"""Test helper: copy a folder of school data into a PostgreSQL, SQLite or DuckDB database.

Columns get real SQL types where the contract has one (DATE, BOOLEAN, BIGINT, NUMERIC or
floating point), so the tests read typed database columns, not only text.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import Table, contract
from onsis_batch.sources import load_folder
from onsis_batch.sources.db_address import quote

# contract type -> SQL type per database; year_month is kept as DATE in the typed ones.
SQL_TYPES = {
    "postgresql": {
        "date": "DATE",
        "year_month": "DATE",
        "flag": "BOOLEAN",
        "integer": "BIGINT",
        "decimal": "NUMERIC(12,4)",
    },
    "duckdb": {
        "date": "DATE",
        "year_month": "DATE",
        "flag": "BOOLEAN",
        "integer": "INTEGER",
        "decimal": "DOUBLE",
    },
    "sqlite": {"integer": "INTEGER", "decimal": "REAL", "date": "TEXT", "flag": "INTEGER"},
}


def typed_frames(folder: Path) -> dict[str, pl.DataFrame]:
    """The folder's tables as the loader types them, codes as written (not mapped)."""
    loaded = load_folder(folder)
    assert not loaded.findings, [str(f) for f in loaded.findings]
    frames = {}
    for name in loaded.files:
        table = contract()[name]
        raw = pl.read_csv(loaded.files[name], infer_schema=False)
        codes = [c.name for c in table.columns if c.type == "code" and c.name in raw.columns]
        frame = loaded.tables[name].drop("_row")
        frame = frame.with_columns(raw.select(pl.col(codes).str.strip_chars()))
        frames[name] = frame.select(c for c in frame.columns if c in raw.columns)
    return frames


def create_sql(kind: str, name: str, table: Table, columns: Iterable[str]) -> str:
    types = SQL_TYPES[kind]
    cells = ", ".join(f"{quote(c)} {types.get(table.column(c).type, 'TEXT')}" for c in columns)
    return f"CREATE TABLE {quote(name)} ({cells})"


def rows(kind: str, frame: pl.DataFrame, table: Table) -> list[tuple[Any, ...]]:
    """The frame's rows as the driver takes them (SQLite: text dates, 0/1 flags)."""
    if kind == "sqlite":
        frame = frame.with_columns(
            pl.col(c).dt.strftime("%Y-%m" if table.column(c).type == "year_month" else "%Y-%m-%d")
            for c in frame.columns
            if table.column(c).type in ("date", "year_month")
        ).with_columns(
            pl.col(c).cast(pl.Int64) for c in frame.columns if table.column(c).type == "flag"
        )
    return frame.rows()


def load_into(
    kind: str, target: str, frames: dict[str, pl.DataFrame], names: dict[str, str] | None = None
) -> None:
    """Create one table per frame (named as `names` says, else as the contract table)."""
    names = names or {}
    connection = _connect(kind, target)
    try:
        cursor = connection.cursor()
        for table_name, frame in frames.items():
            table, name = contract()[table_name], names.get(table_name, table_name)
            cursor.execute(create_sql(kind, name, table, frame.columns))
            data = rows(kind, frame, table)
            if not data:
                continue
            if kind == "duckdb":  # row by row takes seconds; DuckDB reads Parquet itself
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / "rows.parquet"
                    frame.write_parquet(path)
                    cursor.execute(
                        f"INSERT INTO {quote(name)} SELECT * FROM read_parquet(?)", [str(path)]
                    )
            elif kind == "postgresql":
                columns = ", ".join(quote(c) for c in frame.columns)
                with cursor.copy(f"COPY {quote(name)} ({columns}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in frame.columns)
                cursor.executemany(f"INSERT INTO {quote(name)} VALUES ({marks})", data)
        connection.commit()
    finally:
        connection.close()


def execute(kind: str, target: str, *statements: str) -> None:
    connection = _connect(kind, target)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def _connect(kind: str, target: str) -> Any:
    if kind == "postgresql":
        import psycopg

        return psycopg.connect(target)
    if kind == "duckdb":
        import duckdb

        return duckdb.connect(target)
    return sqlite3.connect(target)
