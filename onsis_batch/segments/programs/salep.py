"""SALEP and its COMPONENT children, against PAE 0027.

A SAL program enrolment (a program with `is_sal`) with a SAL type is reported when it was
entered by the count date and not left by the period start; in October and March not
when it was entered and left within the period (segments/sal_rules.py). Of those, each
reported student sends the latest one. Joined with 0027 on OEN, type and start date:

  selected, in 0027 ............................ UPDATE  SALEP-UPD (SALEP-UPD-NONRETURNING:
                                                         END_DATE is the enrolment end)
  selected, not in 0027, enrolled in a school
  of the BSID while in the program ............. ADD     SALEP-ADD
  in 0027, no SAL enrolment of that type and
  start date in the school data ................ DELETE  SALEP-DEL (values as OnSIS holds them)

END_DATE and EXIT_TYPE are sent when the exit date is on or before the count date (July 1
in June). Components: each code of `sal_components`; under an ADD all are ADD, under an
UPDATE the codes 0027 lacks are ADD and those the school data lacks are DELETE, a DELETE
has none. The renderer writes DELETE before UPDATE before ADD.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.codes import code_table
from onsis_batch.findings import Finding, FromColumn, findings_for_rows
from onsis_batch.plan.model import BOOKKEEPING_TYPES
from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.programs.facts import program_enrolments
from onsis_batch.segments.programs.sal_rules import sal_exit_cutoff, sal_in_window, sal_reported
from onsis_batch.segments.programs.special_education import reported_students
from onsis_batch.segments.students.scope import classify_enrolments

SEGMENT, COMPONENT = "SALEP", "SALEP_COMPONENT"
COLUMNS = {
    **BOOKKEEPING_TYPES,
    "TYPE": pl.String,
    "STATUS_TYPE": pl.String,
    "EXIT_TYPE": pl.String,
    "START_DATE": pl.Date,
    "END_DATE": pl.Date,
}
COMPONENT_COLUMNS = {**BOOKKEEPING_TYPES, "TYPE": pl.String}
VALUES = ["_action", "_reason", "STATUS_TYPE", "EXIT_TYPE", "END_DATE"]
NON_RETURNING = ["SSE-UPD-NONRETURNING", "SSE-UPD-EXCLUDED"]


def _sal_enrolments(ctx: SegmentContext) -> pl.DataFrame:
    return program_enrolments(ctx).filter(pl.col("is_sal"))


def _in_school(ctx: SegmentContext, sal: pl.DataFrame) -> pl.DataFrame:
    """The SAL rows during which the student had an enrolment at one of the BSID's schools."""
    classified, _ = classify_enrolments(ctx.table("school_enrolments"), ctx.period)
    schools = classified.filter(pl.col("ignored").is_null()).select(
        "student_id",
        pl.col("entry_date").alias("school_entry"),
        pl.col("exit_date").alias("school_exit"),
    )
    sal_end = pl.coalesce("exit_date", pl.lit(ctx.period.count_date))
    overlapping = (
        sal.select("student_id", "entry_date", "exit_date")
        .join(schools, on="student_id")
        .filter(
            (pl.col("school_entry") < sal_end)
            & (pl.col("school_exit").is_null() | (pl.col("school_exit") > pl.col("entry_date")))
        )
        .select("student_id", "entry_date")
        .unique()
    )
    return overlapping.with_columns(pl.lit(True).alias("in_school"))


def _selected(ctx: SegmentContext) -> pl.DataFrame:
    """Per student the latest SAL enrolment a SALEP reports, with `in_school`."""
    period = ctx.period
    chosen = (
        _sal_enrolments(ctx)
        .filter(sal_in_window(period) & sal_reported(period))
        .sort("student_id", "entry_date", "program_id")
        .group_by("student_id", maintain_order=True)
        .last()
    )
    return chosen.join(
        _in_school(ctx, chosen), on=["student_id", "entry_date"], how="left"
    ).with_columns(pl.col("in_school").fill_null(False))


