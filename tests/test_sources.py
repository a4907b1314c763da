"""The load stage: files, cells, keys, references, flood control."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onsis_batch.contract import Column, Table, contract
from onsis_batch.findings import Finding, Severity
from onsis_batch.sources import LoadResult, load_folder
from onsis_batch.sources.cells import convert

STUDENTS = """\
student_id,first_name,last_name,birth_date,gender,year_of_entry_to_canada,exclude_from_reporting
1,Émilie,Tremblay,2008-03-14,F,2015-08,T
2,John,"O'Neil, Jr",2009/11/30,M,2020/01,
"""
SCHOOLS = "school_id,bsid\n10,123456\n"
ENROLMENTS = """\
student_id,school_id,entry_date,grade_level,exit_code,fte
1,10,2025-09-02,9,,1.0
2,10,2025-09-02,10,,0.5
"""
BOARD = "school_year\n2025-2026\n"
VALID = {
    "students.csv": STUDENTS,
    "schools.csv": SCHOOLS,
    "school_enrolments.csv": ENROLMENTS,
    "board_settings.csv": BOARD,
}


def make_folder(folder: Path, **files: str | bytes | None) -> Path:
    """A valid data folder; keyword arguments replace (or, with None, remove) a file."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {**VALID, **{name.replace("__", "."): text for name, text in files.items()}}
    for name, content in contents.items():
        if content is None:
            continue
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def flat(result: LoadResult, code: str | None = None) -> list[tuple]:
    return [
        (f.code, f.file, f.row, f.column) for f in result.findings if code is None or f.code == code
    ]


def only(result: LoadResult, code: str) -> Finding:
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, result.findings
    return found[0]


# --- happy path -------------------------------------------------------------------------


def test_valid_folder_loads_typed_frames(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path))
    assert result.findings == []
    students = result.tables["students"]
    assert students.columns[:5] == ["_row", "student_id", "oen", "student_number", "first_name"]
    assert students.schema["_row"] == pl.Int64
    assert students.schema["birth_date"] == pl.Date
    assert students.schema["exclude_from_reporting"] == pl.Boolean
    assert students["_row"].to_list() == [2, 3]
    assert students["last_name"].to_list() == ["Tremblay", "O'Neil, Jr"]
    assert students["birth_date"].to_list() == [date(2008, 3, 14), date(2009, 11, 30)]
    assert students["year_of_entry_to_canada"].to_list() == [date(2015, 8, 1), date(2020, 1, 1)]
    assert result.tables["school_enrolments"]["fte"].to_list() == [1.0, 0.5]
    assert result.files["students"] == tmp_path / "students.csv"
    for name, table in contract().items():
        assert result.tables[name].columns == ["_row", *table.column_names], name


def test_parquet_gives_the_same_frames_as_csv(tmp_path: Path) -> None:
    from_csv = load_folder(make_folder(tmp_path / "csv"))
    typed = tmp_path / "typed"
    text = tmp_path / "text"
    for folder in (typed, text):
        folder.mkdir()
    for name in from_csv.files:
        from_csv.tables[name].drop("_row").write_parquet(typed / f"{name}.parquet")
        raw = pl.read_csv(io.StringIO(VALID[f"{name}.csv"]), infer_schema=False)
        raw.write_parquet(text / f"{name}.parquet")
    for folder in (typed, text):
        from_parquet = load_folder(folder)
        assert from_parquet.findings == []
        for name, frame in from_csv.tables.items():
            assert from_parquet.tables[name].equals(frame), name


def test_parquet_timestamps_are_read_as_dates(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, board_settings__csv=None)
    settings = {"school_year": ["2025-2026"], "oct_count_date": [datetime(2025, 10, 31)]}
    pl.DataFrame(settings).write_parquet(folder / "board_settings.parquet")
    result = load_folder(folder)
    assert result.findings == []
    assert result.tables["board_settings"]["oct_count_date"].to_list() == [date(2025, 10, 31)]


def test_file_names_match_case_insensitively(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, students__csv=None)
    (folder / "Students.CSV").write_text(STUDENTS, encoding="utf-8")
    result = load_folder(folder)
    assert result.findings == []
    assert result.files["students"].name == "Students.CSV"


