"""Where the school data comes from: a folder of files or a database.

A `DataSource` is a small picklable description (a board run sends it to the process that
stages the data); `open()` gives a reader that finds each contract table and opens it as
raw rows for the checks in `sources`. The checks never know which kind they read from.

    data_source("exports/")                      a folder of CSV / Parquet files
    data_source("postgresql://user@host/sis")    one table or view per contract table
    data_source("sis.sqlite"), data_source("duckdb:///sis.duckdb")
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from onsis_batch.contract import Table, contract
from onsis_batch.findings import Finding, finding
from onsis_batch.sources.database import Connection, Database, Kept, SqlTable, parse_database
from onsis_batch.sources.database import read_sql_table as _read_sql_table
from onsis_batch.sources.files import RawTable, Unreadable, locate, read_table

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
    folder: Path

    @property
    def label(self) -> str:
        return str(self.folder)

    @contextmanager
    def open(self) -> Iterator[Reader]:
        yield _FolderReader(self.folder)


@dataclass(frozen=True)
class DatabaseSource:
    database: Database
    table_map: Mapping[str, str] = field(default_factory=dict)  # contract table -> SQL name

    @property
    def label(self) -> str:
        return self.database.label

    @contextmanager
    def open(self) -> Iterator[Reader]:
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


def check_table_map(mapping: object, where: str = "table map") -> dict[str, str]:
    """The mapping contract table -> SQL table or view name, checked; ValueError if wrong."""
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: expected a mapping of contract table to SQL table name")
    unknown = sorted(str(name) for name in mapping if name not in contract())
    if unknown:
        raise ValueError(f"{where}: not tables of the data contract: {', '.join(unknown)}")
    bad = sorted(str(k) for k, v in mapping.items() if not isinstance(v, str) or not v.strip())
    if bad:
        raise ValueError(f"{where}: no SQL table name given for {', '.join(bad)}")
    return {str(k): str(v).strip() for k, v in mapping.items()}


def read_table_map(path: Path) -> dict[str, str]:
    """A table map from a YAML file (`students: sis_students_v`, one line per table)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the table map ({exc})") from None
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
        self.described: dict[str, list[tuple[str, Kept]]] = {}  # table -> its columns

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
        name = self.where(table.name)
        return _read_sql_table(self.connection, table, name, self.described[table.name])

    def where(self, name: str) -> Path | str:
        return self.table_map.get(name, name)
