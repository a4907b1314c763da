"""The board configuration file: schema checks, precedence, and --config on the commands."""

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from builders import BSID, SETTINGS, Scenario, write_scenario
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.contract import frame_from_rows
from onsis_batch.period.config import (
    BoardConfig,
    CommandLine,
    load_config,
    output_name_problem,
    overlay_settings,
    run_settings,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "config.example.yaml"
STAMP = "2025-10-31T09:30:00"


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "board.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_documented_example_loads_cleanly():
    config, findings = load_config(EXAMPLE)
    assert findings == []
    assert config.submission_type == "public"
    assert config.co_teacher_roles == ("CO",)
    assert config.tables["students"] == "students"
    assert config.output_name == "ONSIS_{period}_{count_date}_{bsid}.xml"
    year = config.year_columns["2025-2026"]
    assert year["oct_count_date"] == date(2025, 10, 31)
    assert year["mar_period_code"] == "MARSEC2"
    assert config.board_columns["french_board"] is False


def test_empty_file_is_an_empty_config(tmp_path):
    config, findings = load_text(tmp_path, "")
    assert findings == [] and config.settings_rows() == () and config.tables == {}


def test_tables_mapping_is_a_plain_dict_of_contract_tables(tmp_path):
    config, findings = load_text(tmp_path, "tables: {students: sis.pupils, courses: v_courses}\n")
    assert findings == []
    assert config.tables == {"students": "sis.pupils", "courses": "v_courses"}


CASES = [
    # (yaml text, code, key path)
    ("colour: blue\n", "CFG002", "colour"),
    ("board: {frnch_board: true}\n", "CFG002", "board.frnch_board"),
    ("tables: {pupils: students}\n", "CFG002", "tables.pupils"),
    (
        "school_years: {'2025-2026': {nov: {count_date: 2025-11-30}}}\n",
        "CFG002",
        "school_years.2025-2026.nov",
    ),
    ("- a\n- b\n", "CFG003", "(top)"),
    ("board: {french_board: 'yes please'}\n", "CFG003", "board.french_board"),
    ("board: {co_teacher_roles: CO}\n", "CFG003", "board.co_teacher_roles"),
    ("version: one\n", "CFG003", "version"),
    (
        "school_years: {'2025-2026': {oct: {count_date: 2025-10-32}}}\n",
        "CFG004",
        "school_years.2025-2026.oct.count_date",
    ),
    (
        "school_years: {'2025-2026': {last_school_day: June 26}}\n",
        "CFG004",
        "school_years.2025-2026.last_school_day",
    ),
    ("version: 2\n", "CFG005", "version"),
    ("board: {submission_type: secret}\n", "CFG005", "board.submission_type"),
    ("school_years: {'2025': {}}\n", "CFG005", "school_years.2025"),
    (
        "school_years: {'2025-2026': {oct: {code: oct sec 1}}}\n",
        "CFG005",
        "school_years.2025-2026.oct.code",
    ),
    ("tables: {students: 'students; drop table x'}\n", "CFG005", "tables.students"),
    ("output: {name: 'ONSIS_{period}.xml'}\n", "CFG006", "output.name"),
    ("output: {name: 'ONSIS_{bsid}_{date}.xml'}\n", "CFG006", "output.name"),
    ("output: {name: 'ONSIS_{bsid.xml'}\n", "CFG006", "output.name"),
    ("output: {name: 'out/ONSIS_{bsid}.xml'}\n", "CFG006", "output.name"),
    (
        "school_years: {'2025-2026': {oct: {start: 2025-11-01, count_date: 2025-10-31}}}\n",
        "CFG007",
        "school_years.2025-2026.oct.count_date",
    ),
    (
        "school_years: {'2025-2026': {oct: {count_date: 2025-10-31},"
        " mar: {count_date: 2025-10-01}}}\n",
        "CFG007",
        "school_years.2025-2026.mar.count_date",
    ),
    (
        "school_years: {'2025-2026': {jun: {count_date: 2026-07-15}}}\n",
        "CFG008",
        "school_years.2025-2026.jun.count_date",
    ),
    ("board: [unclosed\n", "CFG001", None),
]


@pytest.mark.parametrize(("text", "code", "key"), CASES, ids=[f"{c[1]} {c[2]}" for c in CASES])
def test_each_problem_is_a_finding_naming_file_and_key_path(tmp_path, text, code, key):
    _config, findings = load_text(tmp_path, text)
    hits = [f for f in findings if f.code == code]
    assert hits, f"expected {code}, got {[(f.code, f.key) for f in findings]}"
    assert hits[0].file == str(tmp_path / "board.yaml")
    assert hits[0].key == key
    assert str(tmp_path / "board.yaml") in hits[0].message_en


def test_values_that_failed_are_left_out_and_the_rest_kept(tmp_path):
    config, findings = load_text(tmp_path, "board: {french_board: maybe, catholic_board: true}\n")
    assert [f.code for f in findings] == ["CFG003"]
    assert config.board_columns == {"catholic_board": True}


@pytest.mark.parametrize(
    "pattern",
    ["ONSIS_{period}_{count_date}_{bsid}.xml", "ONSIS_{school_year}_{period}_{bsid}.xml"],
)
def test_good_output_names(pattern):
    assert output_name_problem(pattern) is None


def settings_frame() -> pl.DataFrame:
    other = {"school_year": "2024-2025", "oct_count_date": date(2024, 10, 31)}
    return frame_from_rows("board_settings", [dict(SETTINGS), other])


def test_config_values_override_board_settings_and_fill_missing_years():
    config = BoardConfig(
        board_columns={"french_board": True},
        year_columns={
            "2025-2026": {"oct_count_date": date(2025, 10, 30), "oct_period_code": "OCTSEC2"},
            "2026-2027": {"oct_count_date": date(2026, 10, 30)},
        },
    )
    merged = overlay_settings(settings_frame(), config.settings_rows())
    rows = {r["school_year"]: r for r in merged.to_dicts()}
    assert sorted(rows) == ["2024-2025", "2025-2026", "2026-2027"]
    assert rows["2025-2026"]["oct_count_date"] == date(2025, 10, 30)
    assert rows["2025-2026"]["mar_count_date"] == date(2026, 3, 31)  # the table's, kept
    assert rows["2025-2026"]["oct_period_code"] == "OCTSEC2"
    assert rows["2024-2025"]["oct_count_date"] == date(2024, 10, 31)
    assert rows["2026-2027"]["oct_count_date"] == date(2026, 10, 30)
    assert all(r["french_board"] for r in rows.values())  # board-wide values: every year


def test_without_config_rows_board_settings_are_unchanged():
    frame = settings_frame()
    assert overlay_settings(frame, ()).equals(frame)


def test_command_line_wins_over_the_config():
    config = BoardConfig(submission_type="private", co_teacher_roles=("CO",), output_name="x")
    private, options = run_settings(config, CommandLine())
    assert private and options.co_teacher_roles == ("CO",) and options.output_name == "x"
    private, options = run_settings(config, CommandLine(False, ("Lead2",), True))
    assert not private and options.co_teacher_roles == ("Lead2",) and options.report_core_flag


def test_without_config_the_command_line_alone_decides():
    private, options = run_settings(None, CommandLine(None, (), False))
    assert private is False and options.board_settings == () and options.output_name is None


# --- --config on the commands -------------------------------------------------------------


def school() -> Scenario:
    return Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3))


