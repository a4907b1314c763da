import io
from datetime import date

import polars as pl
import pytest
from lxml import etree
from sample_plans import CREATED, enrolments, period, simple_plan, students

from onsis_batch.plan.model import Plan
from onsis_batch.render import xml as render
from onsis_batch.render.xml import PlanShapeError, render_plan
from onsis_batch.specs import load_specs
from onsis_batch.validate.xsd import schema_path


def rendered(plan: Plan, **options) -> tuple[bytes, list]:
    sink = io.BytesIO()
    findings = render_plan(plan, sink, created=CREATED, **options)
    return sink.getvalue(), findings


def tree_of(plan: Plan, **options) -> etree._Element:
    return etree.fromstring(rendered(plan, **options)[0])


def text_of(root: etree._Element, path: str) -> list[str | None]:
    return [e.text for e in root.iterfind(path)]


def one_student_plan(student=None, enrolment=None, private=False) -> Plan:
    return Plan(
        period=period(private),
        segments={
            "STUDENT": students({"OEN": "123456789", **(student or {})}),
            "STUDENT_SCHOOL_ENROLMENT": enrolments({"_parent": "123456789", **(enrolment or {})}),
        },
    )


def test_header_and_envelope():
    data, findings = rendered(simple_plan())
    assert findings == []
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<ONSIS_BATCH_FILE>\n')
    root = etree.fromstring(data)
    assert [e.tag for e in root] == ["HEADER", "DATA"]
    assert [e.text for e in root.find("HEADER")] == [
        "1.0",
        "School Data Submission",
        "0001",
        "2025/11/03",
        "143005",
    ]
    submission = root.find("DATA/SCHOOL_SUBMISSION")
    assert text_of(submission, "ACADEMIC_YEAR") == ["2025-2026"]
    assert text_of(submission, "SUBMISSION_PERIOD_TYPE") == ["OCTSEC1"]
    school = submission.find("SCHOOL")
    assert [e.tag for e in school][:3] == [
        "SCHOOL_NUMBER",
        "CLEAR_PENDING_AREA",
        "CLEAR_SCHOOL_EDUCATOR_ASSIGNMENT",
    ]
    assert school.findtext("SCHOOL_NUMBER") == "123456"
    assert school.findtext("CLEAR_PENDING_AREA") == "N"


def test_elements_follow_spec_order():
    root = tree_of(simple_plan())
    specs = load_specs()
    student = root.find(".//STUDENT")
    expected = [e.name for e in specs["STUDENT"].elements] + ["STUDENT_SCHOOL_ENROLMENT"]
    assert [e.tag for e in student] == expected
    sse = student.find("STUDENT_SCHOOL_ENROLMENT")
    assert [e.tag for e in sse] == [e.name for e in specs["STUDENT_SCHOOL_ENROLMENT"].elements]


def test_layout_is_indented_one_element_per_line():
    data, _ = rendered(simple_plan())
    lines = data.decode("latin-1").split("\n")
    assert "        <STUDENT>" in lines
    assert "          <OEN>123456789</OEN>" in lines
    assert "            <ACTION>ADD</ACTION>" in lines
    assert data.endswith(b"</ONSIS_BATCH_FILE>\n") and b"\r" not in data


def test_null_value_is_an_empty_element():
    data, _ = rendered(one_student_plan({"STUDENT_LEGAL_SECOND_NAME": None}))
    assert b"<STUDENT_LEGAL_SECOND_NAME/>" in data


def test_omit_column_leaves_the_element_out_of_that_row_only():
    plan = Plan(
        period=period(),
        segments={
            "STUDENT": students({"OEN": "111111111"}, {"OEN": "222222222"}),
            "STUDENT_SCHOOL_ENROLMENT": enrolments(
                {"_parent": "111111111", "GENDER_DESC__omit": True},
                {"_parent": "222222222", "GENDER_DESC__omit": False},
            ),
        },
    )
    root = tree_of(plan)
    first, second = root.iterfind(".//STUDENT_SCHOOL_ENROLMENT")
    assert first.find("GENDER_DESC") is None
    assert second.find("GENDER_DESC") is not None


