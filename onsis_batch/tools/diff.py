"""Semantic diff of batch files: two submissions, or a submission against the Pending Area.

Records are matched on their natural key path (see `records`), per school and segment, so
the order of records in the files does not matter; values are compared in canonical form
(dates, decimals, codes), so `1.0` and `1.00` are the same credit.

* `diff_files(A, B)`: every record `added` in B, `removed` from A, or `changed` (old → new
  per element, ACTION included).
* `diff_pae(XML, PAE folder)`: what the file would change in OnSIS. Each record is set
  against the PAE row with the same key: `add` (new to OnSIS), `add-existing` (OnSIS
  already holds the key), `update` (old → new for the elements the extract carries),
  `update-missing` / `delete-missing` (OnSIS holds no such record), `delete`. PAE rows the
  file does not touch are counted. Segments whose key the extract cannot give (no extract,
  or a key element the layout lacks) are listed as not compared, with the reason.

Values of personal elements (names, birth date, postal code) are masked unless asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.pae.extracts import read_pae_folder
from onsis_batch.pae.layout import load_layouts
from onsis_batch.period.periods import default_period_code
from onsis_batch.plan.keys import SEPARATOR, as_text, canonical, key_part_expr
from onsis_batch.report.masking import PERSONAL
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs
from onsis_batch.tools.records import BOOKKEEPING, Batch, read_batch

MASK = PERSONAL
KEYS = ["_school", "_key"]
CHANGE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school": pl.String,
    "segment": pl.String,
    "level": pl.Int64,
    "key": pl.String,
    "change": pl.String,
    "old_action": pl.String,
    "new_action": pl.String,
    "elements": pl.List(pl.Struct({"name": pl.String, "old": pl.String, "new": pl.String})),
}
UNCHANGED = ("same", "no-change")


@dataclass
class DiffResult:
    """A diff as plain data; `changes` has one row per record that differs."""

    mode: str  # "files" or "pae"
    left: str
    right: str
    school_year: str
    period_code: str
    schools: list[str]
    changes: pl.DataFrame
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    not_compared: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        """Whether any record differs."""
        return self.changes.height > 0


def diff_files(old: Path, new: Path, *, show_pii: bool = False) -> DiffResult:
    """Records added, removed and changed from the batch file `old` to `new`."""
    a, b = read_batch(old), read_batch(new)
    specs = load_specs()
    frames = []
    for name in sorted(set(a.frames) | set(b.frames)):
        compared = _compare(a.frames.get(name), b.frames.get(name), specs.get(name), show_pii)
        frames.append(compared.with_columns(pl.lit(name).alias("segment")))
    return _result("files", str(old), str(new), b, frames)


def diff_pae(
    xml: Path, pae_dir: Path, *, show_pii: bool = False, period_description: str | None = None
) -> DiffResult:
    """What the batch file `xml` would change in the Pending Area held in `pae_dir`."""
    batch = read_batch(xml)
    description = period_description or batch_period_description(batch)
    pae = read_pae_folder(
        pae_dir,
        school_year=batch.school_year,
        period_code=batch.period_code,
        period_description=description,
        bsids=batch.schools,
        required=(),
    )
    specs = load_specs()
    frames, skipped = [], {}
    for name in sorted(batch.frames):
        spec = specs.get(name)
        reason = _not_comparable(spec)
        if reason:
            skipped[name] = reason
            continue
        assert spec is not None and spec.pae_extract is not None
        pending = pl.concat(
            [_pending(pae.for_bsid(bsid)[spec.pae_extract], spec, bsid) for bsid in batch.schools],
            how="diagonal_relaxed",
        )
        record = batch.frames[name]
        shared = [c for c in pending.columns if c in record.columns and not c.startswith("_")]
        compared = _compare(pending, record.select(*BOOKKEEPING, *shared), spec, show_pii)
        frames.append(_pae_change(compared).with_columns(pl.lit(name).alias("segment")))
    result = _result("pae", str(pae_dir), str(xml), batch, frames)
    result.not_compared, result.findings = skipped, list(pae.findings)
    return result


def batch_period_description(batch: Batch) -> str:
    """The PAE header description of the file's period (board overrides aside)."""
    for kind in ("oct", "mar", "jun"):
        code, description = default_period_code(kind, batch.school_year)
        if code == batch.period_code:
            return description
    return batch.period_code


def _chain(spec: SegmentSpec) -> list[SegmentSpec]:
    """The spec and its ancestors, root first."""
    specs, chain = load_specs(), [spec]
    while chain[0].parent in specs:
        chain.insert(0, specs[chain[0].parent])
    return chain


def _not_comparable(spec: SegmentSpec | None) -> str | None:
    if spec is None:
        return "no segment spec describes it"
    if spec.pae_extract is None:
        return "no Pending Area Extract holds this segment"
    layout = {c.name for c in load_layouts()[spec.pae_extract].columns}
    missing = [k for s in _chain(spec) for k in s.key if k.lower() not in layout]
    if missing:
        return f"extract {spec.pae_extract} has no column for key {', '.join(missing)}"
    return None


