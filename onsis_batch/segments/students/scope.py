"""Which school enrolments a run looks at, and which one speaks for each student.

The rule book ignores three kinds of enrolment row everywhere: rows whose exit date equals
their entry date, no-show rows (exit code NS) and rows whose exit code has no Ministry
mapping. Of the rest, a row counts for the period when it overlaps it (exit after the
period start, entry on or before the count date) and its attendance type is not EX.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.codes import code_table
from onsis_batch.findings import Finding, FromColumn
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.located import at_data_rows

NO_SHOW = "NS"


def ignored_reason() -> pl.Expr:
    """Why the rule book ignores an enrolment row (same_day, no_show, unmapped_exit), or
    null for a row it reads."""
    exit_codes = list(code_table("student_mobility_type_exit").codes)
    return (
        pl.when(pl.col("exit_date") == pl.col("entry_date"))
        .then(pl.lit("same_day"))
        .when(pl.col("exit_code") == NO_SHOW)
        .then(pl.lit("no_show"))
        .when(pl.col("exit_code").is_not_null() & ~pl.col("exit_code").is_in(exit_codes))
        .then(pl.lit("unmapped_exit"))
        .otherwise(None)
    )


def overlaps_period(period: SubmissionPeriod) -> pl.Expr:
    """True for enrolment rows that overlap the period: entered by the count date, not
    left before the period starts."""
    return (pl.col("entry_date") <= period.count_date) & (
        pl.col("exit_date").is_null() | (pl.col("exit_date") > period.start)
    )


def classified_enrolments(ctx: SegmentContext) -> tuple[pl.DataFrame, list[Finding]]:
    """`classify_enrolments` of the run's school enrolments, worked out once per run (six
    builders read it); the findings are a new list each time, for the caller to extend."""
    classified, found = ctx.cached(
        "classified_enrolments",
        lambda: classify_enrolments(ctx.table("school_enrolments"), ctx.period),
    )
    return classified, list(found)


def classify_enrolments(
    enrolments: pl.DataFrame, period: SubmissionPeriod
) -> tuple[pl.DataFrame, list[Finding]]:
    """Enrolments at the BSID's schools, tagged `ignored` (reason or null) and `in_period`."""
    enr = enrolments.filter(pl.col("school_id").is_in(list(period.school_ids))).with_columns(
        ignored_reason().alias("ignored")
    )
    enr = enr.with_columns(
        (pl.col("ignored").is_null() & overlaps_period(period)).alias("in_period"),
        (pl.col("attendance_type").fill_null("") == "EX").alias("is_ex"),
    )
    findings = at_data_rows(
        "SSE001",
        enr.filter(pl.col("ignored") == "unmapped_exit"),
        "school_enrolments",
        "exit_code",
        student_id=FromColumn("student_id"),
        entry_date=FromColumn("entry_date"),
        value=FromColumn("exit_code"),
    )
    return enr, findings


def current_enrolments(classified: pl.DataFrame, period: SubmissionPeriod) -> pl.DataFrame:
    """One row per student enrolled in the period: the enrolment that speaks for them.

    A primary enrolment wins over cross-enrolments, except for a student whose primary
    enrolment ended in the period while a cross-enrolment stays active on the count date:
    that student is reported as shared. Among the winning kind, values come from the
    latest enrolment; the start date is the earliest entry and the end date the latest
    enrolment's exit.
    """
    qualifying = classified.filter(pl.col("in_period") & ~pl.col("is_ex"))
    active_on_count = pl.col("exit_date").is_null() | (pl.col("exit_date") > period.count_date)
    per_student = qualifying.group_by("student_id").agg(
        (~pl.col("is_cross_enrolment")).any().alias("has_primary"),
        (~pl.col("is_cross_enrolment") & ~active_on_count).any().alias("primary_left"),
        (~pl.col("is_cross_enrolment") & active_on_count).any().alias("primary_active"),
        (pl.col("is_cross_enrolment") & active_on_count).any().alias("cross_active"),
    )
    shared = pl.col("primary_left") & ~pl.col("primary_active") & pl.col("cross_active")
    per_student = per_student.with_columns(
        (pl.col("has_primary") & ~shared).alias("main_school"),
        shared.alias("became_shared"),
    )
    chosen = qualifying.join(
        per_student.select("student_id", "main_school", "became_shared"), on="student_id"
    ).filter(pl.col("is_cross_enrolment") != pl.col("main_school"))
    # The latest enrolment speaks; when enrolments overlap (SSE004), one still open on the
    # count date wins over one that ended, so the student is not taken for a leaver (D314).
    chosen = chosen.sort("student_id", active_on_count, "entry_date")
    return chosen.group_by("student_id", maintain_order=True).agg(
        pl.col("entry_date").min().alias("start_date"),
        pl.all().exclude("student_id").last(),
    )


def previous_enrolments(classified: pl.DataFrame, period: SubmissionPeriod) -> pl.DataFrame:
    """Each student's latest usable enrolment that began by the count date.

    Used for students OnSIS still holds but who have no enrolment in the period: their exit
    date, exit code, attendance and FTE come from here. No-show and other ignored rows are
    skipped, so a current-year no-show falls back to the previous year's real enrolment;
    so are attendance-EX rows, which the rule book treats as not reported at all.
    """
    usable = classified.filter(
        pl.col("ignored").is_null() & ~pl.col("is_ex") & (pl.col("entry_date") <= period.count_date)
    ).sort("student_id", "entry_date")
    return usable.group_by("student_id", maintain_order=True).agg(pl.all().last())
