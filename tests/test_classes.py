"""CLASS and SEGMENT: finding codes, class enrolments of the submission, plan shape.

The element and action rules are scenario cases in tests/cases/CLASS.yaml and SEGMENT.yaml.
"""

from datetime import date, datetime, timedelta

import polars as pl
from builders import BSID, Scenario

from onsis_batch.findings import Severity
from onsis_batch.render.publish import publish
from onsis_batch.segments.build import BUILDERS, build_plan
from onsis_batch.segments.classes.class_rows import build_classes

COURSES = [
    {"course_number": "ENG4U1", "ministry_code": "ENG4U", "course_type": "M", "credit": 1.0},
    {"course_number": "ENG4C1", "ministry_code": "ENG4C", "course_type": "M", "credit": 1.0},
]
TERMS = [
    {
        "term_id": "S1",
        "school_id": "100",
        "first_day": date(2025, 9, 2),
        "last_day": date(2026, 1, 30),
    },
    {
        "term_id": "Y1",
        "school_id": "100",
        "first_day": date(2025, 9, 2),
        "last_day": date(2026, 6, 26),
    },
    {
        "term_id": "T2",
        "school_id": "200",
        "first_day": date(2025, 9, 3),
        "last_day": date(2026, 1, 29),
    },
]


def section(section_id, class_code, course="ENG4U1", term="S1", school="100", **values):
    return {
        "section_id": section_id,
        "school_id": school,
        "course_number": course,
        "term_id": term,
        "class_code": class_code,
        **values,
    }


def enrolment(section_id, student_id="1", left=date(2026, 1, 31)):
    return {
        "student_id": student_id,
        "section_id": section_id,
        "date_enrolled": date(2025, 9, 2),
        "date_left": left,
    }


def scenario(sections, enrolments=None, **tables):
    result = Scenario()
    result.extra = {
        "courses": COURSES,
        "terms": TERMS,
        "sections": sections,
        "class_enrolments": enrolments
        if enrolments is not None
        else [enrolment(s["section_id"]) for s in sections],
        **tables,
    }
    return result


def codes(findings, prefix="CLS"):
    return sorted(f.code for f in findings if f.code.startswith(prefix))


def only(findings, code):
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, f"expected one {code}, got {[str(f) for f in findings]}"
    return hits[0]


def test_builder_is_registered_after_the_student_builders():
    assert build_classes in BUILDERS
    assert BUILDERS.index(build_classes) > 0


def test_class_code_longer_than_25_characters():
    long_code = "ENG4U-" + "X" * 20  # 26 characters
    _plan, findings = scenario([section("1", "ENG4C-01"), section("2", long_code)]).plan()
    hit = only(findings, "CLS001")
    assert hit.severity is Severity.ERROR
    assert (hit.file, hit.row, hit.column, hit.key) == ("sections", 3, "class_code", long_code)
    assert "26" in hit.message_en and "25" in hit.message_fr


def test_class_code_of_25_characters_after_removing_spaces_is_fine():
    code = "ENG4U " + "X" * 20  # 25 once the space is removed
    plan, findings = scenario([section("1", code)]).plan()
    assert codes(findings) == []
    assert plan.segments["CLASS"].get_column("_id").to_list() == ["ENG4U" + "X" * 20]


def test_class_code_shared_by_two_schools_of_the_bsid():
    two_schools = scenario(
        [section("1", "ENG4U-01"), section("2", "eng4u-01", school="200", term="T2")]
    )
    two_schools.schools = [
        {"school_id": "100", "bsid": BSID, "language": "E"},
        {"school_id": "200", "bsid": BSID, "language": "E"},
    ]
    plan, findings = two_schools.plan()
    hit = only(findings, "CLS002")
    assert hit.severity is Severity.ERROR
    assert (hit.file, hit.row, hit.column, hit.key) == ("sections", 2, "class_code", "ENG4U-01")
    assert "100, 200" in hit.message_en and "2, 3" in hit.message_en
    assert plan.segments["CLASS"].get_column("_id").to_list() == ["ENG4U-01"]


def test_sections_of_one_school_sharing_a_code_are_one_combined_class_without_finding():
    # Different terms with different dates are fine for a combined class.
    plan, findings = scenario(
        [section("1", "ENG4U-01"), section("2", "ENG4U-01", course="ENG4C1", term="Y1")]
    ).plan()
    assert codes(findings) == []
    assert plan.segments["CLASS"].height == 1
    assert plan.segments["SEGMENT"].height == 2


