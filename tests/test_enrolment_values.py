"""Scenario tests for element values of STUDENT and STUDENT_SCHOOL_ENROLMENT."""

from datetime import date

import polars as pl
import pytest
from builders import Scenario, sse

SEP = date(2025, 9, 3)


def student_row(plan, student_id):
    return plan.segments["STUDENT"].filter(pl.col("_id") == student_id).to_dicts()[0]


def one(scenario_kw=None, kind="oct", enrol=None, **student):
    scenario = Scenario().student("1", "999000001", **student).enrol("1", SEP, **(enrol or {}))
    for table, rows in (scenario_kw or {}).items():
        scenario.extra[table] = rows
    plan, findings = scenario.plan(kind)
    return plan, findings


# --- STUDENT ---------------------------------------------------------------------------------


def test_oen_keeps_digits_only():
    plan, _ = Scenario().student("1", " 999-000 001 ").enrol("1", SEP).plan()
    assert student_row(plan, "1")["OEN"] == "999000001"


def test_missing_oen_is_sent_as_nine_zeros_with_a_warning():
    plan, findings = Scenario().student("1", None).enrol("1", SEP).plan()
    assert student_row(plan, "1")["OEN"] == "000000000"
    warning = next(f for f in findings if f.code == "STU001")
    assert (warning.file, warning.row, warning.column) == ("students", 2, "oen")


def test_malformed_and_shared_oens_are_errors():
    scenario = (
        Scenario()
        .student("1", "12345")
        .enrol("1", SEP)
        .student("2", "999000002")
        .enrol("2", SEP)
        .student("3", "999-000-002")
        .enrol("3", SEP)
    )
    found = {f.code for f in scenario.plan()[1]}
    assert {"STU003", "STU004"} <= found


def test_legal_names_win_over_usual_names():
    plan, _ = one(first_name="Al", legal_first_name="Alberta", last_name="Doe", middle_name="Q")
    row = student_row(plan, "1")
    assert row["STUDENT_LEGAL_GIVEN_NAME"] == "Alberta"
    assert row["STUDENT_LEGAL_LAST_NAME"] == "Doe"
    assert row["STUDENT_LEGAL_SECOND_NAME"] == "Q"


@pytest.mark.parametrize(
    ("first_language", "french", "expected"),
    [
        ("F", False, "F"),
        (None, False, "E"),
        (None, True, "F"),
    ],
)
def test_student_language_first_spoken(first_language, french, expected):
    scenario = Scenario().student("1", "999000001", first_language=first_language).enrol("1", SEP)
    scenario.board_settings[0]["french_board"] = french
    assert student_row(scenario.plan()[0], "1")["LANGUAGE_TYPE"] == expected


# --- STUDENT_SCHOOL_ENROLMENT values ---------------------------------------------------------


@pytest.mark.parametrize(
    ("french", "private", "expected"),
    [
        (False, False, "E"),
        (True, False, "F"),
        (False, True, "B"),
    ],
)
def test_enrolment_language_type(french, private, expected):
    scenario = Scenario().student("1", "999000001").enrol("1", SEP)
    scenario.board_settings[0]["french_board"] = french
    assert sse(scenario.plan(private=private)[0], "1")["LANGUAGE_TYPE"] == expected


def test_grade_designation_defaults_to_years_of_attendance():
    plan, _ = one()
    assert sse(plan, "1")["GRADE_DESIGNATION_TYPE"] == "1"
    plan, _ = one(enrol={"grade_designation": "2"})
    assert sse(plan, "1")["GRADE_DESIGNATION_TYPE"] == "2"


def test_postal_code_formatted_for_ontario_residents_only():
    plan, _ = one(postal_code="k1a0b1")
    assert sse(plan, "1")["POSTAL_AREA_TYPE"] == "K1A 0B1"
    plan, _ = one(postal_code="K1A 0B1", enrol={"current_province": "QC"})
    row = sse(plan, "1")
    assert row["POSTAL_AREA_TYPE"] is None
    assert row["CURRENT_RESIDENCE_PROVINCE"] == "QC"


def test_current_residence_country_only_outside_canada_without_province():
    plan, _ = one(enrol={"current_country": "667"})
    row = sse(plan, "1")
    assert (row["CURRENT_RESIDENCE_COUNTRY"], row["CURRENT_RESIDENCE_PROVINCE"]) == ("667", None)
    plan, _ = one()
    row = sse(plan, "1")
    assert (row["CURRENT_RESIDENCE_COUNTRY"], row["CURRENT_RESIDENCE_PROVINCE"]) == (None, "ON")


@pytest.mark.parametrize(
    ("student", "country", "province"),
    [
        ({}, None, "ON"),
        ({"birth_country": "CAN", "birth_province": "QC"}, None, "QC"),
        ({"birth_country": "202"}, "202", None),
        ({"birth_country": "202", "year_of_entry_to_canada": date(2019, 8, 1)}, "202", None),
        ({"birth_province": "BC", "year_of_entry_to_canada": date(2019, 8, 1)}, None, None),
    ],
)
def test_birth_country_and_province(student, country, province):
    plan, _ = one(**student)
    row = sse(plan, "1")
    assert (row["COUNTRY_TYPE_BIRTH"], row["PROVINCE_STATE_TYPE_BIRTH"]) == (country, province)


