"""What a run tells people first and last (issue 14 items 3-5): the verdict line, the
traceback of an internal error on request, the required period, the sample's year."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from builders import BSID, YEAR, Scenario, write_scenario
from click.testing import CliRunner, Result

from onsis_batch import cli
from onsis_batch.errors import DEBUG_VARIABLE
from onsis_batch.findings import Finding, Severity
from onsis_batch.plan.outcome import BoardRun, RunResult
from onsis_batch.reasons import reasons
from onsis_batch.report.board import board_summary_dict, board_summary_text
from onsis_batch.report.summary import summary_text


def _broken(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("boom in the tool")


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["onsis-batch", *args])
    monkeypatch.setattr("onsis_batch.tools.reference_docs.findings_listing", _broken)
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    return int(stopped.value.code or 0)


def test_an_internal_error_is_one_line_that_says_how_to_get_the_traceback(monkeypatch, capsys):
    monkeypatch.setenv(DEBUG_VARIABLE, "0")  # restored (unset) after the test
    assert _main(monkeypatch, "codes") == 3
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "internal error: RuntimeError: boom in the tool (run again with --debug, or "
        "ONSIS_BATCH_DEBUG=1, for the full traceback)"
    ]


def test_the_internal_error_line_speaks_the_language_asked_for(monkeypatch, capsys):
    monkeypatch.setenv(DEBUG_VARIABLE, "0")
    assert _main(monkeypatch, "codes", "--lang", "fr") == 3
    assert capsys.readouterr().err.strip().splitlines() == [
        "erreur interne : RuntimeError: boom in the tool (relancez avec --debug, ou "
        "ONSIS_BATCH_DEBUG=1, pour la trace complète)"
    ]


@pytest.mark.parametrize(
    ("args", "env"),
    [(("codes", "--debug"), None), (("--debug", "codes"), None), (("codes",), "1")],
)
def test_debug_prints_the_full_traceback(monkeypatch, capsys, args, env):
    monkeypatch.setenv(DEBUG_VARIABLE, "0")  # restored (unset) after the test
    if env:
        monkeypatch.setenv(DEBUG_VARIABLE, env)
    assert _main(monkeypatch, *args) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert 'in _broken\n    raise RuntimeError("boom in the tool")' in err
    assert err.rstrip().endswith("internal error: RuntimeError: boom in the tool")


# --- fixtures: the sample through the command line, a small scenario as files ------------

STAMP = "2025-10-31T09:00:00"


def _invoke(*args: object) -> Result:
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """The sample's October run: its JSON summary, and the HTML report's text."""
    out = tmp_path_factory.mktemp("sample")
    ran = _invoke(
        "generate", "--sample", "--period", "oct", "--out", out, "--timestamp", STAMP,
        "--html", "--json",
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    data = json.loads(ran.output)
    return data, Path(data["report"]).read_text(encoding="utf-8")


def _scenario_files(root: Path) -> tuple[Path, Path]:
    scenario = Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3))
    scenario.student("2", "999000002", exclude_from_reporting=True).enrol("2", date(2025, 9, 3))
    return write_scenario(scenario, root)


def _generate(data: Path, pae: Path, out: Path, *more: object) -> Result:
    return _invoke(
        "generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct",
        "--year", YEAR, "--out", out, "--timestamp", STAMP, *more,
    )  # fmt: skip


# --- the verdict first, and no normal-looking end to a file with errors (item 5) ---------


def test_the_json_summary_gives_the_verdict_in_words_and_the_not_sent_counts(sample_run):
    data, _ = sample_run
    assert list(data)[:4] == ["schema", "command", "verdict", "verdict_text"]
    assert (data["verdict"], data["verdict_text"]) == ("warnings", "upload with warnings")
    assert data["not_sent"]["NOTSENT-STU-EXCLUDED"] == 2
    assert all(reason in reasons() and reasons()[reason].not_sent for reason in data["not_sent"])


def test_the_terminal_summary_starts_with_the_verdict_in_the_chosen_language(tmp_path):
    data, pae = _scenario_files(tmp_path)
    english = _generate(data, pae, tmp_path / "en")
    assert english.exit_code == 0, english.output
    lines = english.output.splitlines()
    assert lines[0] == "verdict: ready to upload"
    assert "not sent: 1 (NOTSENT-STU-EXCLUDED 1)" in lines
    french = _generate(data, pae, tmp_path / "fr", "--lang", "fr", "--json")
    assert json.loads(french.output)["verdict_text"] == "prêt à téléverser"
    text = _generate(data, pae, tmp_path / "fr2", "--lang", "fr").output
    assert text.splitlines()[0] == "décision: prêt à téléverser"
    assert "non transmis: 1 (NOTSENT-STU-EXCLUDED 1)" in text


def _result(findings: list[Finding], output: Path | None) -> RunResult:
    return RunResult(bsid=BSID, planned=True, output=output, findings=findings)


def _found(code: str, severity: Severity) -> Finding:
    return Finding(code=code, severity=severity, message_en=f"{code} here", message_fr=code)


def test_a_file_with_errors_ends_by_saying_not_to_upload_it(tmp_path):
    errors = _result([_found("SSE002", Severity.ERROR)], tmp_path / "ONSIS_X.xml")
    lines = summary_text(errors).splitlines()
    assert lines[0] == "verdict: do not upload (errors)"
    assert lines[-2] == f"written: {tmp_path / 'ONSIS_X.xml'}"
    assert lines[-1].startswith("do not upload: the file has errors")
    french = summary_text(errors, lang="fr").splitlines()
    assert french[0] == "décision: ne pas téléverser (erreurs)"
    assert french[-1].startswith("ne pas téléverser : le fichier contient des erreurs")
    nothing = summary_text(_result([_found("SRC001", Severity.ERROR)], None)).splitlines()
    assert nothing[0] == "verdict: nothing written" and nothing[-1] == "no file written"
    clean = summary_text(_result([], tmp_path / "ONSIS_X.xml")).splitlines()
    assert clean[0] == "verdict: ready to upload" and clean[-1].startswith("written: ")


def test_a_capped_finding_list_ends_with_counts_per_code_of_what_it_hid():
    found = [_found("SRC004", Severity.ERROR)] * 3 + [_found("SRC012", Severity.WARNING)] * 2
    lines = summary_text(_result(found, None), shown=2).splitlines()
    assert "  ... 3 more (use --json for all)" in lines
    assert "  not shown, by code: SRC004 1, SRC012 2" in lines


def test_the_board_summary_starts_with_its_verdict_and_totals_not_sent():
    def school(bsid: str, not_sent: dict[str, int]) -> RunResult:
        return RunResult(
            bsid=bsid, planned=True, output=Path(f"ONSIS_{bsid}.xml"), not_sent=not_sent
        )

    run = BoardRun(
        results=[
            school("999001", {"NOTSENT-STU-NO-SHOW": 2}),
            school("999002", {"NOTSENT-STU-NO-SHOW": 1, "NOTSENT-CLS-COURSE-TYPE": 4}),
        ]
    )
    lines = board_summary_text(run, "oct", YEAR).splitlines()
    assert lines[0] == "verdict: ready to upload"
    assert lines[-1] == "not sent: 7 (NOTSENT-CLS-COURSE-TYPE 4, NOTSENT-STU-NO-SHOW 3)"
    data = board_summary_dict(run, "oct", YEAR)
    assert data["not_sent"] == {"NOTSENT-CLS-COURSE-TYPE": 4, "NOTSENT-STU-NO-SHOW": 3}
    assert [s["not_sent"] for s in data["schools"]][1] == {
        "NOTSENT-STU-NO-SHOW": 1,
        "NOTSENT-CLS-COURSE-TYPE": 4,
    }


# --- not sent, and why (item 1) -----------------------------------------------------------


def test_the_html_report_starts_with_the_verdict_and_lists_what_is_not_sent(sample_run):
    data, page = sample_run
    body = page.split("<body>", 1)[1].lstrip()
    assert body.startswith('<p id="verdict" class="verdict verdict-warnings">')
    assert "verdict: upload with warnings" in body.split("\n", 1)[0]
    assert '<table id="not-sent-counts">' in page and '<table id="not-sent-table"' in page
    rows = re.findall(r'<tr class="not-sent-row" data-kind="(\w+)" data-reason="([\w-]+)">', page)
    assert len(rows) == sum(data["not_sent"].values())
    assert {kind for kind, _ in rows} == {"student", "class", "educator"}
    excluded = [r for r in rows if r[1] == "NOTSENT-STU-EXCLUDED"]
    assert len(excluded) == 2
    assert "991027039" not in page  # an excluded student's OEN, masked like every other


def test_explain_says_which_rule_left_a_student_out(tmp_path):
    data, pae = _scenario_files(tmp_path)
    ran = _invoke(
        "explain", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct",
        "--year", YEAR, "--oen", "999000002",
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "STUDENT: not sent (NOTSENT-STU-EXCLUDED: Excluded from provincial reporting" in (
        ran.output
    )


# --- strict by default for nightly runs (item 3) -----------------------------------------


def test_period_is_required_unless_the_config_sets_it(tmp_path):
    data, pae = _scenario_files(tmp_path)
    base = ("--data", data, "--pae", pae, "--year", YEAR, "--out", tmp_path / "out")
    missing = _invoke("generate", "--bsid", BSID, *base)
    assert missing.exit_code == 2 and "missing --period (or run: period" in missing.output
    board = _invoke("board", *base)
    assert board.exit_code == 2 and "missing --period" in board.output
    config = tmp_path / "board.yaml"
    config.write_text("version: 1\nrun:\n  period: mar\n", encoding="utf-8")
    planned = _invoke("generate", "--bsid", BSID, *base, "--config", config, "--json")
    assert json.loads(planned.output)["period"]["short"] == "mar"
    chosen = _invoke("generate", "--bsid", BSID, *base, "--config", config, "--period", "oct")
    assert "OCTSEC1" in chosen.output


def test_the_sample_takes_its_own_year_and_refuses_another():
    refused = _invoke("explain", "--sample", "--period", "oct", "--year", "2024-2025", "--oen", "1")
    assert refused.exit_code == 2
    assert "--sample has school year 2025-2026 only" in refused.output
    same = _invoke("explain", "--sample", "--period", "oct", "--year", "2025-2026", "--oen", "1")
    assert "--sample has school year" not in same.output


def _rename_column(data: Path, old: str, new: str) -> None:
    path = data / "students.csv"
    header, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(header.replace(old, new) + "\n" + rest, encoding="utf-8")


def test_a_column_named_like_a_contract_column_stops_the_run_unless_allowed(tmp_path):
    data, pae = _scenario_files(tmp_path)
    _rename_column(data, "exclude_from_reporting", "exclude_from_report")
    strict = _generate(data, pae, tmp_path / "a", "--json")
    assert strict.exit_code == 2
    (problem,) = [f for f in json.loads(strict.output)["findings"] if f["code"] == "SRC021"]
    assert (
        problem["severity"] == "error"
        and "looks like 'exclude_from_reporting'" in (problem["message_en"])
    )
    allowed = _generate(data, pae, tmp_path / "b", "--json", "--allow-unknown-columns")
    codes = {f["code"]: f["severity"] for f in json.loads(allowed.output)["findings"]}
    assert allowed.exit_code == 0 and codes["SRC021"] == "warning"
    config = tmp_path / "board.yaml"
    config.write_text("version: 1\nrun: {allow_unknown_columns: true}\n", encoding="utf-8")
    assert _generate(data, pae, tmp_path / "c", "--config", config).exit_code == 0


def test_an_unrelated_unknown_column_stays_a_warning(tmp_path):
    data, pae = _scenario_files(tmp_path)
    _rename_column(data, "exclude_from_reporting", "homeroom_teacher")
    ran = _generate(data, pae, tmp_path / "a", "--json")
    codes = {f["code"]: f["severity"] for f in json.loads(ran.output)["findings"]}
    assert ran.exit_code == 0 and codes["SRC013"] == "warning" and "SRC021" not in codes


@pytest.mark.parametrize(("separator", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_csv_files_separated_by_semicolons_or_tabs_are_read_with_a_note(tmp_path, separator, name):
    data, pae = _scenario_files(tmp_path)
    comma = json.loads(_generate(data, pae, tmp_path / "comma", "--json").output)
    path = data / "school_enrolments.csv"
    table = pl.read_csv(path, infer_schema=False)
    table.write_csv(path, separator=separator)
    ran = _generate(data, pae, tmp_path / "other", "--json")
    found = json.loads(ran.output)
    (note,) = [f for f in found["findings"] if f["code"] == "SRC022"]
    assert note["severity"] == "info" and note["file"] == "school_enrolments.csv"
    assert f"separated by {name}" in note["message_en"]
    assert (found["students"], found["segments"]) == (comma["students"], comma["segments"])
