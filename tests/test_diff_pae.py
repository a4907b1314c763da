"""`onsis-batch diff FILE --pae DIR` for every segment an extract holds (issue 12 item 6):
layout columns named differently from their elements are mapped in the layout YAML
(D713), list cells count one record per value (D700), and numbers compare as numbers
(D712)."""

from datetime import datetime

import polars as pl
from batchxml import BSID, batch, segment, write
from test_diff import pae_folder

from onsis_batch.pae.extracts import extract_file_name, write_extract
from onsis_batch.pae.layout import load_layouts
from onsis_batch.specs import load_specs
from onsis_batch.tools.diff import diff_files
from onsis_batch.tools.diff_pae import diff_pae, not_comparable

OEN = "111111111"
SSE = f"OEN={OEN} / STUDENT_SCHOOL_ENROLMENT"


def extracts(folder, rows):
    folder.mkdir(exist_ok=True)
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


def programs(*children):
    sse = segment("STUDENT_SCHOOL_ENROLMENT", *children, ACTION="UPDATE")
    return batch(segment("STUDENT", sse, OEN=OEN))


HELD = {
    "0003": [{"oen": OEN}],
    "0026": [{"oen": OEN, "diploma_type": "1", "certificate_issued": datetime(2025, 6, 27).date()}],
    "0027": [
        {
            "oen": OEN,
            "salep_type": "001",
            "status_type": "001",
            "component_types": "001,007",  # one cell, two COMPONENT records
            "start_date": datetime(2025, 9, 15).date(),
        }
    ],
    "0007": [{"oen": OEN, "program_type": "001", "minutes_per_day_of_instruction": 40.0}],
    "0028": [
        {"oen": OEN, "shsm_program_type": "12", "shsm_certification_type": "3"},
        {"oen": OEN, "shsm_program_type": "12", "shsm_certification_type": "5"},
    ],
    "0004": [
        {
            "oen": OEN,
            "class_code": "MCV4U-01",
            "other_course_info_credit_recovery": "1",
            "other_course_info_ministry_content": "2",
        }
    ],
}


def test_every_segment_an_extract_holds_is_compared(tmp_path):
    salep = segment(
        "SALEP",
        segment("COMPONENT", ACTION="DELETE", TYPE="007"),
        segment("COMPONENT", ACTION="ADD", TYPE="010"),
        ACTION="UPDATE",
        TYPE="001",
        START_DATE="2025/09/15",
        STATUS_TYPE="002",
    )
    shsm = segment(
        "SHSM_PROGRAM",
        segment("SHSM_CERTIFICATION", ACTION="ADD", TYPE="5"),
        ACTION="UPDATE",
        TYPE="12",
    )
    sce = segment(
        "STUDENT_CLASS_ENROLMENT",
        segment("OTHER_COURSE_INFO", ACTION="DELETE", OTHER_COURSE_INFO_TYPE="2"),
        ACTION="UPDATE",
        CLASS_CODE="MCV4U-01",
    )
    xml = programs(
        segment("DIPLOMA", ACTION="UPDATE", TYPE="1", CERTIFICATE_ISSUED="2025/06/30"),
        segment("SECOND_LANGUAGE_PROGRAM", ACTION="ADD", TYPE="001"),
        salep,
        shsm,
        sce,
    )
    result = diff_pae(write(tmp_path / "x.xml", xml), extracts(tmp_path / "pae", HELD))
    assert result.not_compared == {}
    salep_key = f"{SSE} / TYPE=001,START_DATE=2025/09/15"
    rows = {(r["segment"], r["key"]): r for r in result.changes.iter_rows(named=True)}
    assert {k: r["change"] for k, r in rows.items()} == {
        ("DIPLOMA", f"{SSE} / TYPE=1"): "update",
        ("SECOND_LANGUAGE_PROGRAM", f"{SSE} / TYPE=001"): "add-existing",
        ("SALEP", salep_key): "update",
        ("SALEP_COMPONENT", f"{salep_key} / TYPE=007"): "delete",
        ("SALEP_COMPONENT", f"{salep_key} / TYPE=010"): "add",
        ("SHSM_CERTIFICATION", f"{SSE} / TYPE=12 / TYPE=5"): "add-existing",
        (
            "OTHER_COURSE_INFO",
            f"{SSE} / CLASS_CODE=MCV4U-01 / OTHER_COURSE_INFO_TYPE=2",
        ): "delete",
    }
    assert rows[("DIPLOMA", f"{SSE} / TYPE=1")]["elements"] == [
        {"name": "CERTIFICATE_ISSUED", "old": "2025/06/27", "new": "2025/06/30"}
    ]
    assert rows[("SALEP", salep_key)]["elements"] == [
        {"name": "STATUS_TYPE", "old": "001", "new": "002"}
    ]
    counts = result.counts
    assert counts["SHSM_PROGRAM"] == {"no-change": 1}
    assert counts["SHSM_CERTIFICATION"] == {"add-existing": 1, "untouched": 1}  # 3: not sent
    assert counts["SALEP_COMPONENT"] == {"add": 1, "delete": 1, "untouched": 1}  # 001 kept
    assert counts["OTHER_COURSE_INFO"] == {"delete": 1, "untouched": 1}  # type 1 not sent


