"""Overrides: applied after every rule, listed in the findings, summary and manifest;
expired, unmatched, ambiguous and malformed entries are findings, never silent."""

import json
from datetime import date

import polars as pl
import pytest
import yaml
from builders import BSID, Scenario, write_scenario
from click.testing import CliRunner
from lxml import etree

from onsis_batch.cli import cli
from onsis_batch.plan.overrides import OverrideSet, apply_overrides, load_overrides

STAMP = "2025-10-31T09:30:00"
NAME = f"ONSIS_OCTSEC1_20251031_{BSID}.xml"
SSE1 = "OEN=999000001 / STUDENT_SCHOOL_ENROLMENT"
SSE2 = "OEN=999000002 / STUDENT_SCHOOL_ENROLMENT"


def school():
    return (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2023, 9, 5))
        .in_pae("999000001")
        .student("2", "999000002")
        .enrol("2", date(2025, 9, 3))
    )


def entry(segment="STUDENT_SCHOOL_ENROLMENT", key=SSE1, **values):
    base = {"segment": segment, "key": key, "reason": "Principal approved", "author": "Registrar"}
    return base | {"expires": "2025-12-31"} | values


def write(tmp_path, *entries):
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump({"overrides": list(entries)}))
    return path


def codes(findings):
    return [f.code for f in findings]


def test_an_override_sets_elements_forces_the_action_and_names_its_rule(tmp_path):
    plan, _ = school().plan()
    path = write(
        tmp_path,
        entry(set={"GRADE_TYPE": "12"}),
        entry(key=SSE2.lower(), action="UPDATE"),  # keys match whatever the case
    )
    entries, problems = load_overrides(path)
    assert not problems
    changed, applied, found = apply_overrides(plan, entries, today=date(2025, 10, 31))
    assert codes(found) == ["OVR004", "OVR004"]
    rows = {r["_id"]: r for r in changed.segments["STUDENT_SCHOOL_ENROLMENT"].to_dicts()}
    assert rows["1"]["GRADE_TYPE"] == "12" and rows["1"]["_reason"] == "OVERRIDE"
    assert rows["2"]["_action"] == "UPDATE" and rows["2"]["_reason"] == "OVERRIDE"
    assert applied[0]["changes"] == [{"element": "GRADE_TYPE", "old": "11", "new": "12"}]
    assert applied[1]["changes"] == [{"element": "ACTION", "old": "ADD", "new": "UPDATE"}]
    assert applied[0] | {"changes": []} == {
        "segment": "STUDENT_SCHOOL_ENROLMENT",
        "key": SSE1,
        "changes": [],
        "reason": "Principal approved",
        "author": "Registrar",
        "expires": "2025-12-31",
        "entry": 1,
    }
    untouched = plan.segments["STUDENT_SCHOOL_ENROLMENT"].filter(pl.col("_id") == "1")
    assert untouched["GRADE_TYPE"].item() == "11"  # the original plan is left as it was


def test_expired_unmatched_and_ambiguous_overrides_are_findings_and_not_applied(tmp_path):
    scenario = school().student("3", None).enrol("3", date(2025, 9, 3))
    scenario = scenario.student("4", None).enrol("4", date(2025, 9, 3))
    plan, _ = scenario.plan()
    path = write(
        tmp_path,
        entry(set={"GRADE_TYPE": "12"}, expires="2025-10-30"),
        entry(key="OEN=123456789 / STUDENT_SCHOOL_ENROLMENT", set={"GRADE_TYPE": "12"}),
        entry(key="OEN=000000000 / STUDENT_SCHOOL_ENROLMENT", set={"GRADE_TYPE": "12"}),
    )
    entries, _ = load_overrides(path)
    changed, applied, found = apply_overrides(plan, entries, today=date(2025, 10, 31))
    assert codes(found) == ["OVR001", "OVR002", "OVR005"]
    sse = "STUDENT_SCHOOL_ENROLMENT"
    assert applied == [] and changed.segments[sse].equals(plan.segments[sse])
    assert [f.row for f in found] == [1, 2, 3]


def test_an_action_the_segment_does_not_allow_is_refused_and_stops_the_run(tmp_path):
    plan, _ = school().plan()  # STUDENT_SCHOOL_ENROLMENT allows ADD and UPDATE only
    refused = OverrideSet.load(write(tmp_path, entry(action="DELETE")))
    changed, applied, found = refused.apply(plan, date(2025, 10, 31))
    assert applied == [] and codes(found) == ["OVR006"] and found[0].severity == "error"
    assert "only allows ADD, UPDATE" in found[0].message_en
    sse = "STUDENT_SCHOOL_ENROLMENT"
    assert changed.segments[sse].equals(plan.segments[sse])


