"""`onsis-batch preview`: the figures OnSIS shows after an upload, from the batch file
(D880-D884). Small hand-written batch files (tests/batchxml.py) give each figure known
values; the PAE counts only where the file does not resend a record and the file's
CLEAR_* flag does not purge it."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path

from batchxml import BSID, batch, segment, write
from builders import YEAR, pae_frame
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from onsis_batch.cli import cli
from onsis_batch.pae.extracts import extract_file_name, write_extract
from onsis_batch.resources import data_dir
from onsis_batch.tools.preview.figures import preview

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "onsis_batch" / "cli" / "output.schema.json").read_text("utf-8")
)
FLAGS_N = "".join(
    f"<CLEAR_{name}>N</CLEAR_{name}>"
    for name in (
        "PENDING_AREA",
        "SCHOOL_EDUCATOR_ASSIGNMENT",
        "STUDENT_SCHOOL_ENROLMENT",
        "CLASS",
        "STUDENT_NON_ENROLMENT",
        "NE_SHSM",
    )
)
FLAGS_Y = FLAGS_N.replace("<CLEAR_STUDENT_SCHOOL_ENROLMENT>N", "<CLEAR_STUDENT_SCHOOL_ENROLMENT>Y")


def student(oen: str, grade: str, attendance: str, fte: str, *children: str, end: str = "") -> str:
    enrolment = segment(
        "STUDENT_SCHOOL_ENROLMENT",
        *children,
        ACTION="ADD",
        GRADE_TYPE=grade,
        ATTENDANCE_TYPE=attendance,
        FTE=fte,
        HIGH_CREDIT_FTE="0.00",
        ENROLMENT_END_DATE=end or None,
    )
    return segment("STUDENT", enrolment, OEN=oen)


def class_enrolment(code: str, earned: str) -> str:
    return segment(
        "STUDENT_CLASS_ENROLMENT", ACTION="ADD", CLASS_CODE=code, EARNED_CREDIT_VALUE=earned
    )


def diploma(kind: str, action: str = "ADD") -> str:
    return segment("DIPLOMA", ACTION=action, TYPE=kind, CERTIFICATE_ISSUED="2025/10/20")


def october(tmp_path: Path, flags: str = FLAGS_Y, name: str = "oct.xml") -> Path:
    text = batch(
        student("012345671", "12", "FT", "1.00", class_enrolment("MCV4U-01", "1.00"), diploma("1")),
        student(
            "012345672",
            "12",
            "PT",
            "0.50",
            class_enrolment("MCV4U-01", "0.50"),
            diploma("7", "DELETE"),
        ),
        student("012345673", "9", "FT", "1.00"),
        student("012345674", "9", "FT", "0.75", end="2025/10/15"),  # left: not enrolled
        school_extra=flags,
    )
    return write(tmp_path / name, text)


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["preview", *[str(a) for a in args]])
    return result.exit_code, result.output


def figures(*args: object) -> dict:
    code, text = run(*args, "--json")
    data = json.loads(text)
    assert not list(Draft202012Validator(SCHEMA).iter_errors(data))
    assert data["command"] == "preview" and data["exit_code"] == code == 0
    return data


def values(data: dict, name: str) -> dict[tuple[str, str], float]:
    (figure,) = [f for f in data["figures"] if f["name"] == name]
    return {(r["group"], r["measure"]): r["value"] for r in figure["rows"]}


def test_figures_of_a_batch_file(tmp_path):
    data = figures(october(tmp_path))
    assert data["period"] == {"code": "OCTSEC1", "short": "oct"} and data["schools"] == [BSID]
    assert values(data, "enrolment") == {
        ("9 FT", "rows"): 1,  # the student who left is not enrolled on the count date
        ("12 FT", "rows"): 1,
        ("12 PT", "rows"): 1,
        ("total", "rows"): 3,
    }
    assert values(data, "fte") == {
        ("9", "FTE"): 1.75,
        ("12", "FTE"): 1.5,
        ("total", "FTE"): 3.25,
        ("9", "HIGH_CREDIT_FTE"): 0.0,
        ("12", "HIGH_CREDIT_FTE"): 0.0,
        ("total", "HIGH_CREDIT_FTE"): 0.0,
    }
    assert values(data, "credits")[("total", "EARNED_CREDIT_VALUE")] == 1.5
    assert values(data, "diplomas") == {("1", "rows"): 1, ("total", "rows"): 1}  # DELETE gone
    assert data["differences"] is None
    assert all(s.endswith(": file") for f in data["figures"] for s in f["sources"])


def pae_folder(tmp_path: Path) -> Path:
    pae = tmp_path / "pae"
    pae.mkdir()
    held = {
        "0003": [
            {"oen": "012345671", "grade_type": "11", "attendance_type": "FT", "fte": 1.0},
            {"oen": "012345679", "grade_type": "10", "attendance_type": "FT", "fte": 1.0},
        ],
        "0026": [
            {"oen": "012345672", "diploma_type": "7", "certificate_issued": "2025-06-20"},
            {"oen": "012345678", "diploma_type": "1", "certificate_issued": "2025-06-20"},
        ],
    }
    for extract, rows in held.items():
        write_extract(
            pae / extract_file_name(extract),
            extract,
            school_year=YEAR,
            period_description="October Secondary School",
            blocks=[(BSID, "Test School", pae_frame(rows, extract).drop("_row"))],
            created=datetime(2025, 10, 1, 8, 0),
        )
    return pae


def test_the_pae_counts_what_the_file_does_not_resend_unless_a_clear_flag_purges_it(tmp_path):
    pae = pae_folder(tmp_path)
    kept = figures(october(tmp_path, FLAGS_N, "n.xml"), "--pae", pae)
    # held 012345679 stays; held 012345671 is resent by the file, which wins (grade 12)
    assert values(kept, "enrolment")[("10 FT", "rows")] == 1
    assert values(kept, "enrolment")[("total", "rows")] == 4
    assert ("11 FT", "rows") not in values(kept, "enrolment")
    # a diploma OnSIS holds stays; one the file deletes does not
    assert values(kept, "diplomas") == {("1", "rows"): 2, ("total", "rows"): 2}
    sources = {f["name"]: f["sources"] for f in kept["figures"]}
    assert sources["enrolment"] == ["STUDENT_SCHOOL_ENROLMENT: file + PAE 0003"]
    assert sources["credits"][1:] == ["PLAR: file", "OTHER_CREDIT: file"]
    purged = figures(october(tmp_path, FLAGS_Y, "y.xml"), "--pae", pae)
    assert values(purged, "enrolment")[("total", "rows")] == 3
    assert purged["figures"][0]["sources"] == [
        "STUDENT_SCHOOL_ENROLMENT: file (CLEAR_STUDENT_SCHOOL_ENROLMENT Y)"
    ]
    assert values(purged, "diplomas")[("total", "rows")] == 2  # no CLEAR flag for diplomas


def test_differences_from_a_previous_file_or_its_saved_preview(tmp_path):
    before = write(
        tmp_path / "before.xml",
        batch(student("012345671", "12", "FT", "1.00"), student("012345673", "9", "FT", "1.00")),
    )
    now = october(tmp_path)
    data = figures(now, "--compare", before)
    changes = {(c["figure"], c["group"], c["measure"]): c for c in data["differences"]}
    assert changes[("enrolment", "12 PT", "rows")]["change"] == 1
    assert changes[("enrolment", "total", "rows")] == {
        "figure": "enrolment",
        "segment": "STUDENT_SCHOOL_ENROLMENT",
        "group": "total",
        "measure": "rows",
        "previous": 2.0,
        "current": 3.0,
        "change": 1.0,
    }
    assert ("enrolment", "9 FT", "rows") not in changes  # the same both times
    saved = tmp_path / "before.json"
    saved.write_text(json.dumps(figures(before)), encoding="utf-8")
    assert figures(now, "--compare", saved)["differences"] == data["differences"]
    code, text = run(now, "--compare", before)
    assert code == 0 and "Differences from the previous period" in text and "(+1)" in text


def test_previous_figures_of_another_school_are_flagged(tmp_path):
    other = write(
        tmp_path / "other.xml", batch(student("012345671", "12", "FT", "1"), bsid="999002")
    )
    data = figures(october(tmp_path), "--compare", other)
    assert [f["code"] for f in data["findings"]] == ["LST004"]


def test_files_that_cannot_be_read_are_input_errors(tmp_path):
    junk = write(tmp_path / "junk.xml", "not xml at all")
    code, text = run(junk)
    assert code == 2 and "LST002" in text
    code, text = run(october(tmp_path), "--compare", junk)
    assert code == 2 and "LST003" in text
    other_json = tmp_path / "other.json"
    other_json.write_text(json.dumps({"command": "diff"}), encoding="utf-8")
    code, text = run(october(tmp_path), "--compare", other_json)
    assert code == 2 and "LST003" in text


def test_terminal_and_html_page_in_both_languages(tmp_path):
    now = october(tmp_path)
    code, text = run(now)
    assert code == 0 and "Enrolment by grade and attendance type" in text
    assert "12 PT" in text and "3.25" in text and "Total" in text
    page_path = tmp_path / "preview.html"
    code, _ = run(now, "--html", page_path, "--compare", now, "--lang", "fr")
    page = html.unescape(page_path.read_text(encoding="utf-8"))
    assert code == 0 and '<html lang="fr">' in page and "Aperçu de vérification" in page
    assert "Effectifs par année d'études et type de fréquentation" in page
    assert "Aucun écart." in page and "<script" not in page
    assert oct(page_path.stat().st_mode & 0o777) == "0o600"


def test_the_sample_file_s_figures_add_up(tmp_path):
    golden = data_dir("sample_data").parent / "tests" / "golden"
    data = figures(golden / "ONSIS_JUNSEC1_20260630_998467.xml")
    for figure in data["figures"]:
        by_measure: dict[tuple[str, str], float] = {}
        for row in figure["rows"]:
            if row["group"] != "total":
                key = (row["segment"], row["measure"])
                by_measure[key] = by_measure.get(key, 0) + row["value"]
        totals = {
            (r["segment"], r["measure"]): r["value"]
            for r in figure["rows"]
            if r["group"] == "total"
        }
        assert all(round(by_measure.get(k, v), 2) == round(v, 2) for k, v in totals.items())
    assert values(data, "diplomas")[("total", "rows")] == 31


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["9", "10", "11", "12"]),
            st.sampled_from(["FT", "PT"]),
            st.sampled_from(["0.00", "0.25", "0.50", "1.00"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_enrolment_and_fte_totals_are_what_the_file_sends(tmp_path, enrolments):
    students = [
        student(f"0123456{n:02d}", grade, kind, fte, end="2025/10/01" if left else "")
        for n, (grade, kind, fte, left) in enumerate(enrolments)
    ]
    path = write(tmp_path / "any.xml", batch(*students))
    result = preview(path)
    by_name = {
        f.name: {(r["group"], r["measure"]): r["value"] for r in f.rows} for f in result.figures
    }
    still = [e for e in enrolments if not e[3]]
    assert by_name["enrolment"].get(("total", "rows"), 0) == len(still)
    assert by_name["fte"][("total", "FTE")] == round(sum(float(e[2]) for e in enrolments), 2)
    for grade in {e[0] for e in still}:
        groups = [v for (g, _), v in by_name["enrolment"].items() if g.split(" ")[0] == grade]
        assert sum(groups) == sum(1 for e in still if e[0] == grade)


def test_the_run_report_shows_the_preview_of_the_file_it_wrote(tmp_path):
    # D970: the registrar sees the figures without a second command; they are the ones
    # `preview --pae` gives for the same file and extracts
    out = tmp_path / "out"
    args = ["generate", "--sample", "--period", "oct", "--out", out, "--html"]
    done = CliRunner().invoke(cli, [str(a) for a in [*args, "--timestamp", "2025-10-31T09:00:00"]])
    assert done.exit_code in (0, 1), done.output
    (written,) = out.glob("ONSIS_*.xml")
    page = html.unescape((out / (written.name + ".report.html")).read_text("utf-8"))
    assert '<a href="#preview">Verification preview</a>' in page
    data = figures(written, "--pae", data_dir("pae_samples") / "OCTSEC1")
    for figure in data["figures"]:
        section = page[page.index(f'id="preview-{figure["name"]}"') :].split("</table>")[0]
        cells = [c for c in (re.sub(r"<[^>]+>", "|", section)).split("|") if c.strip()]
        for row in figure["rows"]:
            value = str(int(row["value"])) if row["measure"] == "rows" else f"{row['value']:.2f}"
            group = "Total" if row["group"] == "total" else row["group"]
            assert any(
                cells[i] == group and cells[i + 2] == value for i in range(len(cells) - 2)
            ), (figure["name"], row)
