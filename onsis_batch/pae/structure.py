"""The shape of an extract file: which lines fit nowhere, which rows are cut or damaged.

Checked on the grid (`grid.read_grid`) before any row is typed, so a damaged file is
reported line by line instead of being read with values silently missing:

* lines that fit nowhere: unknown record types, no record type, a second H1, data rows
  before the first H2, an H2 without a BSID or with one that is not six digits;
* lines holding control characters (binary data, a carriage return alone);
* data rows whose number of cells differs from the file's other data rows (a row cut
  short, or an unquoted comma);
* a file that ends in the middle of a line (an interrupted download), or only lacks its
  final line break;
* data rows that all have more or fewer cells than the layout knows (a newer or older
  layout): one warning per file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from onsis_batch.findings import Finding, finding
from onsis_batch.pae.grid import FIELDS_COLUMN, cell_name, clean
from onsis_batch.pae.layout import ROW_COLUMN, Layout
from onsis_batch.queries import IN_MEMORY
from onsis_batch.sources.issues import without_oens

MAX_REPORTED = 100  # per file, finding code and column: past that, more of the same adds nothing
TYPE_COLUMN = "_rt"  # working columns of the grid: record type, school block number
BLOCK_COLUMN = "_block"
UNPLACED_COLUMN = "_unplaced"  # a non-blank line that fits nowhere
HEADER_FIELDS = {"H1": 5, "H2": 2}  # cells a header needs: H1 up to the period, H2 the BSID
_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\r]"  # binary junk, or a CR that ends no line
_BSID = r"[0-9]{6}"


@dataclass(frozen=True)
class FileEnd:
    """How the file's text ends: whether with a line break, and its last line's text."""

    has_line_break: bool
    last_line: str


def with_blocks(grid: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """The grid with its record type, school block number and whether the line fits
    nowhere (`UNPLACED_COLUMN`, computed once for the blocks and the findings).

    Each H2 opens a block; so does an unreadable line that may have been a school header
    (no record type, or an unknown one with an H in it), so that the rows after a damaged
    H2 are never given to the previous school. They belong to no school and are reported.
    """
    record_type = pl.col(TYPE_COLUMN)
    header_like = record_type.is_null() | record_type.str.contains("H")
    opens = (record_type == "H2") | (pl.col(UNPLACED_COLUMN) & header_like)
    return (
        grid.lazy()
        .with_columns(clean(cell_name(0)).str.to_uppercase().alias(TYPE_COLUMN))
        .with_columns(_unplaced(grid, layout).alias(UNPLACED_COLUMN))
        .with_columns(opens.fill_null(False).cum_sum().alias(BLOCK_COLUMN))
        .collect(engine=IN_MEMORY)
    )


def structure_findings(
    name: str, grid: pl.DataFrame, layout: Layout, end: FileEnd
) -> list[Finding]:
    """Every structural problem of one file's grid (see the module docstring); the grid's
    queries are collected in one polars call (D1024)."""
    queries = _Queries(grid.lazy())
    unplaced = _unplaced_findings(name, queries, layout)
    header = _header_findings(name, queries, layout)
    damaged = _damaged_findings(name, queries, grid)
    width = _width_findings(name, queries, layout, end)
    queries.collect()
    return [*unplaced(), *header(), *damaged(), *width()]


class _Queries:
    """Queries over one grid, collected together: `add` gives what reads the result."""

    def __init__(self, grid: pl.LazyFrame) -> None:
        self.grid = grid
        self._queries: list[pl.LazyFrame] = []
        self._results: list[pl.DataFrame] = []

    def add(self, query: pl.LazyFrame) -> Callable[[], pl.DataFrame]:
        index = len(self._queries)
        self._queries.append(query)
        return lambda: self._results[index]

    def collect(self) -> None:
        self._results = pl.collect_all(self._queries, engine=IN_MEMORY)


def _unplaced(grid: pl.DataFrame, layout: Layout) -> pl.Expr:
    """Non-blank lines with a record type that is not H1, H2 or the layout's, or none."""
    known = ["H1", "H2", *layout.record_types]
    untyped = grid.filter(clean(cell_name(0)).is_null())  # mostly blank lines: few rows
    filled = pl.any_horizontal(clean(c).is_not_null() for c in _cells(grid))
    nameless = untyped.filter(filled).get_column(ROW_COLUMN)
    unknown = pl.col(TYPE_COLUMN).is_not_null() & ~pl.col(TYPE_COLUMN).is_in(known)
    return unknown | pl.col(ROW_COLUMN).is_in(pl.lit(nameless).implode())


