"""`onsis-batch diff`: records matched on natural keys at every nesting level."""

import json
from datetime import datetime

import polars as pl
from batchxml import BSID, batch, segment, write
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.pae.extracts import extract_file_name, write_extract
from onsis_batch.tools.diff import diff_files
from onsis_batch.tools.diff_pae import diff_pae
from onsis_batch.tools.diff_report import diff_html, diff_text


def klass(code, end="2026/01/30", credit="1.00", action="ADD"):
    seg = segment(
        "SEGMENT",
        ACTION=action,
        MINISTRY_DFND_CRS="MCV4U",
        INSTITUTION_TYPE=None,
        LOCAL_DEV_CRS=None,
        LANGUAGE_TYPE="E",
        CREDIT_VALUE=credit,
        TOTAL_CLASS_COURSE="110",
    )
    return segment("CLASS", seg, ACTION=action, CLASS_CODE=code, CLASS_END_DATE=end)


def student(oen, *classes, grade="11", last="Smith", action="UPDATE"):
    sse = segment("STUDENT_SCHOOL_ENROLMENT", *classes, ACTION=action, GRADE_TYPE=grade)
    return segment("STUDENT", sse, OEN=oen, STUDENT_LEGAL_LAST_NAME=last)


def sce(code, mark="", action="UPDATE", *infos):
    other = [segment("OTHER_COURSE_INFO", ACTION="ADD", OTHER_COURSE_INFO_TYPE=t) for t in infos]
    return segment(
        "STUDENT_CLASS_ENROLMENT", *other, ACTION=action, CLASS_CODE=code, FINAL_MARK=mark
    )


OLD = batch(
    klass("MCV4U-01"),
    klass("SCH4U-01"),
    student("111111111", sce("MCV4U-01", "70", "UPDATE", "1"), sce("ENG4U-01", "80")),
    student("222222222", sce("SCH4U-01")),
)
NEW = batch(
    klass("mcv4u-01", credit="1.0"),  # same class: codes match case-insensitively, 1.0 = 1.00
    klass("SCH4U-01", end="2026/06/26"),  # changed at level 1
    klass("ENG4U-01"),  # added at level 1
    student(
        "111111111",
        sce("MCV4U-01", "75", "UPDATE", "2"),  # changed at level 3; info 1 -> 2 at level 4
        sce("BIO4U-01", "", "ADD"),  # added at level 3 (ENG4U-01 removed)
        grade="12",  # changed at level 2 (SSE has no key of its own)
        last="Smyth",
    ),
    student("333333333", action="ADD"),  # added (222222222 removed, with its children)
)


def changes(result):
    return {(r["segment"], r["key"], r["change"]) for r in result.changes.iter_rows(named=True)}


