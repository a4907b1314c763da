"""The reason catalog (onsis_batch/reasons.yaml): complete, emitted, well formed, and shown.

Every plan a scenario builds (`builders.Scenario.plan`, so every case of tests/cases too)
fails when it carries a rule id the catalog lacks; here the bundled sample plans are
checked the same way, and every catalog entry must be emitted by a sample plan or asserted
(`_reason`) by a scenario case, which test_cases.py then proves.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import Scenario, uncatalogued_reasons
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.plan.model import Plan
from onsis_batch.plan.outcome import RunResult
from onsis_batch.plan.overrides import Override, OverrideSet
from onsis_batch.reasons import ANY_SEGMENT, load_reasons, reason_title, reasons
from onsis_batch.report.explain import Subject, explain
from onsis_batch.report.explain_view import explain_text
from onsis_batch.report.html_report import ReportOptions, render_report
from onsis_batch.run.planning import load_inputs
from onsis_batch.run.request import PlanRequest
from onsis_batch.run.sample import sample_run
from onsis_batch.run.slicing import tables_for_bsid
from onsis_batch.segments.build import build_plan
from onsis_batch.segments.context import SegmentContext
from onsis_batch.specs import SpecError, load_specs
from onsis_batch.tools.reason_reference import reason_listing

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
SAMPLE_OEN = "994076896"  # an October sample student (SSE-UPD-EXCLUDED)


# --- what the cases and the sample plans emit ----------------------------------------------


def _sample_plans() -> list[Plan]:
    """The sample's three periods, October again with the sample's co-teacher role chosen,
    and that plan with one override applied."""
    plans = []
    for kind in ("oct", "mar", "jun"):
        data, pae, bsid, year = sample_run(kind)
        request = PlanRequest(data=data, pae_dir=pae, kind=kind, school_year=year, bsids=(bsid,))
        inputs, periods = load_inputs(request)
        extracts = inputs.pae[bsid]
        variants = [periods[bsid]]
        if kind == "oct":
            variants.append(replace(periods[bsid], co_teacher_roles=("Co-teacher",)))
        for period in variants:
            tables = tables_for_bsid(inputs.tables, period, extracts)
            plans.append(build_plan(SegmentContext(period=period, tables=tables, pae=extracts))[0])
    return [*plans, _overridden(plans[1])]


def _overridden(plan: Plan) -> Plan:
    entry = Override(
        number=1,
        segment="STUDENT_SCHOOL_ENROLMENT",
        key=f"OEN={SAMPLE_OEN} / STUDENT_SCHOOL_ENROLMENT",
        reason="Grade confirmed by the principal",
        author="Registrar",
        expires=date(2099, 12, 31),
        set={"GRADE_TYPE": "12"},
    )
    overrides = OverrideSet(path=Path("overrides.yaml"), entries=[entry], findings=[])
    overridden, applied, _ = overrides.apply(plan, date(2025, 10, 31))
    assert applied, "the override did not apply"
    return overridden


@pytest.fixture(scope="module")
def sample_plans() -> list[Plan]:
    return _sample_plans()


def _emitted(plans: list[Plan]) -> dict[str, set[str]]:
    """Rule id -> the segments whose rows carry it."""
    found: dict[str, set[str]] = {}
    for plan in plans:
        for name, frame in plan.segments.items():
            for reason in frame.get_column("_reason").unique().to_list():
                found.setdefault(reason, set()).add(name)
        for reason in plan.not_sent.get_column("reason").unique().to_list():
            found.setdefault(reason, set()).add(reasons()[reason].segment)
    return found


@cache
def _asserted_by_cases() -> dict[str, set[str]]:
    """Rule id -> segments, for every `_reason` a scenario case expects."""
    found: dict[str, set[str]] = {}
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for segment, rows in case.get("expect", {}).items():
                for row in rows:
                    if row.get("_reason"):
                        found.setdefault(row["_reason"], set()).add(segment)
            for records in case.get("not_sent", {}).values():
                for reason in filter(None, records.values()):  # null: the record is sent
                    found.setdefault(reason, set()).add(reasons()[reason].segment)
    return found


def test_every_rule_id_of_the_sample_plans_is_in_the_catalog(sample_plans):
    assert [uncatalogued_reasons(plan) for plan in sample_plans] == [[]] * len(sample_plans)


def test_every_rule_id_a_case_asserts_is_in_the_catalog_for_that_segment():
    catalog = reasons()
    wrong = [
        f"{segment} {reason}"
        for reason, segments in _asserted_by_cases().items()
        for segment in segments
        if reason not in catalog or not catalog[reason].applies_to(segment)
    ]
    assert wrong == []


def test_every_catalog_entry_is_emitted_by_a_sample_plan_or_a_case(sample_plans):
    shown = set(_emitted(sample_plans)) | set(_asserted_by_cases())
    assert sorted(set(reasons()) - shown) == []


def test_scenario_plans_refuse_a_rule_id_the_catalog_lacks():
    plan, _ = Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3)).plan()
    frame = plan.segments["STUDENT_SCHOOL_ENROLMENT"]
    plan.segments["STUDENT_SCHOOL_ENROLMENT"] = frame.with_columns(
        frame.get_column("_reason").str.replace("SSE-ADD-NEW", "SSE-ADD-UNKNOWN")
    )
    plan.segments["STUDENT"] = plan.segments["STUDENT"].with_columns(
        plan.segments["STUDENT"].get_column("_reason").str.replace("STU-WITH-SSE", "SSE-ADD-NEW")
    )
    assert uncatalogued_reasons(plan) == [
        "STUDENT SSE-ADD-NEW",
        "STUDENT_SCHOOL_ENROLMENT SSE-ADD-UNKNOWN",
    ]


# --- well formed ---------------------------------------------------------------------------


def _decision_ids() -> set[str]:
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\*\*(D\d+)\.", text, re.M))


def test_entries_have_both_titles_known_segments_allowed_actions_and_real_decisions():
    specs, decided = load_specs(), _decision_ids()
    for entry in reasons().values():
        assert entry.title and entry.title_fr and entry.title != entry.title_fr, entry.id
        assert entry.decisions and set(entry.decisions) <= decided, entry.id
        if entry.segment == ANY_SEGMENT:
            continue
        spec = specs[entry.segment]
        allowed = (None,) if entry.not_sent or not spec.has_action else spec.actions
        assert entry.action in allowed, entry.id
        assert entry.rulebook, f"{entry.id} names no rule-book passage"


def test_rule_ids_are_unique_in_the_file():
    text = (ROOT / "onsis_batch" / "reasons.yaml").read_text(encoding="utf-8")
    ids = re.findall(r"^([A-Z][A-Z0-9-]*):$", text, re.M)
    assert len(ids) == len(set(ids)) == len(reasons())


def _write(tmp_path: Path, entry: dict[str, Any]) -> Path:
    base = {
        "segment": "PLAR",
        "action": "ADD",
        "title": "PLAR granted",
        "title_fr": "RAC accordée",
        "decisions": ["D51"],
        "rulebook": "PLAR Segment › ACTION (lines 3546-3556)",
    }
    path = tmp_path / "reasons.yaml"
    path.write_text(yaml.safe_dump({"PLAR-ADD": {**base, **entry}}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"titel": "x"}, "reasons.yaml.PLAR-ADD: unknown key(s) titel"),
        ({"action": "UPDATE"}, "reasons.yaml.PLAR-ADD.action: PLAR allows ('ADD',)"),
        ({"action": "MERGE"}, "reasons.yaml.PLAR-ADD.action: 'MERGE' is not one of"),
        ({"segment": "PLARS"}, "reasons.yaml.PLAR-ADD.segment: no segment spec 'PLARS'"),
        ({"decisions": ["51"]}, "reasons.yaml.PLAR-ADD.decisions: must be a list"),
        ({"title_fr": " "}, "reasons.yaml.PLAR-ADD.title_fr: must be a non-empty text"),
        ({"rulebook": "PLAR Segment"}, "reasons.yaml.PLAR-ADD.rulebook: 'PLAR Segment' is not"),
        ({"rulebook": "X (lines 9-3)"}, "reasons.yaml.PLAR-ADD.rulebook: 'X (lines 9-3)' ends"),
    ],
)
def test_a_malformed_entry_is_refused_with_file_and_key_path(tmp_path, change, message):
    with pytest.raises(SpecError) as raised:
        load_reasons(_write(tmp_path, change))
    assert str(raised.value).startswith(message)


def test_a_missing_key_and_a_student_action_are_refused(tmp_path):
    path = tmp_path / "reasons.yaml"
    path.write_text("STU-X: {segment: STUDENT, title: a, title_fr: b, decisions: []}\n")
    with pytest.raises(SpecError, match=r"reasons.yaml.STU-X: missing key\(s\) action"):
        load_reasons(path)
    path.write_text(
        "STU-X: {segment: STUDENT, action: ADD, title: a, title_fr: b, decisions: []}\n"
    )
    with pytest.raises(SpecError, match=r"STU-X.action: STUDENT allows \(None,\)"):
        load_reasons(path)


def test_rulebook_references_read_back_as_written():
    refs = [str(r) for r in reasons()["SSE-UPD-EXCLUDED"].rulebook]
    assert refs == [
        "Student School Enrolment Segment › Selection Criteria (line 1549)",
        "Student Segment › Selection Criteria (line 1435)",
    ]
    assert reason_title("SSE-ADD-NEW", "fr") == "Inscrit pendant la période, nouveau pour OnSIS"
    assert reason_title("NO-SUCH-ID") is None and reason_title(None) is None


# --- the reasons command -------------------------------------------------------------------


def _run(*args: str):
    return CliRunner().invoke(cli, ["reasons", *args])


def test_reasons_lists_every_id_by_segment_with_decisions_and_rule_book():
    result = _run()
    assert result.exit_code == 0, result.output
    assert all(reason_id in result.output for reason_id in reasons())
    lines = result.output.splitlines()
    at = lines.index("STUDENT_SCHOOL_ENROLMENT")
    assert re.match(r"  SSE-ADD-NEW +ADD +Enrolled in the period, new to OnSIS$", lines[at + 1])
    decided = "D5, D11, D314, D780, D781, D783, D785"
    rule = "Student School Enrolment Segment › ACTION (lines 1621-1629)"
    assert f"{decided} · {rule}" in lines[at + 2]


def test_reasons_of_one_segment_in_french_and_as_json():
    result = _run("student_class_enrolment", "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert "Classe suivie pendant la période, nouvelle pour OnSIS" in result.output
    assert "Tous les segments" in result.output and "OVERRIDE" in result.output
    assert "SSE-ADD-NEW" not in result.output
    data = json.loads(_run("SALEP", "--json", "--lang", "fr").output)["reasons"]
    assert [d["id"] for d in data] == [
        "SALEP-ADD",
        "SALEP-UPD",
        "SALEP-UPD-NONRETURNING",
        "SALEP-DEL",
        "PARENT-ADD",
        "OVERRIDE",
    ]
    assert data[0]["title"] == data[0]["title_fr"] != data[0]["title_en"]
    assert data[0]["rulebook"] == ["SALEP Segment › Selection Criteria (lines 3994-4004)"]


def test_reasons_of_an_unknown_segment_is_a_usage_error():
    result = _run("NOPE")
    assert result.exit_code == 2 and "no segment 'NOPE'" in result.output


def test_listing_data_covers_the_catalog_once():
    data, text = reason_listing()
    assert sorted(d["id"] for d in data) == sorted(reasons()) and text


# --- explain and the HTML report show the titles -------------------------------------------


def _scenario_run() -> tuple[SegmentContext, Plan, list[Any]]:
    scenario = Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3))
    ctx = scenario.context()
    plan, findings = build_plan(ctx)
    return ctx, plan, findings


def test_explain_gives_each_row_its_title_in_both_languages_and_text_shows_one():
    ctx, plan, findings = _scenario_run()
    data = explain(ctx, plan, findings, Subject("oen", "999000001"))
    sse = next(s for s in data["segments"] if s["segment"] == "STUDENT_SCHOOL_ENROLMENT")
    row = sse["rows"][0]
    assert (row["reason"], row["reason_title_en"], row["reason_title_fr"]) == (
        "SSE-ADD-NEW",
        "Enrolled in the period, new to OnSIS",
        "Inscrit pendant la période, nouveau pour OnSIS",
    )
    assert "ADD     SSE-ADD-NEW · Enrolled in the period, new to OnSIS · OEN=" in explain_text(data)
    assert "SSE-ADD-NEW · Inscrit pendant la période" in explain_text(data, "fr")


def test_html_report_shows_the_title_beside_the_rule_id_in_the_report_language():
    _, plan, findings = _scenario_run()
    result = RunResult(bsid=plan.period.bsid, period=plan.period, plan=plan, planned=True)
    result.findings = findings
    for lang, title in (
        ("en", "Enrolled in the period, new to OnSIS"),
        ("fr", "Inscrit pendant la période, nouveau pour OnSIS"),
    ):
        page = render_report(result, ReportOptions(lang=lang), set(), datetime(2025, 10, 31))
        assert f'["SSE-ADD-NEW","{title}"]' in page  # in the students' data
