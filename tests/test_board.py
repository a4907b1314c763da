"""Several BSIDs in one call, split over worker processes."""

from datetime import datetime

from onsis_batch.run.board import generate_many
from onsis_batch.run.request import PlanRequest
from onsis_batch.synth import synthesize


def run_board(summary, out, kind="oct", created=datetime(2025, 10, 31), workers=2):
    """Every BSID of a synthetic board, as `onsis-batch board` runs them."""
    request = PlanRequest(summary.data_dir, summary.pae_dirs[kind], kind, "2025-2026")
    return generate_many(request.for_bsids(summary.bsids), out, created=created, workers=workers)


def test_generate_many_writes_one_file_per_bsid_with_two_workers(tmp_path):
    summary = synthesize(tmp_path / "board", students=120, schools=3, seed=3, periods=("oct",))
    run = run_board(summary, tmp_path / "out", created=datetime(2025, 10, 31, 9, 0))
    assert [r.bsid for r in run.results] == list(summary.bsids)
    assert all(r.output is not None and r.output.exists() for r in run.results)
    assert all(r.plan is None and r.students > 0 for r in run.results)
    assert run.exit_code in (0, 1) and len(run.worker_peaks_mb) == 2


def test_slicing_a_board_to_one_bsid_changes_no_byte(tmp_path):
    import io

    from onsis_batch.render.xml import render_plan
    from onsis_batch.run.planning import load_inputs
    from onsis_batch.run.slicing import tables_for_bsid
    from onsis_batch.segments.build import build_plan
    from onsis_batch.segments.context import SegmentContext

    summary = synthesize(tmp_path / "board", students=240, schools=3, seed=5, periods=("mar",))
    bsids = list(summary.bsids)
    inputs, periods = load_inputs(
        PlanRequest(summary.data_dir, summary.pae_dirs["mar"], "mar", "2025-2026", tuple(bsids))
    )
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
    from onsis_batch.run.pipeline import generate

    summary = synthesize(tmp_path / "board", students=150, schools=3, seed=11, periods=("jun",))
    created = datetime(2026, 6, 30, 9, 0)
    run = run_board(summary, tmp_path / "board_out", kind="jun", created=created, workers=1)
    for result in run.results:
        request = PlanRequest(summary.data_dir, summary.pae_dirs["jun"], "jun", "2025-2026")
        alone = generate(request.for_bsids([result.bsid]), tmp_path / "alone", created=created)
        assert result.output is not None and alone.output is not None
        assert result.output.read_bytes() == alone.output.read_bytes(), result.bsid
        assert sorted(map(str, result.findings)) == sorted(map(str, alone.findings))


def _break_cell(path, column, row_of_student=None, value="2009-13-45"):
    """Put a bad value in one row of a CSV (the first, or that of a student); its row number."""
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False)
    index = (
        0
        if row_of_student is None
        else frame.get_column("student_id").to_list().index(row_of_student)
    )
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == index)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    )
    frame.write_csv(path)
    return index + 2


def test_a_bad_row_stops_only_the_bsid_it_belongs_to(tmp_path):
    import polars as pl

    summary = synthesize(tmp_path / "board", students=90, schools=3, seed=3, periods=("oct",))
    enrolments = pl.read_csv(summary.data_dir / "school_enrolments.csv", infer_schema=False)
    schools = pl.read_csv(summary.data_dir / "schools.csv", infer_schema=False)
    first = enrolments.row(0, named=True)
    broken_bsid = schools.filter(pl.col("school_id") == first["school_id"])["bsid"][0]
    row = _break_cell(summary.data_dir / "school_enrolments.csv", "entry_date")
    run = run_board(summary, tmp_path / "out")
    by_bsid = {r.bsid: r for r in run.results}
    broken = by_bsid.pop(broken_bsid)
    assert broken.output is None and broken.exit_code == 2
    assert any(f.code == "SRC004" and f.row == row for f in broken.findings)
    assert by_bsid and all(r.output is not None for r in by_bsid.values())
    assert all(not any(f.code == "SRC004" for f in r.findings) for r in by_bsid.values())
    assert any(f.code == "SRC004" for f in run.data_findings)
    assert run.exit_code == 2