def test_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path, students__csv=b"\xef\xbb\xbf" + STUDENTS.encode()))
    assert result.findings == []
    assert result.tables["students"]["student_id"].to_list() == ["1", "2"]


def test_headers_and_cells_are_stripped_and_blank_records_skipped(tmp_path: Path) -> None:
    students = (
        " student_id , first_name,last_name,birth_date\r\n 1 , Ann ,B,2008-01-01\r\n\r\n,,,\r\n"
    )
    students += "3,C,D,2008-01-02\r\n"
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC010", "school_enrolments.csv", 3, "student_id")]
    frame = result.tables["students"]
    assert frame["_row"].to_list() == [2, 5]
    assert frame["first_name"].to_list() == ["Ann", "C"]


def test_header_only_file_gives_an_empty_frame(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path, schools__csv="school_id,bsid\n"), tables=["schools"])
    assert result.findings == []
    assert result.tables["schools"].is_empty()
    assert result.tables["schools"].schema["is_closed"] == pl.Boolean


def test_parquet_text_is_cleaned_like_csv(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, schools__csv=None)
    schools = {"school_id": [" 10 "], "bsid": ["123456"], "name": [""], "is_closed": [True]}
    pl.DataFrame(schools).write_parquet(folder / "schools.parquet")
    result = load_folder(folder)
    assert result.findings == []
    assert result.tables["schools"].row(0, named=True) == {
        "_row": 2,
        "school_id": "10",
        "bsid": "123456",
        "name": None,
        "language": None,
        "is_excluded": False,
        "is_closed": True,
        "is_section23": False,
        "is_night_school": False,
        "is_summer_school": False,
        "is_online": False,
    }


def test_defaults_fill_missing_columns_and_empty_cells(tmp_path: Path) -> None:
    frame = load_folder(make_folder(tmp_path)).tables["students"]
    assert frame["exclude_from_reporting"].to_list() == [True, False]  # empty cell
    assert frame["mature_student"].to_list() == [False, False]  # column absent
    assert frame["oen"].to_list() == [None, None]  # absent, no default


def test_absent_optional_table_is_an_empty_typed_frame(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path))
    hours = result.tables["community_hours"]
    assert hours.is_empty()
    assert hours.schema == {
        "_row": pl.Int64,
        "student_id": pl.String,
        "hours": pl.Float64,
        "activity_date": pl.Date,
    }
    assert "community_hours" not in result.files


def test_flag_spellings(tmp_path: Path) -> None:
    spellings = ["T", "f", "Y", "n", "true", "FALSE", "Yes", "no", "1", "0"]
    rows = "".join(f"{i},A,B,2008-01-01,{s}\n" for i, s in enumerate(spellings))
    students = "student_id,first_name,last_name,birth_date,oyap\n" + rows
    result = load_folder(make_folder(tmp_path, students__csv=students), tables=["students"])
    assert result.findings == []
    assert result.tables["students"]["oyap"].to_list() == [True, False] * 5


def test_integer_and_decimal_cells() -> None:
    table = Table("t", "", False, (), (Column("n", "integer", ""), Column("x", "decimal", "")))
    raw = pl.DataFrame(
        {
            "_row": [2, 3, 4, 5, 6],
            "n": ["+7", "-3", "1.5", "99999999999999999999", "007"],
            "x": ["1.5", ".5", "1,5", "1e5", "-2."],
        }
    )
    frame, issues = convert(table, raw, frozenset(), "t.csv", {})
    assert frame["n"].to_list() == [7, -3, None, None, 7]
    assert frame["x"].to_list() == [1.5, 0.5, None, None, -2.0]
    assert {(i.code, i.column, tuple(i.rows["_row"])) for i in issues} == {
        ("SRC003", "n", (4, 5)),
        ("SRC003", "x", (4, 5)),
    }


def test_code_mapping_applies_before_the_check(tmp_path: Path) -> None:
    mappings = "code_table,local_code,ministry_code\ngender_type,Female,F\ngender_type,Male,M\n"
    students = STUDENTS.replace(",F,2015", ",Female,2015").replace(",M,2020", ",Male,2020")
    result = load_folder(make_folder(tmp_path, students__csv=students, code_mappings__csv=mappings))
    assert result.findings == []
    assert result.tables["students"]["gender"].to_list() == ["F", "M"]


