"""The decide engine: from desired and pending rows to plan rows with ACTION and reason.

Every segment builder states two frames with the same key columns: **desired** (what the
school data says OnSIS should hold) and **pending** (what the PAE extract says it holds),
and a `Decision` naming the key and what each join outcome becomes:

  desired only ......... `new`   (usually ADD)
  desired and pending .. `held`  (usually UPDATE)
  pending only ......... `gone`  (usually DELETE; a close-out UPDATE for class enrolments)

An outcome's reason is a rule id literal, or an expression that gives one per row; a row
whose reason is null is not sent, which is how a segment's refinements leave rows out
(e.g. an UPDATE only when a value changed). Its ACTION is a literal too, or an expression
when the rule book decides it per row (an educator assignment OnSIS holds can still be
added). The key can match nulls (`nulls_equal`), and when several pending rows share a
desired row's key, `prefer` names the one it is held as. `decide` is `match` (the join)
then `settle` (the outcomes); a builder whose refinements need values of the joined rows
calls the two itself. `finish` then gives the plan frame its one shape: the spec's
allowed ACTIONs enforced, the sibling order numbered, every element cast to the dtype its
spec type says, in spec order. After every builder has run,
`children_of_adds_are_adds` sends every row under an ADD parent as an ADD (PARENT-ADD).

DELETE before UPDATE before ADD among siblings is applied where the file is written, from
`plan.model.ACTION_RANK`, so it still holds after PARENT-ADD and the overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from onsis_batch.plan.model import BOOKKEEPING_TYPES, OMIT_SUFFIX
from onsis_batch.specs import SegmentSpec, load_specs

Frames = dict[str, pl.DataFrame]
ADD, UPDATE, DELETE = "ADD", "UPDATE", "DELETE"
PARENT_ADD = "PARENT-ADD"  # a row sent as ADD because its parent is an ADD
WANTED, HELD = "_wanted", "_held"  # which side(s) of the join a decided row came from
_DESIRED_NR = "_desired_nr"  # a desired row's number while its pending matches are ranked

# Plan column dtype per spec element type; every other type is text (pl.String).
_DTYPES: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "year_month": pl.Date(),
    "flag": pl.Boolean(),
    "decimal": pl.Float64(),
    "integer": pl.Int64(),
}

# What a spec's `plan_dtype` names (specs.PLAN_DTYPES).
_DECLARED: dict[str, pl.DataType] = {
    "String": pl.String(),
    "Boolean": pl.Boolean(),
    "Date": pl.Date(),
    "Float64": pl.Float64(),
    "Int64": pl.Int64(),
}
Reason = str | pl.Expr
Action = str | pl.Expr
NO_ACTION: pl.Expr = pl.lit(None, pl.String)  # STUDENT's outcome: the segment has no ACTION


class SegmentRuleError(RuntimeError):
    """A builder produced a row its segment spec does not allow (an internal error)."""


@dataclass(frozen=True)
class Outcome:
    """What the rows of one join outcome become: the ACTION sent and the rule id why.

    `reason` is a complete rule id, or an expression giving one per row (a `pl.when`
    chain of literals); a row whose reason is null is not sent. `action` is an ACTION
    literal, or an expression giving one per row.
    """

    action: Action
    reason: Reason


@dataclass(frozen=True)
class Decision:
    """How one segment's desired and pending rows are joined and what each outcome sends.

    `key`: the columns both frames carry. `new`, `held`, `gone`: the outcome of rows only
    desired, in both, only pending; None sends no row for that outcome. `nulls_equal`: a
    null key value matches a null one. `prefer`: when several pending rows match one
    desired row, it is held as the first of them by these sort keys (ascending, nulls
    last; then in pending order), which may read both sides' columns.
    """

    key: tuple[str, ...]
    new: Outcome | None = None
    held: Outcome | None = None
    gone: Outcome | None = None
    nulls_equal: bool = False
    prefer: tuple[pl.Expr, ...] = ()


def dtype_of(spec: SegmentSpec, element: str) -> pl.DataType:
    """The plan column dtype of an element: its declared `plan_dtype`, else its type's."""
    declared = spec.element(element)
    if declared.plan_dtype is not None:
        return _DECLARED[declared.plan_dtype]
    return _DTYPES.get(declared.type, pl.String())


def plan_schema(segment: str) -> dict[str, pl.DataType]:
    """Bookkeeping then element columns of a segment's plan frame, with their dtypes."""
    spec = load_specs()[segment]
    elements = {e.name: dtype_of(spec, e.name) for e in spec.elements if e.type != "action"}
    return {**{k: v() for k, v in BOOKKEEPING_TYPES.items()}, **elements}


def empty(segment: str) -> pl.DataFrame:
    """A plan frame of the segment with no rows."""
    return pl.DataFrame(schema=plan_schema(segment))


def _as_expr(value: str | pl.Expr) -> pl.Expr:
    return pl.lit(value, pl.String) if isinstance(value, str) else value.cast(pl.String)


def decide(desired: pl.DataFrame, pending: pl.DataFrame | None, decision: Decision) -> pl.DataFrame:
    """Desired and pending rows joined on the key, with `_action` and `_reason`.

    Desired rows keep their columns (with the pending columns joined when held); pending
    only rows keep theirs. `_wanted` / `_held` tell which side(s) a row came from. Rows
    of an outcome the decision does not send, or whose reason is null, are left out.
    A segment OnSIS reports no extract for passes `pending=None`: every row is new.
    """
    return settle(match(desired, pending, decision), decision)