def test_a_board_wide_problem_stops_every_bsid_with_the_finding(tmp_path):
    summary = synthesize(tmp_path / "board", students=60, schools=2, seed=3, periods=("oct",))
    (summary.data_dir / "students.csv").unlink()
    run = run_board(summary, tmp_path / "out")
    assert [r.bsid for r in run.results] == list(summary.bsids)
    for result in run.results:
        assert result.output is None and result.exit_code == 2
        assert any(f.code == "SRC001" for f in result.findings)
    assert not list((tmp_path / "out").glob("*.xml"))


def test_an_internal_error_in_one_bsid_does_not_stop_the_others(tmp_path, monkeypatch):
    import onsis_batch.run.board as board

    summary = synthesize(tmp_path / "board", students=90, schools=3, seed=4, periods=("oct",))
    victim = summary.bsids[0]
    real = board.run_bsid

    def failing(inputs, period, *args, **kwargs):
        if period.bsid == victim:
            raise ZeroDivisionError("a value from the data")
        return real(inputs, period, *args, **kwargs)

    monkeypatch.setattr(board, "run_bsid", failing)
    run = run_board(summary, tmp_path / "out", workers=1)
    failed, *others = run.results
    assert failed.exit_code == 3 and failed.output is None
    (internal,) = [f for f in failed.findings if f.code == "RUN001"]
    assert "ZeroDivisionError" in internal.message_en
    assert "a value from the data" not in internal.message_en
    assert all(r.output is not None for r in others)
    assert run.exit_code == 3


def test_a_bsid_with_a_bad_pae_block_is_reported_alone(tmp_path):
    summary = synthesize(tmp_path / "board", students=90, schools=3, seed=4, periods=("oct",))
    victim = summary.bsids[1]
    for path in summary.pae_dirs["oct"].glob("*0003*"):
        lines = path.read_text(encoding="latin-1").splitlines()
        # Drop the victim's block of extract 0003: its PAE is incomplete (PAE007).
        kept, skipping = [], False
        for line in lines:
            if line.startswith('"H2"'):
                skipping = f'"{victim}"' in line
            if not skipping:
                kept.append(line)
        path.write_text("\n".join(kept) + "\n", encoding="latin-1")
    run = run_board(summary, tmp_path / "out")
    by_bsid = {r.bsid: r for r in run.results}
    assert by_bsid[victim].output is None and by_bsid[victim].exit_code == 2
    assert any(f.code == "PAE007" for f in by_bsid[victim].findings)
    assert all(r.output is not None for b, r in by_bsid.items() if b != victim)


def _chatty_share(job, bsids):
    """A worker whose results are far larger than a pipe holds (several MB each)."""
    from onsis_batch.findings import finding
    from onsis_batch.plan.outcome import RunResult
    from onsis_batch.run.board import report

    for bsid in bsids:
        many = [finding("RUN002", file="x" * 2000) for _ in range(1500)]
        report(RunResult(bsid=bsid, findings=many))
    return 1.0


def test_results_larger_than_the_pipe_never_hang_the_board(tmp_path):
    from onsis_batch.run.board import Job, _in_workers
    from onsis_batch.run.ownership import FindingOwners
    from onsis_batch.sources import StagedData

    staged = StagedData(tmp_path, {}, [])
    when = datetime(2025, 10, 31)
    request = PlanRequest(tmp_path, None, "oct", "2025-2026")
    job = Job(staged, request, tmp_path, when, owners=FindingOwners(staged))
    received = []
    peaks = _in_workers(job, [["1", "2", "3"], ["4", "5"]], received.append, _chatty_share)
    assert sorted(r.bsid for r in received) == ["1", "2", "3", "4", "5"]
    assert peaks == [1.0, 1.0]


