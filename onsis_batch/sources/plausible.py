"""Plausible values: the ranges, decimal places and sent forms the contract declares.

A column may declare `min` and `max` (numbers, or dates for date columns): a value outside
is the error SRC017 and the cell is not read, so an entry date of 1800-01-01 or a credit
of 99999999999999999999 never reaches the file. `places` (decimal columns) says how many
decimals the submission carries: a value with more is sent rounded, and the warning
SRC019 says so. `sent_pattern` is the form a value must have to be sent (a Canadian postal
code): another value is kept in the data but left out of the file, and the warning SRC020
says so. Date order within a row (`ordered` on the table) is checked in `cells`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from onsis_batch.contract import Column
from onsis_batch.sources.issues import Check

_NOISE = 1e-6  # binary noise of a decimal read as a float (0.1 * 100 = 10.000000000000002)


def range_check(column: Column, typed: pl.Expr) -> Check | None:
    """SRC017 for values below `min` or above `max`; None when the column declares neither."""
    if column.min is None and column.max is None:
        return None
    outside = pl.lit(False)
    if column.min is not None:
        outside = outside | (typed < pl.lit(column.min))
    if column.max is not None:
        outside = outside | (typed > pl.lit(column.max))
    return Check("SRC017", outside.fill_null(False), {"allowed": allowed(column)})


def advisories(column: Column, typed: pl.Expr) -> list[Check]:
    """Warnings for values that are kept but not sent as they are (SRC019, SRC020)."""
    checks = []
    if column.places is not None:
        scaled = typed.cast(pl.Float64) * 10**column.places
        rounded = (scaled - scaled.round(0)).abs() > _NOISE
        checks.append(Check("SRC019", rounded.fill_null(False), {"places": column.places}))
    if column.sent_pattern is not None:
        odd = ~pl.col(column.name).str.contains(f"^(?:{column.sent_pattern})$")
        params = {"expected": column.sent_as}
        checks.append(Check("SRC020", odd.fill_null(False), params, shows_value=False))
    return checks


def allowed(column: Column) -> str:
    """The declared range as the message says it: `0 to 1`, `1900-01-01 or later`."""
    low, high = _text(column.min), _text(column.max)
    if low and high:
        return f"{low} to {high}"
    return f"{low} or more" if low else f"{high} or less"


def _text(bound: Any) -> str:
    if bound is None:
        return ""
    return bound.isoformat() if isinstance(bound, date) else f"{bound:g}"
