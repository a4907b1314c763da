"""Damaged inputs (issue 13): every damage is a finding naming the user's file, row and
column; nothing is lost, rounded or emptied silently, and unusable input ends with exit 2
and no output."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_pae import BSID, dt, h1, h2, read, write_raw

from onsis_batch.cli import cli
from onsis_batch.resources import data_dir

SAMPLE_BSID = "998467"
ENROLMENT_FILE = "EXSMS-0003.00 - Student School Enrolment.csv"
CLASS_FILE = "EXSMS-0004.00 - Student Class Enrolment.csv"


def flat(findings, *codes):
    """(code, severity, row) of the findings with one of `codes` (all when none given)."""
    return [(f.code, str(f.severity), f.row) for f in findings if not codes or f.code in codes]


@pytest.fixture
def sample(tmp_path) -> Path:
    """A copy of the bundled October sample: tmp/data and tmp/pae."""
    shutil.copytree(data_dir("sample_data"), tmp_path / "data")
    shutil.copytree(data_dir("pae_samples") / "OCTSEC1", tmp_path / "pae")
    return tmp_path


def generate(folder: Path, *extra: str):
    out = folder / "out"
    args = ["generate", "--data", str(folder / "data"), "--pae", str(folder / "pae")]
    args += ["--bsid", SAMPLE_BSID, "--period", "oct", "--year", "2025-2026"]
    args += ["--out", str(out), "--timestamp", "2025-10-31T09:00:00", *extra]
    return CliRunner().invoke(cli, args)


def written(folder: Path) -> list[str]:
    out = folder / "out"
    return sorted(p.name for p in out.glob("*.xml")) if out.is_dir() else []


# --- item 6: an extract cut short ---------------------------------------------------------


def test_extract_cut_in_the_middle_of_its_last_line_is_an_error(tmp_path):
    path = write_raw(tmp_path, "a.csv", [h1(), h2(), dt(oen="111111111"), dt(oen="222222222")])
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b'"222222222"') + 20])  # a few cells of the last row
    pae = read(tmp_path)
    assert flat(pae.findings) == [("PAE005", "error", 4)]
    assert "cut" in pae.findings[0].message_en


def test_a_row_with_too_few_fields_is_an_error(tmp_path):
    short = ",".join(dt(oen="222222222").split(",")[:10])
    write_raw(tmp_path, "a.csv", [h1(), h2(), dt(oen="111111111"), short, dt(oen="333333333")])
    pae = read(tmp_path)
    assert flat(pae.findings) == [("PAE005", "error", 4)]
    assert "10 fields" in pae.findings[0].message_en


def test_a_cut_inside_a_quoted_cell_is_an_error_even_with_every_field(tmp_path):
    path = write_raw(tmp_path, "a.csv", [h1(), h2(), dt(oen="111111111", gender_desc="abc")])
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"abc") + 2])  # ..."ab: the closing quote is lost
    assert flat(read(tmp_path).findings) == [("PAE005", "error", 3)]


def test_a_missing_final_line_break_alone_is_a_warning(tmp_path):
    path = write_raw(tmp_path, "a.csv", [h1(), h2(), dt(oen="111111111")])
    path.write_bytes(path.read_bytes().removesuffix(b"\r\n"))
    pae = read(tmp_path)
    assert flat(pae.findings) == [("PAE012", "warning", 3)]
    assert pae.frames[("0003", BSID)]["oen"].to_list() == ["111111111"]


def test_cut_enrolment_extract_stops_the_run_without_a_file(sample):
    path = sample / "pae" / ENROLMENT_FILE
    data = path.read_bytes()
    lines = data.split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:100]) + b"\r\n" + lines[100][:37])
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert f"PAE005 [{ENROLMENT_FILE}, row 101]" in result.output
    assert written(sample) == []


# --- item 7: identifiers a spreadsheet changed --------------------------------------------


def class_file(folder: Path, *rows: str) -> Path:
    return write_raw(folder, "b.csv", [h1("STUDENT CLASS ENROLMENT"), h2(), *rows])


def test_oen_in_scientific_notation_is_an_error_without_the_value(tmp_path):
    class_file(tmp_path, dt("0004", oen="9.90524E+08", class_code="MCV4U-01"))
    pae = read(tmp_path, required=("0004",))
    assert [(f.code, f.row, f.column) for f in pae.findings] == [("PAE010", 3, "oen")]
    assert "9.90524" not in str(pae.findings[0].to_dict())


def test_every_extract_checks_its_oen_men_and_class_code_columns(tmp_path):
    class_file(tmp_path, dt("0004", oen="99052401", class_code="MCV4U 01"))
    assignments = [h1("SCHOOL EDUCATOR ASSIGNMENT"), h2(), dt("0009", men="8.80128E+08")]
    write_raw(tmp_path, "c.csv", assignments)
    pae = read(tmp_path, required=())
    found = [(f.code, f.file, f.row, f.column) for f in pae.findings]
    assert found == [
        ("PAE010", "b.csv", 3, "oen"),
        ("PAE010", "b.csv", 3, "class_code"),
        ("PAE010", "c.csv", 3, "men"),
    ]
    assert "'MCV4U 01'" in pae.findings[1].message_en  # a class code is not personal


def test_layouts_declare_the_format_of_every_identifier_column():
    from onsis_batch.pae.layout import load_layouts

    for layout in load_layouts().values():
        for column in layout.columns:
            if column.name in ("oen", "men", "class_code"):
                assert column.format == column.name, (layout.extract, column.name)


def test_mangled_oen_in_class_enrolments_stops_the_run(sample):
    path = sample / "pae" / CLASS_FILE
    text = path.read_bytes().decode("cp1252")
    oen = text.split("\r\n")[2].split(",")[1].strip('"')
    path.write_bytes(text.replace(oen, f"{oen[0]}.{oen[1:6]}E+08", 1).encode("cp1252"))
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert f"PAE010 [{CLASS_FILE}, row 3, column oen]" in result.output
    assert oen[1:6] not in result.output and written(sample) == []


# --- item 8: encoding, school headers, layout width, line ends, binary junk ----------------


def test_utf8_without_bom_is_read_as_utf8_and_said(tmp_path):
    write_raw(
        tmp_path, "a.csv", [h1(), h2(), dt(oen="111111111", gender_desc="Zoë")], encoding="utf-8"
    )
    pae = read(tmp_path)
    assert pae.frames[("0003", BSID)]["gender_desc"].to_list() == ["Zoë"]
    assert flat(pae.findings) == [("PAE013", "info", None)]
    assert "UTF-8" in pae.findings[0].message_en and pae.findings[0].file == "a.csv"


def test_windows_1252_stays_the_default_without_a_note(tmp_path):
    write_raw(tmp_path, "a.csv", [h1(), h2(), dt(oen="111111111", gender_desc="Zoë")])
    pae = read(tmp_path)
    assert pae.findings == [] and pae.frames[("0003", BSID)]["gender_desc"].to_list() == ["Zoë"]


def test_school_header_with_a_leading_space_keeps_its_rows(tmp_path):
    lines = [h1(), h2("111111"), dt(oen="111111111"), " " + h2("222222"), dt(oen="222222222")]
    write_raw(tmp_path, "a.csv", [*lines, dt(oen="333333333")])
    pae = read(tmp_path, bsids=("111111", "222222"))
    assert pae.findings == []
    assert pae.frames[("0003", "111111")]["oen"].to_list() == ["111111111"]
    assert pae.frames[("0003", "222222")]["oen"].to_list() == ["222222222", "333333333"]


def test_rows_after_a_damaged_school_header_go_to_no_school(tmp_path):
    lines = [h1(), h2("111111"), dt(oen="111111111"), '"H?2","222222","B","02"']
    write_raw(tmp_path, "a.csv", [*lines, dt(oen="222222222"), dt(oen="333333333")])
    pae = read(tmp_path, bsids=("111111",))
    assert pae.frames[("0003", "111111")]["oen"].to_list() == ["111111111"]
    assert flat(pae.findings) == [("PAE005", "error", 4), ("PAE005", "error", 5)]
    assert "2 data row(s) follow the unreadable line 4" in pae.findings[1].message_en


def test_school_header_bsid_must_be_six_digits(tmp_path):
    write_raw(tmp_path, "a.csv", [h1(), h2("12345"), dt(oen="111111111")])
    assert ("PAE005", "error", 2) in flat(read(tmp_path, bsids=("12345",)).findings)


@pytest.mark.parametrize("change", [2, -3])
def test_extra_or_missing_trailing_columns_are_reported_once_per_file(tmp_path, change):
    def resized(line: str) -> str:
        cells = line.split(",")
        return ",".join(cells[:change] if change < 0 else [*cells, *['"x"'] * change])

    rows = [resized(dt(oen=f"{n}{n}{n}{n}{n}{n}{n}{n}{n}")) for n in range(1, 5)]
    write_raw(tmp_path, "a.csv", [h1(), h2(), *rows])
    pae = read(tmp_path)
    assert flat(pae.findings) == [("PAE011", "warning", None)]
    message = pae.findings[0].message_en
    assert "layout version 1" in message and f"{53 + change}" in message and "53" in message


def test_cr_only_line_ends_are_a_finding_not_a_crash(sample):
    path = sample / "pae" / CLASS_FILE
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert f"PAE001 [{CLASS_FILE}]" in result.output and "carriage return" in result.output
    assert written(sample) == []


@pytest.mark.parametrize("junk", [b"\x00\x01\x02", b"\xff\xfe\r\x1b", bytes(range(256))])
def test_binary_junk_inside_a_line_is_a_finding_not_a_crash(sample, junk):
    path = sample / "pae" / CLASS_FILE
    data = path.read_bytes()
    at = data.index(b"\r\n", data.index(b'"DT"')) - 5  # inside the first data row
    path.write_bytes(data[:at] + junk + data[at:])
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert f"[{CLASS_FILE}, row 3" in result.output and written(sample) == []


# --- item 9: school-data CSV rows cut short, unbalanced quotes ----------------------------


def load_meetings(folder: Path, text: str):
    from onsis_batch.sources import load_folder

    folder.mkdir(exist_ok=True)
    (folder / "section_meetings.csv").write_text(text, encoding="utf-8")
    return load_folder(folder, tables=["section_meetings"])


def test_csv_row_with_fewer_fields_than_the_header_is_an_error(tmp_path):
    loaded = load_meetings(tmp_path / "d", "section_id,cycle_day,minutes\nS1,A,75\nS2,75\n")
    found = [(f.code, f.file, f.row) for f in loaded.findings]
    assert found == [("SRC016", "section_meetings.csv", 3), ("SRC007", "section_meetings.csv", 3)]
    assert "2 fields" in loaded.findings[0].message_en
    assert "3" in loaded.findings[0].message_en


def test_unbalanced_quote_on_the_first_data_line_is_an_error(tmp_path):
    text = 'section_id,cycle_day,minutes\n"S1,A,75\nS2,B,75\nS3,C,75\n'
    loaded = load_meetings(tmp_path / "d", text)
    assert [(f.code, f.file, f.row) for f in loaded.findings] == [
        ("SRC016", "section_meetings.csv", 2)
    ]
    assert "quote" in loaded.findings[0].message_en


def test_quoted_line_breaks_and_commas_are_not_short_rows(tmp_path):
    text = 'section_id,cycle_day,minutes\n"S,1","A\nB",75\nS2,,75\n\n'
    loaded = load_meetings(tmp_path / "d", text)
    assert loaded.findings == []
    assert loaded.tables["section_meetings"].get_column("_row").to_list() == [2, 3]  # records


@pytest.mark.parametrize("damage", ["short", "quote"])
def test_damaged_school_data_stops_the_run_without_a_file(sample, damage):
    path = sample / "data" / "class_enrolments.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    if damage == "short":  # only optional columns lost: nothing else would notice
        lines[3] = ",".join(lines[3].split(",")[:5])
    else:
        lines[1] = '"' + lines[1]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = generate(sample)
    assert result.exit_code == 2, result.output
    row = 4 if damage == "short" else 2
    assert f"SRC016 [class_enrolments.csv, row {row}]" in result.output
    assert written(sample) == []


# --- item 10: keys with empty parts ------------------------------------------------------


def test_repeated_key_with_an_empty_part_is_a_duplicate(tmp_path):
    text = "section_id,cycle_day,minutes\nS1,,75\nS1,A,75\nS1,,60\n"
    loaded = load_meetings(tmp_path / "d", text)
    assert [(f.code, f.row) for f in loaded.findings] == [("SRC005", 4)]
    assert "cycle_day=(empty)" in loaded.findings[0].message_en
    assert loaded.findings[0].params["first_row"] == 2


def test_required_key_part_empty_is_reported_once_not_as_a_duplicate(tmp_path):
    text = "section_id,cycle_day,minutes\n,A,75\n,A,75\n"
    loaded = load_meetings(tmp_path / "d", text)
    assert [(f.code, f.row, f.column) for f in loaded.findings] == [
        ("SRC007", 2, "section_id"),
        ("SRC007", 3, "section_id"),
    ]


def test_duplicated_meeting_without_cycle_day_stops_the_run(sample):
    path = sample / "data" / "section_meetings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].split(",")[1] == ""  # a meeting on every day
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert f"SRC005 [section_meetings.csv, row {len(lines) + 1}" in result.output
    assert written(sample) == []


# --- item 11: database columns of another type ---------------------------------------------


def duckdb_file(path: Path, *statements: str) -> str:
    import duckdb

    connection = duckdb.connect(str(path))
    for statement in statements:
        connection.execute(statement)
    connection.close()
    return str(path)


def sqlite_file(path: Path, *statements: str, values: tuple = ()) -> str:
    import sqlite3

    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement, values) if "?" in statement else connection.execute(statement)
    connection.commit()
    connection.close()
    return str(path)


def everything_said(loaded) -> str:
    return " ".join(str(f.to_dict()) for f in loaded.findings)


def test_duckdb_blob_and_list_columns_are_refused_by_name(tmp_path):
    from onsis_batch.sources import load_folder

    target = duckdb_file(
        tmp_path / "sis.duckdb",
        "CREATE TABLE schools (school_id VARCHAR, bsid VARCHAR, name BLOB, language VARCHAR[])",
        "INSERT INTO schools VALUES ('10', '998467', 'H\\xC3\\xA9lo'::BLOB, ['Tolbric'])",
    )
    loaded = load_folder(target, tables=["schools"])
    found = [(f.code, f.file, f.column) for f in loaded.findings]
    assert found == [("SQL003", "schools", "name"), ("SQL003", "schools", "language")]
    assert "BLOB" in loaded.findings[0].message_en and "VARCHAR[]" in loaded.findings[1].message_en
    said = everything_said(loaded)
    assert "Tolbric" not in said and "xC3" not in said and "Hélo" not in said


def test_duckdb_infinite_date_is_a_bad_date_not_9999(tmp_path):
    from onsis_batch.sources import load_folder

    target = duckdb_file(
        tmp_path / "sis.duckdb",
        "CREATE TABLE board_settings (school_year VARCHAR, oct_count_date DATE, "
        "last_school_day TIMESTAMP)",
        "INSERT INTO board_settings VALUES ('2025-2026', 'infinity', '-infinity')",
        "INSERT INTO board_settings VALUES ('2026-2027', '2026-10-30', '2027-06-25 00:00:00')",
    )
    loaded = load_folder(target, tables=["board_settings"])
    found = [(f.code, f.file, f.row, f.column) for f in loaded.findings]
    assert found == [
        ("SRC004", "board_settings", 1, "oct_count_date"),
        ("SRC004", "board_settings", 1, "last_school_day"),
    ]
    second = loaded.tables["board_settings"].row(1, named=True)
    assert str(second["oct_count_date"]) == "2026-10-30"
    assert str(second["last_school_day"]) == "2027-06-25"


def test_sqlite_blob_values_are_refused_by_name(tmp_path):
    from onsis_batch.sources import load_folder

    target = sqlite_file(
        tmp_path / "sis.sqlite",
        "CREATE TABLE schools (school_id TEXT, bsid TEXT, name TEXT)",
        "INSERT INTO schools VALUES ('10', '998467', ?)",
        values=(b"H\xc3\xa9lo",),
    )
    loaded = load_folder(target, tables=["schools"])
    assert [(f.code, f.file, f.column) for f in loaded.findings] == [("SQL003", "schools", "name")]
    said = everything_said(loaded)
    assert "Hélo" not in said and "xc3" not in said.lower()


# --- item 12a: impossible values ---------------------------------------------------------


def load_table(folder: Path, table: str, header: str, *rows: str):
    from onsis_batch.sources import load_folder

    folder.mkdir(exist_ok=True)
    (folder / f"{table}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return load_folder(folder, tables=[table])


def located(loaded, *codes):
    return [(f.code, f.file, f.row, f.column) for f in loaded.findings if f.code in codes]


def test_class_enrolment_ending_before_it_starts_is_an_error(tmp_path):
    loaded = load_table(
        tmp_path / "d",
        "class_enrolments",
        "student_id,section_id,date_enrolled,date_left",
        "1,S1,2025-09-02,2025-09-02",
        "1,S2,2025-09-10,2025-09-01",
    )
    assert located(loaded, "SRC018") == [("SRC018", "class_enrolments.csv", 3, "date_left")]
    assert "date_enrolled" in loaded.findings[0].message_en


def test_implausible_dates_are_errors(tmp_path):
    header = "assignment_id,educator_id,school_id,position_type,start_date,end_date"
    loaded = load_table(
        tmp_path / "d",
        "educator_assignments",
        header,
        "A1,E1,10,TEA,2025-09-02,1800-06-30",
        "A2,E1,10,TEA,9999-09-02,",
    )
    assert sorted(located(loaded, "SRC017")) == [
        ("SRC017", "educator_assignments.csv", 2, "end_date"),
        ("SRC017", "educator_assignments.csv", 3, "start_date"),
    ]


def test_entry_date_of_1800_is_an_error(tmp_path):
    loaded = load_table(
        tmp_path / "d",
        "school_enrolments",
        "student_id,school_id,entry_date,grade_level",
        "1,10,1800-01-01,9",
    )
    assert located(loaded, "SRC017") == [("SRC017", "school_enrolments.csv", 2, "entry_date")]


def test_huge_credit_and_fte_out_of_range_are_errors(tmp_path):
    courses = load_table(
        tmp_path / "c",
        "courses",
        "course_number,ministry_code,credit",
        "C1,MCV4U,99999999999999999999",
    )
    assert located(courses, "SRC017") == [("SRC017", "courses.csv", 2, "credit")]
    header = "assignment_id,educator_id,school_id,position_type,fte"
    staff = load_table(tmp_path / "e", "educator_assignments", header, "A1,E1,10,TEA,3.14159")
    assert located(staff, "SRC017") == [("SRC017", "educator_assignments.csv", 2, "fte")]


def test_more_decimal_places_than_sent_is_a_warning_and_the_value_is_kept(tmp_path):
    header = "assignment_id,educator_id,school_id,position_type,fte"
    loaded = load_table(tmp_path / "d", "educator_assignments", header, "A1,E1,10,TEA,0.333")
    assert [(f.code, str(f.severity), f.row, f.column) for f in loaded.findings] == [
        ("SRC019", "warning", 2, "fte")
    ]
    assert loaded.tables["educator_assignments"].get_column("fte").to_list() == [0.333]


def test_malformed_postal_code_is_a_warning_without_the_value(tmp_path):
    header = "student_id,oen,first_name,last_name,birth_date,postal_code"
    loaded = load_table(
        tmp_path / "d",
        "students",
        header,
        "1,123456789,A,B,2010-01-01,K1A-0B1",
        "2,,A,B,2010-01-01,K1A 0BX",
    )
    assert [(f.code, str(f.severity), f.row) for f in loaded.findings] == [("SRC020", "warning", 3)]
    assert "0BX" not in str(loaded.findings[0].to_dict())


def test_contract_declares_ranges_for_every_number_and_date():
    from onsis_batch.contract import contract

    for table in contract().values():
        for column in table.columns:
            where = f"{table.name}.{column.name}"
            if column.type in ("integer", "decimal", "date", "year_month"):
                assert column.min is not None, where
            if column.type == "decimal":
                assert column.max is not None and column.places is not None, where


def test_class_enrolment_ending_before_it_starts_stops_the_run(sample):
    path = sample / "data" / "class_enrolments.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[3] = "2025-01-01"  # date_left before date_enrolled
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert "SRC018 [class_enrolments.csv, row 2, column date_left]" in result.output
    assert written(sample) == []


# --- item 13: values that only the XSD refused -------------------------------------------

DIPLOMA_FILE = "EXSMS-0026.00 - Diploma-Certificate.csv"


def test_pae_value_copied_into_the_file_is_named_at_its_extract_cell(sample):
    path = sample / "pae" / DIPLOMA_FILE  # the diploma OnSIS holds for student 100023
    text = path.read_text(encoding="cp1252")
    path.write_text(text.replace('"996122630","1"', '"996122630","ZZ"'), encoding="cp1252")
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert "OUT004 [PAE extract 0026, row 6, column diploma_type, DIPLOMA" in result.output
    assert "'ZZ' is not a code of table diploma_type" in result.output
    assert ".tmp" not in result.output and "XSD001" not in result.output
    assert written(sample) == []


def test_names_with_noncharacters_are_refused_at_input(sample):
    path = sample / "data" / "students.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[5].split(",")
    cells[3] = cells[3][:2] + "\ufffe" + cells[3][2:]  # first_name
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    result = generate(sample)
    assert result.exit_code == 2, result.output
    assert "SRC009 [students.csv, row 6, column first_name]" in result.output
    assert cells[3] not in result.output and written(sample) == []


def test_value_check_names_the_school_data_cell_of_a_bad_plan_value():
    from onsis_batch.run.planning import plan
    from onsis_batch.run.request import PlanRequest
    from onsis_batch.run.sample import sample_run
    from onsis_batch.validate.values import unsendable_values

    data, pae, bsid, year = sample_run("oct")
    request = PlanRequest(data, pae, "oct", year, (bsid,))
    planned = plan(request, overrides=None, today=date(2025, 10, 31))
    assert unsendable_values(planned.plan, planned.context) == []
    import polars as pl

    seg = planned.plan.segments["SCHOOL_EDUCATOR_ASSIGNMENT"]
    planned.plan.segments["SCHOOL_EDUCATOR_ASSIGNMENT"] = seg.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(-0.25).otherwise(pl.col("FTE")).alias("FTE")
    )
    staff = planned.context.tables["educator_assignments"]
    planned.context.tables["educator_assignments"] = staff.with_columns(
        pl.when(pl.col("_row") == 7).then(-0.25).otherwise(pl.col("fte")).alias("fte")
    )
    found = unsendable_values(planned.plan, planned.context)
    assert [(f.code, f.file, f.row, f.column, f.segment) for f in found] == [
        ("OUT004", "educator_assignments", 7, "fte", "SCHOOL_EDUCATOR_ASSIGNMENT")
    ]
    assert "-0.25" in found[0].message_en


def test_schema_findings_name_the_file_to_publish_not_a_temporary_file(tmp_path):
    from sample_plans import CREATED, simple_plan

    from onsis_batch.plan.model import Plan
    from onsis_batch.render.publish import publish

    base = simple_plan()
    sse = base.segments["STUDENT_SCHOOL_ENROLMENT"]
    import polars as pl

    bad = {**base.segments, "STUDENT_SCHOOL_ENROLMENT": sse.with_columns(GRADE_TYPE=pl.lit("13"))}
    result = publish(Plan(period=base.period, segments=bad), tmp_path, created=CREATED)
    assert result.path is None and result.findings
    assert all(f.file == "ONSIS_OCTSEC1_20251031_123456.xml" for f in result.findings)
    assert all(".tmp" not in str(f) for f in result.findings)


# --- found by the damage campaign --------------------------------------------------------


def test_csv_with_cr_only_line_ends_is_unreadable_without_quoting_it(tmp_path):
    text = "section_id,cycle_day,minutes\rS1,A,75\rS2,B,60\r"
    loaded = load_meetings(tmp_path / "d", text)
    assert [(f.code, f.file) for f in loaded.findings] == [("SRC008", "section_meetings.csv")]
    assert "carriage return" in loaded.findings[0].message_en
    assert "S1" not in loaded.findings[0].message_en


def test_unknown_header_cells_are_quoted_only_when_they_look_like_column_names(tmp_path):
    header = "section_id,cycle_day,minutes,room_nmber,Zoë Quillfeather,987654321"
    loaded = load_meetings(tmp_path / "d", header + "\nS1,A,75,1,2,3\n")
    shown = [f.column for f in loaded.findings if f.code == "SRC013"]
    assert shown == ["room_nmber", "(column 5)", "(column 6)"]
    assert "Quillfeather" not in str([f.to_dict() for f in loaded.findings])


def test_a_file_without_a_header_row_is_unreadable_without_quoting_its_first_row(tmp_path):
    loaded = load_meetings(tmp_path / "d", "S1,A,75\nS2,B,60\n")
    assert [(f.code, f.file) for f in loaded.findings] == [("SRC008", "section_meetings.csv")]
    assert "header" in loaded.findings[0].message_en and "S1" not in loaded.findings[0].message_en


def test_a_shifted_oen_is_never_quoted_whole(tmp_path):
    lines = [h1(), h2(), '987654321,"ON"', dt(oen="111111111", enrolment_start_date="912345678")]
    write_raw(tmp_path, "a.csv", lines)
    said = str([f.to_dict() for f in read(tmp_path).findings])
    assert "987654321" not in said and "912345678" not in said
    assert "******321" in said and "******678" in said


def test_a_shifted_oen_in_school_data_is_never_quoted_whole(tmp_path):
    loaded = load_meetings(tmp_path / "d", "section_id,cycle_day,minutes\nS1,A,987654321\n")
    said = str([f.to_dict() for f in loaded.findings])
    assert "987654321" not in said and "******321" in said


def test_a_shifted_birth_date_is_never_quoted(tmp_path):
    # found by the 10,000-input campaign: a row shifted by one cell (a lost header cell and
    # a stray leading comma) put the birth date in the gender column, quoted by SRC006
    header = "student_id,oen,first_name,last_name,birth_date,gender,,first_language"
    row = ",3,934567812,Tolbric,Harrowgate,2010-01-29,,"
    findings = load_table(tmp_path / "d", "students", header, row).findings
    said = str([f.to_dict() for f in findings])
    assert any(f.code == "SRC006" and f.column == "gender" for f in findings), said
    assert "2010-01-29" not in said and "****-**-**" in said


@pytest.mark.parametrize("field", ["year", "period"])
def test_a_shifted_oen_in_the_extract_header_is_never_quoted_whole(tmp_path, field):
    # found by the campaign: H1's school year (or period) cell holding an OEN, quoted by
    # PAE002 (PAE003)
    write_raw(tmp_path, "a.csv", [h1(**{field: "987654321"}), h2(), dt(oen="111111111")])
    said = str([f.to_dict() for f in read(tmp_path).findings])
    assert "987654321" not in said and "******321" in said


def test_a_shifted_oen_in_the_school_header_is_never_quoted_whole(tmp_path):
    write_raw(tmp_path, "a.csv", [h1(), h2("987654321"), dt(oen="111111111")])
    said = str([f.to_dict() for f in read(tmp_path).findings])
    assert "987654321" not in said


def test_a_shifted_oen_in_the_file_type_is_never_quoted_whole(tmp_path):
    # found by the campaign: H1's file type cell holding an OEN, quoted by PAE009
    write_raw(tmp_path, "a.csv", [h1(file_type="987654321"), h2(), dt(oen="111111111")])
    said = str([f.to_dict() for f in read(tmp_path).findings])
    assert "987654321" not in said and "******321" in said


def test_a_value_that_swallowed_lines_is_never_quoted(tmp_path):
    # found by the campaign: a stray quote in the gender cell made it swallow the rows
    # below, names included, and SRC006 quoted the whole value
    header = "student_id,oen,first_name,last_name,birth_date,gender"
    rows = ['1,987654321,Zoë,Marrowvane,2009-04-17,"F', '2,912345678,Anaïs,Brightwater,,M"']
    said = str(
        [f.to_dict() for f in load_table(tmp_path / "d", "students", header, *rows).findings]
    )
    assert "Anaïs" not in said and "Brightwater" not in said


def test_a_value_that_joined_the_cells_of_its_row_is_never_quoted(tmp_path):
    # found by the campaign: a quote character lost in a row made one cell hold the row's
    # other cells, names included, and SRC004 quoted it
    header = "student_id,oen,first_name,last_name,birth_date,gender,diploma_date"
    row = '1,987654321,Zoë,Marrowvane,2009-04-17,F,"3,,Tolbric,,Harrowgate"'
    found = load_table(tmp_path / "d", "students", header, row).findings
    said = str([f.to_dict() for f in found])
    assert "Tolbric" not in said and "Harrowgate" not in said
    assert any(f.code == "SRC004" and f.column == "diploma_date" and f.row == 2 for f in found)


def test_a_csv_file_polars_cannot_parse_is_refused_without_quoting_its_cells(tmp_path):
    # found by the campaign: polars' parse error quoted the cells it stopped at (a name, a
    # birth date) and the finding passed them on
    header = "student_id;oen;first_name;last_name;birth_date"
    rows = ["1;987654321;Zoë;Marrowvane;2009-04-17", '3;934567812;"Tolbric;Harrowgate;2010-01-29']
    found = load_table(tmp_path / "d", "students", header, *rows).findings
    said = str([f.to_dict() for f in found])
    assert any(f.severity == "error" and f.file == "students.csv" for f in found), said
    assert "Tolbric" not in said and "Harrowgate" not in said and "2010-01-29" not in said
