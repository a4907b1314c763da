"""Pending Area Extract reading and writing: small files built in tmp_path."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from onsis_batch.findings import Severity
from onsis_batch.pae.extracts import (
    PaeSet,
    empty_frame,
    extract_file_name,
    load_layouts,
    read_pae_folder,
    write_extract,
)
from onsis_batch.pae.layout import load_layout_file
from onsis_batch.specs import SpecError

YEAR = "2025-2026"
CODE = "OCTSEC1"
PERIOD = "October Secondary School"
BSID = "123456"
CREATED = datetime(2025, 10, 1, 9, 30)
ENROLMENT = "STUDENT SCHOOL ENROLMENT"


def read(folder: Path, bsids=(BSID,), required=("0003",), period=PERIOD) -> PaeSet:
    return read_pae_folder(
        folder,
        school_year=YEAR,
        period_code=CODE,
        period_description=period,
        bsids=bsids,
        required=required,
    )


def codes(pae: PaeSet) -> list[str]:
    return [f.code for f in pae.findings]


def h1(file_type: str = ENROLMENT, year: str = YEAR, period: str = PERIOD) -> str:
    return f'"H1","{file_type}","1","{year}","{period}","2025/10/01","09:30"'


def h2(bsid: str = BSID) -> str:
    return f'"H2","{bsid}","Test School","02"'


def dt(extract: str = "0003", **values: str) -> str:
    """A DT line of `extract` with every layout column, quoted; unnamed columns empty."""
    names = [c.name for c in load_layouts()[extract].columns]
    return ",".join(f'"{v}"' for v in ["DT", *(values.get(n, "") for n in names)])


def pad(line: str, extract: str = "0003") -> str:
    """`line` with empty cells appended up to the layout's width (rows are all that wide)."""
    cells = len(next(csv.reader([line], skipinitialspace=True)))
    return line + ',""' * (len(load_layouts()[extract].columns) + 1 - cells)


def write_raw(
    folder: Path,
    name: str,
    lines: list[str],
    *,
    eol: str = "\r\n",
    encoding: str = "cp1252",
    bom: bool = False,
) -> Path:
    path = folder / name
    data = (eol.join(lines) + eol).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def enrolment_file(folder: Path, *rows: str, name: str = "EXSMS-0003.00.csv") -> Path:
    return write_raw(folder, name, [h1(), h2(), *rows])


# --- layouts ---------------------------------------------------------------------------------


def test_bundled_layouts_load_and_cover_the_secondary_extracts():
    layouts = load_layouts()
    expected = {
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0007",
        "0009",
        "0010",
        "0026",
        "0027",
        "0028",
    }
    assert expected <= set(layouts)
    assert len(layouts["0003"].columns) == 52  # 53 cells with the record type
    frame = empty_frame("0004")
    assert frame.height == 0 and frame.columns[0] == "_row"
    assert frame.schema["course_start_date"] == pl.Date


def test_layout_with_an_unknown_key_is_a_spec_error(tmp_path):
    (tmp_path / "0099.yaml").write_text(
        'extract: "0099"\nfile_type: X\nkey: [a]\ncolumns:\n  - {name: a, type: text, size: 3}\n',
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"0099\.yaml: columns\[0\]\.size: unknown key"):
        load_layout_file(tmp_path / "0099.yaml")
    (tmp_path / "0099.yaml").write_text(
        'extract: "0099"\nfile_type: X\nkeys: [a]\ncolumns:\n  - {name: a, type: text}\n',
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"0099\.yaml: keys: unknown key"):
        load_layout_file(tmp_path / "0099.yaml")


def test_layout_with_a_bad_type_is_a_spec_error(tmp_path):
    (tmp_path / "0099.yaml").write_text(
        'extract: "0099"\nfile_type: X\nkey: [a]\ncolumns:\n  - {name: a, type: money}\n',
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"columns\[0\]\.type"):
        load_layout_file(tmp_path / "0099.yaml")


# --- write -> read ---------------------------------------------------------------------------


