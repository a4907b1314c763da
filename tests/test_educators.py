"""Educator segments: run options (co-teacher roles, core flag, private schools, school
year), output order and schema validity. The rules themselves are scenario cases in
tests/cases/SCHOOL_EDUCATOR_ASSIGNMENT.yaml, INSTRUCTIONAL_TM.yaml and CLASS_ASSIGNMENT.yaml."""

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import polars as pl
from builders import Scenario
from lxml import etree

from onsis_batch.render.publish import publish
from onsis_batch.segments.build import build_plan
from onsis_batch.strict_yaml import read_yaml
from onsis_batch.validate.batch_file import validate_file

CASES = Path(__file__).resolve().parent / "cases"
CREATED = datetime(2025, 10, 31, 12, 0)


def school() -> dict:
    """The timetable and educator of the first CLASS_ASSIGNMENT case."""
    cases = read_yaml(CASES / "CLASS_ASSIGNMENT.yaml")
    return dict(cases[0]["tables"])


def scenario(**tables) -> Scenario:
    merged = {**school(), **tables}
    built = Scenario()
    built.students = [
        {**row, "first_name": "Given", "last_name": "Family", "birth_date": date(2009, 5, 1)}
        for row in merged.pop("students")
    ]
    for row in merged.pop("school_enrolments"):
        built.enrol(row["student_id"], row["entry_date"])
    built.extra.update(merged)
    return built


def plan_of(built: Scenario, kind: str = "oct", private: bool = False, **period_options):
    ctx = built.context(kind, private)
    ctx = replace(ctx, period=replace(ctx.period, **period_options))
    return build_plan(ctx)


def rows(plan, segment: str) -> dict[str, dict]:
    frame = plan.segments.get(segment, pl.DataFrame())
    return {row["_id"]: row for row in frame.to_dicts()}


def xml_of(plan, tmp_path: Path) -> etree._Element:
    published = publish(plan, tmp_path, created=CREATED)
    assert published.path is not None, published.findings
    return etree.parse(str(published.path)).getroot()


def test_a_selected_co_teacher_role_gets_class_assignments():
    teachers = [{"section_id": "s1", "educator_id": "e1", "role": "Co-teacher", "is_lead": False}]
    built = scenario(section_teachers=teachers)
    without, _ = plan_of(built)
    assert rows(without, "CLASS_ASSIGNMENT") == {}
    selected, _ = plan_of(built, co_teacher_roles=("co-TEACHER",))
    row = rows(selected, "CLASS_ASSIGNMENT")["SEA|012345678|TEA|||ENG4U-01"]
    assert (row["_action"], row["_reason"]) == ("ADD", "CA-ADD-COTEACHER")


def test_a_lead_teacher_is_reported_as_lead_even_with_a_co_teacher_role_too():
    teachers = [
        {"section_id": "s1", "educator_id": "e1", "role": "Co-teacher", "is_lead": False},
        {"section_id": "s1", "educator_id": "e1", "role": "Lead Teacher", "is_lead": True},
    ]
    plan, _ = plan_of(scenario(section_teachers=teachers), co_teacher_roles=("Co-teacher",))
    assert rows(plan, "CLASS_ASSIGNMENT")["SEA|012345678|TEA|||ENG4U-01"]["_reason"] == (
        "CA-ADD-LEAD"
    )


def test_private_school_core_flag_before_2023(tmp_path):
    built = scenario()
    flagged, _ = plan_of(built, private=True, school_year="2022-2023", report_core_flag=True)
    row = rows(flagged, "SCHOOL_EDUCATOR_ASSIGNMENT")["SEA|012345678|TEA||"]
    assert (row["CORE_FLAG"], row["CORE_FLAG__omit"]) == ("F", False)
    plain, _ = plan_of(built, private=True, school_year="2022-2023")
    assert rows(plain, "SCHOOL_EDUCATOR_ASSIGNMENT")["SEA|012345678|TEA||"]["CORE_FLAG__omit"]
    public, _ = plan_of(built, report_core_flag=True)
    row = rows(public, "SCHOOL_EDUCATOR_ASSIGNMENT")["SEA|012345678|TEA||"]
    assert (row["CORE_FLAG"], row["CORE_FLAG__omit"]) == (None, False)


