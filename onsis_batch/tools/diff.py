"""Semantic diff of batch files: two submissions, or a submission against the Pending Area.

Records are matched on their natural key path (see `records`), per school and segment, so
the order of records in the files does not matter; values are compared in canonical form
(dates, codes; numbers as numbers), so `1.0` and `1.00` are the same credit.

* `diff_files(A, B)`: every record `added` in B, `removed` from A, or `changed` (old → new
  per element, ACTION included).
* `diff_pae(XML, PAE folder)` (in `diff_pae`): what the file would change in OnSIS.

Values of personal elements (names, birth date, postal code) are masked unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.plan.keys import canonical
from onsis_batch.report.masking import PERSONAL
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs
from onsis_batch.tools.records import Batch, read_batch

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
    tally = Tally()
    for name in sorted(set(a.frames) | set(b.frames)):  # each released once compared
        compared = compare(
            a.frames.pop(name, None), b.frames.pop(name, None), specs.get(name), show_pii
        )
        tally.add(name, compared)
    return tally.result("files", str(old), str(new), b)


def _element_specs(spec: SegmentSpec | None, names: list[str]) -> list[tuple[str, Any]]:
    """Element names in spec order (unknown ones last), each with its spec if any."""
    known = {e.name: e for e in spec.elements} if spec else {}
    ordered = [n for n in known if n in names] + sorted(n for n in names if n not in known)
    return [(n, known.get(n)) for n in ordered]


NUMBER = r"^(?P<sign>[+-]?)(?P<whole>\d*)\.?(?P<fraction>\d*)$"
IS_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"  # plain notation: digits on one side of the point at least


def compared_value(expr: pl.Expr, element: ElementSpec | None) -> pl.Expr:
    """A value in the form the diff compares: numbers as numbers (D712), else canonical.

    `100.00` and `100`, `.50` and `0.50`, `075` and `75` are the same number; the text is
    kept exact (no rounding), padded to the element's places, so `0.125` still differs
    from `0.13`. A value of a numeric element that is no number is compared as text.
    """
    if element is None or element.type not in ("decimal", "integer"):
        return canonical(expr, element)
    text = expr.cast(pl.String).str.strip_chars()
    parts = text.str.extract_groups(NUMBER)
    whole = parts.struct.field("whole").str.strip_chars_start("0")
    whole = pl.when(whole == "").then(pl.lit("0")).otherwise(whole)
    fraction = parts.struct.field("fraction").fill_null("").str.strip_chars_end("0")
    if element.places:
        fraction = fraction.str.pad_end(element.places, "0")
    zero = (whole == "0") & (fraction.str.strip_chars("0") == "")
    sign = (
        pl.when((parts.struct.field("sign") == "-") & ~zero).then(pl.lit("-")).otherwise(pl.lit(""))
    )
    point = pl.when(fraction == "").then(pl.lit("")).otherwise(pl.lit("."))
    number = pl.concat_str([sign, whole, point, fraction])
    blank = pl.when(text == "").then(None).otherwise(text)
    return pl.when(text.str.contains(IS_NUMBER)).then(number).otherwise(blank)


def _values(frame: pl.DataFrame, names: list[tuple[str, Any]], tag: str) -> list[pl.Expr]:
    return [
        (compared_value(pl.col(n), e) if n in frame.columns else pl.lit(None, pl.String)).alias(
            f"{tag}:{n}"
        )
        for n, e in names
    ]


def _side(frame: pl.DataFrame | None, names: list[tuple[str, Any]], tag: str) -> pl.DataFrame:
    """One side of a comparison: key, action, level and a hash of its compared values."""
    schema = {"_school": pl.String, "_key": pl.String, "_level": pl.Int64, "_action": pl.String}
    if frame is None:
        frame = pl.DataFrame(schema=schema)
    values = _values(frame, names, tag)
    digest = pl.struct(values).hash(seed=0) if values else pl.lit(0, pl.UInt64)
    return frame.select(
        *KEYS,
        pl.col("_level").alias(f"{tag}:_level"),
        pl.col("_action").alias(f"{tag}:_action"),
        digest.alias(f"{tag}:_hash"),
        pl.lit(True).alias(f"{tag}:_present"),
    )


def _shown(expr: pl.Expr, element: ElementSpec | None, show_pii: bool) -> pl.Expr:
    if element is None or not element.personal or show_pii:
        return expr
    return pl.when(expr.is_not_null()).then(pl.lit(MASK))


def _details(
    frame: pl.DataFrame | None, names: list[tuple[str, Any]], tag: str, wanted: pl.DataFrame
) -> pl.DataFrame:
    """The compared values of the records of `wanted` (school and key) on one side."""
    if frame is None:
        return wanted.with_columns(pl.lit(None, pl.String).alias(f"{tag}:{n}") for n, _ in names)
    rows = frame.join(wanted, on=KEYS, how="semi")
    return rows.select(*KEYS, *_values(rows, names, tag))


def _differences(
    old: pl.DataFrame | None,
    new: pl.DataFrame | None,
    names: list[tuple[str, Any]],
    wanted: pl.DataFrame,
    show_pii: bool,
) -> pl.DataFrame:
    """School, key and the elements that differ, for the records of `wanted`."""
    joined = wanted.join(_details(old, names, "o", wanted), on=KEYS, how="left").join(
        _details(new, names, "n", wanted), on=KEYS, how="left"
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
    elements = (
        pl.concat_list(differs).list.drop_nulls()
        if differs
        else pl.lit([], CHANGE_SCHEMA["elements"])
    )
    return joined.select(*KEYS, elements.alias("elements"))


def compare(
    old: pl.DataFrame | None,
    new: pl.DataFrame | None,
    spec: SegmentSpec | None,
    show_pii: bool,
) -> pl.DataFrame:
    """Full join of two record frames on the key path, with the elements that differ.

    The records are first matched on a hash of their compared values; only those that are
    not the same on both sides are compared element by element (D711), so a large file is
    never held again in compared form.
    """
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
    in_old, in_new = pl.col("o:_present").fill_null(False), pl.col("n:_present").fill_null(False)
    same = in_old & in_new & (pl.col("o:_hash") == pl.col("n:_hash"))
    joined = joined.with_columns(same.alias("_same"))
    wanted = joined.filter(~pl.col("_same")).select(KEYS)
    found = _differences(old, new, names, wanted, show_pii)
    empty = pl.lit([], CHANGE_SCHEMA["elements"])
    return joined.join(found, on=KEYS, how="left", nulls_equal=True).select(
        pl.col("_school").alias("school"),
        pl.coalesce("n:_level", "o:_level").alias("level"),
        pl.col("_key").alias("key"),
        pl.when(in_old & in_new)
        .then(pl.when(pl.col("_same")).then(pl.lit("same")).otherwise(pl.lit("changed")))
        .when(in_new)
        .then(pl.lit("added"))
        .otherwise(pl.lit("removed"))
        .alias("change"),
        pl.col("o:_action").alias("old_action"),
        pl.col("n:_action").alias("new_action"),
        pl.when(pl.col("_same")).then(empty).otherwise(pl.col("elements")).alias("elements"),
    )


class Tally:
    """Counts per segment and change, and the records that differ, gathered segment by
    segment so that the unchanged records of a large file are never all kept."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}
        self.shown: list[pl.DataFrame] = []

    def add(self, segment: str, compared: pl.DataFrame) -> None:
        """Count one segment's compared records and keep those that differ."""
        order = list(CHANGE_SCHEMA)
        rows = compared.with_columns(pl.lit(segment).alias("segment")).select(order)
        for change, n in rows.group_by("change").len().sort("change").iter_rows():
            self.counts.setdefault(segment, {})[change] = n
        self.shown.append(rows.filter(~pl.col("change").is_in([*UNCHANGED, "untouched"])))

    def result(self, mode: str, left: str, right: str, batch: Batch) -> DiffResult:
        """The diff: counts by segment name, changes by school, level, segment and key."""
        shown = (
            pl.concat(self.shown, how="vertical_relaxed")
            if self.shown
            else pl.DataFrame(schema=CHANGE_SCHEMA)
        )
        return DiffResult(
            mode=mode,
            left=left,
            right=right,
            school_year=batch.school_year,
            period_code=batch.period_code,
            schools=batch.schools,
            changes=shown.sort("school", "level", "segment", "key", maintain_order=True),
            counts=dict(sorted(self.counts.items())),
        )
