"""School data from a database: one table or view per contract table.

PostgreSQL (psycopg 3), SQLite (the standard library) and DuckDB are read through their own
drivers, opened read-only. A table becomes a `SqlTable`, the database counterpart of a
file's `RawTable`: the contract columns named as in the file path, fetched a batch at a
time and handed to the same cell checks. Columns whose database type is already the
contract's (dates, booleans, integers, floats, text) keep their values; every other type is
read as its text form (`CAST(... AS TEXT)`) and parsed like a CSV cell.

Rows are numbered 1, 2, ... in a fixed order: by the table's key columns when the table has
them all, otherwise by every contract column it has (nulls last, text compared byte by
byte), so a finding's row number is the same on every run and every database.
SQL text never contains a user value: only identifiers, each quoted.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import Table
from onsis_batch.findings import Finding, finding
from onsis_batch.sources.db_address import DRIVERS, Database, quote
from onsis_batch.sources.db_types import KEPT_TYPES, dated_text, family, fits
from onsis_batch.sources.files import Unreadable, fit_names, number_rows
from onsis_batch.sources.issues import Issue

UNFIT = "a value does not fit its column's type (an infinite or out-of-range date?)"
CONNECT_TIMEOUT = 30  # seconds, unless the URI sets connect_timeout
Kept = pl.DataType | None  # a column's type as fetched; None: read as text


class Connection:
    """One read-only connection to a database, with what differs between the drivers."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.kind = database.kind
        self._raw: Any = None
        self._errors: tuple[type[BaseException], ...] = ()

    def open(self) -> Finding | None:
        """Connect; a finding (SQL001 no driver, SQL002 no connection) when it cannot."""
        try:
            driver = _import(DRIVERS[self.kind])
        except ImportError:
            return finding("SQL001", file=self.database.label, driver=_package(self.kind))
        self._errors = (driver.Error,)
        try:
            self._raw = _connect(driver, self.database)
        except self._errors as exc:
            reason = _first_line(exc).replace(self.database.target, self.database.label)
            return finding("SQL002", file=self.database.label, reason=reason)
        return None

    def close(self) -> None:
        """Close the connection, if one was opened."""
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def columns(self, name: str) -> list[DbColumn] | None:
        """The table's columns with their types; None when there is no such table.

        Unreadable for any other failure (no permission, broken view...).
        """
        try:
            cursor = self._raw.cursor()
            cursor.execute(f"SELECT * FROM {quote(name)} WHERE 1 = 0")
            description = cursor.description
            cursor.close()
        except self._errors as exc:
            self._end_failed()
            if self._is_absent(exc):
                return None
            raise Unreadable(_first_line(exc)) from None
        return [DbColumn(str(d[0]), *self._dtype(d[1])) for d in description]

    def fetch(self, sql: str, rows: int) -> Iterator[list[tuple[Any, ...]]]:
        """The result of `sql`, `rows` at a time (SQLite and DuckDB stream it)."""
        cursor = self._raw.cursor()
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(rows):
                yield batch
        except self._errors as exc:
            self._end_failed()
            raise Unreadable(_first_line(exc)) from None
        finally:
            try:
                cursor.close()
            except self._errors:
                self._end_failed()

    def first_bad_text(self, sql: str) -> tuple[int, int] | None:
        """SQLite: (row from 1, column index) of the first text cell of `sql`'s result that is
        not valid UTF-8; None when every one is.

        SQLite stores whatever bytes it is given, and its driver's error quotes the cell
        (a name, maybe): the result is read again as bytes to say where, and only where.
        """
        self._raw.text_factory = bytes
        cursor = self._raw.cursor()
        try:
            cursor.execute(sql)
            for number, row in enumerate(cursor, start=1):
                for index, value in enumerate(row):
                    if isinstance(value, bytes) and not _is_utf8(value):
                        return number, index
        finally:
            cursor.close()
            self._raw.text_factory = str
        return None

    def copy_csv(self, sql: str, into: Path) -> None:
        """PostgreSQL: the result of `sql` written to the file `into` as CSV.

        COPY sends the rows as text in bulk, five times faster than fetching them as Python
        values; the file is then read a slice at a time like a CSV export.
        """
        statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        try:
            with (
                self._raw.cursor() as cursor,
                cursor.copy(statement) as copy,
                into.open("wb") as out,
            ):
                for block in copy:
                    out.write(block)
        except self._errors as exc:
            self._end_failed()
            raise Unreadable(_first_line(exc)) from None

    def _end_failed(self) -> None:
        """After a failed statement PostgreSQL ignores the rest of the transaction."""
        if self.kind == "postgresql":
            self._raw.rollback()

    def _is_absent(self, exc: BaseException) -> bool:
        if self.kind == "postgresql":
            return getattr(exc, "sqlstate", None) in ("42P01", "3F000")  # no table, no schema
        if self.kind == "duckdb":
            return type(exc).__name__ == "CatalogException"
        return "no such table" in str(exc)

    def _dtype(self, type_code: Any) -> tuple[Kept, str]:
        """The type a column keeps (None: read as text) and the database's name for it."""
        if self.kind == "sqlite":
            return None, ""  # SQLite values have no fixed type: every cell is read as text
        if self.kind == "postgresql":
            info = self._raw.adapters.types.get(type_code)
            name = info.name if info is not None else ""
            if info is not None and type_code == getattr(info, "array_oid", None):
                name += "[]"  # the registry names an array by its element type
        else:
            name = str(type_code)
        if self.kind == "duckdb" and family(name) in ("date", "timestamp"):
            return None, name  # read as text (`dated_text`), so an infinite date shows
        return KEPT_TYPES.get(name.lower()), name

    def blob_columns(self, name: str, columns: list[str]) -> set[str]:
        """SQLite: the `columns` of table `name` holding a BLOB value in some row."""
        if self.kind != "sqlite" or not columns:
            return set()
        probes = ", ".join(f"max(typeof({quote(c)}) = 'blob')" for c in columns)
        found = next(self.fetch(f"SELECT {probes} FROM {quote(name)}", 1), [()])
        return {c for c, blob in zip(columns, found[0], strict=False) if blob}


