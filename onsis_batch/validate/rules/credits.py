"""Marks and credits of STUDENT_CLASS_ENROLMENT (RUL013 credit earned with a failing mark,
RUL014 credit earned on a dropped course) and SALEP age (RUL015)."""

from __future__ import annotations

import polars as pl

from onsis_batch.plan.model import Plan
from onsis_batch.validate.rules.frames import enrolment_ages, sent
from onsis_batch.validate.rules.registry import rule

SCE = "STUDENT_CLASS_ENROLMENT"
PASS_MARK = 50
DROPPED = "D"
SAL_AGE_LIMIT = 18  # reached by December 31 of the school year's first calendar year


def _credit_hits(bad: pl.Expr, plan: Plan) -> pl.DataFrame:
    rows = sent(plan, SCE, "EARNED_CREDIT_VALUE", "FINAL_MARK", "WITHDRAWAL_TYPE")
    earned = pl.col("EARNED_CREDIT_VALUE").fill_null(0.0) > 0
    return rows.filter((earned & bad).fill_null(False)).select(
        "_id",
        credit=pl.col("EARNED_CREDIT_VALUE").round(2).cast(pl.String).str.pad_end(4, "0"),
        mark=pl.col("FINAL_MARK").cast(pl.String).fill_null("-"),
    )


@rule("RUL013")
def credit_with_failing_mark(plan: Plan) -> pl.DataFrame:
    """Class enrolments that earn a credit with a mark below the pass mark."""
    return _credit_hits(pl.col("FINAL_MARK") < PASS_MARK, plan)


@rule("RUL014")
def credit_on_dropped_course(plan: Plan) -> pl.DataFrame:
    """Class enrolments that earn a credit though the course was dropped."""
    return _credit_hits(pl.col("WITHDRAWAL_TYPE") == DROPPED, plan)


@rule("RUL015")
def salep_student_too_old(plan: Plan) -> pl.DataFrame:
    """SAL programs of students past the SAL age limit."""
    salep = sent(plan, "SALEP").join(
        enrolment_ages(plan), left_on="_parent", right_on="enrolment", how="inner"
    )
    return salep.filter(pl.col("age") >= SAL_AGE_LIMIT).select(
        "_id", age_limit=pl.lit(str(SAL_AGE_LIMIT))
    )
