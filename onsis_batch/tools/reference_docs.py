"""Reference documentation generated from the declarations it describes.

The data contract, the segment specs, the findings catalog and the reason catalog are each
declared once in YAML; the `contract`, `segments`, `codes` and `reasons` commands print
them, and `docs` writes the same text to docs/ (and the XSD to schemas/) so the published
reference never drifts. docs/elements.md joins the specs' element derivations to the reason
catalog (element_reference.py); docs/rule-audit.md traces every rule of the rule book
(rule_audit.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onsis_batch.codes import code_tables
from onsis_batch.contract import contract
from onsis_batch.findings import CatalogEntry, catalog
from onsis_batch.resources import data_dir
from onsis_batch.specs import SegmentSpec, load_specs
from onsis_batch.tools.element_reference import element_type, elements_markdown
from onsis_batch.tools.markdown import Page, markdown_table
from onsis_batch.tools.reason_reference import reasons_markdown
from onsis_batch.tools.rule_audit import rule_audit_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _element_rows(spec: SegmentSpec) -> list[list[Any]]:
    rows = []
    for e in spec.elements:
        kind = element_type(e)
        notes = ", ".join(
            filter(
                None,
                [
                    "key" if e.key else "",
                    "always" if e.required else "",
                    f"mandatory on {'/'.join(e.mandatory_on)}" if e.mandatory_on else "",
                    "public schools only" if e.public_only else "",
                    f"max {e.max_length}" if e.max_length else "",
                ],
            )
        )
        rows.append([e.name, kind, notes, e.source or e.description])
    return rows


def segment_listing(segment: str | None = None) -> tuple[Any, str]:
    """(JSON data, text) for all segments, or for one segment's elements."""
    specs = load_specs()
    if segment is None:
        data = [
            {
                "segment": s.segment,
                "parent": s.parent,
                "periods": list(s.periods),
                "pae_extract": s.pae_extract,
                "elements": len(s.elements),
                "rule_book": s.rule_book,
            }
            for s in specs.values()
        ]
        text = "\n".join(
            f"{d['segment']:<28} parent {d['parent']:<26} PAE {d['pae_extract'] or '-':<5}"
            f" {d['elements']:>3} elements"
            for d in data
        )
        return data, text
    spec = specs.get(segment.upper())
    if spec is None:
        return None, ""
    detail = {
        "segment": spec.segment,
        "elements": [
            {
                "name": e.name,
                "type": e.type,
                "table": e.table,
                "mandatory_on": list(e.mandatory_on),
                "public_only": e.public_only,
                "source": e.source,
                "derived_by": spec.derivation(e.name),
            }
            for e in spec.elements
        ],
    }
    text = "\n".join(markdown_table(["element", "type", "rules", "source"], _element_rows(spec)))
    return detail, text


def segments_markdown() -> str:
    """docs/segments.md: every segment with its elements."""
    lines = [
        "# Segment reference",
        "",
        "Generated from `segment_specs/` by `onsis-batch docs`; do not edit by hand.",
        "The rule ids a segment's rows carry, and what each decides, are in",
        "[reasons.md](reasons.md); the function that derives each element is in",
        "[elements.md](elements.md).",
        "",
    ]
    for spec in load_specs().values():
        lines += [
            f"## {spec.segment}",
            "",
            f"Parent: {spec.parent}. Periods: {', '.join(spec.periods)}. "
            f"PAE extract: {spec.pae_extract or '-'}. Rule book: {spec.rule_book}.",
            "",
        ]
        if spec.description:
            lines += [" ".join(spec.description.split()), ""]
        lines += [*markdown_table(["element", "type", "rules", "source"], _element_rows(spec)), ""]
    return "\n".join(lines)


def contract_listing() -> tuple[Any, str]:
    """(JSON data, text) of the data contract: every table and column."""
    tables = contract()
    data = {
        name: {
            "description": t.description,
            "required": t.required,
            "key": list(t.key),
            "columns": [
                {
                    "name": c.name,
                    "type": c.type,
                    "required": c.required,
                    "codes": c.codes,
                    "meaning": c.meaning,
                    "source": c.source,
                }
                for c in t.columns
            ],
        }
        for name, t in tables.items()
    }
    return data, contract_markdown()


def contract_markdown() -> str:
    """docs/data-contract.md: every table, column and code table."""
    lines = [
        "# Data contract",
        "",
        "Generated from `onsis_batch/contract/` by `onsis-batch docs`; do not edit by hand.",
        "",
        "Each table is a file in the data folder: `<table>.csv` (UTF-8, header row) or",
        "`<table>.parquet`. Dates are YYYY-MM-DD (YYYY/MM/DD accepted), flags T/F (also",
        "Y/N, true/false, 1/0), decimals use a dot. Codes are the Ministry's; map local codes",
        "in `code_mappings`.",
        "",
    ]
    for table in contract().values():
        need = "required" if table.required else "optional"
        lines += [
            f"## {table.name} ({need})",
            "",
            table.description,
            "",
            f"Key: {', '.join(table.key) or '-'}.",
            "",
        ]
        rows = [
            [
                c.name,
                c.type + (f" ({c.codes})" if c.codes else ""),
                "yes" if c.required else "",
                c.meaning,
                c.source,
            ]
            for c in table.columns
        ]
        lines += [
            *markdown_table(["column", "type", "required", "meaning", "rule-book field"], rows),
            "",
        ]
    lines += ["## Code tables", ""]
    for name, codes in code_tables().items():
        values = (codes.pattern and f"pattern `{codes.pattern}`") or ", ".join(
            f"{code} {meaning}" for code, meaning in codes.codes.items()
        )
        lines += [f"- **{name}**: {values}"]
    return "\n".join(lines) + "\n"


