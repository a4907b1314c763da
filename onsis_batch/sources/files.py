"""Find each table's file in the data folder and read it into a frame of raw columns.

A CSV is read with every column as text; a Parquet file keeps the columns whose type is
already the contract's and turns the others into text, so both end up on the same path
through `cells`. Every problem with a file or its header is a finding, never an exception.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import DTYPES, Table
from onsis_batch.findings import Finding, finding
from onsis_batch.sources.issues import Issue
from onsis_batch.sources.records import SHORT, record_problems

SUFFIXES = (".csv", ".parquet")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}  # the separators a CSV may use
PROBE_BYTES = 65_536  # enough for a header row and the first records
SIMILAR_NAME = 0.85  # difflib ratio from which an unknown column is taken for a typo
_COLUMN_NAME = re.compile(r"[a-z][a-z0-9_]*")  # the form of every contract column name


class Unreadable(Exception):
    """A file that cannot be read at all; the message is the reason shown to the user."""


@dataclass(frozen=True)
class RawTable:
    """A table as read, lazily: `_row` and the contract columns the file has (text or typed).

    Nothing is parsed until `batches` is iterated, so a board-sized file never sits in
    memory as text all at once (text cells cost 16 bytes each on top of their characters).
    """

    scan: pl.LazyFrame  # the file's records, columns `_c0..`
    columns: list[pl.Expr]  # the contract columns it has, named
    missing: frozenset[str]  # contract columns the file lacks
    path: Path
    skip: int  # records before the data (a CSV's header)
    first_row: int  # the row number users see for record 0 of the scan
    width: int | None = None  # a CSV's number of header fields (None: Parquet)
    separator: str = ","  # a CSV's cell separator (detected from its header)

    def shape_issues(self) -> Iterator[Issue]:
        """SRC016 for the CSV records without the header's shape (see `records`)."""
        if self.width is None:
            return
        rows = record_problems(self.path, self.width, self.separator)
        if rows.height:
            yield Issue(SHORT, self.path.name, None, rows)

    def batches(self, rows: int) -> Iterator[pl.DataFrame]:
        """The rows in order, `rows` at a time; Unreadable when the file is damaged.

        Each batch is its own slice of the scan: polars skips to it cheaply, and only one
        batch is parsed at a time (a streaming collect runs ahead and buffers them all).
        """
        start = self.skip
        while True:
            try:
                batch = self.scan.slice(start, rows).select(self.columns).collect()
            except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
                raise Unreadable(_reason(self.path, exc)) from None
            if batch.height:
                yield number_rows(batch, self.first_row + start)
            if batch.height < rows:
                return
            start += rows

    def read_all(self) -> pl.DataFrame:
        """Every row at once (small tables, lookups); Unreadable when the file is damaged."""
        return pl.concat([self.empty(), *self.batches(1_000_000)], how="vertical_relaxed")

    def empty(self) -> pl.DataFrame:
        """A frame with the table's columns and no rows."""
        return number_rows(self.scan.clear().select(self.columns).collect(), 0)


def locate(folder: Path, tables: Collection[Table]) -> tuple[dict[str, Path], list[Finding]]:
    """The file of each table (names match case-insensitively); SRC001/SRC008 otherwise."""
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError as exc:
        reason = "the folder does not exist" if not folder.exists() else exc.strerror
        return {}, [finding("SRC008", file=str(folder), reason=reason or str(exc))]
    by_name: dict[str, list[Path]] = {}
    for path in entries:
        by_name.setdefault(path.name.lower(), []).append(path)
    paths, findings = {}, []
    for table in tables:
        found = [p for suffix in SUFFIXES for p in by_name.get(table.name + suffix, [])]
        if len(found) > 1:
            others = ", ".join(p.name for p in found[1:])
            reason = f"{others} holds the same table; keep only one of them"
            findings.append(finding("SRC008", file=found[0].name, reason=reason))
        elif found:
            paths[table.name] = found[0]
        elif table.required:
            looked = f"{table.name}.csv or {table.name}.parquet"
            findings.append(finding("SRC001", file=str(folder), table=table.name, looked=looked))
    return paths, findings


