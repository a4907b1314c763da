"""CSV records that do not have the header's shape: too few fields, or a quote never closed.

polars pads a record with too few fields with empty values, and a quote that is never
closed turns the rest of the file into one value (a slice of the scan after it is simply
empty), so neither shows in the parsed rows. This check reads the file's lines on their
own: a line without quotes has its commas plus one fields, which is all a clean export
needs. Lines with quotes are counted without the commas inside quoted cells; when a line
holds an odd number of quotes (a line break inside a quoted cell, or a broken quote), the
file is read once more with Python's strict csv reader instead, record by record.

Rows are numbered as the loader numbers them: the header is row 1 and every record (a
blank line too) is one row, however many lines it spans.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from onsis_batch.queries import IN_MEMORY, format_text

SHORT = "SRC016"
_QUOTED = r'"[^"]*"'


def record_problems(path: Path, width: int, separator: str = ",") -> pl.DataFrame:
    """`_row` and `problem` of the records of `path` that do not have `width` fields
    (cells separated by `separator`).

    Records with more fields are left to the parser, which refuses the file (SRC008).
    """
    lines = _lines(path)
    if lines is None:
        return _strict_problems(path, width, separator)
    blank = f"[^{re.escape(separator)}\\s]"
    short = lines.with_columns(_fields(separator)).filter(
        (pl.col("fields") < width) & pl.col("line").str.contains(blank)
    )
    problem = format_text(_few(width), pl.col("fields"))
    # Both in one polars call; the short records are wasted work only when a quote is odd.
    odd, rows = pl.collect_all(
        [
            lines.select((pl.col("quotes") % 2 == 1).any()),
            short.select("_row", problem.alias("problem")),
        ],
        engine=IN_MEMORY,
    )
    return _strict_problems(path, width, separator) if odd.item() else rows


def _lines(path: Path) -> pl.LazyFrame | None:
    """`_row`, `line` and `quotes` (the quote count) of every line; None when polars can't."""
    try:
        frame = pl.read_csv(
            path,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            schema={"line": pl.String},
            null_values=None,
        )
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
        return None  # e.g. a unit separator inside a value: the strict reader decides
    return (
        frame.lazy()
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64), pl.col("line").fill_null(""))
        .with_columns(pl.col("line").str.count_matches('"', literal=True).alias("quotes"))
        .filter(pl.col("_row") > 1)
    )


def _fields(separator: str) -> pl.Expr:
    """Fields of each line: its separators outside quoted cells, plus one."""
    line = pl.col("line")
    outside = pl.when(pl.col("quotes") > 0).then(line.str.replace_all(_QUOTED, "")).otherwise(line)
    return (outside.str.count_matches(separator, literal=True) + 1).alias("fields")


def _strict_problems(path: Path, width: int, separator: str) -> pl.DataFrame:
    """The same check with the csv module, which follows quoted cells across lines."""
    rows: list[tuple[int, str]] = []
    row = 1  # the last record read: the header is row 1
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True, delimiter=separator)
            next(reader, None)
            for record in reader:
                row += 1
                if len(record) < width and any(cell.strip() for cell in record):
                    rows.append((row, _few(width).replace("{}", str(len(record)))))
    except csv.Error:
        rows.append((row + 1, _UNCLOSED))
    except (OSError, UnicodeDecodeError):
        pass  # the parser reports an unreadable file (SRC008)
    return pl.DataFrame(rows, schema={"_row": pl.Int64, "problem": pl.String}, orient="row")


def _few(width: int) -> str:
    return f"has {{}} fields where the header has {width}: the row was cut short or lost values"


_UNCLOSED = (
    "holds a quote that is never closed (or a misplaced quote), so the rest of the file "
    "would be read as one value"
)