def test_private_school_sends_no_board_employee_number_or_ntip(tmp_path):
    built = scenario(
        educators=[{"educator_id": "e1", "men": "012345678", "board_employee_number": "E1"}]
    )
    plan, _ = plan_of(built, private=True, school_year="2022-2023", report_core_flag=True)
    sea = xml_of(plan, tmp_path).find(".//SCHOOL_EDUCATOR_ASSIGNMENT")
    names = [child.tag for child in sea]
    assert "BOARD_EMPLOYEE_NUMBER" not in names and "NTIP_STATUS_TYPE" not in names
    assert sea.findtext("CORE_FLAG") == "F"


def test_private_school_from_2023_sends_no_educator_segment():
    plan, _ = plan_of(scenario(), private=True, school_year="2023-2024")
    assert "SCHOOL_EDUCATOR_ASSIGNMENT" not in plan.segments


def test_department_and_ntip_are_sent_up_to_2022_2023_only(tmp_path):
    assignment = {
        "assignment_id": "1",
        "educator_id": "e1",
        "school_id": "100",
        "position_type": "TEA",
        "start_date": date(2025, 9, 2),
        "fte": 1.0,
        "teaching_type": "T",
        "department_type": "ENG",
        "ntip_status": "1",
    }
    built = scenario(educator_assignments=[assignment])
    now = xml_of(plan_of(built)[0], tmp_path / "now").find(".//SCHOOL_EDUCATOR_ASSIGNMENT")
    assert now.find("DEPARTMENT_TYPE") is None and now.find("NTIP_STATUS_TYPE") is None
    old, _ = plan_of(built, school_year="2022-2023")
    sea = old.segments["SCHOOL_EDUCATOR_ASSIGNMENT"]
    assert sea.item(0, "DEPARTMENT_TYPE") == "ENG"
    from onsis_batch.specs import load_specs

    spec = load_specs()["SCHOOL_EDUCATOR_ASSIGNMENT"]
    written = [e.name for e in spec.applicable_elements("2022-2023", private=False)]
    assert {"DEPARTMENT_TYPE", "NTIP_STATUS_TYPE"} <= set(written)


def test_update_rows_come_before_add_rows_and_the_file_is_valid(tmp_path):
    assignments = [
        {"assignment_id": "1", "educator_id": "e1", "school_id": "100", "position_type": "TEA",
         "start_date": date(2025, 9, 2), "fte": 0.5, "teaching_type": "T",
         "class_assignment": True},
        {"assignment_id": "2", "educator_id": "e1", "school_id": "100", "position_type": "TEA",
         "start_date": date(2025, 10, 20), "fte": 0.5, "leave_type": "PAR",
         "teaching_type": "N/A"},
    ]  # fmt: skip
    built = scenario(educator_assignments=assignments)
    built.pae["0009"] = [
        {"men": "012345678", "position_type": "TEA", "fte": 1.0,
         "assignment_start_date": date(2025, 9, 2), "instructional_tm_type": "LIB"}
    ]  # fmt: skip
    built.pae["0010"] = [{"men": "012345678", "position_type": "TEA", "class_code": "OLD-01"}]
    plan, findings = plan_of(built, "mar")
    assert not [f for f in findings if f.code.startswith("EDU")]
    root = xml_of(plan, tmp_path)
    assert [a.findtext("ACTION") for a in root.iter("SCHOOL_EDUCATOR_ASSIGNMENT")] == [
        "UPDATE",
        "ADD",
    ]
    update = next(root.iter("SCHOOL_EDUCATOR_ASSIGNMENT"))
    assert update.find("EDUCATOR_LEAVE_TYPE") is None
    deleted = update.find("CLASS_ASSIGNMENT")
    assert (deleted.findtext("ACTION"), deleted.findtext("CLASS_CODE")) == ("DELETE", "OLD-01")
    # a child of SCHOOL between CLASS and STUDENT, FTE with two decimals
    school_children = [child.tag for child in root.find(".//SCHOOL")]
    assert school_children.index("SCHOOL_EDUCATOR_ASSIGNMENT") > school_children.index("CLASS")
    assert update.findtext("FTE") == "0.50"
    assert validate_file(next(tmp_path.glob("*.xml"))) == []


