"""The preview for people and programs: a terminal table, JSON-ready data, an HTML page.

Labels come from report/labels.yaml (`preview_*`), the figure titles from figures.yaml.
"""

from __future__ import annotations

from typing import Any

from onsis_batch.report.explain_view import labels
from onsis_batch.report.page import render
from onsis_batch.tools.preview.figures import Preview

ROWS = "rows"  # the measure of a count


def preview_dict(preview: Preview, lang: str = "en") -> dict[str, Any]:
    """The preview as data (`preview --json`; also what `--compare` reads back)."""
    return {
        "file": preview.file,
        "schools": preview.schools,
        "period": preview.period,
        "school_year": preview.school_year,
        "pae": preview.pae,
        "clear_flags": preview.clear_flags,
        "figures": [
            {"name": f.name, "title": f.title(lang), "sources": f.sources, "rows": f.rows}
            for f in preview.figures
        ],
        "findings": [f.to_dict() for f in preview.findings],
    }


def shown(value: Any, measure: str) -> str:
    """A figure's value as text: counts whole, sums with two places."""
    if value is None:
        return ""
    return str(int(value)) if measure == ROWS else f"{float(value):.2f}"


def signed(value: float, measure: str) -> str:
    """A change with its sign."""
    return ("+" if value > 0 else "") + shown(value, measure)


def measure_label(words: dict[str, str], row: dict[str, Any]) -> str:
    """A row's measure as shown: "count", or the segment and element summed."""
    if row["measure"] == ROWS:
        return words["preview_count"]
    return f"{row['segment']} {row['measure']}" if row["segment"] else row["measure"]


def preview_text(
    preview: Preview, lang: str = "en", changes: list[dict[str, Any]] | None = None
) -> str:
    """The figures as a terminal table, then the differences from last period if given."""
    words = labels(lang)
    lines = [
        f"{preview.file}: {preview.period} {preview.school_year}, "
        f"{words['preview_schools']} {', '.join(preview.schools)}"
    ]
    lines += [f"  {f}" for f in preview.findings]
    for figure in preview.figures:
        sources = "; ".join(figure.sources).replace("file", labels(lang)["preview_file"])
        lines.append(f"{figure.title(lang)} ({sources})")
        for row in figure.rows:
            group = words["total"] if row["group"] == "total" else row["group"]
            value = shown(row["value"], row["measure"])
            lines.append(f"  {group:<12} {measure_label(words, row):<40} {value:>10}")
        if not figure.rows:
            lines.append(f"  {words['preview_nothing']}")
    if changes is not None:
        lines.append(words["preview_changes"])
        lines += [
            f"  {c['figure']:<10} {c['group']:<12} {measure_label(words, c):<40} "
            f"{shown(c['previous'], c['measure']):>10} -> {shown(c['current'], c['measure']):>10}"
            f" ({signed(c['change'], c['measure'])})"
            for c in changes
        ]
        if not changes:
            lines.append(f"  {words['preview_same']}")
    return "\n".join(lines)


def preview_html(
    preview: Preview,
    lang: str = "en",
    changes: list[dict[str, Any]] | None = None,
    compared_with: str | None = None,
) -> str:
    """The preview as one self-contained HTML page in `lang`."""
    words = labels(lang)
    return render(
        "preview.html",
        lang=lang,
        words=words,
        preview=preview,
        changes=changes,
        compared_with=compared_with,
        shown=shown,
        signed=signed,
        measure=lambda row: measure_label(words, row),
    )