def test_public_only_elements_are_absent_for_a_private_school():
    root = tree_of(one_student_plan(private=True))
    sse = root.find(".//STUDENT_SCHOOL_ENROLMENT")
    for name in (
        "FTE",
        "HIGH_CREDIT_FTE",
        "ADE",
        "HIGH_CREDIT_ADE",
        "OYAP_FLAG",
        "INDIGENOUS_SELF_IDENTIFICATION",
    ):
        assert sse.find(name) is None
    assert sse.find("MAIN_SCHOOL_FLAG") is not None
    public = tree_of(one_student_plan()).find(".//STUDENT_SCHOOL_ENROLMENT")
    assert public.find("FTE") is not None


@pytest.mark.parametrize(
    ("element", "value", "expected"),
    [
        ("FTE", 1.005, "1.01"),
        ("FTE", 0.125, "0.13"),
        ("FTE", 0.5, "0.50"),
        ("FTE", 12.0, "12.00"),
        ("ADE", 1 / 3, "0.3333"),
        ("ADE", 0.00005, "0.0001"),
        ("COMMUNITY_INVOLMENT_ACCU_HOURS", 40, "40.00"),
        ("ENROLMENT_START_DATE", date(2025, 9, 2), "2025/09/02"),
        ("YEAR_OF_ENTRY_TO_CANADA", date(2019, 3, 15), "2019/03"),
        ("MAIN_SCHOOL_FLAG", True, "T"),
        ("MAIN_SCHOOL_FLAG", False, "F"),
        ("MAIN_SCHOOL_FLAG", None, None),
    ],
)
def test_value_formats(element, value, expected):
    root = tree_of(one_student_plan(enrolment={element: value}))
    assert text_of(root, f".//STUDENT_SCHOOL_ENROLMENT/{element}") == [expected]


def test_already_formatted_strings_are_written_as_they_are():
    plan = one_student_plan()
    sse = plan.segments["STUDENT_SCHOOL_ENROLMENT"].with_columns(FTE=pl.lit("0.75"))
    plan = Plan(period=plan.period, segments={**plan.segments, "STUDENT_SCHOOL_ENROLMENT": sse})
    assert text_of(tree_of(plan), ".//FTE") == ["0.75"]


def test_wrong_column_type_is_refused():
    plan = one_student_plan()
    sse = plan.segments["STUDENT_SCHOOL_ENROLMENT"].with_columns(MAIN_SCHOOL_FLAG=pl.lit(1))
    plan = Plan(period=plan.period, segments={**plan.segments, "STUDENT_SCHOOL_ENROLMENT": sse})
    with pytest.raises(TypeError, match="MAIN_SCHOOL_FLAG"):
        rendered(plan)


def test_text_is_escaped():
    data, _ = rendered(one_student_plan({"STUDENT_LEGAL_LAST_NAME": "O'Neil & <Sons>"}))
    assert b"<STUDENT_LEGAL_LAST_NAME>O'Neil &amp; &lt;Sons&gt;</STUDENT_LEGAL_LAST_NAME>" in data
    assert text_of(etree.fromstring(data), ".//STUDENT_LEGAL_LAST_NAME") == ["O'Neil & <Sons>"]


def test_latin1_characters_are_written_as_bytes():
    data, findings = rendered(one_student_plan({"STUDENT_LEGAL_GIVEN_NAME": "Zoé"}))
    assert "Zoé".encode("latin-1") in data
    assert findings == []


def test_characters_outside_latin1_become_references_with_a_warning():
    data, findings = rendered(one_student_plan({"STUDENT_LEGAL_LAST_NAME": "Gőzła"}), show_pii=True)
    assert b"<STUDENT_LEGAL_LAST_NAME>G&#337;z&#322;a</STUDENT_LEGAL_LAST_NAME>" in data
    assert text_of(etree.fromstring(data), ".//STUDENT_LEGAL_LAST_NAME") == ["Gőzła"]
    [warning] = findings
    assert (warning.code, warning.segment, warning.key) == ("OUT002", "STUDENT", "123456789")
    assert warning.params["element"] == "STUDENT_LEGAL_LAST_NAME"
    assert warning.params["chars"] == "ő (U+0151), ł (U+0142)"


