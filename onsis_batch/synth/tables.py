"""Synthetic rows as typed frames of the data contract, and their CSV files."""

from __future__ import annotations

import operator
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.synth.calendar import polars_dates

_DTYPES = {"date": pl.Date(), "flag": pl.Boolean()}  # every other type is kept as text
_TYPECODES = {pl.Int8: "b", pl.Int16: "h", pl.Int32: "i", pl.Date: "i"}  # array type codes


def table_frame(
    name: str, rows: Sequence[dict[str, Any]], extra: Mapping[str, pl.DataType] | None = None
) -> pl.DataFrame:
    """The contract's columns of `rows` (dates as Date, flags as Boolean, the rest as text),
    then the `extra` working columns. Other keys of `rows` are ignored."""
    schema = {c.name: _DTYPES.get(c.type, pl.String()) for c in contract()[name].columns}
    schema.update(extra or {})
    return pl.from_dicts(list(rows), schema=schema) if rows else pl.DataFrame(schema=schema)


def write_table(folder: Path, name: str, frame: pl.DataFrame | pl.LazyFrame) -> Path:
    """`folder/<name>.csv` with exactly the contract's columns in its order: UTF-8, ISO dates,
    T/F flags and empty cells for nulls. A lazy frame is streamed to the file, so a big
    table never exists in memory as text."""
    table = contract()[name]
    flags = {c.name for c in table.columns if c.type == "flag"}
    frame = frame.select(
        pl.when(pl.col(c)).then(pl.lit("T")).when(~pl.col(c)).then(pl.lit("F")).alias(c)
        if c in flags
        else pl.col(c)
        for c in table.column_names
    )
    path = folder / f"{name}.csv"
    if isinstance(frame, pl.LazyFrame):
        frame.sink_csv(path, null_value="", date_format="%Y-%m-%d", maintain_order=True)
    else:
        frame.write_csv(path, null_value="", date_format="%Y-%m-%d")
    return path


class ColumnStore:
    """Rows kept as one typed array (text: a list) per column and added one at a time: a
    board-sized run adds millions of class rows, which as dicts would cost far more memory
    and time. Date columns hold day ordinals."""

    def __init__(self, dtypes: dict[str, type[pl.DataType]]) -> None:
        self.dtypes = dtypes
        self.columns: dict[str, array[int] | list[Any]] = {
            name: array(_TYPECODES[dtype]) if dtype in _TYPECODES else []
            for name, dtype in dtypes.items()
        }
        self._first = next(iter(self.columns.values()))
        self._appends = tuple(column.append for column in self.columns.values())

    def __len__(self) -> int:
        return len(self._first)

    def add(self, *values: Any) -> None:
        """One row, its values in column order."""
        if len(values) != len(self._appends):
            raise ValueError(f"{len(values)} values for {len(self._appends)} columns")
        any(map(operator.call, self._appends, values))  # the appends, without a Python loop

    def frame(self) -> pl.DataFrame:
        """The rows as a frame of the declared types."""
        return pl.DataFrame(
            {
                name: polars_dates(column)
                if self.dtypes[name] == pl.Date
                else pl.Series(column, dtype=self.dtypes[name])
                for name, column in self.columns.items()
            }
        )
