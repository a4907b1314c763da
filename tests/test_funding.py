"""Scheduled minutes, high credits and the calculated FTE (segments/funding.py)."""

from datetime import date, timedelta

import polars as pl
import pytest
from builders import Scenario, sse

from onsis_batch.segments.students.funding import funding_values, scheduled_minutes

SEP = date(2025, 9, 3)
MON = date(2025, 10, 27)  # Oct 27-30 in session, cycle A B A B; Friday Oct 31 is a PD day
COUNT = date(2025, 10, 31)

# section: (school, course, term, minutes by cycle day (None = every day), section IS flag)
SECTIONS = {
    "ENG": ("100", "ENG4U1", "S1", {None: 75}, False),
    "MAT": ("100", "MHF4U1", "S1", {None: 75}, False),
    "SCI": ("100", "SCH4U1", "S1", {None: 75}, False),
    "HIS": ("100", "CHY4U1", "S1", {"A": 150}, False),
    "ESL": ("100", "ESLCO1", "S1", {None: 75}, False),
    "FSF": ("100", "FSF4U1", "Y", {None: 75}, False),
    "IND": ("100", "IDC4U1", "S1", {}, True),
    "PPL": ("100", "PPL4O1", "S1", {}, False),  # no timetable rows: minutes unknown
    "NGT": ("200", "BBB4M1", "N1", {None: 75}, False),  # at the night school
    "OLD": ("100", "ENG3U1", "S0", {None: 150}, False),  # last school year
}


def timetable() -> dict[str, list[dict]]:
    courses = {course for _, course, _, _, _ in SECTIONS.values()}
    days = [MON + timedelta(days=i) for i in range(5)]
    calendar = [
        {"school_id": school, "date": d, "in_session": d != COUNT, "cycle_day": "AB"[i % 2]}
        for school in ("100", "200")
        for i, d in enumerate(days)
    ] + [{"school_id": "100", "date": date(2025, 6, 26), "in_session": True, "cycle_day": "A"}]
    return {
        "courses": [
            {"course_number": c, "ministry_code": c[:5], "course_type": "M", "credit": 1.0}
            for c in sorted(courses)
        ],
        "terms": [
            {
                "term_id": "S0",
                "school_id": "100",
                "first_day": date(2025, 2, 3),
                "last_day": date(2025, 6, 27),
                "portion": 2,
            },
            {
                "term_id": "S1",
                "school_id": "100",
                "first_day": date(2025, 9, 2),
                "last_day": date(2026, 1, 30),
                "portion": 2,
            },
            {
                "term_id": "Y",
                "school_id": "100",
                "first_day": date(2025, 9, 2),
                "last_day": date(2026, 6, 26),
                "portion": 1,
            },
            {
                "term_id": "N1",
                "school_id": "200",
                "first_day": date(2025, 9, 2),
                "last_day": date(2026, 1, 30),
                "portion": 2,
            },
        ],
        "sections": [
            {
                "section_id": sid,
                "school_id": school,
                "course_number": course,
                "term_id": term,
                "class_code": f"{course}-{sid}",
                "is_independent_study": is_flag,
            }
            for sid, (school, course, term, _, is_flag) in SECTIONS.items()
        ],
        "section_meetings": [
            {"section_id": sid, "cycle_day": cycle, "minutes": minutes}
            for sid, (_, _, _, meetings, _) in SECTIONS.items()
            for cycle, minutes in meetings.items()
        ],
        "calendar_days": calendar,
    }


def scenario() -> Scenario:
    s = Scenario()
    s.schools = [
        {"school_id": "100", "bsid": "999001", "language": "E"},
        {"school_id": "200", "bsid": "999001", "language": "E", "is_night_school": True},
    ]
    s.extra.update(timetable())
    s.extra.update({"class_enrolments": [], "stored_grades": [], "program_enrolments": []})
    s.extra["programs"] = [
        {"program_id": "SAL", "is_sal": True},
        {"program_id": "EXP", "is_expulsion": True},
        {"program_id": "SPED"},
    ]
    return s