def test_input_findings_name_file_row_and_column():
    assignments = [
        {"assignment_id": "1", "educator_id": "e1", "school_id": "100", "position_type": "TEA",
         "start_date": date(2025, 9, 2), "fte": 1.0},
        {"assignment_id": "2", "educator_id": "e2", "school_id": "100", "position_type": "TEA",
         "start_date": date(2025, 9, 2), "fte": 1.0},
        {"assignment_id": "3", "educator_id": "e3", "school_id": "100",
         "start_date": date(2025, 9, 2), "fte": 1.0},
        {"assignment_id": "4", "educator_id": "e3", "school_id": "100", "position_type": "TEA",
         "fte": 1.0},
    ]  # fmt: skip
    built = scenario(
        educators=[
            {"educator_id": "e1"},
            {"educator_id": "e2", "men": "1234"},
            {"educator_id": "e3", "men": "012345678"},
        ],
        educator_schools=[
            {"educator_id": e, "school_id": "100", "active": True} for e in ("e1", "e2", "e3")
        ],
        educator_assignments=assignments,
    )
    _, findings = plan_of(built)
    located = {(f.code, f.file, f.row, f.column) for f in findings if f.code.startswith("EDU")}
    assert located == {
        ("EDU001", "educators", 2, "men"),  # row 1 is the header
        ("EDU002", "educators", 3, "men"),
        ("EDU003", "educator_assignments", 4, "position_type"),
        ("EDU003", "educator_assignments", 5, "start_date"),
    }
    bad_men = next(f for f in findings if f.code == "EDU002")
    assert "1234" not in bad_men.message_en and bad_men.severity == "error"


def test_duplicates_that_cannot_be_combined_keep_the_latest_and_name_the_others():
    withdrawals = [
        {"assignment_id": str(n), "educator_id": "e1", "school_id": "100",
         "position_type": "TEA", "start_date": start, "end_date": end, "fte": 0.5,
         "withdrawal_type": "RES", "teaching_type": "T"}
        for n, start, end in [(1, date(2025, 9, 2), date(2025, 11, 10)),
                              (2, date(2025, 9, 2), date(2025, 12, 20)),
                              (3, date(2026, 1, 5), date(2026, 2, 20))]
    ]  # fmt: skip
    built = scenario(educator_assignments=withdrawals)
    built.pae["0009"] = [
        {"men": "012345678", "position_type": "TEA", "fte": 1.0,
         "assignment_start_date": date(2025, 9, 2)}
    ]  # fmt: skip
    plan, findings = plan_of(built, "mar")
    duplicates = [f for f in findings if f.code == "EDU004"]
    # 1 and 2 overlap and are combined (named by 2, its latest); 3 ends last and is kept
    assert [(f.file, f.row, f.params["assignment_id"], f.params["kept"]) for f in duplicates] == [
        ("educator_assignments", 3, "2", "3")
    ]
    sea = rows(plan, "SCHOOL_EDUCATOR_ASSIGNMENT")
    assert list(sea) == []  # the kept one starts and ends in the period: no ADD rule holds


