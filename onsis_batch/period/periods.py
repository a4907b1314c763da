"""Submission periods: which dates, which code, which SIS schools a run covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import polars as pl

from onsis_batch.errors import InputError
from onsis_batch.findings import Finding, finding
from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import ANY_KEY, Shape, read_yaml

PERIOD_KINDS = ("oct", "mar", "jun")
PERIOD_NAMES = {"oct": "October", "mar": "March", "jun": "June"}


@dataclass(frozen=True)
class SubmissionPeriod:
    """One run: a period of one school year for one BSID."""

    kind: str  # oct / mar / jun
    code: str  # e.g. OCTSEC1
    description: str  # e.g. "October Secondary School", as PAE headers name it
    school_year: str  # e.g. 2025-2026
    start: date  # first day of the period
    count_date: date  # last day of the period
    bsid: str
    school_ids: tuple[str, ...]  # the SIS schools reported under the BSID
    private: bool = False
    french_board: bool = False
    catholic_board: bool = False
    last_school_day: date | None = None
    # educator segments (issue 5): board preference and report options
    exclude_teacher_reporting: bool = False
    co_teacher_roles: tuple[str, ...] = ()  # co-teacher roles that get class assignments
    report_core_flag: bool = False  # private schools: send CORE_FLAG F
    output_name: str | None = None  # batch file name pattern (config output.name); None: default
    clear_flags: tuple[tuple[str, str], ...] = ()  # CLEAR_* values chosen; () the rule book's

    @property
    def first_year(self) -> int:
        """The calendar year the school year starts in (2025 for 2025-2026)."""
        return int(self.school_year[:4])

    @property
    def year_start(self) -> date:
        """July 1 that opens the school year."""
        return date(self.first_year, 7, 1)

    def contains(self, day: date) -> bool:
        """Whether `day` falls in the period, its start and count date included."""
        return self.start <= day <= self.count_date


_YEAR_CODES = {kind: {"code": None, "description": None} for kind in PERIOD_KINDS}
_PERIODS_KEYS: Shape = {"default": _YEAR_CODES, "by_year": {ANY_KEY: _YEAR_CODES}}


@cache
def _period_codes() -> dict[str, Any]:
    """The period codes and descriptions of `periods.yaml`."""
    codes: dict[str, Any] = read_yaml(package_file("period", "periods.yaml"), _PERIODS_KEYS)
    return codes


def default_period_code(kind: str, school_year: str) -> tuple[str, str]:
    """(code, PAE description) for a period kind in a school year."""
    table = _period_codes()
    entry = table.get("by_year", {}).get(school_year, {}).get(kind) or table["default"][kind]
    return entry["code"], entry["description"]


def parse_school_year(text: str) -> str:
    """Accept '2025-2026' (or '2025-26'); return the canonical 'YYYY-YYYY'."""
    parts = text.strip().split("-")
    if len(parts) == 2 and parts[0].isdigit() and len(parts[0]) == 4 and parts[1].isdigit():
        first = int(parts[0])
        second = int(parts[1]) if len(parts[1]) == 4 else (first + 1)
        if second == first + 1 and (len(parts[1]) == 4 or parts[1] == f"{(first + 1) % 100:02d}"):
            return f"{first}-{second}"
    raise ValueError(f"school year {text!r} is not like 2025-2026")


def reporting_schools(schools: pl.DataFrame, bsid: str) -> tuple[str, ...]:
    """SIS schools under a BSID that are open, reported and not Section 23 schools."""
    kept = schools.filter(
        (pl.col("bsid") == bsid)
        & ~pl.col("is_excluded")
        & ~pl.col("is_closed")
        & ~pl.col("is_section23")
    )
    return tuple(sorted(kept.get_column("school_id").to_list()))


def board_bsids(schools: pl.DataFrame) -> list[str]:
    """Every BSID with at least one reporting school, in order."""
    reporting = schools.filter(
        ~pl.col("is_excluded") & ~pl.col("is_closed") & ~pl.col("is_section23")
    )
    return sorted(reporting.get_column("bsid").drop_nulls().unique().to_list())


def _settings_row(board_settings: pl.DataFrame, school_year: str) -> dict[str, Any] | None:
    rows = board_settings.filter(pl.col("school_year") == school_year).to_dicts()
    return rows[0] if rows else None


def _window(
    kind: str, settings: dict[str, Any], first_year: int
) -> tuple[date | None, date | None]:
    """Start and count date of a period; a None count date means it is not set."""
    oct_start = settings.get("oct_period_start") or date(first_year, 7, 1)
    oct_count = settings.get("oct_count_date")
    mar_count = settings.get("mar_count_date")
    if kind == "oct":
        return oct_start, oct_count
    if kind == "mar":
        return (oct_count + timedelta(days=1) if oct_count else None), mar_count
    return (mar_count + timedelta(days=1) if mar_count else None), settings.get("jun_count_date")


def resolve_period(
    *,
    kind: str,
    school_year: str,
    bsid: str,
    board_settings: pl.DataFrame,
    schools: pl.DataFrame,
    private: bool = False,
    co_teacher_roles: tuple[str, ...] = (),
    report_core_flag: bool = False,
    output_name: str | None = None,
    clear_flags: tuple[tuple[str, str], ...] = (),
) -> SubmissionPeriod:
    """Work out the period of a run, or raise InputError with the findings that prevent it."""
    findings: list[Finding] = []
    settings = _settings_row(board_settings, school_year)
    if settings is None:
        raise InputError([finding("PER003", file="board_settings", school_year=school_year)])
    first_year = int(school_year[:4])
    start, count = _window(kind, settings, first_year)
    needed = {
        "oct": ["oct_count_date"],
        "mar": ["oct_count_date", "mar_count_date"],
        "jun": ["mar_count_date", "jun_count_date"],
    }[kind]
    for column in needed:
        if settings.get(column) is None:
            findings.append(
                finding(
                    "PER001",
                    file="board_settings",
                    column=column,
                    school_year=school_year,
                    period=PERIOD_NAMES[kind],
                )
            )
    if start and count and start > count:
        findings.append(
            finding(
                "PER004",
                file="board_settings",
                period=PERIOD_NAMES[kind],
                start=start.isoformat(),
                end=count.isoformat(),
            )
        )
    school_ids = reporting_schools(schools, bsid)
    if not school_ids:
        findings.append(finding("PER002", file="schools", key=bsid))
    if findings:
        raise InputError(findings)
    assert start is not None and count is not None
    code, description = default_period_code(kind, school_year)
    code = settings.get(f"{kind}_period_code") or code
    return SubmissionPeriod(
        kind=kind,
        code=code,
        description=description,
        school_year=school_year,
        start=start,
        count_date=count,
        bsid=bsid,
        school_ids=school_ids,
        private=private,
        french_board=bool(settings.get("french_board")),
        catholic_board=bool(settings.get("catholic_board")),
        last_school_day=settings.get("last_school_day"),
        exclude_teacher_reporting=bool(settings.get("exclude_teacher_reporting")),
        co_teacher_roles=tuple(co_teacher_roles),
        report_core_flag=report_core_flag,
        output_name=output_name,
        clear_flags=clear_flags,
    )
