"""The findings catalog: every code is raised by the code and exercised by a test."""

from pathlib import Path

import pytest

from onsis_batch.findings import catalog
from onsis_batch.specs import load_specs

ROOT = Path(__file__).resolve().parent.parent
SOURCES = "\n".join(p.read_text() for p in (ROOT / "onsis_batch").rglob("*.py"))
TESTS = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))


@pytest.mark.parametrize("code", sorted(catalog()))
def test_code_is_raised_and_tested(code):
    assert f'"{code}"' in SOURCES, f"{code} is in findings.yaml but nothing raises it"
    assert code in TESTS, f"{code} has no test"


@pytest.mark.parametrize("entry", catalog().values(), ids=lambda e: e.code)
def test_every_entry_has_both_languages_and_a_hint(entry):
    assert entry.message_en and entry.message_fr and entry.hint and entry.title
    assert entry.title_fr and entry.hint_fr, f"{entry.code}: add title_fr and hint_fr"


@pytest.mark.parametrize(
    "entry", [e for e in catalog().values() if e.segment], ids=lambda e: e.code
)
def test_segment_and_elements_a_check_reads_exist(entry):
    specs = load_specs()
    assert entry.segment == "*" or entry.segment in specs
    for name in entry.reads:
        if "/" in name:  # an element of another segment: SEGMENT/ELEMENT
            segment, element = name.split("/")
            assert specs[segment].element(element)
        elif name.isupper() and entry.segment in specs:
            assert specs[entry.segment].element(name)
    assert entry.ministry_code is None or entry.ministry_code.startswith("M")
