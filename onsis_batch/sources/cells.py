"""Cell conversion: raw columns to the contract's types, with a check for every rule.

Clean the text, parse it (`__t_<column>`), then give each cell the index of the first check
it fails (`__p_<column>`, null when the cell is fine), all as polars expressions. Only the
failing rows are pulled out afterwards, as issues. A cell fails at most one check,
so a bad cell gets one finding, and a cell that fails any check is null in the result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from onsis_batch.codes import code_table
from onsis_batch.contract import Column, Table, dtype_of
from onsis_batch.queries import IN_MEMORY
from onsis_batch.sources.issues import Check, Issue, Query
from onsis_batch.sources.plausible import advisories, range_check
from onsis_batch.sources.scan import CONTROL, Scan, scan

# Rust regex: `$` is the end of the text (no multi-line flag); [0-9] avoids Unicode digits.
_DATE = r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}/[0-9]{2}/[0-9]{2})$"
_YEAR_MONTH = r"^(?:[0-9]{4}-[0-9]{2}|[0-9]{4}/[0-9]{2})$"
_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_TRUE = pl.lit(["T", "TRUE", "Y", "YES", "1"])  # literals built once, not per column
_FALSE = pl.lit(["F", "FALSE", "N", "NO", "0"])

Mappings = Mapping[str, Mapping[str, str]]  # code table -> local code -> Ministry code


HIDDEN = "(personal data, not shown)"


def empty_frame(table: Table) -> pl.DataFrame:
    """A frame with the table's typed columns and no rows."""
    schema = {"_row": pl.Int64(), **{c.name: dtype_of(c) for c in table.columns}}
    return pl.DataFrame(schema=schema)


def convert(
    table: Table, raw: pl.DataFrame, missing: frozenset[str], file: str, mappings: Mappings
) -> tuple[pl.DataFrame, list[Issue]]:
    """The typed frame of one table (bad cells null) and the issues its cells have."""
    present = [c for c in table.columns if c.name not in missing]
    schema = raw.schema  # a new object at each reading
    is_text = {c.name: schema[c.name] == pl.String for c in present}
    found = scan(raw, [name for name, text in is_text.items() if text], [c.name for c in present])
    checks = {
        c.name: _checks(c, is_text[c.name], c.name in found.controlled, mappings) for c in present
    }
    checked = (
        _without_blank_records(raw.lazy(), found, present)
        .with_columns(_typed(c, is_text[c.name], mappings).alias(_t(c.name)) for c in present)
        .with_columns(_first_failure(checks[name]).alias(_p(name)) for name in checks)
        .collect(engine=IN_MEMORY)
    )
    failing = _failing(checked, list(checks))
    columns = (_result(c, c.name in missing, c.name in failing) for c in table.columns)
    hidden = {c.name for c in present if c.personal}
    rows = checked.lazy()
    queries = [
        *_issues(rows, checks, failing, file, hidden),
        *_notes(rows, present, file, hidden),
        *_order_issues(rows, table, {c.name for c in present}, file),
    ]
    # The typed frame and every check's rows in one polars call (D1021).
    frame, *found_rows = pl.collect_all(
        [rows.select("_row", *columns), *(q.rows for q in queries)], engine=IN_MEMORY
    )
    issues = [q.issue(r) for q, r in zip(queries, found_rows, strict=True) if r.height]
    return frame, issues


def _without_blank_records(raw: pl.LazyFrame, found: Scan, present: list[Column]) -> pl.LazyFrame:
    """The records with their padded cells stripped, without blank lines and all-empty
    records (",,,"), which hold no data; row numbers stay as read.

    Stripping may empty a record the scan saw values in, so the records are filtered
    whenever a column was stripped, and otherwise only when the scan saw a blank one.
    """
    cleaned = raw.with_columns(_clean(n) for n in found.padded)
    if not (found.blank or found.padded):
        return cleaned
    return cleaned.filter(~pl.all_horizontal(pl.col(c.name).is_null() for c in present))


