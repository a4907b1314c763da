"""Student data is personal information: findings and summaries never quote names or birth
dates, outputs are owner-only, and XML we read never resolves entities."""

import json
from datetime import date

import polars as pl
from builders import BSID, Scenario, write_scenario
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.resources import data_dir
from onsis_batch.sources import load_folder


def test_bad_personal_values_are_not_quoted_in_findings(tmp_path):
    data, _ = write_scenario(
        Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3)), tmp_path
    )
    students = (data / "students.csv").read_text().splitlines()
    header = students[0].split(",")
    cells = students[1].split(",")
    cells[header.index("birth_date")] = "Secret-Birthday"
    cells[header.index("gender_desc")] = "Secretly-Long-Gender-Description"
    (data / "students.csv").write_text("\n".join([students[0], ",".join(cells)]) + "\n")
    findings = load_folder(data).findings
    assert {f.code for f in findings} >= {"SRC004", "SRC011"}
    text = " ".join(f.message_en + f.message_fr for f in findings)
    assert "Secret" not in text


def test_summary_of_the_sample_run_names_no_student(tmp_path):
    result = CliRunner().invoke(
        cli, ["generate", "--sample", "--period", "oct", "--out", str(tmp_path), "--json"]
    )
    summary = json.dumps(json.loads(result.output))
    students = pl.read_csv(data_dir("sample_data") / "students.csv", infer_schema=False)
    secrets = set()
    for column in ("first_name", "last_name", "legal_first_name", "legal_last_name", "birth_date"):
        secrets |= {v for v in students.get_column(column).drop_nulls().to_list() if len(v) > 3}
    assert not [s for s in secrets if s in summary]


def test_output_folder_holds_only_the_published_file(tmp_path):
    data, pae = write_scenario(
        Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3)), tmp_path
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "generate",
            "--data",
            str(data),
            "--pae",
            str(pae),
            "--bsid",
            BSID,
            "--period",
            "oct",
            "--year",
            "2025-2026",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    name = f"ONSIS_OCTSEC1_20251031_{BSID}.xml"
    assert sorted(p.name for p in out.glob("[!.]*")) == [name, f"{name}.manifest.json"]
