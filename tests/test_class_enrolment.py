"""STUDENT_CLASS_ENROLMENT: findings, attendance counts, the activity source and the file.

Selection, ACTION and element rules are data cases in cases/STUDENT_CLASS_ENROLMENT.yaml
and cases/OTHER_COURSE_INFO.yaml; this module covers what needs a calendar or a file.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from builders import Scenario

from onsis_batch.render.xml import render_plan
from onsis_batch.segments.classes import enrolment as class_enrolment
from onsis_batch.segments.classes import enrolment_counts as class_enrolment_counts
from onsis_batch.segments.classes import enrolment_inputs as class_enrolment_inputs
from onsis_batch.segments.students.activity import students_with_activity
from onsis_batch.segments.students.scope import classify_enrolments
from onsis_batch.validate.batch_file import check_plan, validate_file

SEP2, JAN30, JAN31 = date(2025, 9, 2), date(2026, 1, 30), date(2026, 1, 31)
G_DAY = date(2025, 11, 12)


def school(scenario: Scenario | None = None, **extra) -> Scenario:
    """One student in ENG4U01 (term S1) at school 100, with a weekday calendar."""
    scenario = scenario or Scenario().student("1", "999000001").enrol("1", SEP2)
    days = [SEP2 + timedelta(days=i) for i in range((JAN30 - SEP2).days + 1)]
    scenario.extra = {
        "courses": [
            {"course_number": "ENG4U1", "ministry_code": "ENG4U", "course_type": "M", "credit": 1.0}
        ],
        "terms": [
            {
                "term_id": "S1",
                "school_id": "100",
                "first_day": SEP2,
                "last_day": JAN30,
                "course_sem_type": "2",
            }
        ],
        "sections": [
            {
                "section_id": "10",
                "school_id": "100",
                "course_number": "ENG4U1",
                "term_id": "S1",
                "class_code": "ENG4U01",
            }
        ],
        "calendar_days": [
            {"school_id": "100", "date": d, "in_session": d.weekday() < 5, "is_g_day": d == G_DAY}
            for d in days
        ],
        "class_enrolments": [
            {"student_id": "1", "section_id": "10", "date_enrolled": SEP2, "date_left": JAN31}
        ],
        **extra,
    }
    return scenario


def sce(plan, _id: str = "1|ENG4U01") -> dict:
    rows = plan.segments["STUDENT_CLASS_ENROLMENT"].filter(pl.col("_id") == _id).to_dicts()
    assert len(rows) == 1, f"expected one row {_id}"
    return rows[0]


def weekdays(start: date, end: date) -> int:
    return sum((start + timedelta(days=i)).weekday() < 5 for i in range((end - start).days + 1))


# --- findings --------------------------------------------------------------------------------


def test_class_enrolment_in_an_unknown_section_is_an_error_with_its_location():
    scenario = school()
    scenario.extra["class_enrolments"].append(
        {"student_id": "1", "section_id": "99", "date_enrolled": SEP2, "date_left": JAN31}
    )
    _, findings = scenario.plan()
    found = [f for f in findings if f.code == "SCE001"]
    assert len(found) == 1
    assert (found[0].file, found[0].row, found[0].column) == ("class_enrolments", 3, "section_id")
    assert found[0].severity == "error" and "99" in found[0].message_en


def test_stored_grade_of_an_unknown_section_is_reported_once():
    grade = {"grade_id": "g1", "student_id": "1", "course_number": "ENG4U1", "section_id": "99"}
    _, findings = school(stored_grades=[{**grade, "grade": "80", "date_stored": JAN30}]).plan("mar")
    found = [f for f in findings if f.code == "CLS004"]
    assert [(f.file, f.row, f.column) for f in found] == [("stored_grades", 2, "section_id")]


def test_last_year_grades_of_sections_no_longer_exported_are_not_findings():
    grade = {"grade_id": "g0", "student_id": "1", "course_number": "ENG4U1", "section_id": "old"}
    _, findings = school(
        stored_grades=[{**grade, "grade": "80", "credit_date": date(2025, 1, 30)}]
    ).plan()
    assert "CLS004" not in {f.code for f in findings}


def test_course_without_type_is_a_warning_naming_the_course_row():
    scenario = school()
    scenario.extra["courses"][0]["course_type"] = None
    plan, findings = scenario.plan()
    found = [f for f in findings if f.code == "SCE003"]
    assert [(f.file, f.row, f.key, str(f.severity)) for f in found] == [
        ("courses", 2, "ENG4U1", "warning")
    ]
    assert plan.segments["STUDENT_CLASS_ENROLMENT"].height == 0


def test_close_out_is_noted_with_the_withdrawal_date():
    scenario = school(class_enrolments=[]).in_pae("999000001")
    scenario.pae["0004"] = [
        {
            "oen": "999000001",
            "class_code": "old 1",
            "ministry_dfnd_crs": "CHC2D",
            "course_start_date": SEP2,
        }
    ]
    plan, findings = scenario.plan("mar")
    found = [f for f in findings if f.code == "SCE004"]
    assert [(f.segment, f.key) for f in found] == [("STUDENT_CLASS_ENROLMENT", "1|OLD1")]
    assert "2025-11-01" in found[0].message_en and "2025-11-01" in found[0].message_fr
    assert sce(plan, "1|OLD1")["WITHDRAWAL_TYPE"] == "W"


def test_pae_only_student_has_every_held_class_closed_out():
    scenario = school(class_enrolments=[]).in_pae("999000009")
    scenario.pae["0004"] = [
        {
            "oen": "999000009",
            "class_code": "ENG4U01",
            "ministry_dfnd_crs": "ENG4U",
            "course_start_date": SEP2,
        }
    ]
    plan, _ = scenario.plan("mar")
    row = sce(plan, "PAE:999000009|ENG4U01")
    assert (row["_parent"], row["_reason"]) == ("PAE:999000009", "SCE-UPD-CLOSEOUT")


# --- attendance ------------------------------------------------------------------------------


def test_attendance_counts_for_a_completed_class():
    marks = [
        (date(2025, 10, 6), "A"),
        (date(2025, 10, 7), "C"),
        (date(2025, 10, 8), "L"),
        (date(2025, 10, 9), "L"),
        (G_DAY, "A"),  # already counted as a G day
        (date(2025, 8, 25), "A"),  # before the class started
    ]
    scenario = school(
        attendance=[
            {"student_id": "1", "section_id": "10", "date": d, "status": s} for d, s in marks
        ],
        stored_grades=[
            {
                "grade_id": "g1",
                "student_id": "1",
                "course_number": "ENG4U1",
                "section_id": "10",
                "grade": "75",
                "earned_credit": 1.0,
                "potential_credit": 1.0,
                "credit_date": JAN30,
            }
        ],
    )
    row = sce(scenario.plan("mar")[0])
    assert row["TOTAL_CLASSES"] == weekdays(SEP2, JAN30)
    assert row["SCHOOL_CLOSURE_CLASSES_MISSED"] == 1
    assert row["CLASSES_MISSED"] == 3  # A, C and the G day
    assert row["TIMES_LATE"] == 2


def test_total_classes_run_from_the_class_start_to_the_last_day_in_class():
    left = date(2025, 12, 1)
    scenario = school(
        class_enrolments=[
            {
                "student_id": "1",
                "section_id": "10",
                "date_enrolled": date(2025, 9, 15),
                "date_left": left,
            }
        ],
        stored_grades=[
            {
                "grade_id": "g1",
                "student_id": "1",
                "course_number": "ENG4U1",
                "section_id": "10",
                "grade": "75",
                "earned_credit": 1.0,
                "potential_credit": 1.0,
                "date_stored": left,
            }
        ],
    ).in_pae("999000001")
    scenario.pae["0004"] = [
        {"oen": "999000001", "class_code": "ENG4U01", "course_start_date": date(2025, 9, 15)}
    ]
    row = sce(scenario.plan("mar")[0])
    assert row["COURSE_END_DATE"] == left and row["WITHDRAWAL_TYPE"] is None
    assert row["TOTAL_CLASSES"] == weekdays(date(2025, 9, 15), left - timedelta(days=1))


def test_no_attendance_while_the_class_runs_past_the_count_date():
    row = sce(school().plan("oct")[0])
    assert row["COURSE_END_DATE"] is None
    assert [row[n] for n in ("TOTAL_CLASSES", "CLASSES_MISSED", "TIMES_LATE")] == [None] * 3


# --- activity, repeat, ordering --------------------------------------------------------------


def test_activity_source_names_students_with_a_final_mark_in_the_period():
    scenario = school(
        stored_grades=[
            {
                "grade_id": "g1",
                "student_id": "1",
                "course_number": "ENG4U1",
                "section_id": "10",
                "grade": "75",
                "potential_credit": 1.0,
                "credit_date": JAN30,
            }
        ]
    )
    ctx = scenario.context("mar")
    enrolments, _ = classify_enrolments(ctx.table("school_enrolments"), ctx.period)
    assert class_enrolment_inputs.students_with_class_marks(ctx, enrolments).to_list() == ["1"]
    assert "1" in students_with_activity(ctx, enrolments).to_list()
    # A W grade is not a final mark.
    scenario.extra["stored_grades"][0]["grade"] = "W"
    ctx = scenario.context("mar")
    assert class_enrolment_inputs.students_with_class_marks(ctx, enrolments).to_list() == []


def test_rows_are_ordered_by_class_code_under_each_student():
    scenario = school()
    scenario.extra["sections"].append(
        {**scenario.extra["sections"][0], "section_id": "11", "class_code": "AAA-01"}
    )
    scenario.extra["class_enrolments"].append(
        {"student_id": "1", "section_id": "11", "date_enrolled": SEP2, "date_left": JAN31}
    )
    frame = scenario.plan()[0].segments["STUDENT_CLASS_ENROLMENT"].sort("_order")
    assert frame.get_column("CLASS_CODE").to_list() == ["AAA-01", "ENG4U01"]
    assert frame.get_column("_order").to_list() == [0, 1]


def test_second_class_of_the_same_course_in_a_later_term_is_a_repeat():
    scenario = school()
    scenario.extra["terms"].append(
        {
            "term_id": "S2",
            "school_id": "100",
            "first_day": date(2026, 2, 2),
            "last_day": date(2026, 6, 26),
            "course_sem_type": "2",
        }
    )
    scenario.extra["sections"].append(
        {
            **scenario.extra["sections"][0],
            "section_id": "20",
            "term_id": "S2",
            "class_code": "ENG4U02",
        }
    )
    scenario.extra["class_enrolments"].append(
        {
            "student_id": "1",
            "section_id": "20",
            "date_enrolled": date(2026, 2, 2),
            "date_left": date(2026, 6, 27),
        }
    )
    plan, _ = scenario.plan("mar")
    assert sce(plan)["COURSE_REPEAT_FLAG"] is False
    assert sce(plan, "1|ENG4U02")["COURSE_REPEAT_FLAG"] is True


def test_the_reason_ids_of_the_docstring_are_the_ones_the_module_can_set():
    documented = set(re.findall(r"SCE-[A-Z-]+[A-Z]", class_enrolment.__doc__ or ""))
    source = Path(class_enrolment.__file__).read_text()
    for reason in documented - {"SCE-ADD-NEW", "SCE-UPD-PAE"}:
        suffix = reason.split("-", 2)[2]
        assert f'"{suffix}"' in source or f'"{reason}"' in source, reason


def test_compulsory_and_substitution_flags_come_from_the_diploma_allocation(monkeypatch):
    allocation = pl.DataFrame(
        {
            "item_id": ["G:g1", "S:1|10"],
            "student_id": ["1", "1"],
            "requirement": ["OPTIONAL", "ENGLISH"],
            "compulsory": [False, True],
            "substitution": [False, True],
        }
    )
    monkeypatch.setattr(class_enrolment_counts, "credit_allocation", lambda _ctx: allocation)
    row = sce(school().plan()[0])  # no stored grade yet: the class enrolment's item
    assert (row["COMPULSORY_COURSE_FLAG"], row["COURSE_SBST_FLAG"]) == (True, True)
    grade = {"grade_id": "g1", "student_id": "1", "course_number": "ENG4U1", "section_id": "10"}
    row = sce(school(stored_grades=[{**grade, "grade": "70", "credit_date": JAN30}]).plan("mar")[0])
    assert (row["COMPULSORY_COURSE_FLAG"], row["COURSE_SBST_FLAG"]) == (False, False)


# --- the file --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["oct", "mar", "jun"])
def test_planned_class_enrolments_validate_against_the_schema(kind, tmp_path):
    scenario = school(
        stored_grades=[
            {
                "grade_id": "g1",
                "student_id": "1",
                "course_number": "ENG4U1",
                "section_id": "10",
                "grade": "75",
                "earned_credit": 1.0,
                "potential_credit": 1.0,
                "credit_date": JAN30,
                "credit_recovery": True,
            }
        ]
    ).in_pae("999000001")
    scenario.pae["0004"] = [
        {
            "oen": "999000001",
            "class_code": "OLD1",
            "ministry_dfnd_crs": "CHC2D",
            "credit_value": 1.0,
            "language_type": "E",
            "course_delivery_type": "1",
            "course_sem_type": "2",
            "course_start_date": SEP2,
            "other_course_info_ministry_content": "2",
        }
    ]
    plan, findings = scenario.plan(kind)
    assert not [f for f in findings if str(f.severity) == "error"], findings
    # In June the S1 class is over before the period: only the close-out is sent.
    expected = {"1|OLD1"} | ({"1|ENG4U01"} if kind != "jun" else set())
    assert set(plan.segments["STUDENT_CLASS_ENROLMENT"].get_column("_id")) == expected
    assert check_plan(plan) == []
    path = tmp_path / "out.xml"
    with path.open("wb") as sink:
        render_plan(plan, sink, created=datetime(2025, 10, 31, 9))
    assert validate_file(path) == []
    text = path.read_text(encoding="iso-8859-1")
    assert "<CLASS_CODE>OLD1</CLASS_CODE>" in text
    if kind != "jun":
        assert "<CLASS_CODE>ENG4U01</CLASS_CODE>" in text and "<OTHER_COURSE_INFO_TYPE>1<" in text
