"""What a batch file would change in the Pending Area: `onsis-batch diff FILE --pae DIR`.

Each record is set against the PAE row with the same key: `add` (new to OnSIS),
`add-existing` (OnSIS already holds the key), `update` (old → new for the elements the
extract carries), `update-missing` / `delete-missing` (OnSIS holds no such record),
`delete`. PAE rows the file does not touch are counted. Segments whose key the extract
cannot give (no extract, or a key element no layout column holds) are listed as not
compared, with the reason.

A layout column holds the element of its name (`grade_type`: GRADE_TYPE), or the one its
`element` names (`diploma_type`: DIPLOMA.TYPE). Several columns may hold one element:
0004's two OTHER_COURSE_INFO columns give a record per filled column (D713).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from onsis_batch.pae.extracts import Layout, PaeSet, read_pae_folder
from onsis_batch.pae.layout import load_layouts
from onsis_batch.period.periods import PERIOD_KINDS, default_period_code
from onsis_batch.plan.keys import SEPARATOR, as_text, key_part_expr
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs
from onsis_batch.tools.diff import DiffResult, Tally, compare
from onsis_batch.tools.records import BOOKKEEPING, Batch, read_batch


def diff_pae(
    xml: Path, pae_dir: Path, *, show_pii: bool = False, period_description: str | None = None
) -> DiffResult:
    """What the batch file `xml` would change in the Pending Area held in `pae_dir`."""
    batch = read_batch(xml, keep=held_elements())  # what no extract holds is never compared
    pae = read_batch_pae(batch, pae_dir, period_description)
    specs, tally, skipped = load_specs(), Tally(), {}
    for name in sorted(batch.frames):
        record = batch.frames.pop(name)  # released once compared
        spec = specs.get(name)
        reason = not_comparable(spec)
        if reason or spec is None or spec.pae_extract is None:
            skipped[name] = reason or ""
            continue
        layout = load_layouts()[spec.pae_extract]
        pending = pl.concat(
            [
                pending_records(pae.for_bsid(bsid)[spec.pae_extract], spec, layout, bsid)
                for bsid in batch.schools
            ],
            how="diagonal_relaxed",
        )
        shared = [c for c in pending.columns if c in record.columns and not c.startswith("_")]
        compared = compare(pending, record.select(*BOOKKEEPING, *shared), spec, show_pii)
        tally.add(name, _pae_change(compared))
    result = tally.result("pae", str(pae_dir), str(xml), batch)
    result.not_compared, result.findings = skipped, list(pae.findings)
    return result


def held_elements() -> set[str]:
    """Every element some extract holds for its segment, and ACTION."""
    held = {"ACTION"}
    for spec in load_specs().values():
        if spec.pae_extract is not None:
            layout = load_layouts()[spec.pae_extract]
            held |= {e.name for e in spec.elements if layout.columns_of(spec.segment, e.name)}
    return held


def batch_period_description(batch: Batch) -> str:
    """The PAE header description of the file's period (board overrides aside)."""
    for kind in PERIOD_KINDS:
        code, description = default_period_code(kind, batch.school_year)
        if code == batch.period_code:
            return description
    return batch.period_code


def read_batch_pae(batch: Batch, pae_dir: Path, period_description: str | None = None) -> PaeSet:
    """The extracts in `pae_dir` of the batch file's schools, in its year and period (none
    required: a tool reads what the folder holds and reports the rest)."""
    return read_pae_folder(
        pae_dir,
        school_year=batch.school_year,
        period_code=batch.period_code,
        period_description=period_description or batch_period_description(batch),
        bsids=batch.schools,
        required=(),
    )


def chain(spec: SegmentSpec) -> list[SegmentSpec]:
    """The spec and its ancestors, root first."""
    specs, found = load_specs(), [spec]
    while found[0].parent in specs:
        found.insert(0, specs[found[0].parent])
    return found


def not_comparable(spec: SegmentSpec | None) -> str | None:
    """Why a segment cannot be compared with the PAE, or None when it can."""
    if spec is None:
        return "no segment spec describes it"
    if spec.pae_extract is None:
        return "no Pending Area Extract holds this segment"
    layout = load_layouts()[spec.pae_extract]
    missing = [k for s in chain(spec) for k in s.key if not layout.columns_of(s.segment, k)]
    if missing:
        return f"extract {spec.pae_extract} has no column for key {', '.join(missing)}"
    return None


