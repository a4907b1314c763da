"""The load stage: read a folder of school data into typed polars frames.

Each contract table comes from `<table>.csv` or `<table>.parquet` in the folder. Every
problem (missing table or column, bad cell, repeated key, broken reference) becomes a
finding naming file, row and column; nothing raises on bad input, and a table with errors
still comes back (bad cells null) so one run shows every problem.

    files.py      find the files, read CSV/Parquet, match the header to the contract
    scan.py       find the text columns that need stripping or a control-character check
    cells.py      convert cells to the contract's types, one check per rule
    integrity.py  keys, references, code mappings
    issues.py     what checks return, and flood control when turning it into findings
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from onsis_batch.contract import Table, contract
from onsis_batch.findings import Finding, finding
from onsis_batch.sources.cells import Mappings, convert, empty_frame
from onsis_batch.sources.files import Unreadable, locate, read_table
from onsis_batch.sources.integrity import (
    broken_references,
    code_mappings,
    duplicate_keys,
    mapping_issues,
)
from onsis_batch.sources.issues import FindingLog, Issue

__all__ = ["LoadResult", "load_folder"]

MAPPINGS = "code_mappings"  # read first: it changes how every code column is read
CONVERT_ROWS = 250_000  # rows converted at a time


@dataclass(frozen=True)
class LoadResult:
    tables: dict[str, pl.DataFrame]  # `_row` + contract columns, typed; empty when absent
    files: dict[str, Path]  # table -> file actually read
    findings: list[Finding]


def load_folder(folder: Path, tables: Collection[str] | None = None) -> LoadResult:
    """Read the contract tables (all, or those named) from `folder`.

    `code_mappings` is always read when present, as it applies to every code column.
    References are checked only against tables that were read with the referenced column.
    """
    folder = Path(folder)
    selected = _selected(tables)
    log = FindingLog()
    paths, located = locate(folder, selected)
    for item in located:
        log.add(item)
    loaded = _load_all(selected, paths, log)
    # A column missing from its file (SRC002) cannot tell which references are broken.
    targets = {name: frame.drop(missing) for name, (frame, missing) in loaded.items()}
    for name, (frame, _) in loaded.items():
        table = contract()[name]
        _add_all(log, broken_references(table, frame, paths[name].name, targets))
    frames = {t.name: loaded[t.name][0] if t.name in loaded else empty_frame(t) for t in selected}
    return LoadResult(
        tables={name: frames[name] for name in contract() if name in frames},
        files={name: paths[name] for name in loaded},
        findings=log.findings(),
    )


def _load_all(
    selected: list[Table], paths: dict[str, Path], log: FindingLog
) -> dict[str, tuple[pl.DataFrame, frozenset[str]]]:
    """Typed frame and missing columns of every table whose file could be read."""
    loaded = {}
    mappings: Mappings = {}
    for table in selected:
        path = paths.get(table.name)
        result = _load(table, path, mappings, log) if path else None
        if result is None or path is None:
            continue
        loaded[table.name] = result
        if table.name == MAPPINGS:
            mappings = code_mappings(result[0])
            _add_all(log, mapping_issues(result[0], path.name, mappings))
    return loaded


def _selected(names: Collection[str] | None) -> list[Table]:
    """The tables to read, code_mappings first, then in contract order."""
    tables = contract()
    wanted = set(tables) if names is None else {*names, MAPPINGS}
    unknown = wanted - set(tables)
    if unknown:
        raise ValueError(f"not tables of the data contract: {', '.join(sorted(unknown))}")
    return sorted((tables[n] for n in wanted), key=lambda t: (t.name != MAPPINGS, t.name))


def _load(
    table: Table, path: Path, mappings: Mappings, log: FindingLog
) -> tuple[pl.DataFrame, frozenset[str]] | None:
    """One table's typed frame and missing columns; None when the file cannot be read."""
    raw, findings = read_table(table, path)
    for item in findings:
        log.add(item)
    if raw is None:
        return None
    # Rows are read and converted a batch at a time: neither the file's text nor the
    # working columns of the conversion are ever in memory for the whole table.
    parts, issues = [], []
    try:
        for batch in raw.batches(CONVERT_ROWS):
            part, found = convert(table, batch, raw.missing, path.name, mappings)
            parts.append(part)
            issues += found
        if not parts:
            part, found = convert(table, raw.empty(), raw.missing, path.name, mappings)
            parts.append(part)
    except Unreadable as exc:
        log.add(finding("SRC008", file=path.name, reason=str(exc)))
        return None
    _add_all(log, issues)
    frame = pl.concat(parts, rechunk=True) if len(parts) > 1 else parts[0]
    _add_all(log, duplicate_keys(table, frame, path.name))
    return frame, raw.missing


def _add_all(log: FindingLog, issues: Iterable[Issue]) -> None:
    for issue in issues:
        log.add_issue(issue)
