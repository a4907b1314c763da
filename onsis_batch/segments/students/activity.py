"""Students who have something to report besides their enrolment.

A student who entered and left within the period, and whom OnSIS does not hold yet, is
reported only when one of these sources names them. Later segments (class marks, PLAR,
diplomas, SHSM, SAL) add their own source to ACTIVITY_SOURCES.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from onsis_batch.segments.classes.enrolment_inputs import students_with_class_marks
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.credentials.diploma import diploma_activity
from onsis_batch.segments.credentials.shsm import shsm_activity
from onsis_batch.segments.credits.build import credit_activity
from onsis_batch.segments.programs.salep import sal_activity

ActivitySource = Callable[[SegmentContext, pl.DataFrame], pl.Series]


def independent_study_ade(ctx: SegmentContext, enrolments: pl.DataFrame) -> pl.Series:
    """Independent-study ADE must be reported even with nothing else to report."""
    has_ade = (pl.col("ade").fill_null(0) > 0) | (pl.col("high_credit_ade").fill_null(0) > 0)
    return enrolments.filter(pl.col("in_period") & has_ade).get_column("student_id")


ACTIVITY_SOURCES: tuple[ActivitySource, ...] = (
    independent_study_ade,
    students_with_class_marks,
    credit_activity,
    sal_activity,
    diploma_activity,
    shsm_activity,
)


def students_with_activity(ctx: SegmentContext, enrolments: pl.DataFrame) -> pl.Series:
    """Unique student ids named by any activity source."""
    found = [source(ctx, enrolments) for source in ACTIVITY_SOURCES]
    if not found:
        return pl.Series("student_id", [], dtype=pl.Utf8)
    return pl.concat(found).unique().alias("student_id")
