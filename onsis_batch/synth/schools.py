"""The synthetic board: SIS schools, their BSIDs and the board settings row."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.names import SCHOOL_NAMES


@dataclass(frozen=True)
class School:
    """One SIS school and the BSID it reports under."""

    school_id: str
    bsid: str
    name: str
    is_closed: bool = False


@dataclass(frozen=True)
class Board:
    """`main` schools each have their own BSID; `campus` is a second SIS school under the first
    BSID and `closed` a closed school with a BSID of its own, so that multi-school and
    exclusion rules are exercised."""

    main: tuple[School, ...]
    campus: School
    closed: School

    @property
    def schools(self) -> tuple[School, ...]:
        """Every SIS school of the board, the closed one last."""
        return (*self.main, self.campus, self.closed)

    @property
    def timetabled(self) -> tuple[School, ...]:
        """The open schools, the ones with a timetable."""
        return (*self.main, self.campus)

    @property
    def reporting_bsids(self) -> tuple[str, ...]:
        """BSIDs of open schools, in school order: one H2 block each in a board extract."""
        return tuple(dict.fromkeys(s.bsid for s in self.schools if not s.is_closed))

    def name_of(self, bsid: str) -> str:
        """The name of the first school under `bsid`."""
        return next(s.name for s in self.schools if s.bsid == bsid)


def _school_name(index: int) -> str:
    base = SCHOOL_NAMES[index % len(SCHOOL_NAMES)]
    cycle = index // len(SCHOOL_NAMES)
    return f"{base} Secondary School" + (f" {cycle + 1}" if cycle else "")


def make_board(schools: int, seed: int) -> Board:
    """`schools` open SIS schools with fake BSIDs 99xxxx, stable for a seed."""
    if not 1 <= schools <= 9_000:
        raise ValueError("schools must be between 1 and 9000")
    rng = random.Random(f"onsis-synth-bsid-{seed}")
    bsids = [f"99{n:04d}" for n in rng.sample(range(10_000), schools + 1)]
    main = tuple(
        School(school_id=str(1001 + i), bsid=bsids[i], name=_school_name(i)) for i in range(schools)
    )
    campus = School(str(1001 + schools), main[0].bsid, f"{main[0].name} - North Campus")
    closed = School(str(1002 + schools), bsids[-1], "Old Mill Secondary School", is_closed=True)
    return Board(main=main, campus=campus, closed=closed)


def bsid_of(board: Board) -> pl.Expr:
    """The BSID of `school_id`."""
    return pl.col("school_id").replace_strict(
        {s.school_id: s.bsid for s in board.schools}, return_dtype=pl.String
    )


def school_rows(board: Board) -> list[dict[str, Any]]:
    """The `schools` table."""
    return [
        {
            "school_id": s.school_id,
            "bsid": s.bsid,
            "name": s.name,
            "language": "E",
            "is_excluded": False,
            "is_closed": s.is_closed,
            "is_section23": False,
            "is_night_school": False,
            "is_summer_school": False,
            "is_online": False,
        }
        for s in board.schools
    ]


def board_settings_rows(cal: Calendar) -> list[dict[str, Any]]:
    """The `board_settings` table: the school year's count dates and last day."""
    return [
        {
            "school_year": cal.school_year,
            "french_board": False,
            "catholic_board": False,
            "oct_count_date": cal.oct_count,
            "mar_count_date": cal.mar_count,
            "jun_count_date": cal.jun_count,
            "last_school_day": cal.last_day,
        }
    ]