def test_code_mapping_to_an_unknown_code_is_reported(tmp_path: Path) -> None:
    mappings = "code_table,local_code,ministry_code\ngender_type,Female,Q\ngendr,Male,M\n"
    result = load_folder(make_folder(tmp_path, code_mappings__csv=mappings))
    assert flat(result) == [
        ("SRC006", "code_mappings.csv", 3, "code_table"),
        ("SRC006", "code_mappings.csv", 2, "ministry_code"),
    ]


def test_unknown_keep_passes_an_unknown_exit_code_through(tmp_path: Path) -> None:
    enrolments = ENROLMENTS.replace("9,,1.0", "9,ZZ,1.0")
    result = load_folder(make_folder(tmp_path, school_enrolments__csv=enrolments))
    assert result.findings == []
    assert result.tables["school_enrolments"]["exit_code"].to_list() == ["ZZ", None]


def test_tables_argument_reads_only_those(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path, schools__csv=None), tables=["students"])
    assert result.findings == []
    assert set(result.tables) == {"students", "code_mappings"}
    with pytest.raises(ValueError, match="nope"):
        load_folder(tmp_path, tables=["nope"])


# --- one test per finding code --------------------------------------------------------------


def test_src001_required_table_missing(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path, schools__csv=None))
    finding = only(result, "SRC001")
    assert (finding.file, finding.row, finding.column) == (str(tmp_path), None, None)
    assert finding.params["table"] == "schools"


def test_missing_folder_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    result = load_folder(tmp_path / "nowhere")
    assert flat(result) == [("SRC008", str(tmp_path / "nowhere"), None, None)]
    assert result.tables["students"].is_empty()


def test_src002_required_column_missing(tmp_path: Path) -> None:
    students = "student_id,first_name,birth_date\n1,A,2008-01-01\n2,B,2008-01-01\n"
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC002", "students.csv", None, "last_name")]
    assert result.tables["students"]["last_name"].to_list() == [None, None]


def test_src003_wrong_type(tmp_path: Path) -> None:
    students = STUDENTS.replace(",T\n", ",maybe\n")
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC003", "students.csv", 2, "exclude_from_reporting")]
    assert only(result, "SRC003").params == {"value": "maybe", "type": "flag"}
    assert result.tables["students"]["exclude_from_reporting"].to_list() == [None, False]


def test_src003_text_pattern(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path, board_settings__csv="school_year\n2025\n"))
    assert flat(result) == [("SRC003", "board_settings.csv", 2, "school_year")]
    assert only(result, "SRC003").params["type"] == r"\d{4}-\d{4}"


@pytest.mark.parametrize("value", ["2025-02-30", "14/03/2008", "2008-3-14", "2008/03-14"])
def test_src004_bad_date(tmp_path: Path, value: str) -> None:
    students = STUDENTS.replace("2009/11/30", value)
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC004", "students.csv", 3, "birth_date")]
    assert result.tables["students"]["birth_date"].to_list() == [date(2008, 3, 14), None]


def test_src004_bad_year_month(tmp_path: Path) -> None:
    students = STUDENTS.replace("2020/01", "2020-13")
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC004", "students.csv", 3, "year_of_entry_to_canada")]


def test_src005_duplicate_key(tmp_path: Path) -> None:
    students = STUDENTS + "1,Copy,Cat,2008-01-01,,,\n"
    result = load_folder(make_folder(tmp_path, students__csv=students))
    finding = only(result, "SRC005")
    assert (finding.file, finding.row, finding.column) == ("students.csv", 4, "student_id")
    assert finding.key == "student_id=1"
    assert finding.params["first_row"] == 2


def test_src005_compound_key_compares_dates(tmp_path: Path) -> None:
    enrolments = ENROLMENTS + "1,10,2025/09/02,9,,\n"
    result = load_folder(make_folder(tmp_path, school_enrolments__csv=enrolments))
    finding = only(result, "SRC005")
    assert (finding.file, finding.row) == ("school_enrolments.csv", 4)
    assert finding.key == "student_id=1, school_id=10, entry_date=2025-09-02"


