"""docs/elements.md: where every element of every segment is derived, and why rows are sent.

Per segment: its rule-book section and, per element, its type, the one function that
derives it (the spec's `derived_by`, else the segment's `built_by`; D560) as a link to its
source file, and the rule ids and rule-book passages of `onsis_batch/reasons.yaml` that
speak of that element; then every rule id the segment's rows carry, with its title and
passages. Generated from the specs and the reason catalog, so it cannot drift from them.
"""

from __future__ import annotations

from onsis_batch.reasons import ANY_SEGMENT, Reason, RulebookRef, reasons
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs, split_derivation
from onsis_batch.tools.markdown import markdown_table

ENGINE = "../onsis_batch/segments/engine.py"
INTRO = [
    "# Element derivations",
    "",
    "Generated from `segment_specs/` and `onsis_batch/reasons.yaml` by `onsis-batch docs`; do "
    "not edit by hand. Every element is derived in one place: the function its spec names "
    "(`derived_by`, else the segment's `built_by`; decision D560), for every kind of row the "
    "segment sends (e.g. enrolled and closing enrolments). The function is the authority; the "
    "spec's `source` in [segments.md](segments.md) describes the input columns it reads. "
    f"ACTION is decided by the [engine]({ENGINE}) with the rule ids listed under each segment "
    "(all of them in [reasons.md](reasons.md)). Rule-book passages are lines of the reference "
    "rule book (onsis-secondary-submission-report.txt).",
    "",
]
ELEMENT_HEADERS = ("element", "type", "derived by", "rule ids", "rule book")
REASON_HEADERS = ("rule id", "action", "title", "rule book")


def element_type(element: ElementSpec) -> str:
    """An element's type as the reference pages show it, e.g. `code (grade_type)`."""
    table = f" ({element.table})" if element.table else ""
    places = f", {element.places} dp" if element.places else ""
    return element.type + table + places


def source_link(reference: str) -> str:
    """A `module:function` reference as a Markdown link to its file, relative to docs/."""
    module, name = split_derivation(reference)
    path = module.replace(".", "/") + ".py"
    short = module.removeprefix("onsis_batch.segments.")
    return f"[`{short}:{name}`](../{path})"


def _speaks_of(entry: Reason, spec: SegmentSpec, element: str) -> list[RulebookRef]:
    """The passages of a catalog entry about `element` of `spec`: its part of the segment's
    rule-book section, cited by a rule id of the segment or of another (e.g. a CLASS rule
    reading a SEGMENT element)."""
    return [
        ref
        for ref in entry.rulebook
        if ref.section.endswith(f"› {element}")
        and (entry.segment == spec.segment or ref.section.startswith(f"{spec.rule_book} ›"))
    ]


def _element_row(spec: SegmentSpec, element: ElementSpec, catalog: list[Reason]) -> list[str]:
    """One row of a segment's element table."""
    reference = spec.derivation(element.name)
    derived = source_link(reference) if reference else f"the [engine]({ENGINE})"
    about = [(e.id, _speaks_of(e, spec, element.name)) for e in catalog]
    ids = ", ".join(f"`{rid}`" for rid, passages in about if passages)
    found = {ref for _, refs in about for ref in refs}
    passages = sorted(found, key=lambda ref: (ref.section, ref.first_line, ref.last_line))
    return [element.name, element_type(element), derived, ids, "; ".join(map(str, passages))]


def _reason_rows(entries: list[Reason]) -> list[list[str]]:
    return [
        [f"`{e.id}`", e.action or "-", e.title, "; ".join(str(r) for r in e.rulebook)]
        for e in entries
    ]


def _segment_section(spec: SegmentSpec, catalog: list[Reason]) -> list[str]:
    """The heading, element table and rule-id table of one segment."""
    built = f" Built by {source_link(spec.built_by)}." if spec.built_by else ""
    lines = [f"## {spec.segment}", "", f"Rule book: {spec.rule_book}.{built}", ""]
    rows = [_element_row(spec, element, catalog) for element in spec.elements]
    entries = [r for r in catalog if r.segment == spec.segment]
    lines += [*markdown_table(ELEMENT_HEADERS, rows), ""]
    if entries:
        lines += ["Rule ids:", "", *markdown_table(REASON_HEADERS, _reason_rows(entries)), ""]
    return lines


def elements_markdown() -> str:
    """docs/elements.md: every segment's elements with their derivation and rule ids."""
    catalog = list(reasons().values())
    lines = list(INTRO)
    for spec in load_specs().values():
        lines += _segment_section(spec, catalog)
    shared = [r for r in catalog if r.segment == ANY_SEGMENT]
    lines += ["## Every segment", "", "Rule ids any segment's rows may carry:", ""]
    lines += [*markdown_table(REASON_HEADERS, _reason_rows(shared)), ""]
    return "\n".join(lines)
