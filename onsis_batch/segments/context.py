"""What every segment builder reads: the period, the school data and the PAE frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import polars as pl

from onsis_batch.pae.layout import empty_frame
from onsis_batch.period.periods import SubmissionPeriod

MISSING_OEN = "000000000"
T = TypeVar("T")


@dataclass(frozen=True)
class Chunk:
    """BSIDs of one board planned one after another from the same tables (a worker's
    chunk): what their plans share is computed once, over all their students (D905)."""

    tables: dict[str, pl.DataFrame]  # the chunk's tables, before each BSID's slice
    periods: tuple[SubmissionPeriod, ...]
    memo: dict[str, Any] = field(default_factory=dict)

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` the first time `name` is asked for in this chunk, then the same value."""
        if name not in self.memo:
            self.memo[name] = compute()
        return cast(T, self.memo[name])


@dataclass(frozen=True)
class SegmentContext:
    """Inputs of one run, already typed and restricted to nothing: builders select."""

    period: SubmissionPeriod
    tables: dict[str, pl.DataFrame]  # school data by contract table name
    pae: dict[str, pl.DataFrame] = field(default_factory=dict)  # PAE frames by extract number
    # Values several builders of one run derive from the same inputs (e.g. the credit
    # allocation), computed once per context.
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    chunk: Chunk | None = field(default=None, compare=False, repr=False)

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` the first time `name` is asked for in this run, then the same value."""
        if name not in self._memo:
            self._memo[name] = compute()
        return cast(T, self._memo[name])  # the memo holds what `compute` gave for `name`

    def table(self, name: str) -> pl.DataFrame:
        """A school data table by its contract name."""
        return self.tables[name]

    def extract(self, number: str) -> pl.DataFrame:
        """A PAE extract frame by its number, e.g. "0005" (no rows when the run has none)."""
        return self.pae[number] if number in self.pae else empty_frame(number)

    @property
    def default_language(self) -> str:
        """Language the board works in: F on a French-language board, else E."""
        return "F" if self.period.french_board else "E"


def normalised_oen(column: str = "oen") -> pl.Expr:
    """OEN with every non-digit removed; null when nothing is left."""
    digits = pl.col(column).str.replace_all(r"\D", "")
    return pl.when(digits.str.len_chars() > 0).then(digits).otherwise(None)


def text(column: str) -> pl.Expr:
    """Trimmed text; null when nothing is left."""
    value = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(value.str.len_chars() > 0).then(value)


def class_code(expr: pl.Expr) -> pl.Expr:
    """A class code as OnSIS compares it: every space removed, upper-cased."""
    return expr.str.replace_all(r"\s+", "").str.to_uppercase()
