"""Small builders for scenario tests: a one-school board with a few students.

`Scenario` holds plain rows per contract table plus PAE 0003 rows; `plan()` types them
with the contract and runs the segment builders for one period, and checks that every rule
id the plan carries is in the reason catalog (so every scenario test and case checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import contract, frame_from_rows
from onsis_batch.pae.extracts import extract_file_name, write_extract
from onsis_batch.pae.grid import split_lists
from onsis_batch.pae.layout import empty_frame, load_layouts
from onsis_batch.period.periods import resolve_period
from onsis_batch.plan.model import Plan
from onsis_batch.reasons import reasons
from onsis_batch.segments.build import build_plan
from onsis_batch.segments.context import SegmentContext

BSID = "999001"
YEAR = "2025-2026"
SETTINGS = {
    "school_year": YEAR,
    "oct_count_date": date(2025, 10, 31),
    "mar_count_date": date(2026, 3, 31),
    "jun_count_date": date(2026, 6, 26),
    "last_school_day": date(2026, 6, 26),
}


def pae_frame(rows: list[dict[str, Any]], extract: str = "0003") -> pl.DataFrame:
    """A PAE frame of one extract with the layout's columns; absent columns are null.

    Dates may be ISO text, as YAML cases write them; a column the layout lacks is an error.
    """
    empty = empty_frame(extract)
    if not rows:
        return empty
    unknown = sorted({name for row in rows for name in row} - set(empty.columns))
    if unknown:
        raise KeyError(f"PAE {extract} has no column(s) {', '.join(unknown)}")
    data = {
        name: [_pae_value(row.get(name), dtype) for row in rows]
        for name, dtype in empty.schema.items()
    }
    data["_row"] = list(range(3, len(rows) + 3))
    # a list cell ("GUI,LIB") is one row per value, as the reader gives it (D700)
    frame, _ = split_lists(pl.DataFrame(data, schema=empty.schema), load_layouts()[extract], 0)
    return frame


def _pae_value(value: Any, dtype: pl.DataType) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) and dtype == pl.Date else value


@dataclass
class Scenario:
    students: list[dict[str, Any]] = field(default_factory=list)
    school_enrolments: list[dict[str, Any]] = field(default_factory=list)
    pae_0003: list[dict[str, Any]] = field(default_factory=list)
    schools: list[dict[str, Any]] = field(
        default_factory=lambda: [{"school_id": "100", "bsid": BSID, "language": "E"}]
    )
    board_settings: list[dict[str, Any]] = field(default_factory=lambda: [dict(SETTINGS)])
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pae: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # other extracts

    def student(self, student_id: str, oen: str | None = None, **values: Any) -> Scenario:
        row = {
            "student_id": student_id,
            "oen": oen,
            "first_name": f"Given{student_id}",
            "last_name": f"Family{student_id}",
            "birth_date": date(2009, 5, 1),
            **values,
        }
        self.students.append(row)
        return self

    def enrol(
        self, student_id: str, entry: date, exit: date | None = None, **values: Any
    ) -> Scenario:
        row = {
            "student_id": student_id,
            "school_id": "100",
            "entry_date": entry,
            "exit_date": exit,
            "grade_level": "11",
            "entry_code": "09",
            "board_residence_status": "01",
            "residence_status": "1",
            "fte": 1.0,
            "high_credit_fte": 0.0,
            **values,
        }
        self.school_enrolments.append(row)
        return self

    def in_pae(self, oen: str, **values: Any) -> Scenario:
        row = {
            "oen": oen,
            "enrolment_start_date": date(2023, 9, 5),
            "grade_type": "10",
            "main_school_flag": True,
            "fte": 1.0,
            "stu_brd_res_stat_type": "01",
            **values,
        }
        self.pae_0003.append(row)
        return self

    def context(self, kind: str = "oct", private: bool = False) -> SegmentContext:
        tables = {
            name: frame_from_rows(name, getattr(self, name, None) or self.extra.get(name))
            for name in contract()
        }
        period = resolve_period(
            kind=kind,
            school_year=YEAR,
            bsid=BSID,
            private=private,
            board_settings=tables["board_settings"],
            schools=tables["schools"],
        )
        extracts = {n: pae_frame(self.pae.get(n, []), n) for n in load_layouts()}
        extracts["0003"] = pae_frame(self.pae_0003)
        return SegmentContext(period=period, tables=tables, pae=extracts)

    def plan(self, kind: str = "oct", private: bool = False) -> tuple[Plan, list]:
        """The plan and findings; every rule id in the plan must be in the reason catalog."""
        plan, findings = build_plan(self.context(kind, private))
        missing = uncatalogued_reasons(plan)
        assert not missing, f"rule ids missing from onsis_batch/reasons.yaml: {missing}"
        return plan, findings


def uncatalogued_reasons(plan: Plan) -> list[str]:
    """`SEGMENT rule-id` of every row reason the catalog lacks or gives to another segment."""
    catalog = reasons()
    found = set()
    for name, frame in plan.segments.items():
        for reason in frame.get_column("_reason").unique().to_list():
            entry = catalog.get(reason or "")
            if entry is None or not entry.applies_to(name) or entry.not_sent:
                found.add(f"{name} {reason}")
    if plan.not_sent.width:
        for reason in plan.not_sent.get_column("reason").unique().to_list():
            entry = catalog.get(reason)
            if entry is None or not entry.not_sent:
                found.add(f"not sent {reason}")
    return sorted(found)


def sse(plan: Plan, student_id: str) -> dict[str, Any]:
    """The STUDENT_SCHOOL_ENROLMENT row of one student, as a dict."""
    rows = plan.segments["STUDENT_SCHOOL_ENROLMENT"].filter(pl.col("_id") == student_id).to_dicts()
    assert len(rows) == 1, f"expected one row for {student_id}, got {len(rows)}"
    return rows[0]


def reported(plan: Plan) -> set[str]:
    return set(plan.segments["STUDENT"].get_column("_id").to_list())


def write_scenario(scenario: Scenario, root: Path, kind: str = "oct") -> tuple[Path, Path]:
    """Write the scenario as files: a school data folder and a PAE folder."""
    data, pae = root / "data", root / "pae"
    data.mkdir(parents=True)
    pae.mkdir(parents=True)
    for name in contract():
        rows = getattr(scenario, name, None) or scenario.extra.get(name)
        if rows:
            frame_from_rows(name, rows).drop("_row").write_csv(data / f"{name}.csv")
    period = scenario.context(kind).period
    for extract in load_layouts():  # every extract, as downloaded: a missing one is PAE030
        rows = scenario.pae_0003 if extract == "0003" else []
        write_extract(
            pae / extract_file_name(extract),
            extract,
            school_year=YEAR,
            period_description=period.description,
            blocks=[(BSID, "Sample Secondary School", pae_frame(rows, extract).drop("_row"))],
            created=datetime(2025, 10, 1, 8, 0),
        )
    return data, pae
