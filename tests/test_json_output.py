"""Every command's --json in one envelope, checked against the schema shipped in the package."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from onsis_batch.cli import cli
from onsis_batch.report.summary import VERDICTS
from onsis_batch.resources import data_dir
from onsis_batch.run.lock import output_lock
from onsis_batch.run.sample import sample_run

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "onsis_batch" / "cli" / "output.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
RESULTS = Path(__file__).resolve().parent / "fixtures" / "results-current.OUT"
STAMP = "2025-10-31T09:00:00"
SAMPLE_OEN = "994076896"


def run_json(*args: str) -> tuple[int, dict]:
    """Run a command with --json; its exit code and its JSON, checked against the schema."""
    result = CliRunner().invoke(cli, [*args, "--json"])
    data = json.loads(result.stdout)
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert data["command"] == args[0] and data["exit_code"] == result.exit_code
    return result.exit_code, data


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    code, data = run_json(
        "generate", "--sample", "--period", "oct", "--out", str(out), "--timestamp", STAMP
    )
    assert code == 0 and data["output"]
    return Path(data["output"])


def test_the_schema_is_a_valid_json_schema_and_names_every_verdict():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$defs"]["verdict"]["enum"] == list(VERDICTS)
    assert set(SCHEMA["properties"]["command"]["enum"]) == {
        name
        for name, command in cli.commands.items()
        if any(p.name == "as_json" for p in command.params)
    }


def test_generate(generated):
    code, data = run_json("generate", "--sample", "--period", "oct", "--out", str(generated.parent))
    assert data["schema"] == "onsis-batch/1"
    assert data["period"] == {"code": "OCTSEC1", "short": "oct"}
    assert data["verdict"] in ("ready", "warnings") and code == 0


def test_generate_that_writes_nothing_still_names_the_period(tmp_path):
    data_copy = tmp_path / "data"
    shutil.copytree(data_dir("sample_data"), data_copy)
    (data_copy / "students.csv").write_text("not,a,students,table\n")
    _, pae, bsid, year = sample_run("mar")
    args = ["--data", str(data_copy), "--pae", str(pae), "--bsid", bsid, "--year", year]
    code, data = run_json("generate", *args, "--period", "mar", "--out", str(tmp_path / "out"))
    assert code == 2 and data["verdict"] == "nothing-written"
    assert data["period"] == {"code": "MARSEC2", "short": "mar"}


def test_board_and_its_summary_file(tmp_path):
    data, pae, _, year = sample_run("oct")
    out = tmp_path / "out"
    args = ["--data", str(data), "--pae", str(pae), "--period", "oct", "--year", year]
    code, summary = run_json("board", *args, "--out", str(out), "--timestamp", STAMP)
    assert code in (0, 1) and summary["period"] == {"code": "OCTSEC1", "short": "oct"}
    assert summary["verdict"] == summary["schools"][0]["verdict"] != "nothing-written"
    written = json.loads((out / f"board-summary-oct-{year}.json").read_text())
    Draft202012Validator(SCHEMA).validate(written)
    assert written["command"] == "board" and written["schools"] == summary["schools"]


def test_a_board_that_writes_nothing_names_its_period(tmp_path):
    data, pae, _, year = sample_run("oct")
    out = tmp_path / "out"
    args = ["--data", str(data), "--pae", str(pae), "--period", "jun", "--year", year]
    with output_lock(out):  # another run holds the folder: RUN002 for every BSID
        code, summary = run_json("board", *args, "--out", str(out))
    assert code == 2 and summary["verdict"] == "nothing-written"
    assert summary["period"] == {"code": "JUNSEC1", "short": "jun"}


def test_explain():
    code, data = run_json("explain", "--sample", "--period", "oct", "--oen", SAMPLE_OEN)
    assert code == 0 and data["verdict"] is None and data["period"]["short"] == "oct"


def test_validate_and_its_explanation(generated, tmp_path):
    code, data = run_json("validate", str(generated))
    assert code == 0 and data["valid"] and data["verdict"] in ("ready", "warnings")
    broken = tmp_path / "broken.xml"
    text = generated.read_text(encoding="iso-8859-1")
    broken.write_text(text.replace("<OEN>", "<OENX>", 1).replace("</OEN>", "</OENX>", 1), "latin-1")
    code, data = run_json("validate", str(broken), "--explain")
    assert code == 1 and data["verdict"] == "errors"
    (first,) = [e for e in data["explained"] if "OENX" in e["reason"]]
    assert first["expected"] == ["OEN"] and first["line"] and first["path"].endswith("STUDENT[1]")


def test_verify(generated):
    code, data = run_json("verify", f"{generated}.manifest.json")
    assert code == 0 and data["verdict"] == "ready" and data["checked"] > 1


def test_diff(generated):
    code, data = run_json("diff", str(generated), str(generated))
    assert code == 0 and data["period"] == {"code": "OCTSEC1", "short": "oct"}
    _, pae, _, _ = sample_run("oct")
    code, data = run_json("diff", str(generated), "--pae", str(pae))
    assert code == 0 and data["mode"] == "pae"


def test_results(tmp_path):
    code, data = run_json("results", str(RESULTS), "--out", str(tmp_path))
    assert code == 1 and data["written"] and data["period"]["code"]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["segments"], "segments"),
        (["segments", "STUDENT"], "elements"),
        (["contract"], "tables"),
        (["codes"], "codes"),
        (["reasons"], "reasons"),
        (["reasons", "SALEP", "--lang", "fr"], "reasons"),
    ],
)
def test_reference_listings(args, key):
    code, data = run_json(*args)
    assert code == 0 and data["verdict"] is None and data[key]


def test_purge(generated):
    code, data = run_json("purge", "--out", str(generated.parent), "--keep", "1", "--dry-run")
    assert code == 0 and data["dry_run"] and data["files"] == []


def test_synth(tmp_path):
    code, data = run_json("synth", "--students", "20", "--out", str(tmp_path / "demo"))
    assert code == 0 and data["students"] == 20 and set(data["pae"]) == {"oct", "mar", "jun"}
