"""`onsis-batch lists`: the registrar's operational lists (D870-D877).

Each student list is checked on a small board written as files (one student per case of
its rule), through the command line: the rows listed, the CSV Excel opens with its leading
zeros, the HTML page with OENs masked and names only with --show-pii, the JSON envelope.
The transmission status reads a hand-made output folder.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import date, datetime
from pathlib import Path

from builders import BSID, YEAR, Scenario, pae_frame, write_scenario
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from onsis_batch.cli import cli
from onsis_batch.pae.extracts import extract_file_name, write_extract
from onsis_batch.resources import data_dir
from onsis_batch.tools.lists.rules import list_rules
from onsis_batch.tools.lists.transmission import recorded_verdict

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "onsis_batch" / "cli" / "output.schema.json").read_text("utf-8")
)
IN_OCTOBER, BEFORE = date(2025, 10, 10), date(2025, 6, 20)
SCHOOL = "0100"  # an SIS school number with a leading zero


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def run_json(*args: object) -> dict:
    code, text = run(*args, "--json")
    data = json.loads(text)
    assert not list(Draft202012Validator(SCHEMA).iter_errors(data))
    assert data["command"] == "lists" and data["exit_code"] == code == 0
    return data


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The cells of a CSV file as written (Excel's text formulas included)."""
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def school() -> Scenario:
    scenario = Scenario(schools=[{"school_id": SCHOOL, "bsid": BSID, "language": "E"}])
    scenario.extra["courses"] = [
        {"course_number": "MCV4U1", "ministry_code": "MCV4U", "credit": 1.0},
        {"course_number": "GLE1O1", "ministry_code": "GLE1O", "credit": 0.0},
    ]
    scenario.extra["terms"] = [
        {
            "term_id": "1",
            "school_id": SCHOOL,
            "first_day": date(2025, 9, 2),
            "last_day": date(2026, 1, 30),
        }
    ]
    scenario.extra["sections"] = [
        {
            "section_id": "7",
            "school_id": SCHOOL,
            "course_number": "MCV4U1",
            "term_id": "1",
            "class_code": "0MCV4-01",
        },
        {
            "section_id": "8",
            "school_id": SCHOOL,
            "course_number": "GLE1O1",
            "term_id": "1",
            "class_code": "GLE1O-01",
        },
    ]
    return scenario


def enrolled(scenario: Scenario, sid: str, oen: str, **values: object) -> Scenario:
    student = {k: v for k, v in values.items() if k in ("diploma_type", "diploma_date")}
    enrolment = {k: v for k, v in values.items() if k not in student}
    enrolment.setdefault("entry", date(2025, 9, 2))
    scenario.student(sid, oen, **student).enrol(sid, school_id=SCHOOL, **enrolment)
    return scenario


def grade(sid: str, number: str, mark: str, when: date, section: str = "7", **more: object):
    return {
        "grade_id": f"{sid}-{number}-{mark}-{when}",
        "student_id": sid,
        "school_id": SCHOOL,
        "course_number": number,
        "section_id": section,
        "grade": mark,
        "potential_credit": 1.0 if number == "MCV4U1" else 0.0,
        "credit_date": when,
        **more,
    }


def written(tmp_path: Path, scenario: Scenario, pae_0026: list | None = None) -> list[str]:
    data, pae = write_scenario(scenario, tmp_path / "board")
    if pae_0026 is not None:
        write_extract(
            pae / extract_file_name("0026"),
            "0026",
            school_year=YEAR,
            period_description="October Secondary School",
            blocks=[(BSID, "Sample Secondary School", pae_frame(pae_0026, "0026").drop("_row"))],
            created=datetime(2025, 10, 1, 8, 0),
        )
    return ["--data", str(data), "--pae", str(pae), "--period", "oct", "--year", YEAR]


# --- lists alone ------------------------------------------------------------------------


def test_lists_alone_names_every_list_with_its_description_in_both_languages():
    code, text = run("lists")
    assert code == 0
    for rule in list_rules().values():
        assert f"{rule.name}  " in text or text.rstrip().endswith(rule.en)
        assert rule.en in text
    assert set(list_rules()) == {"failing-marks", "no-diploma", "no-exit-code", "transmission"}
    french = run("lists", "--lang", "fr")[1]
    assert list_rules()["no-diploma"].fr in french and "DESO" in french
    data = run_json("lists")
    assert [entry["name"] for entry in data["lists"]] == list(list_rules())