def test_a_missing_extract_is_warned_for_each_bsid_by_its_own_number(tmp_path):
    summary = synthesize(tmp_path / "board", students=60, schools=2, seed=3, periods=("oct",))
    pae = summary.pae_dirs["oct"]
    (pae / next(p.name for p in pae.iterdir() if p.name.startswith("EXSMS-0028"))).unlink()
    run = run_board(summary, tmp_path / "out")
    for result in run.results:
        missing = [f for f in result.findings if f.code == "PAE030"]
        assert [(f.key, f.params["extract"]) for f in missing] == [(result.bsid, "0028")]


def test_staged_pae_equals_the_extracts_read_for_each_bsid(tmp_path):
    import stat

    from onsis_batch.pae.extracts import read_pae_folder
    from onsis_batch.run.pae_stage import stage_pae
    from onsis_batch.sources import stage_folder

    summary = synthesize(tmp_path / "board", students=120, schools=3, seed=6, periods=("oct",))
    request = PlanRequest(summary.data_dir, summary.pae_dirs["oct"], "oct", "2025-2026")
    request = request.for_bsids(summary.bsids)
    (tmp_path / "stage").mkdir(mode=0o700)
    staged = stage_folder(summary.data_dir, tmp_path / "stage")
    pae = stage_pae(staged, request, tmp_path / "stage")
    assert pae is not None and pae.covers(summary.bsids[:1])
    read = read_pae_folder(
        summary.pae_dirs["oct"],
        school_year="2025-2026",
        period_code="OCTSEC1",
        period_description="October",
        bsids=list(summary.bsids),
    )
    chunk = pae.chunk_pae(summary.bsids[1:])
    assert sorted(chunk) == sorted(summary.bsids[1:])
    for bsid, extracts in chunk.items():
        for extract, frame in read.for_bsid(bsid).items():
            assert extracts[extract].equals(frame), (bsid, extract)
    for path in pae.extracts.values():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0  # owner-only, like the stage


def test_board_with_staged_pae_equals_workers_reading_the_extracts(tmp_path, monkeypatch):
    import onsis_batch.run.board as board

    summary = synthesize(tmp_path / "board", students=150, schools=4, seed=8, periods=("mar",))
    created = datetime(2026, 3, 31, 9, 0)
    monkeypatch.setattr(board, "SHARE_BSIDS", 3)  # chunks of a share read from the stage
    staged = run_board(summary, tmp_path / "staged", kind="mar", created=created, workers=1)
    # The workers (one, in this process) read the extracts themselves, as without a stage.
    monkeypatch.setattr(board.StagedPae, "covers", lambda *_: False)
    read = run_board(summary, tmp_path / "read", kind="mar", created=created, workers=1)
    for ours, theirs in zip(staged.results, read.results, strict=True):
        assert ours.output is not None and theirs.output is not None
        assert ours.output.read_bytes() == theirs.output.read_bytes(), ours.bsid
        assert sorted(map(str, ours.findings)) == sorted(map(str, theirs.findings))


def test_board_run_of_the_bundled_sample_is_byte_identical_to_generate(tmp_path):
    from onsis_batch.run.pipeline import generate
    from onsis_batch.run.sample import sample_run

    for kind in ("oct", "mar", "jun"):
        data, pae, bsid, year = sample_run(kind)
        request = PlanRequest(data, pae, kind, year).for_bsids([bsid])
        created = datetime(2026, 1, 15, 9, 0)
        run = generate_many(request, tmp_path / f"board_{kind}", created=created, workers=1)
        alone = generate(request, tmp_path / f"alone_{kind}", created=created)
        (result,) = run.results
        assert result.output is not None and alone.output is not None
        assert result.output.read_bytes() == alone.output.read_bytes(), kind
