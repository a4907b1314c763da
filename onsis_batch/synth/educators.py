"""Synthetic educators, their assignments and the extracts 0009 / 0010 OnSIS would hold.

Each timetabled SIS school gets one teacher per four classes (at least ten) plus a guidance
counsellor, a vice-principal, a long-term occasional teacher, a special-education resource
teacher and a former teacher whose staff record is inactive. A class's lead teacher is the
class's rank in the school modulo the teachers; every tenth class also has a co-teacher.
Teachers are continuing staff (held since last year) with these exceptions, by number:

  1  hired this September ............................ October ADD
  2  hired in February ............................... March ADD
  3  on parental leave from mid-November, their classes handed to the long-term
     occasional teacher (assignment ended, leave record added, lead role ended)
  4  resigns at the end of May (withdrawal RES)
  5  also teaches at the first BSID's second campus since September (combined FTE)
  6  teacher-librarian: teaching type B, library time, one class named on the assignment

The extracts replay the previous submission in a simplified form (like reported_classes):
0009 holds the assignments active in the previous period (October's: last year's staff),
0010 the lead teachers' classes running in it. After each submission the SIS changed a
little, so every period has work beyond new records: one instructional time type was
added and one removed for the counsellor and the vice-principal, and a class of teacher
8 was held under teacher 7 (a teacher change), which makes a DELETE and an ADD.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.educator_extracts import held_assignments, held_classes
from onsis_batch.synth.extract_files import write_board_extract
from onsis_batch.synth.schools import Board, bsid_of
from onsis_batch.synth.tables import table_frame

CLASSES_PER_TEACHER = 4  # about 150 educators per 1,500-student school (the board workload)
MIN_TEACHERS = 10
STAFF = ("counsellor", "vice_principal", "occasional", "resource", "former")
# instructional time types in the SIS, by role
TIMES = {
    "counsellor": ["GUI", "SSS"],
    "vice_principal": ["ADM", "TEC"],
    "resource": ["SED"],
    "librarian": ["LIB"],
}


def _roster(sections: pl.DataFrame, board: Board, seed: int) -> pl.DataFrame:
    """One row per educator: id, school, number (teachers) or role (other staff)."""
    per_school = sections.group_by("school_id").agg(pl.col("class_code").n_unique().alias("n"))
    per_school = per_school.with_columns(
        ((pl.col("n") + CLASSES_PER_TEACHER - 1) // CLASSES_PER_TEACHER)
        .clip(MIN_TEACHERS)
        .alias("teachers")
    ).sort("school_id")
    teachers = per_school.select(
        "school_id", pl.int_ranges(0, pl.col("teachers")).alias("number")
    ).explode("number")
    teachers = teachers.with_columns(
        pl.when(pl.col("number") == 6)
        .then(pl.lit("librarian"))
        .otherwise(pl.lit("teacher"))
        .alias("role")
    )
    staff = per_school.select("school_id").join(
        pl.DataFrame({"role": list(STAFF), "number": [-1 - i for i in range(len(STAFF))]}),
        how="cross",
    )
    roster = pl.concat([teachers, staff.select(teachers.columns)]).sort("school_id", "number")
    roster = roster.with_columns(
        pl.when(pl.col("number") >= 0)
        .then(pl.format("{}-T{}", "school_id", pl.col("number").cast(pl.String).str.zfill(3)))
        .otherwise(pl.format("{}-{}", "school_id", "role"))
        .alias("educator_id"),
        pl.int_range(pl.len()).alias("_seq"),
    )
    # MENs: nine digits starting 88 (plainly fake), distinct, stable for a seed
    spread = (pl.col("_seq") * 7919 + seed * 104729) % 10_000_000
    gender = pl.col("_seq") % 4
    return roster.with_columns(
        pl.format("88{}", spread.cast(pl.String).str.zfill(7)).alias("men"),
        pl.format("E{}", (pl.col("_seq") + 10_000).cast(pl.String)).alias("board_employee_number"),
        gender.replace_strict({0: "F", 1: "M", 2: "N", 3: "S"}, return_dtype=pl.String).alias(
            "gender"
        ),
        pl.when(gender == 3).then(pl.lit("Non-binary")).alias("gender_description"),
    )


def _leads(sections: pl.DataFrame, roster: pl.DataFrame, cal: Calendar) -> pl.DataFrame:
    """section_teachers: the lead of each class, co-teachers, and teacher 3's hand-over."""
    teachers = (
        roster.filter(pl.col("number") >= 0).group_by("school_id").agg(pl.len().alias("_teachers"))
    )
    rank = pl.col("class_code").rank("dense").over("school_id") - 1
    classes = sections.join(teachers, on="school_id").with_columns(rank.alias("_rank"))
    lead_number = (classes["_rank"] % classes["_teachers"]).alias("number")
    leads = classes.with_columns(lead_number).select("section_id", "school_id", "number", "_rank")
    occasional = roster.filter(pl.col("role") == "occasional").select("school_id", "educator_id")
    by_number = roster.select("school_id", "number", "educator_id")
    leave_start, leave_end = date(cal.year, 11, 17), date(cal.year, 11, 14)
    lead = leads.join(by_number, on=["school_id", "number"]).with_columns(
        pl.lit("Lead Teacher").alias("role"),
        pl.lit(True).alias("is_lead"),
        pl.lit(None, dtype=pl.Date).alias("start_date"),
        pl.when(pl.col("number") == 3).then(pl.lit(leave_end)).alias("end_date"),
    )
    handed = (
        lead.filter(pl.col("number") == 3)
        .drop("educator_id")
        .join(occasional, on="school_id")
        .with_columns(pl.lit(leave_start).alias("start_date"), pl.lit(None).alias("end_date"))
    )
    co = (
        leads.filter(pl.col("_rank") % 10 == 0)
        .with_columns(((pl.col("number") + 1) % MIN_TEACHERS).alias("number"))
        .join(by_number, on=["school_id", "number"])
        .with_columns(
            pl.lit("Co-teacher").alias("role"),
            pl.lit(False).alias("is_lead"),
            pl.lit(None, dtype=pl.Date).alias("start_date"),
            pl.lit(None, dtype=pl.Date).alias("end_date"),
        )
    )
    columns = ["section_id", "educator_id", "role", "is_lead", "start_date", "end_date"]
    frame = pl.concat(
        [lead.select(columns), handed.select(columns), co.select(columns)], how="vertical_relaxed"
    )
    return frame.unique(["section_id", "educator_id", "role"], keep="first").sort(
        "section_id", "educator_id", "role"
    )


