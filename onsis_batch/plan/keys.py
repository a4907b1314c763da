"""Natural key paths of plan rows, in the same form the diff and results tools show them
(`OEN=123456789 / STUDENT_SCHOOL_ENROLMENT / CLASS_CODE=MCV4U-01`, D200), so a key copied
from a diff or a work list names the same record in the next run's plan."""

from __future__ import annotations

import polars as pl

from onsis_batch.plan.model import Plan
from onsis_batch.specs import load_specs
from onsis_batch.tools.records import SEPARATOR, key_part_expr


def as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """A typed plan or PAE column as the text a batch file would carry."""
    col = pl.col(name)
    if dtype == pl.Date:
        return col.dt.strftime("%Y/%m/%d")
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("T")).when(~col).then(pl.lit("F"))
    return col.cast(pl.String)


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
