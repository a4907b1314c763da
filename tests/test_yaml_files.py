"""Every YAML file of the project reads under the strict rules of `onsis_batch.strict_yaml`.

PyYAML alone silently keeps the last of two equal keys, so a rule, a message or a column
written twice (easily done when two changes meet) would vanish; the strict reader refuses
it, and any tag outside JSON's types, naming the file and line.
"""

from pathlib import Path

import pytest

from onsis_batch.strict_yaml import read_yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p
    for folder in ("onsis_batch", "segment_specs", "tests", "docs", "sample_data")
    for p in (ROOT / folder).rglob("*.yaml")
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_reads_under_the_strict_rules(path: Path) -> None:
    read_yaml(path)