SEVERITY_FR = {"error": "erreur", "warning": "avertissement", "info": "note"}
STAGE_FR = {
    "load": "chargement",
    "pae": "extraits",
    "period": "période",
    "segment": "segment",
    "output": "sortie",
    "validate": "validation",
    "run": "exécution",
    "tools": "outils",
}


def _word(value: str, lang: str, french: dict[str, str]) -> str:
    """A severity or stage name in `lang` (an unknown one stays as it is)."""
    return french.get(value, value) if lang == "fr" else value


def _entry_data(entry: CatalogEntry, lang: str) -> dict[str, Any]:
    text = entry.localized(lang)
    return {
        "code": entry.code,
        "severity": str(entry.severity),
        "stage": entry.stage,
        "segment": entry.segment,
        "reads": list(entry.reads),
        "ministry_code": entry.ministry_code,
        "title": text["title"],
        "message": text["message"],
        "hint": text["hint"],
        "title_en": entry.title,
        "title_fr": entry.title_fr,
        "message_en": entry.message_en,
        "message_fr": entry.message_fr,
        "hint_en": entry.hint,
        "hint_fr": entry.hint_fr,
    }


def findings_listing(lang: str = "en") -> tuple[Any, str]:
    """The catalog as data (every field, both languages) and as text in `lang`."""
    data = [_entry_data(e, lang) for e in catalog().values()]
    lines = []
    for row in data:
        ministry = f" [{row['ministry_code']}]" if row["ministry_code"] else ""
        segment = f" ({row['segment']})" if row["segment"] else ""
        severity = _word(row["severity"], lang, SEVERITY_FR)
        lines.append(f"{row['code']:<8} {severity:<13} {row['title']}{segment}{ministry}")
    return data, "\n".join(lines)


FINDINGS_PAGES = {
    "en": Page(
        file="findings.md",
        title="# Finding codes",
        intro="Generated from `onsis_batch/findings.yaml` by `onsis-batch docs`; do not edit by "
        "hand. Codes are stable and never reused. `segment`, `reads` and `OnSIS` (the Ministry "
        "message a check anticipates) describe the business-rule checks run on the finished "
        "plan. French: [findings.fr.md](findings.fr.md).",
        headers=(
            "code",
            "severity",
            "stage",
            "segment",
            "reads",
            "OnSIS",
            "title",
            "message",
            "fix",
        ),
    ),
    "fr": Page(
        file="findings.fr.md",
        title="# Codes de constat",
        intro="Généré à partir de `onsis_batch/findings.yaml` par `onsis-batch docs`; ne pas "
        "modifier à la main. Les codes sont stables et jamais réutilisés. `segment`, `lit` et "
        "`OnSIS` (le message du Ministère qu'une vérification anticipe) décrivent les "
        "vérifications des règles d'affaires sur le plan terminé. English: "
        "[findings.md](findings.md).",
        headers=(
            "code",
            "gravité",
            "étape",
            "segment",
            "lit",
            "OnSIS",
            "titre",
            "message",
            "correction",
        ),
    ),
}


def findings_markdown(lang: str = "en") -> str:
    """docs/findings.md (or findings.fr.md): the finding catalog as one table."""
    page = FINDINGS_PAGES[lang]
    rows = [
        [
            r["code"],
            _word(r["severity"], lang, SEVERITY_FR),
            _word(r["stage"], lang, STAGE_FR),
            r["segment"],
            ", ".join(r["reads"]),
            r["ministry_code"],
            r["title"],
            r["message"],
            r["hint"],
        ]
        for r in (_entry_data(e, lang) for e in catalog().values())
    ]
    lines = [page.title, "", page.intro, ""]
    return "\n".join(lines + markdown_table(page.headers, rows)) + "\n"


def generated_files() -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    from onsis_batch.validate.ministry_xsd import MINISTRY_SCHEMA_FILE, build_ministry_xsd
    from onsis_batch.validate.xsd import build_xsd

    return {
        DOCS / "data-contract.md": contract_markdown(),
        DOCS / "segments.md": segments_markdown(),
        DOCS / "elements.md": elements_markdown(),
        DOCS / "findings.md": findings_markdown(),
        DOCS / "findings.fr.md": findings_markdown("fr"),
        DOCS / "reasons.md": reasons_markdown(),
        DOCS / "reasons.fr.md": reasons_markdown("fr"),
        DOCS / "rule-audit.md": rule_audit_markdown(),
        data_dir("schemas") / "onsis_batch.xsd": build_xsd(),
        data_dir("schemas") / MINISTRY_SCHEMA_FILE: build_ministry_xsd(),
    }


def write_generated(check: bool = False) -> list[Path]:
    """Write the generated files; with check, only list the ones that are out of date."""
    if not (DOCS.parent / "pyproject.toml").exists():
        raise FileNotFoundError("the reference docs live in a source checkout of onsis-batch")
    stale = []
    for path, text in generated_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return stale