def test_write_then_read_round_trips_typed_values(tmp_path):
    rows = pl.DataFrame(
        {
            "oen": ["111111111", "222222222"],
            "grade_type": ["10", "12"],
            "special_education_flag": [True, False],
            "fte": [1.0, 0.5],
            "ade": [0.1234, None],
            "enrolment_start_date": [date(2025, 9, 2), date(2025, 9, 15)],
            "gender_desc": ['Élève, "dit" Zoë', None],
        }
    )
    path = tmp_path / extract_file_name("0003")
    write_extract(
        path,
        "0003",
        school_year=YEAR,
        period_description=PERIOD,
        blocks=[(BSID, "École Test", rows)],
        created=CREATED,
    )
    raw = path.read_bytes()
    assert raw.startswith(b'"H1","STUDENT SCHOOL ENROLMENT","1","2025-2026"') and b"\r\n" in raw
    assert b'"1.00"' in raw and b'"0.1234"' in raw and b'"2025/09/02"' in raw and b'"T"' in raw

    pae = read(tmp_path)
    assert pae.findings == []
    frame = pae.frames[("0003", BSID)]
    assert frame.get_column("_row").to_list() == [3, 4]
    assert frame.select(rows.columns).equals(rows)
    assert frame.get_column("enrolment_end_date").null_count() == 2  # missing column: empty
    assert pae.files[("0003", BSID)] == "EXSMS-0003.00 - Student School Enrolment.csv"
    for_school = pae.for_bsid(BSID)
    assert set(for_school) == set(load_layouts())
    assert for_school["0004"].height == 0 and for_school["0003"].height == 2


def test_file_name_convention_is_file_system_safe():
    assert extract_file_name("0026") == "EXSMS-0026.00 - Diploma-Certificate.csv"


def test_writer_refuses_line_breaks(tmp_path):
    rows = pl.DataFrame({"oen": ["1"], "gender_desc": ["two\nlines"]})
    with pytest.raises(ValueError, match="line break"):
        write_extract(
            tmp_path / "x.csv",
            "0003",
            school_year=YEAR,
            period_description=PERIOD,
            blocks=[(BSID, "S", rows)],
            created=CREATED,
        )


def _utf8_of_cp1252(data: bytes) -> bool:
    try:
        data.decode("utf-8").encode("cp1252")
    except UnicodeError:
        return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text(st.characters(codec="cp1252", exclude_characters="\r\n"), max_size=12),
        min_size=1,
        max_size=4,
    )
)
def test_any_windows_1252_text_round_trips(values):
    # Windows-1252 bytes that are also UTF-8 of windows-1252 characters ("Ã©") are read as
    # UTF-8, as a re-saved extract is (D532): real extracts never hold such text.
    data = "".join(values).encode("cp1252")
    assume(data.isascii() or not _utf8_of_cp1252(data))
    rows = pl.DataFrame({"oen": values, "other_halftime_desc": list(reversed(values))})
    with tempfile.TemporaryDirectory() as folder:
        write_extract(
            Path(folder) / "e.csv",
            "0003",
            school_year=YEAR,
            period_description=PERIOD,
            blocks=[(BSID, "S", rows)],
            created=CREATED,
        )
        frame = read(Path(folder)).frames[("0003", BSID)]
    expected = rows.select(pl.all().str.strip_chars(" \t").replace("", None))
    assert frame.select(rows.columns).equals(expected)


# --- file format tolerance -------------------------------------------------------------------


def test_bom_is_stripped(tmp_path):
    write_raw(tmp_path, "a.csv", [h1(), h2(), dt(oen="000000001", gender_desc="Zoë")], bom=True)
    frame = read(tmp_path).frames[("0003", BSID)]
    assert frame.get_column("gender_desc").to_list() == ["Zoë"]


def test_bom_with_utf8_text_is_read_as_utf8(tmp_path):
    write_raw(
        tmp_path,
        "a.csv",
        [h1(), h2(), dt(oen="000000001", gender_desc="Zoë")],
        bom=True,
        encoding="utf-8",
    )
    assert read(tmp_path).frames[("0003", BSID)]["gender_desc"].to_list() == ["Zoë"]


@pytest.mark.parametrize("eol", ["\r\n", "\n"])
def test_crlf_and_lf_with_blank_lines(tmp_path, eol):
    write_raw(
        tmp_path,
        "a.csv",
        [h1(), "", h2(), dt(oen="000000001"), "   ", dt(oen="000000002"), ""],
        eol=eol,
    )
    pae = read(tmp_path)
    assert pae.findings == []
    frame = pae.frames[("0003", BSID)]
    assert frame.select("_row", "oen").rows() == [(4, "000000001"), (6, "000000002")]


def test_quoted_commas_doubled_quotes_unquoted_cells_and_padding(tmp_path):
    salep = 'DT,"123456789","01","02","001,002,007",,2025/09/02  ,"2026/06/30 ","T"'
    quotes = pad('"DT","123456789","9""9","say ""hi"", then go"', "0027")
    write_raw(tmp_path, "salep.csv", [h1("SALEP"), h2(), salep, quotes])
    pae = read(tmp_path, required=())
    assert pae.findings == []
    frame = pae.frames[("0027", BSID)]
    assert frame.drop("_row").row(0, named=True) == {
        "oen": "123456789",
        "salep_type": "01",
        "status_type": "02",
        "component_types": "001",  # the list cell is read one component a row (D700)
        "exit_type": None,
        "start_date": date(2025, 9, 2),
        "end_date": date(2026, 6, 30),
        "prepopulation_flag": True,
    }
    assert frame.select("_row", "component_types").rows()[:3] == [
        (3, "001"),
        (3, "002"),
        (3, "007"),
    ]
    assert frame.select("salep_type", "status_type").row(3) == ('9"9', 'say "hi", then go')