def test_src006_unknown_code(tmp_path: Path) -> None:
    students = STUDENTS.replace(",M,", ",X,")
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC006", "students.csv", 3, "gender")]
    assert only(result, "SRC006").params == {"value": "X", "table": "gender_type"}


def test_src006_code_table_given_as_a_pattern(tmp_path: Path) -> None:
    students = "student_id,first_name,last_name,birth_date,birth_country\n1,A,B,2008-01-01,Canada\n"
    result = load_folder(make_folder(tmp_path, students__csv=students), tables=["students"])
    assert flat(result) == [("SRC006", "students.csv", 2, "birth_country")]


def test_src007_required_value_missing(tmp_path: Path) -> None:
    students = STUDENTS.replace("John", "  ")
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC007", "students.csv", 3, "first_name")]


def test_src008_csv_and_parquet_both_present(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    pl.read_csv(io.StringIO(SCHOOLS), infer_schema=False).write_parquet(folder / "schools.parquet")
    result = load_folder(folder)
    assert flat(result, "SRC008") == [("SRC008", "schools.csv", None, None)]
    assert "schools.parquet" in only(result, "SRC008").params["reason"]
    assert "schools" not in result.files
    assert not any(f.code == "SRC001" for f in result.findings)


def test_src008_invalid_utf8(tmp_path: Path) -> None:
    data = STUDENTS.encode("utf-8").replace("Émilie".encode(), "Émilie".encode("latin-1"))
    result = load_folder(make_folder(tmp_path, students__csv=data))
    finding = only(result, "SRC008")
    assert (finding.file, finding.row, finding.column) == ("students.csv", None, None)
    assert "line 2" in finding.params["reason"]


def test_src008_malformed_csv(tmp_path: Path) -> None:
    result = load_folder(
        make_folder(tmp_path, students__csv=STUDENTS + "3,A,B,2008-01-01,,,,extra\n")
    )
    finding = only(result, "SRC008")
    assert finding.file == "students.csv"
    assert finding.params["reason"] == "line 4 has 8 fields, the header 7"


def test_src008_empty_file(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path, students__csv=""))
    assert "empty" in only(result, "SRC008").params["reason"]


def test_src008_column_given_twice_keeps_the_first(tmp_path: Path) -> None:
    students = "student_id,first_name,last_name,birth_date,first_name\n1,A,B,2008-01-01,Z\n"
    result = load_folder(make_folder(tmp_path, students__csv=students), tables=["students"])
    assert flat(result) == [("SRC008", "students.csv", None, None)]
    assert result.tables["students"]["first_name"].to_list() == ["A"]


def test_src008_parquet_column_of_unusable_type(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, schools__csv=None)
    pl.DataFrame({"school_id": ["10"], "bsid": [[1, 2]]}).write_parquet(folder / "schools.parquet")
    result = load_folder(folder)
    assert ("SRC008", "schools.parquet", None, None) in flat(result)


def test_src009_control_character(tmp_path: Path) -> None:
    students = STUDENTS.replace("Tremblay", "Trem\x07blay")
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC009", "students.csv", 2, "last_name")]
    assert result.tables["students"]["last_name"].to_list() == [None, "O'Neil, Jr"]


def test_src010_reference_to_unknown_row(tmp_path: Path) -> None:
    enrolments = ENROLMENTS.replace("2,10,", "7,10,")
    result = load_folder(make_folder(tmp_path, school_enrolments__csv=enrolments))
    assert flat(result) == [("SRC010", "school_enrolments.csv", 3, "student_id")]
    assert only(result, "SRC010").params == {"value": "7", "target": "students"}


def test_references_to_a_column_missing_from_its_file_are_not_checked(tmp_path: Path) -> None:
    students = "first_name,last_name,birth_date\nA,B,2008-01-01\n"
    result = load_folder(make_folder(tmp_path, students__csv=students))
    assert flat(result) == [("SRC002", "students.csv", None, "student_id")]


