"""PAE extract layouts: the column list of every Pending Area Extract, read from YAML.

Each `pae_layouts/NNNN.yaml` names an extract, the H1 file type that identifies it and its
data columns in file order. Layouts are data so that supporting a new extract, or a column the
Ministry appends next year, is a YAML change. They are validated on load: a typo in a key or a
type is reported with the file and key path instead of silently mis-reading every file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import SpecError, YamlError, read_checked, record_keys

COLUMN_TYPES: dict[str, pl.DataType] = {
    "text": pl.Utf8(),
    "date": pl.Date(),
    "decimal": pl.Float64(),
    "integer": pl.Int64(),
    "flag": pl.Boolean(),
}
HEADER_RECORDS = ("H1", "H2")
ROW_COLUMN = "_row"  # 1-based line number of the row in its file, for findings downstream
RECORD_COLUMN = "_record_type"  # only for layouts with several data record types (e.g. 0029)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class ValueFormat:
    """What an identifier column must look like: a spreadsheet that opened the file turns
    an OEN into `9.90524E+08` or drops its leading zero, and the row then silently stops
    matching the school data."""

    pattern: str  # the whole trimmed value must match
    expected: str  # what the message says the value should be
    personal: bool  # the value is never quoted in a finding


FORMATS = {  # the `format` a layout column may declare
    "oen": ValueFormat(r"[0-9]{9}", "an OEN of nine digits", personal=True),
    "men": ValueFormat(r"[0-9]{9}", "a MEN of nine digits", personal=True),
    "class_code": ValueFormat(
        r"[^\s+]{1,25}", "a class code of 1 to 25 characters without spaces", personal=False
    ),
}
_EXTRACT = re.compile(r"^\d{4}$")
_ELEMENT = re.compile(r"^[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*$")  # SEGMENT.ELEMENT
LIST_SEPARATOR = ","  # between the values of a list cell, e.g. "GUI,LIB"


@dataclass(frozen=True)
class LayoutColumn:
    """One data column of an extract layout: its name and type."""

    name: str
    type: str  # one of COLUMN_TYPES
    format: str | None = None  # one of FORMATS: values must have that form
    list: bool = False  # one cell holds several values ("GUI,LIB"): read as one row each
    element: tuple[str, ...] = ()  # "SEGMENT.ELEMENT"s it holds, when the names differ

    @property
    def dtype(self) -> pl.DataType:
        """The polars type of the column once read."""
        return COLUMN_TYPES[self.type]


@dataclass(frozen=True)
class Layout:
    """The layout of one PAE extract: how its file is recognised and its columns."""

    extract: str  # "0003"
    file_type: str  # H1 column 2, trimmed and upper-cased
    record_types: tuple[str, ...]  # data record types, usually ("DT",)
    key: tuple[str, ...]  # columns that identify a row when matching against SIS data
    columns: tuple[LayoutColumn, ...]  # data columns in file order, after the record type
    version: str = "1"  # the H1 layout version these columns describe

    @property
    def keeps_record_type(self) -> bool:
        """Several data record types (0029's D1/D2/D3) carry meaning, so rows keep theirs."""
        return len(self.record_types) > 1

    @property
    def list_column(self) -> LayoutColumn | None:
        """The column whose cells hold comma-separated lists, if the extract has one."""
        return next((c for c in self.columns if c.list), None)

    def columns_of(self, segment: str, element: str) -> list[str]:
        """The columns holding `element` of `segment`: those mapped to it by `element`,
        else the column of the element's name in lower case (D702)."""
        mapped = [c.name for c in self.columns if f"{segment}.{element}" in c.element]
        if mapped:
            return mapped
        named = element.lower()
        return [c.name for c in self.columns if c.name == named and not c.element]

    def schema(self) -> dict[str, pl.DataType]:
        """Column name -> dtype of the frames read for this extract."""
        schema: dict[str, pl.DataType] = {ROW_COLUMN: pl.Int64()}
        if self.keeps_record_type:
            schema[RECORD_COLUMN] = pl.Utf8()
        schema.update({c.name: c.dtype for c in self.columns})
        return schema


_LAYOUT_KEYS = record_keys(Layout, columns=[record_keys(LayoutColumn)])


def _column(raw: Any, where: str) -> LayoutColumn:
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: a column must be a mapping with a name and a type")
    name, type_ = raw.get("name"), raw.get("type")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SpecError(f"{where}.name: {name!r} is not a snake_case name")
    if type_ not in COLUMN_TYPES:
        raise SpecError(f"{where}.type: {type_!r} is not one of {sorted(COLUMN_TYPES)}")
    value_format = raw.get("format")
    if value_format is not None and (value_format not in FORMATS or type_ != "text"):
        raise SpecError(f"{where}.format: a text column's format is one of {sorted(FORMATS)}")
    is_list = raw.get("list", False)
    if not isinstance(is_list, bool):
        raise SpecError(f"{where}.list: must be true or false")
    element = raw.get("element", [])
    elements = [element] if isinstance(element, str) else element
    if not isinstance(elements, list) or not all(
        isinstance(e, str) and _ELEMENT.match(e) for e in elements
    ):
        raise SpecError(f"{where}.element: {element!r} is not SEGMENT.ELEMENT, e.g. SALEP.TYPE")
    return LayoutColumn(name, type_, value_format, is_list, tuple(elements))


def _string_list(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        raise SpecError(f"{where}: must be a non-empty list of strings")
    return tuple(raw)


def load_layout_file(path: Path) -> Layout:
    """Read and validate one layout file; SpecError naming the file and key path."""
    return read_checked(path, _LAYOUT_KEYS, lambda raw: _layout(raw, path.stem))


def _layout(raw: Any, stem: str) -> Layout:
    if not isinstance(raw, dict):
        raise SpecError("(top): must be a mapping")
    extract = str(raw.get("extract", ""))
    if not _EXTRACT.match(extract) or extract != stem:
        raise SpecError(f"extract: {extract!r} must be four digits matching the file name")
    file_type = raw.get("file_type")
    if not isinstance(file_type, str) or not file_type.strip():
        raise SpecError("file_type: must be the H1 file type text")
    record_types = _string_list(raw.get("record_types", ["DT"]), "record_types")
    if any(r.upper() in HEADER_RECORDS or r != r.strip().upper() for r in record_types):
        raise SpecError("record_types: must be upper-case data record types, not H1/H2")
    columns_raw = raw.get("columns")
    if not isinstance(columns_raw, list) or not columns_raw:
        raise SpecError("columns: must be a non-empty list of columns")
    columns = tuple(_column(c, f"columns[{i}]") for i, c in enumerate(columns_raw))
    names = [c.name for c in columns]
    if len(set(names)) != len(names) or {ROW_COLUMN, RECORD_COLUMN} & set(names):
        raise SpecError("columns: a column name is repeated or reserved")
    if sum(c.list for c in columns) > 1:  # two lists in a row would pair values by chance
        raise SpecError("columns: at most one column may be a list")
    key = _string_list(raw.get("key"), "key")
    if any(k not in names for k in key):
        raise SpecError("key: every key must be one of the columns")
    version = raw.get("version", "1")
    if not isinstance(version, str | int) or not str(version).strip():
        raise SpecError("version: must be the layout version the H1 header gives, e.g. '1'")
    return Layout(extract, file_type.strip().upper(), record_types, key, columns, str(version))


@cache
def load_layouts(folder: Path | None = None) -> dict[str, Layout]:
    """Every layout of a folder (default: the bundled `pae_layouts/`), keyed by extract number."""
    folder = folder or package_file("pae", "layouts")
    layouts: dict[str, Layout] = {}
    file_types: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        layout = load_layout_file(path)
        if layout.file_type in file_types:
            already = f"file_type: {layout.file_type!r} is already extract "
            raise YamlError(path, already + file_types[layout.file_type])
        file_types[layout.file_type] = layout.extract
        layouts[layout.extract] = layout
    return layouts


def layout_for_file_type(file_type: str, folder: Path | None = None) -> Layout | None:
    """The layout whose file type matches H1 column 2 (trimmed, case-insensitive), if any."""
    wanted = file_type.strip().upper()
    return next((lay for lay in load_layouts(folder).values() if lay.file_type == wanted), None)


def empty_frame(extract: str) -> pl.DataFrame:
    """A typed frame with no rows, so callers can treat an absent extract like an empty one."""
    return pl.DataFrame(schema=load_layouts()[extract].schema())