def test_space_after_closing_quote_and_stray_quote_still_read(tmp_path):
    # polars refuses these lines; the line-by-line fallback must keep every row and its number
    write_raw(
        tmp_path,
        "a.csv",
        [
            h1(),
            h2(),
            pad('"DT","000000001"  ,"ON"'),
            pad('"DT","000000002","un"closed'),
            dt(oen="000000003"),
            '"DT","000000004",' + '"",' * 50 + '"two',
            'lines"',
            dt(oen="000000005"),
        ],
    )
    pae = read(tmp_path)
    frame = pae.frames[("0003", BSID)]
    assert frame.select("_row", "oen").rows() == [
        (3, "000000001"),
        (4, "000000002"),
        (5, "000000003"),
        (6, "000000004"),
        (8, "000000005"),
    ]
    assert frame.get_column("province_state_type")[0] == "ON"
    assert [(f.code, f.row) for f in pae.findings] == [("PAE005", 7)]  # the broken-off 'lines"'


def test_file_of_only_odd_lines_is_read(tmp_path):
    write_raw(tmp_path, "a.csv", [h1() + " ", '"H2","123456"  ', '"DT","000000001" ,"ON"'])
    frame = read(tmp_path).frames[("0003", BSID)]
    assert frame.select("_row", "oen", "province_state_type").rows() == [(3, "000000001", "ON")]


def test_extra_trailing_columns_are_ignored(tmp_path):
    enrolment_file(
        tmp_path, dt(oen="000000001", online_graduation_requirement_type="X") + ',"extra","x"'
    )
    pae = read(tmp_path)
    assert [f.code for f in pae.findings] == ["PAE011"]  # said once per file (issue 13)
    assert pae.frames[("0003", BSID)]["online_graduation_requirement_type"].to_list() == ["X"]


def test_missing_trailing_columns_are_null(tmp_path):
    enrolment_file(tmp_path, '"DT","1","ON"', "DT,2")
    frame = read(tmp_path).frames[("0003", BSID)]
    assert frame.select("oen", "province_state_type", "fte").rows() == [
        ("1", "ON", None),
        ("2", None, None),
    ]


def test_flags_decimals_and_integers(tmp_path):
    # also: the file type matches trimmed and case-insensitively
    segments = [
        dt("0002", class_code="A", credit_value=".5", total_class_course="92"),
        dt("0002", class_code="B", credit_value="1", total_class_course="9.5"),
    ]
    write_raw(tmp_path, "seg.csv", [h1("Course Segment  "), h2(), *segments])
    classes = [
        dt("0001", class_code="A", prepopulation_flag="y"),
        dt("0001", class_code="B", prepopulation_flag="n"),
    ]
    write_raw(tmp_path, "cls.csv", [h1("CLASS LIST"), h2(), *classes])
    pae = read(tmp_path, required=())
    segment = pae.frames[("0002", BSID)]
    assert segment.select("credit_value", "total_class_course").rows() == [(0.5, 92), (1.0, None)]
    assert [(f.code, f.file, f.row, f.column) for f in pae.findings] == [
        ("PAE006", "seg.csv", 4, "total_class_course")
    ]
    assert pae.frames[("0001", BSID)]["prepopulation_flag"].to_list() == [True, False]


def test_bad_date_is_reported_with_row_and_column_and_row_kept(tmp_path):
    enrolment_file(
        tmp_path,
        dt(oen="000000001", enrolment_start_date="2025-09-02"),
        dt(oen="000000002", enrolment_start_date="09/02/2025"),
    )
    pae = read(tmp_path)
    [bad] = pae.findings
    assert (bad.code, bad.row, bad.column, bad.params["value"]) == (
        "PAE006",
        4,
        "enrolment_start_date",
        "09/02/2025",
    )
    assert bad.params["type"] == "date"
    assert pae.frames[("0003", BSID)]["enrolment_start_date"].to_list() == [date(2025, 9, 2), None]


# --- header checks ---------------------------------------------------------------------------


def test_wrong_year(tmp_path):
    write_raw(tmp_path, "a.csv", [h1(year="2024-2025"), h2(), dt(oen="000000001")])
    pae = read(tmp_path)
    assert codes(pae) == ["PAE002"]
    assert pae.findings[0].params["found"] == "2024-2025" and pae.findings[0].row == 1


def test_wrong_period(tmp_path):
    write_raw(tmp_path, "a.csv", [h1(period="March Secondary School"), h2(), dt(oen="000000001")])
    assert codes(read(tmp_path)) == ["PAE003"]


