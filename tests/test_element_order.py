"""Element order: every segment, the envelope and the written files follow the rule book.

The rule book's order is kept as data (`fixtures/rule_book_order.yaml`): each element and
child segment with the line of the rule book that names it. A spec edit that moves an
element, or a new element not placed in the table, fails here (D760).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from onsis_batch.specs import Envelope, SegmentSpec, load_envelope, load_specs
from onsis_batch.tools.records import segment_tree

TABLE = Path(__file__).parent / "fixtures" / "rule_book_order.yaml"
GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.xml"))
ENVELOPE_NODES = ("ONSIS_BATCH_FILE", "HEADER", "DATA", "SCHOOL_SUBMISSION", "SCHOOL")


@cache
def _raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    return loaded


def entries(key: str) -> list[dict[str, Any]]:
    """The rule book's list for a node: each entry as {name, line, text, why}."""
    raw = _raw()[key]
    if isinstance(raw, dict):
        return entries(raw["same_as"])
    return [
        {"name": e[0], "line": e[1]} if isinstance(e, list) else dict(e, line=e.get("line"))
        for e in raw
    ]


def rule_book_order(key: str) -> list[str]:
    """The names of a node's contents in the rule book's order."""
    return [e["name"] for e in entries(key)]


def written_order(spec: SegmentSpec, specs: dict[str, SegmentSpec]) -> list[str]:
    """What a row of the segment holds, as the tags written, in the order written."""
    return [specs[i].xml_tag if isinstance(i, str) else i.name for i in spec.sequence()]


def envelope_order(envelope: Envelope, specs: dict[str, SegmentSpec]) -> dict[str, list[str]]:
    """The envelope's nodes and what each holds, in the order written."""
    return {
        "HEADER": [e.name for e in envelope.header],
        "SCHOOL_SUBMISSION": [*(e.name for e in envelope.school_submission), "SCHOOL"],
        "SCHOOL": [*(e.name for e in envelope.school), *envelope.school_children],
    }


def follows(written: list[str], order: list[str]) -> bool:
    """Whether `written` is `order` with some names left out (none added, none moved)."""
    return written == [name for name in order if name in written] and set(written) <= set(order)


def test_every_list_rises_through_the_rule_book():
    for key in _raw():
        lines = [e["line"] for e in entries(key) if e["line"] is not None]
        assert lines == sorted(set(lines)), key


def test_a_name_off_the_rule_book_says_why():
    for key in _raw():
        for entry in entries(key):
            assert entry["line"] is not None or entry.get("why"), (key, entry["name"])


def test_every_segment_spec_has_a_list():
    assert set(load_specs()) <= set(_raw())


@pytest.mark.parametrize("name", sorted(load_specs()))
def test_segment_follows_the_rule_book(name):
    specs = load_specs()
    written = written_order(specs[name], specs)
    assert follows(written, rule_book_order(name)), (written, rule_book_order(name))


def test_envelope_follows_the_rule_book():
    for node, written in envelope_order(load_envelope(), load_specs()).items():
        assert follows(written, rule_book_order(node)), node


def test_other_course_info_is_written_amid_its_parents_elements():
    specs = load_specs()
    enrolment = written_order(specs["STUDENT_CLASS_ENROLMENT"], specs)
    assert enrolment.index("OTHER_COURSE_INFO") == enrolment.index("COURSE_DELIVERY_TYPE") + 1
    credit = written_order(specs["OTHER_CREDIT"], specs)
    assert credit[credit.index("TYPE") + 1] == "OTHER_COURSE_INFO"


def test_a_moved_element_breaks_the_order():
    specs = load_specs()
    moved = list(reversed(written_order(specs["CLASS"], specs)))
    assert not follows(moved, rule_book_order("CLASS"))
    assert not follows([*written_order(specs["SPCE"], specs), "NEW"], rule_book_order("SPCE"))


def _node_key(parent_key: str | None, tag: str) -> str:
    if tag in ENVELOPE_NODES:
        return tag
    return segment_tree()[(parent_key or "SCHOOL", tag)]


def _check_node(node: etree._Element, key: str) -> list[str]:
    """Problems of one written node and its descendants: a tag out of the rule book's
    order, or one the rule book's list for the node lacks."""
    order = rule_book_order(key)
    tags = [child.tag for child in node if isinstance(child.tag, str)]
    problems = [f"{key}: {t} not in the list" for t in tags if t not in order]
    ranks = [order.index(t) for t in tags if t in order]
    if ranks != sorted(ranks):
        problems.append(f"{key}: {tags} out of order")
    for child in node:
        if isinstance(child.tag, str) and len(child) and child.tag in order:
            problems += _check_node(child, _node_key(key if key != "SCHOOL" else None, child.tag))
    return problems


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_written_file_follows_the_rule_book(path):
    root = etree.parse(str(path)).getroot()
    problems = _check_node(root, "ONSIS_BATCH_FILE")
    assert sorted(set(problems)) == []


def test_other_credit_is_rendered_with_its_course_info_after_type():
    import io
    from datetime import date

    from sample_plans import CREATED, frame, simple_plan

    from onsis_batch.render.xml import render_plan

    plan = simple_plan(oens=("123456789",))
    credit = {"_id": "OC1", "_parent": "SSE-123456789", "_order": 0, "_action": "ADD"}
    credit |= {"MINISTRY_DFND_CRS": "ENG4U", "COURSE_COMPLETE_DATE": date(2025, 9, 30)}
    credit |= {"TYPE": "5", "EARNED_CREDIT": 1.0, "FINAL_MARK": 80}
    info = {"_id": "OCI1", "_parent": "OC1", "_order": 0, "_action": "ADD"}
    plan.segments["OTHER_CREDIT"] = frame("OTHER_CREDIT", [credit], {})
    plan.segments["OTHER_CREDIT_COURSE_INFO"] = frame(
        "OTHER_CREDIT_COURSE_INFO", [info | {"OTHER_COURSE_INFO_TYPE": "1"}], {}
    )
    sink = io.BytesIO()
    render_plan(plan, sink, created=CREATED)
    written = etree.fromstring(sink.getvalue()).find(".//OTHER_CREDIT")
    tags = [child.tag for child in written]
    assert tags[tags.index("TYPE") + 1] == "OTHER_COURSE_INFO"
    assert _check_node(written, "OTHER_CREDIT") == []
