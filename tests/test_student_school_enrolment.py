"""Scenario tests: one small school per rule of the Student School Enrolment segment."""

from datetime import date

import pytest
from builders import Scenario, reported, sse

SEP = date(2025, 9, 3)


def codes(findings):
    return sorted(f.code for f in findings)


# --- selection -----------------------------------------------------------------------------


def test_new_student_enrolled_in_period_is_added():
    plan, _ = Scenario().student("1", "999000001").enrol("1", SEP).plan()
    row = sse(plan, "1")
    assert (row["_action"], row["_reason"]) == ("ADD", "SSE-ADD-NEW")
    assert row["ENROLMENT_START_DATE"] == SEP
    assert row["STUDENT_MOBILITY_TYPE"] == "09"


def test_student_held_by_onsis_is_updated_with_pae_start_date_and_internal_admission():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2023, 9, 5), entry_code="35", entry_province="QC", entry_language="F")
        .in_pae("999000001", enrolment_start_date=date(2023, 9, 6))
    )
    row = sse(scenario.plan()[0], "1")
    assert (row["_action"], row["_reason"]) == ("UPDATE", "SSE-UPD-ENROLLED")
    assert row["ENROLMENT_START_DATE"] == date(2023, 9, 6)
    assert row["STUDENT_MOBILITY_TYPE"] == "IA"
    assert row["COUNTRY_TYPE"] is None
    assert row["PROVINCE_STATE_TYPE"] is None
    assert row["LANGUAGE_TYPE_PREVIOUS_SCH"] is None


@pytest.mark.parametrize(
    ("entry", "exit", "exit_code"),
    [
        (date(2025, 9, 3), date(2025, 9, 3), None),  # same-day enrolment
        (date(2025, 9, 3), date(2025, 9, 10), "NS"),  # no-show
        (date(2025, 9, 3), None, None),  # pre-registered after the count date is below
    ],
)
def test_ignored_enrolments_report_nothing(entry, exit, exit_code):
    if exit is None:
        entry = date(2025, 11, 15)  # starts after the October count date
    plan, _ = (
        Scenario().student("1", "999000001").enrol("1", entry, exit, exit_code=exit_code).plan()
    )
    assert reported(plan) == set()


def test_unmapped_exit_code_ignores_the_enrolment_with_a_note():
    scenario = (
        Scenario().student("1", "999000001").enrol("1", SEP, date(2025, 10, 1), exit_code="ZZ")
    )
    plan, findings = scenario.plan()
    assert reported(plan) == set()
    assert "SSE001" in codes(findings)
    note = next(f for f in findings if f.code == "SSE001")
    assert (note.file, note.row, note.column) == ("school_enrolments", 2, "exit_code")


def test_student_excluded_from_reporting_is_never_sent_even_if_onsis_holds_them():
    scenario = (
        Scenario()
        .student("1", "999000001", exclude_from_reporting=True)
        .enrol("1", SEP)
        .in_pae("999000001")
    )
    assert reported(scenario.plan()[0]) == set()


def test_attendance_ex_student_is_left_out_unless_onsis_holds_them():
    alone = Scenario().student("1", "999000001").enrol("1", SEP, attendance_type="EX")
    assert reported(alone.plan()[0]) == set()
    held = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2024, 9, 3), date(2025, 6, 27), exit_code="70")
        .enrol("1", SEP, attendance_type="EX")
        .in_pae("999000001")
    )
    row = sse(held.plan()[0], "1")
    assert (row["_action"], row["_reason"]) == ("UPDATE", "SSE-UPD-EXCLUDED")
    assert row["STUDENT_MOBILITY_TYPE_EXIT"] == "70"


def test_entered_and_left_in_period_needs_something_to_report():
    quiet = Scenario().student("1", "999000001").enrol("1", SEP, date(2025, 10, 10), exit_code="64")
    assert reported(quiet.plan()[0]) == set()
    with_ade = (
        Scenario()
        .student("1", "999000001")
        .enrol(
            "1", SEP, date(2025, 10, 10), exit_code="64", ade=0.0123, attendance_type="PT", fte=0.2
        )
    )
    row = sse(with_ade.plan()[0], "1")
    assert (row["_action"], row["_reason"]) == ("ADD", "SSE-ADD-SHORTSTAY")
    assert row["ENROLMENT_END_DATE"] == date(2025, 10, 10)
    assert row["STUDENT_MOBILITY_TYPE_EXIT"] == "64"


def test_earliest_entry_starts_the_enrolment_and_latest_enrolment_gives_values():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2025, 9, 2), date(2025, 9, 20), exit_code="64", grade_level="10")
        .enrol("1", date(2025, 10, 1), grade_level="11", entry_code="34")
    )
    row = sse(scenario.plan()[0], "1")
    assert row["ENROLMENT_START_DATE"] == date(2025, 9, 2)
    assert row["GRADE_TYPE"] == "11"
    assert row["STUDENT_MOBILITY_TYPE"] == "34"
    assert row["ENROLMENT_END_DATE"] is None


