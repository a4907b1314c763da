"""Records of the school data a batch file leaves out, and why (D840-D843).

Three kinds of record are accounted for, each within the BSID's run:

  student   every row of the run's `students` table (a board run's slice: the students
            with anything at the BSID, or whom OnSIS holds for it)
  class     every class code of the sections at the BSID's schools, reporting or not
  educator  every educator with an assignment or a staff record at the BSID's schools

A builder that drops records at a selection step names them there, once per rule, with
`note(ctx, kind, ids, reason)`; recording changes nothing the builder sends. After every
builder has run, `not_sent` lists each record of the three kinds that the plan does not
send, with the first of its noted reasons in the reason catalogue's order (a student both
excluded from reporting and a no-show is "excluded"), or its kind's last reason when no step
named it (e.g. a student with no enrolment at the BSID's schools).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.reasons import reasons
from onsis_batch.segments.context import SegmentContext, class_code, normalised_oen, text

COLUMNS = {
    "kind": pl.String,
    "record": pl.String,  # the SIS id: student_id, class code, educator_id
    "key": pl.String,  # what OnSIS knows it by: OEN, class code, MEN (null when none)
    "table": pl.String,  # the school-data table of `row`
    "row": pl.Int64,  # the record's (first) row in that table
    "reason": pl.String,
}
NOTED = "not_sent"  # the memo of the context holding the noted frames


@dataclass(frozen=True)
class Kind:
    """One kind of record: its plan segment and the reason when no step named it."""

    name: str
    segment: str
    fallback: str


STUDENT = Kind("student", "STUDENT", "NOTSENT-STU-NO-ENROLMENT")
# A selected class the engine leaves out is one OnSIS holds with nothing changed: no step
# names it, the fallback does.
CLASS = Kind("class", "CLASS", "NOTSENT-CLS-HELD-UNCHANGED")
EDUCATOR = Kind("educator", "SCHOOL_EDUCATOR_ASSIGNMENT", "NOTSENT-EDU-NO-ASSIGNMENT")
KINDS = (STUDENT, CLASS, EDUCATOR)


def _noted(ctx: SegmentContext) -> list[pl.LazyFrame]:
    return ctx.cached(NOTED, list)


def note(ctx: SegmentContext, kind: Kind, ids: pl.Series, reason: str) -> None:
    """Record that the records `ids` (SIS ids of `kind`) are dropped by the rule `reason`."""
    if reasons().get(reason) is None:
        raise KeyError(f"{reason} is not in reasons.yaml")
    # Lazy: the ~20 notes of a BSID are read in one polars call, by `not_sent`.
    _noted(ctx).append(
        pl.LazyFrame({"record": ids}).select(
            pl.col("record").cast(pl.String), kind=pl.lit(kind.name), reason=pl.lit(reason)
        )
    )


def forget(ctx: SegmentContext) -> None:
    """Drop the noted reasons (a context planned again starts afresh)."""
    _noted(ctx).clear()


def bsid_schools(ctx: SegmentContext) -> pl.Series:
    """Every school of the BSID, whether it reports or not (closed, excluded, Section 23)."""
    schools = ctx.table("schools").filter(pl.col("bsid") == ctx.period.bsid)
    return schools.get_column("school_id")


def _students(ctx: SegmentContext) -> pl.DataFrame:
    return ctx.table("students").select(
        pl.col("student_id").cast(pl.String).alias("record"),
        normalised_oen().alias("key"),
        pl.lit("students").alias("table"),
        pl.col("_row"),
    )


def _classes(ctx: SegmentContext) -> pl.DataFrame:
    sections = ctx.table("sections").filter(pl.col("school_id").is_in(bsid_schools(ctx).implode()))
    code = class_code(pl.col("class_code"))
    return (
        sections.filter(code.is_not_null() & (code != ""))
        .group_by(code.alias("record"))
        .agg(pl.col("_row").min())
        .select("record", pl.col("record").alias("key"), pl.lit("sections").alias("table"), "_row")
    )


def _educators(ctx: SegmentContext) -> pl.DataFrame:
    at_bsid = pl.col("school_id").is_in(bsid_schools(ctx).implode())
    ids = pl.concat(
        [
            ctx.table(name).filter(at_bsid).select("educator_id")
            for name in ("educator_assignments", "educator_schools")
        ]
    )
    people = ctx.table("educators").unique("educator_id", keep="first", maintain_order=True)
    return people.filter(
        pl.col("educator_id").is_in(ids.get_column("educator_id").implode())
    ).select(
        pl.col("educator_id").cast(pl.String).alias("record"),
        text("men").alias("key"),
        pl.lit("educators").alias("table"),
        pl.col("_row"),
    )


def _sent(kind: Kind, segments: dict[str, pl.DataFrame], universe: pl.DataFrame) -> pl.Expr:
    """True for the records of `universe` that the plan sends."""
    frame = segments.get(kind.segment)
    if frame is None or not frame.height:
        return pl.lit(False)
    if kind is EDUCATOR:  # SCHOOL_EDUCATOR_ASSIGNMENT rows carry the MEN, not the SIS id
        return pl.col("key").is_in(frame.get_column("MEN").cast(pl.String).implode())
    return pl.col("record").is_in(frame.get_column("_id").cast(pl.String).implode())


def _universe(ctx: SegmentContext, kind: Kind) -> pl.DataFrame:
    build = {STUDENT: _students, CLASS: _classes, EDUCATOR: _educators}[kind]
    return build(ctx).with_columns(pl.lit(kind.name).alias("kind"))


def not_sent(ctx: SegmentContext, segments: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every record of the three kinds the plan does not send, with the reason why; in
    kind order, then by reason (catalogue order) and record."""
    rank = {reason: number for number, reason in enumerate(reasons())}
    noted = pl.concat(
        [
            pl.LazyFrame(schema={"record": pl.String, "kind": pl.String, "reason": pl.String}),
            *_noted(ctx),
        ],
        how="vertical_relaxed",
    ).with_columns(pl.col("reason").replace_strict(rank, return_dtype=pl.Int64).alias("_rank"))
    noted = noted.drop_nulls("record").sort("_rank")
    first = noted.unique(["kind", "record"], keep="first").drop("_rank").collect(engine=IN_MEMORY)
    parts = []
    for kind in KINDS:
        universe = _universe(ctx, kind)
        left = universe.filter(~_sent(kind, segments, universe))
        left = left.join(first, on=["kind", "record"], how="left")
        parts.append(left.with_columns(pl.col("reason").fill_null(kind.fallback)))
    found = pl.concat([p.rename({"_row": "row"}) for p in parts], how="vertical_relaxed")
    order = {k.name: n for n, k in enumerate(KINDS)}
    return (
        found.with_columns(
            pl.col("kind").replace_strict(order, return_dtype=pl.Int64).alias("_kind"),
            pl.col("reason").replace_strict(rank, return_dtype=pl.Int64).alias("_rank"),
        )
        .sort("_kind", "_rank", "record")
        .select([pl.col(name).cast(dtype) for name, dtype in COLUMNS.items()])
    )
