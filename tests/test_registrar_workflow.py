"""The registrar's round trip, all from the command line and in French: generate, read the
findings, override, regenerate, diff against the last upload, import the results file."""

import re

import yaml
from click.testing import CliRunner
from lxml import etree

from onsis_batch.cli import cli

STAMP = "2025-10-31T09:30:00"
FIXTURES = "tests/fixtures"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_generate_override_regenerate_diff_and_results_in_french(tmp_path):
    first = run(
        "generate",
        "--sample",
        "--period",
        "oct",
        "--out",
        tmp_path / "a",
        "--timestamp",
        STAMP,
        "--lang",
        "fr",
    )
    assert first.exit_code in (0, 1), first.output
    assert "élèves:" in first.output and re.search(r"constats: \d+ erreurs?, ", first.output)
    (upload,) = (tmp_path / "a").glob("*.xml")
    # A student sent as UPDATE whose grade the registrar corrects by override.
    tree = etree.parse(str(upload))
    oen = tree.xpath("//STUDENT[STUDENT_SCHOOL_ENROLMENT/ACTION='UPDATE']/OEN/text()")[0]
    grade = tree.xpath(f"//STUDENT[OEN='{oen}']/STUDENT_SCHOOL_ENROLMENT/GRADE_TYPE/text()")[0]
    new_grade = "12" if grade != "12" else "11"
    overrides = tmp_path / "overrides.yaml"
    entry = {
        "segment": "STUDENT_SCHOOL_ENROLMENT",
        "key": f"OEN={oen} / STUDENT_SCHOOL_ENROLMENT",
        "set": {"GRADE_TYPE": new_grade},
        "reason": "Grade corrected by the guidance office",
        "author": "Registrar",
        "expires": "2099-12-31",
    }
    overrides.write_text(yaml.safe_dump({"overrides": [entry]}))
    second = run(
        "generate",
        "--sample",
        "--period",
        "oct",
        "--out",
        tmp_path / "b",
        "--timestamp",
        STAMP,
        "--overrides",
        overrides,
        "--lang",
        "fr",
    )
    assert second.exit_code in (0, 1), second.output
    assert "OVR004" in second.output
    (regenerated,) = (tmp_path / "b").glob("*.xml")
    diff = run("diff", upload, regenerated, "--lang", "fr")
    assert diff.exit_code == 0, diff.output
    assert "ancien → nouveau" in diff.output
    assert f"GRADE_TYPE {grade} → {new_grade}" in diff.output
    results = run(
        "results",
        f"{FIXTURES}/results-current.OUT",
        "--previous",
        f"{FIXTURES}/results-previous.OUT",
        "--out",
        tmp_path / "lists",
        "--lang",
        "fr",
    )
    assert results.exit_code in (0, 1), results.output
    assert "Note inférieure à 50 avec crédit obtenu" in results.output
    assert list((tmp_path / "lists").glob("worklist-*.csv"))
