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