@dataclass(frozen=True)
class SqlTable:
    """A contract table as read from the database: the counterpart of `files.RawTable`."""

    connection: Connection
    sql: str
    schema: dict[str, pl.DataType]  # the selected columns `_c0..` as fetched
    columns: list[pl.Expr]  # the contract columns it has, named
    missing: frozenset[str]  # contract columns the table lacks

    def batches(self, rows: int) -> Iterator[pl.DataFrame]:
        """The rows in order, `rows` at a time, numbered from 1."""
        if self.connection.kind == "postgresql":
            yield from self._copied(rows)
            return
        start = 1
        try:
            for fetched in self.connection.fetch(self.sql, rows):
                # Built column by column: a third faster than from row tuples.
                columns = zip(*fetched, strict=True)
                named = zip(self.schema.items(), columns, strict=True)
                try:
                    frame = pl.DataFrame([pl.Series(a, c, dtype=d) for (a, d), c in named])
                except (pl.exceptions.PolarsError, OverflowError, TypeError):
                    raise Unreadable(UNFIT) from None
                yield number_rows(frame.select(self.columns), start)
                start += len(fetched)
        except Unreadable:
            self._name_bad_text()
            raise

    def _name_bad_text(self) -> None:
        """SQLite: Unreadable naming the row and contract column of a cell that is not
        UTF-8 (never its value, nor the internal alias the query gave the column)."""
        sqlite = self.connection.kind == "sqlite"
        found = self.connection.first_bad_text(self.sql) if sqlite else None
        if found is None:
            return
        row, index = found
        alias = list(self.schema)[index]
        names = {r: e.meta.output_name() for e in self.columns for r in e.meta.root_names()}
        column = names.get(alias, "?")
        raise Unreadable(f"row {row} column {column} is not valid UTF-8 text; store it as UTF-8")

    def empty(self) -> pl.DataFrame:
        """A frame with the table's columns and no rows."""
        return number_rows(pl.DataFrame(schema=self.schema).select(self.columns), 1)

    def shape_issues(self) -> Iterator[Issue]:
        """None: a database row always has every column of its table."""
        return iter(())

    def _copied(self, rows: int) -> Iterator[pl.DataFrame]:
        """PostgreSQL rows through a CSV copy in a private temporary folder, removed after.

        Kept types are parsed by polars from their canonical text (ISO dates, true/false):
        they arrive typed, as when fetched.
        """
        with tempfile.TemporaryDirectory(prefix="onsis-batch-sql-") as folder:
            path = Path(folder) / "rows.csv"
            self.connection.copy_csv(self.sql, path)
            scan = pl.scan_csv(
                path, has_header=False, schema=self.schema, quote_char='"', null_values=[""]
            )
            start = 0
            while True:
                try:
                    batch = scan.slice(start, rows).select(self.columns).collect()
                except pl.exceptions.PolarsError:
                    raise Unreadable(UNFIT) from None
                if batch.height:
                    yield number_rows(batch, start + 1)
                if batch.height < rows:
                    return
                start += rows


