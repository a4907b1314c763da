"""Every YAML file of the project parses without a repeated key.

PyYAML silently keeps the last of two equal keys, so a rule, a message or a column written
twice (easily done when two changes meet) would vanish without this check.
"""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p
    for folder in ("onsis_batch", "segment_specs", "tests", "docs")
    for p in (ROOT / folder).rglob("*.yaml")
)


class _Strict(yaml.SafeLoader):
    pass


def _no_repeats(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: set[str] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            if key.value in seen:
                line = key.start_mark.line + 1
                raise AssertionError(f"key {key.value!r} repeated on line {line}")
            seen.add(key.value)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node))


_Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_repeats)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_repeated_keys(path: Path) -> None:
    yaml.load(path.read_text(encoding="utf-8"), Loader=_Strict)
