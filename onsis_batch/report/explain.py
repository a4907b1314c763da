"""Explain one record of a run: every segment sent or not sent for it, and why.

A record is a student (`--oen`), a class (`--class`) or an educator (`--men`). From the
plan built in memory, the explanation lists, segment by segment of the record's subtree,
the rows sent (action, rule id from `_reason` with its English and French titles from the
reason catalog, natural key), the school-data rows read for the record (table and `_row`)
and the PAE rows it was compared with. A segment with no row says why, in this order
(D280): it is not reported in this period; its parent is not sent; a check stopped it (a
finding about the record names the segment); OnSIS already holds it and no rule sent a
change; the school data has rows but no rule selected them; or there is nothing in the
school data or the PAE. The record's own segment, when the plan left the record out, says
the rule that did (a NOTSENT-* id of `Plan.not_sent`, D844).

Everything is plain data (dicts and lists), rendered as text or JSON elsewhere; values of
personal columns and elements are left out unless asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.findings import Finding
from onsis_batch.pae.layout import load_layouts
from onsis_batch.plan.keys import as_text, natural_keys
from onsis_batch.plan.model import Plan
from onsis_batch.reasons import reason_title
from onsis_batch.report.not_sent import not_sent_rows
from onsis_batch.segments.context import SegmentContext
from onsis_batch.specs import SegmentSpec, load_specs

MAX_ROWS = 50  # input or PAE rows listed per table; the count says how many there are


@dataclass(frozen=True)
class SubjectKind:
    """How a kind of record is found in the plan, the school data and the PAE."""

    segment: str  # the record's own segment
    element: str  # its identifying element
    anchor: tuple[str, str]  # (table, column) of the school data naming it
    ids: tuple[str, ...]  # id columns followed from the anchor to the other tables
    pae_column: str  # PAE column naming it
    related: tuple[str, ...] = ()  # other segments naming it (e.g. class enrolments)


KINDS = {
    "oen": SubjectKind("STUDENT", "OEN", ("students", "oen"), ("student_id",), "oen"),
    "class": SubjectKind(
        "CLASS",
        "CLASS_CODE",
        ("sections", "class_code"),
        ("section_id",),
        "class_code",
        ("STUDENT_CLASS_ENROLMENT", "CLASS_ASSIGNMENT"),
    ),
    "men": SubjectKind(
        "SCHOOL_EDUCATOR_ASSIGNMENT",
        "MEN",
        ("educators", "men"),
        ("educator_id", "assignment_id"),
        "men",
    ),
}


@dataclass(frozen=True)
class Subject:
    """The record to explain: its kind (oen, class, men) and the value asked for."""

    kind: str  # oen, class or men
    value: str

    @property
    def normal(self) -> str:
        """OEN and MEN as digits only; class codes upper-case."""
        if self.kind == "class":
            return self.value.strip().upper()
        return re.sub(r"\D", "", self.value)

    def matches(self, column: str) -> pl.Expr:
        """True where `column` names this record."""
        text = pl.col(column).cast(pl.String)
        if self.kind == "class":
            return text.str.strip_chars().str.to_uppercase() == self.normal
        return text.str.replace_all(r"\D", "") == self.normal


def explain(
    ctx: SegmentContext,
    plan: Plan,
    findings: list[Finding],
    subject: Subject,
    *,
    show_pii: bool = False,
) -> dict[str, Any]:
    """The explanation of one record as plain data (see the module docstring)."""
    kind = KINDS[subject.kind]
    inputs = input_rows(ctx, subject)
    pae = pae_rows(ctx, subject)
    selected = _selected(plan, subject, inputs)
    related = _related_findings(findings, subject, inputs, selected)
    keys = natural_keys(plan)
    segments = [
        _segment_entry(name, ctx, selected, inputs, pae, related, keys, show_pii)
        for name in [*subtree(kind.segment), *kind.related]
    ]
    found = any(s["rows"] for s in segments) or bool(inputs) or bool(pae)
    students = inputs["students"].get_column("student_id") if "students" in inputs else None
    left_out = not_sent_rows(plan, subject.kind, subject.normal, students)
    for entry in segments:  # the record's own segment: the rule that left it out
        if entry["segment"] == kind.segment and not entry["sent"] and left_out:
            entry["why_not"] = left_out[0]["reason"]
    return {
        "subject": {"kind": subject.kind, "value": subject.normal},
        "period": plan.period.code,
        "school_year": plan.period.school_year,
        "bsid": plan.period.bsid,
        "found": found,
        "segments": segments if found else [],
        "inputs": {
            name: _rows_out(rows, _input_columns(name, show_pii)) for name, rows in inputs.items()
        },
        "pae": {number: _rows_out(rows, _pae_columns(number)) for number, rows in pae.items()},
        "findings": [f.to_dict() for f in related],
        "not_sent": left_out,
    }


@cache
def subtree(root: str) -> tuple[str, ...]:
    """`root` and every segment below it, parents first (spec order among siblings)."""
    specs = load_specs()
    order = [root]
    for name in order:
        order += [c for c in specs[name].children if c in specs]
    return tuple(order)


def input_rows(ctx: SegmentContext, subject: Subject) -> dict[str, pl.DataFrame]:
    """School-data rows of the record: the anchor table's, then every table sharing an id."""
    kind = KINDS[subject.kind]
    table, column = kind.anchor
    found = {table: ctx.tables[table].filter(subject.matches(column))}
    ids = _ids(found[table], kind.ids, {})
    grew = True
    while grew:  # educators -> assignments -> instructional times: follow ids until stable
        grew = False
        for name, frame in ctx.tables.items():
            shared = [c for c in ids if c in frame.columns]
            if name in found or not shared:
                continue
            hit = pl.any_horizontal(
                pl.col(c).cast(pl.String).is_in(pl.Series(sorted(ids[c])).implode()) for c in shared
            )
            found[name] = frame.filter(hit)
            ids = _ids(found[name], kind.ids, ids)
            grew = True
    return {name: rows for name, rows in found.items() if rows.height}