def _failing(checked: pl.DataFrame, names: list[str]) -> set[str]:
    """The columns with at least one cell that failed a check."""
    height = checked.height
    return {name for name in names if checked.get_column(_p(name)).null_count() < height}


def _t(name: str) -> str:
    return f"__t_{name}"


def _p(name: str) -> str:
    return f"__p_{name}"


def _clean(name: str) -> pl.Expr:
    text = pl.col(name).str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text).alias(name)


def _typed(column: Column, is_text: bool, mappings: Mappings) -> pl.Expr:
    """The cell as the contract's type; null when it does not parse."""
    cell = pl.col(column.name)
    if not is_text:  # a Parquet column already of the right type
        return cell.dt.month_start() if column.type == "year_month" else cell
    match column.type:
        case "code":
            mapping = mappings.get(column.codes or "", {})
            return cell.replace(list(mapping), list(mapping.values())) if mapping else cell
        case "date":
            return _when_matches(cell, _DATE, _to_date(cell))
        case "year_month":
            return _when_matches(cell, _YEAR_MONTH, _to_date(cell + "-01"))
        case "flag":
            upper = cell.str.to_uppercase()
            return pl.when(upper.is_in(_TRUE)).then(True).when(upper.is_in(_FALSE)).then(False)
        case "integer":
            return _when_matches(cell, _INTEGER, cell.cast(pl.Int64, strict=False))
        case "decimal":
            return _when_matches(cell, _DECIMAL, cell.cast(pl.Float64, strict=False))
    return cell


def _when_matches(cell: pl.Expr, pattern: str, parsed: pl.Expr) -> pl.Expr:
    return pl.when(cell.str.contains(pattern)).then(parsed)


def _to_date(text: pl.Expr) -> pl.Expr:
    # strict=False: an impossible date (2025-02-30) becomes null, reported as SRC004.
    return text.str.replace_all("/", "-", literal=True).str.to_date("%Y-%m-%d", strict=False)


def _checks(column: Column, is_text: bool, controlled: bool, mappings: Mappings) -> list[Check]:
    """The checks of one column, in the order a cell is judged."""
    cell = pl.col(column.name)
    checks = []
    if column.required and column.default is None:
        checks.append(Check("SRC007", cell.is_null(), shows_value=False))
    if is_text:
        checks += _text_cell_checks(column, controlled)
    bounds = range_check(column, pl.col(_t(column.name)))
    return checks if bounds is None else [*checks, bounds]


def _text_cell_checks(column: Column, controlled: bool) -> list[Check]:
    """The checks of a cell read as text: characters, parsing, length, pattern, codes."""
    cell, typed = pl.col(column.name), pl.col(_t(column.name))
    checks = []
    if controlled and column.type in ("text", "code"):
        checks.append(Check("SRC009", cell.str.contains(CONTROL), shows_value=False))
    unparsed = cell.is_not_null() & typed.is_null()
    if column.type in ("date", "year_month"):
        expected = "YYYY-MM-DD" if column.type == "date" else "YYYY-MM"
        checks.append(Check("SRC004", unparsed, {"expected": expected}))
    elif column.type in ("flag", "integer", "decimal"):
        checks.append(Check("SRC003", unparsed, {"type": column.type}))
    elif column.type == "text":
        checks.extend(_text_checks(column))
    elif column.type == "code" and column.unknown == "error":
        checks.append(Check("SRC006", ~is_code(typed, column.codes or ""), {"table": column.codes}))
    return checks


def _text_checks(column: Column) -> Iterator[Check]:
    cell = pl.col(column.name)
    if column.max_length is not None:
        yield Check(
            "SRC011", cell.str.len_chars() > column.max_length, {"max_length": column.max_length}
        )
    if column.pattern is not None:
        yield Check(
            "SRC003", ~cell.str.contains(f"^(?:{column.pattern})$"), {"type": column.pattern}
        )


