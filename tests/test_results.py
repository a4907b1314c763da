"""`onsis-batch results`: the hand-made results files in tests/fixtures cover an ERROR at
the file (HEADER, SCHOOL_SUBMISSION), school, segment and nested segment levels, several
ERRORs and DATA_ERROR_DETAILS on one record, and "Parent entry in error" echoes (folded
into the nearest real error above, or kept when there is none)."""

import csv
import io
import json
from pathlib import Path

import polars as pl
from batchxml import batch, errors, segment, write
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.tools.results import NotAResultsFile, import_results
from onsis_batch.tools.worklist import excel_cell, worklist_csv

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CURRENT = FIXTURES / "results-current.OUT"
PREVIOUS = FIXTURES / "results-previous.OUT"
SSE = "OEN=012345674 / STUDENT_SCHOOL_ENROLMENT"


def rows(imported, *columns):
    return {tuple(r) for r in imported.errors.select(*columns).iter_rows()}


def test_every_error_placement_is_tied_to_its_record_and_level():
    imported = import_results(CURRENT)
    assert imported.schools == ["999001", "999002"]
    assert rows(imported, "level", "segment", "key", "field_name", "message_code") == {
        ("file", "HEADER", "", "DATE", "MHE0001"),
        ("school", "SCHOOL", "999001", "CLEAR_CLASS", "MSC0010"),
        ("segment", "CLASS", "CLASS_CODE=MCV4U-01", "CLASS_END_DATE", "MCL0012"),
        (
            "nested segment",
            "SEGMENT",
            "CLASS_CODE=SCH4U-01 / MINISTRY_DFND_CRS=SCH4U,INSTITUTION_TYPE=,LOCAL_DEV_CRS=,"
            "LANGUAGE_TYPE=E,CREDIT_VALUE=3.00",
            "CREDIT_VALUE",
            "MSG0004",
        ),
        ("segment", "STUDENT", "OEN=012345674", "STUDENT_DOB", "MST0003"),
        ("nested segment", "STUDENT_SCHOOL_ENROLMENT", SSE, "ATTENDANCE_TYPE", "MSE0026"),
        ("nested segment", "STUDENT_SCHOOL_ENROLMENT", SSE, "FTE", "MSE0027"),
        (
            "nested segment",
            "STUDENT_CLASS_ENROLMENT",
            "OEN=023456781 / STUDENT_SCHOOL_ENROLMENT / CLASS_CODE=SCH4U-01",
            "FINAL_MARK",
            "MCE0039",
        ),
        # an echo with no real error above it (school 999002) is kept, not dropped
        (
            "nested segment",
            "STUDENT_SCHOOL_ENROLMENT",
            "OEN=034567898 / STUDENT_SCHOOL_ENROLMENT",
            "",
            "",
        ),
    }
    keyed = rows(imported, "message_code", "oen", "class_code", "school")
    assert ("MCE0039", "023456781", "SCH4U-01", "999001") in keyed
    assert ("MST0003", "012345674", None, "999001") in keyed
    both = imported.errors.filter(pl.col("message_code") == "MSE0026").row(0, named=True)
    assert both["f_message"] == "Le type de fréquentation ne concorde pas avec l'ETP."


def test_parent_echoes_fold_into_the_nearest_real_error_above():
    imported = import_results(CURRENT)
    folded = rows(imported, "segment", "field_name", "folded", "folded_segments")
    assert {
        # SCE MCV4U-01 and its OTHER_COURSE_INFO: SSE has a real error, nearer than STUDENT
        (
            "STUDENT_SCHOOL_ENROLMENT",
            "ATTENDANCE_TYPE",
            2,
            "OTHER_COURSE_INFO, STUDENT_CLASS_ENROLMENT",
        ),
        ("STUDENT", "STUDENT_DOB", 1, "STUDENT_SCHOOL_ENROLMENT"),  # the SSE's own echo
        ("CLASS", "CLASS_END_DATE", 1, "SEGMENT"),
        ("STUDENT_CLASS_ENROLMENT", "FINAL_MARK", 1, "OTHER_COURSE_INFO"),
        # SCE ENG4U-01 has no real error until the school
        ("SCHOOL", "CLEAR_CLASS", 1, "STUDENT_CLASS_ENROLMENT"),
    } <= folded
    echoes = imported.errors.filter(pl.col("e_message") == "Parent entry in error")
    assert echoes.height == 1 and echoes["school"].to_list() == ["999002"]


def test_errors_are_new_recurring_or_resolved_against_the_previous_results():
    imported = import_results(CURRENT, previous=PREVIOUS)
    assert not imported.findings
    status = rows(imported, "status", "message_code")
    assert {("recurring", "MSC0010"), ("recurring", "MCL0012"), ("recurring", "MST0003")} <= status
    assert {("new", "MSE0026"), ("new", "MCE0039"), ("new", "MHE0001")} <= status
    assert {("resolved", "MSE0040"), ("resolved", "MCE0026"), ("resolved", "MSS0002")} <= status
    assert imported.errors["status"].to_list()[:1] == ["new"]  # new first, resolved last
    assert imported.errors["status"].to_list()[-1] == "resolved"


def test_previous_results_of_another_submission_are_flagged(tmp_path):
    other = FIXTURES.joinpath("results-previous.OUT").read_text(encoding="iso-8859-1")
    march = write(tmp_path / "mar.OUT", other.replace(">OCTSEC1<", ">MARSEC2<"))
    imported = import_results(CURRENT, previous=march)
    assert [f.code for f in imported.findings] == ["RES002"]