def selected_sal(ctx: SegmentContext) -> pl.DataFrame:
    """The SAL enrolment each student's SALEP reports (computed once per run)."""
    return ctx.cached("program_facts.sal_selected", lambda: _selected(ctx))


def sal_activity(ctx: SegmentContext, _enrolments: pl.DataFrame) -> pl.Series:
    """Activity source: students with a SAL program to report (entered and left included)."""
    return selected_sal(ctx).filter(pl.col("in_school")).get_column("student_id").unique()


def _pending(ctx: SegmentContext, students: pl.DataFrame) -> pl.DataFrame:
    pae = ctx.extract("0027").with_columns(
        normalised_oen().alias("oen_key"),
        pl.col("salep_type").str.strip_chars().alias("TYPE"),
        pl.col("start_date").alias("START_DATE"),
    )
    pae = pae.unique(["oen_key", "TYPE", "START_DATE"], keep="first", maintain_order=True)
    return pae.join(students, on="oen_key", how="inner").with_columns(pl.lit(True).alias("in_pae"))


def _sent(ctx: SegmentContext, selected: pl.DataFrame, sse: pl.DataFrame) -> pl.DataFrame:
    cutoff = sal_exit_cutoff(ctx.period)
    exited = pl.col("exit_date") <= cutoff
    closing = pl.col("sse_reason").is_in(NON_RETURNING) & pl.col("in_pae")
    selected = selected.join(sse, on="student_id", how="left").filter(
        pl.col("in_pae") | pl.col("in_school")
    )
    return selected.with_columns(
        pl.when(pl.col("in_pae")).then(pl.lit("UPDATE")).otherwise(pl.lit("ADD")).alias("_action"),
        pl.when(closing)
        .then(pl.lit("SALEP-UPD-NONRETURNING"))
        .when(pl.col("in_pae"))
        .then(pl.lit("SALEP-UPD"))
        .otherwise(pl.lit("SALEP-ADD"))
        .alias("_reason"),
        pl.col("sal_status").alias("STATUS_TYPE"),
        pl.when(exited).then(pl.col("sal_exit_reason")).alias("EXIT_TYPE"),
        pl.when(closing)
        .then(pl.col("sse_end"))
        .when(exited)
        .then(pl.col("exit_date"))
        .alias("END_DATE"),
    )


