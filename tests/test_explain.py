"""`onsis-batch explain`: one record's segments, actions, rule ids, input and PAE rows."""

from __future__ import annotations

import json
from datetime import date

import pytest
from builders import Scenario
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.report.explain import Subject, explain
from onsis_batch.report.explain_view import explain_text, labels

SEP = date(2025, 9, 2)
SPECIAL = [{"program_id": "SE", "is_special_education": True}]


def _scenario() -> Scenario:
    """Student 1 is new (ADD); student 2 is held by OnSIS (UPDATE) and has lost the
    exceptionality OnSIS holds (DELETE); student 3 starts after the count date."""
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", SEP)
        .student("2", "999000002")
        .enrol("2", date(2024, 9, 3))
        .in_pae("999000002", enrolment_start_date=date(2024, 9, 3))
        .student("3", "999000003")
        .enrol("3", date(2025, 11, 20))
    )
    scenario.extra["programs"] = SPECIAL
    scenario.extra["program_enrolments"] = [
        {
            "student_id": "1",
            "program_id": "SE",
            "entry_date": SEP,
            "exceptionality": "8",
            "placement": "I",
            "main_exceptionality": True,
        },
    ]
    scenario.pae["0005"] = [{"oen": "999000002", "exceptionality_type": "5"}]
    return scenario


@pytest.fixture(scope="module")
def run():
    ctx = _scenario().context()
    from onsis_batch.segments.build import build_plan

    plan, findings = build_plan(ctx)
    return ctx, plan, findings


def _explain(run, oen: str, **options):
    ctx, plan, findings = run
    return explain(ctx, plan, findings, Subject("oen", oen), **options)


def _segment(data, name):
    return next(s for s in data["segments"] if s["segment"] == name)


def test_added_student_lists_its_add_rows_rule_ids_and_input_rows(run):
    data = _explain(run, "999-000-001")
    assert data["found"] and data["subject"] == {"kind": "oen", "value": "999000001"}
    sse = _segment(data, "STUDENT_SCHOOL_ENROLMENT")
    assert [(r["action"], r["reason"]) for r in sse["rows"]] == [("ADD", "SSE-ADD-NEW")]
    assert sse["rows"][0]["key"] == "OEN=999000001 / STUDENT_SCHOOL_ENROLMENT"
    assert sse["input_rows"]["school_enrolments"] == [2]  # header is row 1
    assert sse["pae_rows"] == []
    sped = _segment(data, "SPECIAL_EDUCATION")
    assert [(r["action"], r["reason"]) for r in sped["rows"]] == [("ADD", "SPED-ADD")]
    assert sped["input_rows"] == {"program_enrolments": [2]}
    assert data["inputs"]["students"]["rows"] == [("2", "1")]  # _row, student_id


def test_updated_student_shows_the_pae_row_it_was_compared_with(run):
    data = _explain(run, "999000002")
    sse = _segment(data, "STUDENT_SCHOOL_ENROLMENT")
    assert [(r["action"], r["reason"]) for r in sse["rows"]] == [("UPDATE", "SSE-UPD-ENROLLED")]
    assert sse["pae_rows"] == [{"row": 3, "status": "UPDATE"}]
    assert data["pae"]["0003"]["rows"] == [("3", "999000002")]


def test_deleted_exceptionality_is_listed_with_its_pae_row(run):
    sped = _segment(_explain(run, "999000002"), "SPECIAL_EDUCATION")
    assert [(r["action"], r["reason"]) for r in sped["rows"]] == [("DELETE", "SPED-DEL")]
    assert sped["rows"][0]["elements"]["EXCEPTIONALITY_TYPE"] == "5"
    assert sped["pae_extract"] == "0005"
    assert sped["pae_rows"] == [{"row": 3, "status": "DELETE"}]


