"""SHSM_PROGRAM, SHSM_CERTIFICATION and SPCE: Specialist High Skills Majors, against 0028.

A student reports at most one SHSM program per BSID and period: among the enrolments in
a program flagged SHSM (with a sector type) at one of the BSID's schools (or no school),
begun by the count date, not exited by it, and whose requirements were not met before the
period start, the latest entry wins (then the latest exit, then the latest SIS record).
Only grades 10 to 12 report one (SHS001 for grade 9). Against PAE 0028:

  chosen, OnSIS holds no program of that type ......... ADD     SHSM-ADD
  chosen and held, a certification is added ........... UPDATE  SHSM-UPD-CERT
  chosen and held, requirements-met month differs ..... UPDATE  SHSM-UPD-MET
  held, not chosen .................................... DELETE  SHSM-DEL (not for programs
      completed before the period, D146; for October non-returning students only when
      the SIS program of that type was exited before the count date)

A certification is added (SHSM-CERT-ADD) under the chosen program when its type is mapped
to the program, it was completed between September 1 of the previous school year and the
count date's month, the program began before the count date and had not been exited when
it was completed, and OnSIS does not hold it. SPCE rows (SPCE-ADD) follow, one per
component, when the chosen program's requirements were met in the period.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from onsis_batch.findings import Finding, FromColumn
from onsis_batch.segments.context import SegmentContext, normalised_oen
from onsis_batch.segments.engine import ADD, DELETE, UPDATE, Decision, Outcome, decide, finish
from onsis_batch.segments.located import at_data_rows

SHSM_GRADES = ["10", "11", "12"]
SPCE_FLAGS = {"spce_innovation": "1", "spce_coding": "2", "spce_math_literacy": "3"}
KEY = ("student_id", "TYPE")
WITH_CERT = pl.col("with_cert").fill_null(False)
DECISION = Decision(
    key=KEY,
    new=Outcome(ADD, "SHSM-ADD"),
    held=Outcome(
        UPDATE,
        pl.when(WITH_CERT)
        .then(pl.lit("SHSM-UPD-CERT"))
        .when(
            pl.col("ALL_REQUIREMENTS_MET_DATE").dt.strftime("%Y/%m").ne_missing(pl.col("pae_met"))
        )
        .then(pl.lit("SHSM-UPD-MET")),
    ),
    gone=Outcome(DELETE, pl.when(pl.col("deletable")).then(pl.lit("SHSM-DEL"))),
)
NE_DECISION = Decision(key=KEY, new=Outcome(ADD, "NE-SHSM-ADD"))
# A certification is only ever added: one OnSIS holds is not sent again, nor deleted.
CERT_KEY = ("oen_key", "TYPE", "certification_type")
CERT_DECISION = Decision(key=CERT_KEY, new=Outcome(ADD, "SHSM-CERT-ADD"))
NE_CERT_DECISION = Decision(key=CERT_KEY, new=Outcome(ADD, "NE-SHSM-CERT-ADD"))
SPCE_KEY = ("student_id", "SPCE_TYPE")
SPCE_DECISION = Decision(key=SPCE_KEY, new=Outcome(ADD, "SPCE-ADD"))
NE_SPCE_DECISION = Decision(key=SPCE_KEY, new=Outcome(ADD, "NE-SPCE-ADD"))


def _month(column: str | pl.Expr) -> pl.Expr:
    """YYYY/MM of a date column (how OnSIS compares these dates)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.dt.strftime("%Y/%m")


def shsm_enrolments(ctx: SegmentContext) -> pl.DataFrame:
    """Enrolments in SHSM programs at the BSID's schools, with the program `TYPE`."""
    programs = ctx.table("programs").filter(
        pl.col("is_shsm") & pl.col("shsm_program_type").is_not_null()
    )
    enrolments = ctx.table("program_enrolments").filter(
        pl.col("school_id").is_null() | pl.col("school_id").is_in(list(ctx.period.school_ids))
    )
    return enrolments.join(
        programs.select("program_id", pl.col("shsm_program_type").alias("TYPE")), on="program_id"
    ).rename({"_row": "pe_row", "shsm_requirements_met_date": "met_date"})