def test_school_of_another_bsid_is_not_read():
    other = scenario([section("1", "ENG4U-01"), section("2", "ENG4U-01", school="200", term="T2")])
    other.schools = [
        {"school_id": "100", "bsid": BSID, "language": "E"},
        {"school_id": "200", "bsid": "999002", "language": "E"},
    ]
    plan, findings = other.plan()
    assert codes(findings) == []
    assert plan.segments["SEGMENT"].height == 1


def test_section_of_a_course_not_in_courses():
    plan, findings = scenario(
        [section("1", "ENG4U-01"), section("2", "XYZ-01", course="XYZ4U1")]
    ).plan()
    hit = only(findings, "CLS003")
    assert hit.severity is Severity.ERROR
    assert (hit.file, hit.row, hit.column) == ("sections", 3, "course_number")
    assert "XYZ4U1" in hit.message_en
    assert plan.segments["CLASS"].get_column("_id").to_list() == ["ENG4U-01"]


def test_stored_grade_of_a_section_that_does_not_exist():
    grades = [
        # this year's grade of a real section: fine
        {
            "grade_id": "G1",
            "student_id": "1",
            "course_number": "ENG4U1",
            "section_id": "1",
            "date_stored": date(2025, 10, 1),
        },
        # this year's grade of a missing section: error
        {
            "grade_id": "G2",
            "student_id": "1",
            "course_number": "ENG4C1",
            "section_id": "77",
            "date_stored": date(2025, 10, 1),
        },
        # a previous year's grade: its section need not be in this year's data
        {
            "grade_id": "G3",
            "student_id": "1",
            "course_number": "ENG3U1",
            "section_id": "55",
            "date_stored": date(2025, 1, 30),
        },
        # a grade stored by a school of another BSID
        {
            "grade_id": "G4",
            "student_id": "1",
            "course_number": "ENG3U1",
            "section_id": "56",
            "school_id": "300",
            "date_stored": date(2025, 10, 1),
        },
        # a credit not earned in a class here
        {"grade_id": "G5", "student_id": "1", "course_number": "ENG3U1"},
    ]
    _plan, findings = scenario([section("1", "ENG4U-01")], stored_grades=grades).plan()
    hit = only(findings, "CLS004")
    assert hit.severity is Severity.ERROR
    assert (hit.file, hit.row, hit.column) == ("stored_grades", 3, "section_id")
    assert "G2" in hit.message_en and "'77'" in hit.message_en


def test_credit_differing_from_onsis_is_kept_and_reported():
    held = scenario([section("1", "ENG4U-01")])
    held.pae["0001"] = [
        {
            "class_code": "ENG4U-01",
            "class_start_date": date(2025, 9, 2),
            "class_end_date": date(2026, 1, 30),
            "language_type": "E",
            "class_type": "R",
            "classroom_type": "1",
        }
    ]
    held.pae["0002"] = [
        {
            "class_code": "ENG4U-01",
            "ministry_dfnd_crs": "ENG4U",
            "credit_value": 0.5,
            "language_type": "E",
            "total_class_course": 0,
        }
    ]
    plan, findings = held.plan()
    hit = only(findings, "CLS005")
    assert hit.severity is Severity.WARNING
    assert (hit.segment, hit.key) == ("SEGMENT", "ENG4U-01|ENG4U|")
    assert "0.5" in hit.message_en
    assert plan.segments["CLASS"].height == 0  # nothing else differs: nothing is sent


def test_two_onsis_segments_of_one_course_prefer_the_one_with_our_credit():
    held = scenario([section("1", "ENG4U-01")])
    held.pae["0001"] = [
        {
            "class_code": "ENG4U-01",
            "class_start_date": date(2025, 9, 2),
            "class_end_date": date(2026, 1, 30),
            "language_type": "E",
            "class_type": "R",
            "classroom_type": "1",
        }
    ]
    held.pae["0002"] = [
        {
            "class_code": "ENG4U-01",
            "ministry_dfnd_crs": "ENG4U",
            "credit_value": 0.5,
            "language_type": "E",
            "total_class_course": 7,
        },
        {
            "class_code": "ENG4U-01",
            "ministry_dfnd_crs": "ENG4U",
            "credit_value": 1.0,
            "language_type": "E",
            "total_class_course": 9,
        },
    ]
    plan, findings = held.plan()
    assert codes(findings) == []
    segment = plan.segments["SEGMENT"].to_dicts()
    assert [(s["_action"], s["CREDIT_VALUE"], s["TOTAL_CLASS_COURSE"]) for s in segment] == [
        ("UPDATE", 1.0, 0)
    ]