def test_diff_reports_added_removed_and_changed_at_every_level(tmp_path):
    result = diff_files(write(tmp_path / "a.xml", OLD), write(tmp_path / "b.xml", NEW))
    sse = "OEN=111111111 / STUDENT_SCHOOL_ENROLMENT"
    assert changes(result) == {
        ("CLASS", "CLASS_CODE=SCH4U-01", "changed"),
        ("CLASS", "CLASS_CODE=ENG4U-01", "added"),
        (
            "SEGMENT",
            "CLASS_CODE=ENG4U-01 / MINISTRY_DFND_CRS=MCV4U,INSTITUTION_TYPE=,"
            "LOCAL_DEV_CRS=,LANGUAGE_TYPE=E,CREDIT_VALUE=1.00",
            "added",
        ),
        ("STUDENT", "OEN=111111111", "changed"),
        ("STUDENT", "OEN=222222222", "removed"),
        ("STUDENT", "OEN=333333333", "added"),
        ("STUDENT_SCHOOL_ENROLMENT", sse, "changed"),
        ("STUDENT_SCHOOL_ENROLMENT", "OEN=222222222 / STUDENT_SCHOOL_ENROLMENT", "removed"),
        ("STUDENT_SCHOOL_ENROLMENT", "OEN=333333333 / STUDENT_SCHOOL_ENROLMENT", "added"),
        ("STUDENT_CLASS_ENROLMENT", f"{sse} / CLASS_CODE=MCV4U-01", "changed"),
        ("STUDENT_CLASS_ENROLMENT", f"{sse} / CLASS_CODE=ENG4U-01", "removed"),
        ("STUDENT_CLASS_ENROLMENT", f"{sse} / CLASS_CODE=BIO4U-01", "added"),
        (
            "STUDENT_CLASS_ENROLMENT",
            "OEN=222222222 / STUDENT_SCHOOL_ENROLMENT / CLASS_CODE=SCH4U-01",
            "removed",
        ),
        ("OTHER_COURSE_INFO", f"{sse} / CLASS_CODE=MCV4U-01 / OTHER_COURSE_INFO_TYPE=1", "removed"),
        ("OTHER_COURSE_INFO", f"{sse} / CLASS_CODE=MCV4U-01 / OTHER_COURSE_INFO_TYPE=2", "added"),
    }
    levels = dict(result.changes.select("segment", "level").unique().iter_rows())
    assert levels == {
        "CLASS": 1,
        "SEGMENT": 2,
        "STUDENT": 1,
        "STUDENT_SCHOOL_ENROLMENT": 2,
        "STUDENT_CLASS_ENROLMENT": 3,
        "OTHER_COURSE_INFO": 4,
    }


def test_a_change_lists_old_and_new_values_and_masks_personal_ones(tmp_path):
    result = diff_files(write(tmp_path / "a.xml", OLD), write(tmp_path / "b.xml", NEW))
    rows = {(r["segment"], r["key"]): r for r in result.changes.iter_rows(named=True)}
    mark = rows[
        (
            "STUDENT_CLASS_ENROLMENT",
            "OEN=111111111 / STUDENT_SCHOOL_ENROLMENT / CLASS_CODE=MCV4U-01",
        )
    ]
    assert mark["elements"] == [{"name": "FINAL_MARK", "old": "70", "new": "75"}]
    assert rows[("CLASS", "CLASS_CODE=SCH4U-01")]["elements"] == [
        {"name": "CLASS_END_DATE", "old": "2026/01/30", "new": "2026/06/26"}
    ]
    name = rows[("STUDENT", "OEN=111111111")]["elements"]
    assert name == [{"name": "STUDENT_LEGAL_LAST_NAME", "old": "(personal)", "new": "(personal)"}]
    assert "Smyth" not in diff_text(result) and "Smyth" not in diff_html(result)
    shown = diff_files(tmp_path / "a.xml", tmp_path / "b.xml", show_pii=True)
    assert "Smyth" in diff_text(shown)


def test_the_diff_page_masks_oens_unless_asked_and_wraps_to_the_screen(tmp_path):
    result = diff_files(write(tmp_path / "a.xml", OLD), write(tmp_path / "b.xml", NEW))
    page = diff_html(result)
    assert "111111111" not in page and "OEN=******111" in page
    assert "OEN=111111111" in diff_html(result, show_pii=True)
    assert '<meta name="viewport"' in page and '<div class="scroll">\n<table id="changes">' in page


def test_identical_files_have_no_differences_and_a_repeated_key_is_numbered(tmp_path):
    twice = batch(klass("X-01", action="UPDATE"), klass("X-01"))
    result = diff_files(write(tmp_path / "a.xml", twice), write(tmp_path / "b.xml", twice))
    assert not result.differs
    assert result.counts["CLASS"] == {"same": 2}
    other = diff_files(tmp_path / "a.xml", write(tmp_path / "c.xml", batch(klass("X-01"))))
    assert changes(other) >= {("CLASS", "CLASS_CODE=X-01 #2", "removed")}