def _unplaced_findings(name: str, queries: _Queries, layout: Layout) -> Callable[[], list[Finding]]:
    """Unknown record types and lines without one, and the data rows they leave homeless."""
    grid = queries.grid
    unplaced = grid.filter(pl.col(UNPLACED_COLUMN)).select(ROW_COLUMN, TYPE_COLUMN, BLOCK_COLUMN)
    data = grid.filter(pl.col(TYPE_COLUMN).is_in(layout.record_types))
    openers = unplaced.select(BLOCK_COLUMN, pl.col(ROW_COLUMN).alias("_after"))
    openers = openers.unique(BLOCK_COLUMN, keep="first", maintain_order=True)
    heads = grid.filter(pl.col(TYPE_COLUMN) == "H2").select(BLOCK_COLUMN)
    openers = openers.filter(pl.col(BLOCK_COLUMN) > 0).join(
        heads, on=BLOCK_COLUMN, how="anti", maintain_order="left"
    )
    homeless = data.join(openers, on=BLOCK_COLUMN)
    groups = homeless.group_by("_after", maintain_order=True).agg(pl.col(ROW_COLUMN))
    listed, grouped = queries.add(unplaced.head(MAX_REPORTED)), queries.add(groups)

    def findings() -> list[Finding]:
        expected = ", ".join(["H1", "H2", *layout.record_types])
        found = []
        for row, record, _ in listed().iter_rows():
            reason = "the line has no record type"
            if record is not None:
                reason = f"record type '{without_oens(record)}' is not one of {expected}"
            found.append(malformed(name, row, reason))
        for after, rows in grouped().rows():
            reason = f"{len(rows)} data row(s) follow the unreadable line {after}: no school's"
            found.append(malformed(name, rows[0], reason))
        return found

    return findings


def _header_findings(name: str, queries: _Queries, layout: Layout) -> Callable[[], list[Finding]]:
    """A second H1, data rows before the first H2, H2 headers without a proper BSID."""
    grid = queries.grid
    h1 = queries.add(grid.filter(pl.col(TYPE_COLUMN) == "H1").select(ROW_COLUMN))
    data = pl.col(TYPE_COLUMN).is_in(layout.record_types)
    orphans = queries.add(grid.filter(data & (pl.col(BLOCK_COLUMN) == 0)).select(ROW_COLUMN))
    heads = grid.filter(pl.col(TYPE_COLUMN) == "H2").select(ROW_COLUMN, clean(cell_name(1)))
    listed = queries.add(heads.head(MAX_REPORTED * 10))

    def findings() -> list[Finding]:
        found = []
        extra_h1 = h1().get_column(ROW_COLUMN).to_list()[1:]
        for row in extra_h1[:MAX_REPORTED]:
            found.append(malformed(name, row, "a second H1 header"))
        orphan_rows = orphans()
        if orphan_rows.height:
            first = orphan_rows.get_column(ROW_COLUMN)[0]
            reason = f"{orphan_rows.height} data row(s) come before the first H2 school header"
            found.append(malformed(name, first, reason))
        for row, bsid in listed().iter_rows():
            if bsid is None:
                found.append(malformed(name, row, "an H2 school header without a BSID"))
            elif not re.fullmatch(_BSID, bsid):
                reason = f"the H2 school header's BSID '{without_oens(bsid)}' is not six digits"
                found.append(malformed(name, row, reason))
        return found

    return findings


