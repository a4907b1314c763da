"""The Ministry code tables in codes.yaml: the codes the Ministry's lists hold, and how
retired codes, sources, French meanings and the ISO country mapping behave (D610-D616)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from onsis_batch import codes
from onsis_batch.codes import ISO_COUNTRY_FILE, code_table, code_tables, iso_country_codes
from onsis_batch.contract import contract
from onsis_batch.resources import package_file
from onsis_batch.sources import load_folder
from onsis_batch.specs import SpecError, load_specs
from onsis_batch.validate.xsd import build_xsd

STUDENT_HEADER = "student_id,first_name,last_name,birth_date,first_language,birth_country\n"


def _students(folder: Path, *rows: str, mappings: Path | None = None) -> list[tuple]:
    """Findings (code, row, column), then the typed rows, of a students.csv with these rows."""
    folder.mkdir(exist_ok=True)
    (folder / "students.csv").write_text(STUDENT_HEADER + "".join(rows), encoding="utf-8")
    if mappings is not None:
        shutil.copy(mappings, folder / "code_mappings.csv")
    loaded = load_folder(folder, tables=["students"])
    frame = loaded.tables["students"].select("first_language", "birth_country")
    return [(f.code, f.row, f.column) for f in loaded.findings] + frame.rows()


# --- countries --------------------------------------------------------------------------------


def test_countries_are_the_ministry_numbers_and_can():
    countries = code_table("country_type")
    assert countries.pattern is None and len(countries.codes) == 254
    assert countries.codes["667"] == "United States" and countries.codes["034"] == "Australia"
    assert countries.is_valid("CAN") and countries.meaning("667", "fr") == "États-Unis"
    assert not countries.is_valid("USA") and not countries.is_valid("AUS")
    assert countries.retired["703"].end == date(2010, 10, 14)  # Serbia and Montenegro


def test_iso_letters_are_refused_unless_mapped(tmp_path: Path):
    rows = ("1,A,B,2008-01-01,E,667\n", "2,A,B,2008-01-01,E,034\n", "3,A,B,2008-01-01,E,USA\n")
    found = _students(tmp_path / "plain", *rows)
    assert found == [("SRC006", 4, "birth_country"), ("E", "667"), ("E", "034"), ("E", None)]
    mapped = _students(tmp_path / "mapped", *rows, mappings=package_file(ISO_COUNTRY_FILE))
    assert mapped == [("E", "667"), ("E", "034"), ("E", "667")]


def test_the_iso_mapping_reaches_ministry_codes_in_force():
    iso = iso_country_codes()
    assert {iso[k] for k in ("USA", "US")} == {"667"} and iso["AUS"] == iso["AU"] == "034"
    assert iso["CAN"] == iso["CA"] == "CAN" and iso["GBR"] == "655" and iso["BRA"] == "067"
    countries = code_table("country_type")
    assert all(countries.is_valid(ministry) for ministry in iso.values())
    assert all(local.isalpha() and len(local) in (2, 3) for local in iso)  # never ISO numbers
    header = package_file(ISO_COUNTRY_FILE).read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(contract()["code_mappings"].column_names)


def test_a_sis_with_iso_letters_needs_only_the_shipped_mapping_end_to_end(tmp_path: Path):
    # The README's one line: the shipped file becomes (or joins) code_mappings.csv (D787).
    from builders import BSID, Scenario, write_scenario
    from click.testing import CliRunner
    from lxml import etree

    from onsis_batch.cli import cli

    scenario = Scenario()
    scenario.student("1", "999000001", birth_country="FRA")
    scenario.student("2", "999000002", birth_country="US")
    for sid in ("1", "2"):
        scenario.enrol(sid, date(2025, 9, 3))
    data, pae = write_scenario(scenario, tmp_path)
    shutil.copy(package_file(ISO_COUNTRY_FILE), data / "code_mappings.csv")
    out = tmp_path / "out"
    args = ["generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct"]
    args += ["--year", "2025-2026", "--out", out, "--timestamp", "2025-10-31T09:00:00"]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    (batch,) = out.glob("ONSIS_*.xml")
    births = etree.parse(str(batch)).findall(".//STUDENT_SCHOOL_ENROLMENT/COUNTRY_TYPE_BIRTH")
    assert sorted(b.text or "" for b in births) == ["202", "667"]  # France, United States


def test_one_configuration_line_maps_iso_country_letters_end_to_end(tmp_path: Path):
    # `code_mappings: {country: iso3166}` in the board configuration (D945); the data's own
    # code_mappings rows still win.
    from builders import BSID, Scenario, write_scenario
    from click.testing import CliRunner
    from lxml import etree

    from onsis_batch.cli import cli

    scenario = Scenario()
    scenario.student("1", "999000001", birth_country="FRA")
    scenario.student("2", "999000002", birth_country="US")
    scenario.student("3", "999000003", birth_country="DE")
    for sid in ("1", "2", "3"):
        scenario.enrol(sid, date(2025, 9, 3))
    data, pae = write_scenario(scenario, tmp_path)
    own = "code_table,local_code,ministry_code\ncountry_type,DE,034\n"  # the board's choice
    (data / "code_mappings.csv").write_text(own, encoding="utf-8")
    config = tmp_path / "board.yaml"
    config.write_text("code_mappings:\n  country: iso3166\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct"]
    args += ["--year", "2025-2026", "--out", out, "--timestamp", "2025-10-31T09:00:00"]
    args += ["--config", config]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    (batch,) = out.glob("ONSIS_*.xml")
    births = etree.parse(str(batch)).findall(".//STUDENT_SCHOOL_ENROLMENT/COUNTRY_TYPE_BIRTH")
    assert sorted(b.text or "" for b in births) == ["034", "202", "667"]


def test_without_the_configuration_line_iso_letters_are_refused(tmp_path: Path):
    found = _students(tmp_path, "1,A,B,2010-01-01,01,FRA\n")
    assert found == [("SRC006", 2, "birth_country"), ("01", None)]


def test_the_shipped_mapping_reads_a_database_too(tmp_path: Path):
    import sqlite3
    from dataclasses import replace

    from onsis_batch.sources import data_source

    path = tmp_path / "sis.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE students ({STUDENT_HEADER.strip()})")
        db.execute("INSERT INTO students VALUES ('1', 'A', 'B', '2010-01-01', '01', 'FR')")
        db.execute("INSERT INTO students VALUES ('2', 'A', 'B', '2010-01-01', '01', 'CAN')")
    source = replace(data_source(f"sqlite:///{path}"), shipped_mappings=(("country", "iso3166"),))
    loaded = load_folder(source, tables=["students"])
    assert loaded.findings == []
    assert loaded.tables["students"].get_column("birth_country").to_list() == ["202", "CAN"]


def test_an_unknown_shipped_mapping_is_a_configuration_error(tmp_path: Path):
    from onsis_batch.period.config import load_config

    path = tmp_path / "board.yaml"
    path.write_text("code_mappings:\n  country: iso3166-2\n  language: iso639\n")
    config, findings = load_config(path)
    assert [(f.code, f.key) for f in findings] == [
        ("CFG005", "code_mappings.country"),
        ("CFG002", "code_mappings.language"),
    ]
    assert config.code_mappings == {}
    assert codes.SHIPPED_MAPPINGS == {"country": {"iso3166": ISO_COUNTRY_FILE}}


def test_provinces_are_canadas_thirteen():
    provinces = code_table("province_state_type")
    assert len(provinces.codes) == 13 and provinces.is_valid("ON") and not provinces.is_valid("NY")


# --- first language ---------------------------------------------------------------------------


def test_the_first_language_is_the_ministry_language_list():
    first = code_table("first_language_type")
    numbered = {f"{n:02d}" for n in range(1, 109)} - {"56"}  # 56 Farsi retired in 2009
    assert set(first.codes) == numbered | {"OTH", "E", "F", "B"}
    assert first.retired["56"].end == date(2009, 3, 26)
    assert set(code_table("language_type").codes) == {"E", "F", "B"}


def test_the_student_language_element_and_column_read_the_first_language_list(tmp_path: Path):
    student = load_specs()["STUDENT"]
    assert next(e for e in student.elements if e.name == "LANGUAGE_TYPE").table == (
        "first_language_type"
    )
    found = _students(tmp_path, "1,A,B,2008-01-01,32,CAN\n", "2,A,B,2008-01-01,56,CAN\n")
    assert found == [("SRC006", 3, "first_language"), ("32", "CAN"), (None, "CAN")]


# --- retired and missing codes ----------------------------------------------------------------

RETIRED = {
    "stu_brd_res_stat_type": ["04", "06", "10", "11"],
    "exceptionality_type": ["4", "13"],
    "sis_exceptionality": ["4", "13"],
    "educator_leave_type": ["EDU", "SAB"],
    "position_type": ["AM", "BC", "NAT", "NMR", "Web", "OFF"],
    "diploma_type": ["B", "G"],
    "sis_diploma_type": ["B", "G"],
    "class_type": ["ELP"],
    "course_delivery_type": ["5", "6", "7", "8", "9"],
}


@pytest.mark.parametrize(("table", "retired"), RETIRED.items())
def test_retired_codes_are_kept_with_their_end_and_refused(table: str, retired: list[str]):
    codes_of = code_table(table)
    assert all(codes_of.entries[code].end is not None for code in retired)
    assert not any(codes_of.is_valid(code) for code in retired)


def test_a_retired_code_is_refused_at_load(tmp_path: Path):
    (tmp_path / "educator_assignments.csv").write_text(
        "assignment_id,educator_id,school_id,position_type,leave_type,start_date\n"
        "1,e1,100,TEA,SAB,2025-09-02\n2,e1,100,Web,,2025-09-02\n",
        encoding="utf-8",
    )
    loaded = load_folder(tmp_path, tables=["educator_assignments"])
    found = sorted((f.code, f.row, f.column, f.params.get("table")) for f in loaded.findings)
    assert found == [
        ("SRC006", 2, "leave_type", "educator_leave_type"),
        ("SRC006", 3, "position_type", "position_type"),
    ]


def test_off_is_the_code_off_not_a_boolean():
    assert "OFF" in code_table("position_type").entries
    assert not any(code in ("False", "false") for t in code_tables().values() for code in t.entries)


def test_codes_the_tables_lacked_are_there():
    assert {"12A", "12B", "12C", "P9"} <= set(code_table("grade_type").codes)
    wanted = {"011", "012", "013", *(f"0{n}" for n in range(20, 27)), "028"}
    assert wanted <= set(code_table("second_language_type").codes)


def test_every_end_date_is_before_the_oldest_school_year_run():
    # D611: a code ended is refused for every run, which is exact while every end date falls
    # before July 2021; a later one needs the checks to read the run's school year.
    ends = [e.end for t in code_tables().values() for e in t.entries.values() if e.end]
    assert ends and max(ends) < date(2021, 7, 1)


# --- sources and French -----------------------------------------------------------------------


def test_every_table_names_its_source():
    assert all(table.source.strip() for table in code_tables().values())


def test_ministry_lists_give_every_code_in_french():
    for table in code_tables().values():
        if table.ministry_table is None:
            continue
        untranslated = [code for code, entry in table.entries.items() if not entry.fr]
        assert not untranslated, (table.name, untranslated)
        if "codes, dates, French" in table.source:  # the newer list dates every code
            assert all(e.start for e in table.entries.values()), table.name


def test_the_xsd_enumerates_ministry_countries():
    xsd = build_xsd()
    assert '<xs:enumeration value="667"/>' in xsd and '<xs:enumeration value="USA"/>' not in xsd
    assert '<xs:enumeration value="12A"/>' in xsd


# --- the loader -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t:\n  codes: {A: One}\n", r"t.source: say where the codes come from"),
        ("t:\n  source: s\n  codes: {A: {en: One, end: 2020-13-01}}\n", r"t.codes.A.end: '2020-13"),
        ("t:\n  source: s\n  codes: {A: {en: One, fro: Un}}\n", r"t.codes.A.fro: unknown key"),
        ("t:\n  source: s\n  codes: {A: {fr: Un}}\n", r"t.codes.A: the meaning must be text"),
        ("t:\n  source: s\n  pattern: x\n  codes: {A: One}\n", r"t: give either codes or"),
    ],
)
def test_the_loader_refuses(text, message, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "codes.yaml").write_text(text, "utf-8")
    monkeypatch.setattr(codes, "package_file", lambda *_: tmp_path / "codes.yaml")
    with pytest.raises(SpecError, match=message):
        codes.code_tables.__wrapped__()