# --- non-returning students -----------------------------------------------------------------


def _non_returning(exit_date, kind="oct", **pae):
    scenario = (
        Scenario()
        .student("1", "999000001", gender="F")
        .enrol("1", date(2024, 9, 3), exit_date, exit_code="68", exit_country="667")
        .in_pae("999000001", enrolment_start_date=date(2024, 9, 3), **pae)
    )
    return sse(scenario.plan(kind)[0], "1")


def test_non_returning_in_october_ends_on_period_start_when_they_left_before_july():
    row = _non_returning(date(2025, 6, 27))
    assert (row["_action"], row["_reason"]) == ("UPDATE", "SSE-UPD-NONRETURNING")
    assert row["ENROLMENT_END_DATE"] == date(2025, 7, 1)
    assert row["STUDENT_MOBILITY_TYPE_EXIT"] == "68"
    assert row["COUNTRY_TYPE_EXIT"] == "667"
    assert row["HIGH_CREDIT_FTE"] == 0.0


def test_non_returning_in_october_keeps_a_summer_exit_date():
    assert _non_returning(date(2025, 8, 15))["ENROLMENT_END_DATE"] == date(2025, 8, 15)


def test_non_returning_gender_is_not_sent():
    row = _non_returning(date(2025, 6, 27))
    assert row["GENDER_TYPE__omit"] and row["GENDER_DESC__omit"]


def test_non_returning_without_schedule_is_full_time():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol(
            "1", date(2024, 9, 3), date(2025, 6, 27), exit_code="70", fte=None, high_credit_fte=None
        )
        .in_pae("999000001")
    )
    row = sse(scenario.plan()[0], "1")
    assert (row["FTE"], row["ATTENDANCE_TYPE"]) == (1.0, "FT")


def test_non_returning_in_march_takes_the_exit_date_and_pae_fte():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2025, 9, 3), date(2025, 10, 20), exit_code="64")
        .in_pae("999000001", enrolment_start_date=date(2025, 9, 3), fte=0.5)
    )
    row = sse(scenario.plan("mar")[0], "1")
    # Left before the March period opened: the rule book sends the exit date itself (D784).
    assert row["ENROLMENT_END_DATE"] == date(2025, 10, 20)
    assert row["FTE"] == 0.5


def test_non_returning_not_main_school_ends_on_period_start_with_exit_64():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2025, 9, 3), date(2025, 12, 5), exit_code="70")
        .in_pae("999000001", main_school_flag=False)
    )
    row = sse(scenario.plan("jun")[0], "1")
    assert row["ENROLMENT_END_DATE"] == date(2026, 4, 1)
    assert row["STUDENT_MOBILITY_TYPE_EXIT"] == "64"


def test_no_show_falls_back_to_last_years_exit_code():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2024, 9, 3), date(2025, 6, 27), exit_code="66")
        .enrol("1", SEP, SEP, exit_code="NS")
        .in_pae("999000001")
    )
    row = sse(scenario.plan()[0], "1")
    assert row["_reason"] == "SSE-UPD-NONRETURNING"
    assert row["STUDENT_MOBILITY_TYPE_EXIT"] == "66"


def test_onsis_student_unknown_to_school_data_is_closed_with_a_warning():
    plan, findings = Scenario().in_pae("999000009", grade_type="12").plan()
    row = sse(plan, "PAE:999000009")
    assert (row["_action"], row["_reason"]) == ("UPDATE", "SSE-UPD-PAE-ONLY")
    assert row["GRADE_TYPE"] == "12"
    assert row["ENROLMENT_END_DATE"] == date(2025, 7, 1)
    assert {"STU002", "SSE003"} <= set(codes(findings))


# --- cross-enrolment and shared students ----------------------------------------------------


def _cross(**values):
    scenario = Scenario().student("1", "999000001", scholarship_date=date(2025, 10, 1), oyap=True)
    return scenario.enrol("1", SEP, is_cross_enrolment=True, fte=None, **values)


def test_cross_enrolled_student_is_shared_part_time_with_zero_fte():
    row = sse(_cross(home_school_level="S").plan()[0], "1")
    assert row["MAIN_SCHOOL_FLAG"] is False
    assert row["STU_BRD_RES_STAT_TYPE"] == "08"
    assert (row["ATTENDANCE_TYPE"], row["FTE"], row["HIGH_CREDIT_FTE"]) == ("PT", 0.0, 0.0)
    assert row["STUDENT_MOBILITY_TYPE"] == "09"
    assert row["ONTARIO_SCHOLARSHIP_FLAG"] is None and row["ONTARIO_SCHOLARSHIP_DATE"] is None
    assert row["OYAP_FLAG"] is False


@pytest.mark.parametrize(
    ("values", "catholic", "expected"),
    [
        ({"home_school_level": "E"}, False, "05"),
        ({"home_school_level": "S"}, True, "19"),
        ({"home_school_level": "S", "home_school_private": True}, False, "21"),
    ],
)
def test_cross_enrolment_mobility_names_the_main_school(values, catholic, expected):
    scenario = _cross(**values)
    scenario.board_settings[0]["catholic_board"] = catholic
    assert sse(scenario.plan()[0], "1")["STUDENT_MOBILITY_TYPE"] == expected