@pytest.mark.parametrize("period", ["OCTSEC1", "octsec1", " OCTOBER SECONDARY SCHOOL "])
def test_period_as_code_or_description(tmp_path, period):
    write_raw(tmp_path, "a.csv", [h1(period=period), h2(), dt(oen="000000001")])
    assert read(tmp_path).findings == []


def test_bsid_mismatch(tmp_path):
    write_raw(tmp_path, "a.csv", [h1(), h2("999999"), dt(oen="000000001")])
    pae = read(tmp_path)
    assert codes(pae) == ["PAE004", "PAE007"]
    assert pae.findings[0].params["found"] == "999999"
    assert pae.frames == {}


def test_board_file_is_split_per_school(tmp_path):
    write_raw(
        tmp_path,
        "board.csv",
        [
            h1(),
            h2("111111"),
            dt(oen="000000001"),
            dt(oen="000000002"),
            h2("222222"),
            dt(oen="000000003"),
            h2("333333"),
            dt(oen="000000004"),
            h2("444444"),
        ],
    )
    pae = read(tmp_path, bsids=["111111", "333333", "444444"])
    assert pae.findings == []
    assert pae.frames[("0003", "111111")]["oen"].to_list() == ["000000001", "000000002"]
    assert pae.frames[("0003", "333333")].select("_row", "oen").rows() == [(8, "000000004")]
    assert pae.frames[("0003", "444444")].height == 0  # an empty block is present, not missing
    assert ("0003", "222222") not in pae.frames


def test_required_extract_missing(tmp_path):
    enrolment_file(tmp_path, dt(oen="000000001"))
    pae = read(tmp_path, bsids=[BSID, "654321"], required=("0003", "0004"))
    missing = [(f.code, f.key, f.params["extract"]) for f in pae.findings]
    assert missing == [
        ("PAE007", "123456", "0004"),
        ("PAE007", "654321", "0003"),
        ("PAE007", "654321", "0004"),
    ]


def test_unknown_required_extract_is_a_caller_error(tmp_path):
    with pytest.raises(ValueError, match="0099"):
        read(tmp_path, required=("0099",))


def test_same_extract_twice(tmp_path):
    enrolment_file(tmp_path, dt(oen="000000001"), name="b.csv")
    enrolment_file(tmp_path, dt(oen="000000002"), name="a.CSV")
    pae = read(tmp_path)
    assert codes(pae) == ["PAE008"]
    assert pae.findings[0].params["files"] == "a.CSV, b.csv"
    assert pae.files[("0003", BSID)] == "a.CSV"
    # found by the campaign: the finding names a file, the one whose block is left unread
    assert pae.findings[0].file == "b.csv"


# --- what is not an extract ------------------------------------------------------------------


def test_non_extract_csv_and_empty_file(tmp_path):
    write_raw(tmp_path, "people.csv", ["name,age", "Bob,3"])
    write_raw(tmp_path, "empty.csv", ["", ""])
    (tmp_path / "notes.txt").write_text("not a csv")
    (tmp_path / "sub.csv").mkdir()
    pae = read(tmp_path, required=())
    assert [(f.code, f.file) for f in pae.findings] == [
        ("PAE001", "empty.csv"),
        ("PAE001", "people.csv"),
    ]


def test_unknown_file_type_is_a_warning_and_ignored(tmp_path):
    write_raw(tmp_path, "x.csv", [h1("SOMETHING ELSE"), h2(), dt(oen="000000001")])
    pae = read(tmp_path, required=())
    [warning] = pae.findings
    assert (warning.code, warning.severity) == ("PAE009", Severity.WARNING)
    assert pae.frames == {}


def test_missing_folder_is_a_finding(tmp_path):
    pae = read(tmp_path / "nope")
    assert codes(pae) == ["PAE001"]


def test_rows_before_h2_and_unknown_record_types(tmp_path):
    write_raw(
        tmp_path,
        "a.csv",
        [h1(), dt(oen="0"), dt(oen="00"), h2(), '"ZZ","1"', dt(oen="000000001"), ',"no type"'],
    )
    pae = read(tmp_path)
    assert [(f.code, f.row) for f in pae.findings] == [("PAE005", 5), ("PAE005", 7), ("PAE005", 2)]
    assert pae.frames[("0003", BSID)]["oen"].to_list() == ["000000001"]


def test_bytes_windows_1252_leaves_undefined_do_not_break_the_file(tmp_path):
    path = write_raw(tmp_path, "a.csv", [h1(), h2(), dt(oen="000000001", gender_desc="a?b")])
    path.write_bytes(path.read_bytes().replace(b"a?b", b"a\x81\x80b"))
    assert read(tmp_path).frames[("0003", BSID)]["gender_desc"].to_list() == ["a\x81€b"]