def test_only_segments_no_extract_holds_are_left_out():
    left = {name for name, spec in load_specs().items() if not_comparable(spec)}
    assert {n for n in left if load_specs()[n].pae_extract} == set()
    assert {"PLAR", "OTHER_CREDIT"} <= left  # no extract layout holds them


def test_every_layout_element_mapping_names_a_segment_of_its_extract():
    specs = load_specs()
    for extract, layout in load_layouts().items():
        for column in layout.columns:
            for held in column.element:
                segment_name, element = held.split(".")
                spec = specs[segment_name]
                assert spec.pae_extract == extract, column
                assert spec.element(element) is not None, column


def test_numbers_compare_as_numbers_and_each_line_names_the_school(tmp_path):
    def fte(value, mark):
        sce = segment(
            "STUDENT_CLASS_ENROLMENT", ACTION="UPDATE", CLASS_CODE="MCV4U-01", FINAL_MARK=mark
        )
        sse = segment("STUDENT_SCHOOL_ENROLMENT", sce, ACTION="UPDATE", FTE=value)
        return batch(segment("STUDENT", sse, OEN=OEN))

    a = write(tmp_path / "a.xml", fte(".50", "075"))
    assert not diff_files(a, write(tmp_path / "b.xml", fte("0.5", "75.0"))).differs
    assert not diff_files(a, write(tmp_path / "c.xml", fte("0.500", "+75"))).differs
    exact = diff_files(a, write(tmp_path / "d.xml", fte("0.505", "75")))
    [row] = exact.changes.to_dicts()
    assert row["elements"] == [{"name": "FTE", "old": "0.50", "new": "0.505"}]
    assert not diff_files(
        write(tmp_path / "e.xml", fte("100", "")), write(tmp_path / "f.xml", fte("100.00", ""))
    ).differs
    from onsis_batch.tools.diff_report import diff_text

    assert f"~ {BSID} STUDENT_SCHOOL_ENROLMENT {SSE} [changed, UPDATE]" in diff_text(exact)


def test_a_pae_decimal_equals_the_same_number_in_the_file(tmp_path):
    xml = batch(
        segment(
            "STUDENT",
            segment("STUDENT_SCHOOL_ENROLMENT", ACTION="UPDATE", GRADE_TYPE="10"),
            OEN="111111111",
        )
    )
    result = diff_pae(write(tmp_path / "x.xml", xml), pae_folder(tmp_path))
    assert result.counts["STUDENT_SCHOOL_ENROLMENT"]["no-change"] == 1


def test_files_too_large_for_the_memory_are_refused_with_the_figures(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from click.testing import CliRunner
    from test_results import CURRENT

    from onsis_batch.cli import cli
    from onsis_batch.tools import memory

    a = write(tmp_path / "a.xml", programs())
    monkeypatch.setattr(
        memory.psutil, "virtual_memory", lambda: SimpleNamespace(available=100_000_000)
    )
    runner = CliRunner()
    refused = runner.invoke(cli, ["diff", str(a), str(a)])
    assert refused.exit_code == 2 and "DIF002" in refused.output
    assert "100 MB is available" in refused.output and "needs about 300 MB" in refused.output
    pae = runner.invoke(cli, ["diff", str(a), "--pae", str(pae_folder(tmp_path))])
    assert pae.exit_code == 2 and "DIF002" in pae.output
    results = runner.invoke(cli, ["results", str(CURRENT)])
    assert results.exit_code == 2 and "RES004" in results.output
    [found] = memory.memory_findings("DIF002", [a], available=0)
    assert found.severity == "error"
    assert memory.memory_findings("DIF002", [a], available=10**12) == []
