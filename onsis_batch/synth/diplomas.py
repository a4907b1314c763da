"""Synthetic diplomas and what extract 0026 holds of them.

Grade-12 students graduate at times spread over the year (a few by October, a few by March,
most in June); last year's graduates keep their June diploma, which every extract holds; a
few non-returning students finish later and are reported as not enrolled. The extract of a
period holds the diplomas sent up to the previous count date, with planted differences so
that every action occurs: a date OnSIS holds a week off (UPDATE), a type the school has
since changed (DELETE then ADD), a diploma the school has cleared (DELETE).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import polars as pl

from onsis_batch.synth.calendar import Calendar, school_day
from onsis_batch.synth.rand import take_share

DIPLOMA_SCHEMA = {
    "student_id": pl.String,
    "diploma_type": pl.String,
    "diploma_date": pl.Date,
    "graduation_school_id": pl.String,
    "_bsid": pl.String,
    "_plant": pl.String,  # the difference planted in the extract after it is sent
}
NEXT = {"oct": "mar", "mar": "jun"}


def make_diplomas(
    rng: random.Random, cal: Calendar, pools: dict[str, list[dict[str, Any]]]
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """(diplomas: DIPLOMA_SCHEMA), (cleared diplomas held by OnSIS only: student_id, day,
    _bsid, _kind), taking their students from `pools`."""
    rows = _this_year(rng, cal, pools["grade12"])
    issued_on = {"mar": date(cal.year, 10, 10), "jun": date(cal.year + 1, 2, 10)}
    students = take_share(rng, pools["grade12"], 0.0, least=2)
    cleared = [
        _cleared(s, issued_on[kind], kind)
        for kind, s in zip(("mar", "jun"), students, strict=False)
    ]
    late, cleared_late = _last_year(rng, cal, pools["left"])
    return pl.DataFrame(rows + late, schema=DIPLOMA_SCHEMA), cleared + cleared_late


def _this_year(
    rng: random.Random, cal: Calendar, grade12: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Diplomas of grade 12 students, in the October, March and June periods."""
    y = cal.year
    windows = {
        "oct": (date(y, 9, 20), date(y, 10, 24)),
        "mar": (date(y, 11, 10), date(y + 1, 3, 20)),
        "jun": (date(y + 1, 6, 1), date(y + 1, 6, 20)),
    }
    rows = []
    for window, share in (("oct", 0.06), ("mar", 0.06), ("jun", 0.5)):
        for index, s in enumerate(take_share(rng, grade12, share, least=3)):
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
    return rows


def _last_year(
    rng: random.Random, cal: Calendar, left: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Diplomas of last year's leavers: most last June, two finishing later this year, and
    one cleared in the SIS after last year's June submission."""
    y = cal.year
    late = {0: (date(y, 11, 20), date(y + 1, 3, 10)), 1: (date(y + 1, 4, 6), date(y + 1, 6, 12))}
    rows, cleared = [], []
    for index, s in enumerate(take_share(rng, left, 0.6, least=5)):
        day = school_day(rng, *late[index]) if index in late else date(y, 6, 5 + index % 15)
        if index == 2:
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


def held_diplomas(
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