def read_table(table: Table, path: Path) -> tuple[RawTable | None, list[Finding]]:
    """Open one table's file; None (with an SRC008) when it cannot be read at all."""
    separator = ","
    try:
        if path.suffix.lower() == ".csv":
            names, frame, separator = scan_csv(path)
        else:
            names, frame = scan_parquet(path)
    except Unreadable as exc:
        return None, [finding("SRC008", file=path.name, reason=str(exc))]
    if not set(table.column_names) & {name.strip() for name in names}:
        # Quoting these cells would quote a student's data: the header row is missing.
        reason = "its first row is not a header: none of its cells is a column of the table"
        return None, [finding("SRC008", file=path.name, reason=reason)]
    raw, findings = fit_columns(table, frame, names, path)
    if separator != ",":
        name = SEPARATOR_NAMES[separator]
        findings.insert(0, finding("SRC022", file=path.name, separator=name))
    return replace(raw, separator=separator), findings


def detect_separator(head: bytes) -> str:
    """The cell separator of a CSV: of comma, semicolon and tab, the one its header line
    holds most of (a comma when none, or on a tie with it)."""
    line = head.split(b"\n", 1)[0]
    counts = {sep: line.count(sep.encode()) for sep in SEPARATOR_NAMES}
    return max(SEPARATOR_NAMES, key=lambda sep: counts[sep])  # dicts keep order: comma first


def scan_csv(path: Path) -> tuple[list[str], pl.LazyFrame, str]:
    """Header names, a lazy frame of text columns `_c0..` plus `_row` (header = row 1),
    and the cell separator found in the header (`detect_separator`)."""
    head = _read_bytes(path, probe=True)  # an unreadable file is named before polars sees it
    if b"\r" in head and b"\n" not in head:  # polars would read the whole file as a header
        raise Unreadable("its lines end with a carriage return alone (CR); save it with LF")
    separator = detect_separator(head)
    # No header for polars: the first record is the header, so row numbers and header
    # names come from the same parse. Empty cells, quoted or not, are read as null.
    options: dict[str, Any] = {
        "has_header": False,
        "infer_schema": False,
        "quote_char": '"',
        "null_values": [""],
        "separator": separator,
    }
    try:
        header = pl.read_csv(path, n_rows=1, **options)
    except pl.exceptions.NoDataError:
        header = pl.DataFrame()
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        raise Unreadable(_reason(path, exc)) from None
    if header.is_empty():
        raise Unreadable("the file is empty; a header row is required")
    names = [name or "" for name in header.row(0)]
    renamed = {name: f"_c{i}" for i, name in enumerate(header.columns)}
    frame = pl.scan_csv(path, **options).rename(renamed)
    return names, frame, separator


def scan_parquet(path: Path) -> tuple[list[str], pl.LazyFrame]:
    """Column names and the lazy frame with columns renamed `_c0..`, plus `_row`."""
    try:
        frame = pl.scan_parquet(path)
        names = frame.collect_schema().names()
    except (Exception, pl.exceptions.PanicException) as exc:  # any damage is a finding
        raise Unreadable(f"not a readable Parquet file ({_first_line(exc)})") from None
    renamed = {name: f"_c{i}" for i, name in enumerate(names)}
    return names, frame.rename(renamed)


def fit_columns(
    table: Table, frame: pl.LazyFrame, names: list[str], path: Path
) -> tuple[RawTable, list[Finding]]:
    """Keep the contract's columns (named, text or already typed); report the rest."""
    kept, missing, findings = fit_names(table, dict(frame.collect_schema()), names, path.name)
    # Row numbers as a spreadsheet shows them: a CSV's header is row 1; a Parquet file has
    # no header row, but its rows are numbered as if it had one, like the same data as CSV.
    csv_file = path.suffix.lower() == ".csv"
    skip, first_row = (1, 1) if csv_file else (0, 2)
    width = len(names) if csv_file else None
    return RawTable(frame, list(kept.values()), missing, path, skip, first_row, width), findings


