"""Hostile inputs (issue 13): values read from files never steer where the tool writes,
what it writes is its owner's only, and personal data and passwords stay masked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from batchxml import batch, errors, segment, write
from board_runs import invoke_board
from hostile import REPO, SAMPLE_DATA, SAMPLE_PAE, every_file, invoke, sample_copy, sample_generate

# --- 1. a school number read from a results file never becomes a path -------------------


@pytest.mark.parametrize("school", ["../../escaped", "..", "99/001", "9990011", ""])
def test_a_results_file_whose_school_number_is_not_a_bsid_is_refused(tmp_path, school):
    student = segment("STUDENT", errors(("STUDENT_DOB", "", "MST0003", "Birth date")), OEN="1")
    results = write(tmp_path / "r.OUT", batch(student, root="ONSIS_BATCH_FILE_RESULT", bsid=school))
    out = tmp_path / "a" / "b" / "out"
    ran = invoke("results", results, "--out", out, "--json")
    assert ran.exit_code == 2, ran.output
    assert "RES001" in ran.output and "six digits" in ran.output
    assert every_file(tmp_path) == {"r.OUT"}  # nothing written anywhere, no folder made


def test_work_list_names_are_checked_where_they_are_made(tmp_path):
    from onsis_batch.tools.results import import_results
    from onsis_batch.tools.worklist import write_worklists

    student = segment("STUDENT", errors(("STUDENT_DOB", "", "MST0003", "Birth date")), OEN="1")
    imported = import_results(
        write(tmp_path / "r.OUT", batch(student, root="ONSIS_BATCH_FILE_RESULT"))
    )
    imported.schools = ["../x"]
    with pytest.raises(ValueError, match="not a file name"):
        write_worklists(imported, tmp_path / "out")
    assert every_file(tmp_path) == {"r.OUT"}


@pytest.mark.parametrize("bsid", ["99/001", "..", "9a9001"])
def test_a_bsid_in_the_schools_table_that_is_not_six_digits_is_an_input_finding(tmp_path, bsid):
    data = sample_copy(tmp_path / "data")
    schools = data / "schools.csv"
    header, *rows = schools.read_text().splitlines()
    column = header.split(",").index("bsid")
    cells = rows[0].split(",")
    cells[column] = bsid
    schools.write_text("\n".join([header, ",".join(cells), *rows[1:]]) + "\n")
    ran = invoke(
        "board", "--data", data, "--pae", SAMPLE_PAE, "--period", "oct", "--year", "2025-2026",
        "--out", tmp_path / "out", "--json",
    )  # fmt: skip
    assert ran.exit_code == 2, ran.output
    found = json.loads(ran.stdout)["school_data_findings"]["findings"]
    assert [(f["code"], f["file"], f["column"]) for f in found] == [
        ("SRC003", "schools.csv", "bsid")
    ]
    assert not list((tmp_path / "out").glob("ONSIS_*"))


# --- 2. a period code from the board_settings table is checked like the config's ---------


@pytest.mark.parametrize("code", ["X" * 300, "../../x", 'OCT"SEC1', "octsec1"])
def test_a_bad_period_code_in_board_settings_is_an_input_finding(tmp_path, code):
    data = sample_copy(tmp_path / "data")
    settings = data / "board_settings.csv"
    header, row = settings.read_text().splitlines()
    cells = row.split(",")
    cells[header.split(",").index("oct_period_code")] = '"' + code.replace('"', '""') + '"'
    settings.write_text(f"{header}\n{','.join(cells)}\n")
    ran = sample_generate(data, tmp_path / "out", "--json")
    assert ran.exit_code == 2, ran.output
    found = json.loads(ran.stdout)["findings"]
    (bad,) = [f for f in found if f["severity"] == "error"]
    assert (bad["file"], bad["row"], bad["column"]) == ("board_settings.csv", 2, "oct_period_code")
    assert every_file(tmp_path / "out") <= {".onsis-batch.lock"}


def test_the_period_code_patterns_of_the_table_and_the_config_are_one():
    from onsis_batch.contract import contract
    from onsis_batch.period.config import config_schema

    years = config_schema()["keys"]["school_years"]["values"]["keys"]
    for kind in ("oct", "mar", "jun"):
        column = contract()["board_settings"].column(f"{kind}_period_code")
        assert column.pattern == years[kind]["keys"]["code"]["pattern"]


def test_a_batch_file_name_built_from_data_stays_in_its_folder(tmp_path):
    from datetime import date

    from onsis_batch.period.periods import SubmissionPeriod
    from onsis_batch.render.publish import output_path

    period = SubmissionPeriod(
        "oct",
        "../../x",
        "October",
        "2025-2026",
        date(2025, 7, 1),
        date(2025, 10, 31),
        "998467",
        ("1",),
    )
    with pytest.raises(ValueError, match="not a file name"):
        output_path(tmp_path, period)


# --- 3. what the tool creates is its owner's only, whatever the umask -------------------


@pytest.fixture
def open_umask():
    """Every test of this kind runs as a careless cron job would: umask 000."""
    import os

    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def modes(folder: Path) -> dict[str, int]:
    """The permission bits of `folder` (as '.') and of everything below it."""
    found = {".": folder.stat().st_mode & 0o777}
    found |= {str(p.relative_to(folder)): p.stat().st_mode & 0o777 for p in folder.rglob("*")}
    return found


def assert_private(folder: Path) -> None:
    wrong = {
        name: oct(mode)
        for name, mode in modes(folder).items()
        if mode != (0o700 if (folder / name).is_dir() else 0o600)
    }
    assert not wrong, wrong


@pytest.fixture(scope="module")
def tiny_board(tmp_path_factory):
    from onsis_batch.synth import synthesize

    return synthesize(
        tmp_path_factory.mktemp("board"), students=60, schools=2, seed=3, periods=("oct",)
    )


def test_generate_with_its_report_writes_owner_only_under_umask_000(tmp_path, open_umask):
    ran = sample_generate(SAMPLE_DATA, tmp_path / "a" / "b" / "out", "--html")
    assert ran.exit_code in (0, 1), ran.output
    assert_private(tmp_path / "a")


def test_board_writes_owner_only_under_umask_000(tmp_path, open_umask, tiny_board):
    out = tmp_path / "a" / "out"
    ran = invoke_board(tiny_board, out, "--workers", "2")
    assert ran.exit_code in (0, 1), ran.output
    assert list(out.glob("ONSIS_*.xml"))
    assert_private(tmp_path / "a")


def test_results_diff_and_synth_write_owner_only_under_umask_000(tmp_path, open_umask):
    results = REPO / "tests" / "fixtures" / "results-current.OUT"
    assert invoke("results", results, "--out", tmp_path / "lists" / "x").exit_code == 1
    assert_private(tmp_path / "lists")
    xml = REPO / "tests" / "golden"
    (old, new, *_) = sorted(xml.glob("*.xml"))
    ran = invoke("diff", old, new, "--html", tmp_path / "diff" / "x" / "d.html")
    assert ran.exit_code == 0, ran.output
    assert_private(tmp_path / "diff")
    ran = invoke("synth", "--students", 20, "--out", tmp_path / "synth" / "demo")
    assert ran.exit_code == 0, ran.output
    assert_private(tmp_path / "synth")


def test_purge_leaves_the_modes_of_what_it_keeps_alone(tmp_path, open_umask):
    out = tmp_path / "out"
    out.mkdir(mode=0o750)
    kept = out / "ONSIS_OCTSEC1_20251031_999001.xml"
    kept.write_text("x")
    kept.chmod(0o640)
    assert invoke("purge", "--out", out, "--keep", "1").exit_code == 0
    assert modes(out) == {".": 0o750, kept.name: 0o640, ".onsis-batch.lock": 0o600}


def test_the_library_writers_are_owner_only_under_umask_000(tmp_path, open_umask):
    from onsis_batch.render.publish import write_private
    from onsis_batch.run.lock import output_lock

    with output_lock(tmp_path / "a" / "b"):
        pass
    write_private(tmp_path / "c" / "d" / "x.json", "{}")
    assert_private(tmp_path / "a")
    assert_private(tmp_path / "c")


# --- 4. personal data is not printed where it must not be -------------------------------


def test_a_sqlite_cell_that_is_not_utf8_is_named_by_column_never_quoted(tmp_path):
    import sqlite3
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from sql_loading import load_into, typed_frames

    database = tmp_path / "school.sqlite"
    load_into("sqlite", str(database), typed_frames(SAMPLE_DATA))
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE students SET legal_last_name = CAST(X'4DE96C616E6965FF' AS TEXT) "
            "WHERE student_id = (SELECT min(student_id) FROM students)"
        )
    ran = invoke(
        "generate",
        "--data",
        database,
        "--pae",
        SAMPLE_PAE,
        "--bsid",
        "998467",
        "--period",
        "oct",
        "--year",
        "2025-2026",
        "--out",
        tmp_path / "out",
        "--json",
    )
    assert ran.exit_code == 2, ran.output
    (bad,) = [f for f in json.loads(ran.stdout)["findings"] if f["severity"] == "error"]
    assert (bad["code"], bad["file"]) == ("SRC008", "students")
    assert "row 1 column legal_last_name is not valid UTF-8" in bad["message_en"]
    assert "lanie" not in ran.output and not re.search(r"\b_c\d", ran.output)


PERSONAL_ERRORS = segment(
    "STUDENT",
    errors(
        ("STUDENT_LEGAL_LAST_NAME", "Tremblay-Côté", "MST0001", "Name"),
        ("STUDENT_DOB", "2009/02/13", "MST0003", "Birth date"),
        ("MAIN_SCHOOL_FLAG", "X", "MST0004", "Flag"),
    ),
    OEN="012345674",
)


def test_results_mask_the_personal_values_the_ministry_echoes(tmp_path):
    results = tmp_path / "r.OUT"
    write(results, batch(PERSONAL_ERRORS, root="ONSIS_BATCH_FILE_RESULT"))
    ran = invoke("results", results, "--json", "--out", tmp_path / "lists")
    assert ran.exit_code == 1, ran.output
    shown = {e["field_name"]: e["field_value"] for e in json.loads(ran.stdout)["errors"]}
    assert shown == {
        "STUDENT_LEGAL_LAST_NAME": "(personal)",
        "STUDENT_DOB": "(personal)",
        "MAIN_SCHOOL_FLAG": "X",
    }
    for written in (tmp_path / "lists").iterdir():
        text = written.read_text(encoding="utf-8-sig")
        assert "Tremblay" not in text and "2009/02/13" not in text, written.name
    ran = invoke("results", results, "--json", "--show-pii")
    shown = {e["field_name"]: e["field_value"] for e in json.loads(ran.stdout)["errors"]}
    assert shown["STUDENT_DOB"] == "2009/02/13"
    assert shown["STUDENT_LEGAL_LAST_NAME"] == "Tremblay-Côté"


def test_characters_outside_latin1_are_counted_not_spelled(tmp_path):
    data = sample_copy(tmp_path / "data")
    students = data / "students.csv"
    lines = students.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("legal_last_name")] = "Gőzła"
    lines[1] = ",".join(cells)
    students.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran = sample_generate(data, tmp_path / "out", "--html")
    assert "OUT002" in ran.output
    assert "STUDENT_LEGAL_LAST_NAME" in ran.output and "2 character" in ran.output
    (report,) = (tmp_path / "out").glob("*.report.html")
    for text in (ran.output, report.read_text(encoding="utf-8")):
        assert "ő" not in text and "U+0151" not in text and "&#337;" not in text
    ran = sample_generate(data, tmp_path / "json", "--json")
    assert "ő" not in ran.stdout and "U+0151" not in ran.stdout
    assert "OUT002" in ran.stdout
    ran = sample_generate(data, tmp_path / "pii", "--json", "--show-pii")
    assert "ő (U+0151)" in ran.stdout


# --- 5. a libpq keyword connection string is a PostgreSQL source, its password masked ----


def test_a_libpq_keyword_string_is_a_postgresql_source_with_its_passwords_masked():
    from onsis_batch.sources.db_address import Database, mask_password, parse_database

    text = "host=db.example port=5432 dbname=sis user=onsis password=s3cret sslmode=require"
    assert parse_database(text) == Database("postgresql", text)
    assert Database("postgresql", text).label == (
        "host=db.example port=5432 dbname=sis user=onsis password=*** sslmode=require"
    )
    quoted = r"password = 'it\'s s3cret' host=db sslpassword=k3y"
    assert mask_password(quoted) == "password = *** host=db sslpassword=***"
    uri = "postgresql://u@db/sis?sslpassword=k3y&password=s3cret"
    assert mask_password(uri) == "postgresql://u@db/sis?sslpassword=***&password=***"
    with pytest.raises(ValueError, match="hots"):
        parse_database("hots=db dbname=sis")


def test_a_keyword_connection_string_never_prints_its_password(tmp_path):
    data = "host=127.0.0.1 port=1 dbname=sis user=onsis password=s3cret connect_timeout=2"
    ran = sample_generate(data, tmp_path / "out", "--json")
    assert ran.exit_code == 2, ran.output
    assert "s3cret" not in ran.output
    (bad,) = json.loads(ran.stdout)["findings"]
    assert bad["code"] in ("SQL001", "SQL002") and "password=***" in bad["file"]
    assert not (tmp_path / "out").exists() or every_file(tmp_path / "out") <= {".onsis-batch.lock"}
