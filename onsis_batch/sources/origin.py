"""Where the school data comes from: a folder of files or a database.

A `DataSource` is a small picklable description (a board run sends it to the process that
stages the data); `open()` gives a reader that finds each contract table and opens it as
raw rows for the checks in `sources`. The checks never know which kind they read from.

    data_source("exports/")                      a folder of CSV / Parquet files
    data_source("postgresql://user@host/sis")    one table or view per contract table
    data_source("host=db dbname=sis user=onsis") the same, as a libpq keyword string
    data_source("sis.sqlite"), data_source("duckdb:///sis.duckdb")
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from onsis_batch.contract import Table, contract
from onsis_batch.findings import Finding, finding
from onsis_batch.sources.database import Connection, DbColumn, SqlTable
from onsis_batch.sources.database import read_sql_table as _read_sql_table
from onsis_batch.sources.db_address import Database, parse_database
from onsis_batch.sources.files import RawTable, Unreadable, locate, read_table
from onsis_batch.strict_yaml import YamlError, read_yaml, unknown_keys

Rows = RawTable | SqlTable


class Reader(Protocol):
    """An opened source: where each table is, and its rows."""

    def locate(self, tables: Collection[Table]) -> tuple[dict[str, str], list[Finding]]:
        """Table -> the name findings give it (file or SQL name), for tables that exist."""
        ...

    def read(self, table: Table) -> tuple[Rows | None, list[Finding]]:
        """The raw rows of a located table; None when they cannot be read."""
        ...

    def where(self, name: str) -> Path | str:
        """The file, or the SQL table or view, a located table is read from."""
        ...


@dataclass(frozen=True)
class FolderSource:
    """School data as a folder of CSV or Parquet files."""

    folder: Path
    allow_unknown_columns: bool = False  # SRC021 is a warning, not an error
    shipped_mappings: tuple[tuple[str, str], ...] = ()  # e.g. (("country", "iso3166"),)

    @property
    def label(self) -> str:
        """How findings and logs name the source."""
        return str(self.folder)

    @contextmanager
    def open(self) -> Iterator[Reader]:
        """A reader of the source, open while the block runs."""
        yield _FolderReader(self.folder)


@dataclass(frozen=True)
class DatabaseSource:
    """School data in a database: one table or view per contract table."""

    database: Database
    table_map: Mapping[str, str] = field(default_factory=dict)  # contract table -> SQL name
    allow_unknown_columns: bool = False  # SRC021 is a warning, not an error
    shipped_mappings: tuple[tuple[str, str], ...] = ()  # e.g. (("country", "iso3166"),)

    @property
    def label(self) -> str:
        """How findings and logs name the source."""
        return self.database.label

    @contextmanager
    def open(self) -> Iterator[Reader]:
        """A reader of the source, open while the block runs."""
        connection = Connection(self.database)
        problem = connection.open()
        try:
            yield _DatabaseReader(connection, self.database, self.table_map, problem)
        finally:
            connection.close()


DataSource = FolderSource | DatabaseSource


def data_source(
    data: Path | str | DataSource, table_map: Mapping[str, str] | None = None
) -> DataSource:
    """The source `data` names: a folder, a database URI, or an SQLite/DuckDB file.

    `table_map` names the SQL table or view of some contract tables (the others are read
    from the table of their own name); ValueError when it names an unknown table or is
    given for a folder.
    """
    if isinstance(data, FolderSource | DatabaseSource):
        if table_map:
            raise ValueError("give the table map when creating the data source")
        return data
    database = parse_database(data)
    if database is None:
        if table_map:
            raise ValueError("a table map applies to a database, not to a folder of files")
        return FolderSource(Path(data))
    return DatabaseSource(database, check_table_map(table_map or {}))


class TableMapError(ValueError):
    """A table map cannot be used; `findings` say why (SRC008, SRC014, SRC015)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(" ".join(f.message_en for f in findings))
        self.findings = findings


def check_table_map(mapping: object, where: str = "table map") -> dict[str, str]:
    """The mapping contract table -> SQL table or view name, checked; TableMapError if wrong."""
    if not isinstance(mapping, Mapping):
        reason = "it must map contract tables to SQL table or view names"
        raise TableMapError([finding("SRC008", file=where, reason=reason)])
    tables = dict.fromkeys(contract())
    found = [finding("SRC014", file=where, key=k) for k in unknown_keys(mapping, tables)]
    found += [
        finding("SRC015", file=where, key=str(k))
        for k, v in mapping.items()
        if not isinstance(v, str) or not v.strip()
    ]
    if found:
        raise TableMapError(found)
    return {str(k): str(v).strip() for k, v in mapping.items()}


def read_table_map(path: Path) -> dict[str, str]:
    """A table map from a YAML file (`students: sis_students_v`, one line per table)."""
    try:
        raw = read_yaml(path, name=str(path))
    except YamlError as problem:
        unread = finding("SRC008", file=str(path), line=problem.line, reason=problem.detail)
        raise TableMapError([unread]) from None
    return check_table_map(raw or {}, str(path))


class _FolderReader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: dict[str, Path] = {}

    def locate(self, tables: Collection[Table]) -> tuple[dict[str, str], list[Finding]]:
        self.paths, findings = locate(self.folder, tables)
        return {name: path.name for name, path in self.paths.items()}, findings

    def read(self, table: Table) -> tuple[Rows | None, list[Finding]]:
        return read_table(table, self.paths[table.name])

    def where(self, name: str) -> Path | str:
        return self.paths[name]


class _DatabaseReader:
    def __init__(
        self,
        connection: Connection,
        database: Database,
        table_map: Mapping[str, str],
        problem: Finding | None,
    ) -> None:
        self.connection, self.database, self.table_map = connection, database, table_map
        self.problem = problem  # why the database could not be opened
        self.described: dict[str, list[DbColumn]] = {}  # table -> its columns

    def locate(self, tables: Collection[Table]) -> tuple[dict[str, str], list[Finding]]:
        if self.problem is not None:
            return {}, [self.problem]  # one finding says it: no table can be read
        findings = []
        for table in tables:
            name = self.table_map.get(table.name, table.name)
            try:
                described = self.connection.columns(name)
            except Unreadable as exc:
                findings.append(finding("SRC008", file=name, reason=str(exc)))
                continue
            if described is not None:
                self.described[table.name] = described
            elif table.required:
                looked = f"table or view {name}"
                findings.append(
                    finding("SRC001", file=self.database.label, table=table.name, looked=looked)
                )
        located = {t: self.table_map.get(t, t) for t in self.described}
        return located, findings

    def read(self, table: Table) -> tuple[Rows | None, list[Finding]]:
        name = self.table_map.get(table.name, table.name)
        return _read_sql_table(self.connection, table, name, self.described[table.name])

    def where(self, name: str) -> Path | str:
        return self.table_map.get(name, name)
