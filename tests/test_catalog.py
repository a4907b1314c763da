"""The findings catalog: every code is raised by the code and exercised by a test."""

from pathlib import Path

import pytest

from onsis_batch.findings import catalog

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
