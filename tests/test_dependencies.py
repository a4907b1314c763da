"""Pinned behaviour: the libraries that shape the output bytes, the constraints file, the
golden files and the record of which versions made them agree, so a dependency update
cannot change the goldens (or the output) without a deliberate refresh."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
RECORD = json.loads((GOLDEN / "versions.json").read_text(encoding="utf-8"))
REFRESH = "run `make refresh-sample` (tests/golden/refresh.py) and review the diff"

sys.path.insert(0, str(GOLDEN))
from refresh import SHAPING, golden_run  # noqa: E402


def _pins() -> dict[str, str]:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    return {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {Requirement(r).name.lower(): Requirement(r) for r in project["dependencies"]}


def test_the_golden_files_are_the_ones_recorded_with_their_library_versions():
    on_disk = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(GOLDEN.glob("*.xml"))
    }
    assert on_disk == RECORD["files"], f"golden files changed by hand: {REFRESH}"


def test_the_constraints_pin_the_versions_the_goldens_were_made_with():
    pins = _pins()
    for name in SHAPING:
        assert pins[name] == RECORD["made_with"][name], (
            f"constraints.txt pins {name} {pins[name]}, the goldens were made with "
            f"{RECORD['made_with'][name]}: {REFRESH}"
        )


def test_every_runtime_dependency_is_bounded_and_admits_its_pin():
    pins = _pins()
    for name, requirement in _declared().items():
        assert any(s.operator == "<" for s in requirement.specifier), f"{name} has no upper bound"
        assert requirement.specifier.contains(pins[name]), f"{name} {pins[name]} is out of range"


def test_the_output_under_the_installed_libraries_is_the_golden_output(tmp_path):
    installed = {name: version(name) for name in SHAPING}
    produced = golden_run("oct", tmp_path)
    assert produced.read_bytes() == (GOLDEN / produced.name).read_bytes(), (
        f"the output changed under {installed}; the goldens were made with "
        f"{RECORD['made_with']}: install with -c constraints.txt, or {REFRESH}"
    )