def test_malformed_entries_are_errors_naming_the_entry(tmp_path):
    path = write(
        tmp_path,
        entry(set={"NO_SUCH_ELEMENT": "1"}),
        entry(set={"GRADE_TYPE": "12"}, author=None),
        entry(segment="STUDENT", key="OEN=999000001", action="DELETE"),
        entry(set={"GRADE_TYPE": "12"}, expires="someday"),
        entry(set={"GRADE_TYPE": "12"}, colour="blue"),
        entry(),
    )
    entries, found = load_overrides(path)
    assert entries == [] and codes(found) == ["OVR003"] * 6
    assert [f.row for f in found] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    "text",
    ["overrides: {not: a list}", "- segment: STUDENT\n", "entries: []\n", "overrides: []\nx: 1\n"],
)
def test_a_file_without_the_top_level_overrides_list_says_so_not_entry_none(tmp_path, text):
    (tmp_path / "bad.yaml").write_text(text)
    entries, found = load_overrides(tmp_path / "bad.yaml")
    assert entries == [] and codes(found) == ["OVR008"] and found[0].severity == "error"
    assert "top-level `overrides:` key" in found[0].message_en
    assert "clé `overrides:` au premier niveau" in found[0].message_fr
    assert "None" not in found[0].message_en + found[0].message_fr


def test_a_value_that_does_not_fit_the_element_stops_the_run(tmp_path):
    plan, _ = school().plan()
    bad = OverrideSet.load(write(tmp_path, entry(set={"FTE": "lots"})))
    _, applied, found = bad.apply(plan, date(2025, 10, 31))
    assert applied == [] and codes(found) == ["OVR003"]


def test_personal_values_are_masked_in_what_is_reported(tmp_path):
    plan, _ = school().plan()
    path = write(
        tmp_path,
        entry(segment="STUDENT", key="OEN=999000001", set={"STUDENT_LEGAL_LAST_NAME": "Secret"}),
    )
    changed, applied, found = OverrideSet.load(path).apply(plan, date(2025, 10, 31))
    assert applied[0]["changes"][0] == {
        "element": "STUDENT_LEGAL_LAST_NAME",
        "old": "(personal)",
        "new": "(personal)",
    }
    assert "Secret" not in found[0].message_en
    names = changed.segments["STUDENT"].filter(pl.col("_id") == "1")
    assert names["STUDENT_LEGAL_LAST_NAME"].item() == "Secret"


def generate(tmp_path, overrides):
    data, pae = write_scenario(school(), tmp_path)
    out = tmp_path / "out"
    args = ["generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct"]
    args += ["--year", "2025-2026", "--out", out, "--timestamp", STAMP, "--overrides", overrides]
    return CliRunner().invoke(cli, [str(a) for a in args]), out


def test_generate_applies_overrides_and_records_them_in_summary_and_manifest(tmp_path):
    path = write(
        tmp_path,
        entry(set={"GRADE_TYPE": "12"}),
        entry(key=SSE2, set={"GRADE_TYPE": "10"}, expires="2025-10-01"),
    )
    result, out = generate(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert "OVR004" in result.output and "OVR001" in result.output
    tree = etree.parse(str(out / NAME))
    grades = tree.xpath("//STUDENT[OEN='999000001']/STUDENT_SCHOOL_ENROLMENT/GRADE_TYPE/text()")
    assert grades == ["12"]
    manifest = json.loads((out / f"{NAME}.manifest.json").read_text())
    assert [(o["key"], o["entry"]) for o in manifest["overrides_applied"]] == [(SSE1, 1)]
    assert manifest["options"]["overrides"] == str(path)


def test_an_override_never_fills_in_missing_data_silently(tmp_path):
    # emptying an element mandatory on ADD is reported like any missing value (OUT001)
    path = write(tmp_path, entry(key=SSE2, set={"GRADE_TYPE": None}))
    result, _ = generate(tmp_path, path)
    assert result.exit_code == 1 and "OUT001" in result.output


def test_generate_stops_on_a_malformed_overrides_file(tmp_path):
    path = write(tmp_path, entry(set={"NO_SUCH_ELEMENT": "1"}))
    result, out = generate(tmp_path, path)
    assert result.exit_code == 2 and "OVR003" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_explain_takes_generates_timestamp_and_reports_the_same_override_findings(tmp_path):
    path = write(
        tmp_path,
        entry(set={"GRADE_TYPE": "12"}),  # live on 2025-10-31, expired today
        entry(key=SSE2, set={"GRADE_TYPE": "10"}, expires="2025-10-01"),
    )
    data, pae = write_scenario(school(), tmp_path)
    args = ["--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct", "--year", "2025-2026"]
    args += ["--overrides", path, "--timestamp", STAMP, "--json"]
    result = CliRunner().invoke(cli, [str(a) for a in ["generate", *args, "--out", tmp_path / "o"]])
    found = json.loads(result.output)["findings"]
    generated = {(f["code"], f["row"]) for f in found if f["code"].startswith("OVR")}
    assert generated == {("OVR004", 1), ("OVR001", 2)}
    args = ["explain", *args]
    for oen in ("999000001", "999000002"):  # whichever record: the run's override findings
        explained = CliRunner().invoke(cli, [str(a) for a in [*args, "--oen", oen]])
        assert explained.exit_code == 0, explained.output
        found = json.loads(explained.output)["findings"]
        assert {(f["code"], f["row"]) for f in found if f["code"].startswith("OVR")} == generated
