"""Business-rule checks on the finished plan (RUL codes): each fires on a tiny plan that
breaks its rule and stays quiet on one that keeps it; no check changes the plan."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import pytest
import yaml
from builders import BSID, Scenario, write_scenario
from click.testing import CliRunner
from lxml import etree
from polars.testing import assert_frame_equal
from sample_plans import enrolments, frame, period, simple_plan, students

from onsis_batch.cli import cli
from onsis_batch.findings import catalog
from onsis_batch.plan.model import Plan
from onsis_batch.validate.batch_file import check_plan
from onsis_batch.validate.rules import CHECKS, run_checks

OEN = "123456789"


def plan_with(
    enrolment: dict[str, Any] | None = None,
    student: dict[str, Any] | None = None,
    **children: list[dict[str, Any]],
) -> Plan:
    """One student with one ADD enrolment, plus rows of other segments (all ADD, all
    under that enrolment unless a row says otherwise)."""
    segments = {
        "STUDENT": students({"OEN": OEN, **(student or {})}),
        "STUDENT_SCHOOL_ENROLMENT": enrolments({"_parent": OEN, **(enrolment or {})}),
    }
    for name, rows in children.items():
        base = [
            {"_id": f"{name}-{i}", "_parent": f"SSE-{OEN}", "_order": i, "_action": "ADD", **row}
            for i, row in enumerate(rows)
        ]
        segments[name] = frame(name, base, {})
    return Plan(period=period(), segments=segments)


def codes_of(plan: Plan) -> list[str]:
    return [f.code for f in run_checks(plan)]


def only(plan: Plan, code: str):
    findings = run_checks(plan)
    assert [f.code for f in findings] == [code], [str(f) for f in findings]
    return findings[0]


def test_the_sample_plan_is_clean():
    assert run_checks(simple_plan()) == []


# --- RUL001 code tables -------------------------------------------------------------------


def test_rul001_unknown_code_is_located():
    hit = only(plan_with({"GRADE_TYPE": "13"}), "RUL001")
    assert (hit.segment, hit.key) == ("STUDENT_SCHOOL_ENROLMENT", f"SSE-{OEN}")
    assert hit.params == {"element": "GRADE_TYPE", "value": "13", "table": "grade_type"}
    assert "grade_type" in hit.message_en and "13" in hit.message_fr


def test_rul001_known_codes_and_deleted_rows_pass():
    # a DELETE echoes what OnSIS holds, even a code the current table retired
    plan = plan_with(SPECIAL_EDUCATION=[{"_action": "DELETE", "EXCEPTIONALITY_TYPE": "99"}])
    assert codes_of(plan) == []


# --- RUL002 dates inside the period and school year -------------------------------------


@pytest.mark.parametrize(
    ("element", "day", "fires"),
    [
        ("ENROLMENT_START_DATE", date(2025, 11, 1), True),  # after the count date
        ("ENROLMENT_START_DATE", date(2019, 9, 3), False),  # a stay that began long ago
        ("ENROLMENT_END_DATE", date(2025, 6, 27), True),  # before the school year
        ("ENROLMENT_END_DATE", date(2025, 10, 31), False),
    ],
)
def test_rul002_enrolment_dates(element, day, fires):
    plan = plan_with({element: day})
    if not fires:
        assert codes_of(plan) == []
        return
    hit = only(plan, "RUL002")
    assert (hit.params["element"], hit.params["value"]) == (element, day.strftime("%Y/%m/%d"))
    assert hit.params["latest"] == "2025/10/31"


def test_rul002_course_dates():
    plan = plan_with(
        STUDENT_CLASS_ENROLMENT=[
            {"CLASS_CODE": "A", "COURSE_START_DATE": date(2025, 11, 3)},
            {"CLASS_CODE": "B", "COURSE_START_DATE": date(2025, 9, 2)},
        ]
    )
    hit = only(plan, "RUL002")
    assert (hit.segment, hit.key) == ("STUDENT_CLASS_ENROLMENT", "STUDENT_CLASS_ENROLMENT-0")


# --- RUL003 course end after the enrolment end ------------------------------------------


@pytest.mark.parametrize(
    ("course_end", "fires"), [(date(2025, 10, 20), True), (date(2025, 10, 10), False)]
)
def test_rul003_course_end_after_enrolment_end(course_end, fires):
    plan = plan_with(
        {"ENROLMENT_END_DATE": date(2025, 10, 10)},
        STUDENT_CLASS_ENROLMENT=[{"CLASS_CODE": "A", "COURSE_END_DATE": course_end}],
    )
    assert codes_of(plan) == (["RUL003"] if fires else [])


def test_rul003_needs_an_enrolment_end():
    plan = plan_with(
        STUDENT_CLASS_ENROLMENT=[{"CLASS_CODE": "A", "COURSE_END_DATE": date(2025, 10, 20)}]
    )
    assert codes_of(plan) == []


# --- RUL004 IPRC review after the count date --------------------------------------------


@pytest.mark.parametrize(
    ("review", "fires"), [(date(2025, 11, 5), True), (date(2025, 10, 31), False)]
)
def test_rul004_iprc_review_after_count_date(review, fires):
    plan = plan_with(SPECIAL_EDUCATION=[{"EXCEPTIONALITY_TYPE": "5", "IPRC_REVIEW_DATE": review}])
    if fires:
        hit = only(plan, "RUL004")
        assert hit.params == {"iprc_date": "2025/11/05", "count_date": "2025/10/31"}
    else:
        assert codes_of(plan) == []


# --- RUL005-RUL007 FTE ranges and attendance type (MSE0026) -----------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"FTE": 1.2}, ["RUL005"]),
        ({"FTE": 0.02, "ATTENDANCE_TYPE": "PT"}, ["RUL005"]),
        ({"FTE": 0.04, "ATTENDANCE_TYPE": "PT"}, []),
        ({"FTE": 1.0}, []),
        ({"FTE": 0.5, "STU_BRD_RES_STAT_TYPE": "08", "ATTENDANCE_TYPE": "PT"}, ["RUL006"]),
        ({"FTE": 0.0, "STU_BRD_RES_STAT_TYPE": "09", "ATTENDANCE_TYPE": "PT"}, []),
        ({"FTE": 0.8, "ATTENDANCE_TYPE": "PT"}, ["RUL007"]),
        ({"FTE": 0.69, "ATTENDANCE_TYPE": "PT"}, []),
        ({"FTE": 0.5, "HIGH_CREDIT_FTE": 0.1, "ATTENDANCE_TYPE": "FT"}, ["RUL007"]),
        ({"FTE": 0.6, "HIGH_CREDIT_FTE": 0.1, "ATTENDANCE_TYPE": "FT"}, []),
        ({"FTE": None}, []),  # no FTE (private school, or derived later): nothing to check
    ],
)
def test_fte_rules(values, expected):
    assert codes_of(plan_with(values)) == expected


def test_rul007_names_the_ministry_edit_it_anticipates():
    hit = only(plan_with({"FTE": 0.8, "ATTENDANCE_TYPE": "PT"}), "RUL007")
    assert catalog()["RUL007"].ministry_code == "MSE0026"
    assert hit.params == {"fte": "0.80", "residence": "01", "attendance": "PT"}


@pytest.mark.parametrize(
    ("independent", "expected"),
    [(True, []), (False, ["RUL005"]), (None, ["RUL005"])],  # None: a plan without the column
)
def test_rul005_accepts_the_zero_fte_of_independent_study_only_students(independent, expected):
    plan = plan_with({"FTE": 0.0, "HIGH_CREDIT_FTE": 0.0, "ATTENDANCE_TYPE": "PT"})
    if independent is not None:
        sse = plan.segments["STUDENT_SCHOOL_ENROLMENT"]
        plan.segments["STUDENT_SCHOOL_ENROLMENT"] = sse.with_columns(
            pl.lit(independent).alias("independent_study_only")
        )
    assert codes_of(plan) == expected


def test_an_independent_study_only_student_passes_the_fte_checks_end_to_end():
    # D783: IS-only is sent at 0.00 and PT and RUL005 accepts it; a student in no class
    # (D785) is sent at 0.00 and PT too, and RUL005 says OnSIS will reject that.
    scenario = Scenario()
    scenario.extra.update(
        {
            "courses": [{"course_number": "IDC4U1", "ministry_code": "IDC4U", "course_type": "M"}],
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
                    "section_id": "IND",
                    "school_id": "100",
                    "course_number": "IDC4U1",
                    "term_id": "S1",
                    "class_code": "IDC4U-01",
                    "is_independent_study": True,
                }
            ],
            "calendar_days": [{"school_id": "100", "date": date(2025, 10, 30)}],
            "class_enrolments": [
                {
                    "student_id": "1",
                    "section_id": "IND",
                    "date_enrolled": date(2025, 9, 2),
                    "date_left": date(2026, 1, 31),
                }
            ],
        }
    )
    for sid in ("1", "2"):
        scenario.student(sid, f"99900000{sid}").enrol(sid, date(2025, 9, 3), fte=None)
    plan, _ = scenario.plan()
    rows = {r["_id"]: r for r in plan.segments["STUDENT_SCHOOL_ENROLMENT"].to_dicts()}
    assert [(rows[s]["FTE"], rows[s]["ATTENDANCE_TYPE"]) for s in "12"] == [(0.0, "PT")] * 2
    assert [(f.code, f.key) for f in check_plan(plan) if f.code == "RUL005"] == [("RUL005", "2")]


def test_fte_rules_skip_an_omitted_fte():
    assert codes_of(plan_with({"FTE": 3.0, "FTE__omit": True})) == []


# --- RUL008 Ontario Scholar outside the main school (MDI0019) ---------------------------


@pytest.mark.parametrize(("main", "fires"), [(False, True), (True, False)])
def test_rul008_scholarship_only_from_the_main_school(main, fires):
    plan = plan_with({"ONTARIO_SCHOLARSHIP_FLAG": True, "MAIN_SCHOOL_FLAG": main})
    assert codes_of(plan) == (["RUL008"] if fires else [])


# --- RUL009/RUL010 OEN and MEN ----------------------------------------------------------


def test_rul009_oen_not_nine_digits():
    plan = Plan(period=period(), segments={"STUDENT": students({"OEN": "12345678"})})
    hit = only(plan, "RUL009")
    assert hit.params == {"element": "OEN", "value": "12345678"}


@pytest.mark.parametrize(("men", "fires"), [("12345678A", True), ("012345678", False)])
def test_rul009_men_not_nine_digits(men, fires):
    rows = [{"_id": "SEA-1", "_order": 0, "_action": "ADD", "MEN": men, "POSITION_TYPE": "TEA"}]
    plan = Plan(
        period=period(),
        segments={"SCHOOL_EDUCATOR_ASSIGNMENT": frame("SCHOOL_EDUCATOR_ASSIGNMENT", rows, {})},
    )
    assert codes_of(plan) == (["RUL009"] if fires else [])


def test_rul010_oen_on_two_students():
    plan = Plan(period=period(), segments={"STUDENT": students({"OEN": OEN}, {"OEN": OEN})})
    hit = only(plan, "RUL010")
    assert (hit.key, hit.params["count"]) == (OEN, "2")


def test_rul010_students_without_oen_share_the_placeholder():
    plan = Plan(
        period=period(),
        segments={"STUDENT": students({"OEN": "000000000"}, {"OEN": "000000000"})},
    )
    assert codes_of(plan) == []


# --- RUL011 postal code -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("postal", "fires"), [("K1A0B1", True), ("k1a 0b1", True), ("K1A 0B1", False)]
)
def test_rul011_postal_code_pattern(postal, fires):
    findings = run_checks(plan_with({"POSTAL_AREA_TYPE": postal}))
    assert [f.code for f in findings] == (["RUL011"] if fires else [])
    assert all(postal not in str(f.to_dict()) for f in findings)  # personal: never quoted


# --- RUL012 class codes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "fires"), [(["MPM2D-01", "mpm2d -01"], True), (["MPM2D-01", "MPM2D-51"], False)]
)
def test_rul012_class_code_on_two_classes(codes, fires):
    rows = [{"_id": c, "_order": i, "_action": "ADD", "CLASS_CODE": c} for i, c in enumerate(codes)]
    plan = Plan(period=period(), segments={"CLASS": frame("CLASS", rows, {})})
    if fires:
        hit = only(plan, "RUL012")
        assert (hit.key, hit.params["count"]) == ("MPM2D-01", "2")
    else:
        assert codes_of(plan) == []


# --- RUL013/RUL014 marks and credits (MCE0039, MCE0026) ---------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"EARNED_CREDIT_VALUE": 1.0, "FINAL_MARK": 45}, ["RUL013"]),
        ({"EARNED_CREDIT_VALUE": 1.0, "FINAL_MARK": 50}, []),
        ({"EARNED_CREDIT_VALUE": 0.0, "FINAL_MARK": 45}, []),
        ({"EARNED_CREDIT_VALUE": 1.0, "WITHDRAWAL_TYPE": "D"}, ["RUL014"]),
        ({"EARNED_CREDIT_VALUE": 0.0, "WITHDRAWAL_TYPE": "D"}, []),
    ],
)
def test_marks_and_credits(values, expected):
    plan = plan_with(STUDENT_CLASS_ENROLMENT=[{"CLASS_CODE": "A", **values}])
    assert codes_of(plan) == expected


def test_rul013_message_names_mark_and_credit():
    plan = plan_with(
        STUDENT_CLASS_ENROLMENT=[{"CLASS_CODE": "A", "EARNED_CREDIT_VALUE": 1.0, "FINAL_MARK": 45}]
    )
    hit = only(plan, "RUL013")
    assert hit.params == {"credit": "1.00", "mark": "45"}
    assert catalog()["RUL013"].ministry_code == "MCE0039"


# --- RUL015 SAL for students 18 or older (MSA0006) --------------------------------------


@pytest.mark.parametrize(
    ("birth", "action", "fires"),
    [
        (date(2007, 12, 31), "ADD", True),  # 18 on December 31, 2025
        (date(2008, 1, 1), "ADD", False),
        (date(2007, 5, 1), "DELETE", False),  # removing the program is always allowed
    ],
)
def test_rul015_salep_age(birth, action, fires):
    salep = {"_action": action, "TYPE": "001", "START_DATE": date(2025, 9, 2)}
    plan = plan_with(student={"STUDENT_DOB": birth}, SALEP=[salep])
    findings = run_checks(plan)
    assert [f.code for f in findings] == (["RUL015"] if fires else [])
    assert all(birth.isoformat() not in str(f.to_dict()) for f in findings)


# --- RUL016/RUL017 high-credit FTE (MSE0141, MSE0140) ------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"HIGH_CREDIT_FTE": 0.25, "STU_BRD_RES_STAT_TYPE": "07"}, ["RUL016"]),
        ({"HIGH_CREDIT_FTE": 0.25, "STU_BRD_RES_STAT_TYPE": "01"}, []),
        ({"HIGH_CREDIT_FTE": 0.0, "STU_BRD_RES_STAT_TYPE": "07"}, []),
    ],
)
def test_rul016_high_credit_only_for_pupils_of_the_board(values, expected):
    assert codes_of(plan_with(values)) == expected


@pytest.mark.parametrize(
    ("birth", "fires"), [(date(2004, 12, 31), True), (date(2005, 1, 1), False)]
)
def test_rul017_high_credit_not_at_21(birth, fires):
    plan = plan_with({"HIGH_CREDIT_FTE": 0.25}, student={"STUDENT_DOB": birth})
    findings = run_checks(plan)
    assert [f.code for f in findings] == (["RUL017"] if fires else [])
    if fires:
        assert findings[0].params == {"high_credit_fte": "0.25", "age_limit": "21"}
        assert catalog()["RUL017"].ministry_code == "MSE0140"


# --- RUL018 literacy status in grade 9 ----------------------------------------------------


@pytest.mark.parametrize(("grade", "fires"), [("9", True), ("10", False)])
def test_rul018_no_literacy_status_in_grade_9(grade, fires):
    plan = plan_with({"GRADE_TYPE": grade, "LITERACY_STATUS_TYPE": "1"})
    assert codes_of(plan) == (["RUL018"] if fires else [])


# --- RUL019/RUL020 course flags and course codes ------------------------------------------


@pytest.mark.parametrize(("incomplete", "fires"), [(True, True), (False, False)])
def test_rul019_complete_and_incomplete(incomplete, fires):
    row = {"CLASS_CODE": "A", "COURSE_COMPLETE_FLAG": True, "COURSE_INCOMPLETE_FLAG": incomplete}
    assert codes_of(plan_with(STUDENT_CLASS_ENROLMENT=[row])) == (["RUL019"] if fires else [])


@pytest.mark.parametrize(("local", "fires"), [("XLDCL", True), (None, False)])
def test_rul020_ministry_and_local_course(local, fires):
    codes = {"MINISTRY_DFND_CRS": "MPM2D", "LOCAL_DEV_CRS": local}
    plan = plan_with(
        STUDENT_CLASS_ENROLMENT=[{"CLASS_CODE": "A", **codes}],
        SEGMENT=[{"_parent": "A", **codes, "LANGUAGE_TYPE": "E", "CREDIT_VALUE": 1.0}],
    )
    findings = run_checks(plan)
    assert [(f.code, f.segment) for f in findings] == (
        [("RUL020", "SEGMENT"), ("RUL020", "STUDENT_CLASS_ENROLMENT")] if fires else []
    )


# --- RUL021/RUL022 birth place and community hours ----------------------------------------


@pytest.mark.parametrize(("country", "fires"), [("667", True), (None, False)])
def test_rul021_country_or_province_of_birth(country, fires):
    plan = plan_with({"COUNTRY_TYPE_BIRTH": country, "PROVINCE_STATE_TYPE_BIRTH": "ON"})
    assert codes_of(plan) == (["RUL021"] if fires else [])


@pytest.mark.parametrize(("hours", "fires"), [(1000.0, True), (999.0, False)])
def test_rul022_community_hours_capped_at_999(hours, fires):
    plan = plan_with({"COMMUNITY_INVOLMENT_ACCU_HOURS": hours})
    assert codes_of(plan) == (["RUL022"] if fires else [])


# --- the catalog and the plan -----------------------------------------------------------


def test_every_check_has_a_catalog_entry_with_its_segment_and_reads():
    for code in CHECKS:
        entry = catalog()[code]
        assert entry.segment and entry.reads and entry.title_fr and entry.hint_fr, code


def test_every_rule_entry_has_a_check():
    assert {c for c in catalog() if c.startswith("RUL")} == set(CHECKS)


def test_checks_run_from_check_plan_and_leave_the_plan_unchanged():
    plan = plan_with({"FTE": 0.8, "ATTENDANCE_TYPE": "PT", "GRADE_TYPE": "13"})
    before = {name: frame.clone() for name, frame in plan.segments.items()}
    assert [f.code for f in check_plan(plan)] == ["RUL001", "RUL007"]
    for name, frame_before in before.items():
        assert_frame_equal(plan.segments[name], frame_before)


def test_findings_are_in_code_then_key_order():
    plan = Plan(
        period=period(),
        segments={
            "STUDENT": students({"OEN": "222222222"}, {"OEN": "1"}, {"OEN": "11"}),
        },
    )
    assert [f.key for f in run_checks(plan)] == ["1", "11"]
    assert pl.Series([f.code for f in run_checks(plan)]).to_list() == ["RUL009", "RUL009"]


# --- the catalog on the command line ----------------------------------------------------


def test_codes_lists_segment_ministry_code_and_french_titles():
    english = CliRunner().invoke(cli, ["codes"])
    french = CliRunner().invoke(cli, ["codes", "--lang", "fr"])
    assert english.exit_code == french.exit_code == 0
    assert (
        "Credit earned with a mark below 50 (STUDENT_CLASS_ENROLMENT) [MCE0039]" in english.output
    )
    assert "RUL013   erreur" in french.output
    assert "Crédit obtenu avec une note inférieure à 50" in french.output
    assert "Table obligatoire absente" in french.output


def test_codes_json_has_every_field_in_both_languages():
    result = CliRunner().invoke(cli, ["codes", "--json", "--lang", "fr"])
    rows = {row["code"]: row for row in json.loads(result.output)["codes"]}
    assert set(rows) == set(catalog())
    rul = rows["RUL014"]
    assert (rul["segment"], rul["ministry_code"], rul["severity"]) == (
        "STUDENT_CLASS_ENROLMENT",
        "MCE0026",
        "error",
    )
    assert rul["reads"] == ["EARNED_CREDIT_VALUE", "WITHDRAWAL_TYPE"]
    assert rul["title"] == rul["title_fr"] and rul["title_en"] != rul["title_fr"]
    assert all(rul[k] for k in ("message_en", "message_fr", "hint_en", "hint_fr"))


# --- in a real run: an override that breaks a rule is caught, the file keeps its values ---


def test_generate_reports_a_rule_an_override_breaks_and_writes_the_value_as_set(tmp_path):
    scenario = Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3))
    data, pae = write_scenario(scenario, tmp_path)
    overrides = tmp_path / "overrides.yaml"
    entry = {
        "segment": "STUDENT_SCHOOL_ENROLMENT",
        "key": "OEN=999000001 / STUDENT_SCHOOL_ENROLMENT",
    }
    entry |= {"set": {"FTE": 0.5, "ATTENDANCE_TYPE": "FT"}, "reason": "test", "author": "QA"}
    overrides.write_text(yaml.safe_dump({"overrides": [entry | {"expires": "2025-12-31"}]}))
    out = tmp_path / "out"
    args = ["generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct"]
    args += ["--year", "2025-2026", "--out", out, "--timestamp", "2025-10-31T09:30:00"]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--overrides", overrides]])
    assert result.exit_code == 1 and "RUL007" in result.output, result.output
    [written] = out.glob("*.xml")
    sse = etree.parse(str(written)).find(".//STUDENT_SCHOOL_ENROLMENT")
    assert (sse.findtext("FTE"), sse.findtext("ATTENDANCE_TYPE")) == ("0.50", "FT")
