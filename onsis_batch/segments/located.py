"""Findings of the segment builders, located at a school data row or at a plan row."""

from __future__ import annotations

from typing import Any

import polars as pl

from onsis_batch.findings import Finding, FromColumn, findings_for_rows


def at_data_rows(
    code: str,
    rows: pl.DataFrame,
    file: str,
    column: str | FromColumn | None = None,
    *,
    row: str = "_row",
    **params: Any,
) -> list[Finding]:
    """One finding per row of `rows`, located in the school data table `file` at the row
    number its column `row` holds (and at `column`, a name or read from the row); `params`
    fill the message, each a `FromColumn` read from the row or one value for every row."""
    return findings_for_rows(code, rows, file=file, row=FromColumn(row), column=column, **params)


def at_plan_rows(
    code: str, rows: pl.DataFrame, segment: str, *, key: str = "_id", **params: Any
) -> list[Finding]:
    """One finding per row of `rows`, located at the plan row of `segment` whose key its
    column `key` holds; `params` as for `at_data_rows`."""
    return findings_for_rows(code, rows, segment=segment, key=FromColumn(key), **params)
