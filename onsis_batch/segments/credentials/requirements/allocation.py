"""Which diploma requirement each credit of a student fills.

Each credit item (segments/credentials/requirements/items.py) goes to one requirement of
the student's cohort or to OPTIONAL:

1. A requirement the SIS recorded on the stored grade (`stored_grades.requirement`) wins;
   such items fill their requirement first, in item order, up to its credits (beyond that
   they are optional).
2. Then every requirement, most specific first (the order of `requirements.yaml`), takes
   the earliest items left that may fill it, until its credits are reached; limits (at
   most two FSL credits in the groups, ...) are honoured on the way.
3. Whatever is left is OPTIONAL.

An item that only partly fits the room left (a 2-credit co-op in a 1-credit group) is
assigned to the requirement with the part that fits (`compulsory_credit`), so the credits
counted toward a requirement never exceed what it needs.

Everything is vectorised: the loop runs over requirements (about twenty) and, inside one
with a limit, over greedy passes that each settle at least one item of every student still
competing (a requirement without a limit needs one pass); it never runs over students.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

import polars as pl

from onsis_batch.queries import IN_MEMORY
from onsis_batch.segments.credentials.requirements.items import (
    ITEM_SCHEMA,
    credit_items,
    population,
)
from onsis_batch.segments.credentials.requirements.rules import (
    PLAR_CODES,
    Cohort,
    family_expr,
    requirement_rules,
)

if TYPE_CHECKING:  # a runtime import would be circular (segments import the allocation)
    from onsis_batch.segments.context import SegmentContext


RESULT_SCHEMA = {
    "item_id": pl.String,
    "student_id": pl.String,
    "requirement": pl.String,
    "compulsory": pl.Boolean,
    "substitution": pl.Boolean,
    "compulsory_credit": pl.Float64,
}


# --- allocation --------------------------------------------------------------------------
#
# Inside one cohort everything is an integer: `seq` (the item, the allocation order),
# `_student` (the student's number), `_units` (the credit in thousandths, so that sums
# are exact), `_eligible` and `_limited` (bit i set: the item may fill requirement i /
# counts toward limit i) and `_requirement` (the requirement index an item got; -1 for
# OPTIONAL); `_limit<i>` is what limit i has used. Frames stay sorted by student
# and item, so running sums per student are a global running sum minus its value at the
# student's first row: no window, no hashing.

OPTIONAL_INDEX = -1
UNITS = 1000  # credits are counted in thousandths
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def allocate(items: pl.DataFrame) -> pl.DataFrame:
    """Assign items (columns of ITEM_SCHEMA) to requirements; one row per item."""
    parts = []
    for cohort in requirement_rules().cohorts:
        part = items.filter(pl.col("cohort") == cohort.name)
        if part.height:
            parts.append(_allocate_cohort(part, cohort))
    if not parts:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.concat(parts).sort("student_id", "seq").select(list(RESULT_SCHEMA))


def _units(credits: float) -> int:
    return round(credits * UNITS)


def _bits(flags: list[pl.Expr]) -> pl.Expr:
    """An Int64 with bit i set where flags[i] is true."""
    if not flags:
        return pl.lit(0, dtype=pl.Int64)
    return pl.sum_horizontal(
        pl.when(flag).then(pl.lit(1 << i, dtype=pl.Int64)).otherwise(pl.lit(0, dtype=pl.Int64))
        for i, flag in enumerate(flags)
    )


def _has_bit(column: str, bit: int) -> pl.Expr:
    return (pl.col(column) & pl.lit(1 << bit, dtype=pl.Int64)) != 0


def _before_in_student(value: pl.Expr) -> pl.Expr:
    """Sum of `value` over the same student's earlier rows (frame sorted by _s, seq)."""
    first = pl.col("_student") != pl.col("_student").shift(1).fill_null(-1)
    before = value.cum_sum() - value
    return before - pl.when(first).then(before).forward_fill()


