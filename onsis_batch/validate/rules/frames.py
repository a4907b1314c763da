"""Read the plan the way the checks need it: the rows that are sent, with the values the
file will carry (an element left out of a row, or not written for this run, reads as
null), whether or not the segment or column exists in this plan."""

from __future__ import annotations

import polars as pl

from onsis_batch.plan.model import OMIT_SUFFIX, Plan
from onsis_batch.queries import IN_MEMORY
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs

DTYPES: dict[str, pl.DataType] = {  # element type -> its plan column type; others are text
    "date": pl.Date(),
    "year_month": pl.Date(),
    "flag": pl.Boolean(),
    "decimal": pl.Float64(),
    "integer": pl.Int64(),
}
ROW = ("_id", "_parent", "_action")


def spec(name: str) -> SegmentSpec:
    """The segment spec `name`."""
    return load_specs()[name]


def _value(plan: Plan, frame: pl.DataFrame, segment: str, element: str) -> pl.Expr:
    el = spec(segment).element(element)
    dtype = DTYPES.get(el.type, pl.String())
    if element not in frame.columns or not el.applies(plan.period.school_year, plan.period.private):
        return pl.lit(None, dtype=dtype).alias(element)
    omit = element + OMIT_SUFFIX
    if omit in frame.columns:  # an omitted element is not in the file at all
        return pl.when(~pl.col(omit).fill_null(False)).then(pl.col(element)).alias(element)
    return pl.col(element)


def sent(plan: Plan, segment: str, *elements: str) -> pl.DataFrame:
    """`_id`, `_parent`, `_action` and `elements` of the rows of `segment` that send values
    (every row but DELETE, whose values come from OnSIS itself)."""
    # One polars call: the checks read ~50 such frames per BSID.
    return sent_lazily(plan, segment, *elements).collect(engine=IN_MEMORY)


def sent_lazily(plan: Plan, segment: str, *elements: str) -> pl.LazyFrame:
    """`sent` as a query, for a check to refine before it is run."""
    frame = plan.segments.get(segment)
    if frame is None:
        schema: dict[str, pl.DataType] = {c: pl.String() for c in ROW}
        schema |= {e: DTYPES.get(spec(segment).element(e).type, pl.String()) for e in elements}
        return pl.LazyFrame(schema=schema)
    columns = [pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c) for c in ROW]
    values = [_value(plan, frame, segment, e) for e in elements]
    rows = frame.lazy().select(*columns, *values)
    return rows.filter(pl.col("_action").fill_null("") != "DELETE")


def elements_of_type(plan: Plan, *types: str) -> list[tuple[str, ElementSpec]]:
    """(segment, element) for every element of those types written in this run."""
    year, private = plan.period.school_year, plan.period.private
    return [
        (name, element)
        for name in sorted(plan.segments)
        for element in spec(name).applicable_elements(year, private)
        if element.type in types and element.fixed is None
    ]


def enrolment_ages(plan: Plan) -> pl.DataFrame:
    """`enrolment` (the STUDENT_SCHOOL_ENROLMENT `_id`) and the student's `age` on December
    31 of the school year's first calendar year, the date the Ministry's age rules use;
    that age is simply the difference of the calendar years."""
    enrolments = sent(plan, "STUDENT_SCHOOL_ENROLMENT").select("_id", "_parent")
    births = sent(plan, "STUDENT", "STUDENT_DOB").select("_id", "STUDENT_DOB")
    return enrolments.join(births, left_on="_parent", right_on="_id", how="inner").select(
        enrolment=pl.col("_id"), age=plan.period.first_year - pl.col("STUDENT_DOB").dt.year()
    )
