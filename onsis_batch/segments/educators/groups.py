"""Combining the assignments of one educator and position type across the BSID's schools.

OnSIS holds one assignment per educator, position type, leave and withdrawal, so
assignments of one educator (MEN) and position type are combined first. With P the period
start and E its count date, an assignment joins a group when it is (D101)

  1 active .............. starts on or before E, open past E, no leave
  2 new leave ........... starts in the period, leave, no withdrawal, open past E
                          (one group per leave type)
  3 continuing leave .... starts before P, leave, no withdrawal, open past E, and the
                          educator has no new leave of that position (one group per type)
  4 new withdrawal ...... starts and ends in the period, withdrawal, no leave, and PAE 0009
                          holds the assignment with a larger FTE than the combined FTE
  5 old withdrawal ...... starts before P, withdrawal, no leave, ends in the period

Withdrawals (4 and 5) are combined only when their dates overlap and their withdrawal
type is the same. A group starts on its earliest start date, ends on its latest end date
(open when one member is open), sums the FTE and takes everything else from its latest
added member: the latest end date when all are ended, else the open one that started last,
the highest assignment id breaking ties. An assignment that fits no group stays alone.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.segments.located import at_data_rows

PERSON = ["men", "position"]
KIND = "_group_kind"
ID_WIDTH = 20  # assignment ids compared as numbers when they are digits


def latest_first() -> tuple[list[pl.Expr], list[bool]]:
    """Sort keys putting the 'latest assignment added' first."""
    open_ = pl.col("end").is_null()
    when = pl.when(open_).then(pl.col("start")).otherwise(pl.col("end"))
    return [open_, when, pl.col("assignment_id").str.zfill(ID_WIDTH)], [True, True, True]


def _kinds(period: SubmissionPeriod) -> pl.Expr:
    """Which numbered group (1-5) an assignment may join; null when none."""
    p, e = period.start, period.count_date
    start, end = pl.col("start"), pl.col("end")
    leave, wthd = pl.col("leave").is_not_null(), pl.col("wthd").is_not_null()
    open_past = end.is_null() | (end > e)
    in_period = start.is_between(p, e)
    ends_in_period = end.is_not_null() & end.is_between(p, e)
    return (
        pl.when((start <= e) & open_past & ~leave)
        .then(1)
        .when(in_period & leave & ~wthd & open_past)
        .then(2)
        .when((start < p) & leave & ~wthd & open_past)
        .then(3)
        .when(in_period & wthd & ~leave & ends_in_period & pl.col("_pae_fte_more"))
        .then(4)
        .when((start < p) & wthd & ~leave & ends_in_period)
        .then(5)
    )


def _withdrawal_clusters(frame: pl.DataFrame) -> pl.Expr:
    """Runs of overlapping withdrawals of one educator, position and withdrawal type."""
    by = [*PERSON, KIND, "wthd"]
    reach = pl.col("end").cum_max().shift(1).over(by, order_by="start")
    new_run = reach.is_null() | (pl.col("start") > reach)
    return new_run.cast(pl.Int32).cum_sum().over(by, order_by="start")


def group_assignments(
    rows: pl.DataFrame, period: SubmissionPeriod, pae_fte: pl.DataFrame
) -> pl.DataFrame:
    """One row per group (or lone assignment) with `members`, the assignment ids in it.

    `pae_fte` gives, per assignment id, the FTE of the PAE 0009 assignment it matches (for
    rule 4)."""
    frame = rows.join(pae_fte, on="assignment_id", how="left", maintain_order="left")
    frame = frame.with_columns(
        (pl.col("_pae_fte") > pl.col("fte")).fill_null(False).alias("_pae_fte_more")
    )
    frame = frame.with_columns(_kinds(period).alias(KIND))
    # rule 3 only when the educator has no new leave of this position (rule 2)
    new_leave = (pl.col(KIND) == 2).any().over(PERSON)
    frame = frame.with_columns(
        pl.when((pl.col(KIND) == 3) & new_leave).then(None).otherwise(pl.col(KIND)).alias(KIND)
    )
    withdrawal = pl.col(KIND).is_in([4, 5])
    frame = frame.with_columns(
        pl.when(withdrawal).then(_withdrawal_clusters(frame)).otherwise(0).alias("_run")
    )
    key = pl.concat_str(
        [pl.col(c).cast(pl.String).fill_null("") for c in [*PERSON, KIND, "leave", "wthd", "_run"]],
        separator="|",
    )
    frame = frame.with_columns(
        pl.when(pl.col(KIND).is_null()).then(pl.col("assignment_id")).otherwise(key).alias("_group")
    )
    # rule 4 combines only while the combined FTE stays below the PAE's
    too_much = (pl.col(KIND) == 4) & (
        pl.col("fte").sum().over("_group") >= pl.col("_pae_fte").min().over("_group")
    )
    frame = frame.with_columns(
        pl.when(too_much).then(pl.col("assignment_id")).otherwise(pl.col("_group")).alias("_group")
    )
    return _combined(frame)


def _combined(frame: pl.DataFrame) -> pl.DataFrame:
    keys, descending = latest_first()
    ordered = frame.sort(keys, descending=descending, nulls_last=True)
    rest = [c for c in frame.columns if c not in ("start", "end", "fte", "_group", "assignment_id")]
    grouped = ordered.group_by("_group", maintain_order=True).agg(
        pl.col("start").min(),
        pl.when(pl.col("end").is_null().any())
        .then(None)
        .otherwise(pl.col("end").max())
        .alias("end"),
        pl.when(pl.col("fte").is_null().any())
        .then(None)
        .otherwise(pl.col("fte").sum())
        .alias("fte"),
        pl.col("assignment_id").first(),
        pl.col("assignment_id").alias("members"),
        *[pl.col(c).first() for c in rest],
    )
    return grouped.drop("_pae_fte", "_pae_fte_more", "_run")


def drop_duplicates(groups: pl.DataFrame) -> tuple[pl.DataFrame, list[Finding]]:
    """Groups that still share educator, position, leave and withdrawal cannot be sent
    side by side: the latest added is kept and the others are reported (EDU004)."""
    keys, descending = latest_first()
    same = [*PERSON, "leave", "wthd"]
    ranked = groups.sort(keys, descending=descending, nulls_last=True).with_columns(
        pl.int_range(pl.len()).over(same).alias("_dup"),
        pl.col("assignment_id").first().over(same).alias("_kept"),
    )
    dropped = ranked.filter(pl.col("_dup") > 0).sort("assignment_row")
    found = at_data_rows(
        "EDU004",
        dropped,
        "educator_assignments",
        "assignment_id",
        row="assignment_row",
        key=FromColumn("men"),
        position=FromColumn("position"),
        assignment_id=FromColumn("assignment_id"),
        kept=FromColumn("_kept"),
    )
    return ranked.filter(pl.col("_dup") == 0).drop("_dup", "_kept"), found
