"""The rule-by-rule audit (onsis_batch/tools/audit/) holds together (D800).

Every segment the tool builds has an audit file listing the rules of its rule-book section;
every element of its spec has a row; every implemented rule names a scenario case or a test
that exists; every rule id, function and D-number named exists; every rule id a builder
emits is covered by some row; only the known defects of issue 12 may stay open.
"""

from __future__ import annotations

import ast
import importlib
import re
from functools import cache
from pathlib import Path

import pytest

from onsis_batch.reasons import ANY_SEGMENT, reasons
from onsis_batch.specs import SpecError, load_specs, split_derivation
from onsis_batch.strict_yaml import read_yaml
from onsis_batch.tools.rule_audit import ENVELOPE, STATUSES, AuditRule, audits, load_audit

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
AUDITS = audits()
RULES = [rule for audit in AUDITS.values() for rule in audit.rules]
IDS = [f"{rule.segment}:{rule.id}" for rule in RULES]


@cache
def case_names() -> set[str]:
    """Every scenario case name of tests/cases."""
    return {case["name"] for path in (TESTS / "cases").glob("*.yaml") for case in read_yaml(path)}


@cache
def functions_of(file: str) -> set[str]:
    """The module-level test functions of a test file (a missing file has none)."""
    path = ROOT / file
    if not path.is_file():
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


@cache
def decisions() -> set[str]:
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\*\*(D\d+)\.", text, flags=re.MULTILINE))


def test_every_segment_the_tool_builds_is_audited():
    assert list(AUDITS) == [ENVELOPE, *load_specs()]


def test_every_element_of_every_spec_has_a_rule():
    missing = [
        f"{s.segment}.{e.name}"
        for s in load_specs().values()
        for e in s.elements
        if not any(r.segment == s.segment and r.element == e.name for r in RULES)
    ]
    assert missing == []


def test_element_rules_name_elements_of_their_segment():
    specs = load_specs()
    wrong = [
        i
        for i, r in zip(IDS, RULES, strict=True)
        if r.element
        and r.segment != ENVELOPE
        and r.element not in {e.name for e in specs[r.segment].elements}
    ]
    assert wrong == []


def _test_problems(rule: AuditRule) -> list[str]:
    problems = []
    if rule.status == "implemented" and not (rule.cases or rule.tests):
        problems.append("an implemented rule names the case or test checking it")
    problems += [f"no case {c!r} in tests/cases" for c in rule.cases if c not in case_names()]
    for node in rule.tests:
        file, _, name = node.partition("::")
        if name not in functions_of(file):
            problems.append(f"{node} does not exist")
    return problems


def test_every_rule_is_tested_unless_decided_otherwise_or_not_applicable():
    problems = {i: p for i, r in zip(IDS, RULES, strict=True) if (p := _test_problems(r))}
    assert problems == {}


def _reference_problems(rule: AuditRule) -> list[str]:
    problems = [f"unknown rule id {r}" for r in rule.reasons if r not in reasons()]
    if rule.decision and rule.decision not in decisions():
        problems.append(f"unknown decision {rule.decision}")
    reference = rule.deriving()
    if rule.status == "implemented" and not reference:
        problems.append("an implemented rule names the function applying it")
    if reference:
        module, name = split_derivation(reference)
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            found = None
        if not (module.startswith("onsis_batch.") and callable(found)):
            problems.append(f"no function {reference}")
    return problems


def test_every_reference_exists():
    problems = {i: p for i, r in zip(IDS, RULES, strict=True) if (p := _reference_problems(r))}
    assert problems == {}


def test_every_rule_id_a_builder_emits_is_covered():
    covered = {rid for rule in RULES for rid in rule.reasons}
    emitted = {r.id for r in reasons().values() if r.segment != ANY_SEGMENT}
    assert sorted(emitted - covered) == []


def test_rule_ids_are_cited_under_their_own_segment_or_a_parent():
    """A rule of one segment may give another segment's id (a CLASS UPDATE because of a
    SEGMENT), but never an id of an unrelated family."""
    specs = load_specs()
    family = {s: {s, specs[s].parent, *specs[s].children} for s in specs}
    catalog = reasons()
    wrong = [
        (i, rid)
        for i, r in zip(IDS, RULES, strict=True)
        for rid in r.reasons
        if r.segment != ENVELOPE
        and catalog[rid].segment not in family[r.segment] | {ANY_SEGMENT, "STUDENT"}
    ]
    assert wrong == []


def test_no_rule_is_left_open():
    """Every rule is implemented, decided otherwise or not applicable (D940)."""
    assert set(STATUSES) == {"implemented", "decided", "not-applicable"}
    assert {r.status for r in RULES} <= set(STATUSES)


def test_a_malformed_row_does_not_load(tmp_path):
    path = tmp_path / "PLAR.yaml"
    row = "{id: S1, lines: 3510, rule: r, status: decided}"
    path.write_text(f"segment: PLAR\nsection: s\nrules:\n  - {row}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="names its decision"):
        load_audit(path)
    path.write_text(path.read_text().replace("decided", "open"))
    with pytest.raises(SpecError, match="is not one of implemented"):
        load_audit(path)
    path.write_text(path.read_text().replace("3510", "6000"))
    with pytest.raises(SpecError, match="not a range"):
        load_audit(path)
