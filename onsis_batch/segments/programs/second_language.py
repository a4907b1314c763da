"""SECOND_LANGUAGE_PROGRAM: ESL/ELD, French and Native-language programs, against PAE 0007.

The programs come from the reported students' class enrolments in sections of the BSID's
schools (placeholder courses never count), on the student's last day (the count date, or
the last day enrolled for a leaver; segments/program_facts.py):

  ESL / ELD ......... a class whose course code starts ESL (004) or ELD (005); public only
  Native language ... a class whose course code starts LN: 027 (private schools 031)
  French ............ at most one, chosen by the cascade of french_program.py; private
                      schools send 030 whatever the program

Only ADD and DELETE exist, keyed on TYPE. A type the SIS gives and 0007 lacks is an ADD
(the rule id names the step that found it: ADD_REASONS); a type 0007 holds that the SIS
no longer gives is a DELETE (SLP-DEL). French is one program whatever its type: it is
not added again while 0007 holds a French type, and 0007's French types are deleted only
when the student has no French program at all. DELETEs are written before ADDs.
MINUTES_PER_DAY_OF_INSTRUCTION is 0 for public schools and 001 for private ones.
"""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.segments.classes.enrolment_inputs import sections
from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.engine import ADD, DELETE, Decision, Outcome, decide, finish
from onsis_batch.segments.programs.facts import last_days
from onsis_batch.segments.programs.french_program import (
    FRENCH_TYPES,
    PRIVATE_FRENCH,
    french_programs,
)
from onsis_batch.segments.programs.special_education import reported_students

SEGMENT = "SECOND_LANGUAGE_PROGRAM"
KEY = ("student_id", "TYPE")
# The rule id of an ADD by the step that found the program (french_program.py's cascade).
ADD_REASONS = {
    "ESL": "SLP-ADD-ESL",
    "ELD": "SLP-ADD-ELD",
    "NATIVE": "SLP-ADD-NATIVE",
    "FR-CURRENT": "SLP-ADD-FR-CURRENT",
    "FR-RECENT": "SLP-ADD-FR-RECENT",
    "FR-UPCOMING": "SLP-ADD-FR-UPCOMING",
    "FR-PREVIOUS": "SLP-ADD-FR-PREVIOUS",
    "FR-TAUGHT": "SLP-ADD-FR-TAUGHT",
    "FR-DEFAULT": "SLP-ADD-FR-DEFAULT",
}
ESL, ELD, NATIVE, PRIVATE_NATIVE = "004", "005", "027", "031"
FRENCH_GROUP = [*FRENCH_TYPES, PRIVATE_FRENCH]


def class_rows(ctx: SegmentContext, students: pl.DataFrame) -> pl.DataFrame:
    """The students' class enrolments in the BSID's sections (placeholders left out), with
    the course code, the languages and program types, and the student's `as_of`."""
    ids = students.get_column("student_id").implode()
    lang_programs = ctx.table("courses").select(
        "course_number", pl.col("language_program_type").alias("course_program_type")
    )
    enrolments = ctx.table("class_enrolments").filter(
        pl.col("student_id").is_in(ids) & (pl.col("date_enrolled") != pl.col("date_left"))
    )
    return (
        enrolments.join(sections(ctx), on="section_id")
        .filter(pl.col("course_type").fill_null("") != "P")
        .join(lang_programs, on="course_number", how="left")
        .join(last_days(ctx).select("student_id", "as_of"), on="student_id")
        .with_columns(pl.col("course_code").str.to_uppercase())
    )


def _on_last_day() -> pl.Expr:
    return (pl.col("date_enrolled") <= pl.col("as_of")) & (pl.col("date_left") > pl.col("as_of"))


def _class_programs(rows: pl.DataFrame, private: bool) -> pl.DataFrame:
    """student_id, TYPE of the ESL/ELD and Native classes taken on the last day."""
    code = pl.col("course_code")
    kind = (
        pl.when(code.str.starts_with("LN"))
        .then(pl.lit(PRIVATE_NATIVE if private else NATIVE))
        .when(~pl.lit(private) & code.str.starts_with("ESL"))
        .then(pl.lit(ESL))
        .when(~pl.lit(private) & code.str.starts_with("ELD"))
        .then(pl.lit(ELD))
    )
    step = (
        pl.when(code.str.starts_with("LN")).then(pl.lit("NATIVE")).otherwise(code.str.slice(0, 3))
    )
    return (
        rows.filter(_on_last_day())
        .select("student_id", kind.alias("TYPE"), step.alias("step"))
        .drop_nulls("TYPE")
        .unique(["student_id", "TYPE"], keep="first")
    )


def _pending(ctx: SegmentContext, students: pl.DataFrame, managed: list[str]) -> pl.DataFrame:
    pae = ctx.extract("0007").with_columns(
        normalised_oen().alias("oen_key"), pl.col("program_type").str.strip_chars().alias("TYPE")
    )
    return (
        pae.filter(pl.col("TYPE").is_in(managed))
        .join(students, on="oen_key", how="inner")
        .select("student_id", "TYPE")
        .unique()
    )


def _decision(desired: pl.DataFrame, pending: pl.DataFrame) -> Decision:
    """ADD a type the SIS gives and 0007 lacks, DELETE one 0007 holds and the SIS does not
    give; French is one program, so a French type is neither added while 0007 holds one
    nor deleted while the SIS gives one."""
    french = pl.col("TYPE").is_in(FRENCH_GROUP)
    held_french = pending.filter(french).get_column("student_id").unique().implode()
    wanted_french = desired.filter(french).get_column("student_id").unique().implode()
    added = ~(french & pl.col("student_id").is_in(held_french))
    deleted = ~(french & pl.col("student_id").is_in(wanted_french))
    return Decision(
        key=KEY,
        new=Outcome(ADD, pl.when(added).then(pl.col("step").replace_strict(ADD_REASONS))),
        gone=Outcome(DELETE, pl.when(deleted).then(pl.lit("SLP-DEL"))),
    )


def build_second_languages(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, list[Finding]]:
    """SECOND_LANGUAGE_PROGRAM rows of the reported students."""
    private = ctx.period.private
    students = reported_students(built)
    rows = class_rows(ctx, students)
    desired = pl.concat([_class_programs(rows, private), french_programs(ctx, rows, private)])
    managed = [NATIVE, PRIVATE_NATIVE, *FRENCH_GROUP] + ([] if private else [ESL, ELD])
    pending = _pending(ctx, students, managed)
    rows = decide(desired, pending, _decision(desired, pending)).with_columns(
        pl.format("SLP|{}|{}", "student_id", "TYPE").alias("_id"),
        pl.col("student_id").alias("_parent"),
        pl.lit("001" if private else "0").alias("MINUTES_PER_DAY_OF_INSTRUCTION"),
    )
    return finish(SEGMENT, rows, order_by=KEY), []
