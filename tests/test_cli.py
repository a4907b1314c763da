"""The command line, end to end through files: exit codes, outputs, summaries."""

import json
import stat
from datetime import date

import pytest
from builders import BSID, Scenario, write_scenario
from click.testing import CliRunner
from lxml import etree

from onsis_batch.cli import cli

STAMP = "2025-10-31T09:30:00"


def school() -> Scenario:
    return (
        Scenario()
        .student("1", "999000001")
        .enrol("1", date(2023, 9, 5))
        .in_pae("999000001")
        .student("2", "999000002")
        .enrol("2", date(2025, 9, 3))
        .student("3", "999000003")
        .enrol("3", date(2024, 9, 3), date(2025, 6, 27), exit_code="64")
        .in_pae("999000003")
    )


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def generate(tmp_path, scenario=None, *extra):
    data, pae = write_scenario(scenario or school(), tmp_path)
    out = tmp_path / "out"
    result = run(
        "generate",
        "--data",
        data,
        "--pae",
        pae,
        "--bsid",
        BSID,
        "--period",
        "oct",
        "--year",
        "2025-2026",
        "--out",
        out,
        "--timestamp",
        STAMP,
        *extra,
    )
    return result, out


def test_generate_writes_a_valid_owner_only_file_with_adds_and_updates(tmp_path):
    result, out = generate(tmp_path)
    assert result.exit_code == 0, result.output
    xml = out / f"ONSIS_OCTSEC1_20251031_{BSID}.xml"
    assert sorted(p.name for p in out.glob("[!.]*")) == [xml.name, f"{xml.name}.manifest.json"]
    assert stat.S_IMODE(xml.stat().st_mode) == 0o600
    assert xml.read_bytes().startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    tree = etree.parse(str(xml))
    actions = tree.xpath("//STUDENT_SCHOOL_ENROLMENT/ACTION/text()")
    assert sorted(actions) == ["ADD", "UPDATE", "UPDATE"]
    assert tree.findtext("HEADER/DATE") == "2025/10/31" and tree.findtext("HEADER/TIME") == "093000"
    assert "written:" in result.output and "students: 3" in result.output
    assert run("validate", xml).exit_code == 0


def test_same_inputs_and_timestamp_give_identical_bytes(tmp_path):
    first, out = generate(tmp_path / "a")
    second, out2 = generate(tmp_path / "b")
    assert first.exit_code == second.exit_code == 0
    assert next(out.glob("*.xml")).read_bytes() == next(out2.glob("*.xml")).read_bytes()


def test_json_summary_counts_segments_and_actions(tmp_path):
    result, _ = generate(tmp_path, None, "--json")
    summary = json.loads(result.output)
    assert summary["segments"]["STUDENT_SCHOOL_ENROLMENT"] == {"UPDATE": 2, "ADD": 1}
    assert summary["students"] == 3 and summary["exit_code"] == 0


def test_bad_input_exits_2_names_file_row_column_and_writes_nothing(tmp_path):
    scenario = school()
    scenario.students[1]["birth_date"] = None  # required column left empty
    result, out = generate(tmp_path, scenario, "--json")
    assert result.exit_code == 2
    summary = json.loads(result.output)
    problem = next(f for f in summary["findings"] if f["code"] == "SRC007")
    assert (problem["file"], problem["row"], problem["column"]) == ("students.csv", 3, "birth_date")
    assert not out.exists() or not any(out.glob("*.xml"))


def test_pae_for_another_bsid_is_refused(tmp_path):
    data, pae = write_scenario(school(), tmp_path)
    result = run(
        "generate",
        "--data",
        data,
        "--pae",
        pae,
        "--bsid",
        "999001",
        "--period",
        "mar",
        "--year",
        "2025-2026",
        "--out",
        tmp_path / "out",
    )
    assert result.exit_code == 2
    assert "PAE003" in result.output  # October extract given for a March run


def test_no_pae_sends_everyone_as_add(tmp_path):
    data, _ = write_scenario(school(), tmp_path)
    result = run(
        "generate",
        "--data",
        data,
        "--no-pae",
        "--bsid",
        BSID,
        "--period",
        "oct",
        "--year",
        "2025-2026",
        "--out",
        tmp_path / "out",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["segments"]["STUDENT_SCHOOL_ENROLMENT"] == {"ADD": 2}


def test_missing_options_are_a_usage_error(tmp_path):
    result = run("generate", "--out", tmp_path)
    assert result.exit_code == 2 and "missing --data" in result.output


def test_validate_reports_a_broken_file(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<ONSIS_BATCH_FILE><HEADER>")
    result = run("validate", broken)
    assert result.exit_code == 1 and "XSD002" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["segments"],
        ["segments", "STUDENT"],
        ["contract"],
        ["codes"],
        ["segments", "--json"],
        ["codes", "--json"],
    ],
)
def test_reference_commands(command):
    result = run(*command)
    assert result.exit_code == 0 and result.output.strip()


def test_every_command_has_help():
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert run(name, "--help").exit_code == 0


def test_generated_docs_and_schema_are_current():
    result = run("docs", "--check")
    assert result.exit_code == 0, f"run `onsis-batch docs`: {result.output}"


def _without(pae, extract):
    (pae / next(p.name for p in pae.iterdir() if p.name.startswith(f"EXSMS-{extract}"))).unlink()


def test_a_missing_extract_is_a_warning_naming_folder_extract_and_segments(tmp_path):
    data, pae = write_scenario(school(), tmp_path)
    _without(pae, "0009")
    args = ["--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct", "--year", "2025-2026"]
    result = run("generate", *args, "--out", tmp_path / "out", "--timestamp", STAMP, "--json")
    assert result.exit_code == 0, result.output
    missing = [f for f in json.loads(result.output)["findings"] if f["code"] == "PAE030"]
    assert [(f["severity"], f["file"], f["key"]) for f in missing] == [("warning", str(pae), BSID)]
    assert "extract 0009" in missing[0]["message_en"]
    assert (
        "of INSTRUCTIONAL_TM, SCHOOL_EDUCATOR_ASSIGNMENT is sent as ADD" in missing[0]["message_en"]
    )
    explained = run("explain", *args, "--oen", "999000002", "--json")
    assert [f["code"] for f in json.loads(explained.output)["findings"]] == ["PAE030"]


def test_every_extract_present_or_no_pae_is_silent_about_extracts(tmp_path):
    result, _ = generate(tmp_path / "a", None, "--json")
    assert "PAE030" not in result.output
    data, _ = write_scenario(school(), tmp_path / "b")
    args = ["--bsid", BSID, "--period", "oct", "--year", "2025-2026", "--json"]
    first = run("generate", "--data", data, "--no-pae", *args, "--out", tmp_path / "out")
    assert first.exit_code == 0 and "PAE030" not in first.output
