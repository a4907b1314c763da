"""Scenario cases as data: every `tests/cases/<SEGMENT>.yaml` file, one test per case.

A case names the period, gives rows per contract table (merged with a one-school board
and default student/enrolment values) and PAE rows per extract, then the rows it expects
in the plan (matched on `_id`, only the listed columns compared), the ids that must be
absent, and the finding codes that must appear.

    - name: a new class is added with its segment
      period: oct                # default oct
      private: false
      tables: {courses: [...], sections: [...], ...}
      pae: {"0001": [...]}
      expect: {CLASS: [{_id: ENG4U-01, _action: ADD, CLASS_TYPE: R}]}
      absent: {CLASS: [OLD-01]}
      findings: [CLS001]
"""

from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import Scenario

CASES = Path(__file__).resolve().parent / "cases"
STUDENT_DEFAULTS = {"first_name": "Given", "last_name": "Family", "birth_date": "2009-05-01"}
ENROLMENT_DEFAULTS = {
    "school_id": "100",
    "grade_level": "11",
    "entry_code": "09",
    "board_residence_status": "01",
    "residence_status": "1",
    "fte": 1.0,
    "high_credit_fte": 0.0,
}


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


def _scenario(case: dict[str, Any]) -> Scenario:
    from datetime import date

    tables = dict(case.get("tables", {}))
    scenario = Scenario()
    for row in tables.pop("students", []):
        merged = {**STUDENT_DEFAULTS, **row}
        if isinstance(merged["birth_date"], str):
            merged["birth_date"] = date.fromisoformat(merged["birth_date"])
        scenario.students.append(merged)
    for row in tables.pop("school_enrolments", []):
        scenario.school_enrolments.append({**ENROLMENT_DEFAULTS, **row})
    for name in ("schools", "board_settings"):
        if name in tables:
            setattr(scenario, name, tables.pop(name))
    scenario.extra.update(tables)
    pae = {str(k): v for k, v in case.get("pae", {}).items()}
    scenario.pae_0003 = pae.pop("0003", [])
    scenario.pae.update(pae)
    return scenario


@pytest.mark.parametrize("case", _cases())
def test_case(case):
    plan, findings = _scenario(case).plan(case.get("period", "oct"), case.get("private", False))
    for segment, rows in case.get("expect", {}).items():
        frame = plan.segments.get(segment)
        assert frame is not None, f"no {segment} in the plan"
        by_id = {row["_id"]: row for row in frame.to_dicts()}
        for expected in rows:
            actual = by_id.get(expected["_id"])
            assert actual is not None, f"{segment} {expected['_id']} missing; have {sorted(by_id)}"
            got = {k: actual.get(k) for k in expected}
            assert got == expected, f"{segment} {expected['_id']}"
    for segment, ids in case.get("absent", {}).items():
        present = (
            set(plan.segments[segment].get_column("_id")) if segment in plan.segments else set()
        )
        assert not present & set(ids), f"{segment} should not hold {sorted(present & set(ids))}"
    codes = {f.code for f in findings}
    assert set(case.get("findings", [])) <= codes, f"findings were {sorted(codes)}"