def test_an_unknown_list_or_missing_options_are_usage_errors(tmp_path):
    assert run("lists", "failing")[0] == 2
    assert run("lists", "failing-marks", "--period", "oct")[0] == 2  # no --data, --year
    assert run("lists", "transmission")[0] == 2  # no --out
    assert run("lists", "transmission", "--out", tmp_path, "--period", "oct")[0] == 2


# --- failing marks ------------------------------------------------------------------------


def failing_board() -> Scenario:
    scenario = school()
    for sid in "12345":
        enrolled(scenario, sid, f"01234567{sid}", grade_level="12")
    scenario.extra["stored_grades"] = [
        grade("1", "MCV4U1", "49", IN_OCTOBER),  # listed: fails a credit course in the period
        grade("2", "MCV4U1", "50", IN_OCTOBER),  # the pass mark passes
        grade("3", "MCV4U1", "I", IN_OCTOBER),  # a letter is no mark
        grade("4", "GLE1O1", "30", IN_OCTOBER, section="8"),  # no credit attempted
        grade("5", "MCV4U1", "20", BEFORE),  # stored before the period
        grade("5", "MCV4U1", "10", IN_OCTOBER, exclude_from_transcript=True),
    ]
    return scenario


def test_failing_marks_lists_marks_below_50_in_credit_courses_stored_in_the_period(tmp_path):
    options = written(tmp_path, failing_board())
    data = run_json("lists", "failing-marks", *options)
    assert data["count"] == 1 and data["rule"]["pass_mark"] == 50
    (row,) = data["rows"]
    assert row["oen"] == "******671" and row["mark"] == 49 and row["class_code"] == "0MCV4-01"
    assert row["course_code"] == "MCV4U" and row["mark_date"] == "2025-10-10"
    assert "name" not in row and data["period"] == {"code": "OCTSEC1", "short": "oct"}


def test_the_csv_keeps_leading_zeros_for_excel_and_is_owner_only(tmp_path):
    options = written(tmp_path, failing_board())
    out = tmp_path / "lists"
    code, text = run("lists", "failing-marks", *options, "--out", out, "--show-pii")
    assert code == 0 and "written:" in text
    path = out / "failing-marks-oct-2025-2026.csv"
    raw = path.read_bytes().decode("utf-8")  # read_text would fold the \r\n
    assert raw.startswith("\ufeff") and "\r\n" in raw
    rows = csv_rows(path)
    # Excel reads ="0123" as the text 0123: OENs, SIS schools and class codes keep their zeros
    assert rows[0]["oen"] == '="012345671"'
    assert rows[0]["school_id"] == '="0100"' and rows[0]["class_code"] == '="0MCV4-01"'
    assert rows[0]["bsid"] == f'="{BSID}"' and rows[0]["mark"] == "49"
    assert rows[0]["name"] == "Family1, Given1"
    for written_file in out.iterdir():
        assert stat.S_IMODE(written_file.stat().st_mode) == 0o600


def test_the_html_page_masks_oens_and_leaves_names_out_unless_asked(tmp_path):
    options = written(tmp_path, failing_board())
    out = tmp_path / "lists"
    run("lists", "failing-marks", *options, "--out", out)
    page = (out / "failing-marks-oct-2025-2026.html").read_text(encoding="utf-8")
    assert "******671" in page and "012345671" not in page and "Family1" not in page
    assert "OENs are masked" in page and "<table" in page and "pass_mark" in page
    assert "<script" not in page and "http" not in page  # one file, nothing fetched
    run("lists", "failing-marks", *options, "--out", out, "--show-pii", "--lang", "fr")
    page = (out / "failing-marks-oct-2025-2026.html").read_text(encoding="utf-8")
    assert "012345671" in page and "Family1, Given1" in page
    assert '<html lang="fr">' in page and "Code de classe" in page and "note de passage" in page


def test_the_terminal_table_masks_oens(tmp_path):
    code, text = run("lists", "failing-marks", *written(tmp_path, failing_board()))
    assert code == 0 and "******671" in text and "012345671" not in text
    assert "rows: 1" in text and "Family1" not in text


