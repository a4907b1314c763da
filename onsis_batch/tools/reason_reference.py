"""The reason catalog for people: the `reasons` listing and docs/reasons(.fr).md.

Both are read from `onsis_batch/reasons.yaml` (see `onsis_batch.reasons`): per rule id the
segment, action, title, decisions and rule-book passage, grouped by segment in the specs'
order, the rules every segment shares last.
"""

from __future__ import annotations

from typing import Any

from onsis_batch.reasons import ANY_SEGMENT, Reason, reasons
from onsis_batch.report.i18n import rulebook_ref
from onsis_batch.specs import load_specs
from onsis_batch.tools.markdown import Page, markdown_table

PAGES = {
    "en": Page(
        file="reasons.md",
        title="# Decision reasons",
        intro="Generated from `onsis_batch/reasons.yaml` by `onsis-batch docs`; do not edit "
        "by hand. Every row of a plan carries one of these rule ids (`_reason`); `explain` and "
        "the HTML report show its title beside it. Decisions are entries of "
        "[decisions.md](decisions.md); rule-book lines are those of the reference rule book "
        "(onsis-secondary-submission-report.txt). French: [reasons.fr.md](reasons.fr.md).",
        headers=("rule id", "action", "title", "decisions", "rule book"),
    ),
    "fr": Page(
        file="reasons.fr.md",
        title="# Motifs de décision",
        intro="Généré à partir de `onsis_batch/reasons.yaml` par `onsis-batch docs`; ne pas "
        "modifier à la main. Chaque ligne d'un plan porte l'un de ces identifiants de règle "
        "(`_reason`); `explain` et le rapport HTML affichent son titre à côté. Les décisions "
        "sont des entrées de [decisions.md](decisions.md); les lignes renvoient au manuel de "
        "référence (onsis-secondary-submission-report.txt). English: [reasons.md](reasons.md).",
        headers=("règle", "action", "titre", "décisions", "manuel"),
    ),
}
SHARED = {"en": "Every segment", "fr": "Tous les segments"}  # heading of the "*" rules


def _segment_order() -> list[str]:
    """Segment names as the specs list them, then the shared rules."""
    return [*load_specs(), ANY_SEGMENT]


def by_segment(segment: str | None = None) -> dict[str, list[Reason]]:
    """Catalog entries grouped by segment; with `segment`, only the ids its rows may carry."""
    wanted = [r for r in reasons().values() if segment is None or r.applies_to(segment)]
    groups = {name: [r for r in wanted if r.segment == name] for name in _segment_order()}
    return {name: entries for name, entries in groups.items() if entries}


def reason_data(entry: Reason, lang: str = "en") -> dict[str, Any]:
    """One entry as plain data: every field, titles in both languages and in `lang`."""
    return {
        "id": entry.id,
        "segment": entry.segment,
        "action": entry.action,
        "title": entry.title_in(lang),
        "title_en": entry.title,
        "title_fr": entry.title_fr,
        "decisions": list(entry.decisions),
        "rulebook": [str(ref) for ref in entry.rulebook],
    }


def reason_listing(segment: str | None = None, lang: str = "en") -> tuple[Any, str]:
    """(JSON data, text) of the catalog, or of one segment's ids; (None, "") for a segment
    the specs do not know."""
    if segment is not None:
        segment = segment.upper()
        if segment not in load_specs():
            return None, ""
    groups = by_segment(segment)
    data = [reason_data(r, lang) for entries in groups.values() for r in entries]
    lines = []
    for name, entries in groups.items():
        lines.append(SHARED[lang] if name == ANY_SEGMENT else name)
        for entry in entries:
            lines.append(f"  {entry.id:<24} {entry.action or '-':<7} {entry.title_in(lang)}")
            refs = "; ".join(rulebook_ref(ref, lang) for ref in entry.rulebook) or "-"
            lines.append(f"  {'':<24} {'':<7} {', '.join(entry.decisions)} · {refs}")
    return data, "\n".join(lines)


def _refs(entry: Reason) -> str:
    return "; ".join(str(ref) for ref in entry.rulebook) or "-"


def reasons_markdown(lang: str = "en") -> str:
    """docs/reasons.md (or reasons.fr.md): one table per segment."""
    page = PAGES[lang]
    lines = [page.title, "", page.intro, ""]
    for name, entries in by_segment().items():
        rows = [
            [f"`{e.id}`", e.action or "-", e.title_in(lang), ", ".join(e.decisions), _refs(e)]
            for e in entries
        ]
        heading = SHARED[lang] if name == ANY_SEGMENT else name
        lines += [f"## {heading}", "", *markdown_table(page.headers, rows), ""]
    return "\n".join(lines)
