"""What the load checks return, and the one place that turns it into findings.

A check yields an `Issue`: the rows of one file that share one problem in one column, as a
small polars frame. `FindingLog` turns issues into findings and applies flood control: at
most `LIMIT` findings per (file, column, code), then one SRC012 saying how many more. Only
the listed rows ever become Python objects, so a column that is wrong on every one of
300,000 rows costs no more than one that is wrong on twenty.

Every polars call costs about 0.2 ms whatever the frame's size, so checks that are many
small queries describe them as `Query`s, collected together (`cells.convert`,
`FindingLog.add_query`): one polars call instead of one each (D1020).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from onsis_batch.findings import Finding, catalog, finding
from onsis_batch.queries import IN_MEMORY

LIMIT = 20
MAX_VALUE_CHARS = 80  # a 10,000-character cell would drown the message it is quoted in
_NINE_DIGITS = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")
_WHOLE_DATE = re.compile(
    r"(?<![0-9])(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4})(?![0-9])"
)

_SEPARATORS = re.compile(r"[,;\t]")  # the delimiters a school-data file may use
_KEY_PARTS = re.compile(r", (?=\w+=)")  # between the `column=value` parts of a key

Slot = tuple[str | None, str | None, str]  # (file, column, code)


@dataclass(frozen=True)
class Check:
    """One rule a cell must pass: the finding code and the mask of failing cells."""

    code: str
    mask: pl.Expr  # true on the cells that fail
    params: dict[str, Any] = field(default_factory=dict)  # message parameters every row shares
    shows_value: bool = True  # the message quotes the cell


@dataclass(frozen=True)
class Issue:
    """Rows of one file sharing one problem in one column."""

    code: str
    file: str
    column: str | None
    rows: pl.DataFrame  # `_row` plus the message parameters that vary by row
    params: Mapping[str, Any] = field(default_factory=dict)  # parameters every row shares


@dataclass(frozen=True)
class Query:
    """An issue whose rows are still a lazy query over in-memory frames."""

    code: str
    file: str
    column: str | None
    rows: pl.LazyFrame  # collects to `Issue.rows`
    params: Mapping[str, Any] = field(default_factory=dict)

    def issue(self, rows: pl.DataFrame) -> Issue:
        """The issue, with the rows its query collected to."""
        return Issue(self.code, self.file, self.column, rows, self.params)


def _collect_rows(queries: Sequence[Query]) -> list[pl.DataFrame]:
    """The rows of every query, in order, from one polars call."""
    return pl.collect_all([q.rows for q in queries], engine=IN_MEMORY) if queries else []


@dataclass(frozen=True)
class _Trimmed:
    """An issue waiting in the log's queue: only the rows it may list, and how many it had."""

    issue: Issue
    height: int


class FindingLog:
    """Collects findings in the order they are added, with flood control.

    Queries (`add_query`) keep their place in that order: what is added after one waits in
    a queue, and every query waiting is collected in one polars call when the findings are
    asked for. Issues waiting keep only the rows they may list.
    """

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._findings: list[Finding] = []
        self._listed: Counter[Slot] = Counter()
        self._more: Counter[Slot] = Counter()
        self._queue: list[Finding | _Trimmed | Query] = []

    def add(self, item: Finding) -> None:
        """Keep a finding, or only count it once its file, column and code are listed enough."""
        if self._queue:
            self._queue.append(item)
            return
        slot = (item.file, item.column, item.code)
        if self._listed[slot] < self._limit:
            self._listed[slot] += 1
            self._findings.append(item)
        else:
            self._more[slot] += 1

    def add_issue(self, issue: Issue) -> None:
        """Keep the first rows of an issue as findings and count the rest."""
        if self._queue:
            trimmed = replace(issue, rows=issue.rows.head(self._limit))
            self._queue.append(_Trimmed(trimmed, issue.rows.height))
        else:
            self._list(issue, issue.rows.height)

    def add_query(self, query: Query) -> None:
        """An issue to collect later with the others (nothing when its query has no rows)."""
        self._queue.append(query)

    def findings(self) -> list[Finding]:
        """Every listed finding, then one SRC012 per (file, column, code) that overflowed."""
        self._collect_queue()
        return [*self._findings, *(_summary(slot, n) for slot, n in self._more.items() if n)]

    def _collect_queue(self) -> None:
        queue, self._queue = self._queue, []
        queries = [item for item in queue if isinstance(item, Query)]
        collected = iter(_collect_rows(queries))
        for item in queue:
            if isinstance(item, Finding):
                self.add(item)
            elif isinstance(item, _Trimmed):
                self._list(item.issue, item.height)
            else:
                rows = next(collected)
                if rows.height:
                    self._list(item.issue(rows), rows.height)

    def _list(self, issue: Issue, height: int) -> None:
        """List the first of an issue's `height` rows (`issue.rows` holds at least those)."""
        slot = (issue.file, issue.column, issue.code)
        room = max(self._limit - self._listed[slot], 0)
        for values in issue.rows.head(room).iter_rows(named=True):
            row = values.pop("_row")
            values = {k: _shown(k, v) if isinstance(v, str) else v for k, v in values.items()}
            self._findings.append(
                finding(
                    issue.code,
                    file=issue.file,
                    row=row,
                    column=issue.column,
                    **issue.params,
                    **values,
                )
            )
        listed = min(room, height)
        self._listed[slot] += listed
        self._more[slot] += height - listed


def _summary(slot: Slot, count: int) -> Finding:
    file, column, code = slot
    entry = catalog()[code]
    return finding(
        "SRC012",
        file=file,
        column=column,
        count=count,
        problem=f"{code}: {entry.title}",
        severity=entry.severity,
    )


def _shown(name: str, value: str) -> str:
    """A row's value as a finding quotes it: no OEN whole, no date but a key's (the key of
    an enrolment holds its entry date, which tells the duplicate rows apart), and short."""
    if "\n" in value or "\r" in value:  # a stray quote swallowed the rows below (D729)
        return "(a value of several lines, not shown)"
    # a lost quote joined the row's cells (D730); a key joins its columns' values itself
    parts = _KEY_PARTS.split(value) if name == "key" else [value]
    if any(len(_SEPARATORS.findall(part)) >= 2 for part in parts):
        return "(a value of several fields, not shown)"
    value = without_oens(value) if name == "key" else without_dates(without_oens(value))
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"


def without_dates(text: str) -> str:
    """`text` with every whole date shown as `****-**-**`.

    A whole date quoted from a cell is either a date its column refuses (the row and
    column already say where) or a date shifted into another column by a lost cell, which
    may well be a birth date (D727).
    """
    return _WHOLE_DATE.sub("****-**-**", text)


def without_oens(text: str) -> str:
    """`text` with every run of nine digits shown by its last three (`******321`).

    A quoted cell is rarely an OEN on purpose, but a shifted row or a lost header puts one
    where a date or a code should be, and a finding must never quote an OEN whole.
    """
    return _NINE_DIGITS.sub(lambda match: "******" + match.group(0)[-3:], text)