def _components(sent: pl.DataFrame, pending: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """COMPONENT rows, and the SIS rows naming an unknown component code."""
    known = list(code_table("sal_component_type").codes)
    sis = (
        sent.filter(pl.col("_action") != "DELETE")
        .select("_id", "_action", "_row", pl.col("sal_components").str.split(",").alias("TYPE"))
        .explode("TYPE")
        .with_columns(pl.col("TYPE").str.strip_chars())
        .filter(pl.col("TYPE").is_not_null() & (pl.col("TYPE") != ""))
        .unique(["_id", "TYPE"], keep="first", maintain_order=True)
    )
    unknown = sis.filter(~pl.col("TYPE").is_in(known))
    sis = sis.filter(pl.col("TYPE").is_in(known))
    held = (
        pending.select("_id", pl.col("component_types").str.split(",").alias("TYPE"))
        .explode("TYPE")
        .with_columns(pl.col("TYPE").str.strip_chars())
        .filter(pl.col("TYPE").is_not_null() & (pl.col("TYPE") != ""))
        .unique()
    )
    updated = sent.filter(pl.col("_action") == "UPDATE").select("_id")
    added = sis.join(held, on=["_id", "TYPE"], how="anti").select(
        "_id", "TYPE", pl.lit("ADD").alias("_action"), pl.lit("SALC-ADD").alias("_reason")
    )
    dropped = (
        held.join(updated, on="_id")
        .join(sis, on=["_id", "TYPE"], how="anti")
        .select(
            "_id", "TYPE", pl.lit("DELETE").alias("_action"), pl.lit("SALC-DEL").alias("_reason")
        )
    )
    rows = (
        pl.concat([dropped, added])
        .sort("_id", "TYPE")
        .with_columns(
            pl.col("_id").alias("_parent"), pl.format("{}|{}", "_id", "TYPE").alias("_id")
        )
    )
    rows = rows.with_row_index("_order").with_columns(pl.col("_order").cast(pl.Int64))
    return rows.select([pl.col(n).cast(t) for n, t in COMPONENT_COLUMNS.items()]), unknown


def _findings(
    ctx: SegmentContext, students: pl.DataFrame, sent: pl.DataFrame, unknown: pl.DataFrame
) -> list[Finding]:
    """SAL001 SAL enrolment without a type; SAL002 unknown component; SAL003 ADD without
    any component."""
    period = ctx.period
    untyped = _sal_enrolments(ctx).filter(
        pl.col("student_id").is_in(students.get_column("student_id").implode())
        & sal_in_window(period)
        & pl.col("sal_type").is_null()
    )
    empty = sent.filter(
        (pl.col("_action") == "ADD")
        & (pl.col("sal_components").str.replace_all(r"[\s,]", "").fill_null("") == "")
    )
    where = {"file": "program_enrolments", "row": FromColumn("_row")}
    return [
        *findings_for_rows(
            "SAL001", untyped, **where, column="sal_type", student_id=FromColumn("student_id")
        ),
        *findings_for_rows(
            "SAL002",
            unknown.sort("_row"),
            **where,
            column="sal_components",
            value=FromColumn("TYPE"),
        ),
        *findings_for_rows(
            "SAL003", empty, **where, column="sal_components", student_id=FromColumn("student_id")
        ),
    ]


def build_salep(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """SALEP and SALEP_COMPONENT rows of the reported students."""
    students = reported_students(built)
    ids = students.get_column("student_id").implode()
    sse = built["STUDENT_SCHOOL_ENROLMENT"].select(
        pl.col("_id").alias("student_id"),
        pl.col("_reason").alias("sse_reason"),
        pl.col("ENROLMENT_END_DATE").alias("sse_end"),
    )
    pending = _pending(ctx, students)
    key = ["student_id", "TYPE", "START_DATE"]
    selected = (
        selected_sal(ctx)
        .filter(pl.col("student_id").is_in(ids))
        .with_columns(pl.col("sal_type").alias("TYPE"), pl.col("entry_date").alias("START_DATE"))
        .join(pending.select(*key, "in_pae"), on=key, how="left")
        .with_columns(pl.col("in_pae").fill_null(False))
    )
    sent = _sent(ctx, selected, sse)
    known = _sal_enrolments(ctx).select(
        "student_id", pl.col("sal_type").alias("TYPE"), pl.col("entry_date").alias("START_DATE")
    )
    deleted = pending.join(known, on=key, how="anti").with_columns(
        pl.lit("DELETE").alias("_action"),
        pl.lit("SALEP-DEL").alias("_reason"),
        pl.col("status_type").alias("STATUS_TYPE"),
        pl.col("exit_type").alias("EXIT_TYPE"),
        pl.col("end_date").alias("END_DATE"),
    )
    salep_id = pl.format("SALEP|{}|{}|{}", "student_id", "TYPE", "START_DATE").alias("_id")
    sent, pending = sent.with_columns(salep_id), pending.with_columns(salep_id)
    components, unknown = _components(sent, pending)
    rows = pl.concat(
        [frame.select(*key, *VALUES) for frame in (deleted, sent)],
        how="vertical_relaxed",
    )
    rows = (
        rows.sort(key)
        .with_columns(salep_id, pl.col("student_id").alias("_parent"))
        .with_row_index("_order")
        .with_columns(pl.col("_order").cast(pl.Int64))
    )
    frames = {
        SEGMENT: rows.select([pl.col(n).cast(t) for n, t in COLUMNS.items()]),
        COMPONENT: components,
    }
    return frames, _findings(ctx, students, sent, unknown)
