"""SPECIAL_EDUCATION: one row per reported student and exceptionality, against PAE 0005.

Desired rows are the special education programs active on the student's last day
(segments/program_facts.py); a non-identified program (no exceptionality, or NONIDE) has
the blank exceptionality as its key. Joined with 0005 on OEN and exceptionality:

  active, not in 0005 ........ ADD     SPED-ADD
  active, in 0005 ............ UPDATE  SPED-UPD
  in 0005, not active ........ DELETE  SPED-DEL  (values as OnSIS holds them)

Not sent for private schools, nor for students the school data does not know.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding, FromColumn, findings_for_rows
from onsis_batch.plan.model import BOOKKEEPING_TYPES
from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.programs.facts import special_education

SEGMENT = "SPECIAL_EDUCATION"
COLUMNS = {
    **BOOKKEEPING_TYPES,
    "EXCEPTIONALITY_TYPE": pl.String,
    "SPECIAL_EDU_PLMNT_TYPE": pl.String,
    "NON_IDENTIFIED_STUDENT_FLAG": pl.Boolean,
    "MAIN_EXCEPTIONALITY_FLAG": pl.Boolean,
    "IPRC_REVIEW_DATE": pl.Date,
    "IPRC_STUDENT_FLAG": pl.Boolean,
    "INDIVIDUAL_EDUCATION_PLAN_FLAG": pl.Boolean,
}


def reported_students(built: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """student_id, oen_key of the reported students the school data knows."""
    return (
        built["STUDENT"]
        .select(pl.col("_id").alias("student_id"), normalised_oen("OEN").alias("oen_key"))
        .filter(~pl.col("student_id").str.starts_with("PAE:"))
    )


def _pending(ctx: SegmentContext, students: pl.DataFrame) -> pl.DataFrame:
    pae = ctx.extract("0005").with_columns(
        normalised_oen().alias("oen_key"),
        pl.col("exceptionality_type").str.strip_chars().fill_null("").alias("se_key"),
    )
    pae = pae.unique(["oen_key", "se_key"], keep="first", maintain_order=True)
    return pae.join(students, on="oen_key", how="inner").with_columns(pl.lit(True).alias("in_pae"))


def _desired_values() -> list[pl.Expr]:
    identified = pl.col("exceptionality_code").is_not_null()
    return [
        pl.col("exceptionality_code").alias("EXCEPTIONALITY_TYPE"),
        pl.col("placement").alias("SPECIAL_EDU_PLMNT_TYPE"),
        (~identified).alias("NON_IDENTIFIED_STUDENT_FLAG"),
        (identified & pl.col("main_exceptionality").fill_null(False)).alias(
            "MAIN_EXCEPTIONALITY_FLAG"
        ),
        pl.when(identified).then(pl.col("iprc_date")).alias("IPRC_REVIEW_DATE"),
        identified.alias("IPRC_STUDENT_FLAG"),
        pl.col("iep").fill_null(False).alias("INDIVIDUAL_EDUCATION_PLAN_FLAG"),
    ]


def _deleted_values() -> list[pl.Expr]:
    code = pl.col("exceptionality_type").str.strip_chars()
    return [
        pl.when(code != "").then(code).alias("EXCEPTIONALITY_TYPE"),
        pl.col("special_edu_plmnt_type").alias("SPECIAL_EDU_PLMNT_TYPE"),
        pl.col("non_identified_student_flag").alias("NON_IDENTIFIED_STUDENT_FLAG"),
        pl.col("main_exceptionality_flag").alias("MAIN_EXCEPTIONALITY_FLAG"),
        pl.col("iprc_review_date").alias("IPRC_REVIEW_DATE"),
        pl.col("iprc_student_flag").alias("IPRC_STUDENT_FLAG"),
        pl.col("individual_education_plan_flag").alias("INDIVIDUAL_EDUCATION_PLAN_FLAG"),
    ]


def _finish(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(
        pl.format("SPED|{}|{}", "student_id", "se_key").alias("_id"),
        pl.col("student_id").alias("_parent"),
    ).sort("student_id", "se_key")
    frame = frame.with_row_index("_order").with_columns(pl.col("_order").cast(pl.Int64))
    return frame.select([pl.col(name).cast(dtype) for name, dtype in COLUMNS.items()])


def _main_findings(desired: pl.DataFrame) -> list[Finding]:
    """SPE001: a student's identified exceptionalities need exactly one main one.
    SPE002: a main flag on a non-identified program is not sent."""
    per_student = (
        desired.filter(pl.col("exceptionality_code").is_not_null())
        .group_by("student_id")
        .agg(
            pl.col("main_exceptionality").fill_null(False).sum().alias("mains"),
            pl.col("_row").min(),
        )
        .filter(pl.col("mains") != 1)
        .sort("student_id")
    )
    stray = desired.filter(
        pl.col("exceptionality_code").is_null() & pl.col("main_exceptionality").fill_null(False)
    ).sort("student_id")
    where = {
        "file": "program_enrolments",
        "row": FromColumn("_row"),
        "column": "main_exceptionality",
    }
    return [
        *findings_for_rows(
            "SPE001",
            per_student,
            **where,
            student_id=FromColumn("student_id"),
            mains=FromColumn("mains"),
        ),
        *findings_for_rows("SPE002", stray, **where, student_id=FromColumn("student_id")),
    ]


def build_special_education(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, list[Finding]]:
    """SPECIAL_EDUCATION rows of the reported students, and findings on their programs."""
    if ctx.period.private:
        return pl.DataFrame(schema=COLUMNS), []
    students = reported_students(built)
    ids = students.get_column("student_id").implode()
    desired = special_education(ctx).filter(pl.col("student_id").is_in(ids))
    pending = _pending(ctx, students)
    held = pending.select("student_id", "se_key", "in_pae")
    kept = desired.join(held, on=["student_id", "se_key"], how="left").with_columns(
        pl.col("in_pae").fill_null(False)
    )
    sent = kept.with_columns(
        pl.when(pl.col("in_pae")).then(pl.lit("UPDATE")).otherwise(pl.lit("ADD")).alias("_action"),
        pl.when(pl.col("in_pae"))
        .then(pl.lit("SPED-UPD"))
        .otherwise(pl.lit("SPED-ADD"))
        .alias("_reason"),
        *_desired_values(),
    )
    gone = pending.join(
        desired.select("student_id", "se_key"), on=["student_id", "se_key"], how="anti"
    )
    deleted = gone.with_columns(
        pl.lit("DELETE").alias("_action"), pl.lit("SPED-DEL").alias("_reason"), *_deleted_values()
    )
    keep = ["student_id", "se_key", "_action", "_reason", *list(COLUMNS)[5:]]
    rows = _finish(pl.concat([sent.select(keep), deleted.select(keep)], how="vertical_relaxed"))
    return rows, _main_findings(desired)
