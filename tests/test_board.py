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