def test_student_not_sent_says_why_for_each_segment(run):
    data = _explain(run, "999000003")
    assert data["found"]
    student = _segment(data, "STUDENT")
    # the rule that left the student out, not just "not selected" (D844)
    assert not student["sent"] and student["why_not"] == "NOTSENT-STU-OUT-OF-PERIOD"
    assert [(n["record"], n["reason"], n["table"], n["row"]) for n in data["not_sent"]] == [
        ("3", "NOTSENT-STU-OUT-OF-PERIOD", "students", 4)
    ]
    assert student["input_rows"] == {"students": [4]}
    sse = _segment(data, "STUDENT_SCHOOL_ENROLMENT")
    assert sse["why_not"] == "EXPLAIN-PARENT-NOT-SENT"
    text = explain_text(data)
    assert "STUDENT: not sent (NOTSENT-STU-OUT-OF-PERIOD: Not enrolled in the period" in text
    french = explain_text(data, "fr")
    assert "STUDENT: non transmis (NOTSENT-STU-OUT-OF-PERIOD: Pas inscrit pendant" in french


def test_segment_with_nothing_anywhere_says_no_data(run):
    assert _segment(_explain(run, "999000002"), "SALEP")["why_not"] == "EXPLAIN-NO-DATA"


def test_names_and_birth_dates_only_with_show_pii(run):
    hidden = json.dumps(_explain(run, "999000001"), default=str)
    assert "Given1" not in hidden and "2009" not in hidden
    shown = _segment(_explain(run, "999000001", show_pii=True), "STUDENT")["rows"][0]
    assert shown["elements"]["STUDENT_LEGAL_GIVEN_NAME"] == "Given1"


def test_every_reason_has_an_english_and_a_french_label():
    assert set(labels("en")) == set(labels("fr"))
    assert {k for k in labels("en") if k.startswith("EXPLAIN-")} == {
        "EXPLAIN-NOT-IN-PERIOD",
        "EXPLAIN-PARENT-NOT-SENT",
        "EXPLAIN-CHECK-STOPPED",
        "EXPLAIN-HELD-UNCHANGED",
        "EXPLAIN-NOT-SELECTED",
        "EXPLAIN-NO-DATA",
    }


# --- the command, on the bundled sample ----------------------------------------------------


def _cli(*args: str):
    return CliRunner().invoke(cli, ["explain", "--sample", "--period", "oct", *args])


def test_class_held_unchanged_is_not_sent_and_other_oens_are_masked():
    result = _cli("--class", "mcv4u-01", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    klass = _segment(data, "CLASS")
    assert (klass["sent"], klass["why_not"]) == (False, "NOTSENT-CLS-HELD-UNCHANGED")
    assert [n["reason"] for n in data["not_sent"]] == ["NOTSENT-CLS-HELD-UNCHANGED"]
    assert klass["pae_rows"] == [{"row": 3, "status": "held"}]
    enrolments = _segment(data, "STUDENT_CLASS_ENROLMENT")["rows"]
    assert enrolments and all(r["key"].startswith("OEN=******") for r in enrolments)
    shown = json.loads(_cli("--class", "MCV4U-01", "--json", "--show-pii").output)
    assert not _segment(shown, "STUDENT_CLASS_ENROLMENT")["rows"][0]["key"].startswith("OEN=*")


def test_student_text_keeps_the_oen_asked_about_in_clear():
    result = _cli("--oen", "994076896")
    assert result.exit_code == 0, result.output
    assert "Explanation: OEN 994076896 (OCTSEC1" in result.output
    assert "UPDATE  SSE-UPD-EXCLUDED" in result.output
    assert "OEN=994076896 / STUDENT_SCHOOL_ENROLMENT" in result.output
    assert "WARNING SSE003: Student 994076896" in result.output


def test_unknown_record_is_exp001_and_exit_1():
    result = _cli("--men", "000000001", "--lang", "fr")
    assert result.exit_code == 1
    assert "ERREUR EXP001: Aucun dossier avec men 000000001" in result.output


def test_exactly_one_record_must_be_asked_for():
    assert _cli().exit_code == 2
    assert _cli("--oen", "1", "--men", "2").exit_code == 2


def test_a_finding_naming_the_segment_explains_why_it_was_not_sent(run):
    from onsis_batch.findings import Finding, Severity

    ctx, plan, findings = run
    stopped = Finding(
        code="SAL001",
        severity=Severity.WARNING,
        message_en="",
        message_fr="",
        segment="SALEP",
        key="999000002",
    )
    data = explain(ctx, plan, [*findings, stopped], Subject("oen", "999000002"))
    assert _segment(data, "SALEP")["why_not"] == "EXPLAIN-CHECK-STOPPED"
    assert [f["code"] for f in data["findings"]] == ["SAL001"]
