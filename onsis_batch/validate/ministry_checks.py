"""The check mode's own checks on the rows of a file (MIN001-MIN007): what the relaxed
schema leaves open (required and repeated elements, in any order), code tables against the
period's dates, dates that exist and dates in order. The business rules of
`validate.rules` run too, on the same rows read as a plan (`validate.ministry`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from onsis_batch.codes import CodeTable, code_table
from onsis_batch.findings import Finding, finding
from onsis_batch.specs import ElementSpec, load_specs
from onsis_batch.validate.relaxations import relaxations
from onsis_batch.validate.xml_plan import read_date
from onsis_batch.validate.xml_rows import ENVELOPE, FileRows, Row, envelope_elements

HIDDEN = "(personal data, not shown)"


@dataclass(frozen=True)
class Scope:
    """What the checks know of the file: its name, school year, kind of school, period."""

    file: str
    school_year: str
    private: bool
    window: tuple[date, date] | None  # the period's first and last day, when known


def _at(code: str, scope: Scope, row: Row, element: str | None = None, **params: Any) -> Finding:
    """A finding at `row`, or at its `element` when one is named."""
    line = row.lines.get(element, row.line) if element else row.line
    if element:
        params["element"] = element
    return finding(
        code,
        file=scope.file,
        line=line,
        xpath=row.element_path(element) if element else row.path,
        segment=row.segment,
        key=row.key,
        **params,
    )


def _elements(row: Row, scope: Scope) -> tuple[ElementSpec, ...]:
    if row.segment in ENVELOPE:
        return envelope_elements(row.segment)
    return load_specs()[row.segment].applicable_elements(scope.school_year, scope.private)


def _required(row: Row, element: ElementSpec) -> bool:
    if row.segment in ENVELOPE:
        return element.name not in relaxations().optional_envelope
    return element.required


def presence(rows: FileRows, scope: Scope) -> Iterator[Finding]:
    """MIN001 required element missing, MIN002 mandatory on the ACTION, MIN003 repeated."""
    for row in rows.all():
        for element in _elements(row, scope):
            name = element.name
            if _required(row, element) and name not in row.values:
                yield _at("MIN001", scope, row, name)
            elif row.action in element.mandatory_on and row.values.get(name) is None:
                yield _at("MIN002", scope, row, name, action=row.action)
        for name, count in row.counts.items():
            if count > 1:
                yield _at("MIN003", scope, row, name, count=count)


def _out_of_force(table: CodeTable, value: str, row: Row, scope: Scope) -> bool:
    """A listed code whose dates in force miss the period (DELETE rows repeat what OnSIS
    holds, whatever its code's dates)."""
    if table.pattern is not None or row.action == "DELETE" or scope.window is None:
        return False
    entry, (first, last) = table.entries[value], scope.window
    started = entry.start is None or entry.start <= last
    return not (started and (entry.end is None or entry.end >= first))


def _shown(element: ElementSpec, value: str) -> str:
    return HIDDEN if element.personal else value


def codes(rows: FileRows, scope: Scope) -> Iterator[Finding]:
    """MIN004 value outside its code table, MIN005 code not in force during the period."""
    for row in rows.all():
        for element in _elements(row, scope):
            value = row.values.get(element.name)
            if element.table is None or element.fixed is not None or value is None:
                continue
            table = code_table(element.table)
            known = table.is_valid(value) if table.pattern else value in table.entries
            shown = _shown(element, value)
            if not known:
                yield _at("MIN004", scope, row, element.name, value=shown, table=table.name)
            elif _out_of_force(table, value, row, scope):
                yield _period_finding(scope, row, element, table, shown)


def _period_finding(
    scope: Scope, row: Row, element: ElementSpec, table: CodeTable, shown: str
) -> Finding:
    assert scope.window is not None
    entry = table.entries[row.values[element.name] or ""]
    return _at(
        "MIN005",
        scope,
        row,
        element.name,
        value=shown,
        table=table.name,
        start=_day(entry.start),
        end=_day(entry.end),
        first=_day(scope.window[0]),
        last=_day(scope.window[1]),
    )


def _day(day: date | None) -> str:
    return day.strftime("%Y/%m/%d") if day else "-"


def dates(rows: FileRows, scope: Scope) -> Iterator[Finding]:
    """MIN006 dates that do not exist (the schema checks only their shape)."""
    for row in rows.all():
        for element in _elements(row, scope):
            value = row.values.get(element.name)
            if element.type not in ("date", "year_month") or value is None:
                continue
            shaped = len(value) == (10 if element.type == "date" else 7)
            if shaped and read_date(value, element.type) is None:
                yield _at("MIN006", scope, row, element.name, value=_shown(element, value))


def date_order(rows: FileRows, scope: Scope) -> Iterator[Finding]:
    """MIN007 dates of one segment that the rule book orders, given out of order."""
    for order in relaxations().date_order:
        for row in rows.rows.get(order.segment, []):
            first = read_date(row.values.get(order.first) or "")
            then = read_date(row.values.get(order.then) or "")
            if first and then and first > then and row.action != "DELETE":
                yield _at(
                    "MIN007",
                    scope,
                    row,
                    order.then,
                    first=order.first,
                    first_value=_day(first),
                    then=order.then,
                    then_value=_day(then),
                )


def row_checks(rows: FileRows, scope: Scope) -> list[Finding]:
    """Every check of this module, in code order."""
    found = [*presence(rows, scope), *codes(rows, scope), *dates(rows, scope)]
    found += date_order(rows, scope)
    return sorted(found, key=lambda f: (f.code, f.line or 0))
