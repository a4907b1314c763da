"""DIPLOMA: the diploma or certificate a student earned, against PAE extract 0026.

The diploma is reported by the school that grants it: the student's graduation school
when the SIS names one (and the student was ever enrolled there), otherwise the school
whose enrolment contains the diploma date, else the last school left before it (the gap
rule); summer-school enrolments never grant. A diploma is sendable when its type is not
99 (SSHGD), the date lies in this school year (July 1 to the count date, D140) and the
granting school is one of the BSID's schools. Against the types OnSIS holds for the OEN:

  sendable, OnSIS holds no diploma ............. ADD      DIP-ADD
  sendable, OnSIS holds another type ........... DELETE   DIP-DEL-TYPE  then ADD DIP-ADD-TYPE
  sendable, same type, other date .............. UPDATE   DIP-UPD-DATE
  type or date cleared in the SIS, OnSIS holds . DELETE   DIP-DEL-CLEARED
  type 99, or date outside the school year ..... nothing (DIP001 for a date outside it)
"""

from __future__ import annotations

from datetime import date

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.engine import (
    ADD,
    DELETE,
    UPDATE,
    Decision,
    Outcome,
    decide,
    finish,
    wanted_or_held,
)
from onsis_batch.segments.located import at_data_rows

NOT_REPORTED_TYPE = "99"  # SSHGD: recorded in the SIS, never sent


def school_year_start(ctx: SegmentContext) -> date:
    """First day a diploma of this school year can carry (July 1, D140)."""
    return date(int(ctx.period.school_year[:4]), 7, 1)


def _school_year_end(ctx: SegmentContext) -> date:
    return date(int(ctx.period.school_year[:4]) + 1, 6, 30)


def _enrolment_rows(ctx: SegmentContext) -> pl.DataFrame:
    """Every school enrolment except summer school and same-day rows."""
    summer = ctx.table("schools").filter(pl.col("is_summer_school")).get_column("school_id")
    return ctx.table("school_enrolments").filter(
        ~pl.col("school_id").is_in(summer.implode())
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") != pl.col("entry_date")))
    )


def granting_schools(ctx: SegmentContext, diplomas: pl.DataFrame) -> pl.DataFrame:
    """student_id -> `grant_school` (null when none) and `grad_school_unknown` for the
    students of `diplomas` (student_id, diploma_date, graduation_school_id)."""
    enrolments = _enrolment_rows(ctx).select("student_id", "school_id", "entry_date", "exit_date")
    named = diplomas.filter(pl.col("graduation_school_id").is_not_null())
    attended = (
        ctx.table("school_enrolments")
        .select("student_id", pl.col("school_id").alias("graduation_school_id"))
        .unique()
        .with_columns(pl.lit(True).alias("_attended"))
    )
    named = named.join(attended, on=["student_id", "graduation_school_id"], how="left").select(
        "student_id",
        pl.when(pl.col("_attended")).then(pl.col("graduation_school_id")).alias("grant_school"),
        pl.col("_attended").is_null().alias("grad_school_unknown"),
    )
    found = (
        diplomas.filter(pl.col("graduation_school_id").is_null())
        .select("student_id", "diploma_date")
        .join(enrolments, on="student_id")
        .filter(pl.col("entry_date") <= pl.col("diploma_date"))
        .with_columns(
            (pl.col("exit_date").is_null() | (pl.col("exit_date") > pl.col("diploma_date"))).alias(
                "_contains"
            )
        )
        # The enrolment containing the date wins, else the latest one begun before it.
        .sort("student_id", "_contains", "entry_date", "school_id")
        .group_by("student_id", maintain_order=True)
        .agg(pl.col("school_id").last().alias("grant_school"))
        .with_columns(pl.lit(False).alias("grad_school_unknown"))
    )
    return pl.concat([named, found], how="vertical_relaxed")


def _student_diplomas(ctx: SegmentContext) -> pl.DataFrame:
    """Students with a diploma type or a PAE 0026 row, with the granting school joined."""
    return ctx.cached("diploma_students", lambda: _diploma_students(ctx))


