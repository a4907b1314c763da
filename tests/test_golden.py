"""Whole-file regression on the bundled sample, and what the sample must show."""

import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from lxml import etree

from onsis_batch.cli import cli

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))
from refresh import golden_run  # noqa: E402


@pytest.mark.parametrize("kind", ["oct", "mar", "jun"])
def test_sample_output_matches_the_golden_file(kind, tmp_path):
    produced = golden_run(kind, tmp_path)
    expected = GOLDEN / produced.name
    assert produced.read_bytes() == expected.read_bytes(), (
        f"{produced.name} changed; if intended, run `make refresh-sample` and review the diff"
    )


def test_sample_has_adds_updates_and_a_non_returning_student(tmp_path):
    tree = etree.parse(str(golden_run("oct", tmp_path)))
    actions = tree.xpath("//STUDENT_SCHOOL_ENROLMENT/ACTION/text()")
    assert {"ADD", "UPDATE"} <= set(actions)
    # A non-returning student: UPDATE closed on the first day of the period.
    closed = tree.xpath(
        "//STUDENT_SCHOOL_ENROLMENT[ACTION='UPDATE' and ENROLMENT_END_DATE='2025/07/01']"
    )
    assert closed


def test_readme_sample_command_prints_where_the_xml_is(tmp_path):
    result = CliRunner().invoke(
        cli, ["generate", "--sample", "--period", "oct", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert f"written: {tmp_path}" in result.output


def test_sample_tables_load_without_findings():
    from onsis_batch.resources import data_dir
    from onsis_batch.sources import load_folder

    loaded = load_folder(data_dir("sample_data"))
    assert loaded.findings == []
    assert (
        loaded.tables["students"].height
        == pl.read_csv(data_dir("sample_data") / "students.csv").height
    )