def fit_names(
    table: Table,
    schema: Mapping[str, pl.DataType],
    names: list[str],
    file: str,
    refused: Collection[str] = (),
) -> tuple[dict[str, pl.Expr], frozenset[str], list[Finding]]:
    """The contract columns among `names` (read from `_c0..` of `schema`) as expressions.

    Also the contract columns missing, and findings for unknown, repeated and missing ones.
    `refused` columns (a database type that cannot hold their values, already reported)
    are read as missing, without a finding of their own.
    """
    findings: list[Finding] = []
    wanted = set(table.column_names)
    kept: dict[str, pl.Expr] = {}
    for i, raw_name in enumerate(names):
        name = raw_name.strip()
        if name in refused:
            continue
        if name not in wanted:
            findings.append(_unknown_column(name, i, sorted(wanted), file))
        elif name in kept:
            reason = f"column '{name}' appears more than once; only the first is read"
            findings.append(finding("SRC008", file=file, reason=reason))
        else:
            dtype, kind = schema[f"_c{i}"], table.column(name).type
            text = _as_text_unless_typed(pl.col(f"_c{i}"), name, dtype, kind, file, findings)
            kept[name] = text.alias(name)
    missing = frozenset(wanted - set(kept))
    for column in table.columns:
        if column.required and column.name in missing and column.name not in refused:
            findings.append(finding("SRC002", file=file, column=column.name))
    return kept, missing, findings


def _unknown_column(name: str, index: int, wanted: list[str], file: str) -> Finding:
    """SRC021 (an error unless unknown columns are allowed) for a column named like a
    contract column of the table, which is most likely a typo; SRC013 (a warning) else."""
    if not _COLUMN_NAME.fullmatch(name):
        # A header cell without a column name's form may be data (a lost header row).
        return finding("SRC013", file=file, column=f"(column {index + 1})")
    similar = difflib.get_close_matches(name, wanted, n=1, cutoff=SIMILAR_NAME)
    if similar:
        return finding("SRC021", file=file, column=name, similar=similar[0])
    return finding("SRC013", file=file, column=name)


def _as_text_unless_typed(
    cell: pl.Expr, name: str, dtype: pl.DataType, kind: str, file: str, findings: list[Finding]
) -> pl.Expr:
    """Parquet columns already of the contract's type stay; others become text to parse."""
    if dtype in (pl.String, DTYPES[kind]):
        return cell
    if isinstance(dtype, pl.Datetime) and kind in ("date", "year_month"):
        return cell.dt.date()  # pandas writes dates as midnight timestamps
    if dtype.is_nested() or dtype in (pl.Object, pl.Null):
        reason = f"column '{name}' has type {dtype}, which cannot be read as {kind}"
        findings.append(finding("SRC008", file=file, reason=reason))
        return pl.lit(None, dtype=pl.String)
    return cell.cast(pl.String)


def number_rows(frame: pl.DataFrame, first: int) -> pl.DataFrame:
    """The frame with `_row`, the row numbers from `first` on."""
    # Not with_row_index and a cast: each costs a polars call (D1023).
    rows = pl.int_range(first, first + frame.height, dtype=pl.Int64, eager=True)
    return frame.clone().insert_column(0, rows.alias("_row"))


def _reason(path: Path, exc: BaseException) -> str:
    """Why polars could not read a CSV or Parquet file, as precisely as we can tell."""
    if path.suffix.lower() != ".csv":
        return f"not a readable Parquet file ({_first_line(exc)})"
    return _csv_reason(_decode(_read_bytes(path)), exc)


def _read_bytes(path: Path, probe: bool = False) -> bytes:
    """The file's bytes (or, with probe, its first 64 KiB, to check it can be read)."""
    try:
        if probe:
            with path.open("rb") as handle:
                return handle.read(PROBE_BYTES)
        return path.read_bytes()
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None


def _decode(data: bytes) -> str:
    """The text of a UTF-8 file (BOM allowed); Unreadable names the first bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        reason = f"line {line} is not valid UTF-8 (byte 0x{byte}); save the file as UTF-8"
        raise Unreadable(reason) from None


def _csv_reason(text: str, exc: BaseException) -> str:
    """Name the first record polars choked on, when the csv module can find it."""
    reader = csv.reader(_lines(text), strict=True)
    start, width = 1, None  # start: the line the current record begins on
    try:
        for record in reader:
            if width is None:
                width = len(record)
            elif len(record) > width:
                return f"line {start} has {len(record)} fields, the header {width}"
            start = reader.line_num + 1
    except csv.Error as error:
        return f"the record starting on line {start} is malformed ({error}); check its quotes"
    # polars' own message quotes the cells it could not parse, which may be names (D732)
    return "malformed CSV; check the quotes"


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, without copying the whole text again."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