def _diploma_students(ctx: SegmentContext) -> pl.DataFrame:
    start, count = school_year_start(ctx), ctx.period.count_date
    students = ctx.table("students").filter(~pl.col("exclude_from_reporting"))
    students = students.with_columns(normalised_oen().alias("oen_key")).select(
        "student_id",
        "oen_key",
        pl.col("_row").alias("student_row"),
        pl.col("diploma_type").alias("school_type"),
        pl.col("diploma_date").alias("school_date"),
        "graduation_school_id",
    )
    held = _pending(ctx).get_column("oen_key").implode()
    students = students.filter(pl.col("school_type").is_not_null() | pl.col("oen_key").is_in(held))
    dated = students.filter(pl.col("school_date").is_not_null()).select(
        "student_id", pl.col("school_date").alias("diploma_date"), "graduation_school_id"
    )
    schools = granting_schools(ctx, dated)
    students = students.join(schools, on="student_id", how="left")
    sendable = (
        pl.col("school_type").is_not_null()
        & (pl.col("school_type") != NOT_REPORTED_TYPE)
        & pl.col("school_date").is_between(start, count)
        & pl.col("grant_school").is_in(list(ctx.period.school_ids))
    )
    return students.with_columns(
        sendable.fill_null(False).alias("sendable"),
        pl.col("grad_school_unknown").fill_null(False),
    )


def _pending(ctx: SegmentContext) -> pl.DataFrame:
    """PAE 0026 rows keyed by normalised OEN: `pae_type`, `pae_date`."""
    pae = ctx.extract("0026").with_columns(normalised_oen().alias("oen_key"))
    return (
        pae.filter(pl.col("oen_key").is_not_null() & pl.col("diploma_type").is_not_null())
        .select(
            "oen_key",
            pl.col("diploma_type").str.strip_chars().alias("pae_type"),
            pl.col("certificate_issued").alias("pae_date"),
        )
        .unique(["oen_key", "pae_type"], keep="first", maintain_order=True)
    )


KEY = ("student_id", "TYPE")
SENDABLE, HOLDS_ANY = pl.col("sendable"), pl.col("holds_any")
DECISION = Decision(
    key=KEY,
    new=Outcome(
        ADD,
        pl.when(SENDABLE & ~HOLDS_ANY)
        .then(pl.lit("DIP-ADD"))
        .when(SENDABLE)
        .then(pl.lit("DIP-ADD-TYPE")),
    ),
    held=Outcome(
        UPDATE,
        pl.when(SENDABLE & pl.col("pae_date").ne_missing(pl.col("school_date"))).then(
            pl.lit("DIP-UPD-DATE")
        ),
    ),
    gone=Outcome(
        DELETE,
        pl.when(pl.col("cleared"))
        .then(pl.lit("DIP-DEL-CLEARED"))
        .when(pl.col("replaced"))
        .then(pl.lit("DIP-DEL-TYPE")),
    ),
)


# OnSIS reports no extract of a non-enrolled student's diplomas: every row is new.
NE_DECISION = Decision(key=KEY, new=Outcome(ADD, "NE-DIP-ADD"))


def diploma_decisions(ctx: SegmentContext) -> pl.DataFrame:
    """Every diploma row this BSID would send, for any student: student_id, _action,
    _reason, TYPE, CERTIFICATE_ISSUED. Computed once per run."""
    return ctx.cached("diploma_decisions", lambda: decided_diplomas(ctx))