def take(s: Scenario, student_id: str, *sections: str, **values) -> Scenario:
    """Enrol a student for the year and in the given sections for their term."""
    for sid in sections:
        term = next(t for t in s.extra["terms"] if t["term_id"] == SECTIONS[sid][2])
        s.extra["class_enrolments"].append(
            {
                "student_id": student_id,
                "section_id": sid,
                "date_enrolled": term["first_day"],
                "date_left": term["last_day"] + timedelta(days=1),
                **values,
            }
        )
    return s


def student(s: Scenario, student_id: str, enrol: dict | None = None, **values) -> Scenario:
    return s.student(student_id, f"99900000{student_id}", **values).enrol(
        student_id, SEP, **(enrol or {})
    )


def by_student(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["student_id"]: row for row in frame.to_dicts()}


def minutes_of(s: Scenario) -> dict[str, dict]:
    return by_student(scheduled_minutes(s.context()))


# --- the day and its minutes -----------------------------------------------------------------


def test_minutes_of_the_latest_in_session_day_on_or_before_the_count_date():
    s = scenario()
    take(student(s, "1"), "1", "ENG", "HIS")  # HIS meets on A days only
    row = minutes_of(s)["1"]
    assert row["fte_day"] == date(2025, 10, 30)  # Friday 31 is not in session; Thursday is B
    assert (row["minutes"], row["has_class_data"]) == (75, True)


def test_a_leaver_counts_their_last_day_enrolled():
    s = scenario()
    leaving = {"entry_date": date(2024, 9, 3), "exit_date": date(2025, 10, 30), "exit_code": "70"}
    take(student(s, "1", leaving), "1", "ENG", "HIS")
    row = minutes_of(s)["1"]
    assert row["fte_day"] == date(2025, 10, 29)  # exit Oct 30 = first day out; Oct 29 is A
    assert row["minutes"] == 225


def test_only_classes_enrolled_on_the_day_count():
    s = scenario()
    take(student(s, "1"), "1", "ENG", "MAT")
    s.extra["class_enrolments"][1]["date_left"] = date(2025, 10, 1)  # dropped MAT
    take(student(s, "2"), "2", "ENG")
    s.extra["class_enrolments"][2]["date_left"] = date(2025, 10, 30)  # gone by the day
    rows = minutes_of(s)
    assert rows["1"]["minutes"] == 75
    assert (rows["2"]["minutes"], rows["2"]["has_class_data"]) == (0, True)


def test_night_school_and_independent_study_minutes_are_excluded():
    s = scenario()
    take(student(s, "1"), "1", "ENG", "MAT", "NGT")
    take(student(s, "2"), "2", "ENG", "MAT", "IND")
    take(student(s, "3"), "3", "ENG", "MAT")
    take(s, "3", "SCI", is_independent_study=True)  # flagged on the class enrolment
    take(student(s, "4"), "4", "IND")
    take(s, "4", "NGT")  # night school does not spoil independent-study-only
    rows = minutes_of(s)
    assert [rows[i]["minutes"] for i in "1234"] == [150, 150, 150, 0]
    assert [rows[i]["is_independent_study_only"] for i in "1234"] == [False, False, False, True]


def test_unknown_timetable_leaves_minutes_empty_and_no_class_is_zero_minutes():
    s = scenario()
    take(student(s, "1"), "1", "ENG", "PPL")
    student(s, "2")
    rows = minutes_of(s)
    assert (rows["1"]["minutes"], rows["1"]["has_class_data"]) == (None, True)
    # A student in no class of the BSID's schools has no minutes scheduled (D785).
    assert (rows["2"]["minutes"], rows["2"]["has_class_data"]) == (0, False)


def test_an_unknown_timetable_leaves_fte_empty_with_a_warning_not_invented():
    s = scenario()
    take(student(s, "1", {"fte": None, "high_credit_fte": None}), "1", "ENG", "PPL")
    plan, findings = s.plan()
    row = sse(plan, "1")
    assert row["FTE"] is None and row["ATTENDANCE_TYPE"] is None
    assert "SSE002" in {f.code for f in findings}


