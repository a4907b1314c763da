"""Scenario cases as data: every `tests/cases/<SEGMENT>.yaml` file, one test per case.

A case names the period, gives rows per contract table (merged with a one-school board
and default student/enrolment values) and PAE rows per extract, then what the plan must
hold: rows matched on `_id` (only the listed columns compared), ids that must be absent,
records of the school data left out of the file with the reason why (`not_sent`, by kind:
student, class, educator), and every finding code the run raises.

    - name: a new class is added with its segment
      period: oct                # oct (default), mar or jun
      private: false             # default false
      tables: {courses: [...], sections: [...], ...}
      pae: {"0001": [...]}
      expect: {CLASS: [{_id: ENG4U-01, _action: ADD, CLASS_TYPE: R}]}
      absent: {CLASS: [OLD-01]}
      not_sent: {class: {OLD-02: NOTSENT-CLS-NO-STUDENTS}}  # record -> reason, per kind
      findings: [CLS001, CLS001]

Case files are read with the project's strict YAML rules (`onsis_batch.strict_yaml`: dates
and codes stay text, a repeated key is an error) and each case becomes a `Case` record. A
case that breaks these rules fails to load, naming its file and case:

- its keys are exactly those above (`expects:` is an error); `tables` names contract
  tables, `pae` extracts with a layout, `expect` and `absent` segments;
- it asserts something present: an `expect` row or a finding. Absences alone would also
  hold for an empty plan: `test_case` runs every case a second time without the segment
  builders and requires it to fail then;
- `findings` is the complete list of codes raised, compared as a sorted list: order does
  not matter, a code raised twice is listed twice, and no list means no finding.

An expected value compares with the plan's value; in a date column it may be ISO text. A
listed column the segment's frame lacks is an error, so a misspelt one cannot pass as null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from builders import Scenario

from onsis_batch.contract import contract
from onsis_batch.findings import Finding, catalog
from onsis_batch.pae.layout import load_layouts
from onsis_batch.plan.model import Plan
from onsis_batch.segments import build
from onsis_batch.segments.not_sent import KINDS as NOT_SENT_KINDS
from onsis_batch.specs import load_specs
from onsis_batch.strict_yaml import read_yaml, unknown_keys

CASES = Path(__file__).resolve().parent / "cases"
PERIODS = ("oct", "mar", "jun")
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

Rows = list[dict[str, Any]]


class CaseError(ValueError):
    """A case file or case breaks the format; the message names the file and the case."""


@dataclass(frozen=True)
class Case:
    """One scenario: its inputs and what the plan of its run must hold."""

    name: str
    tables: Mapping[str, Rows]
    period: str = "oct"
    private: bool = False
    pae: Mapping[str, Rows] = field(default_factory=dict)
    expect: Mapping[str, Rows] = field(default_factory=dict)
    absent: Mapping[str, list[str]] = field(default_factory=dict)
    not_sent: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    findings: tuple[str, ...] = ()

    def scenario(self) -> Scenario:
        """The case's inputs as a one-school board."""
        tables = dict(self.tables)
        scenario = Scenario()
        scenario.students = [{**STUDENT_DEFAULTS, **r} for r in tables.pop("students", [])]
        enrolments = tables.pop("school_enrolments", [])
        scenario.school_enrolments = [{**ENROLMENT_DEFAULTS, **r} for r in enrolments]
        for name in ("schools", "board_settings"):
            if name in tables:
                setattr(scenario, name, tables.pop(name))
        scenario.extra.update(tables)
        pae = dict(self.pae)
        scenario.pae_0003 = pae.pop("0003", [])
        scenario.pae.update(pae)
        return scenario


def _case_keys() -> dict[str, Any]:
    """The keys a case may have, with the names each of its mappings may use."""
    segments = dict.fromkeys(load_specs())
    keys: dict[str, Any] = dict.fromkeys(f.name for f in fields(Case))
    return keys | {
        "tables": dict.fromkeys(contract()),
        "pae": dict.fromkeys(load_layouts()),
        "expect": segments,
        "absent": segments,
        "not_sent": {kind.name: None for kind in NOT_SENT_KINDS},
    }


def _problems(raw: dict[str, Any]) -> list[str]:
    """What makes a case unusable, in words; empty when it is well formed."""
    problems = [f"{path}: unknown key" for path in unknown_keys(raw, _case_keys())]
    if not isinstance(raw.get("name"), str) or "tables" not in raw:
        problems.append("a case needs a name and tables")
    for key in ("tables", "pae", "expect", "absent"):
        value = raw.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
            problems.append(f"{key}: a mapping of names to lists")
    left_out = raw.get("not_sent", {})
    if not isinstance(left_out, dict) or not all(isinstance(v, dict) for v in left_out.values()):
        problems.append("not_sent: a mapping of kinds to {record: reason}")
    if raw.get("period", "oct") not in PERIODS:
        problems.append(f"period: one of {', '.join(PERIODS)}")
    return problems or _assertion_problems(raw)


def _assertion_problems(raw: dict[str, Any]) -> list[str]:
    """What is wrong with what a well-formed case asserts."""
    problems = []
    codes = raw.get("findings") or []
    if not isinstance(codes, list) or not set(codes) <= set(catalog()):
        problems.append("findings: a list of codes from findings.yaml")
    rows = [row for rows in (raw.get("expect") or {}).values() for row in rows]
    if not all(isinstance(row, dict) and "_id" in row for row in rows):
        problems.append("expect: every row needs its _id")
    if not codes and not rows and not raw.get("not_sent"):
        problems.append("it asserts nothing present: add an expect row or a finding")
    return problems