# --- no diploma ---------------------------------------------------------------------------


def test_no_diploma_lists_last_year_students_without_an_ossd_here_or_in_onsis(tmp_path):
    scenario = school()
    enrolled(scenario, "1", "012345671", grade_level="12")  # listed
    enrolled(
        scenario,
        "2",
        "012345672",
        grade_level="12",
        diploma_type="1",
        diploma_date=date(2025, 6, 20),
    )
    enrolled(scenario, "3", "012345673", grade_level="12")  # OnSIS holds an OSSD
    enrolled(scenario, "4", "012345674", grade_level="11")
    enrolled(scenario, "5", "012345675", grade_level="12", exit=date(2025, 10, 1), exit_code="71")
    enrolled(
        scenario,
        "6",
        "012345676",
        grade_level="12",
        diploma_type="7",
        diploma_date=date(2025, 6, 20),
    )  # an OSSC is no OSSD: listed
    enrolled(scenario, "7", "012345677", grade_level="12", is_cross_enrolment=True)
    held = [
        {"oen": "012345673", "diploma_type": "1", "certificate_issued": "2025-06-20"},
        {"oen": "012345671", "diploma_type": "7", "certificate_issued": "2025-06-20"},
    ]
    data = run_json("lists", "no-diploma", *written(tmp_path, scenario, held), "--show-pii")
    assert [(r["oen"], r["diploma_type"]) for r in data["rows"]] == [
        ("012345671", None),
        ("012345676", "7"),
    ]
    assert data["rows"][0]["name"] == "Family1, Given1"


# --- no exit code -------------------------------------------------------------------------


def test_no_exit_code_lists_enrolments_ended_this_year_without_a_code(tmp_path):
    scenario = school()
    enrolled(scenario, "1", "012345671", exit=date(2025, 10, 3))  # listed
    enrolled(scenario, "2", "012345672", exit=date(2025, 10, 3), exit_code="71")
    enrolled(scenario, "3", "012345673", entry=date(2024, 9, 3), exit=date(2025, 6, 27))
    enrolled(scenario, "4", "012345674", exit=date(2025, 10, 3))  # went on at the school
    scenario.enrol("4", date(2025, 10, 6), school_id=SCHOOL, grade_level="12")
    enrolled(scenario, "5", "012345675", exit=date(2025, 11, 20))  # after the count date
    data = run_json("lists", "no-exit-code", *written(tmp_path, scenario))
    assert [(r["oen"], r["exit_date"]) for r in data["rows"]] == [("******671", "2025-10-03")]
    assert data["rule"] == {"window": "school_year", "continued_within_days": 3}


def test_every_list_runs_on_the_sample(tmp_path):
    for name in ("failing-marks", "no-diploma", "no-exit-code"):
        data = run_json("lists", name, "--sample", "--period", "jun")
        assert data["bsids"] == ["998467"] and data["columns"] == [
            c for c in list_rules()[name].columns if c != "name"
        ]
    assert run_json("lists", "failing-marks", "--sample", "--period", "jun")["count"] > 0


# --- transmission status ------------------------------------------------------------------


def manifest(bsid: str, created: str, errors: int = 0, warnings: int = 0, **more) -> dict:
    name = f"ONSIS_OCTSEC1_20251031_{bsid}.xml"
    return {
        "format": "onsis-batch-manifest/1",
        "created": created,
        "options": {"bsid": bsid, "period": "oct", "school_year": YEAR, "period_code": "OCTSEC1"},
        "output": {"path": name, "sha256": "0" * 64, "size": 1},
        "findings": {"by_severity": {"error": errors, "warning": warnings, "info": 0}},
        **more,
    }


