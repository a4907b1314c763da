"""Damage for the property campaign: what real files suffer on their way to the tool.

Byte damage (a cut, junk bytes, lone carriage returns, a stray quote, a lost or doubled
line, an Excel-mangled number, re-encoding...), cell damage (one value replaced by a
hostile one: empty, huge, a formula, a NUL, an impossible date, nine digits...), shape
damage (a column lost, renamed, doubled or moved; a record cut short or too long) and
folder damage (the file gone, a folder in its place, a Parquet twin, a symbolic link).

Each damage is a hypothesis strategy drawing a `Damage`: a label (for the failure
report) and a function applied to the file's path.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from hypothesis import strategies as st

HOSTILE_VALUES = [
    "", " ", "NULL", "N/A", "=HYPERLINK(\"http://x\")", "-1", "0", "1e309", "9" * 25,
    "2025-02-30", "30/02/2025", "2025/13/01", "9999-12-31", "0001-01-01", "\x00", "\ufeff",
    "é", "\U0001f600", "x" * 300, '"', "\t", "\r", "\n", "987654321", "12345678",
    "1234567890", "true", "yes", "Y", " 09 ", "09.0", "1,5", "NaN", "inf", "-0", "0x1F",
    "<a>", "&amp;", "${jndi:x}", "\\", "'", "2025-10-31T25:61:00",
]  # fmt: skip


@dataclass(frozen=True)
class Damage:
    """One damage: what it is (shown when a case fails) and how it changes a file."""

    label: str
    apply: Callable[[Path], None]

    def __repr__(self) -> str:
        return self.label


# --- bytes ---------------------------------------------------------------------------------


def _at(data: bytes, where: float) -> int:
    return min(len(data), int(where * len(data)))


def _line_changed(data: bytes, where: float, change: Callable[[bytes], bytes]) -> bytes:
    lines = data.split(b"\n")
    index = min(len(lines) - 1, int(where * len(lines)))
    lines[index] = change(lines[index])
    return b"\n".join(lines)


def _excel(data: bytes) -> bytes:
    match = re.search(rb"\d{9}", data)
    if not match:
        return data
    digits = match.group(0)
    return data[: match.start()] + digits[:1] + b"." + digits[1:6] + b"E+08" + data[match.end() :]


BYTE_DAMAGE: dict[str, Callable[[bytes, float, bytes], bytes]] = {
    "cut": lambda data, where, junk: data[: _at(data, where)],
    "junk": lambda data, where, junk: data[: _at(data, where)] + junk + data[_at(data, where) :],
    "drop": lambda data, where, junk: data[: _at(data, where)] + data[_at(data, where) + 3 :],
    "lone_cr": lambda data, where, junk: data.replace(b"\r\n", b"\r").replace(b"\n", b"\r"),
    "crlf": lambda data, where, junk: data.replace(b"\n", b"\r\n"),
    "quote": lambda data, where, junk: data[: _at(data, where)] + b'"' + data[_at(data, where) :],
    "lost_field": lambda data, where, junk: _line_changed(
        data, where, lambda line: line.rsplit(b",", 1)[0]
    ),
    "padded": lambda data, where, junk: _line_changed(data, where, lambda line: b" " + line),
    "twice": lambda data, where, junk: _line_changed(data, where, lambda line: line + b"\n" + line),
    "blank_lines": lambda data, where, junk: _line_changed(
        data, where, lambda line: line + b"\n\n"
    ),
    "excel": lambda data, where, junk: _excel(data),
    "utf8": lambda data, where, junk: data.decode("cp1252", "replace").encode("utf-8"),
    "cp1252": lambda data, where, junk: data.decode("utf-8", "replace").encode("cp1252", "replace"),
    "utf16": lambda data, where, junk: data.decode("utf-8", "replace").encode("utf-16"),
    "bom": lambda data, where, junk: b"\xef\xbb\xbf" + data,
    "semicolons": lambda data, where, junk: data.replace(b",", b";"),
    "tabs": lambda data, where, junk: data.replace(b",", b"\t"),
    "upper": lambda data, where, junk: data.upper(),
    "empty": lambda data, where, junk: b"",
    "header_only": lambda data, where, junk: data.split(b"\n", 1)[0] + b"\n",
    "nul": lambda data, where, junk: data[: _at(data, where)] + b"\0" + data[_at(data, where) :],
}


@st.composite
def byte_damage(draw: st.DrawFn) -> Damage:
    """Damage to a file's bytes."""
    kind = draw(st.sampled_from(sorted(BYTE_DAMAGE)))
    where = draw(st.floats(0, 1))
    junk = draw(st.binary(min_size=1, max_size=6))

    def apply(path: Path) -> None:
        path.write_bytes(BYTE_DAMAGE[kind](path.read_bytes(), where, junk))

    return Damage(f"{kind}@{where:.3f} {junk!r}", apply)


# --- records: cells and shape --------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a kind of file is written: its encoding and quoting."""

    encoding: str
    quoting: int


SCHOOL_CSV = Style("utf-8", csv.QUOTE_MINIMAL)
PAE_CSV = Style("latin-1", csv.QUOTE_ALL)


def _records(path: Path, style: Style) -> list[list[str]]:
    text = path.read_bytes().decode(style.encoding, "surrogateescape")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _write(path: Path, records: list[list[str]], style: Style) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, quoting=style.quoting, lineterminator="\n").writerows(records)
    path.write_bytes(buffer.getvalue().encode(style.encoding, "replace"))