def _case(raw: Any, file: str, number: int) -> Case:
    if not isinstance(raw, dict):
        raise CaseError(f"{file}: case {number}: a case must be a mapping")
    problems = _problems(raw)
    if problems:
        raise CaseError(f"{file}: case {raw.get('name', number)!r}: {'; '.join(problems)}")
    return Case(**raw | {"findings": tuple(raw.get("findings") or ())})


def load_cases(path: Path) -> list[Case]:
    """The cases of one file, checked; CaseError naming the file and case when one is wrong."""
    file = f"tests/cases/{path.name}"
    raw = read_yaml(path, name=file) or []
    if not isinstance(raw, list):
        raise CaseError(f"{file}: must be a list of cases")
    return [_case(item, file, number) for number, item in enumerate(raw, start=1)]


def _params() -> list[Any]:
    return [
        pytest.param(case, id=f"{path.stem}: {case.name}")
        for path in sorted(CASES.glob("*.yaml"))
        for case in load_cases(path)
    ]


def _plain(value: Any, dtype: pl.DataType) -> Any:
    """An expected value as the plan holds it: ISO text in a date column is a date."""
    return date.fromisoformat(value) if isinstance(value, str) and dtype == pl.Date else value


def _check_rows(plan: Plan, segment: str, rows: Rows) -> None:
    frame = plan.segments.get(segment)
    assert frame is not None, f"no {segment} in the plan"
    by_id = {row["_id"]: row for row in frame.to_dicts()}
    for expected in rows:
        missing = sorted(set(expected) - set(frame.columns))
        assert not missing, f"{segment} has no column(s) {', '.join(missing)}"
        actual = by_id.get(expected["_id"])
        assert actual is not None, f"{segment} {expected['_id']} missing; have {sorted(by_id)}"
        wanted = {k: _plain(v, frame.schema[k]) for k, v in expected.items()}
        assert {k: actual[k] for k in expected} == wanted, f"{segment} {expected['_id']}"


def check(case: Case, plan: Plan, findings: list[Finding]) -> None:
    """AssertionError when the plan of a case's run differs from what the case expects."""
    for segment, rows in case.expect.items():
        _check_rows(plan, segment, rows)
    for segment, ids in case.absent.items():
        frame = plan.segments.get(segment)
        present = set(frame.get_column("_id")) if frame is not None else set()
        assert not present & set(ids), f"{segment} should not hold {sorted(present & set(ids))}"
    for kind, expected in case.not_sent.items():
        frame = plan.not_sent.filter(pl.col("kind") == kind) if plan.not_sent.width else None
        actual = dict(frame.select("record", "reason").iter_rows()) if frame is not None else {}
        shown = {record: actual.get(record) for record in expected}
        assert shown == dict(expected), f"not sent ({kind}): {actual}"
    codes = sorted(f.code for f in findings)
    assert codes == sorted(case.findings), f"findings were {codes}"


@pytest.mark.parametrize("case", _params())
def test_case(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    context = case.scenario().context(case.period, case.private)
    check(case, *build.build_plan(context))
    # without the segment builders the case must fail: it asserts what only they produce
    monkeypatch.setattr(build, "BUILDERS", ())
    with pytest.raises(AssertionError):
        check(case, *build.build_plan(context))


# --- the loader refuses malformed cases -------------------------------------------------

GOOD = "- name: a student is reported\n  tables: {}\n  expect: {STUDENT: [{_id: '1'}]}\n"


def _load(tmp_path: Path, text: str) -> list[Case]:
    (tmp_path / "X.yaml").write_text(text, encoding="utf-8")
    return load_cases(tmp_path / "X.yaml")


def test_a_well_formed_case_loads(tmp_path: Path) -> None:
    (case,) = _load(tmp_path, GOOD)
    assert case.expect == {"STUDENT": [{"_id": "1"}]} and case.findings == ()


CASE = "tests/cases/X.yaml: case 'a student is reported': "


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace("expect:", "expects:"), CASE + "expects: unknown key"),
        (GOOD.replace("{}", "{studnets: []}"), CASE + "tables.studnets: unknown key"),
        (GOOD.replace("STUDENT:", "STUDNET:"), CASE + "expect.STUDNET: unknown key"),
        (GOOD + "  period: october\n", CASE + "period: one of oct, mar, jun"),
        (GOOD + "  absent: [STUDENT]\n", CASE + "absent: a mapping of names to lists"),
        (GOOD + "  findings: [CLS999]\n", CASE + "findings: a list of codes"),
        (GOOD.replace("{_id: '1'}", "{_action: ADD}"), CASE + "expect: every row needs its _id"),
        (
            GOOD.replace("expect: {STUDENT: [{_id: '1'}]}", "absent: {STUDENT: ['1']}"),
            CASE + "it asserts nothing present",
        ),
        (GOOD + "  absent: {}\n  absent: {}\n", "X.yaml, line 5: key 'absent' is repeated"),
    ],
)
def test_a_malformed_case_names_its_file_and_case(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        _load(tmp_path, text)
    assert problem in str(raised.value)
