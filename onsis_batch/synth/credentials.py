"""Synthetic diplomas and SHSM programs, and the extracts 0026 and 0028 OnSIS would hold.

Grade-12 students graduate at times spread over the year (a few by October, a few by March,
most in June); last year's graduates keep their June diploma, which every extract holds; a
few non-returning students finish later and are reported as not enrolled. Some students of
grades 10-12 take an SHSM program (begun last year or this one, a few switching sector in
January) with certifications over two years, some meeting all requirements (with SPCE
components) in March or June. The extracts of a period hold what the previous submission
left in OnSIS, with a few planted differences so every action occurs: a date OnSIS holds a
week off (UPDATE), a type the school has since changed (DELETE then ADD), a diploma the
school has cleared (DELETE).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar, school_day
from onsis_batch.synth.extract import write_board_extract
from onsis_batch.synth.schools import Board

SHSM_PROGRAMS = {  # program id -> (sector, certification types it counts)
    "SHSM-HLW": ("HLW", ("020", "005", "031", "044")),
    "SHSM-ICT": ("ICT", ("020", "112", "118", "126")),
    "SHSM-CTR": ("CTR", ("020", "001", "061", "073")),
    "SHSM-BSN": ("BSN", ("020", "090", "094", "101")),
}
HOURS = (4.0, 7.5, 8.0, 16.0, 40.0)
P_SHSM = 0.12  # of enrolled students in grades 10-12


@dataclass(frozen=True)
class Credentials:
    students: pl.DataFrame  # the students frame with diploma columns filled
    programs: list[dict[str, Any]]
    program_enrolments: list[dict[str, Any]]
    certifications: list[dict[str, Any]]
    certification_map: list[dict[str, Any]]
    held_diplomas: dict[str, pl.DataFrame]  # period kind -> 0026 rows with _bsid
    held_shsm: dict[str, pl.DataFrame]  # period kind -> 0028 rows with _bsid


def _latest(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Each student's latest primary enrolment (school, BSID, grade, dates)."""
    return (
        enrolments.filter(~pl.col("is_cross_enrolment") & pl.col("_pae"))
        .sort("student_id", "entry_date")
        .group_by("student_id", maintain_order=True)
        .agg(pl.col("school_id", "_bsid", "grade_level", "entry_date", "exit_date").last())
    )


def _candidates(
    students: pl.DataFrame, enrolments: pl.DataFrame, cal: Calendar
) -> dict[str, list[dict[str, Any]]]:
    """Students by situation: enrolled now (by grade) and last year's leavers."""
    latest = _latest(enrolments).join(
        students.filter(pl.col("_oen").is_not_null() & ~pl.col("_excluded")).select("student_id"),
        on="student_id",
    )
    now = latest.filter(pl.col("exit_date").is_null() & (pl.col("entry_date") <= cal.oct_count))
    left = latest.filter(
        (pl.col("exit_date") == cal.previous_year_exit) & (pl.col("grade_level") == "12")
    )
    return {
        "grade12": now.filter(pl.col("grade_level") == "12").to_dicts(),
        "senior": now.filter(pl.col("grade_level").is_in(["10", "11", "12"])).to_dicts(),
        "left": left.to_dicts(),
    }


def _take(rng: random.Random, pool: list[dict[str, Any]], share: float, least: int = 1) -> list:
    """Remove and return a share of `pool` (at least `least` while it lasts)."""
    count = min(len(pool), max(least, round(share * len(pool))))
    chosen = rng.sample(range(len(pool)), count)
    picked = [pool[i] for i in sorted(chosen)]
    for i in sorted(chosen, reverse=True):
        pool.pop(i)
    return picked


