import io

import pytest
from lxml import etree
from sample_plans import CREATED, simple_plan

from onsis_batch.render.xml import render_plan
from onsis_batch.validate import xsd
from onsis_batch.validate.xsd import build_xsd, main, schema_path


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(build_xsd().encode()))


@pytest.fixture
def document() -> etree._Element:
    sink = io.BytesIO()
    render_plan(simple_plan(oens=("123456789",)), sink, created=CREATED)
    return etree.fromstring(sink.getvalue())


def test_committed_schema_is_current():
    assert schema_path().read_text(encoding="utf-8") == build_xsd()
    assert main(["--check"]) == 0


def test_build_is_deterministic():
    assert build_xsd() == build_xsd()


def test_code_tables_share_one_type():
    text = build_xsd()
    assert text.count('<xs:simpleType name="code.language_type.opt">') == 1
    assert text.count('type="code.language_type.opt"') >= 2  # STUDENT and enrolment


def test_valid_document_passes(schema, document):
    assert schema.validate(document), schema.error_log


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (".//STUDENT_DOB", "2008-04-01"),
        (".//ENROLMENT_START_DATE", "2025/9/2"),
        (".//MAIN_SCHOOL_FLAG", "Y"),
        (".//GRADE_TYPE", "13"),
        (".//CURRENT_RESIDENCE_PROVINCE", "Ontario"),
        (".//FTE", "1.0"),
        (".//POSTAL_AREA_TYPE", "K1A0B1"),
        (".//YEAR_OF_ENTRY_TO_CANADA", "2015/09/01"),
        (".//STUDENT_LEGAL_GIVEN_NAME", "x" * 31),
        (".//OEN", "12345678"),
        (".//OEN", ""),
        (".//ACTION", ""),
        (".//ACTION", "INSERT"),
        ("HEADER/TIME", "2:30pm"),
        ("HEADER/VERSION", "2.0"),
        (".//SCHOOL_NUMBER", "12345A"),
        (".//CLEAR_CLASS", "T"),
    ],
)
def test_invalid_values_are_rejected(schema, document, path, value):
    document.find(path).text = value
    assert not schema.validate(document)


@pytest.mark.parametrize("name", ["STUDENT_DOB", "GRADE_TYPE", "FTE", "MAIN_SCHOOL_FLAG"])
def test_optional_elements_may_be_empty_or_absent(schema, document, name):
    element = document.find(f".//{name}")
    element.text = None
    assert schema.validate(document), schema.error_log
    element.getparent().remove(element)
    assert schema.validate(document), schema.error_log


def test_required_element_may_not_be_absent(schema, document):
    oen = document.find(".//OEN")
    oen.getparent().remove(oen)
    assert not schema.validate(document)


def test_one_enrolment_per_student(schema, document):
    student = document.find(".//STUDENT")
    student.append(etree.fromstring(etree.tostring(student.find("STUDENT_SCHOOL_ENROLMENT"))))
    assert not schema.validate(document)


def test_element_order_is_enforced(schema, document):
    student = document.find(".//STUDENT")
    student.append(student.find("OEN"))
    assert not schema.validate(document)


def test_check_reports_a_stale_file(tmp_path, monkeypatch):
    target = tmp_path / "onsis_batch.xsd"
    monkeypatch.setattr(xsd, "schema_path", lambda: target)
    assert main(["--check"]) == 1
    assert main([]) == 0
    assert target.read_text(encoding="utf-8") == build_xsd()
    assert main(["--check"]) == 0
