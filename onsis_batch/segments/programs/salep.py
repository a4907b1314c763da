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
from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.engine import (
    ADD,
    DELETE,
    HELD,
    UPDATE,
    WANTED,
    Decision,
    Outcome,
    decide,
    finish,
    wanted_or_held,
)
from onsis_batch.segments.located import at_data_rows
from onsis_batch.segments.programs.facts import program_enrolments
from onsis_batch.segments.programs.sal_rules import sal_exit_cutoff, sal_in_window, sal_reported
from onsis_batch.segments.programs.special_education import reported_students
from onsis_batch.segments.students.scope import classified_enrolments

SEGMENT, COMPONENT = "SALEP", "SALEP_COMPONENT"
NON_RETURNING = ["SSE-UPD-NONRETURNING", "SSE-UPD-EXCLUDED"]


def _sal_enrolments(ctx: SegmentContext) -> pl.DataFrame:
    return program_enrolments(ctx).filter(pl.col("is_sal"))


def _in_school(ctx: SegmentContext, sal: pl.DataFrame) -> pl.DataFrame:
    """The SAL rows during which the student had an enrolment at one of the BSID's schools."""
    classified, _ = classified_enrolments(ctx)
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


KEY = ("student_id", "TYPE", "START_DATE")
COMPONENT_KEY = ("salep_id", "TYPE")
SALEP_ID = pl.format("SALEP|{}|{}|{}", "student_id", "TYPE", "START_DATE")
CLOSING = pl.col("sse_reason").is_in(NON_RETURNING)
DECISION = Decision(
    key=KEY,
    new=Outcome(ADD, pl.when(pl.col("in_school")).then(pl.lit("SALEP-ADD"))),
    held=Outcome(
        UPDATE,
        pl.when(CLOSING).then(pl.lit("SALEP-UPD-NONRETURNING")).otherwise(pl.lit("SALEP-UPD")),
    ),
    # Deleted only when no SAL enrolment of that type and start date is left at all.
    gone=Outcome(DELETE, pl.when(~pl.col("known")).then(pl.lit("SALEP-DEL"))),
)
COMPONENT_DECISION = Decision(
    key=COMPONENT_KEY,
    new=Outcome(ADD, "SALC-ADD"),
    gone=Outcome(DELETE, "SALC-DEL"),
)


def _pending(ctx: SegmentContext, students: pl.DataFrame) -> pl.DataFrame:
    """What 0027 holds for the reported students, `known` when the school data still has
    a SAL enrolment of that type and start date."""
    pae = ctx.extract("0027").with_columns(
        normalised_oen().alias("oen_key"),
        pl.col("salep_type").str.strip_chars().alias("TYPE"),
        pl.col("start_date").alias("START_DATE"),
    )
    # The reader gives one row per component (D700): a key's components gathered back into
    # one list, from every line that holds the key (the first line's other values).
    held = ["oen_key", "TYPE", "START_DATE"]
    pae = (
        pae.sort("_row", maintain_order=True)
        .group_by(held, maintain_order=True)
        .agg(
            pl.exclude("component_types").first(),
            pl.col("component_types").drop_nulls().unique(maintain_order=True),
        )
    )
    known = _sal_enrolments(ctx).select(
        "student_id",
        pl.col("sal_type").alias("TYPE"),
        pl.col("entry_date").alias("START_DATE"),
        pl.lit(True).alias("known"),
    )
    return (
        pae.join(students, on="oen_key", how="inner")
        .join(known.unique(KEY), on=KEY, how="left")
        .select(*KEY, "status_type", "exit_type", "end_date", "component_types", "known")
        .with_columns(pl.col("known").fill_null(False))
    )


def salep_values(ctx: SegmentContext) -> list[pl.Expr]:
    """Element values: from the SAL enrolment when wanted, as OnSIS holds them on a DELETE.
    END_DATE and EXIT_TYPE once the exit is reportable; a closed enrolment's end date."""
    exited = pl.col("exit_date") <= sal_exit_cutoff(ctx.period)
    closing = CLOSING & pl.col(HELD)
    end = pl.when(closing).then(pl.col("sse_end")).when(exited).then(pl.col("exit_date"))
    return [
        wanted_or_held("STATUS_TYPE", pl.col("sal_status"), pl.col("status_type")),
        wanted_or_held(
            "EXIT_TYPE", pl.when(exited).then(pl.col("sal_exit_reason")), pl.col("exit_type")
        ),
        wanted_or_held("END_DATE", end, pl.col("end_date")),
    ]


def _codes(column: str) -> pl.Expr:
    return pl.col(column).str.split(",").alias("TYPE")


def _listed(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per code of the list `TYPE`, blanks left out."""
    return (
        frame.explode("TYPE")
        .with_columns(pl.col("TYPE").str.strip_chars())
        .filter(pl.col("TYPE").is_not_null() & (pl.col("TYPE") != ""))
    )


def component_rows(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """COMPONENT rows, and the SIS rows naming an unknown component code. Under an ADD all
    codes are ADD; under an UPDATE the codes 0027 lacks are ADD, those the SIS lacks DELETE."""
    known = list(code_table("sal_component_type").codes)
    sent = rows.filter(pl.col(WANTED))
    listed = _listed(sent.select(pl.col("_id").alias("salep_id"), "_row", _codes("sal_components")))
    sis = listed.unique(COMPONENT_KEY, keep="first", maintain_order=True)
    unknown = sis.filter(~pl.col("TYPE").is_in(known))
    updated = rows.filter(pl.col("_action") == UPDATE)
    held = _listed(
        updated.select(pl.col("_id").alias("salep_id"), pl.col("component_types").alias("TYPE"))
    ).unique()
    components = decide(
        sis.filter(pl.col("TYPE").is_in(known)).drop("_row"), held, COMPONENT_DECISION
    )
    components = components.with_columns(
        pl.col("salep_id").alias("_parent"), pl.format("{}|{}", "salep_id", "TYPE").alias("_id")
    )
    return finish(COMPONENT, components, order_by=COMPONENT_KEY), unknown


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
        (pl.col("_action") == ADD)
        & (pl.col("sal_components").str.replace_all(r"[\s,]", "").fill_null("") == "")
    )
    return [
        *at_data_rows(
            "SAL001", untyped, "program_enrolments", "sal_type", student_id=FromColumn("student_id")
        ),
        *at_data_rows(
            "SAL002",
            unknown.sort("_row"),
            "program_enrolments",
            "sal_components",
            value=FromColumn("TYPE"),
        ),
        *at_data_rows(
            "SAL003",
            empty,
            "program_enrolments",
            "sal_components",
            student_id=FromColumn("student_id"),
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
    desired = (
        selected_sal(ctx)
        .filter(pl.col("student_id").is_in(ids))
        .with_columns(pl.col("sal_type").alias("TYPE"), pl.col("entry_date").alias("START_DATE"))
        .join(sse, on="student_id", how="left")
    )
    rows = decide(desired, _pending(ctx, students), DECISION).with_columns(
        *salep_values(ctx),
        SALEP_ID.alias("_id"),
        pl.col("student_id").alias("_parent"),
    )
    components, unknown = component_rows(rows)
    frames = {SEGMENT: finish(SEGMENT, rows, order_by=KEY), COMPONENT: components}
    sent = rows.filter(pl.col(WANTED))
    return frames, _findings(ctx, students, sent, unknown)
