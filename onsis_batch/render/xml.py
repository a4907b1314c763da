"""Render a plan as the OnSIS batch XML, streamed to a binary sink.

Every row's XML fragment is built with polars string expressions; child fragments are
joined per parent with group_by + str.join and folded into the parent's fragment, bottom
up. Top-level rows are cut into chunks (each with all its descendants) so that only one
chunk's XML is held in memory at a time, whatever the size of the submission.

Layout: one element per line, two spaces per level, LF line ends. Characters that the
chosen encoding cannot carry are written as numeric character references.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import polars as pl

from onsis_batch.findings import Finding, finding
from onsis_batch.plan.model import ACTION_RANK, OMIT_SUFFIX, Plan
from onsis_batch.queries import IN_MEMORY
from onsis_batch.specs import ElementSpec, Envelope, SegmentSpec, load_envelope, load_specs

INDENT = "  "
CHUNK_ROWS = 5_000  # top-level rows per chunk: ~10 MB of XML for a full enrolment
TOP_LEVEL = 4  # ONSIS_BATCH_FILE > DATA > SCHOOL_SUBMISSION > SCHOOL > segment
_RANK = "__rank"
_FRAG = "__frag"
_CHUNK = "__chunk"
_VALUE = "__value"
_NON_LATIN1 = r"[^\x00-\xFF]"
_ENCODINGS = {"iso8859-1": "ISO-8859-1", "utf-8": "UTF-8"}
_SORT = [_RANK, "_order", "_id"]
_REQUIRED_COLUMNS = ("_id", "_parent", "_order", "_action")

Formatter = Callable[[pl.Expr, ElementSpec], pl.Expr]  # a column's text in the XML


class BinarySink(Protocol):
    """Where the batch file's bytes go: an open binary file or a writer like one."""

    def write(self, data: bytes, /) -> int:
        """Take the bytes; return how many were taken."""
        ...


def render_plan(
    plan: Plan,
    sink: BinarySink,
    *,
    created: datetime,
    encoding: str = "iso-8859-1",
    specs: dict[str, SegmentSpec] | None = None,
    envelope: Envelope | None = None,
    show_pii: bool = False,
) -> list[Finding]:
    """Write the batch file of `plan` to `sink`; return the findings made on the way (OUT002,
    which names the characters outside Latin-1 only with `show_pii`: they spell a name)."""
    specs = specs or load_specs()
    envelope = envelope or load_envelope()
    codec, label = _codec(encoding)
    _check_shape(plan, specs, envelope)
    findings = _latin1_findings(plan, specs, show_pii) if codec == "iso8859-1" else []
    head, tail = _envelope_text(plan, created, envelope, label)

    def write(text: str) -> None:
        sink.write(text.encode(codec, "xmlcharrefreplace"))

    write(head)
    for top in envelope.school_children:
        for text in _top_level_chunks(plan, top, specs):
            write(text)
    write(tail)
    return findings


def _codec(encoding: str) -> tuple[str, str]:
    """Python codec name and XML declaration label; only Latin-1 and UTF-8 are offered."""
    name = codecs.lookup(encoding).name
    if name not in _ENCODINGS:
        raise ValueError(f"encoding {encoding!r} is not offered; use iso-8859-1 or utf-8")
    return name, _ENCODINGS[name]


# --- plan shape ------------------------------------------------------------------------


class PlanShapeError(ValueError):
    """The plan breaks its own contract (see plan.py): a defect of the code that built it."""


def segment_levels(top: str, specs: dict[str, SegmentSpec]) -> dict[str, int]:
    """`top` and its descendant segments with their indentation level, parents first."""
    levels = {top: TOP_LEVEL}
    queue = [top]
    while queue:
        name = queue.pop(0)
        for child in specs[name].children:
            if child not in levels:
                levels[child] = levels[name] + 1
                queue.append(child)
    return levels


