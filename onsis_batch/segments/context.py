"""What every segment builder reads: the period, the school data and the PAE frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod

MISSING_OEN = "000000000"
T = TypeVar("T")


@dataclass(frozen=True)
class SegmentContext:
    """Inputs of one run, already typed and restricted to nothing: builders select."""

    period: SubmissionPeriod
    tables: dict[str, pl.DataFrame]  # school data by contract table name
    pae: dict[str, pl.DataFrame] = field(default_factory=dict)  # PAE frames by extract number
    # Values several builders of one run derive from the same inputs (e.g. the credit
    # allocation), computed once per context.
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` the first time `name` is asked for in this run, then the same value."""
        if name not in self._memo:
            self._memo[name] = compute()
        return cast(T, self._memo[name])  # the memo holds what `compute` gave for `name`

    def table(self, name: str) -> pl.DataFrame:
        """A school data table by its contract name."""
        return self.tables[name]

    def extract(self, number: str) -> pl.DataFrame:
        """A PAE extract frame by its number, e.g. "0005"."""
        return self.pae[number]

    @property
    def default_language(self) -> str:
        """Language the board works in: F on a French-language board, else E."""
        return "F" if self.period.french_board else "E"


def normalised_oen(column: str = "oen") -> pl.Expr:
    """OEN with every non-digit removed; null when nothing is left."""
    digits = pl.col(column).str.replace_all(r"\D", "")
    return pl.when(digits.str.len_chars() > 0).then(digits).otherwise(None)