def pae_folder(tmp_path):
    folder = tmp_path / "pae"
    folder.mkdir()
    rows = {
        "0001": [
            {"class_code": "MCV4U-01", "class_end_date": datetime(2026, 1, 30).date()},
            {"class_code": "OLD-01"},
        ],
        "0003": [{"oen": "111111111", "grade_type": "10"}, {"oen": "444444444"}],
        "0004": [{"oen": "111111111", "class_code": "MCV4U-01", "final_mark": 70}],
    }
    for extract, data in rows.items():
        write_extract(
            folder / extract_file_name(extract),
            extract,
            school_year="2025-2026",
            period_description="October Secondary School",
            blocks=[(BSID, "School", pl.DataFrame(data))],
            created=datetime(2025, 10, 1, 8, 0),
        )
    return folder


def test_diff_against_the_pae_says_what_will_change_in_onsis(tmp_path):
    xml = batch(
        klass("MCV4U-01", end="2026/06/26", action="UPDATE"),  # update: end date moves
        klass("NEW-01"),  # add
        student(
            "111111111",
            sce("MCV4U-01", "70", "UPDATE"),  # no change: OnSIS holds mark 70
            sce("ENG4U-01", "80", "UPDATE"),  # update-missing
            grade="11",
        ),
        student("555555555", action="ADD"),
        segment("STUDENT", segment("STUDENT_SCHOOL_ENROLMENT", ACTION="ADD"), OEN="444444444"),
    )
    result = diff_pae(write(tmp_path / "x.xml", xml), pae_folder(tmp_path))
    sse = "OEN=111111111 / STUDENT_SCHOOL_ENROLMENT"
    assert changes(result) >= {
        ("CLASS", "CLASS_CODE=MCV4U-01", "update"),
        ("CLASS", "CLASS_CODE=NEW-01", "add"),
        ("STUDENT_SCHOOL_ENROLMENT", sse, "update"),
        ("STUDENT_CLASS_ENROLMENT", f"{sse} / CLASS_CODE=ENG4U-01", "update-missing"),
        ("STUDENT_SCHOOL_ENROLMENT", "OEN=555555555 / STUDENT_SCHOOL_ENROLMENT", "add"),
        ("STUDENT_SCHOOL_ENROLMENT", "OEN=444444444 / STUDENT_SCHOOL_ENROLMENT", "add-existing"),
    }
    assert result.counts["STUDENT_CLASS_ENROLMENT"]["no-change"] == 1
    assert result.counts["CLASS"]["untouched"] == 1  # OLD-01: held by OnSIS, not in the file
    rows = {(r["segment"], r["key"]): r for r in result.changes.iter_rows(named=True)}
    assert rows[("STUDENT_SCHOOL_ENROLMENT", sse)]["elements"] == [
        {"name": "GRADE_TYPE", "old": "10", "new": "11"}
    ]
    assert "OTHER_COURSE_INFO" not in result.counts
    assert result.not_compared.get("PLAR") is None  # not in the file: nothing to say