def is_code(value: pl.Expr, table_name: str) -> pl.Expr:
    """True where `value` is a code of the table (a list of codes or a pattern)."""
    table = code_table(table_name)
    if table.pattern is not None:
        return value.str.contains(f"^(?:{table.pattern})$")
    return value.is_in(_codes(table_name))


@cache
def _codes(table_name: str) -> pl.Expr:
    """The codes of a table as a polars literal, built once: a list of a few hundred codes
    costs more to turn into a literal than checking a small table's column against it."""
    return pl.lit(list(code_table(table_name).codes))


def _first_failure(checks: list[Check]) -> pl.Expr:
    """Index of the first check the cell fails; null when it passes them all."""
    if not checks:
        return _index(None)
    expr: Then | ChainedThen = pl.when(checks[0].mask).then(_index(0))
    for i, check in enumerate(checks[1:], start=1):
        expr = expr.when(check.mask).then(_index(i))
    return expr


@cache
def _index(i: int | None) -> pl.Expr:
    """A check's index as a literal, built once: a typed literal costs ~0.1 ms to build."""
    return pl.lit(i, dtype=pl.UInt8)


def _result(column: Column, missing: bool, failing: bool) -> pl.Expr:
    """The final column: parsed value, the default when empty, null when a check failed."""
    dtype = dtype_of(column)
    if missing:
        return pl.lit(column.default).cast(dtype).alias(column.name)
    value = pl.col(_t(column.name))
    if column.default is not None:  # the parsed value is null only when empty or failed
        value = value.fill_null(pl.lit(column.default).cast(dtype))
    if failing:  # a when/then per column costs; only columns with failures need it
        value = pl.when(pl.col(_p(column.name)).is_null()).then(value)
    return value.cast(dtype).alias(column.name)


def _notes(
    checked: pl.LazyFrame, present: list[Column], file: str, hidden: set[str]
) -> Iterator[Query]:
    """Warnings about cells that passed every check: the value is kept (`advisories`)."""
    for column in present:
        passed = pl.col(_p(column.name)).is_null()
        for check in advisories(column, pl.col(_t(column.name))):
            shown = pl.lit(HIDDEN) if column.name in hidden else pl.col(column.name).cast(pl.String)
            value = [shown.alias("value")] if check.shows_value else []
            rows = checked.filter(passed & check.mask).select("_row", *value)
            yield Query(check.code, file, column.name, rows, check.params)


def _order_issues(
    checked: pl.LazyFrame, table: Table, present: set[str], file: str
) -> Iterator[Query]:
    """SRC018 for rows whose end date comes before their start date (both valid)."""
    for start, end in table.ordered:
        if not {start, end} <= present:
            continue
        valid = pl.col(_p(start)).is_null() & pl.col(_p(end)).is_null()
        before = pl.col(_t(end)) < pl.col(_t(start))
        rows = checked.filter(valid & before.fill_null(False)).select(
            "_row",
            pl.col(_t(end)).cast(pl.String).alias("value"),
            pl.col(_t(start)).cast(pl.String).alias("start_value"),
        )
        yield Query("SRC018", file, end, rows, {"start": start})


def _issues(
    checked: pl.LazyFrame,
    checks: dict[str, list[Check]],
    failing: set[str],
    file: str,
    hidden: set[str],
) -> Iterator[Query]:
    """One issue per (column, check) with failing cells; personal values are not quoted."""
    for name in (n for n in checks if n in failing):
        shown = pl.lit(HIDDEN) if name in hidden else pl.col(name).cast(pl.String)
        for i, check in enumerate(checks[name]):
            value = [shown.alias("value")] if check.shows_value else []
            rows = checked.filter(pl.col(_p(name)) == i).select("_row", *value)
            yield Query(check.code, file, name, rows, check.params)
