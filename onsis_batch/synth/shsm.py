"""Synthetic Specialist High Skills Major programs and what extract 0028 holds of them.

Some students of grades 10-12 take an SHSM program (begun last year or this one, a few
switching sector in January or April) with certifications over two years, some meeting all
requirements (with SPCE components) in March or June; a few of last year's leavers keep a
program OnSIS holds (deleted in October) or finish it after leaving (reported as not
enrolled). The extract of a period holds the programs the previous submission sent for
students active on its count date, with the certifications completed by then.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar, active_on, school_day
from onsis_batch.synth.rand import take_share

SHSM_PROGRAMS = {  # program id -> (sector, certification types it counts)
    "SHSM-HLW": ("HLW", ("020", "005", "031", "044")),
    "SHSM-ICT": ("ICT", ("020", "112", "118", "126")),
    "SHSM-CTR": ("CTR", ("020", "001", "061", "073")),
    "SHSM-BSN": ("BSN", ("020", "090", "094", "101")),
}
HOURS = (4.0, 7.5, 8.0, 16.0, 40.0)
P_SHSM = 0.12  # of enrolled students in grades 10-12
_IDS = list(SHSM_PROGRAMS)

Rows = list[dict[str, Any]]


def shsm_program_rows() -> Rows:
    """The SHSM programs of the `programs` table."""
    return [
        {"program_id": pid, "name": f"SHSM {sector}", "is_shsm": True, "shsm_program_type": sector}
        for pid, (sector, _) in SHSM_PROGRAMS.items()
    ]


def certification_map_rows() -> Rows:
    """The `shsm_certification_map` table: the certification types each program counts."""
    return [
        {"program_id": pid, "certification_type": kind}
        for pid, (_, kinds) in SHSM_PROGRAMS.items()
        for kind in kinds
    ]


def make_shsm(rng: random.Random, cal: Calendar, pools: dict[str, Rows]) -> tuple[Rows, Rows]:
    """(program enrolments, certifications) of the SHSM students, taken from `pools`."""
    enrolments, certs = _current(rng, cal, pools["senior"])
    left, left_certs = _leavers(rng, cal, pools["left"])
    return enrolments + left, certs + left_certs


def _current(rng: random.Random, cal: Calendar, seniors: Rows) -> tuple[Rows, Rows]:
    """Programs of this year's students: begun last year or in one of this year's periods,
    the first three switching sector."""
    y = cal.year
    earlier = date(y - 1, 9, 8)
    enrolments: Rows = []
    certs: Rows = []
    met_windows = [
        (date(y + 1, 2, 2), date(y + 1, 3, 20)),  # requirements met for March
        (date(y + 1, 6, 1), date(y + 1, 6, 19)),  # for June
        None,  # not yet
    ]
    met_count = 0
    for index, s in enumerate(take_share(rng, seniors, P_SHSM, least=10)):
        sid, school, program = s["student_id"], s["school_id"], _IDS[index % len(_IDS)]
        grade = int(s["grade_level"])
        if index < 3:  # changes sector (January, or April): the old program is deleted
            then = date(y + 1, 1, 16) if index < 2 else date(y + 1, 4, 16)
            enrolments.append(_program(sid, program, earlier, exit_date=then, school_id=school))
            program = _IDS[(index + 1) % len(_IDS)]
            enrolments.append(_program(sid, program, then, school_id=school))
            certs += _certs(rng, cal, sid, program, then, 1)
            continue
        if (grade == 12 and index % 4 != 2) or (grade == 11 and index % 4 in (0, 1)):
            entry = earlier
        elif index % 4 == 2:
            entry = school_day(rng, date(y, 9, 3), date(y, 9, 30))  # added in October
        elif index % 8 == 7:
            entry = school_day(rng, date(y + 1, 4, 6), date(y + 1, 5, 29))  # in June
        else:
            entry = school_day(rng, date(y, 11, 3), date(y + 1, 2, 27))  # in March
        values: dict[str, Any] = {"school_id": school}
        if grade == 12 and entry == earlier:
            window = met_windows[met_count % len(met_windows)]
            met_count += 1
            if window:
                values["shsm_requirements_met_date"] = school_day(rng, *window)
                values.update(_spce(rng))
        enrolments.append(_program(sid, program, entry, **values))
        certs += _certs(rng, cal, sid, program, entry, 1 + index % 3)
    return enrolments, certs


def _leavers(rng: random.Random, cal: Calendar, left: Rows) -> tuple[Rows, Rows]:
    """Programs of last year's leavers: two OnSIS holds that are deleted in October, the
    others finished after leaving (reported as not enrolled in March)."""
    y = cal.year
    earlier = date(y - 1, 9, 8)
    enrolments: Rows = []
    certs: Rows = []
    for index, s in enumerate(take_share(rng, left, 0.0, least=4)):
        sid, program = s["student_id"], _IDS[index % len(_IDS)]
        if index < 2:
            exit_date = cal.previous_year_exit
            enrolments.append(_program(sid, program, earlier, exit_date=exit_date))
            continue
        met = date(y + 1, 2, 12)
        enrolments.append(
            _program(sid, program, earlier, shsm_requirements_met_date=met, spce_coding=True)
        )
        certs.append(
            {
                "student_id": sid,
                "certification_type": SHSM_PROGRAMS[program][1][0],
                "date_completed": date(y + 1, 1, 20),
                "hours": "8.00",
            }
        )
    return enrolments, certs


def _program(sid: str, program: str, entry: date, **values: Any) -> dict[str, Any]:
    return {"student_id": sid, "program_id": program, "entry_date": entry, **values}


def _certs(
    rng: random.Random, cal: Calendar, sid: str, program: str, entry: date, count: int
) -> Rows:
    """`count` certifications of the program's list, completed after `entry`."""
    y = cal.year
    windows = [
        (date(y - 1, 10, 1), date(y, 5, 29)),
        (date(y, 9, 8), date(y, 10, 24)),
        (date(y, 11, 3), date(y + 1, 3, 20)),
        (date(y + 1, 4, 6), date(y + 1, 6, 19)),
    ]
    open_windows = [w for w in windows if w[0] > entry] or windows[-1:]
    types = rng.sample(SHSM_PROGRAMS[program][1], count)
    return [
        {
            "student_id": sid,
            "certification_type": kind,
            "date_completed": school_day(rng, *rng.choice(open_windows)),
            "hours": f"{rng.choice(HOURS):.2f}",
        }
        for kind in types
    ]