def _assignments(roster: pl.DataFrame, board: Board, cal: Calendar) -> pl.DataFrame:
    """educator_assignments rows, with `_key` naming the SIS record for the extracts."""
    y = cal.year
    n, role = pl.col("number"), pl.col("role")
    start = (
        pl.when(n == 1)
        .then(pl.lit(cal.first_day))
        .when(n == 2)
        .then(pl.lit(cal.semester_two))
        .when(role == "occasional")
        .then(pl.lit(date(y, 11, 17)))
        .when(role == "resource")
        .then(pl.lit(date(y + 1, 4, 13)))
        .otherwise(pl.date(y - 6 + n.abs() % 5, 9, 3))
    )
    end = (
        pl.when(n == 3)
        .then(pl.lit(date(y, 11, 14)))
        .when(n == 4)
        .then(pl.lit(date(y + 1, 5, 29)))
        .when(role == "occasional")
        .then(pl.lit(cal.last_day))
    )
    teaching = (
        pl.when(role.is_in(["teacher", "occasional"]))
        .then(pl.lit("T"))
        .when(role.is_in(["librarian", "resource"]))
        .then(pl.lit("B"))
        .otherwise(pl.lit("N"))
    )
    base = roster.with_columns(
        pl.when(role == "vice_principal")
        .then(pl.lit("V"))
        .when(role == "occasional")
        .then(pl.lit("LTO"))
        .when(role == "resource")
        .then(pl.lit("SPE"))
        .otherwise(pl.lit("TEA"))
        .alias("position_type"),
        start.alias("start_date"),
        end.alias("end_date"),
        pl.when(n == 5).then(0.5).otherwise(1.0).alias("fte"),
        pl.lit(None, dtype=pl.String).alias("leave_type"),
        pl.when(n == 4).then(pl.lit("RES")).alias("withdrawal_type"),
        teaching.alias("teaching_type"),
        ((n >= 0) | (role == "occasional")).alias("class_assignment"),
        pl.lit(None, dtype=pl.String).alias("department_type"),  # discontinued from 2023-2024
        pl.lit(None, dtype=pl.String).alias("ntip_status"),
    )
    leave = base.filter(n == 3).with_columns(
        pl.lit(date(y, 11, 17)).alias("start_date"),
        pl.lit(None, dtype=pl.Date).alias("end_date"),
        pl.lit("PAR").alias("leave_type"),
        pl.lit("N/A").alias("teaching_type"),
    )
    campus = base.filter((n == 5) & (pl.col("school_id") == board.main[0].school_id))
    campus = campus.with_columns(
        pl.lit(board.campus.school_id).alias("school_id"), pl.lit(cal.first_day).alias("start_date")
    )
    rows = pl.concat([base, leave, campus]).sort("educator_id", "school_id", "start_date")
    return rows.with_columns((pl.int_range(pl.len()) + 1).cast(pl.String).alias("assignment_id"))