def _check_shape(plan: Plan, specs: dict[str, SegmentSpec], envelope: Envelope) -> None:
    """Refuse a plan whose rows could not all be placed: better than a silently short file."""
    known: dict[str, int] = {}
    for top in envelope.school_children:
        known |= segment_levels(top, specs)
    unknown = sorted(set(plan.segments) - set(known))
    if unknown:
        raise PlanShapeError(f"plan segments not under SCHOOL in the specs: {unknown}")
    strays = {}
    for name, frame in plan.segments.items():
        missing = [c for c in _REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise PlanShapeError(f"plan segment {name} lacks column(s) {missing}")
        strays[name] = _stray(plan, name, specs, envelope)
    # Every segment's counts in one polars call; the rows at fault only read on a defect.
    queries = [
        plan.segments[name].lazy().select(pl.col("_id").is_duplicated().any(), stray.sum())
        for name, stray in strays.items()
    ]
    for (name, stray), counts in zip(
        strays.items(), pl.collect_all(queries, engine=IN_MEMORY), strict=True
    ):
        repeated, stray_rows = counts.row(0)
        if repeated:
            raise PlanShapeError(f"plan segment {name} repeats an _id")
        if stray_rows:
            first = plan.segments[name].filter(stray).row(0, named=True)
            raise PlanShapeError(
                f"{stray_rows} row(s) of {name} name a parent that is not a "
                f"{specs[name].parent} row "
                f"(first: _id={first['_id']!r}, _parent={first['_parent']!r})"
            )


def _stray(plan: Plan, name: str, specs: dict[str, SegmentSpec], envelope: Envelope) -> pl.Expr:
    """Rows of segment `name` whose `_parent` names no row of its parent segment (top-level
    rows: any `_parent` at all)."""
    if name in envelope.school_children:
        return pl.col("_parent").is_not_null()
    parent = specs[name].parent
    ids = (
        plan.segments[parent].get_column("_id")
        if parent in plan.segments
        else pl.Series(dtype=pl.String)
    ).implode()
    return pl.col("_parent").is_null() | ~pl.col("_parent").is_in(ids)


# --- envelope --------------------------------------------------------------------------


def escape_text(text: str) -> str:
    """Text with the XML special characters escaped (`&`, `<`, `>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _envelope_text(
    plan: Plan, created: datetime, envelope: Envelope, label: str
) -> tuple[str, str]:
    """The text before the first segment row and after the last one."""
    period = plan.period
    run_values = {
        "DATE": created.strftime("%Y/%m/%d"),
        "TIME": created.strftime("%H%M%S"),
        "ACADEMIC_YEAR": period.school_year,
        "SUBMISSION_PERIOD_TYPE": period.code,
        "SCHOOL_NUMBER": period.bsid,
        **dict(period.clear_flags),  # the run's CLEAR_* choice (D762); else their defaults
    }

    def block(elements: tuple[ElementSpec, ...], level: int) -> list[str]:
        lines = []
        for element in elements:
            if not element.applies(period.school_year, period.private):
                continue
            value = element.fixed
            if value is None:
                value = run_values.get(element.name, element.default)
            if value is None:
                raise ValueError(f"envelope element {element.name} has no value for a run")
            lines.append(f"{INDENT * level}<{element.name}>{escape_text(value)}</{element.name}>")
        return lines

    root = envelope.root
    head = [
        f'<?xml version="1.0" encoding="{label}"?>',
        f"<{root}>",
        f"{INDENT}<HEADER>",
        *block(envelope.header, 2),
        f"{INDENT}</HEADER>",
        f"{INDENT}<DATA>",
        f"{INDENT * 2}<SCHOOL_SUBMISSION>",
        *block(envelope.school_submission, 3),
        f"{INDENT * 3}<SCHOOL>",
        *block(envelope.school, 4),
    ]
    tail = [
        f"{INDENT * 3}</SCHOOL>",
        f"{INDENT * 2}</SCHOOL_SUBMISSION>",
        f"{INDENT}</DATA>",
        f"</{root}>",
    ]
    return "\n".join(head) + "\n", "\n".join(tail) + "\n"


# --- segment rows ----------------------------------------------------------------------


def _rank() -> pl.Expr:
    """Sibling rank: DELETE, UPDATE, ADD, then rows without an action."""
    rank = pl.col("_action").replace_strict(
        ACTION_RANK, default=len(ACTION_RANK), return_dtype=pl.Int8
    )
    return rank.alias(_RANK)


@dataclass(frozen=True)
class _Layout:
    """What every fragment of one run needs to know besides its rows."""

    specs: dict[str, SegmentSpec]
    levels: dict[str, int]
    school_year: str
    private: bool


def _top_level_chunks(plan: Plan, top: str, specs: dict[str, SegmentSpec]) -> Iterator[str]:
    """Yield the XML of the `top` segment's rows, CHUNK_ROWS top-level rows at a time."""
    levels = segment_levels(top, specs)
    frames = {n: plan.segments[n] for n in levels if n in plan.segments}
    if top not in frames or frames[top].height == 0:
        return
    layout = _Layout(specs, levels, plan.period.school_year, plan.period.private)
    if frames[top].height <= CHUNK_ROWS:  # one chunk (most schools): no need to number it
        rows = {n: f for n, f in frames.items() if f.height}
        yield _text(_fragments(top, rows, layout))
        return
    parts = {
        n: f.partition_by(_CHUNK, as_dict=True)
        for n, f in _assign_chunks(frames, top, specs).items()
    }
    for chunk in range((frames[top].height + CHUNK_ROWS - 1) // CHUNK_ROWS):
        rows = {n: p[(chunk,)] for n, p in parts.items() if (chunk,) in p}
        yield _text(_fragments(top, rows, layout))


def _text(fragments: pl.LazyFrame) -> str:
    """The XML of top-level fragments, in sibling order: one polars query per chunk."""
    text: str = (
        fragments.sort(_SORT, nulls_last=True)
        .select(pl.col(_FRAG).str.join(""))
        .collect(engine=IN_MEMORY)
        .item()
    )
    return text


def _assign_chunks(
    frames: dict[str, pl.DataFrame], top: str, specs: dict[str, SegmentSpec]
) -> dict[str, pl.DataFrame]:
    """Number top-level rows into chunks in output order; descendants inherit the number."""
    roots = frames[top].with_columns(_rank()).sort(_SORT, nulls_last=True).drop(_RANK)
    chunked = {top: roots.with_columns((pl.int_range(pl.len()) // CHUNK_ROWS).alias(_CHUNK))}
    for name, frame in frames.items():  # parents come before their children
        parent = chunked.get(specs[name].parent)
        if name != top and parent is not None:
            ids = parent.select(pl.col("_id").alias("_parent"), _CHUNK)
            chunked[name] = frame.join(ids, on="_parent", how="inner")
    return chunked


def _fragments(name: str, rows: dict[str, pl.DataFrame], layout: _Layout) -> pl.LazyFrame:
    """One XML fragment per row of segment `name`, its children already folded in.

    Lazy: a chunk's whole tree of segments is one polars query (a few calls per segment
    each cost a fixed ~0.3 ms, about 300 per BSID)."""
    spec = layout.specs[name]
    schema = rows[name].schema
    frame = rows[name].lazy().with_columns(_rank())
    child_columns = {}
    for child in spec.children:
        if child not in rows:
            continue
        column = f"__child_{child}"
        joined = (
            _fragments(child, rows, layout)
            .group_by("_parent")
            .agg(pl.col(_FRAG).sort_by(_SORT, nulls_last=True).str.join("").alias(column))
        )
        frame = frame.join(joined, left_on="_id", right_on="_parent", how="left")
        child_columns[child] = pl.col(column).fill_null("")
    indent = INDENT * layout.levels[name]
    parts: list[pl.Expr] = []
    values: dict[str, pl.Expr] = {}
    for item in spec.sequence():  # elements and children in the rule book's order
        if isinstance(item, str):
            parts += [child_columns[item]] if item in child_columns else []
        elif item.applies(layout.school_year, layout.private):
            # The value is a column of its own: the line reads it twice (null or not), and
            # an expression written twice is planned twice.
            column = f"{_VALUE}{len(values)}"
            values[column] = _value(spec, item, schema)
            parts.append(_element_line(item, pl.col(column), schema, indent + INDENT))
    frame = frame.with_columns(value.alias(column) for column, value in values.items())
    tag = spec.xml_tag
    fragment = pl.concat_str([pl.lit(f"{indent}<{tag}>\n"), *parts, pl.lit(f"{indent}</{tag}>\n")])
    return frame.select("_id", "_parent", _RANK, "_order", fragment.alias(_FRAG))


def _element_line(element: ElementSpec, value: pl.Expr, schema: pl.Schema, indent: str) -> pl.Expr:
    """`<NAME>value</NAME>`, `<NAME/>` when `value` is null, nothing when the row omits it."""
    name = element.name
    line = (
        pl.when(value.is_null())
        .then(pl.lit(f"{indent}<{name}/>\n"))
        .otherwise(pl.concat_str([pl.lit(f"{indent}<{name}>"), value, pl.lit(f"</{name}>\n")]))
    )
    omit = name + OMIT_SUFFIX
    if omit in schema:
        line = pl.when(pl.col(omit).fill_null(False)).then(pl.lit("")).otherwise(line)
    return line


def _value(spec: SegmentSpec, element: ElementSpec, schema: pl.Schema) -> pl.Expr:
    """The element's text (escaped), null when the element is to be written empty."""
    if element.type == "action":
        return _escape(pl.col("_action"))
    if element.fixed is not None:
        return pl.lit(escape_text(element.fixed))
    return element_text(spec, element, schema, escape=_escape)


def element_text(
    spec: SegmentSpec,
    element: ElementSpec,
    schema: pl.Schema,
    escape: Callable[[pl.Expr], pl.Expr] = lambda text: text,
) -> pl.Expr:
    """The text a plan column is written as (escaped by `escape`), null when empty."""
    if element.name not in schema:
        raise PlanShapeError(f"plan segment {spec.segment} has no column {element.name}")
    column, dtype = pl.col(element.name), schema[element.name]
    if dtype == pl.Null:
        return pl.lit(None, dtype=pl.String)
    if dtype == pl.String:  # already formatted by the segment
        return escape(column)
    formatter = _FORMATTERS.get(element.type)
    if formatter is None or not formatter[0](dtype):
        raise TypeError(
            f"{spec.segment}.{element.name}: a {dtype} column cannot be written as {element.type}"
        )
    return formatter[1](column, element)


def _escape(value: pl.Expr) -> pl.Expr:
    return (
        value.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _decimal(value: pl.Expr, places: int) -> pl.Expr:
    """Exactly `places` decimals, half away from zero. The first rounding to 6 places
    absorbs binary noise (1.005 * 100 = 100.4999...), so 1.005 gives 1.01."""
    scale = 10**places
    scaled = ((value.cast(pl.Float64) * scale).round(6).round(0, mode="half_away_from_zero")).cast(
        pl.Int64, strict=False
    )
    digits = scaled.abs()
    body = (digits // scale).cast(pl.String)
    if places:
        fraction = (digits % scale).cast(pl.String).str.zfill(places)
        body = pl.concat_str([body, pl.lit("."), fraction])
    return pl.when(scaled < 0).then(pl.concat_str([pl.lit("-"), body])).otherwise(body)


def _is_temporal(dtype: pl.DataType) -> bool:
    return dtype in (pl.Date, pl.Datetime)


def _is_time(dtype: pl.DataType) -> bool:
    return dtype in (pl.Time, pl.Datetime)


def _flag(true: str, false: str) -> Formatter:
    # when/when without otherwise keeps null as null (written as an empty element)
    return lambda c, _e: pl.when(c).then(pl.lit(true)).when(c.not_()).then(pl.lit(false))


# element type -> (accepted column dtype, formatter); String columns are taken as they are
_FORMATTERS: dict[str, tuple[Callable[[pl.DataType], bool], Formatter]] = {
    "date": (_is_temporal, lambda c, _e: c.dt.strftime("%Y/%m/%d")),
    "year_month": (_is_temporal, lambda c, _e: c.dt.strftime("%Y/%m")),
    "time": (_is_time, lambda c, _e: c.dt.strftime("%H%M%S")),
    "flag": (lambda d: d == pl.Boolean, _flag("T", "F")),
    "clear_flag": (lambda d: d == pl.Boolean, _flag("Y", "N")),
    "decimal": (lambda d: d.is_numeric(), lambda c, e: _decimal(c, e.places or 0)),
    "integer": (lambda d: d.is_integer(), lambda c, _e: c.cast(pl.String)),
}


# --- characters outside Latin-1 ----------------------------------------------------------


def _latin1_findings(
    plan: Plan, specs: dict[str, SegmentSpec], show_pii: bool = False
) -> list[Finding]:
    """One OUT002 per (segment, row, element) whose written text leaves Latin-1."""
    year, private = plan.period.school_year, plan.period.private
    tests = {}
    for name in sorted(plan.segments):
        frame = plan.segments[name]
        schema = frame.schema  # a new object at each reading: read once
        hits = {}
        for element in specs[name].applicable_elements(year, private):
            if element.fixed is not None or schema.get(element.name) != pl.String:
                continue
            hit = pl.col(element.name).str.contains(_NON_LATIN1)
            omit = element.name + OMIT_SUFFIX
            if omit in schema:
                hit = hit & ~pl.col(omit).fill_null(False)
            hits[element.name] = hit
        if hits and not frame.is_empty():
            tests[name] = hits
    # One pass says which elements have any such text, every segment's in one polars call;
    # only those are looked at row by row.
    queries = [
        plan.segments[name].lazy().select(hit.any().alias(n) for n, hit in hits.items())
        for name, hits in tests.items()
    ]
    findings = []
    for (name, hits), found in zip(
        tests.items(), pl.collect_all(queries, engine=IN_MEMORY), strict=True
    ):
        for element_name in (n for n, any_hit in found.row(0, named=True).items() if any_hit):
            offending = plan.segments[name].filter(hits[element_name]).select("_id", element_name)
            findings += [
                _outside_latin1(name, key, element_name, value, show_pii)
                for key, value in offending.iter_rows()
            ]
    return findings


def _outside_latin1(segment: str, key: str, element: str, value: str, show_pii: bool) -> Finding:
    """OUT002: how many characters leave Latin-1; which ones (`chars`) only with `show_pii`."""
    count = sum(ord(ch) > 0xFF for ch in value)
    if not show_pii:
        return finding("OUT002", segment=segment, key=key, element=element, count=count, shown="")
    chars = describe_chars(value)
    return finding(
        "OUT002",
        segment=segment,
        key=key,
        element=element,
        count=count,
        shown=f" ({chars})",
        chars=chars,
    )


def describe_chars(value: str) -> str:
    """'ő (U+0151), ł (U+0142)': the distinct characters of `value` outside Latin-1."""
    seen = dict.fromkeys(ch for ch in value if ord(ch) > 0xFF)
    return ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in seen)