@dataclass(frozen=True)
class DbColumn:
    """One column of a database table: its name, the type it is fetched as, its type name."""

    name: str
    kept: Kept  # None: read as text
    type_name: str  # as the database names it ("" when it does not, as in SQLite)


def read_sql_table(
    connection: Connection, table: Table, name: str, described: list[DbColumn]
) -> tuple[SqlTable, list[Finding]]:
    """The table or view `name`, whose columns are `described`, as contract table `table`."""
    # SQL names are case-insensitive unless quoted: match them in lower case.
    names = [column.name.lower() for column in described]
    refused = _refused(connection, table, name, described)
    schema = {f"_c{i}": column.kept or pl.String() for i, column in enumerate(described)}
    kept, missing, findings = fit_names(table, schema, names, name, refused=set(refused))
    used = {root for expr in kept.values() for root in expr.meta.root_names()}
    selected = [(alias, described[int(alias[2:])]) for alias in schema if alias in used]
    cells = [
        f"{_cell(connection.kind, column, table.column(column.name.lower()).type)} AS {alias}"
        for alias, column in selected
    ]
    sql = f"SELECT {', '.join(cells) or 'NULL'} FROM {quote(name)}"
    order = [(c.name.lower(), c.name, c.kept) for _, c in selected]
    sql += _order(connection.kind, table, order)
    fetched = {alias: schema[alias] for alias, _ in selected} or {"_c": pl.Null()}
    sql_table = SqlTable(connection, sql, fetched, list(kept.values()), missing)
    return sql_table, [*findings, *refused.values()]


def _refused(
    connection: Connection, table: Table, name: str, described: list[DbColumn]
) -> dict[str, Finding]:
    """SQL003 for each contract column whose database type cannot hold its values."""
    wanted = {c.name: c for c in table.columns}
    present = [(c.name.lower(), c) for c in described if c.name.lower() in wanted]
    refused = {
        lower: _unfit(name, lower, column.type_name, wanted[lower].type)
        for lower, column in present
        if not fits(column.type_name, wanted[lower].type)
    }
    unchecked = [column.name for lower, column in present if lower not in refused]
    for blob in connection.blob_columns(name, unchecked):
        refused[blob.lower()] = _unfit(name, blob.lower(), "BLOB", wanted[blob.lower()].type)
    return refused


def _unfit(table: str, column: str, type_name: str, contract_type: str) -> Finding:
    return finding("SQL003", file=table, column=column, dbtype=type_name, type=contract_type)


def _cell(kind: str, column: DbColumn, contract_type: str) -> str:
    """The column as selected: as it is, or as text (PostgreSQL booleans: true/false)."""
    name = quote(column.name)
    if kind == "duckdb" and family(column.type_name) in ("date", "timestamp"):
        return dated_text(name, contract_type)
    if column.kept is None or (kind == "postgresql" and column.kept == pl.Boolean()):
        return f"CAST({name} AS TEXT)"
    return name


def _order(kind: str, table: Table, selected: list[tuple[str, str, Kept]]) -> str:
    """ORDER BY the key columns when the table has them all, else every column read.

    Nulls come last, and PostgreSQL compares text byte by byte ("C") rather than by the
    database's locale, so every database numbers the same rows alike.
    """
    by_name = {name: (column, dtype) for name, column, dtype in selected}
    keys = [by_name[k] for k in table.key if k in by_name]
    if len(keys) < len(table.key) or not keys:
        keys = [(column, dtype) for _, column, dtype in selected]
    terms = [
        quote(column)
        + (' COLLATE "C"' if kind == "postgresql" and dtype == pl.String() else "")
        + " NULLS LAST"
        for column, dtype in keys
    ]
    return " ORDER BY " + ", ".join(terms) if terms else ""


def _import(module: str) -> Any:
    return importlib.import_module(module)


def _package(kind: str) -> str:
    return {"postgresql": "psycopg[binary]", "duckdb": "duckdb"}.get(kind, "sqlite3")


def _connect(driver: Any, database: Database) -> Any:
    if database.kind == "postgresql":
        # An unattended run must not wait forever on a server that does not answer.
        params = driver.conninfo.conninfo_to_dict(database.target)
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        params["client_encoding"] = "utf8"
        connection = driver.connect(**params)
        connection.read_only = True
        connection.execute("SET DateStyle = ISO")  # dates in the CSV copy as YYYY-MM-DD
        return connection
    path = Path(database.target)
    if not path.is_file():
        raise driver.Error(f"no database file {database.target}")
    if database.kind == "duckdb":
        return driver.connect(str(path), read_only=True)
    return driver.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