def test_src011_value_too_long(tmp_path: Path) -> None:
    result = load_folder(make_folder(tmp_path, schools__csv="school_id,bsid\n10,1234567\n"))
    assert flat(result) == [("SRC011", "schools.csv", 2, "bsid")]
    assert only(result, "SRC011").params == {"value": "1234567", "max_length": 6}


def test_src012_flood_control(tmp_path: Path) -> None:
    rows = "".join(f"{i},A,B,2008-01-01,X\n" for i in range(25))
    students = "student_id,first_name,last_name,birth_date,gender\n" + rows
    result = load_folder(make_folder(tmp_path, students__csv=students), tables=["students"])
    assert len(flat(result, "SRC006")) == 20
    summary = only(result, "SRC012")
    assert (summary.file, summary.row, summary.column) == ("students.csv", None, "gender")
    assert summary.params == {"count": 5, "problem": "SRC006: Unknown code"}
    assert summary.severity is Severity.ERROR


def test_src013_unknown_column_is_dropped(tmp_path: Path) -> None:
    students = STUDENTS.replace("exclude_from_reporting\n", "exclude_from_reporting,shoe_size\n")
    students = students.replace(",T\n", ",T,42\n").replace("2020/01,\n", "2020/01,,43\n")
    result = load_folder(make_folder(tmp_path, students__csv=students))
    finding = only(result, "SRC013")
    assert (finding.file, finding.row, finding.column) == ("students.csv", None, "shoe_size")
    assert finding.severity is Severity.WARNING
    assert "shoe_size" not in result.tables["students"].columns


# --- robustness -----------------------------------------------------------------------------

HEADER = ["student_id", "first_name", "last_name", "birth_date", "gender"]
# Any character, with the ones that trouble CSV readers and XML writers made likely.
TRICKY = st.text(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from('",\r\n \t\x00\x01\x0b\x1f\ufeff'))
)


# Python's str.strip also strips \x1c-\x1f; polars (Unicode White_Space) does not.
WHITE_SPACE = "".join(
    c for c in map(chr, range(0x3001)) if c.isspace() and c not in "\x1c\x1d\x1e\x1f"
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TRICKY, column=st.sampled_from(range(len(HEADER))))
def test_any_text_in_a_cell_gives_findings_not_exceptions(
    tmp_path_factory: pytest.TempPathFactory, text: str, column: int
) -> None:
    row = ["1", "A", "B", "2008-01-01", "F"]
    row[column] = text
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, row])
    folder = tmp_path_factory.mktemp("text")
    (folder / "students.csv").write_bytes(buffer.getvalue().encode("utf-8"))
    result = load_folder(folder, tables=["students"])
    assert not any(f.code == "SRC008" for f in result.findings)  # valid CSV is always read
    value = text.strip(WHITE_SPACE)
    if HEADER[column] in ("first_name", "last_name") and value and not CONTROL.search(value):
        assert result.tables["students"][HEADER[column]].to_list() == [value]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(), column=st.sampled_from(range(len(HEADER))))
def test_any_bytes_in_a_cell_give_findings_not_exceptions(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes, column: int
) -> None:
    cells = [b"1", b"A", b"B", b"2008-01-01", b"F"]
    cells[column] = raw  # unquoted: may break the CSV structure or the UTF-8
    folder = tmp_path_factory.mktemp("raw")
    (folder / "students.csv").write_bytes(",".join(HEADER).encode() + b"\n" + b",".join(cells))
    result = load_folder(folder, tables=["students"])
    assert isinstance(result.tables["students"], pl.DataFrame)
    assert all(f.code.startswith("SRC") for f in result.findings)


def test_format_text_fills_places_like_pl_format_and_refuses_a_wrong_count():
    from onsis_batch.queries import format_text

    frame = pl.DataFrame({"a": ["x", None, "z"], "n": [1, 2, 3]})
    built = frame.select(format_text("a={}, n={} rows", pl.col("a"), pl.col("n")))
    assert built.to_series().to_list() == ["a=x, n=1 rows", None, "a=z, n=3 rows"]
    assert (
        built.to_series().to_list()
        == frame.select(pl.format("a={}, n={} rows", "a", "n")).to_series().to_list()
    )
    with pytest.raises(ValueError, match="2 places for 1 values"):
        format_text("{}-{}", pl.col("a"))
