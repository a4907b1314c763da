"""Low-level PAE CSV handling: bytes to a grid of text cells, text cells to typed columns, back.

The extracts are line-oriented CSV (every line one record, first cell its record type). A
board-wide 0003 has ~150,000 lines, so the grid is parsed by polars in one call. When polars
refuses a file (a stray quote, text after a closing quote, a line break inside a cell), the
lines that are plain CSV still go through polars and only the odd ones through Python's
lenient csv module, line by line: a damaged line costs a finding, not the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import polars as pl

from onsis_batch.pae.layout import FORMATS, LIST_SEPARATOR, RECORD_COLUMN, ROW_COLUMN, Layout
from onsis_batch.queries import IN_MEMORY

PAD = " \t"  # padding trimmed around every cell; some files pad fixed-width style
DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d")  # the Ministry writes YYYY/MM/DD; ISO is tolerated
FLAG_VALUES = {"T": True, "Y": True, "F": False, "N": False}
_DECIMAL = r"^[+-]?(\d+\.?\d*|\.\d+)$"  # plain notation only: no exponent, NaN or inf
_INTEGER = r"^[+-]?\d+$"
_CELL = r'(?:"(?:[^"]|"")*"|[^",]*)'
_PLAIN_LINE = rf"^{_CELL}(?:,{_CELL})*$"  # RFC 4180 cells only: safe to hand to polars
_QUOTED = r'"[^"]*"'  # in a plain line, a quoted cell ("" inside counts as two cells here)
_UNSPLITTABLE = re.compile(r"[\x00\r]")
FIELDS_COLUMN = "_fields"  # number of cells the line really has (the grid pads or cuts)
_DECIMAL_PLACES = 4  # ADE has up to four places; more would only be float noise


def _undefined_as_latin1(error: UnicodeError) -> tuple[str, int]:
    # The five bytes windows-1252 leaves undefined map to the same code point, as browsers do,
    # so an odd byte never makes a whole extract unreadable.
    if not isinstance(error, UnicodeDecodeError):  # the handler only ever decodes
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("onsis-pae-cp1252", _undefined_as_latin1)


@dataclass(frozen=True)
class Decoded:
    """An extract's text and the encoding it was read with."""

    text: str
    encoding: str  # "windows-1252" (the Ministry's) or "UTF-8"


def decode(data: bytes) -> Decoded:
    """Extract bytes to text: UTF-8 when the bytes are valid UTF-8 (`_as_utf8`), else
    windows-1252.

    The Ministry writes windows-1252, but an extract opened and saved by an editor may come
    back as UTF-8, with or without a byte-order mark (removed). Read as windows-1252, every
    accent would turn into two letters and garbled codes would be sent back to OnSIS; bytes
    of windows-1252 accents are almost never valid UTF-8, so validity decides.
    """
    body = data.removeprefix(codecs.BOM_UTF8)
    text = _as_utf8(body)
    if text is None:
        return Decoded(body.decode("cp1252", errors="onsis-pae-cp1252"), "windows-1252")
    if body is data and text.isascii():
        return Decoded(text, "windows-1252")  # the same text either way: nothing to say
    return Decoded(text, "UTF-8")


def _as_utf8(data: bytes) -> str | None:
    """The text of UTF-8 bytes that an extract re-saved as UTF-8 could hold; else None.

    An extract only holds characters windows-1252 has, so valid UTF-8 that decodes to
    others (U+0820 from the windows-1252 bytes of "à" and two no-break spaces) is not one.
    """
    try:
        text = data.decode("utf-8")
        text.encode("cp1252")
    except UnicodeError:
        return None
    return text


def cell_name(index: int) -> str:
    """Name of grid column `index` (0 = record type)."""
    return f"c{index}"


@cache
def clean(name: str) -> pl.Expr:
    """A grid cell trimmed of padding, with empty cells as null (built once per name: its
    literals cost ~0.3 ms to build, and a file cleans every cell several times)."""
    return pl.col(name).str.strip_chars(PAD).replace("", None).alias(name)


def split_line(line: str) -> list[str]:
    """Cells of one line by Python's lenient csv rules (tolerates spaces around quotes).

    Characters the csv module refuses (NUL, a carriage return inside the line) are read as
    spaces: such a line is reported as damaged (`damaged_lines`), never parsed as data.
    """
    return next(csv.reader([_UNSPLITTABLE.sub(" ", line)], skipinitialspace=True), [])


def read_grid(text: str, width: int) -> pl.DataFrame:
    """Every line of `text` as `_row` (line number), `_fields` (its number of cells) and
    cells c0..c{width-1}, all raw strings.

    Short lines get empty cells, extra cells are dropped (`_fields` keeps the count, so a
    cut line can be told from a complete one); blank lines may be left out. When every line
    is plain CSV the whole text goes to polars in one call; otherwise the plain lines still
    go to polars and only the others are split one by one.
    """
    lines = _lines_of(text)
    grid = _grid_polars(text, width) if lines.get_column("plain").all() else None
    if grid is None:
        return _grid_by_line(lines, width)
    fields = _plain_fields(lines)
    rows = pl.int_range(1, grid.height + 1, dtype=pl.Int64, eager=True).alias(ROW_COLUMN)
    return grid.insert_column(0, rows).insert_column(1, fields)


