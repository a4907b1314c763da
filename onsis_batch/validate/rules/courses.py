"""Course identity and outcome flags: a course named both as a Ministry course and as a
locally developed one (RUL020), a class enrolment both complete and incomplete (RUL019)."""

from __future__ import annotations

import polars as pl

from onsis_batch.plan.model import Plan
from onsis_batch.validate.rules.frames import sent
from onsis_batch.validate.rules.registry import rule

# the segments where the rule book allows one of the two course codes, never both
ONE_COURSE_CODE = ("SEGMENT", "STUDENT_CLASS_ENROLMENT")


@rule("RUL019")
def complete_and_incomplete(plan: Plan) -> pl.DataFrame:
    """Class enrolments flagged both complete and incomplete."""
    rows = sent(plan, "STUDENT_CLASS_ENROLMENT", "COURSE_COMPLETE_FLAG", "COURSE_INCOMPLETE_FLAG")
    both = pl.col("COURSE_COMPLETE_FLAG") & pl.col("COURSE_INCOMPLETE_FLAG")
    return rows.filter(both.fill_null(False)).select("_id")


@rule("RUL020")
def ministry_and_local_course(plan: Plan) -> pl.DataFrame:
    """Rows that name both a Ministry and a locally developed course."""
    hits = [
        sent(plan, segment, "MINISTRY_DFND_CRS", "LOCAL_DEV_CRS")
        .filter(pl.col("MINISTRY_DFND_CRS").is_not_null() & pl.col("LOCAL_DEV_CRS").is_not_null())
        .select("_id", segment=pl.lit(segment), ministry="MINISTRY_DFND_CRS", local="LOCAL_DEV_CRS")
        for segment in ONE_COURSE_CODE
    ]
    return pl.concat(hits)
