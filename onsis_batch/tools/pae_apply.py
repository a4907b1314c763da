"""What OnSIS does to one extract's rows when it accepts the records of a batch file.

Rows are plain dicts (layout column -> typed value). A record is an `Op`; `ExtractRows`
applies ops in file order, a parent before its children, and answers which rows an op
left so that its children can work on them. An op OnSIS would reject (an ADD of a record
it holds, an UPDATE or DELETE of one it does not) changes nothing and is returned as a
`Rejected`, for a finding.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from onsis_batch.tools.pae_roles import SegmentRole, identity_columns

ADD, UPDATE, DELETE = "ADD", "UPDATE", "DELETE"
Row = dict[str, Any]


@dataclass
class Op:
    """One record of the batch file, with the cells it sends (typed)."""

    role: SegmentRole
    action: str | None
    key: str  # natural key path in the batch file
    parent_key: str | None
    line: int | None
    cells: Row = field(default_factory=dict)  # column -> value, only the elements sent
    code: str | None = None  # list and flag roles: the code the record names


@dataclass(frozen=True)
class Rejected:
    """An op OnSIS would refuse: `held` is True for an ADD of a held record."""

    op: Op
    held: bool


def normal(value: Any) -> Hashable:
    """A cell as identities compare it: text upper-case without spaces (class codes are
    compared that way), other values as they are."""
    return "".join(value.split()).upper() if isinstance(value, str) else value


def _identity(row: Row, columns: Iterable[str]) -> tuple[Hashable, ...]:
    return tuple(normal(row.get(c)) for c in columns)


def child_columns(role: SegmentRole, known: set[str]) -> list[str]:
    """The columns a child record fills in its parent's row."""
    names = (role.column(e.name) for e in role.spec.elements if e.type != "action")
    return [c for c in names if c in known]


class ExtractRows:
    """The rows of one school's block of an extract, changed op by op."""

    def __init__(self, columns: list[str], rows: list[Row]) -> None:
        self.columns = columns
        self.rows = rows
        self.gone: set[int] = set()  # id() of removed rows
        self._index: dict[tuple[str, ...], dict[tuple[Hashable, ...], list[Row]]] = {}
        self.rejected: list[Rejected] = []

    def result(self) -> list[Row]:
        """The rows left, in file order then in the order they were added."""
        return [row for row in self.rows if id(row) not in self.gone]

    def _group(self, columns: tuple[str, ...], identity: tuple[Hashable, ...]) -> list[Row]:
        if columns not in self._index:
            index: dict[tuple[Hashable, ...], list[Row]] = {}
            for row in self.result():
                index.setdefault(_identity(row, columns), []).append(row)
            self._index[columns] = index
        return self._index[columns].setdefault(identity, [])

    def _add_row(self, row: Row, group: list[Row]) -> None:
        self.rows.append(row)
        group.append(row)
        for columns, index in self._index.items():
            if index.get(_identity(row, columns)) is not group:
                index.setdefault(_identity(row, columns), []).append(row)

    def _remove(self, rows: list[Row], group: list[Row]) -> None:
        removed = {id(row) for row in rows}
        self.gone |= removed
        for held in [group, *(g for index in self._index.values() for g in index.values())]:
            held[:] = [row for row in held if id(row) not in removed]

    def _reject(self, op: Op, held: bool) -> list[Row]:
        self.rejected.append(Rejected(op, held))
        return []

    def apply_row(self, op: Op) -> list[Row]:
        """A `row` record; the rows it leaves (its children's parent rows)."""
        columns = identity_columns(op.role.segment)
        group = self._group(columns, _identity(op.cells, columns))
        wanted = _identity(op.cells, op.role.distinct)
        same = [r for r in group if _identity(r, op.role.distinct) == wanted]
        if op.action == ADD:
            if same:
                return self._reject(op, held=True)
            row = dict.fromkeys(self.columns) | op.cells
            self._add_row(row, group)
            return [row]
        if not group:
            return self._reject(op, held=False)
        # Several held assignments share MEN and position: the one already in the state
        # sent, else the first in the file (as segments/educators/assignments.py matches).
        first = _identity(group[0], op.role.distinct)
        target = same or [r for r in group if _identity(r, op.role.distinct) == first]
        if op.action == DELETE:
            self._remove(target, group)
            return []
        for row in target:
            row.update(op.cells)
        return target

    def apply_child(self, op: Op, parents: list[Row]) -> None:
        """A `fan_out`, `list` or `flag` record on the rows its parent left."""
        if op.role.role == "fan_out":
            self._fan_out(op, parents)
        elif op.role.role == "list":
            self._listed(op, parents)
        else:
            self._flag(op, parents)

    def _fan_out(self, op: Op, parents: list[Row]) -> None:
        column = op.role.column(op.role.spec.key[0])
        mine = child_columns(op.role, set(self.columns))
        value = normal(op.cells.get(column))
        matching = [r for r in parents if normal(r.get(column)) == value]
        if op.action == ADD:
            blank = [r for r in parents if r.get(column) is None]
            if matching:
                self._reject(op, held=True)
            elif blank:
                blank[0].update(op.cells)
            else:
                row = dict(parents[0]) | dict.fromkeys(mine) | op.cells
                self._add_row(row, parents)
            return
        if not matching:
            self._reject(op, held=False)
        elif op.action == UPDATE:
            for row in matching:
                row.update(op.cells)
        elif len(matching) == len(parents):  # the last one stays, without the child's cells
            self._remove(matching[1:], parents)
            matching[0].update(dict.fromkeys(mine))
        else:
            self._remove(matching, parents)

    def _listed(self, op: Op, parents: list[Row]) -> None:
        column = op.role.column(op.role.spec.key[0])
        code = normal(op.code)
        for row in parents:
            codes = [c.strip() for c in (row.get(column) or "").split(",") if c.strip()]
            held = code in [normal(c) for c in codes]
            if held == (op.action == ADD):
                self._reject(op, held=held)
                return
            if op.action == ADD:
                codes.append(op.code or "")
            elif op.action == DELETE:
                codes = [c for c in codes if normal(c) != code]
            row[column] = ",".join(codes) or None

    def _flag(self, op: Op, parents: list[Row]) -> None:
        column = op.role.columns[op.code or ""]  # an unknown code is refused before
        for row in parents:
            held = row.get(column) is not None
            if held == (op.action == ADD):
                self._reject(op, held=held)
                return
            row[column] = op.code if op.action == ADD else None
