"""The load stage: read the school data (a folder or a database) into typed polars frames.

Each contract table comes from `<table>.csv` or `<table>.parquet` in the folder, or from
the table or view of that name (or the mapped name) in a database. Every
problem (missing table or column, bad cell, repeated key, broken reference) becomes a
finding naming file, row and column; nothing raises on bad input, and a table with errors
still comes back (bad cells null) so one run shows every problem.

    origin.py     where the data comes from: a folder or a database (`DataSource`)
    files.py      find the files, read CSV/Parquet, match the header to the contract
    database.py   PostgreSQL, SQLite and DuckDB tables as raw rows, the same way
    scan.py       find the text columns that need stripping or a control-character check
    cells.py      convert cells to the contract's types, one check per rule
    integrity.py  keys, references, code mappings
    issues.py     what checks return, and flood control when turning it into findings
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from onsis_batch.codes import shipped_mappings
from onsis_batch.contract import Table, contract
from onsis_batch.findings import Finding, Severity, finding
from onsis_batch.sources.cells import Mappings, convert, empty_frame
from onsis_batch.sources.files import Unreadable
from onsis_batch.sources.integrity import (
    broken_references,
    code_mappings,
    duplicate_keys,
    mapping_issues,
)
from onsis_batch.sources.issues import FindingLog, Issue
from onsis_batch.sources.origin import DataSource, Reader, data_source

__all__ = ["DataSource", "LoadResult", "StagedData", "data_source", "load_folder", "stage_folder"]

MAPPINGS = "code_mappings"  # read first: it changes how every code column is read
CONVERT_ROWS = 250_000  # rows converted at a time
SIMILAR_COLUMN = "SRC021"  # an unknown column named like a contract column (a typo)


@dataclass(frozen=True)
class LoadResult:
    """The loaded school data: typed frames per table, the files read, and every finding."""

    tables: dict[str, pl.DataFrame]  # `_row` + contract columns, typed; empty when absent
    files: dict[str, Path | str]  # table -> file (or SQL table or view) actually read
    findings: list[Finding]


@dataclass(frozen=True)
class StagedData:
    """A folder checked once and kept as typed Parquet, one folder of parts per table.

    A board run stages its school data so that each worker process reads only the rows of
    its own students instead of converting the whole board again.
    """

    folder: Path
    files: dict[str, Path | str]  # table -> file (or SQL table or view) actually read
    findings: list[Finding]

    def scan(self, table: str) -> pl.LazyFrame:
        """The typed rows of `table` (an empty typed frame when it was absent)."""
        parts = self.folder / table
        if not parts.is_dir():
            return empty_frame(contract()[table]).lazy()
        return pl.scan_parquet(parts / "*.parquet")


def load_folder(
    folder: Path | str | DataSource, tables: Collection[str] | None = None
) -> LoadResult:
    """Read the contract tables (all, or those named) from a folder or a database.

    `folder` is a folder, a database URI or file, or a `DataSource` (see `data_source`).

    `code_mappings` is always read when present, as it applies to every code column.
    References are checked only against tables that were read with the referenced column.
    """
    return _read_folder(data_source(folder), tables, stage=None)


def stage_folder(folder: Path | str | DataSource, into: Path) -> StagedData:
    """Check every table of `folder` as `load_folder` does, writing the typed rows to `into`.

    Only the columns the checks need stay in memory, so staging a board costs about the
    memory of one slice of its largest table, not of the whole board.
    """
    result = _read_folder(data_source(folder), None, stage=Path(into))
    return StagedData(folder=Path(into), files=result.files, findings=result.findings)


def _read_folder(
    source: DataSource, tables: Collection[str] | None, stage: Path | None
) -> LoadResult:
    selected = _selected(tables)
    log = FindingLog()
    with source.open() as reader:
        labels, located = reader.locate(selected)
        for item in located:
            log.add(item)
        shipped = shipped_mappings(source.shipped_mappings)
        loaded = _load_all(selected, reader, labels, log, stage, shipped)
        files = {name: reader.where(name) for name in loaded}
    # A column missing from its file (SRC002) cannot tell which references are broken.
    targets = {
        name: frame.lazy().drop(missing, strict=False) for name, (frame, missing) in loaded.items()
    }
    for name, (frame, _) in loaded.items():
        for query in broken_references(contract()[name], frame, labels[name], targets):
            log.add_query(query)
    frames = {t.name: loaded[t.name][0] if t.name in loaded else empty_frame(t) for t in selected}
    findings = log.findings()
    if source.allow_unknown_columns:  # --allow-unknown-columns: a likely typo only warns
        findings = [_as_warning(f) if f.code == SIMILAR_COLUMN else f for f in findings]
    return LoadResult(
        tables={name: frames[name] for name in contract() if name in frames},
        files=files,
        findings=findings,
    )


def _as_warning(found: Finding) -> Finding:
    return replace(found, severity=Severity.WARNING)


def _load_all(
    selected: list[Table],
    reader: Reader,
    labels: dict[str, str],
    log: FindingLog,
    stage: Path | None,
    shipped: Mappings,
) -> dict[str, tuple[pl.DataFrame, frozenset[str]]]:
    """Typed frame and missing columns of every table whose file could be read.

    When staging, each table's rows go to Parquet and the frame returned keeps only the
    columns the folder-wide checks read (key, references, code mappings). The `shipped`
    code mappings the configuration names apply under the data's own (D945).
    """
    loaded = {}
    mappings: Mappings = shipped
    for table in selected:
        label = labels.get(table.name)
        keep = _Staged(stage / table.name, _checked_columns(table)) if stage else _Kept()
        result = _load(table, reader, label, mappings, log, keep) if label else None
        if result is None or label is None:
            continue
        loaded[table.name] = result
        if table.name == MAPPINGS:
            own = code_mappings(result[0])
            _add_all(log, mapping_issues(result[0], label, own))
            mappings = _under(own, shipped)
    return loaded


def _under(own: Mappings, shipped: Mappings) -> Mappings:
    """The data's own code mappings, with the shipped ones for codes the data does not map."""
    tables = set(own) | set(shipped)
    return {t: {**shipped.get(t, {}), **own.get(t, {})} for t in sorted(tables)}


