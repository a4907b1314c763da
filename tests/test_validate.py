from pathlib import Path

import polars as pl
import pytest
from sample_plans import CREATED, enrolments, period, simple_plan, students

from onsis_batch.plan.model import Plan
from onsis_batch.render.xml import render_plan
from onsis_batch.validate import batch_file as validate
from onsis_batch.validate.batch_file import check_plan, validate_file


def write(plan: Plan, path: Path) -> Path:
    with path.open("wb") as sink:
        render_plan(plan, sink, created=CREATED)
    return path


def with_enrolment_values(plan: Plan, **values) -> Plan:
    sse = plan.segments["STUDENT_SCHOOL_ENROLMENT"].with_columns(
        **{k: pl.lit(v) for k, v in values.items()}
    )
    return Plan(period=plan.period, segments={**plan.segments, "STUDENT_SCHOOL_ENROLMENT": sse})


def test_valid_file_has_no_findings(tmp_path):
    assert validate_file(write(simple_plan(), tmp_path / "ok.xml")) == []


def test_external_entity_is_not_resolved_and_is_reported(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE ONSIS_BATCH_FILE [<!ENTITY xxe SYSTEM "file://{secret}">\n'
        '  <!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        "<ONSIS_BATCH_FILE><HEADER><VERSION>&xxe;</VERSION>"
        "<BATCH_TYPE>&b;</BATCH_TYPE></HEADER></ONSIS_BATCH_FILE>\n"
    )
    findings = validate_file(hostile)
    [doctype] = findings
    assert doctype.code == "XSD001"
    assert "DOCTYPE" in doctype.message_en and "xxe" in doctype.message_en
    assert all("TOP-SECRET" not in str(f) for f in findings)


def test_malformed_file_gives_xsd002_with_line(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?>\n<ONSIS_BATCH_FILE>\n  <HEADER>\n</ONSIS_BATCH_FILE>\n'
    )
    [problem] = validate_file(broken)
    assert (problem.code, problem.line) == ("XSD002", 4)
    assert "HEADER" in problem.message_en


def test_missing_file_gives_xsd002(tmp_path):
    [problem] = validate_file(tmp_path / "nope.xml")
    assert problem.code == "XSD002"


def test_schema_error_is_located(tmp_path):
    plan = with_enrolment_values(simple_plan(), GRADE_TYPE="13")
    findings = validate_file(write(plan, tmp_path / "bad.xml"))
    assert [f.code for f in findings] == ["XSD001", "XSD001"]
    first = findings[0]
    assert first.xpath.endswith("/STUDENT[1]/STUDENT_SCHOOL_ENROLMENT/GRADE_TYPE")
    assert (first.segment, first.key) == ("STUDENT_SCHOOL_ENROLMENT", "123456789")
    assert first.line is not None and "'13'" in first.message_en


def test_schema_findings_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(validate, "MAX_FINDINGS", 3)
    oens = tuple(f"{n:09d}" for n in range(1, 6))
    plan = with_enrolment_values(simple_plan(oens=oens), GRADE_TYPE="13")
    findings = validate_file(write(plan, tmp_path / "bad.xml"))
    assert len(findings) == 4
    assert "2 more" in findings[-1].message_en


def test_schema_argument_is_used(tmp_path):
    schema = tmp_path / "tiny.xsd"
    schema.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:element name="OTHER"/></xs:schema>'
    )
    findings = validate_file(write(simple_plan(), tmp_path / "ok.xml"), schema=schema)
    assert [f.code for f in findings] == ["XSD001"]


def mandatory_plan(**enrolment) -> Plan:
    return Plan(
        period=period(enrolment.pop("private", False)),
        segments={
            "STUDENT": students({"OEN": "123456789"}),
            "STUDENT_SCHOOL_ENROLMENT": enrolments({"_parent": "123456789", **enrolment}),
        },
    )


def test_check_plan_clean():
    assert check_plan(simple_plan()) == []


def test_mandatory_on_add_value_missing():
    [missing] = check_plan(mandatory_plan(GRADE_TYPE=None))
    assert missing.code == "OUT001"
    assert (missing.segment, missing.key) == ("STUDENT_SCHOOL_ENROLMENT", "SSE-123456789")
    assert missing.params["element"] == "GRADE_TYPE"
    assert "GRADE_TYPE" in missing.message_en


def test_mandatory_element_omitted_counts_as_missing():
    [missing] = check_plan(mandatory_plan(FTE__omit=True))
    assert (missing.code, missing.params["element"]) == ("OUT001", "FTE")


def test_mandatory_only_for_the_listed_actions():
    assert check_plan(mandatory_plan(GRADE_TYPE=None, _action="UPDATE")) == []


def test_public_only_element_is_not_checked_for_a_private_school():
    assert check_plan(mandatory_plan(FTE=None, private=True)) == []


@pytest.mark.parametrize(("length", "found"), [(30, False), (31, True)])
def test_text_longer_than_max_length(length, found):
    plan = Plan(
        period=period(),
        segments={
            "STUDENT": students({"OEN": "123456789", "STUDENT_LEGAL_LAST_NAME": "é" * length}),
        },
    )
    findings = check_plan(plan)
    assert [f.code for f in findings] == (["OUT003"] if found else [])
    if found:
        assert (findings[0].segment, findings[0].key) == ("STUDENT", "123456789")
        assert findings[0].params["max_length"] == 30