def _allocate_cohort(items: pl.DataFrame, cohort: Cohort) -> pl.DataFrame:
    optional = requirement_rules().optional
    requirements = cohort.requirements
    index = {r.name: i for i, r in enumerate(requirements)} | {optional: OPTIONAL_INDEX}
    countable = ~pl.col("dual") & ~pl.col("code").is_in(PLAR_CODES)
    # course rules are evaluated once per distinct course, not once per item
    kinds = items.select("code", "coop", "dual").unique()
    elig = [(family_expr(r.families) & countable).fill_null(False) for r in requirements]
    limited = [family_expr(lim.families).fill_null(False) for lim in cohort.limits]
    kinds = kinds.with_columns(_bits(elig).alias("_eligible"), _bits(limited).alias("_limited"))
    frame = (
        items.join(kinds, on=["code", "coop", "dual"], how="left", nulls_equal=True)
        .select(
            "seq",
            pl.col("student_id").rank("dense").cast(pl.Int64).alias("_student"),
            (pl.col("credit").fill_null(0.0) * UNITS).round(0).cast(pl.Int64).alias("_units"),
            "equivalent",
            "_eligible",
            "_limited",
            pl.col("forced").replace_strict(index, default=None, return_dtype=pl.Int64).alias("_f"),
        )
        .sort("_student", "seq")
    )
    has_credit = pl.col("_units") > 0
    done = [
        _settled(frame.filter(~has_credit | (pl.col("_f") == OPTIONAL_INDEX)), OPTIONAL_INDEX),
        _forced(frame.filter(has_credit & (pl.col("_f") >= 0)), cohort),
    ]
    pool = frame.filter(has_credit & pl.col("_f").is_null())
    for i in range(len(requirements)):
        candidates = pool.filter(_has_bit("_eligible", i))
        if candidates.is_empty():
            continue
        taken = _fill(candidates, i, cohort, done)
        if taken:
            done += taken
            seqs = pl.concat(taken).get_column("seq").implode()
            pool = pool.filter(~pl.col("seq").is_in(seqs))
    done.append(_settled(pool, OPTIONAL_INDEX))
    names = {i: name for name, i in index.items()}
    result = pl.concat(done).join(items.select("seq", "item_id", "student_id"), on="seq")
    return result.select(
        "item_id",
        "student_id",
        pl.col("_requirement").replace_strict(names, return_dtype=pl.String).alias("requirement"),
        (pl.col("_requirement") != OPTIONAL_INDEX).alias("compulsory"),
        pl.col("_sub").alias("substitution"),
        (pl.col("_share") / UNITS).alias("compulsory_credit"),
        "seq",
    )


def _settled(
    frame: Frame,
    requirement: int | pl.Expr,
    share: pl.Expr | None = None,
    substitution: pl.Expr | None = None,
) -> Frame:
    """Rows of `done`: seq, _s, _r, _share (thousandths), _sub, _lim."""
    return frame.select(
        "seq",
        "_student",
        (requirement if isinstance(requirement, pl.Expr) else pl.lit(requirement))
        .cast(pl.Int64)
        .alias("_requirement"),
        (pl.lit(0) if share is None else share).cast(pl.Int64).alias("_share"),
        (pl.lit(False) if substitution is None else substitution).alias("_sub"),
        "_limited",
    )


def _forced(items: pl.DataFrame, cohort: Cohort) -> pl.DataFrame:
    """Items whose requirement the SIS recorded: they fill it in item order up to its
    credits; what does not fit is optional. Outside its own families the item is a
    substitution, unless it is equivalent credit (which cannot be a substitution)."""
    capacity = {i: _units(r.credits) for i, r in enumerate(cohort.requirements)}
    masks = {i: 1 << i for i in capacity}
    ordered = items.sort("_student", "_f", "seq")
    before = pl.col("_units").cum_sum().over("_student", "_f") - pl.col("_units")
    room = pl.col("_f").replace_strict(capacity, default=0, return_dtype=pl.Int64) - before
    own = (pl.col("_eligible") & pl.col("_f").replace_strict(masks, return_dtype=pl.Int64)) != 0
    ordered = ordered.with_columns(
        pl.min_horizontal("_units", room).clip(lower_bound=0).alias("_c")
    )
    fits = pl.col("_c") > 0
    return _settled(
        ordered,
        pl.when(fits).then(pl.col("_f")).otherwise(OPTIONAL_INDEX),
        pl.when(fits).then(pl.col("_c")).otherwise(0),
        fits & ~own & ~pl.col("equivalent"),
    )


def _used(done: list[pl.DataFrame], requirements: list[int], limit: int | None) -> pl.DataFrame:
    """_s -> thousandths already counted toward these requirements (only items of the
    limit when one is given)."""
    done = [d for d in done if d.height]
    if not done:
        return pl.DataFrame(schema={"_student": pl.Int64, "_used": pl.Int64})
    counted = pl.concat(done).lazy().filter(pl.col("_requirement").is_in(requirements))
    if limit is not None:
        counted = counted.filter(_has_bit("_limited", limit))
    return (
        counted.group_by("_student")
        .agg(pl.col("_share").sum().alias("_used"))
        .collect(engine=IN_MEMORY)
    )