def _lines_of(text: str) -> pl.DataFrame:
    """`_row`, `line` (without its CR) and `plain` (plain CSV) of every line, and the
    counts `_plain_fields` needs; a final line break ends no line."""
    body = text[:-1] if text.endswith("\n") else text
    line = pl.col("line")
    # One polars call: each costs more than splitting a small file (D1024).
    return (
        pl.LazyFrame({"line": [body]})
        .select(line.str.split("\n").explode().str.strip_suffix("\r"))
        .with_row_index(ROW_COLUMN, offset=1)
        .with_columns(
            pl.col(ROW_COLUMN).cast(pl.Int64),
            line.str.contains(_PLAIN_LINE).alias("plain"),
            line.str.count_matches(",", literal=True).alias("_commas"),
            line.str.count_matches('","', literal=True).alias("_quoted_commas"),
        )
        .collect(engine=IN_MEMORY)
    )


def _plain_fields(lines: pl.DataFrame) -> pl.Series:
    """Number of cells of each plain CSV line: its commas outside quoted cells, plus one.

    In a file quoted as the Ministry writes it every comma sits between two quotes; only
    the other lines get the slower count that skips the commas inside quoted cells.
    """
    commas = lines.get_column("_commas")
    odd = commas != lines.get_column("_quoted_commas")
    fields = (commas + 1).cast(pl.Int64).alias(FIELDS_COLUMN)
    if not odd.any():
        return fields
    outside = (
        lines.get_column("line")
        .filter(odd)
        .str.replace_all(_QUOTED, "")
        .str.count_matches(",", literal=True)
    )
    return fields.scatter(odd.arg_true(), (outside + 1).cast(pl.Int64))