def test_errors_name_their_source_rows_when_given_the_school_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "students.csv").write_text("student_id,oen\n1,999999999\n2,012-345-674\n")
    imported = import_results(CURRENT, data_dir=data)
    found = dict(rows(imported, "message_code", "source_rows"))
    assert found["MST0003"] == "students row 3"  # dashes in the school data are ignored
    assert found["MSE0026"] == "students row 3"
    assert [f.code for f in imported.findings] == ["RES003"]  # no sections table for class codes


def test_work_list_csv_keeps_leading_zeros_and_defuses_formulas():
    assert excel_cell("012345674", identifier=True) == '="012345674"'
    assert excel_cell('a"b', identifier=True) == '="a""b"'
    assert excel_cell("=HYPERLINK(1)", identifier=False) == "'=HYPERLINK(1)"
    assert excel_cell(None, identifier=True) == ""
    text = worklist_csv(import_results(CURRENT).errors, lang="fr")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text[1:])))
    student = next(r for r in table if r["message_code"] == "MST0003")
    assert student["oen"] == '="012345674"'
    assert student["message"] == "La date de naissance est obligatoire."


def test_results_command_writes_a_work_list_per_school(tmp_path):
    out = tmp_path / "lists"
    runner = CliRunner()
    done = runner.invoke(
        cli, ["results", str(CURRENT), "--previous", str(PREVIOUS), "--out", str(out)]
    )
    assert done.exit_code == 1, done.output  # errors remain open
    assert "school 999001: 4 new, 3 recurring, 2 resolved" in done.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        f"worklist-{b}.{s}" for b in ("999001", "999002") for s in ("csv", "html", "json")
    ]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in out.iterdir())
    listed = json.loads((out / "worklist-999002.json").read_text())
    # the file's own errors (HEADER, SCHOOL_SUBMISSION) are on every school's list
    assert {e["segment"] for e in listed["errors"]} == {
        "HEADER",
        "SCHOOL_SUBMISSION",
        "STUDENT_SCHOOL_ENROLMENT",
    }
    page = (out / "worklist-999001.html").read_text()
    assert 'id="errors"' in page and "MCE0039" in page and "<script" not in page
    oens = {e["oen"] for e in json.loads((out / "worklist-999001.json").read_text())["errors"]}
    assert oens - {None} and not [o for o in oens if o and o in page]  # masked on the page
    assert '<meta name="viewport"' in page and '<div class="scroll">\n<table id="errors">' in page
    runner.invoke(cli, ["results", str(CURRENT), "--out", str(tmp_path / "pii"), "--show-pii"])
    shown = (tmp_path / "pii" / "worklist-999001.html").read_text()
    assert all(o in shown for o in oens - {None})
    as_json = runner.invoke(cli, ["results", str(CURRENT), "--json"])
    assert json.loads(as_json.output)["counts"]["999002"] == {"new": 1}


def test_a_batch_file_or_broken_xml_is_not_a_results_file(tmp_path):
    sent = write(tmp_path / "sent.xml", batch())
    broken = write(tmp_path / "broken.OUT", "<ONSIS_BATCH_FILE_RESULT><DATA>")
    for path in (sent, broken):
        try:
            import_results(path)
        except NotAResultsFile as problem:
            assert problem.findings()[0].code == "RES001"
        else:
            raise AssertionError(f"{path.name} was accepted")
    failed = CliRunner().invoke(cli, ["results", str(sent)])
    assert failed.exit_code == 2 and "RES001" in failed.output
    clean = write(tmp_path / "clean.OUT", batch(root="ONSIS_BATCH_FILE_RESULT"))
    done = CliRunner().invoke(cli, ["results", str(clean)])
    assert done.exit_code == 0 and "no errors" in done.output


def test_an_echo_folds_into_an_error_of_the_submission_itself(tmp_path):
    echo = errors(("", "", "", "Parent entry in error"))
    student = segment("STUDENT", segment("STUDENT_SCHOOL_ENROLMENT", echo, ACTION="ADD"), OEN="1")
    closed = errors(("SUBMISSION_PERIOD_TYPE", "OCTSEC1", "MSS0002", "Closed."))
    text = batch(student, root="ONSIS_BATCH_FILE_RESULT").replace(
        "</SUBMISSION_PERIOD_TYPE>", "</SUBMISSION_PERIOD_TYPE>" + closed
    )
    imported = import_results(write(tmp_path / "r.OUT", text))
    assert rows(imported, "level", "segment", "folded") == {("file", "SCHOOL_SUBMISSION", 1)}


def test_results_text_and_work_list_speak_french(tmp_path):
    from click.testing import CliRunner

    from onsis_batch.cli import cli

    done = CliRunner().invoke(
        cli,
        [
            "results",
            str(FIXTURES / "results-current.OUT"),
            "--previous",
            str(FIXTURES / "results-previous.OUT"),
            "--lang",
            "fr",
            "--out",
            str(tmp_path),
        ],
    )
    assert "école 999001:" in done.output and "récurrent" in done.output
    assert "recurring" not in done.output
    page = (tmp_path / "worklist-999001.html").read_text()
    assert "<th>statut</th>" in page and ">résolu<" in page


def test_results_terminal_and_json_show_oens_by_their_last_digits_unless_asked(tmp_path):
    runner = CliRunner()
    for extra in ([], ["--json"]):
        said = runner.invoke(cli, ["results", str(CURRENT), *extra]).output
        assert "012345674" not in said and "******674" in said, extra
        shown = runner.invoke(cli, ["results", str(CURRENT), *extra, "--show-pii"]).output
        assert "012345674" in shown, extra