def test_reference_rows_can_name_another_day_and_school():
    s = scenario()
    take(student(s, "1"), "1", "OLD")
    reference = pl.DataFrame(
        {
            "student_id": ["1"],
            "school_id": ["100"],
            "as_of": [date(2025, 6, 26)],
            "board_residence_status": ["01"],
            "grade_level": ["11"],
        }
    )
    row = by_student(scheduled_minutes(s.context(), reference))["1"]
    assert (row["fte_day"], row["minutes"]) == (date(2025, 6, 26), 150)


# --- high credits -----------------------------------------------------------------------------


def grades(s: Scenario, student_id: str, credits: float, course: str = "HIS3U1", **values):
    s.extra["stored_grades"].append(
        {
            "grade_id": f"{student_id}-{course}-{len(s.extra['stored_grades'])}",
            "student_id": student_id,
            "course_number": course,
            "earned_credit": credits,
            "credit_date": date(2025, 6, 27),
            **values,
        }
    )
    return s


ADULT = {"birth_date": date(2006, 1, 1), "secondary_entry_date": date(2020, 9, 1)}


def test_high_credits_past_34_split_the_minutes():
    s = scenario()
    take(grades(student(s, "1", **ADULT), "1", 33.0), "1", "ENG", "MAT")
    take(grades(student(s, "2", **ADULT), "2", 34.0), "2", "ENG", "MAT", "SCI")
    rows = minutes_of(s)
    one, two = rows["1"], rows["2"]
    assert (one["high_credits"], one["high_credit_factor"]) == (1.0, 0.5)
    assert (one["high_credit_minutes"], one["regular_minutes"]) == (75, 75)
    assert (two["high_credits"], two["high_credit_factor"], two["regular_minutes"]) == (3.0, 1.0, 0)


def test_exempt_and_late_credits_do_not_count_and_full_year_courses_count_half():
    s = scenario()
    student(s, "1", **ADULT)
    grades(s, "1", 33.0)
    grades(s, "1", 2.0, course="ESLBO1")  # exempt
    grades(s, "1", 1.0, credit_date=date(2025, 10, 30))  # not before the day
    grades(s, "1", 1.0, exclude_from_transcript=True)
    take(s, "1", "ENG", "ESL", "FSF")
    row = minutes_of(s)["1"]
    assert (row["prior_credits"], row["current_credits"], row["exempt_credits"]) == (33.0, 1.5, 1.0)
    # 34.5 in all: 0.5 high credit over 2.5 current credits
    assert (row["high_credits"], row["high_credit_factor"]) == (0.5, 0.2)
    assert (row["minutes"], row["high_credit_minutes"]) == (225, 45)


@pytest.mark.parametrize(
    ("values", "enrol", "programs", "reason"),
    [
        ({}, {"grade_level": "8"}, [], "grade"),
        ({}, {"board_residence_status": "05"}, [], "other_pupil"),
        ({}, {}, [{"program_id": "SPED", "iep": True}], "iep"),
        ({}, {}, [{"program_id": "SAL", "sal_type": "002"}], "sal"),
        ({"birth_date": date(2004, 11, 1)}, {}, [], "age_21"),
        ({"secondary_entry_date": date(2022, 9, 6)}, {}, [], "first_four_years"),
    ],
)
def test_high_credit_exemptions(values, enrol, programs, reason):
    s = scenario()
    take(grades(student(s, "1", enrol, **{**ADULT, **values}), "1", 34.0), "1", "ENG", "MAT", "SCI")
    s.extra["program_enrolments"] = [
        {"student_id": "1", "entry_date": SEP, **program} for program in programs
    ]
    row = minutes_of(s)["1"]
    assert row["high_credit_exemption"] == reason
    assert (row["high_credits"], row["high_credit_minutes"], row["regular_minutes"]) == (0, 0, 225)


def test_no_exemption_after_four_years_or_before_21():
    s = scenario()
    take(grades(student(s, "1", **ADULT), "1", 34.0), "1", "ENG")
    assert minutes_of(s)["1"]["high_credit_exemption"] is None


def test_programs_count_only_when_active_on_the_day():
    s = scenario()
    take(grades(student(s, "1", **ADULT), "1", 34.0), "1", "ENG")
    s.extra["program_enrolments"] = [
        {
            "student_id": "1",
            "program_id": "SPED",
            "entry_date": SEP,
            "exit_date": COUNT,
            "iep": True,
        }
    ]
    assert minutes_of(s)["1"]["has_iep"] is False