def _named_classes(assignments: pl.DataFrame, leads: pl.DataFrame) -> pl.DataFrame:
    """assignment_classes: the librarian's first class only."""
    librarian = assignments.filter(pl.col("role") == "librarian").select(
        "assignment_id", "educator_id"
    )
    first = leads.filter(pl.col("is_lead")).sort("section_id").unique("educator_id", keep="first")
    return (
        librarian.join(first, on="educator_id")
        .select("assignment_id", "section_id")
        .sort("assignment_id")
    )


def _instructional_times(assignments: pl.DataFrame) -> pl.DataFrame:
    times = pl.DataFrame(
        {
            "role": [r for r, ts in TIMES.items() for _ in ts],
            "time_type": [t for ts in TIMES.values() for t in ts],
        }
    )
    current = assignments.filter(pl.col("end_date").is_null() & pl.col("leave_type").is_null())
    return (
        current.join(times, on="role")
        .select("assignment_id", "time_type")
        .sort("assignment_id", "time_type")
    )


def educator_tables(
    sections: pl.DataFrame,
    terms: pl.DataFrame,
    courses: pl.DataFrame,
    board: Board,
    cal: Calendar,
    pae_dirs: dict[str, Path],
    seed: int,
    created: datetime | None,
) -> dict[str, pl.DataFrame]:
    """The educator tables of the contract; writes 0009 and 0010 into each period folder."""
    roster = _roster(sections, board, seed)
    leads = _leads(sections, roster, cal)
    rows = _assignments(roster, board, cal)
    times = _instructional_times(rows)
    reported = courses.filter(pl.col("course_type").is_in(["M", "L"])).select("course_number")
    classes = sections.join(reported, on="course_number").join(
        terms.select("term_id", "first_day", "last_day"), on="term_id"
    )
    classes = (
        classes.with_columns(
            pl.col("first_day").min().over("school_id", "class_code").alias("first"),
            pl.col("last_day").max().over("school_id", "class_code").alias("last"),
        )
        .with_columns(bsid_of(board).alias("_bsid"))
        .select("section_id", "class_code", "_bsid", "first", "last")
    )
    with_bsid = rows.with_columns(bsid_of(board).alias("_bsid"))
    named = _named_classes(rows, leads)
    for kind, folder in pae_dirs.items():
        write_board_extract(
            folder,
            "0009",
            kind,
            cal,
            board,
            held_assignments(kind, with_bsid, times, cal),
            created,
        )
        held = held_classes(kind, with_bsid, leads, classes, named, cal)
        write_board_extract(folder, "0010", kind, cal, board, held, created)
    staff = rows.select("educator_id", "school_id").unique()
    active = staff.with_columns((~pl.col("educator_id").str.ends_with("-former")).alias("active"))
    return {
        "educators": roster.select(table_frame("educators", []).columns),
        "educator_schools": active.sort("educator_id", "school_id"),
        "educator_assignments": rows.select(table_frame("educator_assignments", []).columns),
        "instructional_times": times,
        "assignment_classes": named,
        "section_teachers": leads,
    }
