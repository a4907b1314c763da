"""Program segments beyond the YAML cases: finding locations, input codes, XML order and
validity of SPECIAL_EDUCATION, SECOND_LANGUAGE_PROGRAM and SALEP/COMPONENT."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from builders import Scenario
from lxml import etree
from sample_plans import CREATED
from test_sources import make_folder

from onsis_batch.render.xml import render_plan
from onsis_batch.sources import load_folder
from onsis_batch.validate.xsd import build_xsd

PROGRAMS = [
    {"program_id": "SE", "is_special_education": True},
    {"program_id": "SAL", "is_sal": True},
]
COURSES = [
    {"course_number": "ESL1", "ministry_code": "ESLBO", "course_type": "M", "credit": 1.0},
    {"course_number": "ELD1", "ministry_code": "ELDAO", "course_type": "M", "credit": 1.0},
]
TERMS = [
    {
        "term_id": "S1",
        "school_id": "100",
        "first_day": date(2025, 9, 2),
        "last_day": date(2026, 1, 30),
        "course_sem_type": "2",
    }
]
SECTIONS = [
    {"section_id": "1", "school_id": "100", "course_number": "ESL1", "term_id": "S1",
     "class_code": "ESL-1"},
    {"section_id": "2", "school_id": "100", "course_number": "ELD1", "term_id": "S1",
     "class_code": "ELD-1"},
]  # fmt: skip


def _scenario(programs: list[dict], **extra: list[dict]) -> Scenario:
    scenario = Scenario().student("1", "999000001").enrol("1", date(2025, 9, 2))
    scenario.extra.update({"programs": PROGRAMS, "program_enrolments": programs, **extra})
    return scenario


def _special(**values: object) -> dict:
    return {"student_id": "1", "program_id": "SE", "entry_date": date(2025, 9, 2), **values}


def _sal(**values: object) -> dict:
    return {
        "student_id": "1",
        "program_id": "SAL",
        "entry_date": date(2025, 9, 15),
        "sal_type": "001",
        "sal_status": "001",
        **values,
    }


def test_spe001_names_the_file_row_and_student_not_the_exceptionality():
    programs = [
        _special(exceptionality="5", main_exceptionality=True),
        _special(exceptionality="6", main_exceptionality=True, entry_date=date(2025, 9, 3)),
    ]
    _, findings = _scenario(programs).plan()
    found = [f for f in findings if f.code == "SPE001"]
    assert len(found) == 1
    assert (found[0].file, found[0].column) == ("program_enrolments", "main_exceptionality")
    assert found[0].params["mains"] == 2
    assert "5" not in found[0].message_en.split("main exceptionalities")[1]


def test_spe002_main_flag_without_exceptionality():
    _, findings = _scenario([_special(placement="I", main_exceptionality=True)]).plan()
    assert [f.code for f in findings if f.code.startswith("SPE")] == ["SPE002"]


def test_sal001_sal002_sal003_locations():
    untyped = _sal(sal_type=None, sal_components="001")
    _, findings = _scenario([untyped]).plan()
    assert [(f.code, f.column) for f in findings if f.code.startswith("SAL")] == [
        ("SAL001", "sal_type")
    ]
    _, findings = _scenario([_sal(sal_components="001,042")]).plan()
    sal002 = [f for f in findings if f.code == "SAL002"]
    assert [(f.column, f.params["value"]) for f in sal002] == [("sal_components", "042")]
    _, findings = _scenario([_sal()]).plan()
    assert [f.code for f in findings if f.code.startswith("SAL")] == ["SAL003"]


def test_unknown_program_codes_are_input_errors(tmp_path: Path):
    rows = (
        "student_id,program_id,entry_date,exceptionality,placement,sal_type,sal_status\n"
        "1,SE,2025-09-02,77,R,,\n"
        "1,SAL,2025-09-15,,,001,009\n"
    )
    folder = make_folder(
        tmp_path,
        programs__csv="program_id,is_special_education,is_sal\nSE,T,F\nSAL,F,T\n",
        program_enrolments__csv=rows,
    )
    result = load_folder(folder)
    codes = sorted((f.code, f.row, f.column) for f in result.findings)
    assert ("SRC006", 2, "exceptionality") in codes
    assert ("SRC006", 3, "sal_status") in codes
    # an exceptionality is personal: its value is not quoted
    personal = [f for f in result.findings if f.column == "exceptionality"]
    assert "77" not in personal[0].message_en


def _document(scenario: Scenario, kind: str = "oct") -> etree._Element:
    plan, _ = scenario.plan(kind)
    sink = io.BytesIO()
    render_plan(plan, sink, created=CREATED)
    return etree.fromstring(sink.getvalue())


def _every_action() -> Scenario:
    """One student with every action of the three program segments."""
    programs = [
        _special(exceptionality="5", placement="R", main_exceptionality=True, iep=True),
        _special(placement="I", entry_date=date(2025, 9, 4)),
        _sal(sal_type="002", sal_components="001,008"),
    ]
    enrolments = [
        {"student_id": "1", "section_id": "2", "date_enrolled": date(2025, 9, 2),
         "date_left": date(2026, 1, 31)},
    ]  # fmt: skip
    scenario = _scenario(
        programs, courses=COURSES, terms=TERMS, sections=SECTIONS, class_enrolments=enrolments
    )
    scenario.in_pae("999000001")
    scenario.pae.update(
        {
            "0005": [{"oen": "999000001", "exceptionality_type": "5"},
                     {"oen": "999000001", "exceptionality_type": "8"}],
            "0007": [{"oen": "999000001", "program_type": "004"}],
            "0027": [{"oen": "999000001", "salep_type": "001", "status_type": "001",
                      "component_types": "001", "start_date": date(2025, 9, 15)}],
        }
    )  # fmt: skip
    return scenario


def test_program_segments_render_in_order_and_validate():
    root = _document(_every_action())
    schema = etree.XMLSchema(etree.fromstring(build_xsd().encode()))
    assert schema.validate(root), schema.error_log
    enrolment = root.find(".//STUDENT_SCHOOL_ENROLMENT")
    children = [c.tag for c in enrolment if c.tag.isupper() and len(c)]
    assert children == [
        "STUDENT_CLASS_ENROLMENT",
        "SPECIAL_EDUCATION",
        "SPECIAL_EDUCATION",
        "SPECIAL_EDUCATION",
        "SECOND_LANGUAGE_PROGRAM",
        "SECOND_LANGUAGE_PROGRAM",
        "SALEP",
        "SALEP",
    ]
    sped = [(e.findtext("ACTION"), e.findtext("EXCEPTIONALITY_TYPE")) for e in
            enrolment.findall("SPECIAL_EDUCATION")]  # fmt: skip
    assert sped == [("DELETE", "8"), ("UPDATE", "5"), ("ADD", "")]
    languages = [(e.findtext("ACTION"), e.findtext("TYPE")) for e in
                 enrolment.findall("SECOND_LANGUAGE_PROGRAM")]  # fmt: skip
    assert languages == [("DELETE", "004"), ("ADD", "005")]
    saleps = enrolment.findall("SALEP")
    assert [(e.findtext("ACTION"), e.findtext("TYPE")) for e in saleps] == [
        ("DELETE", "001"),
        ("ADD", "002"),
    ]
    assert saleps[0].find("COMPONENT") is None
    assert [c.findtext("TYPE") for c in saleps[1].findall("COMPONENT")] == ["001", "008"]
    assert enrolment.findtext("SPECIAL_EDUCATION_FLAG") == "T"


GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE_ACTIONS = {
    "SPECIAL_EDUCATION": {"ADD", "UPDATE", "DELETE"},
    "SECOND_LANGUAGE_PROGRAM": {"ADD", "DELETE"},
}


def _actions(kind: str, xpath: str) -> set[str]:
    (path,) = GOLDEN.glob(f"ONSIS_{kind}*.xml")
    return set(etree.parse(str(path)).xpath(f"{xpath}/ACTION/text()"))


def test_sample_has_every_program_action_in_every_period():
    for kind in ("OCTSEC1", "MARSEC2", "JUNSEC1"):
        for segment, actions in SAMPLE_ACTIONS.items():
            assert _actions(kind, f"//{segment}") == actions, (kind, segment)
    assert _actions("OCTSEC1", "//SALEP") == {"ADD", "DELETE"}
    assert _actions("MARSEC2", "//SALEP") == {"ADD", "UPDATE", "DELETE"}
    assert _actions("JUNSEC1", "//SALEP") >= {"ADD", "UPDATE"}
    assert _actions("MARSEC2", "//SALEP/COMPONENT") == {"ADD", "DELETE"}


def test_sample_has_each_kind_of_second_language_program():
    types = set()
    for path in GOLDEN.glob("ONSIS_*.xml"):
        types |= set(etree.parse(str(path)).xpath("//SECOND_LANGUAGE_PROGRAM/TYPE/text()"))
    assert {"001", "004", "005", "027"} <= types