# --- calculated FTE ---------------------------------------------------------------------------


def fte_of(s: Scenario) -> dict[str, dict]:
    return by_student(funding_values(s.context()))


def test_fte_from_minutes():
    s = scenario()
    take(student(s, "1"), "1", "ENG", "MAT", "SCI")
    take(student(s, "2"), "2", "ENG", "MAT")
    rows = fte_of(s)
    assert (rows["1"]["fte"], rows["1"]["high_credit_fte"]) == (1.0, 0.0)
    assert (rows["2"]["fte"], rows["2"]["high_credit_fte"]) == (0.5, 0.0)
    assert rows["1"]["funding_rule"] == rows["2"]["funding_rule"] == "minutes"


def test_high_credit_fte_below_and_above_210_minutes():
    s = scenario()
    take(grades(student(s, "1", **ADULT), "1", 33.0), "1", "ENG", "MAT")
    take(grades(student(s, "2", **ADULT), "2", 33.0), "2", "ENG", "MAT", "SCI")
    rows = fte_of(s)
    assert (rows["1"]["fte"], rows["1"]["high_credit_fte"]) == (0.25, 0.25)
    # 36 credits: 2 high of 3 current, factor 0.67: 150 of 225 minutes are high-credit,
    # 75 regular (0.25); 210 minutes in all, so high credit makes up the rest (0.75)
    assert (rows["2"]["fte"], rows["2"]["high_credit_fte"]) == (0.25, 0.75)


@pytest.mark.parametrize(
    ("birth", "sal_type", "rule", "fte"),
    [
        (date(2009, 5, 1), "001", "sal_001", 0.5),
        (date(2009, 5, 1), "002", "sal_002", 1.0),
        (date(2006, 5, 1), "001", "minutes", 0.25),  # 19 on December 31: no SAL rule
    ],
)
def test_sal_rules_for_students_aged_14_to_17(birth, sal_type, rule, fte):
    s = scenario()
    take(student(s, "1", birth_date=birth), "1", "ENG")
    s.extra["program_enrolments"] = [
        {"student_id": "1", "program_id": "SAL", "entry_date": SEP, "sal_type": sal_type}
    ]
    row = fte_of(s)["1"]
    assert (row["funding_rule"], row["fte"], row["high_credit_fte"]) == (rule, fte, 0.0)


def test_expulsion_and_independent_study_only_rules_need_no_minutes():
    s = scenario()
    student(s, "1")
    s.extra["program_enrolments"] = [{"student_id": "1", "program_id": "EXP", "entry_date": SEP}]
    take(student(s, "2"), "2", "IND")
    take(student(s, "3", {"board_residence_status": "05"}), "3", "IND")
    rows = fte_of(s)
    assert (rows["1"]["funding_rule"], rows["1"]["fte"]) == ("expulsion", 1.0)
    assert (rows["2"]["funding_rule"], rows["2"]["fte"]) == ("independent_study_only", 0.0)
    assert (rows["3"]["funding_rule"], rows["3"]["fte"]) == ("minutes", 0.0)


def test_kindergarten_aged_six_is_full_time_and_no_class_gives_zero_fte():
    s = scenario()
    take(student(s, "1", {"grade_level": "K"}), "1", "ENG")
    student(s, "2")
    rows = fte_of(s)
    assert rows["1"]["full_time_rule"] is True
    assert rows["2"]["full_time_rule"] is False
    assert (rows["2"]["funding_rule"], rows["2"]["fte"], rows["2"]["high_credit_fte"]) == (
        "minutes",
        0.0,
        0.0,
    )


def test_many_students_in_one_pass():
    s = scenario()
    for i in range(200):
        take(student(s, str(1000 + i)), str(1000 + i), *(["ENG", "MAT", "SCI"][: i % 4]))
    rows = fte_of(s)
    assert len(rows) == 200
    assert {rows[str(1000 + i)]["fte"] for i in range(200)} == {0.0, 0.25, 0.5, 1.0}
