"""Several BSIDs in one call, split over worker processes."""

from datetime import datetime

from onsis_batch.board import generate_many
from onsis_batch.synth import synthesize


def test_generate_many_writes_one_file_per_bsid_with_two_workers(tmp_path):
    summary = synthesize(tmp_path / "board", students=120, schools=3, seed=3, periods=("oct",))
    reports = generate_many(
        summary.data_dir,
        summary.pae_dirs["oct"],
        tmp_path / "out",
        bsids=list(summary.bsids),
        kind="oct",
        school_year="2025-2026",
        created=datetime(2025, 10, 31, 9, 0),
        workers=2,
    )
    results = [r for report in reports for r in report.results]
    assert sorted(r.bsid for r in results) == sorted(summary.bsids)
    assert all(r.output is not None and r.output.exists() for r in results)
    assert all(r.plan is None and r.students > 0 for r in results)


def test_slicing_a_board_to_one_bsid_changes_no_byte(tmp_path):
    import io

    from onsis_batch.pipeline import load_inputs
    from onsis_batch.render import render_plan
    from onsis_batch.segments import build_plan
    from onsis_batch.segments.context import SegmentContext
    from onsis_batch.slicing import tables_for_bsid

    summary = synthesize(tmp_path / "board", students=240, schools=3, seed=5, periods=("mar",))
    bsids = list(summary.bsids)
    inputs, periods = load_inputs(summary.data_dir, summary.pae_dirs["mar"], kind="mar",
                                  school_year="2025-2026", bsids=bsids)
    for bsid in bsids:
        pae = inputs.pae[bsid]
        outputs = []
        for tables in (inputs.tables, tables_for_bsid(inputs.tables, periods[bsid], pae)):
            plan, findings = build_plan(SegmentContext(periods[bsid], tables, pae))
            buffer = io.BytesIO()
            render_plan(plan, buffer, created=datetime(2026, 3, 31, 9, 0))
            outputs.append((buffer.getvalue(), sorted(str(f) for f in findings)))
        assert outputs[0] == outputs[1], f"slicing changed BSID {bsid}"


def test_staged_tables_equal_loaded_tables(tmp_path):
    import shutil

    import polars as pl

    from onsis_batch.resources import data_dir
    from onsis_batch.sources import load_folder, stage_folder

    folder = tmp_path / "data"
    shutil.copytree(data_dir("sample_data"), folder)
    # An optional column left out: the stage fills it with its default, as loading does.
    sections = pl.read_csv(folder / "sections.csv", infer_schema=False)
    sections.drop(sections.columns[-1]).write_csv(folder / "sections.csv")
    loaded = load_folder(folder)
    staged = stage_folder(folder, tmp_path / "stage")
    assert staged.findings == loaded.findings
    assert staged.files == loaded.files
    for name, frame in loaded.tables.items():
        assert staged.scan(name).collect().equals(frame), name


def test_board_files_are_byte_identical_to_one_bsid_runs(tmp_path):
    from onsis_batch.pipeline import generate

    summary = synthesize(tmp_path / "board", students=150, schools=3, seed=11, periods=("jun",))
    created = datetime(2026, 6, 30, 9, 0)
    reports = generate_many(
        summary.data_dir, summary.pae_dirs["jun"], tmp_path / "board_out",
        bsids=list(summary.bsids), kind="jun", school_year="2025-2026", created=created,
        workers=1,
    )
    for result in reports[0].results:
        alone = generate(
            summary.data_dir, summary.pae_dirs["jun"], tmp_path / "alone", bsid=result.bsid,
            kind="jun", school_year="2025-2026", created=created,
        )
        assert result.output is not None and alone.output is not None
        assert result.output.read_bytes() == alone.output.read_bytes(), result.bsid
        assert sorted(map(str, result.findings)) == sorted(map(str, alone.findings))


def test_bad_board_data_stops_every_bsid_with_the_finding_and_no_file(tmp_path):
    summary = synthesize(tmp_path / "board", students=60, schools=2, seed=3, periods=("oct",))
    students = summary.data_dir / "students.csv"
    lines = students.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("birth_date")] = "2009-13-45"
    students.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    reports = generate_many(
        summary.data_dir, summary.pae_dirs["oct"], tmp_path / "out", bsids=list(summary.bsids),
        kind="oct", school_year="2025-2026", created=datetime(2025, 10, 31), workers=2,
    )
    results = [r for report in reports for r in report.results]
    assert sorted(r.bsid for r in results) == sorted(summary.bsids)
    for result in results:
        assert result.output is None and result.exit_code == 2
        assert any(f.code == "SRC004" and f.row == 2 for f in result.findings)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