def run(tmp_path: Path, command: str, config_text: str, *extra: str):
    data, pae = write_scenario(school(), tmp_path)
    config = tmp_path / "board.yaml"
    config.write_text(config_text, encoding="utf-8")
    out = tmp_path / "out"
    args = [command, "--data", data, "--pae", pae, "--period", "oct", "--year", "2025-2026"]
    args += ["--out", out, "--timestamp", STAMP, "--config", config]
    args += ["--bsid", BSID] if command == "generate" else ["--workers", "1"]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, *extra]])
    return result, out


NAMED = (
    "output: {name: 'ONSIS_{bsid}_{period}_{count_date}.xml'}\n"
    "school_years: {'2025-2026': {oct: {count_date: 2025-10-30}}}\n"
)


@pytest.mark.parametrize("command", ["generate", "board"])
def test_config_names_the_file_and_its_count_date_wins_over_board_settings(tmp_path, command):
    result, out = run(tmp_path, command, NAMED)
    assert result.exit_code == 0, result.output
    assert (out / f"ONSIS_{BSID}_OCTSEC1_20251030.xml").is_file()


@pytest.mark.parametrize(
    ("extra", "private"), [((), "true"), (("--submission-type", "public"), "false")]
)
def test_config_submission_type_applies_unless_the_command_line_says_otherwise(
    tmp_path, extra, private
):
    result, out = run(tmp_path, "generate", "board: {submission_type: private}\n", *extra)
    assert result.exit_code == 0, result.output
    manifest = next(out.glob("*.manifest.json")).read_text(encoding="utf-8")
    assert f'"private": {private}' in manifest