def _ids(
    rows: pl.DataFrame, columns: tuple[str, ...], ids: dict[str, set[str]]
) -> dict[str, set[str]]:
    """`ids` plus the values of the id columns `rows` brings in for the first time."""
    new = dict(ids)
    for column in columns:
        if column in rows.columns and column not in ids:
            new[column] = set(rows.get_column(column).drop_nulls().cast(pl.String).to_list())
    return new


def pae_rows(ctx: SegmentContext, subject: Subject) -> dict[str, pl.DataFrame]:
    """PAE rows naming the record, by extract number."""
    column = KINDS[subject.kind].pae_column
    found = {
        number: frame.filter(subject.matches(column))
        for number, frame in sorted(ctx.pae.items())
        if column in frame.columns
    }
    return {number: rows for number, rows in found.items() if rows.height}


def _selected(
    plan: Plan, subject: Subject, inputs: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """Plan rows of the record: its own rows, their descendants, and related segments'."""
    kind = KINDS[subject.kind]
    specs = load_specs()
    root = plan.segments.get(kind.segment, pl.DataFrame())
    hit = subject.matches(kind.element) if kind.element in root.columns else pl.lit(False)
    if subject.kind == "oen" and "students" in inputs:  # a student sent without its OEN
        own = inputs["students"].get_column("student_id")
        hit = hit | pl.col("_id").is_in(own.implode())
    selected = {kind.segment: root.filter(hit) if root.width else root}
    for name in subtree(kind.segment)[1:]:
        frame = plan.segments.get(name)
        parents = selected.get(specs[name].parent)
        if frame is None or parents is None or not parents.width:
            continue
        selected[name] = frame.filter(pl.col("_parent").is_in(parents.get_column("_id").implode()))
    for name in kind.related:
        frame = plan.segments.get(name)
        if frame is not None and kind.element in frame.columns:
            selected[name] = frame.filter(subject.matches(kind.element))
    return selected


def _about_the_run(found: Finding) -> bool:
    """Findings generate shows for any record's plan: the overrides applied or not (OVR) and
    the extracts read as empty (PAE030), since either may change any record (D982)."""
    return found.code.startswith("OVR") or found.code == "PAE030"


def _related_findings(
    findings: list[Finding],
    subject: Subject,
    inputs: dict[str, pl.DataFrame],
    selected: dict[str, pl.DataFrame],
) -> list[Finding]:
    """Findings about the record (by key: OEN, class code, MEN or row id; or input row) or
    about the whole run."""
    words = {subject.normal}
    for frame in selected.values():
        if "_id" in frame.columns:
            words.update(frame.get_column("_id").drop_nulls().to_list())
    ids = KINDS[subject.kind].ids
    places: set[tuple[str, int]] = set()
    for name, rows in inputs.items():
        places.update((name, r) for r in rows.get_column("_row").to_list())
        for column in ids:
            if column in rows.columns:
                words.update(rows.get_column(column).drop_nulls().cast(pl.String).to_list())

    def about(found: Finding) -> bool:
        if _about_the_run(found):
            return True
        if found.file and found.row is not None and (found.file, found.row) in places:
            return True
        names = [found.key or "", *map(str, found.params.values())]
        parts = {p.strip().upper() for n in names for p in re.split(r"[|,/ ]+", n) if p}
        return bool(parts & {w.upper() for w in words})

    return [f for f in findings if about(f)]


def _segment_entry(
    name: str,
    ctx: SegmentContext,
    selected: dict[str, pl.DataFrame],
    inputs: dict[str, pl.DataFrame],
    pae: dict[str, pl.DataFrame],
    findings: list[Finding],
    keys: dict[str, pl.DataFrame],
    show_pii: bool,
) -> dict[str, Any]:
    spec = load_specs()[name]
    rows = selected.get(name, pl.DataFrame())
    tables = [t for t in source_tables(name) if t in inputs]
    compared = pae.get(spec.pae_extract or "", pl.DataFrame())
    produced = _rows_sent(rows, spec, keys.get(name), show_pii) if rows.height else []
    entry: dict[str, Any] = {
        "segment": name,
        "parent": spec.parent,
        "sent": bool(produced),
        "rows": produced,
        "why_not": None if produced else _why_not(spec, ctx, selected, tables, compared, findings),
        "input_rows": {t: inputs[t].get_column("_row").head(MAX_ROWS).to_list() for t in tables},
        "pae_extract": spec.pae_extract,
        "pae_rows": _pae_status(compared, spec, rows) if compared.height else [],
    }
    return entry


def _why_not(
    spec: SegmentSpec,
    ctx: SegmentContext,
    selected: dict[str, pl.DataFrame],
    tables: list[str],
    compared: pl.DataFrame,
    findings: list[Finding],
) -> str:
    """The rule id of a segment not sent for the record (order in the module docstring)."""
    if ctx.period.kind not in spec.periods:
        return "EXPLAIN-NOT-IN-PERIOD"
    parent = selected.get(spec.parent)
    if spec.parent in load_specs() and (parent is None or parent.height == 0):
        return "EXPLAIN-PARENT-NOT-SENT"
    if any(f.segment == spec.segment for f in findings):
        return "EXPLAIN-CHECK-STOPPED"
    if compared.height:
        return "EXPLAIN-HELD-UNCHANGED"
    if tables:
        return "EXPLAIN-NOT-SELECTED"
    return "EXPLAIN-NO-DATA"


def _rows_sent(
    rows: pl.DataFrame, spec: SegmentSpec, keys: pl.DataFrame | None, show_pii: bool
) -> list[dict[str, Any]]:
    """Plan rows as {action, reason, key, elements}, in plan order."""
    if keys is not None:
        rows = rows.join(keys, on="_id", how="left", maintain_order="left")
    shown = [
        e.name
        for e in spec.elements
        if e.name in rows.columns and e.type != "action" and (show_pii or not e.personal)
    ]
    texts = rows.sort("_order", nulls_last=True).select(
        pl.col("_id"),
        pl.col("_action")
        if "_action" in rows.columns
        else pl.lit(None, pl.String).alias("_action"),
        pl.col("_reason")
        if "_reason" in rows.columns
        else pl.lit(None, pl.String).alias("_reason"),
        pl.col("_key") if "_key" in rows.columns else pl.lit(None, pl.String).alias("_key"),
        *[as_text(n, rows.schema[n]).alias(n) for n in shown],
    )
    return [
        {
            "id": row["_id"],
            "action": row["_action"],
            "reason": row["_reason"],
            "reason_title_en": reason_title(row["_reason"], "en"),
            "reason_title_fr": reason_title(row["_reason"], "fr"),
            "key": row["_key"],
            "elements": {n: row[n] for n in shown if row[n] is not None},
        }
        for row in texts.iter_rows(named=True)
    ]


def reason_text(row: Mapping[str, Any], lang: str = "en") -> str:
    """A sent row's rule id with its title in `lang` beside it (the id alone when the
    catalog has no title for it)."""
    reason = row.get("reason") or "-"
    title = row.get(f"reason_title_{lang}")
    return f"{reason} · {title}" if title else reason


def _pae_status(
    compared: pl.DataFrame, spec: SegmentSpec, rows: pl.DataFrame
) -> list[dict[str, Any]]:
    """Each PAE row compared with the segment: the action sent for it, or `held`.

    A PAE row matches a sent row on the segment's key elements that the extract has (by
    lower-case name, as `diff --pae` does); a keyless segment matches its only row. When
    the extract has none of the key columns, the status is null (cannot tell).
    """
    mapped = [k for k in spec.key if k.lower() in compared.columns]
    base = compared.select(
        "_row",
        *[
            as_text(k.lower(), compared.schema[k.lower()]).str.to_uppercase().alias(k)
            for k in mapped
        ],
    )
    if rows.height and not spec.has_action:  # STUDENT: no ACTION, matched means sent
        rows = rows.with_columns(pl.lit("sent").alias("_action"))
    if not rows.height:
        status = base.with_columns(pl.lit("held").alias("status"))
    elif spec.key and not mapped:
        status = base.with_columns(pl.lit(None, pl.String).alias("status"))
    elif not spec.key:
        status = base.with_columns(pl.lit(rows.get_column("_action")[0]).alias("status"))
    else:
        sent = rows.select(
            *[as_text(k, rows.schema[k]).str.to_uppercase().alias(k) for k in mapped],
            pl.col("_action").alias("status"),
        ).unique(mapped, keep="first")
        status = base.join(sent, on=mapped, how="left", maintain_order="left", nulls_equal=True)
        status = status.with_columns(pl.col("status").fill_null("held"))
    return status.select("_row", "status").rename({"_row": "row"}).head(MAX_ROWS).to_dicts()


@cache
def source_tables(segment: str) -> tuple[str, ...]:
    """School-data tables a segment's elements are read from (their `source` notes);
    a segment whose notes name no table reads its parent's."""
    specs = load_specs()
    spec = specs[segment]
    named = re.compile(r"\b([a-z_]+)\.[a-z_]+")
    tables = contract()
    found = sorted(
        {
            m.group(1)
            for e in spec.elements
            for m in named.finditer(e.source)
            if m.group(1) in tables
        }
    )
    if not found and spec.parent in specs:
        return source_tables(spec.parent)
    return tuple(found)


def _input_columns(table: str, show_pii: bool) -> list[str]:
    """`_row`, then the table's key columns (or its first columns when it has no key)."""
    spec = contract()[table]
    allowed = [c.name for c in spec.columns if show_pii or not c.personal]
    key = [c for c in spec.key if c in allowed] or allowed[:3]
    return ["_row", *key]


def _pae_columns(extract: str) -> list[str]:
    layout = load_layouts()[extract]
    return ["_row", *layout.key]


def _rows_out(rows: pl.DataFrame, columns: list[str]) -> dict[str, Any]:
    shown = [c for c in columns if c in rows.columns]
    texts = rows.head(MAX_ROWS).select(as_text(c, rows.schema[c]).alias(c) for c in shown)
    return {"total": rows.height, "columns": shown, "rows": texts.rows()}