def _fill(
    candidates: pl.DataFrame, index: int, cohort: Cohort, done: list[pl.DataFrame]
) -> list[pl.DataFrame]:
    """Greedy passes for requirement `index` over its candidates (sorted by student and
    item). A pass lets every student take the longest run of their earliest candidates
    that fit whole, plus the first one that fits only in part; the next pass resumes after
    it, so the result is the item-by-item greedy. One pass is one lazy query."""
    requirement = cohort.requirements[index]
    names = [r.name for r in cohort.requirements]
    limits = [
        (bit, lim) for bit, lim in enumerate(cohort.limits) if requirement.name in lim.requirements
    ]
    # only items the SIS assigned (done[1]) can already count toward this requirement
    used = _used(done[1:2], [index], None)
    limit_used = {
        bit: _used(done, [names.index(n) for n in lim.requirements], bit) for bit, lim in limits
    }
    credit = pl.col("_units")
    taken: list[pl.DataFrame] = []
    while True:
        query = candidates.lazy().join(
            used.lazy(), on="_student", how="left", maintain_order="left"
        )
        query = query.with_columns(
            (_units(requirement.credits) - pl.col("_used").fill_null(0)).alias("_room")
        )
        keep = pl.col("_room") > 0
        share = pl.min_horizontal(credit, pl.col("_room") - _before_in_student(credit))
        for bit, lim in limits:
            room = f"_lr{bit}"
            query = query.join(
                limit_used[bit].lazy().rename({"_used": f"_limit{bit}"}),
                on="_student",
                how="left",
                maintain_order="left",
            ).with_columns((_units(lim.credits) - pl.col(f"_limit{bit}").fill_null(0)).alias(room))
            limited = _has_bit("_limited", bit)
            keep = keep & (~limited | (pl.col(room) > 0))
            counted = pl.when(limited).then(credit).otherwise(0)
            share = (
                pl.when(limited)
                .then(pl.min_horizontal(share, pl.col(room) - _before_in_student(counted)))
                .otherwise(share)
            )
        unclean = ((pl.col("_share") <= 0) | (pl.col("_share") < credit)).cast(pl.Int64)
        now = (
            query.filter(keep)
            .with_columns(share.alias("_share"))
            .filter((pl.col("_share") > 0) & (_before_in_student(unclean) == 0))
        )
        step = _settled(now, index, pl.col("_share")).collect(engine=IN_MEMORY)
        if step.is_empty():
            break
        taken.append(step)
        if not limits:
            # the first item that does not fit whole exhausts the requirement: one pass
            break
        candidates = candidates.filter(~pl.col("seq").is_in(step.get_column("seq").implode()))
        used = _add(used, step, None)
        for bit, _lim in limits:
            limit_used[bit] = _add(limit_used[bit], step, bit)
    return taken


def _add(used: pl.DataFrame, step: pl.DataFrame, limit: int | None) -> pl.DataFrame:
    added = step.lazy()
    if limit is not None:
        added = added.filter(_has_bit("_limited", limit))
    added = added.select("_student", pl.col("_share").alias("_used"))
    query = pl.concat([used.lazy(), added]).group_by("_student").agg(pl.col("_used").sum())
    return query.collect(engine=IN_MEMORY)


# --- per run -----------------------------------------------------------------------------


def _computed(ctx: SegmentContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(allocation, items) of a run, computed once per context."""

    def compute() -> tuple[pl.DataFrame, pl.DataFrame]:
        if ctx.chunk is not None and len(ctx.chunk.periods) > 1:
            return _from_chunk(ctx)
        return _allocated(ctx)

    return ctx.cached("credit_allocation", compute)


def _allocated(ctx: SegmentContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    items = credit_items(ctx)
    return allocate(items.select(list(ITEM_SCHEMA))), items


def _from_chunk(ctx: SegmentContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The run's (allocation, items), cut from those of every student of the chunk's BSIDs
    with the same dates, allocated once (D905). A student's allocation reads only their
    own items, so it is the same whichever BSIDs are allocated with them; the items' `seq`
    is numbered again over the run's own items, as a run of its own numbers them."""
    chunk, period = ctx.chunk, ctx.period
    assert chunk is not None
    dates = (period.year_start, period.count_date)
    peers = [p for p in chunk.periods if (p.year_start, p.count_date) == dates]
    schools = tuple(sorted({school for p in peers for school in p.school_ids}))
    whole = replace(
        ctx, period=replace(period, school_ids=schools), tables=chunk.tables, _memo={}, chunk=None
    )
    allocation, items = chunk.cached(f"credit_allocation {dates}", lambda: _allocated(whole))
    ids = population(ctx).implode()
    mine = items.filter(pl.col("student_id").is_in(ids))
    renumbered = pl.int_range(pl.len(), dtype=pl.Int64).alias("seq")
    return allocation.filter(pl.col("student_id").is_in(ids)), mine.with_columns(renumbered)


def credit_allocation(ctx: SegmentContext) -> pl.DataFrame:
    """One row per credit item of the run's students.

    item_id            "G:<grade_id>" (stored grade) or "S:<student_id>|<section_id>"
                       (current class enrolment, counted as if the credit were earned)
    student_id
    requirement        requirement name, or "OPTIONAL"
    compulsory         the requirement is not OPTIONAL
    substitution       the SIS put the credit in a compulsory requirement its course does
                       not normally fill
    compulsory_credit  the part of the item's credit counted toward the requirement

    Stored grades excluded from the transcript are left out altogether.
    """
    return _computed(ctx)[0]


def unknown_requirements(ctx: SegmentContext) -> pl.DataFrame:
    """Stored grades whose `requirement` names no requirement of the student's cohort:
    grade_id, student_id, _row, requirement (as written), cohort."""
    items = _computed(ctx)[1]
    return items.filter(pl.col("forced_raw").is_not_null() & pl.col("forced").is_null()).select(
        "grade_id", "student_id", "_row", pl.col("forced_raw").alias("requirement"), "cohort"
    )
