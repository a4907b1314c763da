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
from dataclasses import dataclass

import polars as pl

from onsis_batch.findings import Finding, finding
from onsis_batch.pae.grid import FIELDS_COLUMN, cell_name, clean
from onsis_batch.pae.layout import ROW_COLUMN, Layout
from onsis_batch.sources.issues import without_oens

MAX_REPORTED = 100  # per file, finding code and column: past that, more of the same adds nothing
TYPE_COLUMN = "_rt"  # working columns of the grid: record type, school block number
BLOCK_COLUMN = "_block"
HEADER_FIELDS = {"H1": 5, "H2": 2}  # cells a header needs: H1 up to the period, H2 the BSID
_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\r]"  # binary junk, or a CR that ends no line
_BSID = r"[0-9]{6}"


@dataclass(frozen=True)
class FileEnd:
    """How the file's text ends: whether with a line break, and its last line's text."""

    has_line_break: bool
    last_line: str


def with_blocks(grid: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """The grid with its record type and school block number.

    Each H2 opens a block; so does an unreadable line that may have been a school header
    (no record type, or an unknown one with an H in it), so that the rows after a damaged
    H2 are never given to the previous school. They belong to no school and are reported.
    """
    grid = grid.with_columns(clean(cell_name(0)).str.to_uppercase().alias(TYPE_COLUMN))
    header_like = pl.col(TYPE_COLUMN).is_null() | pl.col(TYPE_COLUMN).str.contains("H")
    opens = (pl.col(TYPE_COLUMN) == "H2") | (_unplaced(grid, layout) & header_like)
    return grid.with_columns(opens.fill_null(False).cum_sum().alias(BLOCK_COLUMN))


def structure_findings(
    name: str, grid: pl.DataFrame, layout: Layout, end: FileEnd
) -> list[Finding]:
    """Every structural problem of one file's grid (see the module docstring)."""
    return [
        *_unplaced_findings(name, grid, layout),
        *_header_findings(name, grid, layout),
        *_damaged_findings(name, grid),
        *_width_findings(name, grid, layout, end),
    ]


def _unplaced(grid: pl.DataFrame, layout: Layout) -> pl.Expr:
    """Non-blank lines with a record type that is not H1, H2 or the layout's, or none."""
    known = ["H1", "H2", *layout.record_types]
    untyped = grid.filter(pl.col(TYPE_COLUMN).is_null())  # mostly blank lines: few rows
    filled = pl.any_horizontal(clean(c).is_not_null() for c in _cells(grid))
    nameless = untyped.filter(filled).get_column(ROW_COLUMN).implode()
    unknown = pl.col(TYPE_COLUMN).is_not_null() & ~pl.col(TYPE_COLUMN).is_in(known)
    return unknown | pl.col(ROW_COLUMN).is_in(nameless)


def _unplaced_findings(name: str, grid: pl.DataFrame, layout: Layout) -> list[Finding]:
    """Unknown record types and lines without one, and the data rows they leave homeless."""
    findings = []
    expected = ", ".join(["H1", "H2", *layout.record_types])
    unplaced = grid.filter(_unplaced(grid, layout)).select(ROW_COLUMN, TYPE_COLUMN, BLOCK_COLUMN)
    for row, record, _ in unplaced.head(MAX_REPORTED).iter_rows():
        reason = "the line has no record type"
        if record is not None:
            reason = f"record type '{without_oens(record)}' is not one of {expected}"
        findings.append(malformed(name, row, reason))
    data = grid.filter(pl.col(TYPE_COLUMN).is_in(layout.record_types))
    openers = unplaced.select(BLOCK_COLUMN, pl.col(ROW_COLUMN).alias("_after"))
    openers = openers.unique(BLOCK_COLUMN, keep="first", maintain_order=True)
    heads = grid.filter(pl.col(TYPE_COLUMN) == "H2").get_column(BLOCK_COLUMN).implode()
    openers = openers.filter(~pl.col(BLOCK_COLUMN).is_in(heads) & (pl.col(BLOCK_COLUMN) > 0))
    homeless = data.join(openers, on=BLOCK_COLUMN)
    groups = homeless.group_by("_after", maintain_order=True).agg(pl.col(ROW_COLUMN))
    for after, rows in groups.rows():
        reason = f"{len(rows)} data row(s) follow the unreadable line {after}: no school's"
        findings.append(malformed(name, rows[0], reason))
    return findings


def _header_findings(name: str, grid: pl.DataFrame, layout: Layout) -> list[Finding]:
    """A second H1, data rows before the first H2, H2 headers without a proper BSID."""
    findings = []
    extra_h1 = grid.filter(pl.col(TYPE_COLUMN) == "H1").get_column(ROW_COLUMN).to_list()[1:]
    for row in extra_h1[:MAX_REPORTED]:
        findings.append(malformed(name, row, "a second H1 header"))
    data = pl.col(TYPE_COLUMN).is_in(layout.record_types)
    orphans = grid.filter(data & (pl.col(BLOCK_COLUMN) == 0))
    if orphans.height:
        first = orphans.get_column(ROW_COLUMN)[0]
        reason = f"{orphans.height} data row(s) come before the first H2 school header"
        findings.append(malformed(name, first, reason))
    heads = grid.filter(pl.col(TYPE_COLUMN) == "H2").select(ROW_COLUMN, clean(cell_name(1)))
    for row, bsid in heads.head(MAX_REPORTED * 10).iter_rows():
        if bsid is None:
            findings.append(malformed(name, row, "an H2 school header without a BSID"))
        elif not re.fullmatch(_BSID, bsid):
            reason = f"the H2 school header's BSID '{without_oens(bsid)}' is not six digits"
            findings.append(malformed(name, row, reason))
    return findings


def _damaged_findings(name: str, grid: pl.DataFrame) -> list[Finding]:
    """Lines holding control characters: binary data, or a CR that ends no line."""
    junk = pl.any_horizontal(pl.col(c).str.contains(_CONTROL) for c in _cells(grid))
    rows = grid.filter(junk).get_column(ROW_COLUMN).head(MAX_REPORTED)
    reason = "the line holds control characters (binary data or a stray carriage return)"
    return [malformed(name, row, reason) for row in rows]


def _width_findings(name: str, grid: pl.DataFrame, layout: Layout, end: FileEnd) -> list[Finding]:
    """Rows cut short or too long, a cut last line, and a layout of another width."""
    expected = len(layout.columns) + 1
    data = grid.filter(pl.col(TYPE_COLUMN).is_in(layout.record_types))
    ends = grid.select(ROW_COLUMN, TYPE_COLUMN, FIELDS_COLUMN).tail(1)
    last = ends.row(0) if ends.height else None
    if last is not None and not end.has_line_break:
        data = data.filter(pl.col(ROW_COLUMN) != last[0])  # judged alone, in _end_findings
    if data.is_empty():
        return _end_findings(name, last, expected, end)
    width = _usual_width(data)
    odd = data.filter(pl.col(FIELDS_COLUMN) != width).select(ROW_COLUMN, FIELDS_COLUMN)
    findings = [
        malformed(name, row, _width_reason(fields, width))
        for row, fields in odd.head(MAX_REPORTED).iter_rows()
    ]
    findings += _end_findings(name, last, width, end)
    if width != expected:
        findings.append(_layout_width(name, layout, width, expected))
    return findings


def _usual_width(data: pl.DataFrame) -> int:
    """The number of cells most data rows have (the larger one on a tie)."""
    counts = data.get_column(FIELDS_COLUMN).value_counts(name="n")
    return int(counts.sort(["n", FIELDS_COLUMN], descending=True).item(0, FIELDS_COLUMN))


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