def _first_per_student(frame: pl.DataFrame) -> pl.DataFrame:
    """The enrolment the rule book's sort order puts first for each student."""
    return (
        frame.sort(
            ["student_id", "entry_date", "exit_date", "pe_row"],
            descending=[False, True, True, True],
            nulls_last=True,
        )
        .group_by("student_id", maintain_order=True)
        .first()
    )


def chosen_programs(ctx: SegmentContext) -> pl.DataFrame:
    """The one SHSM program enrolment each student reports this period (any grade)."""

    def compute() -> pl.DataFrame:
        period = ctx.period
        active = shsm_enrolments(ctx).filter(
            (pl.col("entry_date") <= period.count_date)
            & (pl.col("exit_date").is_null() | (pl.col("exit_date") > period.count_date))
            & (pl.col("met_date").is_null() | (pl.col("met_date") >= period.start))
        )
        return _first_per_student(active)

    return ctx.cached("shsm_chosen_programs", compute)


def shsm_activity(ctx: SegmentContext, _enrolments: pl.DataFrame) -> pl.Series:
    """Activity source: students with an SHSM program to report."""
    return chosen_programs(ctx).get_column("student_id").unique().alias("student_id")


def _pending(ctx: SegmentContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """PAE 0028 as programs (oen_key, TYPE, pae_met YYYY/MM) and certifications held
    (oen_key, TYPE, CERT)."""
    pae = ctx.extract("0028").with_columns(
        normalised_oen().alias("oen_key"),
        pl.col("shsm_program_type").str.strip_chars().str.to_uppercase().alias("TYPE"),
    )
    pae = pae.filter(pl.col("oen_key").is_not_null() & pl.col("TYPE").is_not_null())
    met = pl.col("all_requirements_met_date").str.replace_all("-", "/").str.slice(0, 7)
    programs = pae.group_by("oen_key", "TYPE", maintain_order=True).agg(
        met.drop_nulls().first().alias("pae_met")
    )
    certs = pae.filter(pl.col("shsm_certification_type").str.strip_chars() != "").select(
        "oen_key", "TYPE", pl.col("shsm_certification_type").str.strip_chars().alias("CERT")
    )
    return programs, certs


def _oen_keys(ctx: SegmentContext) -> pl.DataFrame:
    return ctx.table("students").select("student_id", normalised_oen().alias("oen_key"))


def _mapped_certifications(ctx: SegmentContext, programs: pl.DataFrame) -> pl.DataFrame:
    """Certifications of the students of `programs` whose type the program counts."""
    mapping = ctx.table("shsm_certification_map").select("program_id", "certification_type")
    return (
        programs.select("student_id", "program_id", "TYPE", "entry_date", "exit_date")
        .join(mapping, on="program_id")
        .join(
            ctx.table("shsm_certifications").drop("_row"),
            on=["student_id", "certification_type"],
        )
        .filter(pl.col("exit_date").is_null() | (pl.col("exit_date") > pl.col("date_completed")))
    )


def _new_certifications(ctx: SegmentContext, programs: pl.DataFrame) -> pl.DataFrame:
    """Certifications to add under the students' chosen programs (those OnSIS does not hold),
    decided."""
    period = ctx.period
    window_start = date(int(period.school_year[:4]) - 1, 9, 1)
    certs = _mapped_certifications(ctx, programs).filter(
        (pl.col("date_completed") >= window_start)
        & (_month("date_completed") <= period.count_date.strftime("%Y/%m"))
        & (pl.col("entry_date") < period.count_date)
    )
    _, held = _pending(ctx)
    certs = certs.join(_oen_keys(ctx), on="student_id", how="left")
    return decide(certs, held.rename({"CERT": "certification_type"}), CERT_DECISION)


def certification_rows(segment: str, certs: pl.DataFrame) -> pl.DataFrame:
    """Plan rows of the decided certifications, under their program."""
    rows = certs.sort("student_id", "certification_type", "date_completed").with_columns(
        pl.format(
            "SHSMC|{}|{}|{}|{}", "student_id", "TYPE", "certification_type", "date_completed"
        ).alias("_id"),
        pl.format("SHSM|{}|{}", "student_id", "TYPE").alias("_parent"),
        pl.col("date_completed").alias("DATE_COMPLETED"),
        pl.col("hours").alias("CERTIFICATION_HOURS"),
    )
    rows = rows.unique("_id", keep="first", maintain_order=True).drop("TYPE")
    rows = rows.rename({"certification_type": "TYPE"})
    return finish(segment, rows, order_by=("_parent", "TYPE", "DATE_COMPLETED"))


def _program_rows(segment: str, frame: pl.DataFrame) -> pl.DataFrame:
    rows = frame.with_columns(
        pl.format("SHSM|{}|{}", "student_id", "TYPE").alias("_id"),
        pl.col("student_id").alias("_parent"),
    )
    return finish(segment, rows, order_by=KEY)


def spce_rows(
    segment: str, programs: pl.DataFrame, ctx: SegmentContext, decision: Decision
) -> pl.DataFrame:
    """One SPCE row per component of the programs whose requirements were met in the period
    (OnSIS reports no extract of them: every row is new)."""
    period = ctx.period
    done = programs.filter(pl.col("met_date").is_between(period.start, period.count_date))
    long = done.select("student_id", *SPCE_FLAGS).unpivot(
        index="student_id", variable_name="flag", value_name="chosen"
    )
    desired = long.filter(pl.col("chosen")).with_columns(
        pl.col("flag").replace_strict(SPCE_FLAGS).alias("SPCE_TYPE")
    )
    rows = decide(desired, None, decision).with_columns(
        pl.col("student_id").alias("_parent"),
        pl.format("SPCE|{}|{}", "student_id", "SPCE_TYPE").alias("_id"),
    )
    return finish(segment, rows, order_by=SPCE_KEY)


def requirements_met_date(ctx: SegmentContext) -> pl.Expr:
    """ALL_REQUIREMENTS_MET_DATE: the date the program's requirements were met, when it is
    by the count date (a program OnSIS holds and the period drops sends none)."""
    return (
        pl.when(pl.col("met_date") <= ctx.period.count_date)
        .then(pl.col("met_date"))
        .alias("ALL_REQUIREMENTS_MET_DATE")
    )


def _pending_programs(ctx: SegmentContext, enrolled: pl.DataFrame) -> pl.DataFrame:
    """Programs OnSIS holds for the reported students (student_id, TYPE, pae_met), with
    `deletable` when OnSIS may lose one this period does not choose: not completed before
    the period (D146); for October non-returning students only when the SIS program was
    exited before the count date; never under a school enrolment being added."""
    period = ctx.period
    programs, _ = _pending(ctx)
    held = enrolled.join(programs, on="oen_key")
    completed_before = pl.col("pae_met") < period.start.strftime("%Y/%m")
    exited = (
        shsm_enrolments(ctx)
        .filter(pl.col("exit_date") < period.count_date)
        .select("student_id", "TYPE", pl.lit(True).alias("_exited"))
        .unique()
    )
    held = held.join(exited, on=["student_id", "TYPE"], how="left")
    non_returning_oct = (period.kind == "oct") & (pl.col("_sse_reason") == "SSE-UPD-NONRETURNING")
    deletable = (
        ~completed_before.fill_null(False)
        & (~non_returning_oct | pl.col("_exited").fill_null(False))
        & (pl.col("_sse_action") != ADD)
    )
    return held.select(*KEY, "pae_met", deletable.alias("deletable"))


def build_shsm(
    ctx: SegmentContext, enrolled: pl.DataFrame
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """SHSM_PROGRAM, SHSM_CERTIFICATION and SPCE rows under the school enrolments
    `enrolled` (student_id, _action, _reason, GRADE_TYPE)."""
    enrolled = enrolled.select(
        "student_id",
        pl.col("_action").alias("_sse_action"),
        pl.col("_reason").alias("_sse_reason"),
        "GRADE_TYPE",
    ).join(_oen_keys(ctx), on="student_id", how="left")
    chosen = chosen_programs(ctx).join(enrolled, on="student_id")
    grade_nine = chosen.filter(~pl.col("GRADE_TYPE").is_in(SHSM_GRADES))
    desired = chosen.filter(pl.col("GRADE_TYPE").is_in(SHSM_GRADES))
    certs = _new_certifications(ctx, desired)
    with_cert = certs.select("student_id", pl.lit(True).alias("with_cert")).unique()
    desired = desired.join(with_cert, on="student_id", how="left").with_columns(
        requirements_met_date(ctx)
    )
    pending = _pending_programs(ctx, enrolled.drop("GRADE_TYPE"))
    programs = decide(desired.drop("oen_key", "_sse_action", "_sse_reason"), pending, DECISION)
    frames = {
        "SHSM_PROGRAM": _program_rows("SHSM_PROGRAM", programs),
        "SHSM_CERTIFICATION": certification_rows("SHSM_CERTIFICATION", certs),
        "SPCE": spce_rows("SPCE", desired, ctx, SPCE_DECISION),
    }
    findings = at_data_rows(
        "SHS001",
        grade_nine,
        "program_enrolments",
        "program_id",
        row="pe_row",
        student_id=FromColumn("student_id"),
        grade=FromColumn("GRADE_TYPE"),
    )
    return frames, findings


# --- students who are not enrolled -------------------------------------------------------


def non_enrolled_shsm(ctx: SegmentContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """For every student: the SHSM program (chosen as above) and the certifications a
    student who is not enrolled reports this period. A certification completed in the
    period, not expired by the count date, under a program begun by the count date whose
    requirements were met in the period, or that is still active with requirements not
    met before the period."""

    def compute() -> tuple[pl.DataFrame, pl.DataFrame]:
        period = ctx.period
        met = pl.col("met_date")
        in_force = met.is_between(period.start, period.count_date) | (
            (met.is_null() | (met >= period.start))
            & (pl.col("exit_date").is_null() | (pl.col("exit_date") > period.count_date))
        )
        programs = shsm_enrolments(ctx).filter(
            (pl.col("entry_date") <= period.count_date) & in_force
        )
        certs = _mapped_certifications(ctx, programs).filter(
            pl.col("date_completed").is_between(period.start, period.count_date)
            & (pl.col("expiry_date").is_null() | (pl.col("expiry_date") > period.count_date))
        )
        programs = _first_per_student(
            programs.join(
                certs.select("student_id", "program_id").unique(), on=["student_id", "program_id"]
            )
        )
        certs = certs.join(
            programs.select("student_id", "program_id"), on=["student_id", "program_id"]
        )
        return programs, certs

    return ctx.cached("shsm_non_enrolled", compute)


def non_enrolled_shsm_rows(ctx: SegmentContext, ids: pl.Series) -> dict[str, pl.DataFrame]:
    """NE_SHSM_PROGRAM, NE_SHSM_CERTIFICATION and NE_SPCE rows of the students `ids`."""
    programs, certs = non_enrolled_shsm(ctx)
    mine = pl.col("student_id").is_in(ids.implode())
    programs, certs = programs.filter(mine), certs.filter(mine)
    rows = decide(programs.with_columns(requirements_met_date(ctx)), None, NE_DECISION)
    return {
        "NE_SHSM_PROGRAM": _program_rows("NE_SHSM_PROGRAM", rows),
        "NE_SHSM_CERTIFICATION": certification_rows(
            "NE_SHSM_CERTIFICATION", decide(certs, None, NE_CERT_DECISION)
        ),
        "NE_SPCE": spce_rows("NE_SPCE", programs, ctx, NE_SPCE_DECISION),
    }
