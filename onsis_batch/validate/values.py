"""The pre-render check: every value of a plan against its element's type, before any XML.

A value the schema would refuse (a negative number, a code outside its table, text longer
than the element allows, a character an XML file cannot carry) used to surface only as an
XSD001 naming a temporary file that was deleted at once, and a line in it. Each value is
now written to text as the renderer writes it (`render.xml.element_text`) and compared with
the simple type the XSD gives its element (`validate.xsd.simple_type`), so the check and
the schema cannot disagree. Each problem is an OUT004 error with the segment, key and
element, and the input cell the value came from when it can be found:

* the school data column(s) the element's spec names as its `source` (`students.first_name`),
  the first row holding exactly that value;
* else the PAE extract the spec or its source names (DELETE rows and values OnSIS holds are
  copied from it), the layout column named like the element, the first row holding it.

Values are compared as text, so a value that a builder changed on the way (summed credits,
a date moved to the count date) is reported without an input cell rather than at a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from onsis_batch.contract import contract
from onsis_batch.findings import Finding, finding
from onsis_batch.pae.layout import ROW_COLUMN, load_layouts
from onsis_batch.plan.model import OMIT_SUFFIX, Plan
from onsis_batch.queries import IN_MEMORY
from onsis_batch.render.xml import element_text
from onsis_batch.segments.context import SegmentContext
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs
from onsis_batch.validate.xsd import simple_type

MAX_PER_ELEMENT = 20  # findings per segment and element; the first ones show the pattern
_NOT_XML = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"
_SOURCE = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\b")
_EXTRACT = re.compile(r"\bPAE (\d{4})\b")
_OEN_LIKE = re.compile(r"(?<!\d)\d{6}(?=\d{3}(?!\d))")  # all but the last 3 of 9 digits
_PROBLEM = "__problem"
_TEXT = "__text"


@dataclass(frozen=True)
class Cell:
    """Where a value was read: a school data table or a PAE extract, its row and column."""

    file: str
    row: int
    column: str


def unsendable_values(
    plan: Plan, context: SegmentContext, specs: dict[str, SegmentSpec] | None = None
) -> list[Finding]:
    """OUT004 for every written value its element's type refuses, at its input cell."""
    specs = specs or load_specs()
    checked = {
        name: (specs[name], _checked_elements(specs[name], frame, plan))
        for name, frame in sorted(plan.segments.items())
        if not frame.is_empty()
    }
    checked = {name: (spec, elements) for name, (spec, elements) in checked.items() if elements}
    # One pass over each frame finds the elements with a bad value, every segment's in one
    # polars call (one select per element cost ~30 polars calls per BSID, one per segment
    # ~25); only those elements are looked at again.
    queries = [
        _problem_flags(spec, elements, plan.segments[name])
        for name, (spec, elements) in checked.items()
    ]
    findings: list[Finding] = []
    for (name, (spec, elements)), flags in zip(
        checked.items(), pl.collect_all(queries, engine=IN_MEMORY), strict=True
    ):
        for element, bad in zip(elements, flags.row(0), strict=True):
            if bad:
                findings += _element_findings(spec, element, plan.segments[name], context)
    return findings


def _checked_elements(spec: SegmentSpec, frame: pl.DataFrame, plan: Plan) -> list[ElementSpec]:
    """The elements of the segment this run writes from plan columns."""
    period = plan.period
    return [
        element
        for element in spec.applicable_elements(period.school_year, period.private)
        if element.type != "action" and element.fixed is None and element.name in frame.columns
    ]


def _problem_flags(
    spec: SegmentSpec, elements: list[ElementSpec], frame: pl.DataFrame
) -> pl.LazyFrame:
    """One row: for each element (in their order), whether any row has a problem."""
    texts = [f"{_TEXT}{number}" for number in range(len(elements))]
    schema = frame.schema  # a new object at each reading: read once
    return (
        frame.lazy()
        .with_columns(
            element_text(spec, element, schema).alias(name)
            for element, name in zip(elements, texts, strict=True)
        )
        .select(
            _checked_problem(spec, element, name, frame).is_not_null().any().alias(name)
            for element, name in zip(elements, texts, strict=True)
        )
    )


def _checked_problem(
    spec: SegmentSpec, element: ElementSpec, text: str, frame: pl.DataFrame
) -> pl.Expr:
    """The element's problem per row from its written text (column `text`), null on rows
    whose element is omitted. The text is a column of its own: written inline, its long
    expression would be repeated in every test and planned as many times."""
    problem = _problem(spec, element, pl.col(text))
    omit = element.name + OMIT_SUFFIX
    if omit in frame.columns:
        problem = pl.when(pl.col(omit).fill_null(False)).then(None).otherwise(problem)
    return problem