def match(desired: pl.DataFrame, pending: pl.DataFrame | None, decision: Decision) -> pl.DataFrame:
    """Desired rows (in their order) with the pending row they are held as, then the pending
    rows no desired row holds; `_wanted` / `_held` say which side(s) each came from."""
    wanted = desired.with_columns(pl.lit(True).alias(WANTED))
    if pending is None:
        return wanted.with_columns(pl.lit(False).alias(HELD))
    return _joined(wanted, pending, decision)


def settle(rows: pl.DataFrame, decision: Decision) -> pl.DataFrame:
    """Matched rows with `_action` and `_reason` from their outcome; unsent rows left out."""
    return _with_outcomes(rows, decision).filter(pl.col("_reason").is_not_null())


def _joined(wanted: pl.DataFrame, pending: pl.DataFrame, decision: Decision) -> pl.DataFrame:
    """Wanted rows with the pending row of the same key, then the pending-only rows."""
    key = list(decision.key)
    shared = (set(wanted.columns) & set(pending.columns)) - set(key)
    if shared:
        raise ValueError(f"desired and pending both carry {sorted(shared)}: rename one side")
    held = pending.with_columns(pl.lit(True).alias(HELD))
    nulls = decision.nulls_equal
    numbered = wanted.with_row_index(_DESIRED_NR)
    joined = numbered.join(held, on=key, how="left", maintain_order="left", nulls_equal=nulls)
    if decision.prefer:
        joined = _preferred(joined, decision.prefer)
    joined = joined.drop(_DESIRED_NR)
    gone = held.join(wanted.select(key), on=key, how="anti", nulls_equal=nulls)
    return pl.concat([joined, gone], how="diagonal_relaxed").with_columns(
        pl.col(WANTED).fill_null(False), pl.col(HELD).fill_null(False)
    )


def _preferred(joined: pl.DataFrame, prefer: tuple[pl.Expr, ...]) -> pl.DataFrame:
    """One row per desired row (numbered `_desired_nr`): its preferred pending match."""
    ranked = joined.sort(pl.col(_DESIRED_NR), *prefer, nulls_last=True, maintain_order=True)
    return ranked.unique(_DESIRED_NR, keep="first", maintain_order=True)


def _with_outcomes(rows: pl.DataFrame, decision: Decision) -> pl.DataFrame:
    """`_action` and `_reason` of each row from the outcome its sides give."""
    wanted, held = pl.col(WANTED), pl.col(HELD)
    masks = (
        (wanted & ~held, decision.new),
        (wanted & held, decision.held),
        (~wanted, decision.gone),
    )
    action: pl.Expr = pl.lit(None, pl.String)
    reason: pl.Expr = pl.lit(None, pl.String)
    for mask, outcome in masks:
        if outcome is not None:
            action = pl.when(mask).then(_as_expr(outcome.action)).otherwise(action)
            reason = pl.when(mask).then(_as_expr(outcome.reason)).otherwise(reason)
    return rows.with_columns(action.alias("_action"), reason.alias("_reason"))


def check_actions(segment: str, frame: pl.DataFrame) -> None:
    """SegmentRuleError when a row carries an ACTION the segment's spec does not allow."""
    spec = load_specs()[segment]
    allowed = spec.actions if spec.has_action else ()
    sent = frame.get_column("_action").drop_nulls().unique().sort().to_list()
    wrong = [a for a in sent if a not in allowed]
    if wrong or (spec.has_action and frame.get_column("_action").null_count()):
        raise SegmentRuleError(
            f"{segment}: rows with ACTION {wrong or [None]}; its spec allows {list(allowed)}"
        )


def finish(
    segment: str,
    frame: pl.DataFrame,
    *,
    order_by: Sequence[str | pl.Expr] = (),
    extra: Sequence[str] = (),
) -> pl.DataFrame:
    """The plan frame of a segment: actions checked, `_order` numbered, columns typed.

    `order_by`: the sibling order (rows are numbered in it; without it the frame's own
    `_order` is kept). `extra`: internal columns later builders read, kept at the end.
    """
    check_actions(segment, frame)
    if order_by:
        frame = frame.drop("_order", strict=False).sort(list(order_by), maintain_order=True)
        frame = frame.with_row_index("_order")
    omitted = [c for c in frame.columns if c.endswith(OMIT_SUFFIX)]
    typed = [pl.col(name).cast(dtype) for name, dtype in plan_schema(segment).items()]
    return frame.select(*typed, *[pl.col(c).cast(pl.Boolean) for c in omitted], *extra)


def children_of_adds_are_adds(frames: Frames) -> Frames:
    """Every row under a parent sent as ADD is sent as ADD itself (reason PARENT-ADD)."""
    specs = load_specs()
    for name in _top_down(frames):
        parent = specs[name].parent
        if parent not in frames or not specs[name].has_action:
            continue
        added = frames[parent].filter(pl.col("_action") == ADD).get_column("_id")
        under_add = pl.col("_parent").is_in(added.implode()) & (pl.col("_action") != ADD)
        frames[name] = frames[name].with_columns(
            pl.when(under_add).then(pl.lit(ADD)).otherwise(pl.col("_action")).alias("_action"),
            pl.when(under_add)
            .then(pl.lit(PARENT_ADD))
            .otherwise(pl.col("_reason"))
            .alias("_reason"),
        )
    return frames


def _top_down(frames: Frames) -> list[str]:
    """Segment names, parents before children."""
    specs = load_specs()

    def depth(name: str) -> int:
        parent = specs[name].parent
        return 0 if parent not in specs else 1 + depth(parent)

    return sorted(frames, key=lambda name: (depth(name), name))


def wanted_or_held(name: str, wanted: pl.Expr, held: pl.Expr) -> pl.Expr:
    """Element `name`: `wanted` on rows the school data wants, `held` on pending-only rows."""
    return pl.when(pl.col(WANTED)).then(wanted).otherwise(held).alias(name)
