"""Rewrite the golden files from the bundled sample (run after an intended output change)."""

import shutil
from pathlib import Path

from onsis_batch.run.pipeline import generate
from onsis_batch.run.request import PlanRequest
from onsis_batch.run.sample import sample_run

GOLDEN = Path(__file__).resolve().parent
STAMP = "2025-10-31T09:00:00"


def golden_run(kind: str, out: Path) -> Path:
    """Generate the sample's file for a period with the pinned timestamp; return its path."""
    from datetime import datetime

    data, pae, bsid, year = sample_run(kind)
    request = PlanRequest(data, pae, kind, year, (bsid,))
    result = generate(request, out, created=datetime.fromisoformat(STAMP))
    assert result.output is not None, [str(f) for f in result.findings]
    return result.output


if __name__ == "__main__":
    for kind in ("oct", "mar", "jun"):
        produced = golden_run(kind, GOLDEN / "tmp")
        target = GOLDEN / produced.name
        target.write_bytes(produced.read_bytes())
        produced.unlink()
        produced.with_name(produced.name + ".manifest.json").unlink(missing_ok=True)
        print(f"golden: {target}")
    shutil.rmtree(GOLDEN / "tmp")  # the run's lock file (and any companions)