def test_cli_options_reach_the_builders(tmp_path):
    from builders import write_scenario
    from click.testing import CliRunner

    from onsis_batch.cli import cli

    teachers = [{"section_id": "s1", "educator_id": "e1", "role": "Co-teacher", "is_lead": False}]
    data, pae = write_scenario(scenario(section_teachers=teachers), tmp_path)
    common = ["generate", "--data", str(data), "--pae", str(pae), "--bsid", "999001"]
    common += ["--period", "oct", "--year", "2025-2026", "--timestamp", "2025-10-31T12:00"]

    def run(name: str, *options: str) -> etree._Element:
        out = tmp_path / name
        result = CliRunner().invoke(cli, [*common, *options, "--out", str(out)])
        assert result.exit_code == 0, result.output
        return etree.parse(str(next(out.glob("*.xml")))).getroot()

    assert run("plain").find(".//CLASS_ASSIGNMENT") is None
    role = run("role", "--co-teacher-role", "Co-teacher")
    assert role.findtext(".//CLASS_ASSIGNMENT/CLASS_CODE") == "ENG4U-01"
    private = run("private", "--submission-type", "private", "--core-flag")
    assert private.find(".//SCHOOL_EDUCATOR_ASSIGNMENT") is None  # private, 2025-2026


def test_every_sample_period_has_educator_adds_updates_and_deletes(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
    from refresh import golden_run

    for kind in ("oct", "mar", "jun"):
        root = etree.parse(str(golden_run(kind, tmp_path / kind))).getroot()

        def actions(path: str, root=root) -> set[str]:
            return set(root.xpath(f"//{path}/ACTION/text()"))

        assert actions("SCHOOL_EDUCATOR_ASSIGNMENT") == {"ADD", "UPDATE"}, kind
        assert actions("INSTRUCTIONAL_TM") == {"ADD", "DELETE"}, kind
        assert actions("CLASS_ASSIGNMENT") == {"ADD", "DELETE"}, kind
        assert validate_file(next((tmp_path / kind).glob("*.xml"))) == []


def test_withdrawals_combine_only_while_their_dates_overlap():
    from onsis_batch.segments.educators.groups import group_assignments

    ctx = scenario().context("mar")
    spans = [
        ("1", date(2025, 9, 2), date(2025, 11, 10)),
        ("2", date(2025, 10, 1), date(2025, 11, 5)),
        ("3", date(2025, 8, 20), date(2025, 12, 20)),
        ("4", date(2025, 9, 2), date(2026, 2, 1)),
    ]
    rows = pl.DataFrame(
        {
            "assignment_id": [s[0] for s in spans],
            "men": "012345678",
            "position": "TEA",
            "start": [s[1] for s in spans],
            "end": [s[2] for s in spans],
            "fte": 0.25,
            "leave": pl.Series([None] * 4, dtype=pl.String),
            "wthd": ["RES", "RES", "RES", "TRA"],
            "assignment_row": [2, 3, 4, 5],
        }
    )
    pae = pl.DataFrame(schema={"assignment_id": pl.String, "_pae_fte": pl.Float64})
    groups = group_assignments(rows, ctx.period, pae).sort("start", "wthd")
    # 1, 2 and 3 overlap one another (3 spans both); 4 has another withdrawal type
    assert groups.select("members", "start", "end", "fte", "wthd").rows() == [
        (["3", "1", "2"], date(2025, 8, 20), date(2025, 12, 20), 0.75, "RES"),
        (["4"], date(2025, 9, 2), date(2026, 2, 1), 0.25, "TRA"),
    ]
    starts = [date(2025, 11, 3), date(2025, 11, 25), date(2025, 12, 1), date(2025, 9, 2)]
    ends = [date(2025, 11, 20), date(2025, 12, 10), date(2025, 12, 20), date(2026, 2, 1)]
    apart = rows.with_columns(pl.Series("start", starts), pl.Series("end", ends))
    held = pl.DataFrame({"assignment_id": ["1", "2", "3", "4"], "_pae_fte": 1.0})
    groups = group_assignments(apart, ctx.period, held).filter(pl.col("wthd") == "RES")
    # new withdrawals (rule 4): 1 ends before 2 starts, 2 and 3 overlap
    assert sorted(groups.get_column("members").to_list()) == [["1"], ["3", "2"]]