def test_utf8_output():
    data, findings = rendered(
        one_student_plan({"STUDENT_LEGAL_LAST_NAME": "Gőzła"}), encoding="utf-8"
    )
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "Gőzła".encode() in data
    assert findings == []


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="encoding"):
        rendered(simple_plan(), encoding="utf-16")


def test_children_are_nested_under_their_parent():
    plan = Plan(
        period=period(),
        segments={
            "STUDENT": students({"OEN": "111111111"}, {"OEN": "222222222"}),
            "STUDENT_SCHOOL_ENROLMENT": enrolments(
                {"_parent": "222222222", "SCHOOL_STUDENT_NUMBER": "two"},
                {"_parent": "111111111", "SCHOOL_STUDENT_NUMBER": "one"},
            ),
        },
    )
    root = tree_of(plan)
    pairs = [
        (s.findtext("OEN"), s.findtext("STUDENT_SCHOOL_ENROLMENT/SCHOOL_STUDENT_NUMBER"))
        for s in root.iterfind(".//STUDENT")
    ]
    assert pairs == [("111111111", "one"), ("222222222", "two")]


def test_student_without_enrolment_has_no_child():
    plan = Plan(period=period(), segments={"STUDENT": students({"OEN": "111111111"})})
    assert tree_of(plan).find(".//STUDENT_SCHOOL_ENROLMENT") is None


def test_top_level_rows_follow_order():
    frame = students({"OEN": "111111111"}, {"OEN": "222222222"}, {"OEN": "333333333"})
    frame = frame.with_columns(_order=pl.Series([3, 1, 2]))
    root = tree_of(Plan(period=period(), segments={"STUDENT": frame}))
    assert text_of(root, ".//STUDENT/OEN") == ["222222222", "333333333", "111111111"]


def test_siblings_are_ordered_delete_update_add_then_order():
    rows = [
        ("ADD", 0, "a0"),
        ("UPDATE", 1, "u1"),
        ("DELETE", 2, "d2"),
        ("ADD", -1, "a-1"),
        ("DELETE", 0, "d0"),
        (None, -5, "n-5"),
    ]
    sse = enrolments(
        *(
            {
                "_parent": "123456789",
                "_id": label,
                "_action": action,
                "_order": order,
                "SCHOOL_STUDENT_NUMBER": label,
            }
            for action, order, label in rows
        )
    )
    plan = Plan(
        period=period(),
        segments={"STUDENT": students({"OEN": "123456789"}), "STUDENT_SCHOOL_ENROLMENT": sse},
    )
    labels = text_of(tree_of(plan), ".//STUDENT_SCHOOL_ENROLMENT/SCHOOL_STUDENT_NUMBER")
    assert labels == ["d0", "d2", "u1", "a-1", "a0", "n-5"]


def test_chunks_do_not_change_the_output(monkeypatch):
    plan = simple_plan(oens=("111111111", "222222222", "333333333"))
    whole, _ = rendered(plan)
    monkeypatch.setattr(render, "CHUNK_ROWS", 1)
    assert rendered(plan)[0] == whole


def test_same_plan_gives_identical_bytes():
    plan = simple_plan()
    assert rendered(plan)[0] == rendered(plan)[0]


def test_output_validates_against_the_generated_xsd():
    schema = etree.XMLSchema(etree.parse(str(schema_path())))
    for private in (False, True):
        assert schema.validate(tree_of(simple_plan(private))), schema.error_log


def test_orphan_rows_are_refused():
    plan = Plan(
        period=period(),
        segments={
            "STUDENT": students({"OEN": "111111111"}),
            "STUDENT_SCHOOL_ENROLMENT": enrolments({"_parent": "999999999"}),
        },
    )
    with pytest.raises(PlanShapeError, match="999999999"):
        rendered(plan)


def test_unknown_segment_is_refused():
    plan = simple_plan()
    plan = Plan(period=plan.period, segments={**plan.segments, "NOPE": plan.segments["STUDENT"]})
    with pytest.raises(PlanShapeError, match="NOPE"):
        rendered(plan)
