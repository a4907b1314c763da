"""Extract cells that hold lists (issue 12 item 2, D700): extract 0009 gives an assignment's
instructional time types, and 0027 a SAL program's components, as one quoted cell such as
`"GUI,LIB"`. Layout columns marked `list: true` are read one row per value, each keeping
its line number; an empty value in the list is PAE014. The cells are made here in the
Ministry's format (every cell quoted, CRLF, windows-1252)."""

from datetime import date
from pathlib import Path

import pytest
from builders import Scenario, write_scenario
from click.testing import CliRunner
from lxml import etree
from test_educators import scenario
from test_pae import BSID, dt, h1, h2, read, write_raw

from onsis_batch.cli import cli
from onsis_batch.pae.layout import load_layout_file, load_layouts
from onsis_batch.specs import SpecError

ASSIGNMENTS = "SCHOOL EDUCATOR ASSIGNMENT"


def assignment(row_types: str, men: str = "012345678") -> str:
    return dt(
        "0009",
        men=men,
        position_type="TEA",
        fte="1.00",
        assignment_start_date="2025/09/02",
        instructional_tm_type=row_types,
        teaching_type="B",
    )


def test_only_the_instructional_time_and_sal_component_columns_hold_lists():
    # real-format-evidence.md: 0009 instructional time and 0027 SAL components are packed
    # lists; every other extract has one row per code (0026, 0028) or one column per code
    # (0004's two OTHER_COURSE_INFO columns), so no other column is a list.
    lists = {(e, c.name) for e, lay in load_layouts().items() for c in lay.columns if c.list}
    assert lists == {("0009", "instructional_tm_type"), ("0027", "component_types")}


def test_a_list_cell_is_read_one_row_per_value_with_its_line_number(tmp_path):
    lines = [h1(ASSIGNMENTS), h2(), assignment("GUI,LIB"), assignment(" SSS "), assignment("")]
    write_raw(tmp_path, "EXSMS-0009.00.csv", lines)
    pae = read(tmp_path, required=("0009",))
    assert pae.findings == []
    frame = pae.frames[("0009", BSID)]
    assert frame.select("_row", "instructional_tm_type").rows() == [
        (3, "GUI"),
        (3, "LIB"),
        (4, "SSS"),
        (5, None),  # no type at all: the assignment is still one row
    ]
    # every value keeps the other cells of its line, typed
    assert set(frame.filter(frame["_row"] == 3)["assignment_start_date"]) == {date(2025, 9, 2)}


def test_an_empty_value_in_a_list_is_a_finding_naming_file_row_and_column(tmp_path):
    lines = [h1(ASSIGNMENTS), h2(), assignment("GUI,,LIB"), assignment("LIB,"), assignment(",")]
    write_raw(tmp_path, "EXSMS-0009.00.csv", lines)
    pae = read(tmp_path, required=("0009",))
    found = [(f.code, f.severity, f.file, f.row, f.column) for f in pae.findings]
    assert found == [
        ("PAE014", "warning", "EXSMS-0009.00.csv", row, "instructional_tm_type")
        for row in (3, 4, 5)
    ]
    assert "'GUI,,LIB'" in pae.findings[0].message_en
    frame = pae.frames[("0009", BSID)]
    assert frame.select("_row", "instructional_tm_type").rows() == [
        (3, "GUI"),
        (3, "LIB"),
        (4, "LIB"),
        (5, None),
    ]


def test_sal_components_are_split_the_same_way(tmp_path):
    salep = dt(
        "0027",
        oen="123456789",
        salep_type="001",
        status_type="002",
        component_types="001,007,010",
        start_date="2025/09/15",
    )
    write_raw(tmp_path, "EXSMS-0027.00.csv", [h1("SALEP"), h2(), salep])
    pae = read(tmp_path, required=("0027",))
    assert pae.findings == []
    frame = pae.frames[("0027", BSID)]
    assert frame.select("_row", "salep_type", "component_types").rows() == [
        (3, "001", "001"),
        (3, "001", "007"),
        (3, "001", "010"),
    ]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("{name: a, type: text, list: true}, {name: b, type: text, list: true}", "at most one"),
        ("{name: a, type: text, list: yes}", "true or false"),
        ("{name: a, type: text, element: salep.type}", "SEGMENT.ELEMENT"),
        ("{name: a, type: text, element: [SALEP.TYPE, 3]}", "SEGMENT.ELEMENT"),
    ],
)
def test_layout_list_and_element_declarations_are_checked(tmp_path, column, message):
    layout = tmp_path / "0099.yaml"
    layout.write_text(f'extract: "0099"\nfile_type: X\nkey: [a]\ncolumns: [{column}]\n')
    with pytest.raises(SpecError, match=message):
        load_layout_file(layout)


def educator_school() -> Scenario:
    """One educator whose non-teaching assignment has the time types GUI and LIB."""
    assignments = [
        {"assignment_id": "1", "educator_id": "e1", "school_id": "100", "position_type": "TEA",
         "start_date": date(2025, 9, 2), "fte": 1.0, "teaching_type": "B"},
    ]  # fmt: skip
    times = [{"assignment_id": "1", "time_type": t} for t in ("GUI", "LIB")]
    return scenario(educator_assignments=assignments, instructional_times=times)


def generate(tmp_path: Path, cell: str) -> tuple[etree._Element, str]:
    data, pae = write_scenario(educator_school(), tmp_path, "mar")
    year, period = "2025-2026", "March Secondary School"
    lines = [h1(ASSIGNMENTS, year, period), h2("999001"), assignment(cell)]
    write_raw(pae, "EXSMS-0009.00 - School Educator Assignment.csv", lines)
    out = tmp_path / "out"
    args = ["generate", "--data", str(data), "--pae", str(pae), "--bsid", "999001"]
    args += ["--period", "mar", "--year", year, "--timestamp", "2026-03-31T12:00"]
    done = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    return etree.parse(str(next(out.glob("*.xml")))).getroot(), done.output


def test_a_listed_cell_of_types_onsis_holds_sends_no_delete_and_no_add(tmp_path):
    root, _ = generate(tmp_path, "GUI,LIB")
    [sea] = root.iter("SCHOOL_EDUCATOR_ASSIGNMENT")
    assert sea.findtext("ACTION") == "UPDATE"
    assert list(sea.iter("INSTRUCTIONAL_TM")) == []  # before D700: DELETE "GUI,LIB", ADD both


def test_a_listed_type_the_school_no_longer_has_is_deleted_alone(tmp_path):
    root, _ = generate(tmp_path, "GUI,LIB,SSS")
    times = [
        (t.findtext("ACTION"), t.findtext("INSTRUCTIONAL_TM_TYPE"))
        for t in root.iter("INSTRUCTIONAL_TM")
    ]
    assert times == [("DELETE", "SSS")]
