"""The run manifest beside every published batch file, and `onsis-batch verify`."""

import hashlib
import json
import stat
from datetime import date

from builders import BSID, Scenario, write_scenario
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.period.clear_flags import default_values
from onsis_batch.run.manifest import FORMAT, spec_version

STAMP = "2025-10-31T09:30:00"
NAME = f"ONSIS_OCTSEC1_20251031_{BSID}.xml"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def generate(tmp_path, scenario=None):
    scenario = scenario or (
        Scenario()
        .student("1", "999000001", last_name="Zanzibarian")
        .enrol("1", date(2023, 9, 5))
        .in_pae("999000001")
        .student("2", "999000002")
        .enrol("2", date(2025, 9, 3))
    )
    data, pae = write_scenario(scenario, tmp_path)
    out = tmp_path / "out"
    args = ["generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct"]
    result = run(*args, "--year", "2025-2026", "--out", out, "--timestamp", STAMP)
    return result, data, pae, out


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_writes_a_private_manifest_with_hashes_options_and_counts(tmp_path):
    result, data, pae, out = generate(tmp_path)
    assert result.exit_code == 0, result.output
    path = out / f"{NAME}.manifest.json"
    assert f"manifest: {path}" in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    manifest = json.loads(path.read_text())
    assert manifest["format"] == FORMAT and manifest["spec_version"] == spec_version()
    assert manifest["created"] == STAMP
    assert manifest["options"] | {"data": "", "pae": ""} == {
        "bsid": BSID,
        "period": "oct",
        "school_year": "2025-2026",
        "private": False,
        "encoding": "iso-8859-1",
        "data": "",
        "pae": "",
        "period_code": "OCTSEC1",
        "count_date": "2025-10-31",
        "overrides": "",
        "clear_flags": default_values(),  # the rule book's CLEAR_* values (D762)
        "reupload": False,
    }
    inputs = {e["path"]: (e["role"], e["sha256"]) for e in manifest["inputs"]}
    expected = {str(p.resolve()): ("data", sha(p)) for p in data.glob("*.csv")}
    expected |= {str(p.resolve()): ("pae", sha(p)) for p in pae.glob("*.csv")}
    assert inputs == expected
    assert manifest["output"] == {
        "path": NAME,
        "sha256": sha(out / NAME),
        "size": (out / NAME).stat().st_size,
    }
    assert manifest["counts"]["STUDENT_SCHOOL_ENROLMENT"] == {"ADD": 1, "UPDATE": 1}
    assert manifest["students"] == 2
    assert set(manifest["findings"]["by_severity"]) == {"error", "warning", "info"}
    assert manifest["overrides_applied"] == []
    assert "Zanzibarian" not in path.read_text()  # no personal data in the manifest


def test_verify_passes_untouched_files_and_fails_on_tampering(tmp_path):
    _, data, _, out = generate(tmp_path)
    manifest = out / f"{NAME}.manifest.json"
    ok = run("verify", manifest)
    assert ok.exit_code == 0 and "all files match" in ok.output
    xml = out / NAME
    xml.write_bytes(xml.read_bytes().replace(b"999000002", b"999000003"))
    tampered = run("verify", manifest, "--json")
    assert tampered.exit_code == 1
    report = json.loads(tampered.output)
    assert [f["code"] for f in report["findings"]] == ["MAN001"] and not report["valid"]
    (data / "students.csv").unlink()
    gone = run("verify", manifest)
    assert gone.exit_code == 1 and "MAN002" in gone.output and "MAN001" in gone.output


def test_verify_refuses_a_file_that_is_not_a_manifest(tmp_path):
    bad = tmp_path / "x.manifest.json"
    bad.write_text('{"format": "something else"}')
    done = run("verify", bad)
    assert done.exit_code == 2 and "MAN003" in done.output
    bad.write_text("not json")
    assert run("verify", bad).exit_code == 2


def test_no_manifest_without_a_published_file(tmp_path):
    result, _, _, out = generate(tmp_path, Scenario().student("1", "12"))
    assert result.exit_code == 2
    assert not out.exists() or not any(out.glob("[!.]*"))