@pytest.mark.parametrize("command", ["generate", "board"])
def test_a_bad_config_stops_the_run_with_exit_2_and_the_key_path(tmp_path, command):
    result, out = run(tmp_path, command, "board: {frnch_board: true}\n")
    assert result.exit_code == 2
    assert "CFG002" in result.output and "board.frnch_board" in result.output
    assert not list(out.glob("*.xml")) if out.exists() else True


def test_a_school_year_missing_from_board_settings_runs_from_the_config_alone(tmp_path):
    data, _pae = write_scenario(school(), tmp_path)
    config = tmp_path / "board.yaml"
    config.write_text(
        "school_years: {'2026-2027': {oct: {count_date: 2026-10-30}}}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    args = ["generate", "--data", data, "--no-pae", "--bsid", BSID, "--period", "oct"]
    args += ["--year", "2026-2027", "--out", out, "--timestamp", STAMP, "--config", config]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert (out / f"ONSIS_OCTSEC1_20261030_{BSID}.xml").is_file()
    without = CliRunner().invoke(cli, [str(a) for a in args[:-2]])
    assert without.exit_code == 2 and "PER003" in without.output


def _schema_keys(node: dict, path: str = "") -> list[str]:
    """Every fixed key path of the schema (open mappings contribute their values' keys)."""
    if node["type"] != "mapping":
        return [path]
    if "key_kind" in node:
        return (
            _schema_keys(node["values"], f"{path}.*") if node["values"]["type"] == "mapping" else []
        )
    found = []
    for key, child in node["keys"].items():
        found += _schema_keys(child, f"{path}.{key}" if path else key)
    return found


def test_the_example_documents_every_key_of_the_schema():
    import yaml

    from onsis_batch.period.config import config_schema

    raw = yaml.load(EXAMPLE.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)

    def present(data, parts):
        if not parts:
            return True
        if parts[0] == "*":
            return any(present(v, parts[1:]) for v in data.values())
        return isinstance(data, dict) and parts[0] in data and present(data[parts[0]], parts[1:])

    missing = [p for p in _schema_keys(config_schema()) if not present(raw, p.split("."))]
    assert missing == []


EARLY_COUNT = "school_years: {'2025-2026': {oct: {count_date: 2025-10-15}}}\n"


def test_explain_takes_the_config_file_and_plans_as_generate_does(tmp_path):
    """A count date from the config leaves out a student who enrols after it: in explain's
    answer and in generate's file alike."""
    late = school().student("2", "999000002").enrol("2", date(2025, 10, 20))
    data, pae = write_scenario(late, tmp_path)
    config = tmp_path / "board.yaml"
    config.write_text(EARLY_COUNT, encoding="utf-8")
    common = ["--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct"]
    common += ["--year", "2025-2026", "--json"]

    def explained(*extra):
        args = ["explain", "--oen", "999000002", *common, *extra]
        result = CliRunner().invoke(cli, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        segments = json.loads(result.stdout)["segments"]
        student = next(s for s in segments if s["segment"] == "STUDENT")
        return student["sent"], student["why_not"]

    def generated(*extra):
        args = ["generate", *common, "--out", tmp_path / f"out{len(extra)}", "--timestamp", STAMP]
        result = CliRunner().invoke(cli, [str(a) for a in [*args, *extra]])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["students"]

    assert explained() == (True, None) and generated() == 2
    assert explained("--config", config) == (False, "NOTSENT-STU-OUT-OF-PERIOD")
    assert generated("--config", config) == 1