def _pending(frame: pl.DataFrame, spec: SegmentSpec, bsid: str) -> pl.DataFrame:
    """PAE rows of one extract in the shape of the segment's records (key path, elements)."""
    lower: Callable[[str], str] = str.lower
    parts: list[pl.Expr] = []
    for level in _chain(spec):
        parts += [pl.lit(SEPARATOR)] if parts else []
        parts.append(key_part_expr(level, level.xml_tag, lower))
    elements = [
        as_text(e.name.lower(), frame.schema[e.name.lower()]).alias(e.name)
        for e in spec.elements
        if e.name.lower() in frame.columns and e.type != "action"
    ]
    texts = frame.select(*elements, *[pl.col(c) for c in frame.columns if c in _key_columns(spec)])
    keyed = texts.with_columns(pl.concat_str(parts).alias("_key"))
    return keyed.select(
        pl.lit(bsid).alias("_school"),
        pl.lit(spec.segment).alias("_segment"),
        pl.lit(len(_chain(spec)), pl.Int64).alias("_level"),
        "_key",
        pl.lit(None, pl.String).alias("_parent_key"),
        pl.lit(None, pl.String).alias("_action"),
        pl.lit(None, pl.Int64).alias("_line"),
        *[e.meta.output_name() for e in elements],
    ).unique("_key", keep="first", maintain_order=True)


def _key_columns(spec: SegmentSpec) -> set[str]:
    return {k.lower() for s in _chain(spec) for k in s.key}


def _element_specs(spec: SegmentSpec | None, names: list[str]) -> list[tuple[str, Any]]:
    """Element names in spec order (unknown ones last), each with its spec if any."""
    known = {e.name: e for e in spec.elements} if spec else {}
    ordered = [n for n in known if n in names] + sorted(n for n in names if n not in known)
    return [(n, known.get(n)) for n in ordered]


def _side(frame: pl.DataFrame | None, names: list[tuple[str, Any]], tag: str) -> pl.DataFrame:
    """One side of a comparison: key, action, level and canonical element values."""
    schema = {"_school": pl.String, "_key": pl.String, "_level": pl.Int64, "_action": pl.String}
    if frame is None:
        frame = pl.DataFrame(schema=schema)
    values = [
        (canonical(pl.col(n), e) if n in frame.columns else pl.lit(None, pl.String)).alias(
            f"{tag}:{n}"
        )
        for n, e in names
    ]
    return frame.select(
        *KEYS,
        pl.col("_level").alias(f"{tag}:_level"),
        pl.col("_action").alias(f"{tag}:_action"),
        *values,
        pl.lit(True).alias(f"{tag}:_present"),
    )


def _shown(expr: pl.Expr, element: ElementSpec | None, show_pii: bool) -> pl.Expr:
    if element is None or not element.personal or show_pii:
        return expr
    return pl.when(expr.is_not_null()).then(pl.lit(MASK))


def _compare(
    old: pl.DataFrame | None,
    new: pl.DataFrame | None,
    spec: SegmentSpec | None,
    show_pii: bool,
) -> pl.DataFrame:
    """Full join of two record frames on the key path, with the elements that differ."""
    columns = [
        c
        for frame in (old, new)
        if frame is not None
        for c in frame.columns
        if not c.startswith("_")
    ]
    names = _element_specs(spec, list(dict.fromkeys(columns)))
    joined = _side(old, names, "o").join(
        _side(new, names, "n"), on=KEYS, how="full", coalesce=True, nulls_equal=False
    )
    differs = [
        pl.when(pl.col(f"o:{n}").ne_missing(pl.col(f"n:{n}"))).then(
            pl.struct(
                name=pl.lit(n),
                old=_shown(pl.col(f"o:{n}"), e, show_pii),
                new=_shown(pl.col(f"n:{n}"), e, show_pii),
            )
        )
        for n, e in names
    ]
    in_old, in_new = pl.col("o:_present").fill_null(False), pl.col("n:_present").fill_null(False)
    elements = (
        pl.concat_list(differs).list.drop_nulls()
        if differs
        else pl.lit([], CHANGE_SCHEMA["elements"])
    )
    return joined.select(
        pl.col("_school").alias("school"),
        pl.coalesce("n:_level", "o:_level").alias("level"),
        pl.col("_key").alias("key"),
        pl.when(in_old & in_new)
        .then(pl.when(elements.list.len() > 0).then(pl.lit("changed")).otherwise(pl.lit("same")))
        .when(in_new)
        .then(pl.lit("added"))
        .otherwise(pl.lit("removed"))
        .alias("change"),
        pl.col("o:_action").alias("old_action"),
        pl.col("n:_action").alias("new_action"),
        elements.alias("elements"),
    )


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


def _result(
    mode: str, left: str, right: str, batch: Batch, frames: list[pl.DataFrame]
) -> DiffResult:
    order = list(CHANGE_SCHEMA)
    allrows = (
        pl.concat([f.select(order) for f in frames], how="vertical_relaxed")
        if frames
        else pl.DataFrame(schema=CHANGE_SCHEMA)
    )
    counts: dict[str, dict[str, int]] = {}
    for segment, change, n in (
        allrows.group_by("segment", "change").len().sort("segment", "change").iter_rows()
    ):
        counts.setdefault(segment, {})[change] = n
    shown = allrows.filter(~pl.col("change").is_in([*UNCHANGED, "untouched"]))
    return DiffResult(
        mode=mode,
        left=left,
        right=right,
        school_year=batch.school_year,
        period_code=batch.period_code,
        schools=batch.schools,
        changes=shown.sort("school", "level", "segment", "key", maintain_order=True),
        counts=counts,
    )
