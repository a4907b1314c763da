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

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.engine import (
    ADD,
    DELETE,
    UPDATE,
    Decision,
    Outcome,
    decide,
    empty,
    finish,
    wanted_or_held,
)
from onsis_batch.segments.located import at_data_rows
from onsis_batch.segments.programs.facts import special_education

SEGMENT = "SPECIAL_EDUCATION"


def reported_students(built: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """student_id, oen_key of the reported students the school data knows."""
    return (
        built["STUDENT"]
        .select(pl.col("_id").alias("student_id"), normalised_oen("OEN").alias("oen_key"))
        .filter(~pl.col("student_id").str.starts_with("PAE:"))
    )


DECISION = Decision(
    key=("student_id", "se_key"),
    new=Outcome(ADD, "SPED-ADD"),
    held=Outcome(UPDATE, "SPED-UPD"),
    gone=Outcome(DELETE, "SPED-DEL"),
)
# Pending columns: what OnSIS holds, sent back as it is on a DELETE.
HELD_COLUMNS = (
    "exceptionality_type",
    "special_edu_plmnt_type",
    "non_identified_student_flag",
    "main_exceptionality_flag",
    "iprc_review_date",
    "iprc_student_flag",
    "individual_education_plan_flag",
)


def _pending(ctx: SegmentContext, students: pl.DataFrame) -> pl.DataFrame:
    pae = ctx.extract("0005").with_columns(
        normalised_oen().alias("oen_key"),
        pl.col("exceptionality_type").str.strip_chars().fill_null("").alias("se_key"),
    )
    pae = pae.unique(["oen_key", "se_key"], keep="first", maintain_order=True)
    return pae.join(students, on="oen_key", how="inner").select(*DECISION.key, *HELD_COLUMNS)


def special_education_values() -> list[pl.Expr]:
    """Element values: from the school data when wanted, as OnSIS holds them on a DELETE."""
    identified = pl.col("exceptionality_code").is_not_null()
    held_code = pl.col("exceptionality_type").str.strip_chars()
    values = {
        "EXCEPTIONALITY_TYPE": (
            pl.col("exceptionality_code"),
            pl.when(held_code != "").then(held_code),
        ),
        "SPECIAL_EDU_PLMNT_TYPE": (pl.col("placement"), pl.col("special_edu_plmnt_type")),
        "NON_IDENTIFIED_STUDENT_FLAG": (~identified, pl.col("non_identified_student_flag")),
        "MAIN_EXCEPTIONALITY_FLAG": (
            identified & pl.col("main_exceptionality").fill_null(False),
            pl.col("main_exceptionality_flag"),
        ),
        "IPRC_REVIEW_DATE": (
            pl.when(identified).then(pl.col("iprc_date")),
            pl.col("iprc_review_date"),
        ),
        "IPRC_STUDENT_FLAG": (identified, pl.col("iprc_student_flag")),
        "INDIVIDUAL_EDUCATION_PLAN_FLAG": (
            pl.col("iep").fill_null(False),
            pl.col("individual_education_plan_flag"),
        ),
    }
    return [wanted_or_held(name, *pair) for name, pair in values.items()]


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
    return [
        *at_data_rows(
            "SPE001",
            per_student,
            "program_enrolments",
            "main_exceptionality",
            student_id=FromColumn("student_id"),
            mains=FromColumn("mains"),
        ),
        *at_data_rows(
            "SPE002",
            stray,
            "program_enrolments",
            "main_exceptionality",
            student_id=FromColumn("student_id"),
        ),
    ]


def build_special_education(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, list[Finding]]:
    """SPECIAL_EDUCATION rows of the reported students, and findings on their programs."""
    if ctx.period.private:
        return empty(SEGMENT), []
    students = reported_students(built)
    ids = students.get_column("student_id").implode()
    desired = special_education(ctx).filter(pl.col("student_id").is_in(ids))
    rows = decide(desired, _pending(ctx, students), DECISION).with_columns(
        *special_education_values(),
        pl.format("SPED|{}|{}", "student_id", "se_key").alias("_id"),
        pl.col("student_id").alias("_parent"),
    )
    return finish(SEGMENT, rows, order_by=DECISION.key), _main_findings(desired)