def test_cross_enrolment_ending_in_period_exits_with_64_and_elearning_status_is_kept():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol(
            "1",
            SEP,
            date(2025, 10, 15),
            is_cross_enrolment=True,
            board_residence_status="09",
            exit_code="70",
            ade=0.01,
        )
    )
    row = sse(scenario.plan()[0], "1")
    assert row["STU_BRD_RES_STAT_TYPE"] == "09"
    assert row["STUDENT_MOBILITY_TYPE_EXIT"] == "64"
    assert row["ADE"] == 0.0  # e-learning students carry no independent-study ADE


def test_primary_enrolment_wins_over_cross_enrolment():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", SEP, grade_level="10")
        .enrol("1", date(2025, 9, 10), is_cross_enrolment=True, grade_level="12")
    )
    row = sse(scenario.plan()[0], "1")
    assert row["MAIN_SCHOOL_FLAG"] is True
    assert row["GRADE_TYPE"] == "10"


def test_student_who_withdrew_but_stays_cross_enrolled_is_shared():
    scenario = (
        Scenario()
        .student("1", "999000001")
        .enrol("1", SEP, date(2025, 10, 1), exit_code="64")
        .enrol("1", date(2025, 10, 2), is_cross_enrolment=True, home_school_level="S")
    )
    row = sse(scenario.plan()[0], "1")
    assert (row["MAIN_SCHOOL_FLAG"], row["STU_BRD_RES_STAT_TYPE"], row["FTE"]) == (False, "08", 0.0)


def test_not_main_school_flag_makes_the_student_shared():
    scenario = Scenario().student("1", "999000001", not_main_school=True).enrol("1", SEP)
    row = sse(scenario.plan()[0], "1")
    assert (row["MAIN_SCHOOL_FLAG"], row["STU_BRD_RES_STAT_TYPE"]) == (False, "08")
    assert (row["ATTENDANCE_TYPE"], row["FTE"]) == ("PT", 0.0)


def test_reach_ahead_grade_8_is_reported_in_grade_9():
    """Grade 9 whatever the classes; the flag needs a language course among them (D944),
    and this student has no class."""
    scenario = _cross(home_school_level="E", grade_level="8")
    row = sse(scenario.plan()[0], "1")
    assert row["GRADE_TYPE"] == "9"
    assert row["REACH_AHEAD_FLAG"] is False


# --- issue 12 item 7 (D780-D785) ----------------------------------------------------------


def _untyped_cross_scenario() -> Scenario:
    """Student 1 cross-enrolled at school 100 in one class of a course with no type."""
    scenario = Scenario().student("1", "999000001")
    scenario.enrol("1", SEP, is_cross_enrolment=True, home_school_level="S", fte=None)
    scenario.extra.update(
        {
            "courses": [{"course_number": "HOME01", "ministry_code": "HOME0"}],
            "terms": [
                {
                    "term_id": "S1",
                    "school_id": "100",
                    "first_day": date(2025, 9, 2),
                    "last_day": date(2026, 1, 30),
                }
            ],
            "sections": [
                {
                    "section_id": "UNT",
                    "school_id": "100",
                    "course_number": "HOME01",
                    "term_id": "S1",
                    "class_code": "HOME0-01",
                }
            ],
            "class_enrolments": [
                {
                    "student_id": "1",
                    "section_id": "UNT",
                    "date_enrolled": date(2025, 9, 2),
                    "date_left": date(2026, 1, 31),
                }
            ],
        }
    )
    return scenario


def test_untyped_cross_enrolment_is_a_note_at_the_enrolment_row_and_nothing_is_sent():
    plan, findings = _untyped_cross_scenario().plan()
    assert reported(plan) == set()
    note = next(f for f in findings if f.code == "SSE005")
    assert (note.severity.value, note.file, note.row, note.segment) == (
        "info",
        "school_enrolments",
        2,
        "STUDENT",
    )
    assert note.params["student_id"] == "1"


def test_explain_names_the_untyped_cross_enrolment_rule_and_its_note():
    """The not-sent reason (D941) is the STUDENT segment's why-not; SSE005 is still shown."""
    from onsis_batch.report.explain import Subject, explain

    scenario = _untyped_cross_scenario()
    plan, findings = scenario.plan()
    entry = explain(scenario.context(), plan, findings, Subject("oen", "999000001"))
    by_segment = {s["segment"]: s for s in entry["segments"]}
    assert by_segment["STUDENT"]["why_not"] == "NOTSENT-STU-UNTYPED-CROSS"
    assert by_segment["STUDENT_SCHOOL_ENROLMENT"]["why_not"] == "EXPLAIN-PARENT-NOT-SENT"
    assert [f["code"] for f in entry["findings"]] == ["SSE005"]
