"""The `segments` and `contract` listings in French (`--lang fr`).

The English listings are the generated reference pages (tools/reference_docs.py). The
French ones give the same structure in French words: segments, elements, their types and
rules, tables, columns, keys, and the Ministry code tables with their French meanings
(codes.yaml). The prose descriptions of tables and elements exist in English only; the
listing says so rather than print English under French headings (D896).
"""

from __future__ import annotations

import re

from onsis_batch.codes import code_tables
from onsis_batch.contract import contract
from onsis_batch.report.i18n import counted, labels
from onsis_batch.specs import ElementSpec, load_specs

FR = "fr"


def segments_text(lang: str = FR) -> str:
    """Every segment: its parent, its PAE extract and how many elements it has."""
    words = labels(lang)
    lines = []
    for spec in load_specs().values():
        elements = counted(lang, "n_elements", len(spec.elements))
        lines.append(
            f"{spec.segment:<28} {words['parent']} {spec.parent:<26} "
            f"{words['pae']} {spec.pae_extract or '-':<5} {elements:>12}"
        )
    return "\n".join(lines)


def _rules(element: ElementSpec, lang: str) -> str:
    words = labels(lang)
    rules = [
        words["rule_key"] if element.key else "",
        words["rule_always"] if element.required else "",
        words["rule_mandatory_on"].format(actions="/".join(element.mandatory_on))
        if element.mandatory_on
        else "",
        words["rule_public_only"] if element.public_only else "",
        f"max {element.max_length}" if element.max_length else "",
    ]
    return ", ".join(rule for rule in rules if rule)


def segment_text(segment: str, lang: str = FR) -> str | None:
    """One segment's elements (name, type, rules, source column); None when no such
    segment."""
    spec = load_specs().get(segment.upper())
    if spec is None:
        return None
    words = labels(lang)
    head = [words["list_element"], words["list_type"], words["list_rules"], words["list_source"]]
    rows = [
        [e.name, e.type + (f" ({e.table})" if e.table else ""), _rules(e, lang), _columns(e)]
        for e in spec.elements
    ]
    return "\n".join([_row(head), *map(_row, rows), "", words["english_only"]])


def _columns(element: ElementSpec) -> str:
    """The school-data columns an element's source names (its prose is English only)."""
    named = re.findall(r"\b[a-z_]+\.[a-z_0-9]+\b", element.source or "")
    return ", ".join(dict.fromkeys(named)) or "-"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def contract_text(lang: str = FR) -> str:
    """Every table and column of the data contract, then the code tables the columns
    name, each code with its meaning in `lang` (English where the Ministry gives none)."""
    words = labels(lang)
    lines = []
    named: set[str] = set()
    for table in contract().values():
        need = words["list_required"] if table.required else words["list_optional"]
        lines += [f"{table.name} ({need}); {words['list_key']}: {', '.join(table.key) or '-'}"]
        for column in table.columns:
            kind = column.type + (f" ({column.codes})" if column.codes else "")
            flag = f" {words['list_required']}" if column.required else ""
            fields = " ".join(re.findall(r"\[[^\]]+\]\w+", column.source or ""))
            lines.append(f"  {column.name:<32} {kind}{flag}  {fields}".rstrip())
            named |= {column.codes} if column.codes else set()
    lines += ["", words["list_code_tables"]]
    tables = code_tables()
    for name in sorted(named & set(tables)):
        codes = tables[name]
        if codes.pattern:
            values = f"{words['list_pattern']} {codes.pattern}"
        else:
            values = ", ".join(f"{code} {codes.meaning(code, lang)}" for code in codes.codes)
        lines.append(f"  {name}: {values}")
    return "\n".join([*lines, "", words["english_only"]])
