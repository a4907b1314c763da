"""Hostile and damaged inputs (issue 13): values read from files never steer where the
tool writes, personal data stays masked, and what used to crash is a finding (exit 2)."""

from __future__ import annotations

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
