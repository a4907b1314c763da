"""DIPLOMA, SHSM and STUDENT_NON_ENROLMENT written as XML: schema order, DELETE before
ADD, YYYY/MM dates, and the file validates against the generated XSD. The rules
themselves are scenario cases (tests/cases/DIPLOMA.yaml, SHSM_PROGRAM.yaml,
STUDENT_NON_ENROLMENT.yaml)."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from builders import Scenario
from lxml import etree

from onsis_batch.render.xml import render_plan
from onsis_batch.validate.batch_file import check_plan
from onsis_batch.validate.xsd import schema_path


def _scenario() -> Scenario:
    s = Scenario()
    # 1: enrolled, diploma type changed (DELETE then ADD), SHSM program replaced with a
    # certification and SPCE; 2: former student with a diploma (non-enrolment).
    s.student("1", "999000001", diploma_type="4", diploma_date=date(2026, 2, 10))
    s.enrol("1", date(2025, 9, 3), grade_level="12")
    s.in_pae("999000001", enrolment_start_date=date(2025, 9, 3), grade_type="12")
    s.student("2", "999000002", diploma_type="1", diploma_date=date(2026, 1, 20), gender="M")
    s.enrol("2", date(2024, 9, 3), date(2025, 6, 27), grade_level="12")
    s.extra["programs"] = [
        {"program_id": "HLW1", "is_shsm": True, "shsm_program_type": "HLW"},
        {"program_id": "ICT1", "is_shsm": True, "shsm_program_type": "ICT"},
    ]
    s.extra["program_enrolments"] = [
        {
            "student_id": "1",
            "program_id": "HLW1",
            "entry_date": date(2024, 9, 3),
            "exit_date": date(2026, 1, 5),
        },
        {
            "student_id": "1",
            "program_id": "ICT1",
            "entry_date": date(2026, 1, 5),
            "shsm_requirements_met_date": date(2026, 3, 2),
            "spce_innovation": True,
        },
    ]
    s.extra["shsm_certification_map"] = [{"program_id": "ICT1", "certification_type": "020"}]
    s.extra["shsm_certifications"] = [
        {
            "student_id": "1",
            "certification_type": "020",
            "date_completed": date(2026, 2, 14),
            "hours": 7.5,
        }
    ]
    s.pae["0026"] = [
        {"oen": "999000001", "diploma_type": "1", "certificate_issued": date(2026, 2, 10)}
    ]
    s.pae["0028"] = [{"oen": "999000001", "shsm_program_type": "HLW"}]
    return s


def _xml(s: Scenario, kind: str = "mar") -> etree._Element:
    plan, _ = s.plan(kind)
    assert check_plan(plan) == []
    sink = io.BytesIO()
    render_plan(plan, sink, created=datetime(2026, 3, 1))
    tree = etree.fromstring(sink.getvalue())
    schema = etree.XMLSchema(etree.parse(str(schema_path())))
    assert schema.validate(tree), schema.error_log
    return tree


def test_credentials_validate_and_are_written_in_schema_order():
    tree = _xml(_scenario())
    enrolment = tree.xpath("//STUDENT[OEN='999000001']/STUDENT_SCHOOL_ENROLMENT")[0]
    children = [c.tag for c in enrolment if c.tag in {"DIPLOMA", "SHSM_PROGRAM", "SPCE"}]
    assert children == ["DIPLOMA", "DIPLOMA", "SHSM_PROGRAM", "SHSM_PROGRAM", "SPCE"]
    # DELETE before ADD, within each segment
    assert enrolment.xpath("DIPLOMA/ACTION/text()") == ["DELETE", "ADD"]
    assert enrolment.xpath("DIPLOMA/TYPE/text()") == ["1", "4"]
    assert enrolment.xpath("SHSM_PROGRAM/ACTION/text()") == ["DELETE", "ADD"]
    added = enrolment.xpath("SHSM_PROGRAM[ACTION='ADD']")[0]
    assert added.xpath("ALL_REQUIREMENTS_MET_DATE/text()") == ["2026/03"]
    assert added.xpath("SHSM_CERTIFICATION/DATE_COMPLETED/text()") == ["2026/02"]
    assert added.xpath("SHSM_CERTIFICATION/CERTIFICATION_HOURS/text()") == ["7.50"]
    assert enrolment.xpath("SPCE/SPCE_TYPE/text()") == ["1"]


def test_a_non_enrolled_student_has_no_school_enrolment_in_the_file():
    tree = _xml(_scenario())
    student = tree.xpath("//STUDENT[OEN='999000002']")[0]
    assert student.xpath("STUDENT_SCHOOL_ENROLMENT") == []
    ne = student.xpath("STUDENT_NON_ENROLMENT")[0]
    assert ne.xpath("MAIN_SCHOOL_FLAG/text()") == ["T"]
    assert ne.xpath("DIPLOMA/CERTIFICATE_ISSUED/text()") == ["2026/01/20"]
    assert [s.xpath("OEN/text()")[0] for s in tree.xpath("//STUDENT")] == [
        "999000001",
        "999000002",
    ]


def test_credential_findings_name_the_file_row_and_column():
    s = Scenario()
    s.student("1", "999000001", diploma_type="1", diploma_date=date(2026, 9, 30))
    s.enrol("1", date(2025, 9, 3), grade_level="12")
    s.student(
        "2",
        "999000002",
        diploma_type="1",
        diploma_date=date(2025, 9, 30),
        graduation_school_id="300",
    )
    s.enrol("2", date(2025, 9, 3), grade_level="12")
    s.student("3", "999000003")
    s.enrol("3", date(2025, 9, 3), grade_level="9")
    s.extra["programs"] = [{"program_id": "HLW1", "is_shsm": True, "shsm_program_type": "HLW"}]
    s.extra["program_enrolments"] = [
        {"student_id": "3", "program_id": "HLW1", "entry_date": date(2025, 9, 3)}
    ]
    _, findings = s.plan("oct")
    found = {
        (f.code, f.file, f.row, f.column)
        for f in findings
        if f.code in {"DIP001", "DIP002", "SHS001"}
    }
    assert found == {
        ("DIP001", "students", 2, "diploma_date"),
        ("DIP002", "students", 3, "graduation_school_id"),
        ("SHS001", "program_enrolments", 2, "program_id"),
    }
    messages = " ".join(f.message_en for f in findings)
    assert "2026-09-30" not in messages and "Given" not in messages


def test_the_sample_files_show_every_action_of_the_credential_segments():
    golden = Path(__file__).resolve().parent / "golden"
    seen: dict[str, set[str]] = {}
    for path in sorted(golden.glob("ONSIS_*.xml")):
        tree = etree.parse(str(path))
        for where, name in [
            ("STUDENT_SCHOOL_ENROLMENT/DIPLOMA", "DIPLOMA"),
            ("STUDENT_SCHOOL_ENROLMENT/SHSM_PROGRAM", "SHSM_PROGRAM"),
            ("STUDENT_SCHOOL_ENROLMENT/SHSM_PROGRAM/SHSM_CERTIFICATION", "SHSM_CERTIFICATION"),
            ("STUDENT_SCHOOL_ENROLMENT/SPCE", "SPCE"),
            ("STUDENT_NON_ENROLMENT", "STUDENT_NON_ENROLMENT"),
            ("STUDENT_NON_ENROLMENT/DIPLOMA", "NE_DIPLOMA"),
            ("STUDENT_NON_ENROLMENT/SHSM_PROGRAM/SHSM_CERTIFICATION", "NE_SHSM_CERTIFICATION"),
            ("STUDENT_NON_ENROLMENT/SPCE", "NE_SPCE"),
        ]:
            seen.setdefault(name, set()).update(tree.xpath(f"//STUDENT/{where}/ACTION/text()"))
    assert seen == {
        "DIPLOMA": {"ADD", "UPDATE", "DELETE"},
        "SHSM_PROGRAM": {"ADD", "UPDATE", "DELETE"},
        "SHSM_CERTIFICATION": {"ADD"},
        "SPCE": {"ADD"},
        "STUDENT_NON_ENROLMENT": {"ADD"},
        "NE_DIPLOMA": {"ADD"},
        "NE_SHSM_CERTIFICATION": {"ADD"},
        "NE_SPCE": {"ADD"},
    }


def test_unknown_credential_codes_are_reported_with_file_row_and_column(tmp_path: Path):
    from onsis_batch.sources import load_folder

    (tmp_path / "students.csv").write_text(
        "student_id,first_name,last_name,birth_date,diploma_type\n1,A,B,2008-01-01,5\n"
    )
    (tmp_path / "programs.csv").write_text("program_id,is_shsm,shsm_program_type\nP1,T,XYZ\n")
    (tmp_path / "shsm_certifications.csv").write_text(
        "student_id,certification_type,date_completed\n1,20,2025-10-01\n"
    )
    result = load_folder(tmp_path, tables=["students", "programs", "shsm_certifications"])
    found = {(f.code, f.file, f.row, f.column) for f in result.findings}
    assert found == {
        ("SRC006", "students.csv", 2, "diploma_type"),
        ("SRC006", "programs.csv", 2, "shsm_program_type"),
        ("SRC006", "shsm_certifications.csv", 2, "certification_type"),
    }