def decided_diplomas(ctx: SegmentContext) -> pl.DataFrame:
    """Desired: each student's diploma with a type and a date; pending: the types 0026
    holds, `cleared` when the SIS no longer gives a type and date, `replaced` when it
    gives another sendable type."""
    students = _student_diplomas(ctx)
    cleared = pl.col("school_type").is_null() | pl.col("school_date").is_null()
    pairs = students.join(_pending(ctx), on="oen_key", how="inner")
    holders = pairs.get_column("student_id").implode()
    desired = students.filter(~cleared).select(
        "student_id",
        pl.col("school_type").alias("TYPE"),
        "school_date",
        "sendable",
        pl.col("student_id").is_in(holders).alias("holds_any"),
    )
    pending = pairs.select(
        "student_id",
        pl.col("pae_type").alias("TYPE"),
        "pae_date",
        cleared.alias("cleared"),
        SENDABLE.alias("replaced"),
    )
    rows = decide(desired, pending, DECISION)
    return rows.select(
        "student_id",
        "_action",
        "_reason",
        "TYPE",
        wanted_or_held("CERTIFICATE_ISSUED", pl.col("school_date"), pl.col("pae_date")),
    )


def diploma_activity(ctx: SegmentContext, _enrolments: pl.DataFrame) -> pl.Series:
    """Activity source: students with a diploma to add or correct in this submission."""
    rows = diploma_decisions(ctx).filter(pl.col("_action") != DELETE)
    return rows.get_column("student_id").unique().alias("student_id")


def non_enrolled_diplomas(ctx: SegmentContext) -> pl.DataFrame:
    """Diplomas a student who is not enrolled reports: dated inside the period, not
    already held by OnSIS with that date."""
    period = ctx.period
    rows = diploma_decisions(ctx).filter(
        (pl.col("_action") != DELETE)
        & pl.col("CERTIFICATE_ISSUED").is_between(period.start, period.count_date)
    )
    return decide(rows.select("student_id", "TYPE", "CERTIFICATE_ISSUED"), None, NE_DECISION)


def diploma_rows(segment: str, decisions: pl.DataFrame, parents: pl.DataFrame) -> pl.DataFrame:
    """Plan rows of the decisions whose student has a row in `parents` (student_id,
    _action). DELETEs under a parent being added are dropped: OnSIS holds nothing there."""
    rows = decisions.join(
        parents.select("student_id", pl.col("_action").alias("_parent_action")), on="student_id"
    ).filter(~((pl.col("_action") == DELETE) & (pl.col("_parent_action") == ADD)))
    rows = rows.with_columns(
        pl.format("DIP|{}|{}", "student_id", "TYPE").alias("_id"),
        pl.col("student_id").alias("_parent"),
    )
    return finish(segment, rows, order_by=KEY)


def diploma_findings(ctx: SegmentContext, reported: pl.Series) -> list[Finding]:
    """DIP001 date outside the school year, DIP002 graduation school never attended;
    only for the students this file reports."""
    students = _student_diplomas(ctx).filter(pl.col("student_id").is_in(reported.implode()))
    start = school_year_start(ctx)
    counted = (
        pl.col("school_type").is_not_null()
        & (pl.col("school_type") != NOT_REPORTED_TYPE)
        & pl.col("school_date").is_not_null()
    )
    # Past the end of the school year no submission of this year can carry the date; before
    # its start, a correction of the date OnSIS holds cannot be sent (UPDATE needs a date of
    # this school year). Other old diplomas are history, not a finding.
    held_other_date = (
        _pending(ctx)
        .join(students.select("oen_key", "school_type", "school_date"), on="oen_key")
        .filter(
            (pl.col("pae_type") == pl.col("school_type"))
            & pl.col("pae_date").ne_missing(pl.col("school_date"))
        )
        .get_column("oen_key")
        .implode()
    )
    outside = (pl.col("school_date") > _school_year_end(ctx)) | (
        (pl.col("school_date") < start) & pl.col("oen_key").is_in(held_other_date)
    )
    return [
        *at_data_rows(
            "DIP001",
            students.filter(counted & outside),
            "students",
            "diploma_date",
            row="student_row",
            student_id=FromColumn("student_id"),
            school_year=ctx.period.school_year,
        ),
        *at_data_rows(
            "DIP002",
            students.filter(counted & pl.col("grad_school_unknown")),
            "students",
            "graduation_school_id",
            row="student_row",
            student_id=FromColumn("student_id"),
            value=FromColumn("graduation_school_id"),
        ),
    ]
