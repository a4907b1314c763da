"""The CLEAR_* flags: the rule book's values by default, the re-upload preset, single flags
from the command line or the configuration file, and what every output says about them
(D762)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from builders import BSID, Scenario, write_scenario
from click.testing import CliRunner
from lxml import etree

from onsis_batch.cli import cli
from onsis_batch.period.clear_flags import (
    ClearChoice,
    default_values,
    effective,
    flag_name,
    flags_set,
)
from onsis_batch.period.config import BoardConfig, CommandLine, run_settings
from onsis_batch.run.manifest import verify_manifest

STAMP = "2025-10-31T09:00:00"
RULE_BOOK = {
    "CLEAR_PENDING_AREA": "N",
    "CLEAR_SCHOOL_EDUCATOR_ASSIGNMENT": "Y",
    "CLEAR_STUDENT_SCHOOL_ENROLMENT": "Y",
    "CLEAR_CLASS": "Y",
    "CLEAR_STUDENT_NON_ENROLMENT": "Y",
    "CLEAR_NE_SHSM": "Y",
}
ALL_N = dict.fromkeys(RULE_BOOK, "N")


# --- the choice --------------------------------------------------------------------------


def test_the_defaults_are_the_rule_books_values():
    assert default_values() == RULE_BOOK
    assert ClearChoice().values() == RULE_BOOK
    assert effective(()) == RULE_BOOK


def test_reupload_sets_every_flag_to_n():
    assert ClearChoice(reupload=True).values() == ALL_N
    assert flags_set(ClearChoice(reupload=True).values()) == []


def test_single_flags_over_the_defaults():
    values = ClearChoice(clear=("CLEAR_PENDING_AREA",), no_clear=("CLEAR_CLASS",)).values()
    assert values == RULE_BOOK | {"CLEAR_PENDING_AREA": "Y", "CLEAR_CLASS": "N"}
    assert ClearChoice(reupload=True, no_clear=("CLEAR_CLASS",)).values() == ALL_N


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("CLASS", "CLEAR_CLASS"),
        ("clear_class", "CLEAR_CLASS"),
        (" ne_shsm ", "CLEAR_NE_SHSM"),
        ("PENDING_AREA", "CLEAR_PENDING_AREA"),
        ("SHSM", None),
        ("CLEAR_", None),
    ],
)
def test_flag_names_with_or_without_the_prefix_in_any_case(text, name):
    assert flag_name(text) == name


def test_contradictions_are_named():
    assert ClearChoice(clear=("CLEAR_CLASS",), no_clear=("CLEAR_CLASS",)).conflicts() == [
        "CLEAR_CLASS is both cleared and not cleared"
    ]
    assert ClearChoice(reupload=True, clear=("CLEAR_CLASS",)).conflicts()
    assert ClearChoice(reupload=True, no_clear=("CLEAR_CLASS",)).conflicts() == []


def test_the_command_line_wins_over_the_config_flag_by_flag():
    config = BoardConfig(clear=ClearChoice(reupload=True))
    _, options = run_settings(config, CommandLine(clear=ClearChoice(clear=("CLEAR_CLASS",))))
    assert dict(options.clear_flags) == ALL_N | {"CLEAR_CLASS": "Y"}
    assert options.reupload is False  # a flag is Y: not a plain re-upload
    _, options = run_settings(config, CommandLine())
    assert dict(options.clear_flags) == ALL_N and options.reupload is True


# --- generate ------------------------------------------------------------------------------


def school() -> Scenario:
    return Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3))


def generate(tmp_path: Path, *extra: str, config: str | None = None):
    data, pae = write_scenario(school(), tmp_path)
    out = tmp_path / "out"
    args = ["generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct"]
    args += ["--year", "2025-2026"]
    args += ["--out", out, "--timestamp", STAMP]
    if config is not None:
        (tmp_path / "board.yaml").write_text(config, encoding="utf-8")
        args += ["--config", tmp_path / "board.yaml"]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, *extra]])
    return result, out


def written_flags(out: Path) -> dict[str, str]:
    school = etree.parse(str(next(out.glob("ONSIS_*.xml")))).find(".//SCHOOL")
    return {e.tag: e.text for e in school if e.tag.startswith("CLEAR_")}


def manifest(out: Path) -> dict:
    return json.loads(next(out.glob("*.manifest.json")).read_text(encoding="utf-8"))


def test_by_default_the_file_carries_the_rule_books_values_and_says_which_are_y(tmp_path):
    result, out = generate(tmp_path)
    assert result.exit_code == 0, result.output
    assert written_flags(out) == RULE_BOOK
    assert manifest(out)["options"]["clear_flags"] == RULE_BOOK
    assert manifest(out)["options"]["reupload"] is False
    line = next(x for x in result.output.splitlines() if x.startswith("CLEAR flags"))
    assert line.endswith(": " + ", ".join(n for n, v in RULE_BOOK.items() if v == "Y"))


def test_reupload_writes_every_flag_n_and_records_it(tmp_path):
    result, out = generate(tmp_path, "--reupload", "--html")
    assert result.exit_code == 0, result.output
    assert written_flags(out) == ALL_N
    assert manifest(out)["options"]["clear_flags"] == ALL_N
    assert manifest(out)["options"]["reupload"] is True
    assert "CLEAR flags: all N" in result.output
    report = next(out.glob("*.report.html")).read_text(encoding="utf-8")
    assert 'id="clear-flags"' not in report


def test_single_flags_from_the_command_line(tmp_path):
    result, out = generate(
        tmp_path, "--no-clear", "class,STUDENT_SCHOOL_ENROLMENT", "--clear", "pending_area"
    )
    assert result.exit_code == 0, result.output
    expected = RULE_BOOK | {"CLEAR_CLASS": "N", "CLEAR_STUDENT_SCHOOL_ENROLMENT": "N"}
    assert written_flags(out) == expected | {"CLEAR_PENDING_AREA": "Y"}


def test_the_html_report_warns_in_a_banner_when_a_flag_is_y(tmp_path):
    result, out = generate(tmp_path / "a", "--reupload", "--no-clear", "CLASS", "--html")
    assert 'id="clear-flags"' not in next(out.glob("*.report.html")).read_text("utf-8")
    result, out = generate(tmp_path / "b", "--html", "--lang", "fr")
    assert result.exit_code == 0, result.output
    page = etree.HTML(next(out.glob("*.report.html")).read_text(encoding="utf-8"))
    banner = page.find(".//div[@id='clear-flags']")
    assert banner is not None and banner.get("role") == "alert"
    listed = [code.text for code in banner.iter("code")]
    assert listed == [n for n, v in RULE_BOOK.items() if v == "Y"]
    assert "--reupload" in "".join(banner.itertext())


@pytest.mark.parametrize(
    "extra",
    [
        ("--clear", "CLASS", "--no-clear", "clear_class"),
        ("--reupload", "--clear", "NE_SHSM"),
        ("--clear", "SHSM"),
    ],
)
def test_conflicting_or_unknown_flags_are_usage_errors_and_nothing_is_written(tmp_path, extra):
    result, out = generate(tmp_path, *extra)
    assert result.exit_code == 2
    assert "Usage:" in result.output
    assert not out.exists() or not list(out.glob("*.xml"))


def test_json_summary_carries_the_flags(tmp_path):
    result, _ = generate(tmp_path, "--reupload", "--json")
    assert json.loads(result.output)["clear_flags"] == ALL_N


def test_help_says_what_each_flag_purges():
    text = CliRunner().invoke(cli, ["generate", "--help"], terminal_width=200).output
    for name in RULE_BOOK:
        assert name.removeprefix("CLEAR_") + " (" in text
    assert "--reupload" in text and "--no-clear" in text


# --- the configuration file ------------------------------------------------------------------


def test_config_reupload_for_nightly_runs_and_the_command_line_over_it(tmp_path):
    result, out = generate(tmp_path / "a", config="upload: {reupload: true}\n")
    assert result.exit_code == 0, result.output
    assert written_flags(out) == ALL_N
    result, out = generate(tmp_path / "b", "--clear", "CLASS", config="upload: {reupload: true}\n")
    assert result.exit_code == 0, result.output
    assert written_flags(out) == ALL_N | {"CLEAR_CLASS": "Y"}


@pytest.mark.parametrize(
    ("text", "code", "key"),
    [
        ("upload: {clear: [CLASS, SHSM]}\n", "CFG009", "upload.clear[1]"),
        ("upload: {no_clear: [nope]}\n", "CFG009", "upload.no_clear[0]"),
        ("upload: {clear: [CLASS], no_clear: [CLEAR_CLASS]}\n", "CFG010", "upload"),
        ("upload: {reupload: true, clear: [CLASS]}\n", "CFG010", "upload"),
    ],
)
def test_a_bad_upload_section_stops_the_run(tmp_path, text, code, key):
    result, out = generate(tmp_path, config=text)
    assert result.exit_code == 2
    assert code in result.output and key in result.output
    assert not out.exists() or not list(out.glob("*.xml"))


# --- board and manifests ----------------------------------------------------------------------


def test_board_takes_the_same_options(tmp_path):
    data, pae = write_scenario(school(), tmp_path)
    out = tmp_path / "out"
    args = ["board", "--data", data, "--pae", pae, "--period", "oct", "--year", "2025-2026"]
    args += ["--out", out, "--timestamp", STAMP, "--workers", "1", "--reupload"]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert written_flags(out) == ALL_N
    assert manifest(out)["options"]["clear_flags"] == ALL_N
    assert "CLEAR flags: all N" in result.output
    args[args.index("--reupload")] = "--json"
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--no-clear", "CLASS"]])
    assert json.loads(result.output)["clear_flags"] == RULE_BOOK | {"CLEAR_CLASS": "N"}
    conflict = CliRunner().invoke(cli, [str(a) for a in [*args, "--reupload", "--clear", "CLASS"]])
    assert conflict.exit_code == 2


def test_a_manifest_written_before_the_flags_were_recorded_still_verifies(tmp_path):
    result, out = generate(tmp_path)
    assert result.exit_code == 0, result.output
    path = next(out.glob("*.manifest.json"))
    old = manifest(out)
    del old["options"]["clear_flags"], old["options"]["reupload"]
    path.write_text(json.dumps(old, indent=2), encoding="utf-8")
    findings, checked = verify_manifest(path)
    assert findings == [] and checked > 1
    verified = CliRunner().invoke(cli, ["verify", str(path)])
    assert verified.exit_code == 0, verified.output