def class_enrolment_frame(*class_codes, action="ADD"):
    """The frame the class-enrolment builder hands on, as far as classes read it."""
    return pl.DataFrame(
        {
            "_id": [f"1|{c.upper()}" for c in class_codes],
            "_parent": ["1"] * len(class_codes),
            "_action": [action] * len(class_codes),
            "CLASS_CODE": [c.upper() for c in class_codes],
        },
        schema={
            "_id": pl.String,
            "_parent": pl.String,
            "_action": pl.String,
            "CLASS_CODE": pl.String,
        },
    )


def test_class_enrolments_of_the_submission_keep_a_class_without_students():
    ctx = scenario([section("1", "ENG4U-01")], enrolments=[]).context()
    frames, _ = build_classes(ctx, {})
    assert frames["CLASS"].height == 0
    frames, findings = build_classes(
        ctx, {"STUDENT_CLASS_ENROLMENT": class_enrolment_frame("eng4u-01")}
    )
    assert frames["CLASS"].get_column("_reason").to_list() == ["CLS-ADD-NEW"]
    assert codes(findings) == []
    frames, _ = build_classes(
        ctx, {"STUDENT_CLASS_ENROLMENT": class_enrolment_frame("ENG4U-01", action="DELETE")}
    )
    assert frames["CLASS"].height == 0


def test_class_from_before_the_period_is_added_only_when_class_enrolments_name_it():
    ctx = scenario([section("1", "ENG4U-01", term="Y1")]).context("mar")
    frames, findings = build_classes(ctx, {})
    assert frames["CLASS"].height == 0 and codes(findings) == []
    frames, findings = build_classes(
        ctx, {"STUDENT_CLASS_ENROLMENT": class_enrolment_frame("ENG4U-01")}
    )
    row = frames["CLASS"].to_dicts()[0]
    assert (row["_action"], row["_reason"], row["CLASS_START_DATE"]) == (
        "ADD",
        "CLS-ADD-ENROLMENTS",
        date(2025, 9, 2),
    )
    assert frames["SEGMENT"].get_column("_action").to_list() == ["ADD"]
    hit = only(findings, "CLS006")
    assert hit.severity is Severity.WARNING
    assert (hit.segment, hit.key) == ("CLASS", "ENG4U-01")
    assert "2025-09-02" in hit.message_en


def test_total_of_classes_is_capped_at_999():
    first = date(2025, 9, 1)
    days = [first + timedelta(days=i) for i in range(1005)]
    long_term = {"term_id": "L", "school_id": "100", "first_day": first, "last_day": days[-1]}
    capped = scenario(
        [section("1", "ENG4U-01", term="L")],
        enrolments=[enrolment("1", left=days[-1])],
        calendar_days=[{"school_id": "100", "date": d} for d in days],
    )
    capped.extra["terms"] = [*TERMS, long_term]
    plan, _ = capped.plan()
    assert plan.segments["SEGMENT"].get_column("TOTAL_CLASS_COURSE").to_list() == [999]


def test_no_sections_gives_empty_typed_frames():
    plan, findings = Scenario().plan()
    assert codes(findings) == []
    classes, segments = plan.segments["CLASS"], plan.segments["SEGMENT"]
    assert classes.height == 0 and segments.height == 0
    assert classes.columns[:5] == ["_id", "_parent", "_order", "_action", "_reason"]
    assert segments.schema["CREDIT_VALUE"] == pl.Float64
    assert segments.schema["TOTAL_CLASS_COURSE"] == pl.Int64


def test_a_plan_with_classes_renders_a_valid_file(tmp_path):
    board = scenario(
        [
            section("1", "ENG4U-01"),
            section("2", "ENG4U-01", course="ENG4C1"),
            section("3", "ENG4C-02", course="ENG4C1", classroom_type="7", class_type="RCR"),
        ]
    )
    board.student("1", "123456782").enrol("1", date(2025, 9, 2))
    plan, findings = build_plan(board.context())
    assert not [f for f in findings if f.severity is Severity.ERROR]
    published = publish(plan, tmp_path, created=datetime(2025, 10, 31, 8, 0))
    assert published.path is not None, [str(f) for f in published.findings]
    text = published.path.read_text(encoding="iso-8859-1")
    assert text.count("<CLASS>") == 2 and text.count("<SEGMENT>") == 3
    assert "<MINISTRY_DFND_CRS>ENG4C</MINISTRY_DFND_CRS>" in text
