"""Diploma requirement allocation, and the findings of the credit segments (PLAR, OTHER_CREDIT).

Unit tests call `allocate` on hand-made items; scenario tests go through
`credit_allocation(ctx)`; a property test compares the vectorised allocation with a plain
item-by-item greedy and checks that no requirement is ever over-filled.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import polars as pl
import pytest
from builders import Scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from onsis_batch.plan.model import Plan
from onsis_batch.render.xml import render_plan
from onsis_batch.segments.credentials.requirements import (
    allocate,
    cohort_of,
    credit_allocation,
    requirement_rules,
    unknown_requirements,
)
from onsis_batch.segments.credentials.requirements.allocation import RESULT_SCHEMA
from onsis_batch.segments.credentials.requirements.items import ITEM_SCHEMA
from onsis_batch.segments.credentials.requirements.rules import PLAR_CODES, family_expr
from onsis_batch.segments.credits.build import build_credits
from onsis_batch.segments.students.build import build_student_segments
from onsis_batch.validate.batch_file import check_plan
from onsis_batch.validate.xsd import schema_path

OLD, NEW = "OSSD_1999", "OSSD_2024"


def items(*rows: tuple, cohort: str = OLD, student: str = "1") -> pl.DataFrame:
    """Items from (code, credit[, options]) tuples, in the order given."""
    data = []
    for seq, row in enumerate(rows):
        code, credit, *rest = row
        options = rest[0] if rest else {}
        data.append(
            {
                "item_id": options.get("id", f"{code}#{seq}"),
                "student_id": options.get("student", student),
                "cohort": options.get("cohort", cohort),
                "seq": seq,
                "code": code,
                "coop": options.get("coop", False),
                "dual": options.get("dual", False),
                "credit": credit,
                "forced": options.get("forced"),
                "equivalent": options.get("equivalent", False),
            }
        )
    return pl.DataFrame(data, schema=ITEM_SCHEMA)


def assigned(frame: pl.DataFrame) -> dict[str, str]:
    return dict(zip(frame["item_id"], frame["requirement"], strict=True))


def run(*rows: tuple, cohort: str = OLD) -> dict[str, str]:
    return assigned(allocate(items(*rows, cohort=cohort)))


# --- the requirement tables --------------------------------------------------------------


def test_the_tables_add_up_to_the_published_compulsory_credits():
    rules = requirement_rules()
    totals = {c.name: sum(r.credits for r in c.requirements) for c in rules.cohorts}
    assert totals == {OLD: 18.0, NEW: 17.0}


def test_cohort_follows_the_secondary_entry_date_and_unknown_is_the_earlier_cohort():
    frame = pl.DataFrame(
        {"d": [date(2023, 9, 5), date(2024, 8, 31), date(2024, 9, 1), date(2025, 9, 2), None]},
        schema={"d": pl.Date},
    )
    got = frame.select(cohort_of(pl.col("d"))).to_series().to_list()
    assert got == [OLD, OLD, NEW, NEW, OLD]


def test_output_has_the_agreed_columns():
    result = allocate(items(("ENG1D", 1.0)))
    assert dict(result.schema) == RESULT_SCHEMA
    assert allocate(items()).schema == pl.Schema(RESULT_SCHEMA)


# --- allocation rules --------------------------------------------------------------------


def test_english_fills_one_requirement_per_grade():
    got = run(("ENG2D", 1.0), ("ENG1D", 1.0), ("ENG4U", 1.0), ("ENG3U", 1.0))
    assert got == {"ENG2D#0": "ENG10", "ENG1D#1": "ENG9", "ENG4U#2": "ENG12", "ENG3U#3": "ENG11"}


def test_a_second_english_of_one_grade_goes_to_group_1():
    got = run(("ENG1D", 1.0), ("ENG1P", 1.0), ("ENG1L", 1.0))
    assert got == {"ENG1D#0": "ENG9", "ENG1P#1": "GROUP1", "ENG1L#2": "OPTIONAL"}


def test_esl_counts_toward_grades_9_to_11_english_but_never_grade_12():
    got = run(("ESLAO", 1.0), ("ESLBO", 1.0), ("ESLCO", 1.0), ("ESLDO", 1.0))
    assert got == {"ESLAO#0": "ENG9", "ESLBO#1": "ENG10", "ESLCO#2": "ENG11", "ESLDO#3": "OPTIONAL"}


def test_most_specific_requirement_first_and_earliest_credit_first():
    got = run(("MTH1W", 1.0), ("MPM2D", 1.0), ("MCR3U", 1.0), ("MHF4U", 1.0), ("MDM4U", 1.0))
    # grade 11/12 math takes the earliest senior credit, the other two math credits the
    # earliest remaining ones; further math is optional for this cohort
    assert got == {
        "MTH1W#0": "MATH",
        "MPM2D#1": "MATH",
        "MCR3U#2": "MATH_SENIOR",
        "MHF4U#3": "OPTIONAL",
        "MDM4U#4": "OPTIONAL",
    }


def test_capacity_overflow_moves_on_to_the_groups_then_optional():
    got = run(("SNC1W", 1.0), ("SNC2D", 1.0), ("SBI3U", 1.0), ("SCH4U", 1.0))
    assert got == {
        "SNC1W#0": "SCIENCE",
        "SNC2D#1": "SCIENCE",
        "SBI3U#2": "GROUP3",
        "SCH4U#3": "OPTIONAL",
    }


def test_half_credits_fill_half_credit_requirements():
    result = allocate(items(("GLC2O", 0.5), ("CHV2O", 0.5), ("CHV2O", 0.5)))
    assert assigned(result) == {"GLC2O#0": "CAREER", "CHV2O#1": "CIVICS", "CHV2O#2": "GROUP1"}
    assert result["compulsory_credit"].to_list() == [0.5, 0.5, 0.5]


def test_at_most_two_fsl_credits_count_in_the_groups():
    got = run(("FSF1D", 1.0), ("FSF2D", 1.0), ("FEF3U", 1.0), ("FIF4U", 1.0))
    assert got == {
        "FSF1D#0": "FSL",
        "FSF2D#1": "GROUP1",
        "FEF3U#2": "GROUP2",
        "FIF4U#3": "OPTIONAL",
    }


def test_a_credit_that_only_partly_fits_counts_for_the_part_that_fits():
    result = allocate(items(("COOP", 2.0, {"coop": True}), ("HSP3U", 1.0)))
    assert assigned(result) == {"COOP#0": "GROUP1", "HSP3U#1": "OPTIONAL"}
    assert result["compulsory_credit"].to_list() == [1.0, 0.0]
    assert result["compulsory"].to_list() == [True, False]


def test_co_op_counts_as_compulsory_for_at_most_two_credits():
    coop = {"coop": True}
    result = allocate(items(("C1", 1.0, coop), ("C2", 1.0, coop), ("C3", 1.0, coop)))
    assert assigned(result) == {"C1#0": "GROUP1", "C2#1": "GROUP2", "C3#2": "OPTIONAL"}


def test_the_2024_cohort_needs_technology_and_a_stem_credit_instead_of_groups():
    rows = (("TAS1O", 1.0), ("TDJ2O", 1.0), ("MHF4U", 1.0), ("MCV4U", 1.0), ("HSP3U", 1.0))
    assert run(*rows, cohort=NEW) == {
        "TAS1O#0": "TECH",
        "TDJ2O#1": "STEM",
        "MHF4U#2": "MATH_SENIOR",
        "MCV4U#3": "MATH",
        "HSP3U#4": "OPTIONAL",
    }
    assert run(*rows, cohort=OLD) == {
        "TAS1O#0": "GROUP3",
        "TDJ2O#1": "OPTIONAL",
        "MHF4U#2": "MATH_SENIOR",
        "MCV4U#3": "MATH",
        "HSP3U#4": "GROUP1",
    }


def test_zero_credit_dual_credit_and_placeholder_codes_are_optional():
    got = run(("ENG1D", 0.0), ("ENG2D", 1.0, {"dual": True}), *[(code, 1.0) for code in PLAR_CODES])
    assert set(got.values()) == {"OPTIONAL"}


def test_the_requirement_the_sis_recorded_wins_and_is_a_substitution_outside_its_families():
    result = allocate(
        items(
            ("FSF1D", 1.0),
            ("PPL1O", 1.0, {"forced": "FSL"}),
            ("ENG1D", 1.0, {"forced": "GROUP1"}),
            ("AVI1O", 1.0, {"forced": "OPTIONAL"}),
        )
    )
    rows = {r["item_id"]: r for r in result.to_dicts()}
    assert rows["PPL1O#1"]["requirement"] == "FSL" and rows["PPL1O#1"]["substitution"]
    # FSL was taken by the substitution, GROUP1 by the recorded English: FSL goes to GROUP2
    assert rows["FSF1D#0"]["requirement"] == "GROUP2"
    assert rows["ENG1D#2"]["requirement"] == "GROUP1" and not rows["ENG1D#2"]["substitution"]
    assert rows["AVI1O#3"]["requirement"] == "OPTIONAL" and not rows["AVI1O#3"]["compulsory"]


def test_a_recorded_requirement_beyond_its_credits_is_optional():
    result = allocate(items(("PPL1O", 1.0, {"forced": "FSL"}), ("PAF2O", 1.0, {"forced": "FSL"})))
    assert assigned(result) == {"PPL1O#0": "FSL", "PAF2O#1": "OPTIONAL"}
    assert result["substitution"].to_list() == [True, False]


def test_equivalent_credit_is_never_a_substitution():
    result = allocate(items(("PLE99", 2.0, {"forced": "ARTS", "equivalent": True})))
    row = result.to_dicts()[0]
    assert row["requirement"] == "ARTS" and row["compulsory_credit"] == 1.0
    assert not row["substitution"]


def test_students_are_allocated_independently():
    result = allocate(
        pl.concat(
            [
                items(("ENG1D", 1.0), ("ENG1P", 1.0), student="1"),
                items(("ENG1P", 1.0), cohort=NEW, student="2"),
            ]
        )
    )
    assert result["requirement"].to_list() == ["ENG9", "GROUP1", "ENG9"]


# --- the reference greedy and the properties ---------------------------------------------


def _eligibility(frame: pl.DataFrame, families: tuple[str, ...]) -> list[bool]:
    countable = ~pl.col("dual") & ~pl.col("code").is_in(PLAR_CODES)
    return frame.select((family_expr(families) & countable).fill_null(False)).to_series().to_list()


def reference(frame: pl.DataFrame) -> dict[str, tuple[str, float]]:
    """Item-by-item greedy, one student at a time: the obvious (slow) reading of the rules."""
    result: dict[str, tuple[str, float]] = {}
    for cohort in requirement_rules().cohorts:
        part = frame.filter(pl.col("cohort") == cohort.name).sort("seq")
        if part.is_empty():
            continue
        eligible = {r.name: _eligibility(part, r.families) for r in cohort.requirements}
        in_limit = {
            lim.name: part.select(family_expr(lim.families).fill_null(False)).to_series().to_list()
            for lim in cohort.limits
        }
        rows = part.to_dicts()
        for student in dict.fromkeys(r["student_id"] for r in rows):
            mine = [i for i, r in enumerate(rows) if r["student_id"] == student]
            result |= _reference_student(rows, mine, cohort, eligible, in_limit)
    return result


def _reference_student(rows, mine, cohort, eligible, in_limit) -> dict[str, tuple[str, float]]:
    optional = requirement_rules().optional
    result: dict[str, tuple[str, float]] = {}
    used = {r.name: 0.0 for r in cohort.requirements}
    limit_used = {lim.name: 0.0 for lim in cohort.limits}

    def place(i: int, name: str, share: float) -> None:
        result[rows[i]["item_id"]] = (name, share)
        used[name] += share
        for lim in cohort.limits:
            if in_limit[lim.name][i] and name in lim.requirements:
                limit_used[lim.name] += share

    left = []
    for i in mine:
        credit, forced = rows[i]["credit"], rows[i]["forced"]
        if credit <= 0 or forced == optional:
            result[rows[i]["item_id"]] = (optional, 0.0)
        elif forced is not None:
            share = min(credit, cohort.requirement(forced).credits - used[forced])
            if share > 1e-9:
                place(i, forced, share)
            else:
                result[rows[i]["item_id"]] = (optional, 0.0)
        else:
            left.append(i)
    for requirement in cohort.requirements:
        for i in list(left):
            if not eligible[requirement.name][i]:
                continue
            share = min(rows[i]["credit"], requirement.credits - used[requirement.name])
            for lim in cohort.limits:
                if in_limit[lim.name][i] and requirement.name in lim.requirements:
                    share = min(share, lim.credits - limit_used[lim.name])
            if share > 1e-9:
                place(i, requirement.name, share)
                left.remove(i)
    for i in left:
        result[rows[i]["item_id"]] = (optional, 0.0)
    return result


CODES = [
    "ENG1D", "ENG2D", "ENG3U", "ENG4U", "EWC4U", "ESLAO", "OLC4O", "NBE3U", "MTH1W", "MPM2D",
    "MCR3U", "MHF4U", "SNC1W", "SNC2D", "SBI3U", "SCH4U", "CHC2D", "CGC1W", "AVI1O", "AMU2O",
    "PPL1O", "PAF2O", "FSF1D", "FSF2D", "FEF3U", "GLC2O", "CHV2O", "HSP3U", "CLU3M", "BAF3M",
    "TAS1O", "TDJ2O", "TGJ3M", "ICS3U", "LKBBD", "GLS1O", "PLE99", "QEE99", "XYZ1A",
]  # fmt: skip
FORCED = [None, None, None, None, "OPTIONAL", "FSL", "GROUP1", "ARTS", "CIVICS", "STEM", "TECH"]


@st.composite
def item_sets(draw):
    rows = []
    for student in draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True)):
        cohort = draw(st.sampled_from([OLD, NEW]))
        names = {r.name for r in requirement_rules().cohort(cohort).requirements}
        for _ in range(draw(st.integers(0, 25))):
            forced = draw(st.sampled_from(FORCED))
            rows.append(
                {
                    "item_id": f"{student}{len(rows)}",
                    "student_id": student,
                    "cohort": cohort,
                    "seq": len(rows),
                    "code": draw(st.sampled_from(CODES)),
                    "coop": draw(st.booleans()) and draw(st.booleans()),
                    "dual": draw(st.integers(0, 9)) == 0,
                    "credit": draw(st.sampled_from([0.0, 0.5, 1.0, 1.0, 1.0, 2.0])),
                    "forced": forced if forced in names or forced == "OPTIONAL" else None,
                    "equivalent": draw(st.booleans()),
                }
            )
    return pl.DataFrame(rows, schema=ITEM_SCHEMA)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(item_sets())
def test_compulsory_credits_never_exceed_a_requirements_credits(frame):
    result = allocate(frame)
    assert result.height == frame.height
    assert sorted(result["item_id"]) == sorted(frame["item_id"])
    joined = result.join(frame.select("item_id", "cohort", "credit"), on="item_id")
    assert (joined["compulsory_credit"] <= joined["credit"] + 1e-9).all()
    assert (joined["compulsory"] == (joined["requirement"] != "OPTIONAL")).all()
    rules = requirement_rules()
    totals = (
        joined.filter(pl.col("compulsory"))
        .group_by("student_id", "cohort", "requirement")
        .agg(pl.col("compulsory_credit").sum())
    )
    for student, cohort, requirement, total in totals.iter_rows():
        capacity = rules.cohort(cohort).requirement(requirement).credits
        assert total <= capacity + 1e-9, (student, requirement, total)


@PROPERTY
@given(item_sets())
def test_the_vectorised_allocation_is_the_item_by_item_greedy(frame):
    result = {
        r["item_id"]: (r["requirement"], pytest.approx(r["compulsory_credit"]))
        for r in allocate(frame).to_dicts()
    }
    assert result == reference(frame)


# --- through the run context -------------------------------------------------------------

COURSES = [
    {"course_number": c, "ministry_code": c, "course_type": "M", "credit": 1.0}
    for c in ("ENG1D", "ENG2D", "TAS1O", "AVI1O", "PPL1O", "FSF1D")
] + [{"course_number": "GLC2O", "course_type": "M", "credit": 0.5}]


def grade(grade_id: str, course: str, credit_date: date, **values) -> dict:
    return {
        "grade_id": grade_id,
        "student_id": "1",
        "school_id": "100",
        "course_number": course,
        "earned_credit": 0.5 if course == "GLC2O" else 1.0,
        "credit_date": credit_date,
        "section_id": f"old-{grade_id}",
        **values,
    }


def scenario(entry: date | None = date(2023, 9, 5)) -> Scenario:
    s = Scenario().student("1", "999000001", secondary_entry_date=entry)
    s.enrol("1", date(2023, 9, 5))
    s.extra["courses"] = list(COURSES)
    return s


def allocation_of(s: Scenario, kind: str = "oct") -> dict[str, str]:
    return assigned(credit_allocation(s.context(kind)))


@pytest.mark.parametrize(
    ("entry", "expected"),
    [(date(2024, 9, 3), "TECH"), (date(2023, 9, 5), "GROUP3"), (None, "GROUP3")],
)
def test_the_students_cohort_comes_from_the_secondary_entry_date(entry, expected):
    s = scenario(entry)
    s.extra["stored_grades"] = [grade("g1", "TAS1O", date(2024, 6, 20))]
    assert allocation_of(s) == {"G:g1": expected}


def test_earned_credits_are_taken_in_credit_date_order_not_row_order():
    s = scenario()
    s.extra["stored_grades"] = [
        grade("g1", "AVI1O", date(2025, 6, 20)),
        grade("g2", "AVI1O", date(2024, 6, 20)),
    ]
    assert allocation_of(s) == {"G:g2": "ARTS", "G:g1": "GROUP2"}


def test_stored_grades_excluded_from_the_transcript_are_ignored():
    s = scenario()
    s.extra["stored_grades"] = [
        grade("g1", "AVI1O", date(2024, 6, 20), exclude_from_transcript=True),
        grade("g2", "AVI1O", date(2025, 6, 20)),
    ]
    assert allocation_of(s) == {"G:g2": "ARTS"}


def _classes(s: Scenario, *enrolments: dict) -> Scenario:
    s.extra["terms"] = [
        {"term_id": term, "school_id": "100", "first_day": first, "last_day": last}
        for term, first, last in (
            ("T1", date(2025, 9, 2), date(2026, 1, 30)),
            ("T0", date(2024, 9, 3), date(2025, 1, 31)),
        )
    ]
    sections = [
        ("A", "AVI1O", "T1"), ("B", "PPL1O", "T1"), ("C", "FSF1D", "T1"), ("D", "ENG2D", "T0"),
        ("E", "GLC2O", "T1"),
    ]  # fmt: skip
    s.extra["sections"] = [
        {"section_id": sid, "school_id": "100", "course_number": course, "term_id": term}
        | {"class_code": sid}
        for sid, course, term in sections
    ]
    s.extra["class_enrolments"] = [
        {"student_id": "1", "date_enrolled": date(2025, 9, 2), "date_left": date(2026, 1, 31), **e}
        for e in enrolments
    ]
    return s


def test_current_class_enrolments_count_as_if_the_credit_were_earned():
    s = _classes(
        scenario(),
        {"section_id": "A"},
        {"section_id": "B", "date_left": date(2025, 10, 1)},  # dropped before the count date
        {"section_id": "C"},  # its mark is already stored: counted as the stored grade
        {"section_id": "D", "date_enrolled": date(2024, 9, 3), "date_left": date(2025, 2, 1)},
        {"section_id": "E", "date_enrolled": date(2025, 9, 2), "date_left": date(2025, 9, 2)},
    )
    s.extra["stored_grades"] = [
        grade("g1", "AVI1O", date(2024, 6, 20)),
        grade("g2", "FSF1D", date(2025, 10, 20), section_id="C"),
    ]
    # earned credits first: the stored arts credit fills ARTS, the class in progress GROUP2
    assert allocation_of(s) == {"G:g1": "ARTS", "G:g2": "FSL", "S:1|A": "GROUP2"}


def test_a_class_left_after_the_count_date_still_counts():
    s = _classes(scenario(), {"section_id": "B", "date_left": date(2025, 11, 20)})
    assert allocation_of(s) == {"S:1|B": "HPE"}
    assert allocation_of(s, "mar") == {}


def test_the_allocation_is_computed_once_per_run():
    s = scenario()
    s.extra["stored_grades"] = [grade("g1", "AVI1O", date(2024, 6, 20))]
    ctx = s.context()
    assert credit_allocation(ctx) is credit_allocation(ctx)


def test_requirement_names_accept_aliases_in_any_case_and_report_unknown_ones():
    s = scenario()
    s.extra["stored_grades"] = [
        grade("g1", "AVI1O", date(2024, 6, 20), requirement="ele"),
        grade("g2", "PPL1O", date(2024, 6, 21), requirement=" fsf "),
        grade("g3", "AVI1O", date(2024, 6, 22), requirement="GROUP9"),
        grade("g4", "AVI1O", date(2024, 6, 23), requirement="STEM"),  # not of this cohort
    ]
    ctx = s.context()
    assert assigned(credit_allocation(ctx)) == {
        "G:g1": "OPTIONAL",
        "G:g2": "FSL",
        "G:g3": "ARTS",
        "G:g4": "GROUP2",
    }
    unknown = unknown_requirements(ctx)
    assert unknown["grade_id"].to_list() == ["g3", "g4"]
    assert unknown["requirement"].to_list() == ["GROUP9", "STEM"]


# --- the credit segments: findings and the written file ----------------------------------


def credits_of(s: Scenario, kind: str = "oct"):
    ctx = s.context(kind)
    frames, _ = build_student_segments(ctx, {})
    built, findings = build_credits(ctx, frames)
    return ctx, {**frames, **built}, findings


def plar_grade(grade_id: str, course: str = "ENG2D", **values) -> dict:
    defaults = {
        "section_id": None,
        "plar_type": "6",
        "plar_status": "S",
        "bsid_completed_at": "999001",
        "credit_date": date(2025, 9, 20),
    }
    row = grade(grade_id, course, date(2025, 9, 20))
    return {**row, **defaults, **values}


def test_findings_of_the_credit_segments():
    s = scenario()
    s.student("2", "999000002", exclude_from_reporting=True).student("3", "999000003")
    s.enrol("2", date(2025, 9, 3)).enrol("3", date(2024, 9, 3), date(2025, 6, 27), exit_code="70")
    s.extra["courses"] = [*COURSES, {"course_number": "PLE99", "course_type": "M"}]
    s.extra["stored_grades"] = [
        plar_grade("g1", "NOPE1"),
        plar_grade("g2", "PLE99", plar_type=None, credit_type="1"),
        plar_grade("g3", requirement="NOTHING", credit_date=date(2023, 6, 1)),
        plar_grade("g4", student_id="2"),
        plar_grade("g5", student_id="3"),
        plar_grade("g6"),
    ]
    _, frames, findings = credits_of(s)
    by_code = {f.code: f for f in findings}
    assert sorted(f.code for f in findings) == ["CRD001", "CRD002", "CRD003", "CRD004"]
    assert (by_code["CRD001"].file, by_code["CRD001"].row) == ("stored_grades", 2)
    assert by_code["CRD001"].column == "course_number" and "NOPE1" in by_code["CRD001"].message_en
    assert by_code["CRD002"].column == "requirement" and "OSSD_1999" in by_code["CRD002"].message_en
    assert by_code["CRD003"].row == 3 and "PLE99" in by_code["CRD003"].message_fr
    # excluded student 2 is not reported and not warned about; student 3 is warned about
    assert by_code["CRD004"].row == 6
    assert frames["PLAR"]["_parent"].to_list() == ["1"]


def test_a_plar_without_status_is_flagged_by_the_mandatory_check_only():
    s = scenario()
    s.extra["stored_grades"] = [plar_grade("g1", plar_status=None)]
    ctx, frames, findings = credits_of(s)
    assert findings == []
    out = check_plan(Plan(period=ctx.period, segments=frames))
    assert [(f.code, f.params["element"]) for f in out] == [("OUT001", "STATUS_TYPE")]


def test_the_credit_segments_are_written_in_schema_order_and_validate():
    s = scenario()
    s.extra["courses"] = [*COURSES, {"course_number": "LOC11", "course_type": "L"}]
    s.extra["stored_grades"] = [
        plar_grade("g1"),
        plar_grade(
            "g2", "LOC11", plar_type=None, credit_type="1", grade="77", credit_recovery=True
        ),
    ]
    ctx, frames, _ = credits_of(s)
    sink = io.BytesIO()
    render_plan(Plan(period=ctx.period, segments=frames), sink, created=datetime(2025, 10, 1))
    tree = etree.fromstring(sink.getvalue())
    schema = etree.XMLSchema(etree.parse(str(schema_path())))
    assert schema.validate(tree), schema.error_log
    assert tree.xpath("//PLAR/COMPULSORY_CREDIT/text()") == ["1.00"]
    assert tree.xpath("//OTHER_CREDIT/LOCAL_DEV_CRS/text()") == ["LOC11"]
    assert tree.xpath("//OTHER_CREDIT/OTHER_COURSE_INFO/OTHER_COURSE_INFO_TYPE/text()") == ["1"]