def out_folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    files = {
        "ONSIS_OCTSEC1_20251030_012345.xml.manifest.json": manifest(
            "012345", "2025-10-30T09:00:00"
        ),
        "ONSIS_OCTSEC1_20251031_012345.xml.manifest.json": manifest(
            "012345", "2025-10-31T09:00:00", errors=2, warnings=1
        ),
        "ONSIS_OCTSEC1_20251031_023456.xml.manifest.json": manifest(
            "023456", "2025-10-31T09:00:00"
        ),
        "ONSIS_MARSEC2_20260331_023456.xml.manifest.json": manifest(
            "023456", "2026-03-31T09:00:00", warnings=3
        )
        | {
            "options": {
                "bsid": "023456",
                "period": "mar",
                "school_year": YEAR,
                "period_code": "MARSEC2",
            }
        },
        "board-summary-oct-2025-2026.json": {
            "schema": "onsis-batch/1",
            "command": "board",
            "verdict": "errors",
            "exit_code": 2,
            "period": {"code": "OCTSEC1", "short": "oct"},
            "school_year": YEAR,
            "schools": [
                {"bsid": "034567", "output": None, "findings_by_severity": {"error": 4}},
                {"bsid": "012345", "output": "ONSIS_OCTSEC1_20251031_012345.xml"},
            ],
        },
        "worklist-012345.json": {
            "file": "ONSIS_OCTSEC1_012345.OUT",
            "period": "OCTSEC1",
            "school_year": YEAR,
            "schools": ["012345"],
            "errors": [
                {"school": "012345", "status": "new"},
                {"school": "", "status": "recurring"},
                {"school": "012345", "status": "resolved"},
            ],
        },
        "broken.manifest.json": "{not json",
    }
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (out / name).write_text(text, encoding="utf-8")
    return out


def test_transmission_shows_each_school_s_last_file_verdict_and_open_results_errors(tmp_path):
    out = out_folder(tmp_path)
    data = run_json("lists", "transmission", "--out", out, "--period", "oct", "--year", YEAR)
    rows = {r["bsid"]: r for r in data["rows"]}
    assert list(rows) == ["012345", "023456", "034567"]
    assert rows["012345"]["file"] == "ONSIS_OCTSEC1_20251031_012345.xml"
    assert rows["012345"]["verdict"] == "errors" and rows["012345"]["errors"] == 2
    assert rows["012345"]["results_file"] == "ONSIS_OCTSEC1_012345.OUT"
    assert rows["012345"]["open_errors"] == 2  # new and recurring; resolved is closed
    assert rows["023456"]["verdict"] == "ready" and rows["023456"]["results_file"] is None
    assert rows["034567"]["verdict"] == "nothing-written" and rows["034567"]["file"] == ""
    assert [f["code"] for f in data["findings"]] == ["LST001"]
    # without a period: the newest file of each school, whatever its period
    every = run_json("lists", "transmission", "--out", out)
    assert {r["bsid"]: r["verdict"] for r in every["rows"]}["023456"] == "warnings"
    assert (out / "transmission-status.csv").is_file()
    cells = csv_rows(out / "transmission-status-oct-2025-2026.csv")
    assert [r["bsid"] for r in cells] == ['="012345"', '="023456"', '="034567"']  # zeros kept
    page = (out / "transmission-status-oct-2025-2026.html").read_text("utf-8")
    assert 'class="nothing-written"' in page and "OENs are masked" not in page


def test_the_verdict_is_the_record_s_own_else_its_finding_counts():
    assert recorded_verdict(manifest("012345", "x", errors=1)) == "errors"
    assert recorded_verdict(manifest("012345", "x", warnings=1)) == "warnings"
    assert recorded_verdict(manifest("012345", "x")) == "ready"
    assert recorded_verdict(manifest("012345", "x", errors=1, verdict="ready")) == "ready"
    assert recorded_verdict({"output": None, "findings_by_severity": {}}) == "nothing-written"
    assert recorded_verdict({"output": "f.xml", "findings_by_severity": {"warning": 2}}) == (
        "warnings"
    )


def test_board_writes_the_transmission_status_beside_its_summary(tmp_path):
    out = tmp_path / "out"
    code, _ = run(
        "board",
        "--data",
        data_dir("sample_data"),
        "--pae",
        data_dir("pae_samples") / "OCTSEC1",
        "--period",
        "oct",
        "--year",
        YEAR,
        "--out",
        out,
        "--workers",
        "1",
        "-q",
        "--timestamp",
        "2025-10-31T09:00:00",
    )
    assert code == 0
    (row,) = csv_rows(out / "transmission-status-oct-2025-2026.csv")
    assert row["bsid"] == '="998467"' and row["file"] == '="ONSIS_OCTSEC1_20251031_998467.xml"'
    assert (out / "transmission-status-oct-2025-2026.html").is_file()