def _spce(rng: random.Random) -> dict[str, bool]:
    """SPCE components of a program whose requirements are met (at least one)."""
    flags = {"spce_innovation": rng.random() < 0.5, "spce_coding": rng.random() < 0.4}
    flags["spce_math_literacy"] = not any(flags.values()) or rng.random() < 0.3
    return flags


def held_shsm(
    cal: Calendar, kinds: tuple[str, ...], programs: Rows, certs: Rows, enrolments: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """0028 of each period of `kinds` (with student_id and _bsid), from the program and
    certification rows and the school enrolments."""
    program_frame = pl.DataFrame(
        [{"shsm_requirements_met_date": None, "exit_date": None, **p} for p in programs],
        schema_overrides={"exit_date": pl.Date, "shsm_requirements_met_date": pl.Date},
        infer_schema_length=None,
    )
    cert_frame = pl.DataFrame(certs, schema_overrides={"date_completed": pl.Date})
    return {kind: _held(cal, kind, program_frame, cert_frame, enrolments) for kind in kinds}


def _held(
    cal: Calendar,
    kind: str,
    programs: pl.DataFrame,
    certs: pl.DataFrame,
    enrolments: pl.DataFrame,
) -> pl.DataFrame:
    """0028 of period `kind`: the programs the previous submission sent for students active
    on its count date, with the certifications completed by then."""
    day = cal.pae_reference(kind)
    previous_start, _ = cal.submission_before(kind)
    active = (
        enrolments.filter(~pl.col("is_cross_enrolment") & pl.col("_pae") & active_on(day))
        .select("student_id", "_bsid")
        .unique("student_id", keep="first", maintain_order=True)
    )
    met = pl.col("shsm_requirements_met_date")
    held = programs.filter(active_on(day) & (met.is_null() | (met >= previous_start))).join(
        active, on="student_id"
    )
    sector = pl.col("program_id").replace_strict({k: v[0] for k, v in SHSM_PROGRAMS.items()})
    base = held.select(
        "student_id",
        "_bsid",
        "program_id",
        sector.alias("shsm_program_type"),
        pl.when(met <= day).then(met.dt.strftime("%Y/%m")).alias("all_requirements_met_date"),
    )
    done = (
        base.join(pl.DataFrame(certification_map_rows()), on="program_id")
        .join(
            certs.filter(pl.col("date_completed") <= day), on=["student_id", "certification_type"]
        )
        .select(
            "student_id",
            "_bsid",
            "shsm_program_type",
            "all_requirements_met_date",
            pl.col("certification_type").alias("shsm_certification_type"),
            pl.col("date_completed").dt.strftime("%Y/%m").alias("date_completed"),
            pl.col("hours").cast(pl.Float64).alias("certification_hours"),
        )
    )
    programs_only = base.drop("program_id").with_columns(
        pl.lit(None, dtype=pl.String).alias("shsm_certification_type"),
        pl.lit(None, dtype=pl.String).alias("date_completed"),
        pl.lit(None, dtype=pl.Float64).alias("certification_hours"),
    )
    return pl.concat([programs_only, done]).sort(
        "student_id", "shsm_certification_type", nulls_last=False
    )
