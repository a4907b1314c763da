"""The one French second-language program of a student, by the rule book's cascade.

A French class is one whose course code starts FSF (001), FEF (002) or FIF (003). A class
counts unless it was dropped: left by the student's last day (`as_of`) with neither a mark
nor a withdrawal on the transcript. The first step that gives a type wins:

  1 FR-CURRENT   a French class of this school year taken on the last day (highest type)
  2 FR-RECENT    the most recent earlier French class of this school year
  3 FR-UPCOMING  the earliest French class of this school year starting after the last day
  then only for a student taking, this school year, a class taught in French:
  4 FR-PREVIOUS  the most recent French class of last school year, with a mark
  5 FR-TAUGHT    the program type of the latest class taught in French (the section's, else
                 the course's: C 001, E 002, I 003, N 006)
  6 FR-DEFAULT   the board's default French program (board_settings.french_program_type)

Ties on the same date go to the highest type. Private schools send 030 instead.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from onsis_batch.segments.context import SegmentContext

FRENCH_BY_PREFIX = {"FSF": "001", "FEF": "002", "FIF": "003"}
FRENCH_BY_PROGRAM = {"C": "001", "E": "002", "I": "003", "N": "006"}
FRENCH_TYPES = ["001", "002", "003", "006"]
PRIVATE_FRENCH = "030"


def _marked(ctx: SegmentContext, rows: pl.DataFrame) -> pl.DataFrame:
    """student_id, section_id with a mark or a transcript withdrawal."""
    grade = pl.col("grade").str.strip_chars().fill_null("")
    return (
        ctx.table("stored_grades")
        .filter(pl.col("student_id").is_in(rows.get_column("student_id").unique().implode()))
        .filter((grade != "") | pl.col("transcript_w").fill_null(False))
        .select("student_id", "section_id", pl.lit(True).alias("marked"))
        .unique()
    )


def _french_type() -> pl.Expr:
    prefix = pl.col("course_code").str.slice(0, 3)
    return prefix.replace_strict(FRENCH_BY_PREFIX, default=None, return_dtype=pl.String)


def _pick(rows: pl.DataFrame, step: str, latest: bool) -> pl.DataFrame:
    """Per student the latest (or earliest) class by date enrolled, highest type on ties."""
    order = pl.col("date_enrolled").dt.epoch("d")
    return (
        rows.sort(
            ["student_id", order if not latest else -order, "TYPE"],
            descending=[False, False, True],
        )
        .group_by("student_id", maintain_order=True)
        .first()
        .select("student_id", "TYPE", pl.lit(step).alias("step"))
    )


def _this_year_steps(french: pl.DataFrame) -> pl.DataFrame:
    current = french.filter(
        (pl.col("date_enrolled") <= pl.col("as_of")) & (pl.col("date_left") > pl.col("as_of"))
    )
    recent = french.filter(pl.col("date_left") <= pl.col("as_of"))
    upcoming = french.filter(pl.col("date_enrolled") > pl.col("as_of"))
    found = [
        current.group_by("student_id").agg(
            pl.col("TYPE").max(), pl.lit("FR-CURRENT").alias("step")
        ),
        _pick(recent, "FR-RECENT", latest=True),
        _pick(upcoming, "FR-UPCOMING", latest=False),
    ]
    return pl.concat([f.select("student_id", "TYPE", "step") for f in found])


def _taught_in_french_steps(
    ctx: SegmentContext, rows: pl.DataFrame, previous: pl.DataFrame, students: pl.Series
) -> pl.DataFrame:
    """Steps 4-6 for `students` (no French class this year, a class taught in French)."""
    mine = pl.col("student_id").is_in(students.implode())
    last_year = _pick(previous.filter(mine & pl.col("marked")), "FR-PREVIOUS", latest=True)
    program = pl.coalesce("language_program_type", "course_program_type")
    taught = rows.filter(mine).with_columns(
        program.replace_strict(FRENCH_BY_PROGRAM, default=None, return_dtype=pl.String).alias(
            "TYPE"
        )
    )
    by_class = _pick(taught.drop_nulls("TYPE"), "FR-TAUGHT", latest=True)
    default = _board_default(ctx)
    fallback = pl.DataFrame({"student_id": students}).with_columns(
        pl.lit(default, dtype=pl.String).alias("TYPE"), pl.lit("FR-DEFAULT").alias("step")
    )
    return pl.concat([last_year, by_class, fallback.drop_nulls("TYPE")])


def _board_default(ctx: SegmentContext) -> str | None:
    settings = ctx.table("board_settings").filter(pl.col("school_year") == ctx.period.school_year)
    values = settings.get_column("french_program_type").drop_nulls()
    return values.item(0) if values.len() else None


STEP_ORDER = ["FR-CURRENT", "FR-RECENT", "FR-UPCOMING", "FR-PREVIOUS", "FR-TAUGHT", "FR-DEFAULT"]


def french_programs(ctx: SegmentContext, rows: pl.DataFrame, private: bool) -> pl.DataFrame:
    """student_id, TYPE, step: each student's French program, if any (from `class_rows`)."""
    year_start = ctx.period.year_start
    previous_start = date(year_start.year - 1, 7, 1)
    rows = (
        rows.join(_marked(ctx, rows), on=["student_id", "section_id"], how="left")
        .with_columns(pl.col("marked").fill_null(False), _french_type().alias("TYPE"))
        .filter(pl.col("marked") | (pl.col("date_left") > pl.col("as_of")))  # not dropped
    )
    this_year = rows.filter(pl.col("date_left") > year_start)
    previous = rows.filter(
        (pl.col("date_left") <= year_start) & (pl.col("date_left") > previous_start)
    ).drop_nulls("TYPE")
    french = this_year.drop_nulls("TYPE")
    steps = _this_year_steps(french)
    in_french = pl.coalesce("language", "course_language") == "F"
    taught = this_year.filter(in_french & pl.col("TYPE").is_null()).filter(
        ~pl.col("student_id").is_in(french.get_column("student_id").implode())
    )
    students = taught.get_column("student_id").unique().sort()
    steps = pl.concat([steps, _taught_in_french_steps(ctx, taught, previous, students)])
    rank = pl.col("step").replace_strict(STEP_ORDER, list(range(len(STEP_ORDER))))
    chosen = steps.sort("student_id", rank).group_by("student_id", maintain_order=True).first()
    if private:
        chosen = chosen.with_columns(pl.lit(PRIVATE_FRENCH).alias("TYPE"))
    return chosen.select("student_id", "TYPE", "step")