def _cell(records: list[list[str]], row: float, column: float) -> tuple[int, int] | None:
    if not records:
        return None
    r = min(len(records) - 1, int(row * len(records)))
    if not records[r]:
        return None
    return r, min(len(records[r]) - 1, int(column * len(records[r])))


def _set_cell(records: list[list[str]], row: float, column: float, value: str) -> None:
    spot = _cell(records, row, column)
    if spot:
        records[spot[0]][spot[1]] = value


def _shape(kind: str, records: list[list[str]], row: float, column: float, value: str) -> None:
    spot = _cell(records, row, column)
    if spot is None:
        return
    r, c = spot
    if kind == "drop_column":
        for record in records:
            del record[c : c + 1]
    elif kind == "double_column":
        for record in records:
            record[c:c] = record[c : c + 1]
    elif kind == "move_column":
        for record in records:
            record.append(record.pop(c) if c < len(record) else "")
    elif kind == "short_record":
        del records[r][c]
    elif kind == "long_record":
        records[r].insert(c, value)
    elif kind == "double_record":
        records.insert(r, list(records[r]))
    elif kind == "lost_record":
        del records[r]


SHAPES = [
    "drop_column", "double_column", "move_column", "short_record", "long_record",
    "double_record", "lost_record",
]  # fmt: skip
hostile_values = st.sampled_from(HOSTILE_VALUES) | st.text(max_size=12)


@st.composite
def record_damage(draw: st.DrawFn, style: Style, rows: st.SearchStrategy[float]) -> Damage:
    """Damage to one cell's value, or to the shape of the records (`rows` draws which row,
    as a fraction: PAE tests aim at the data records past the headers)."""
    row, column = draw(rows), draw(st.floats(0, 1))
    value = draw(hostile_values)
    kind = draw(st.sampled_from(["cell", "cell", "cell", *SHAPES]))

    def apply(path: Path) -> None:
        records = _records(path, style)
        if kind == "cell":
            _set_cell(records, row, column, value)
        else:
            _shape(kind, records, row, column, value)
        _write(path, records, style)

    return Damage(f"{kind} row {row:.3f} column {column:.3f} {value!r}", apply)


# --- the file in its folder ----------------------------------------------------------------


def _parquet(path: Path, cast: str) -> None:
    text = path.read_bytes().decode("utf-8", "replace")
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.PolarsError:
        frame = pl.DataFrame({"x": [text]})
    if cast and frame.width:
        name = frame.columns[len(frame.columns) // 2]
        column = pl.col(name)
        casts = {
            "int": column.cast(pl.Int64, strict=False),
            "float": column.cast(pl.Float64, strict=False),
            "bool": column.is_in(["1", "T", "Y", "true"]),
            "date": column.str.to_date(strict=False),
        }
        frame = frame.with_columns(casts[cast])
    frame.write_parquet(path.with_suffix(".parquet"))


def _folder_damage(kind: str, path: Path) -> None:
    outside = path.parent.parent / f"outside-{path.name}"
    if kind == "gone":
        path.unlink()
    elif kind == "folder":
        path.unlink()
        path.mkdir()
    elif kind in ("parquet", "parquet_int", "parquet_float", "parquet_bool", "parquet_date"):
        _parquet(path, kind.removeprefix("parquet").lstrip("_"))
        path.unlink()
    elif kind == "parquet_twin":
        _parquet(path, "")
    elif kind == "parquet_cut":
        _parquet(path, "")
        twin = path.with_suffix(".parquet")
        twin.write_bytes(twin.read_bytes()[:100])
        path.unlink()
    elif kind == "upper_name":
        path.rename(path.with_name(path.name.upper()))
    elif kind == "link_out":
        shutil.move(path, outside)
        path.symlink_to(outside)
    elif kind == "dangling_link":
        path.unlink()
        path.symlink_to(outside)
    elif kind == "copy":
        shutil.copyfile(path, path.with_name(f"copy of {path.name}"))
    elif kind == "empty_twin":
        path.with_name(f"empty {path.name}").write_bytes(b"")
    elif kind == "folder_twin":
        path.with_name(f"folder {path.name}").mkdir()


COMMON = ["gone", "folder", "upper_name", "link_out", "dangling_link", "copy", "empty_twin"]
TABLE_FOLDER = [
    *COMMON, "parquet", "parquet_int", "parquet_float", "parquet_bool", "parquet_date",
    "parquet_twin", "parquet_cut",
]  # fmt: skip
PAE_FOLDER = [*COMMON, "folder_twin"]


def folder_damage(kinds: list[str]) -> st.SearchStrategy[Damage]:
    """Damage to the file as a member of its folder."""
    return st.sampled_from(kinds).map(
        lambda kind: Damage(kind, lambda path: _folder_damage(kind, path))
    )


@st.composite
def damages(
    draw: st.DrawFn, style: Style, rows: st.SearchStrategy[float], folder: list[str]
) -> list[Damage]:
    """One to three damages, applied in turn; damage to the folder only ever comes last."""
    in_file = st.one_of(byte_damage(), record_damage(style, rows))
    first = draw(st.lists(in_file, max_size=2))
    return [*first, draw(st.one_of(in_file, in_file, folder_damage(folder)))]


def apply_all(path: Path, damage: list[Damage]) -> None:
    """Apply each damage to `path` in turn (a file gone stays gone)."""
    for item in damage:
        if path.is_file() and not path.is_symlink():
            item.apply(path)