def _selected(names: Collection[str] | None) -> list[Table]:
    """The tables to read, code_mappings first, then in contract order."""
    tables = contract()
    wanted = set(tables) if names is None else {*names, MAPPINGS}
    unknown = wanted - set(tables)
    if unknown:
        raise ValueError(f"not tables of the data contract: {', '.join(sorted(unknown))}")
    return sorted((tables[n] for n in wanted), key=lambda t: (t.name != MAPPINGS, t.name))


class _Kept:
    """Keeps a table's converted slices in memory and joins them."""

    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []

    def add(self, part: pl.DataFrame) -> None:
        self.parts.append(part)

    def frame(self) -> pl.DataFrame:
        return pl.concat(self.parts, rechunk=True) if len(self.parts) > 1 else self.parts[0]

    def discard(self) -> None:
        self.parts.clear()


class _Staged:
    """Writes a table's converted slices to Parquet, keeping only some columns in memory."""

    def __init__(self, folder: Path, columns: Collection[str] | None) -> None:
        self.folder, self.columns = folder, columns
        self.kept = _Kept()

    def add(self, part: pl.DataFrame) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        part.write_parquet(self.folder / f"part-{len(self.kept.parts):05d}.parquet")
        self.kept.add(part if self.columns is None else part.select(self.columns))

    def frame(self) -> pl.DataFrame:
        return self.kept.frame()

    def discard(self) -> None:
        self.kept.discard()
        if self.folder.is_dir():
            shutil.rmtree(self.folder)


def _checked_columns(table: Table) -> list[str] | None:
    """The columns folder-wide checks read: key, references, columns referred to (None: all)."""
    if table.name == MAPPINGS:
        return None
    wanted = {*table.key, *(ref.column for ref in table.references)}
    wanted |= {
        ref.column
        for other in contract().values()
        for ref in other.references
        if ref.table == table.name
    }
    return ["_row", *(name for name in table.column_names if name in wanted)]


def _load(
    table: Table,
    reader: Reader,
    label: str,
    mappings: Mappings,
    log: FindingLog,
    keep: _Kept | _Staged,
) -> tuple[pl.DataFrame, frozenset[str]] | None:
    """One table's typed frame and missing columns; None when the table cannot be read."""
    raw, findings = reader.read(table)
    for item in findings:
        log.add(item)
    if raw is None:
        return None
    _add_all(log, raw.shape_issues())
    # Rows are read and converted a batch at a time: neither the file's text nor the
    # working columns of the conversion are ever in memory for the whole table.
    issues: list[Issue] = []
    try:
        empty = True
        for batch in raw.batches(CONVERT_ROWS):
            part, found = convert(table, batch, raw.missing, label, mappings)
            keep.add(part)
            issues += found
            empty = False
        if empty:
            keep.add(convert(table, raw.empty(), raw.missing, label, mappings)[0])
    except Unreadable as exc:
        keep.discard()
        log.add(finding("SRC008", file=label, reason=str(exc)))
        return None
    _add_all(log, issues)
    frame = keep.frame()
    for query in duplicate_keys(table, frame, label):
        log.add_query(query)
    return frame, raw.missing


def _add_all(log: FindingLog, issues: Iterable[Issue]) -> None:
    for issue in issues:
        log.add_issue(issue)
