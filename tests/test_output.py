import hashlib
import stat

import polars as pl
import pytest
from sample_plans import CREATED, enrolments, period, simple_plan, students

from onsis_batch.plan.model import Plan
from onsis_batch.render import publish as output
from onsis_batch.render.publish import output_name, publish
from onsis_batch.render.xml import PlanShapeError

NAME = "ONSIS_OCTSEC1_20251031_123456.xml"


def bad_code_plan() -> Plan:
    plan = simple_plan()
    sse = plan.segments["STUDENT_SCHOOL_ENROLMENT"].with_columns(GRADE_TYPE=pl.lit("13"))
    return Plan(period=plan.period, segments={**plan.segments, "STUDENT_SCHOOL_ENROLMENT": sse})


def test_output_name():
    assert output_name(period()) == NAME


def test_publish_writes_a_private_valid_file(tmp_path):
    out_dir = tmp_path / "out" / "nested"
    result = publish(simple_plan(), out_dir, created=CREATED)
    assert result.path == out_dir / NAME
    assert result.findings == []
    data = result.path.read_bytes()
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in out_dir.iterdir()) == [NAME]


def test_invalid_plan_publishes_nothing_and_keeps_the_old_file(tmp_path):
    old = tmp_path / NAME
    old.write_bytes(b"previous submission")
    result = publish(bad_code_plan(), tmp_path, created=CREATED)
    assert result.path is None
    assert {f.code for f in result.findings} == {"XSD001"}
    assert old.read_bytes() == b"previous submission"
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_success_replaces_the_old_file(tmp_path):
    old = tmp_path / NAME
    old.write_bytes(b"previous submission")
    result = publish(simple_plan(), tmp_path, created=CREATED)
    assert result.path == old
    assert old.read_bytes().startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_warnings_do_not_stop_publication(tmp_path):
    plan = Plan(
        period=period(),
        segments={
            "STUDENT": students({"OEN": "123456789", "STUDENT_LEGAL_LAST_NAME": "Gőz"}),
            "STUDENT_SCHOOL_ENROLMENT": enrolments({"_parent": "123456789"}),
        },
    )
    result = publish(plan, tmp_path, created=CREATED)
    assert result.path is not None
    assert [f.code for f in result.findings] == ["OUT002"]


def test_no_temp_file_left_when_rendering_fails(tmp_path):
    plan = Plan(
        period=period(),
        segments={
            "STUDENT": students({"OEN": "123456789"}),
            "STUDENT_SCHOOL_ENROLMENT": enrolments({"_parent": "000000000"}),
        },
    )
    with pytest.raises(PlanShapeError):
        publish(plan, tmp_path, created=CREATED)
    assert list(tmp_path.iterdir()) == []


def test_no_temp_file_left_when_validation_crashes(tmp_path, monkeypatch):
    def crash(_path, **_options):
        raise RuntimeError("validator down")

    monkeypatch.setattr(output, "validate_file", crash)
    with pytest.raises(RuntimeError):
        publish(simple_plan(), tmp_path, created=CREATED)
    assert list(tmp_path.iterdir()) == []