def _grid_polars(text: str, width: int) -> pl.DataFrame | None:
    """Cells of every line, blank ones included so row N is line N; None if that fails."""
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    try:
        grid = pl.read_csv(
            text.encode("utf-8"),
            has_header=False,
            schema={cell_name(i): pl.Utf8 for i in range(width)},
            truncate_ragged_lines=True,
            missing_columns="insert",
            extra_columns="ignore",
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:  # e.g. a stray quote or text after a closing quote
        return None
    return grid if grid.height == lines else None  # a quoted cell spanned lines


def _grid_by_line(lines: pl.DataFrame, width: int) -> pl.DataFrame:
    """Cells of the non-blank lines, each odd line parsed on its own so row numbers stay."""
    lines = lines.filter(pl.col("line").str.strip_chars(PAD) != "")
    good, odd = lines.filter(pl.col("plain")), lines.filter(~pl.col("plain"))
    grid = _grid_polars("\n".join(good.get_column("line").to_list()), width)
    if grid is None:  # not expected for plain lines, but never lose the file over it
        good, odd, grid = good.clear(), lines, None
    parts = []
    if grid is not None:
        numbers = pl.DataFrame([good.get_column(ROW_COLUMN), _plain_fields(good)])
        parts.append(pl.concat([numbers, grid], how="horizontal"))
    split = [split_line(line) for line in odd.get_column("line")]
    cells = [[*line, *[""] * width][:width] for line in split]
    schema = {cell_name(i): pl.Utf8 for i in range(width)}
    odd_grid = pl.DataFrame(cells, schema=schema, orient="row")
    counts = pl.Series(FIELDS_COLUMN, [len(line) for line in split], dtype=pl.Int64)
    parts.append(odd_grid.insert_column(0, odd.get_column(ROW_COLUMN)).insert_column(1, counts))
    return pl.concat(parts).sort(ROW_COLUMN)


@dataclass(frozen=True)
class BadValue:
    """A PAE cell that is not of its column's type: line, column, the text and the type."""

    row: int
    column: str
    value: str
    type: str


def split_lists(
    frame: pl.DataFrame, layout: Layout, max_reported: int
) -> tuple[pl.DataFrame, list[BadValue]]:
    """One row per value of the layout's list column ("GUI,LIB" -> GUI, LIB), each keeping
    its line number; the cells holding an empty value ("GUI,,LIB") are returned.

    An empty value is left out; a cell with no value at all stays one row with none, so the
    record it belongs to is kept.
    """
    column = layout.list_column
    if column is None or frame.is_empty():
        return frame, []
    name, cell = column.name, pl.col(column.name)
    values = cell.str.split(LIST_SEPARATOR).list.eval(
        pl.element().str.strip_chars(PAD).replace("", None)
    )
    emptied = frame.filter(values.list.eval(pl.element().is_null()).list.any().fill_null(False))
    bad = [
        BadValue(row, name, text, "list")
        for row, text in emptied.head(max_reported).select(ROW_COLUMN, name).iter_rows()
    ]
    kept = values.list.drop_nulls()
    split = frame.with_columns(
        pl.when(kept.list.len() > 0).then(kept).otherwise(pl.lit([None], pl.List(pl.Utf8)))
    ).explode(name)
    return split, bad


def _typed(name: str, type_: str) -> pl.Expr:
    """Expression turning a cleaned text column into the layout type (null when invalid)."""
    col = pl.col(name)
    if type_ == "date":
        return pl.coalesce([col.str.strptime(pl.Date, fmt, strict=False) for fmt in DATE_FORMATS])
    if type_ == "flag":
        return col.str.to_uppercase().replace_strict(
            FLAG_VALUES, default=None, return_dtype=pl.Boolean
        )
    if type_ == "decimal":
        return pl.when(col.str.contains(_DECIMAL)).then(col.cast(pl.Float64, strict=False))
    if type_ == "integer":
        return pl.when(col.str.contains(_INTEGER)).then(col.cast(pl.Int64, strict=False))
    return col


def to_typed(
    frame: pl.DataFrame, layout: Layout, max_reported: int
) -> tuple[pl.DataFrame, list[BadValue]]:
    """Type the cleaned text columns of `frame`; invalid values become null and are returned.

    At most `max_reported` bad values are returned per column: a file saved through a
    spreadsheet can spoil every date, and a hundred thousand findings help nobody.
    """
    checked = [c for c in layout.columns if c.type != "text"]
    typed = frame.with_columns(_typed(c.name, c.type).alias(c.name) for c in checked)
    bad: list[BadValue] = []
    for column in checked:
        raw, value = frame.get_column(column.name), typed.get_column(column.name)
        if raw.null_count() == value.null_count():  # nothing failed: the common case, cheap
            continue
        rows = frame.filter(raw.is_not_null() & value.is_null()).head(max_reported)
        bad.extend(
            BadValue(row, column.name, text, column.type)
            for row, text in rows.select(ROW_COLUMN, column.name).iter_rows()
        )
    return typed, bad


def misformatted(frame: pl.DataFrame, layout: Layout, max_reported: int) -> list[BadValue]:
    """Values of the layout's identifier columns that do not have their declared format
    (at most `max_reported` per column); `type` says what was expected, and the value is
    left out ("") when the format is personal."""
    columns = [c for c in layout.columns if c.format is not None]
    queries = []
    for column in columns:
        form = FORMATS[column.format or ""]
        cell = pl.col(column.name)
        shown = pl.lit("") if form.personal else cell
        wrong = cell.is_not_null() & ~cell.str.contains(f"^(?:{form.pattern})$")
        queries.append(frame.lazy().filter(wrong).head(max_reported).select(ROW_COLUMN, shown))
    found = pl.collect_all(queries, engine=IN_MEMORY) if queries else []
    return [
        BadValue(row, column.name, text, FORMATS[column.format or ""].expected)
        for column, rows in zip(columns, found, strict=True)
        for row, text in rows.iter_rows()
    ]


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """Expression writing a frame column the way the Ministry does."""
    col = pl.col(name)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return col.dt.strftime("%Y/%m/%d")
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("T")).when(~col).then(pl.lit("F"))
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        # Fixed notation with 2 to 4 places: 1.00, 0.50, 0.1234 (never 1e-07 or 0.30000000004).
        fixed = col.cast(pl.Float64).round(_DECIMAL_PLACES).cast(pl.Decimal(38, _DECIMAL_PLACES))
        return fixed.cast(pl.Utf8).str.replace(r"(\.\d{2}\d*?)0+$", "${1}")
    return col.cast(pl.Utf8)


def quoted(cells: Sequence[str]) -> str:
    """One CSV line with every cell double-quoted, as the Ministry writes extracts."""
    if any("\n" in cell or "\r" in cell for cell in cells):
        raise ValueError("a PAE value cannot contain a line break: extracts are one record a line")
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)


def to_lines(frame: pl.DataFrame, layout: Layout) -> list[str]:
    """Data lines for `frame`: record type then the layout's columns, every cell quoted.

    Columns the frame lacks are written empty. Text with a line break is refused: extracts
    are one record per line, so such a file could not be read back.
    """
    # A column, not a literal, so the result has one line per frame row even with no data.
    record = pl.repeat(layout.record_types[0], pl.len(), dtype=pl.Utf8)
    if layout.keeps_record_type and RECORD_COLUMN in frame.columns:
        record = pl.col(RECORD_COLUMN).fill_null(layout.record_types[0])
    cells = [record]
    for column in layout.columns:
        if column.name in frame.columns:
            cells.append(_as_text(column.name, frame.schema[column.name]))
        else:
            cells.append(pl.lit(None, pl.Utf8))
    quote = pl.lit('"')
    escaped = [
        pl.concat_str([quote, c.fill_null("").str.replace_all('"', '""', literal=True), quote])
        for c in cells
    ]
    lines = frame.select(pl.concat_str(escaped, separator=",").alias("line")).get_column("line")
    if lines.str.contains("[\r\n]").any():
        raise ValueError(f"extract {layout.extract}: a value contains a line break")
    return lines.to_list()