def _element_findings(
    spec: SegmentSpec, element: ElementSpec, frame: pl.DataFrame, context: SegmentContext
) -> list[Finding]:
    """The findings of one element: its bad rows, each at its input cell when found."""
    text = element_text(spec, element, frame.schema)
    problem = _checked_problem(spec, element, _TEXT, frame)
    bad = frame.with_columns(text.alias(_TEXT)).select(
        "_id", element.name, _TEXT, problem.alias(_PROBLEM)
    )
    bad = bad.filter(pl.col(_PROBLEM).is_not_null()).head(MAX_PER_ELEMENT)
    if bad.is_empty():
        return []
    values = bad.get_column(element.name).cast(pl.String)
    cells = _input_cells(spec, element, set(values.drop_nulls().to_list()), context)
    return [
        _finding(spec, element, key, value, shown, kind, cells.get(value))
        for (key, shown, kind), value in zip(
            bad.select("_id", _TEXT, _PROBLEM).iter_rows(), values.to_list(), strict=True
        )
    ]


def _problem(spec: SegmentSpec, element: ElementSpec, text: pl.Expr) -> pl.Expr:
    """What is wrong with a value, as a short kind (null when it is fine)."""
    value, kind = pl.col(element.name), simple_type(element, spec.segment)
    facets = dict(kind.facets)
    written = text.is_not_null() & (text != "")
    problem: Then | ChainedThen = pl.when(value.is_not_null() & text.is_null()).then(
        pl.lit("unwritable")
    )
    problem = problem.when(written & text.str.contains(_NOT_XML)).then(pl.lit("character"))
    if "pattern" in facets:
        unlike = ~text.str.contains(f"^(?:{facets['pattern']})$")
        problem = problem.when(written & unlike).then(pl.lit("form"))
    codes = [v for facet, v in kind.facets if facet == "enumeration"]
    if codes:
        problem = problem.when(written & ~text.is_in(codes)).then(pl.lit("code"))
    if "maxLength" in facets:
        too_long = text.str.len_chars() > int(facets["maxLength"])
        problem = problem.when(written & too_long).then(pl.lit("length"))
    return problem.otherwise(pl.lit(None, dtype=pl.String))


def _finding(
    spec: SegmentSpec,
    element: ElementSpec,
    key: str,
    value: str | None,
    shown: str | None,
    kind: str,
    cell: Cell | None,
) -> Finding:
    return finding(
        "OUT004",
        file=cell.file if cell else None,
        row=cell.row if cell else None,
        column=cell.column if cell else None,
        segment=spec.segment,
        key=_OEN_LIKE.sub("******", key),
        element=element.name,
        problem=_describe(element, kind, shown if shown is not None else value),
        source=cell_text(cell, element),
    )


def _describe(element: ElementSpec, kind: str, text: str | None) -> str:
    """The problem in words; a personal value is described, never quoted."""
    quoted = "the value" if element.personal or text is None else f"'{text}'"
    if kind == "unwritable":
        return f"{quoted} cannot be written as a {element.type}"
    if kind == "character":
        return "holds a character an XML file cannot carry (a control character, U+FFFE, U+FFFF)"
    if kind == "code":
        return f"{quoted} is not a code of table {element.table}"
    if kind == "length":
        return f"{quoted} is longer than {element.max_length} characters"
    if element.type == "decimal":
        return f"{quoted} is not a number of 0 or more with {element.places} decimal places"
    return f"{quoted} is not a valid {element.type.replace('_', ' ')}"


def cell_text(cell: Cell | None, element: ElementSpec) -> str:
    """Where the value comes from, for the message."""
    if cell is not None:
        return f"{cell.file} row {cell.row} column {cell.column}"
    return element.source or "the segment's rules"


# --- where a value was read ----------------------------------------------------------------


def _input_cells(
    spec: SegmentSpec, element: ElementSpec, values: set[str], context: SegmentContext
) -> dict[str, Cell]:
    """For each value, the first input cell holding it among the element's sources."""
    cells: dict[str, Cell] = {}
    for label, frame, column in _sources(spec, element, context):
        if not values - set(cells):
            break
        hits = (
            frame.select(ROW_COLUMN, pl.col(column).cast(pl.String).alias("value"))
            .filter(pl.col("value").is_in(list(values - set(cells))))
            .group_by("value")
            .agg(pl.col(ROW_COLUMN).min())
        )
        for value, row in hits.iter_rows():
            cells[value] = Cell(label, row, column)
    return cells


def _sources(
    spec: SegmentSpec, element: ElementSpec, context: SegmentContext
) -> Iterator[tuple[str, pl.DataFrame, str]]:
    """(label, frame, column) of the school data and PAE columns the value may come from."""
    for table, column in _SOURCE.findall(element.source):
        frame = context.tables.get(table)
        known = table in contract() and column in contract()[table].column_names
        if known and frame is not None and column in frame.columns:
            yield table, frame, column
    extracts = [*_EXTRACT.findall(element.source), spec.pae_extract]
    for extract in dict.fromkeys(e for e in extracts if e):
        frame = context.pae.get(extract)
        if frame is not None and extract in load_layouts():
            for column in _layout_columns(extract, element):
                yield f"PAE extract {extract}", frame, column


def _layout_columns(extract: str, element: ElementSpec) -> list[str]:
    """The extract's columns for an element: named like it (`withdrawal_type` for
    WITHDRAWAL_TYPE), else ending like it (`diploma_type` for a diploma's TYPE)."""
    name = element.name.lower()
    columns = [c.name for c in load_layouts()[extract].columns]
    return [c for c in columns if c == name] or [c for c in columns if c.endswith("_" + name)]
