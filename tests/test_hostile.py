"""Hostile and damaged inputs (issue 13): values read from files never steer where the
tool writes, personal data stays masked, and what used to crash is a finding (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batchxml import batch, errors, segment, write
from click.testing import CliRunner

from onsis_batch.cli import cli


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def every_file(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


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


# --- 2. a period code from the board_settings table is checked like the config's ---------

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"
SAMPLE_PAE = REPO / "pae_samples" / "OCTSEC1"


def sample_copy(folder: Path) -> Path:
    import shutil

    shutil.copytree(SAMPLE_DATA, folder)
    return folder


def sample_generate(data: Path, out: Path, *more: object):
    return invoke(
        "generate",
        "--data",
        data,
        "--pae",
        SAMPLE_PAE,
        "--bsid",
        "998467",
        "--period",
        "oct",
        "--year",
        "2025-2026",
        "--out",
        out,
        "--timestamp",
        "2025-10-31T09:00:00",
        *more,
    )


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
