"""Natural key paths of plan rows (`OEN=123456789 / STUDENT_SCHOOL_ENROLMENT /
CLASS_CODE=MCV4U-01`, D200) and the one definition of their form (`canonical`,
`key_part_expr`), which the diff and results tools also use on records read from files, so
a key copied from a diff or a work list names the same record in the next run's plan."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from onsis_batch.plan.model import Plan
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs

SEPARATOR = " / "  # between the levels of a key path


def as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """A typed plan or PAE column as the text a batch file would carry."""
    col = pl.col(name)
    if dtype == pl.Date:
        return col.dt.strftime("%Y/%m/%d")
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("T")).when(~col).then(pl.lit("F"))
    return col.cast(pl.String)


def canonical(expr: pl.Expr, element: ElementSpec | None) -> pl.Expr:
    """A text column in the form two sources are compared in (null when empty)."""
    text = expr.cast(pl.String).str.strip_chars()
    text = pl.when(text == "").then(None).otherwise(text)
    kind = element.type if element else "text"
    if kind == "decimal" and element is not None and element.places:
        scale = 10**element.places
        # not a number, or one no Int64 holds ("1e309" is infinite): compared as written
        number = (text.cast(pl.Float64, strict=False) * scale).round(0).cast(pl.Int64, strict=False)
        fixed = pl.format(
            "{}{}.{}",
            pl.when(number < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (number.abs() // scale).cast(pl.String),
            (number.abs() % scale).cast(pl.String).str.zfill(element.places),
        )
        return pl.coalesce(fixed, text)
    if kind in ("date", "year_month"):
        return text.str.replace_all("-", "/")
    if kind in ("flag", "clear_flag", "code", "action", "postal_code") or (element and element.key):
        return text.str.to_uppercase()
    return text


def key_part_expr(
    spec: SegmentSpec | None, tag: str, column: Callable[[str], str] = str
) -> pl.Expr:
    """One level of a key path: `K1=v1,K2=v2`, or the tag of a keyless segment.

    `column` maps an element name to the frame's column (PAE frames use lower case).
    """
    if spec is None or not spec.key:
        return pl.lit(tag)
    parts: list[pl.Expr] = []
    for i, name in enumerate(spec.key):
        value = canonical(pl.col(column(name)), spec.element(name)).str.to_uppercase()
        parts += [pl.lit(("," if i else "") + name + "="), value.fill_null("")]
    return pl.concat_str(parts)


def natural_keys(plan: Plan) -> dict[str, pl.DataFrame]:
    """Per segment of the plan: `_id` and `_key`, the row's natural key path."""
    specs = load_specs()
    done: dict[str, pl.DataFrame] = {}

    def build(name: str) -> pl.DataFrame:
        if name in done:
            return done[name]
        spec, frame = specs[name], plan.segments[name]
        texts = frame.select(
            "_id",
            "_parent",
            *[as_text(k, frame.schema[k]).alias(k) for k in spec.key if k in frame.columns],
        )
        texts = texts.with_columns(
            pl.lit(None, pl.String).alias(k) for k in spec.key if k not in frame.columns
        )
        part = key_part_expr(spec, spec.xml_tag)
        if spec.parent in plan.segments:
            parents = build(spec.parent).select(
                pl.col("_id").alias("_parent"), pl.col("_key").alias("_parent_key")
            )
            texts = texts.join(parents, on="_parent", how="left")
            key = pl.concat_str(pl.col("_parent_key"), pl.lit(SEPARATOR), part)
        else:
            key = part
        done[name] = texts.select("_id", key.alias("_key"))
        return done[name]

    return {name: build(name) for name in sorted(plan.segments)}