def test_entry_from_another_country_or_province_names_it():
    plan, _ = one(enrol={"entry_code": "36", "entry_country": "292"})
    row = sse(plan, "1")
    assert (row["COUNTRY_TYPE"], row["PROVINCE_STATE_TYPE"]) == ("292", None)
    plan, _ = one(enrol={"entry_code": "35", "entry_province": "AB"})
    row = sse(plan, "1")
    assert (row["COUNTRY_TYPE"], row["PROVINCE_STATE_TYPE"], row["LANGUAGE_TYPE_PREVIOUS_SCH"]) == (
        None,
        "AB",
        "E",
    )


def test_scholarship_only_inside_the_period():
    plan, _ = one(scholarship_date=date(2025, 10, 2))
    row = sse(plan, "1")
    assert (row["ONTARIO_SCHOLARSHIP_FLAG"], row["ONTARIO_SCHOLARSHIP_DATE"]) == (
        True,
        date(2025, 10, 2),
    )
    plan, _ = one(scholarship_date=date(2025, 6, 2))
    row = sse(plan, "1")
    assert (row["ONTARIO_SCHOLARSHIP_FLAG"], row["ONTARIO_SCHOLARSHIP_DATE"]) == (False, None)


def test_community_hours_summed_and_capped_at_999():
    hours = [{"student_id": "1", "hours": 600.0}, {"student_id": "1", "hours": 500.5}]
    plan, _ = one({"community_hours": hours})
    assert sse(plan, "1")["COMMUNITY_INVOLMENT_ACCU_HOURS"] == 999.0
    plan, _ = one()
    assert sse(plan, "1")["COMMUNITY_INVOLMENT_ACCU_HOURS"] == 0.0


def test_literacy_status_from_results_never_for_grade_9():
    results = [
        {"student_id": "1", "test": "OSSLT", "result": "U"},
        {"student_id": "1", "test": "OLC", "result": "S"},
    ]
    plan, _ = one({"test_results": results})
    assert sse(plan, "1")["LITERACY_STATUS_TYPE"] == "6"
    plan, _ = one({"test_results": results}, enrol={"grade_level": "9"})
    assert sse(plan, "1")["LITERACY_STATUS_TYPE"] is None


def test_snapshot_on_the_count_date_wins():
    snapshot = [
        {"student_id": "1", "count_date": date(2025, 10, 31), "grade_level": "12", "gender": "M"},
        {"student_id": "1", "count_date": date(2025, 3, 31), "grade_level": "10"},
    ]
    plan, _ = one({"snapshot": snapshot}, gender="F")
    row = sse(plan, "1")
    assert (row["GRADE_TYPE"], row["GENDER_TYPE"]) == ("12", "M")


def test_gender_description_only_for_specified_gender():
    plan, _ = one(gender="S", gender_desc="Two-spirit")
    assert sse(plan, "1")["GENDER_DESC"] == "Two-spirit"
    plan, _ = one(gender="F", gender_desc="ignored")
    assert sse(plan, "1")["GENDER_DESC"] is None


# --- FTE, attendance type, ADE --------------------------------------------------------------


def test_fte_override_and_attendance_derived_from_it():
    plan, _ = one(enrol={"fte": 0.5, "high_credit_fte": 0.0})
    row = sse(plan, "1")
    assert (row["FTE"], row["ATTENDANCE_TYPE"]) == (0.5, "PT")
    plan, _ = one(enrol={"fte": 0.5, "attendance_type": "FT"})
    assert sse(plan, "1")["ATTENDANCE_TYPE"] == "FT"


def test_high_credit_fte_only_for_pupils_of_the_board():
    plan, _ = one(enrol={"high_credit_fte": None, "board_residence_status": "05"})
    assert sse(plan, "1")["HIGH_CREDIT_FTE"] == 0.0


def test_a_student_in_no_class_is_part_time_with_zero_fte():
    # No class at all is no minutes scheduled: the rule book's PT, FTE 0.00 (D785).
    plan, findings = one(enrol={"fte": None, "high_credit_fte": None})
    row = sse(plan, "1")
    assert (row["FTE"], row["HIGH_CREDIT_FTE"], row["ATTENDANCE_TYPE"]) == (0.0, 0.0, "PT")
    assert "SSE002" not in {f.code for f in findings}


def test_ade_is_zero_for_full_time_pupils_of_the_board():
    plan, _ = one(enrol={"ade": 0.05, "high_credit_ade": 0.01})
    row = sse(plan, "1")
    assert (row["ADE"], row["HIGH_CREDIT_ADE"]) == (0.0, 0.0)
    plan, _ = one(enrol={"ade": 0.05, "fte": 0.3})
    assert sse(plan, "1")["ADE"] == 0.05


# --- June -------------------------------------------------------------------------------------


def test_june_exit_after_last_school_day_is_not_an_end_date():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2025, 9, 3), date(2026, 6, 30), exit_code="64")
        .in_pae("999000001")
    )
    scenario.board_settings[0]["last_school_day"] = date(2026, 6, 25)
    scenario.board_settings[0]["jun_count_date"] = date(2026, 6, 30)
    row = sse(scenario.plan("jun")[0], "1")
    assert row["ENROLMENT_END_DATE"] is None and row["STUDENT_MOBILITY_TYPE_EXIT"] is None


def test_june_leaver_folds_high_credit_fte_into_regular_fte():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol(
            "1", date(2025, 9, 3), date(2026, 5, 1), exit_code="68", fte=0.8, high_credit_fte=0.2
        )
        .in_pae("999000001")
    )
    row = sse(scenario.plan("jun")[0], "1")
    assert (row["FTE"], row["HIGH_CREDIT_FTE"]) == (1.0, 0.0)
    assert row["ENROLMENT_END_DATE"] == date(2026, 5, 1)
