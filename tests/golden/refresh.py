"""Rewrite the golden files from the bundled sample (run after an intended output change),
and record which versions of the libraries that shape the bytes made them."""

import hashlib
import json
import shutil
from importlib.metadata import version
from pathlib import Path

from onsis_batch.run.pipeline import generate
from onsis_batch.run.request import PlanRequest
from onsis_batch.run.sample import sample_run

GOLDEN = Path(__file__).resolve().parent
STAMP = "2025-10-31T09:00:00"
RECORD = GOLDEN / "versions.json"
SHAPING = ("polars", "lxml")  # the libraries whose behaviour shapes the output bytes


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
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(GOLDEN.glob("*.xml"))
    }
    record = {"made_with": {name: version(name) for name in SHAPING}, "files": files}
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
    print(f"recorded: {RECORD}")
