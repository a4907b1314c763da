"""Several SIS schools under one BSID: counts and findings beyond the data cases in
cases/MULTI_SCHOOL.yaml (which hold the element values of each rule)."""

from datetime import date

import polars as pl
from builders import BSID, Scenario

from onsis_batch.contract import frame_from_rows
from onsis_batch.period.periods import board_bsids, reporting_schools

SCHOOLS = [
    {"school_id": "100", "bsid": BSID, "language": "E"},
    {"school_id": "200", "bsid": BSID, "language": "E"},
    {"school_id": "300", "bsid": BSID, "language": "E", "is_excluded": True},
    {"school_id": "400", "bsid": BSID, "language": "E", "is_closed": True},
    {"school_id": "500", "bsid": BSID, "language": "E", "is_section23": True},
    {"school_id": "600", "bsid": "999002", "language": "E", "is_closed": True},
]


def board(*enrolments: tuple[str, date, date | None, dict]) -> Scenario:
    scenario = Scenario(schools=list(SCHOOLS)).student("1", "999000001")
    for school, entry, exit_, values in enrolments:
        scenario.enrol("1", entry, exit_, school_id=school, **values)
    return scenario


def rows(plan, segment: str) -> int:
    return plan.segments[segment].filter(pl.col("_id") == "1").height


def codes(findings, code: str):
    return [f for f in findings if f.code == code]


def test_only_open_reported_schools_make_up_the_bsid_and_the_board():
    schools = frame_from_rows("schools", SCHOOLS)
    assert reporting_schools(schools, BSID) == ("100", "200")
    assert board_bsids(schools) == [BSID]  # 999002 has only a closed school


def test_a_move_between_two_schools_of_the_bsid_is_one_student_and_one_enrolment():
    plan, findings = board(
        ("100", date(2025, 9, 2), date(2025, 10, 1), {"exit_code": "64", "grade_level": "10"}),
        ("200", date(2025, 10, 1), None, {"grade_level": "11"}),
    ).plan()
    assert rows(plan, "STUDENT") == 1
    assert rows(plan, "STUDENT_SCHOOL_ENROLMENT") == 1
    assert not codes(findings, "SSE004")  # the exit date is the first day out (D5)


def test_cross_enrolments_at_both_schools_are_one_enrolment():
    cross = {"is_cross_enrolment": True, "board_residence_status": "08", "home_school_level": "S"}
    plan, _ = board(
        ("100", date(2025, 9, 2), None, cross), ("200", date(2025, 9, 10), None, cross)
    ).plan()
    assert rows(plan, "STUDENT_SCHOOL_ENROLMENT") == 1


def test_two_primary_enrolments_at_once_are_the_warning_sse004_on_the_later_row():
    plan, findings = board(
        ("100", date(2025, 9, 2), None, {"grade_level": "10"}),
        ("200", date(2025, 9, 15), date(2025, 10, 20), {"exit_code": "64", "grade_level": "11"}),
    ).plan()
    assert rows(plan, "STUDENT_SCHOOL_ENROLMENT") == 1
    (hit,) = codes(findings, "SSE004")
    assert (hit.file, hit.row, hit.column) == ("school_enrolments", 3, "entry_date")
    assert hit.params["school"] == "200" and hit.params["other_school"] == "100"
    assert hit.params["other_row"] == 2
    assert "Given1" not in hit.message_en and "2009" not in hit.message_en


def test_overlaps_outside_the_bsid_or_with_cross_enrolments_are_no_conflict():
    cross = {"is_cross_enrolment": True, "board_residence_status": "08", "home_school_level": "S"}
    _, findings = board(
        ("100", date(2025, 9, 2), None, {}),
        ("200", date(2025, 9, 2), None, cross),
        ("300", date(2025, 9, 2), None, {}),
        ("400", date(2025, 9, 2), None, {}),
    ).plan()
    assert not codes(findings, "SSE004")


def test_the_same_class_code_at_two_schools_is_cls002_naming_both_schools():
    scenario = board(("100", date(2025, 9, 2), None, {}))
    term = {"first_day": date(2025, 9, 2), "last_day": date(2026, 1, 30)}
    scenario.extra.update(
        courses=[{"course_number": "ENG4U1", "ministry_code": "ENG4U", "course_type": "M"}],
        terms=[
            {"term_id": "S1", "school_id": "100", **term},
            {"term_id": "T1", "school_id": "200", **term},
        ],
        sections=[
            {
                "section_id": "1",
                "school_id": "100",
                "course_number": "ENG4U1",
                "term_id": "S1",
                "class_code": "ENG4U-01",
            },
            {
                "section_id": "2",
                "school_id": "200",
                "course_number": "ENG4U1",
                "term_id": "T1",
                "class_code": "eng4u-01",
            },
        ],
        class_enrolments=[
            {"student_id": "1", "section_id": "1", "date_enrolled": date(2025, 9, 2)},
        ],
    )
    _, findings = scenario.plan()
    (hit,) = codes(findings, "CLS002")
    assert "100" in hit.params["schools"] and "200" in hit.params["schools"]
