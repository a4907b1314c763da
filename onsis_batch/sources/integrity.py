"""Checks across rows and tables: duplicate keys, references, and the code mappings.

They run on the typed frames, after `cells`, so keys compare as dates and mapped codes.
Keys and references are checked on frames kept until the whole folder is read, so they
are queries, all collected in one polars call at the end (`FindingLog.add_query`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import polars as pl

from onsis_batch.codes import code_tables
from onsis_batch.contract import Table, contract
from onsis_batch.queries import format_text
from onsis_batch.sources.cells import Mappings, is_code
from onsis_batch.sources.issues import Issue, Query


def duplicate_keys(table: Table, frame: pl.DataFrame, file: str) -> Iterator[Query]:
    """Rows repeating the key of an earlier row.

    An empty optional key part is a value like any other (a meeting without a cycle day
    meets every day, and two such rows are the same meeting twice); rows with an empty
    required key part already have their SRC007 and are left out.
    """
    if not table.key or frame.is_empty():
        return
    key = list(table.key)
    required = [name for name in key if table.column(name).required]
    label = ", ".join(f"{name}={{}}" for name in key)
    shown = [pl.col(name).cast(pl.String).fill_null("(empty)") for name in key]
    rows = (
        frame.lazy()
        .select("_row", *key)
        .filter(pl.all_horizontal(pl.lit(True), *(pl.col(name).is_not_null() for name in required)))
        .with_columns(pl.col("_row").min().over(key).alias("first_row"))
        .filter(pl.col("_row") != pl.col("first_row"))
        .select("_row", format_text(label, *shown).alias("key"), "first_row")
    )
    yield Query("SRC005", file, ",".join(key), rows)


def broken_references(
    table: Table, frame: pl.DataFrame, file: str, targets: Mapping[str, pl.LazyFrame]
) -> Iterator[Query]:
    """Values absent from the same-named column of the referenced table, when read."""
    for ref in table.references:
        target = targets.get(ref.table)
        if target is None or ref.column not in target.collect_schema():
            continue
        known = target.select(pl.col(ref.column).alias("value")).drop_nulls().unique()
        rows = (
            frame.lazy()
            .select("_row", pl.col(ref.column).alias("value"))
            .filter(pl.col("value").is_not_null())
            .join(known, on="value", how="anti", maintain_order="left")
        )
        yield Query("SRC010", file, ref.column, rows, {"target": ref.table})


def code_mappings(frame: pl.DataFrame) -> dict[str, dict[str, str]]:
    """Code table -> local code -> Ministry code; the first row of a repeated key wins."""
    rows = frame.drop_nulls(["code_table", "local_code", "ministry_code"]).unique(
        ["code_table", "local_code"], keep="first", maintain_order=True
    )
    mappings: dict[str, dict[str, str]] = {}
    for name, local, ministry in rows.select("code_table", "local_code", "ministry_code").rows():
        mappings.setdefault(name, {})[local] = ministry
    return mappings


def mapping_issues(frame: pl.DataFrame, file: str, mappings: Mappings) -> Iterator[Issue]:
    """Mappings to a code table that does not exist, or to a code not in its table."""
    unknown = frame.filter(~pl.col("code_table").is_in(list(code_tables())))
    if unknown.height:
        rows = unknown.select("_row", pl.col("code_table").alias("value"))
        yield Issue("SRC006", file, "code_table", rows, {"table": "codes.yaml"})
    for name in sorted(set(mappings) & set(code_tables()) - _kept_tables()):
        rows = frame.filter(
            (pl.col("code_table") == name) & ~is_code(pl.col("ministry_code"), name)
        ).select("_row", pl.col("ministry_code").alias("value"))
        if rows.height:
            yield Issue("SRC006", file, "ministry_code", rows, {"table": name})


def _kept_tables() -> set[str]:
    """Code tables some column lets through unknown (`unknown: keep`): any target is fine."""
    return {
        column.codes
        for table in contract().values()
        for column in table.columns
        if column.codes and column.unknown == "keep"
    }