def _damaged_findings(
    name: str, queries: _Queries, grid: pl.DataFrame
) -> Callable[[], list[Finding]]:
    """Lines holding control characters: binary data, or a CR that ends no line."""
    junk = pl.any_horizontal(pl.col(c).str.contains(_CONTROL) for c in _cells(grid))
    rows = queries.add(queries.grid.filter(junk).select(ROW_COLUMN).head(MAX_REPORTED))
    reason = "the line holds control characters (binary data or a stray carriage return)"
    return lambda: [malformed(name, row, reason) for row in rows().get_column(ROW_COLUMN)]


def _width_findings(
    name: str, queries: _Queries, layout: Layout, end: FileEnd
) -> Callable[[], list[Finding]]:
    """Rows cut short or too long, a cut last line, and a layout of another width."""
    expected = len(layout.columns) + 1
    is_data = pl.col(TYPE_COLUMN).is_in(layout.record_types)
    if not end.has_line_break:  # the last line is judged alone, in _end_findings
        is_data = is_data & (pl.col(ROW_COLUMN) != pl.col(ROW_COLUMN).last())
    data = queries.grid.filter(is_data).select(ROW_COLUMN, FIELDS_COLUMN)
    ends = queries.add(queries.grid.select(ROW_COLUMN, TYPE_COLUMN, FIELDS_COLUMN).tail(1))
    # The width most data rows have (the larger one on a tie), and the rows without it.
    usual = pl.col(FIELDS_COLUMN).mode().max().alias("_width")
    widths = queries.add(data.select(usual))
    odd = data.with_columns(usual).filter(pl.col(FIELDS_COLUMN) != pl.col("_width"))
    listed = queries.add(odd.select(ROW_COLUMN, FIELDS_COLUMN).head(MAX_REPORTED))

    def findings() -> list[Finding]:
        last = ends().row(0) if ends().height else None
        width = widths().item() if widths().height else None
        if width is None:
            return _end_findings(name, last, expected, end)
        found = [
            malformed(name, row, _width_reason(fields, width))
            for row, fields in listed().iter_rows()
        ]
        found += _end_findings(name, last, width, end)
        if width != expected:
            found.append(_layout_width(name, layout, width, expected))
        return found

    return findings


def _width_reason(fields: int, width: int) -> str:
    if fields < width:
        cause = "it was cut short or damaged, and its last values would be read as empty"
    else:
        cause = "a value may hold an unquoted comma, which shifts the values after it"
    return f"the row has {fields} fields where the file's other rows have {width}: {cause}"


def _end_findings(
    name: str, last: tuple[int, str | None, int] | None, width: int, end: FileEnd
) -> list[Finding]:
    """The last line, when the file does not end with a line break: cut, or complete."""
    if last is None or end.has_line_break:
        return []
    row, record, fields = last
    needed = HEADER_FIELDS.get(record or "", width)
    if fields < needed or end.last_line.count('"') % 2:
        reason = "the file ends in the middle of this line: the download was cut short"
        return [malformed(name, row, reason)]
    return [finding("PAE012", file=name, row=row)]


def _layout_width(name: str, layout: Layout, width: int, expected: int) -> Finding:
    """PAE011: the file's rows are wider or narrower than the layout this version reads."""
    if width > expected:
        effect = f"the last {width - expected} cell(s) of each row are ignored"
    else:
        effect = f"the last {expected - width} column(s) of the layout are read as empty"
    return finding(
        "PAE011",
        file=name,
        extract=layout.extract,
        version=layout.version,
        found=width,
        expected=expected,
        effect=effect,
    )


def _cells(grid: pl.DataFrame) -> list[str]:
    return [c for c in grid.columns if c.startswith("c") and c[1:].isdigit()]


def malformed(name: str, row: int, reason: str) -> Finding:
    """PAE005: one line of an extract that cannot be read as it is."""
    return finding("PAE005", file=name, row=row, reason=reason)