def test_diff_command_text_json_html_and_unreadable_file(tmp_path):
    a, b = write(tmp_path / "a.xml", OLD), write(tmp_path / "b.xml", NEW)
    runner = CliRunner()
    text = runner.invoke(cli, ["diff", str(a), str(b), "--html", str(tmp_path / "d.html")])
    assert text.exit_code == 0, text.output
    assert "~ 999001 CLASS CLASS_CODE=SCH4U-01 [changed, ADD]" in text.output
    page = (tmp_path / "d.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'id="changes"' in page and "<link" not in page
    assert (tmp_path / "d.html").stat().st_mode & 0o777 == 0o600
    as_json = runner.invoke(cli, ["diff", str(a), str(b), "--json", "--exit-code"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["counts"]["STUDENT"] == {
        "added": 1,
        "changed": 1,
        "removed": 1,
    }
    bad = write(tmp_path / "bad.xml", "<ONSIS_BATCH_FILE/>")
    failed = runner.invoke(cli, ["diff", str(bad), str(a)])
    assert failed.exit_code == 2 and "DIF001" in failed.output
    usage = runner.invoke(cli, ["diff", str(a)])
    assert usage.exit_code == 2
    held = str(pae_folder(tmp_path))
    pae = runner.invoke(cli, ["diff", str(a), "--pae", held])
    assert pae.exit_code == 0 and "not compared" not in pae.output  # every segment is
    info = "STUDENT_SCHOOL_ENROLMENT / CLASS_CODE=MCV4U-01 / OTHER_COURSE_INFO_TYPE=1"
    assert f"+ 999001 OTHER_COURSE_INFO OEN=******111 / {info} [add, ADD]" in pae.output
    assert "111111111" not in pae.output + as_json.output  # OENs masked unless asked for
    shown = runner.invoke(cli, ["diff", str(a), "--pae", held, "--show-pii"])
    assert f"+ 999001 OTHER_COURSE_INFO OEN=111111111 / {info} [add, ADD]" in shown.output


def test_a_segment_no_spec_names_yet_is_still_compared_by_its_tag(tmp_path):
    def with_future(kind):  # a tag of a later release, unknown to this one's specs
        future = segment("FUTURE_SEGMENT", ACTION="ADD", TYPE=kind)
        sse = segment("STUDENT_SCHOOL_ENROLMENT", future, ACTION="UPDATE")
        return batch(segment("STUDENT", sse, OEN="111111111"))

    a = write(tmp_path / "a.xml", with_future("1"))
    result = diff_files(a, write(tmp_path / "b.xml", with_future("2")))
    assert changes(result) == {
        ("FUTURE_SEGMENT", "OEN=111111111 / STUDENT_SCHOOL_ENROLMENT / FUTURE_SEGMENT", "changed")
    }


def test_a_file_with_a_doctype_is_refused_and_no_entity_is_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    hostile = write(
        tmp_path / "hostile.xml",
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
        + batch(klass("&e;")).split("?>", 1)[1],
    )
    done = CliRunner().invoke(cli, ["diff", str(hostile), str(hostile)])
    assert done.exit_code == 2 and "DIF001" in done.output and "DOCTYPE" in done.output
    assert "TOPSECRET" not in done.output


def test_diff_speaks_french_in_text_and_html(tmp_path):
    import yaml

    from onsis_batch.resources import package_file

    labels = yaml.safe_load(package_file("tools", "diff_labels.yaml").read_text("utf-8"))
    assert set(labels["en"]) == set(labels["fr"])
    assert set(labels["en"]["meanings"]) == set(labels["fr"]["meanings"])
    a, b = write(tmp_path / "a.xml", OLD), write(tmp_path / "b.xml", NEW)
    page = tmp_path / "d.html"
    text = CliRunner().invoke(cli, ["diff", str(a), str(b), "--lang", "fr", "--html", str(page)])
    assert text.exit_code == 0, text.output
    assert "ancien → nouveau" in text.output and "école 999001" in text.output
    html = page.read_text()
    assert '<html lang="fr">' in html and "Différences entre deux soumissions" in html
    assert "seulement dans le nouveau fichier" in html and "Differences between" not in html


def test_a_key_number_no_integer_holds_is_compared_as_written(tmp_path):
    # found by the campaign: CREDIT_VALUE "1e309" (infinite as a float) ended `results` in
    # an internal error while its key path was built
    huge = batch(klass("X-01", credit="1e309"), klass("Y-01", credit="nan"))
    same = diff_files(write(tmp_path / "a.xml", huge), write(tmp_path / "b.xml", huge))
    assert not same.differs
    other = diff_files(tmp_path / "a.xml", write(tmp_path / "c.xml", batch(klass("X-01"))))
    keys = {key for _, key, _ in changes(other)}
    assert any("CREDIT_VALUE=1E309" in key for key in keys), keys
