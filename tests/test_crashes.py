"""Hostile files and paths (issue 13, item 12): what used to crash the tool (exit 3) is a
usage error or an input finding (exit 2), and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batchxml import batch, segment, write
from hostile import REPO, SAMPLE_DATA, SAMPLE_PAE, invoke

# --- 12. what used to crash (exit 3) is a usage or input problem (exit 2) ---------------


def test_verify_refuses_a_manifest_nested_too_deep_or_with_bad_paths(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 5000 + "1" + "}" * 5000)
    base = {"format": "onsis-batch-manifest/1", "output": {"path": "x.xml", "sha256": "0" * 64}}
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(base | {"inputs": [{"path": 5, "sha256": "0" * 64}]}))
    long = tmp_path / "long.json"
    long.write_text(json.dumps(base | {"inputs": [{"path": "a" * 100_000, "sha256": "0" * 64}]}))
    for manifest in (deep, odd, long):
        ran = invoke("verify", manifest, "--json")
        assert ran.exit_code == 2, (manifest.name, ran.output[-300:])
        assert json.loads(ran.stdout)["findings"][0]["code"] == "MAN003"


def test_verify_names_a_listed_file_it_cannot_read(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    base = {"format": "onsis-batch-manifest/1", "output": {"path": "x.xml", "sha256": "0" * 64}}
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(base | {"inputs": [{"path": str(folder), "sha256": "0" * 64}]}))
    ran = invoke("verify", manifest, "--json")
    assert ran.exit_code == 1, ran.output
    codes = {(f["code"], Path(f["file"]).name) for f in json.loads(ran.stdout)["findings"]}
    assert codes == {("MAN004", "folder"), ("MAN002", "x.xml")}


def nested(levels: int, root: str = "ONSIS_BATCH_FILE") -> str:
    inner = "<X>1</X>"
    for level in range(levels):
        inner = f"<U{level % 3}>{inner}</U{level % 3}>"
    return batch(segment("STUDENT", inner, OEN="123456789"), root=root)


@pytest.mark.parametrize("levels", [900, 2000])
def test_diff_and_results_refuse_elements_nested_deeper_than_a_batch_file(tmp_path, levels):
    xml = write(tmp_path / "deep.xml", nested(levels))
    ran = invoke("diff", xml, xml)
    assert ran.exit_code == 2 and "DIF001" in ran.output and "deep" in ran.output, ran.output
    results = write(tmp_path / "deep.OUT", nested(levels, "ONSIS_BATCH_FILE_RESULT"))
    ran = invoke("results", results)
    assert ran.exit_code == 2 and "RES001" in ran.output and "deep" in ran.output, ran.output


def test_a_few_unknown_levels_still_read(tmp_path):
    xml = write(tmp_path / "some.xml", nested(8))
    assert invoke("diff", xml, xml).exit_code == 0


def test_an_output_path_that_is_a_file_or_under_one_is_a_usage_or_input_error(tmp_path):
    regular = tmp_path / "regular"
    regular.write_text("x")
    for out in (regular, regular / "below"):
        ran = invoke("generate", "--sample", "--period", "oct", "--out", out)
        assert ran.exit_code == 2, ran.output
        assert "internal error" not in ran.output and regular.read_text() == "x"
    assert invoke("board", "--data", SAMPLE_DATA, "--pae", SAMPLE_PAE, "--period", "oct",
                  "--year", "2025-2026", "--out", regular).exit_code == 2  # fmt: skip
    results = REPO / "tests" / "fixtures" / "results-current.OUT"
    ran = invoke("results", results, "--out", regular / "below", "--json")
    assert ran.exit_code == 2 and "RUN003" in ran.output, ran.output
    assert invoke("synth", "--students", 5, "--out", regular).exit_code == 2
    xml = REPO / "tests" / "golden" / "ONSIS_OCTSEC1_20251031_998467.xml"
    ran = invoke("diff", xml, xml, "--html", tmp_path)
    assert ran.exit_code == 2, ran.output


def test_the_library_refuses_output_under_a_file(tmp_path):
    from onsis_batch.errors import InputError
    from onsis_batch.render.publish import write_private

    regular = tmp_path / "regular"
    regular.write_text("x")
    with pytest.raises(InputError) as refused:
        write_private(regular / "x.json", "{}")
    assert [f.code for f in refused.value.findings] == ["RUN003"]
    with pytest.raises(InputError) as refused:
        write_private(tmp_path, "{}")
    assert [f.code for f in refused.value.findings] == ["RUN003"]


@pytest.mark.parametrize("kind", ["folder", "dangling link", "link to a file"])
def test_a_lock_path_that_is_not_a_lock_file_is_refused(tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    lock = out / ".onsis-batch.lock"
    victim = tmp_path / "victim"
    if kind == "folder":
        lock.mkdir()
    elif kind == "dangling link":
        lock.symlink_to(tmp_path / "nowhere" / "x")
    else:
        victim.write_text("keep")
        lock.symlink_to(victim)
    ran = invoke("generate", "--sample", "--period", "oct", "--out", out, "--json")
    assert ran.exit_code == 2, ran.output
    assert json.loads(ran.stdout)["findings"][0]["code"] == "RUN004"
    assert not list(out.glob("ONSIS_*"))
    assert kind != "link to a file" or victim.read_text() == "keep"
    ran = invoke("purge", "--out", out, "--keep", "1")
    assert ran.exit_code == 2 and "RUN004" in ran.output, ran.output


def test_an_output_name_too_long_for_the_system_is_an_input_error(tmp_path):
    long = tmp_path / ("x" * 300)
    results = REPO / "tests" / "fixtures" / "results-current.OUT"
    xml = REPO / "tests" / "golden" / "ONSIS_OCTSEC1_20251031_998467.xml"
    for args in (
        ("generate", "--sample", "--period", "oct", "--out", long),
        ("results", results, "--out", long),
        ("diff", xml, xml, "--html", long),
        ("synth", "--students", 5, "--out", long / "x"),
        ("purge", "--out", long, "--keep", 1),
    ):
        ran = invoke(*args)
        assert ran.exit_code == 2, (args[0], ran.output[-300:])
        assert ran.exception is None or isinstance(ran.exception, SystemExit), args[0]