def _held(level: SegmentSpec, compared: SegmentSpec) -> list[ElementSpec]:
    """The elements read from the extract at one level: the key of an ancestor, every
    element (ACTION aside) of the compared segment."""
    if level is not compared:
        return [level.element(k) for k in level.key]
    return [e for e in level.elements if e.type != "action"]


def _as_elements(frame: pl.DataFrame, spec: SegmentSpec, layout: Layout) -> pl.DataFrame:
    """The extract's rows as text named `SEGMENT.ELEMENT`, one row per value of an element
    several columns hold (null values left out)."""
    values: list[pl.Expr] = []
    several: list[str] = []
    for level in chain(spec):
        for element in _held(level, spec):
            name = f"{level.segment}.{element.name}"
            texts = [
                as_text(c, frame.schema[c]) for c in layout.columns_of(level.segment, element.name)
            ]
            if len(texts) == 1:
                values.append(texts[0].alias(name))
            elif texts:
                values.append(pl.concat_list(texts).list.drop_nulls().alias(name))
                several.append(name)
    rows = frame.select(values)
    for name in several:
        rows = rows.explode(name)
    return rows


def _column_of(segment: str) -> Callable[[str], str]:
    """Element name -> the column `_as_elements` names it, at one level."""
    return lambda element: f"{segment}.{element}"


def pending_records(
    frame: pl.DataFrame, spec: SegmentSpec, layout: Layout, bsid: str
) -> pl.DataFrame:
    """PAE rows of one extract in the shape of the segment's records (key path, elements).

    Rows without any value for the segment's own key hold no record of it (a SAL program
    without components holds no COMPONENT) and are left out.
    """
    rows = _as_elements(frame, spec, layout)
    parts: list[pl.Expr] = []
    for level in chain(spec):
        parts += [pl.lit(SEPARATOR)] if parts else []
        parts.append(key_part_expr(level, level.xml_tag, _column_of(level.segment)))
    own = [f"{spec.segment}.{k}" for k in spec.key]
    if own:
        rows = rows.filter(pl.any_horizontal(pl.col(own).is_not_null()))
    elements = [
        pl.col(f"{spec.segment}.{e.name}").alias(e.name)
        for e in _held(spec, spec)
        if f"{spec.segment}.{e.name}" in rows.columns
    ]
    return rows.select(
        pl.lit(bsid).alias("_school"),
        pl.lit(spec.segment).alias("_segment"),
        pl.lit(len(chain(spec)), pl.Int64).alias("_level"),
        pl.concat_str(parts).alias("_key"),
        pl.lit(None, pl.String).alias("_parent_key"),
        pl.lit(None, pl.String).alias("_action"),
        pl.lit(None, pl.Int64).alias("_line"),
        *elements,
    ).unique("_key", keep="first", maintain_order=True)


def _pae_change(compared: pl.DataFrame) -> pl.DataFrame:
    """Files-diff states turned into what the XML's ACTION does to the Pending Area."""
    action = pl.col("new_action")
    change = pl.col("change")
    held = change.is_in(["changed", "same"])
    return compared.with_columns(
        pl.when(change == "removed")
        .then(pl.lit("untouched"))
        .when(action == "DELETE")
        .then(pl.when(held).then(pl.lit("delete")).otherwise(pl.lit("delete-missing")))
        .when(action == "ADD")
        .then(pl.when(held).then(pl.lit("add-existing")).otherwise(pl.lit("add")))
        .when(action == "UPDATE")
        .then(
            pl.when(change == "changed")
            .then(pl.lit("update"))
            .when(change == "same")
            .then(pl.lit("no-change"))
            .otherwise(pl.lit("update-missing"))
        )
        # a segment without ACTION (STUDENT) is written whole, like an ADD or an UPDATE
        .when(change == "changed")
        .then(pl.lit("update"))
        .when(change == "same")
        .then(pl.lit("no-change"))
        .otherwise(pl.lit("add"))
        .alias("change")
    )