def _diplomas(
    rng: random.Random, cal: Calendar, pools: dict[str, list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(diploma rows: student_id, diploma_type, diploma_date, graduation_school_id, _bsid,
    _plant), (cleared rows held by OnSIS only: student_id, type, date, _bsid, _kind)."""
    y = cal.year
    windows = {
        "oct": (date(y, 9, 20), date(y, 10, 24)),
        "mar": (date(y, 11, 10), date(y + 1, 3, 20)),
        "jun": (date(y + 1, 6, 1), date(y + 1, 6, 20)),
    }
    rows, cleared = [], []
    grade12 = pools["grade12"]
    for window, share in (("oct", 0.06), ("mar", 0.06), ("jun", 0.5)):
        for index, s in enumerate(_take(rng, grade12, share, least=3)):
            plant = {0: "update", 1: "retype"}.get(index) if window != "jun" else None
            kind = "4" if plant == "retype" else rng.choice(["1"] * 8 + ["4", "7"])
            rows.append(
                {
                    "student_id": s["student_id"],
                    "diploma_type": "99" if index == 5 else kind,
                    "diploma_date": school_day(rng, *windows[window]),
                    "graduation_school_id": s["school_id"] if index % 5 == 2 else None,
                    "_bsid": s["_bsid"],
                    "_plant": plant,
                }
            )
    for kind, s in zip(("mar", "jun"), _take(rng, grade12, 0.0, least=2), strict=False):
        day = date(y, 10, 10) if kind == "mar" else date(y + 1, 2, 10)
        cleared.append(_cleared(s, day, kind))
    left = pools["left"]
    for index, s in enumerate(_take(rng, left, 0.6, least=5)):
        late = {
            0: (date(y, 11, 20), date(y + 1, 3, 10)),
            1: (date(y + 1, 4, 6), date(y + 1, 6, 12)),
        }
        day = school_day(rng, *late[index]) if index in late else date(y, 6, 5 + index % 15)
        if index == 2:  # diploma cleared in the SIS after last year's June submission
            cleared.append(_cleared(s, day, "oct"))
            continue
        rows.append(
            {
                "student_id": s["student_id"],
                "diploma_type": "1",
                "diploma_date": day,
                "graduation_school_id": None,
                "_bsid": s["_bsid"],
                "_plant": None,
            }
        )
    return rows, cleared


def _cleared(s: dict[str, Any], day: date, kind: str) -> dict[str, Any]:
    """A diploma OnSIS holds in the `kind` extract that the school has since cleared."""
    return {"student_id": s["student_id"], "day": day, "_bsid": s["_bsid"], "_kind": kind}


def _program(sid: str, program: str, entry: date, **values: Any) -> dict[str, Any]:
    return {"student_id": sid, "program_id": program, "entry_date": entry, **values}


def _certs(
    rng: random.Random, cal: Calendar, sid: str, program: str, entry: date, count: int
) -> list[dict[str, Any]]:
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
    flags = {"spce_innovation": rng.random() < 0.5, "spce_coding": rng.random() < 0.4}
    flags["spce_math_literacy"] = not any(flags.values()) or rng.random() < 0.3
    return flags


def _shsm(
    rng: random.Random, cal: Calendar, pools: dict[str, list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(program enrolments, certifications) of the SHSM students."""
    y = cal.year
    ids = list(SHSM_PROGRAMS)
    earlier = date(y - 1, 9, 8)
    enrolments, certs = [], []
    met_windows = [
        (date(y + 1, 2, 2), date(y + 1, 3, 20)),  # requirements met for March
        (date(y + 1, 6, 1), date(y + 1, 6, 19)),  # for June
        None,  # not yet
    ]
    seniors = 0
    for index, s in enumerate(_take(rng, pools["senior"], P_SHSM, least=10)):
        sid, school, program = s["student_id"], s["school_id"], ids[index % len(ids)]
        grade = int(s["grade_level"])
        if index < 3:  # changes sector (January, or April): the old program is deleted
            then = date(y + 1, 1, 16) if index < 2 else date(y + 1, 4, 16)
            enrolments.append(_program(sid, program, earlier, exit_date=then, school_id=school))
            program = ids[(index + 1) % len(ids)]
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
            window = met_windows[seniors % len(met_windows)]
            seniors += 1
            if window:
                values["shsm_requirements_met_date"] = school_day(rng, *window)
                values.update(_spce(rng))
        enrolments.append(_program(sid, program, entry, **values))
        certs += _certs(rng, cal, sid, program, entry, 1 + index % 3)
    for index, s in enumerate(_take(rng, pools["left"], 0.0, least=4)):
        sid, program = s["student_id"], ids[index % len(ids)]
        if index < 2:  # left last June: the program OnSIS holds is deleted in October
            exit_date = cal.previous_year_exit
            enrolments.append(_program(sid, program, earlier, exit_date=exit_date))
            continue
        # finishes the SHSM after leaving: reported as not enrolled in March
        met = date(y + 1, 2, 12)
        enrolments.append(
            _program(sid, program, earlier, shsm_requirements_met_date=met, spce_coding=True)
        )
        certs += [
            {
                "student_id": sid,
                "certification_type": SHSM_PROGRAMS[program][1][0],
                "date_completed": date(y + 1, 1, 20),
                "hours": "8.00",
            }
        ]
    return enrolments, certs


def make_credentials(cal: Calendar, tables: dict[str, pl.DataFrame], seed: int) -> Credentials:
    """Diplomas on the students frame, SHSM programs and certifications, and what each
    period's extracts 0026 and 0028 hold."""
    rng = random.Random(f"onsis-synth-credentials-{seed}")
    students, enrolments = tables["students"], tables["school_enrolments"]
    pools = _candidates(students, enrolments, cal)
    diplomas, cleared = _diplomas(rng, cal, pools)
    programs, certs = _shsm(rng, cal, pools)
    frame = pl.DataFrame(
        diplomas,
        schema={
            "student_id": pl.String,
            "diploma_type": pl.String,
            "diploma_date": pl.Date,
            "graduation_school_id": pl.String,
            "_bsid": pl.String,
            "_plant": pl.String,
        },
    )
    students = students.drop("diploma_type", "diploma_date", "graduation_school_id").join(
        frame.drop("_bsid", "_plant"), on="student_id", how="left", maintain_order="left"
    )
    program_frame = pl.DataFrame(
        [{"shsm_requirements_met_date": None, "exit_date": None, **p} for p in programs],
        schema_overrides={"exit_date": pl.Date, "shsm_requirements_met_date": pl.Date},
        infer_schema_length=None,
    )
    cert_frame = pl.DataFrame(certs, schema_overrides={"date_completed": pl.Date})
    oens = students.select("student_id", "_oen")
    return Credentials(
        students=students.select(tables["students"].columns),
        programs=[
            {
                "program_id": pid,
                "name": f"SHSM {sector}",
                "is_shsm": True,
                "shsm_program_type": sector,
            }
            for pid, (sector, _) in SHSM_PROGRAMS.items()
        ],
        program_enrolments=programs,
        certifications=certs,
        certification_map=[
            {"program_id": pid, "certification_type": kind}
            for pid, (_, kinds) in SHSM_PROGRAMS.items()
            for kind in kinds
        ],
        held_diplomas={
            kind: _held_diplomas(cal, kind, frame, cleared).join(oens, on="student_id")
            for kind in ("oct", "mar", "jun")
        },
        held_shsm={
            kind: _held_shsm(cal, kind, program_frame, cert_frame, enrolments).join(
                oens, on="student_id"
            )
            for kind in ("oct", "mar", "jun")
        },
    )


NEXT = {"oct": "mar", "mar": "jun"}


def _held_diplomas(
    cal: Calendar, kind: str, diplomas: pl.DataFrame, cleared: list[dict[str, Any]]
) -> pl.DataFrame:
    """0026 of period `kind`: diplomas sent up to the previous count date (last year's
    included), the planted differences of the period after each one was sent, and the
    diplomas OnSIS holds that the school cleared."""
    day = cal.pae_reference(kind)
    sent = diplomas.filter(
        (pl.col("diploma_type") != "99")
        & pl.col("diploma_date").is_between(date(cal.year - 1, 7, 1), day)
    )
    issued = pl.col("diploma_date")
    sent_in = (
        pl.when(issued <= cal.oct_count)
        .then(pl.lit("oct"))
        .when(issued <= cal.mar_count)
        .then(pl.lit("mar"))
        .otherwise(pl.lit("jun"))
    )
    planted = sent_in.replace_strict(NEXT, default=None) == kind
    rows = sent.select(
        "student_id",
        "_bsid",
        pl.when(planted & (pl.col("_plant") == "retype"))
        .then(pl.lit("1"))
        .otherwise(pl.col("diploma_type"))
        .alias("diploma_type"),
        pl.when(planted & (pl.col("_plant") == "update"))
        .then(pl.col("diploma_date") - timedelta(days=7))
        .otherwise(pl.col("diploma_date"))
        .alias("certificate_issued"),
    )
    extra = [
        {
            "student_id": c["student_id"],
            "_bsid": c["_bsid"],
            "diploma_type": "1",
            "certificate_issued": c["day"],
        }
        for c in cleared
        if c["_kind"] == kind
    ]
    return pl.concat([rows, pl.DataFrame(extra, schema=rows.schema)]) if extra else rows


def _held_shsm(
    cal: Calendar,
    kind: str,
    programs: pl.DataFrame,
    certs: pl.DataFrame,
    enrolments: pl.DataFrame,
) -> pl.DataFrame:
    """0028 of period `kind`: the programs the previous submission sent for students active
    on its count date, with the certifications completed by then."""
    day = cal.pae_reference(kind)
    previous_start = {
        "oct": date(cal.year, 4, 1),
        "mar": date(cal.year, 7, 1),
        "jun": date(cal.year, 11, 1),
    }[kind]
    active = (
        enrolments.filter(
            ~pl.col("is_cross_enrolment")
            & pl.col("_pae")
            & (pl.col("entry_date") <= day)
            & (pl.col("exit_date").is_null() | (pl.col("exit_date") > day))
        )
        .select("student_id", "_bsid")
        .unique("student_id", keep="first", maintain_order=True)
    )
    met = pl.col("shsm_requirements_met_date")
    held = programs.filter(
        (pl.col("entry_date") <= day)
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") > day))
        & (met.is_null() | (met >= previous_start))
    ).join(active, on="student_id")
    sector = pl.col("program_id").replace_strict({k: v[0] for k, v in SHSM_PROGRAMS.items()})
    base = held.select(
        "student_id",
        "_bsid",
        "program_id",
        sector.alias("shsm_program_type"),
        pl.when(met <= day).then(met.dt.strftime("%Y/%m")).alias("all_requirements_met_date"),
    )
    mapped = pl.DataFrame(
        [
            {"program_id": p, "certification_type": c}
            for p, (_, cs) in SHSM_PROGRAMS.items()
            for c in cs
        ]
    )
    done = (
        base.join(mapped, on="program_id")
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


def write_credential_extracts(
    pae_dirs: dict[str, Path],
    cal: Calendar,
    board: Board,
    credentials: Credentials,
    created: datetime | None,
) -> None:
    """0026 and 0028 of every period written, one block per reporting BSID."""
    for kind, folder in pae_dirs.items():
        for extract, frames in (
            ("0026", credentials.held_diplomas),
            ("0028", credentials.held_shsm),
        ):
            rows = frames[kind].rename({"_oen": "oen"}).sort("_bsid", "oen", maintain_order=True)
            write_board_extract(folder, extract, kind, cal, board, rows, created)
