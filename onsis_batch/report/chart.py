"""The report's rows per segment and action as an inline SVG bar chart (D961).

Drawn here, in Python, so the page needs no script or library to show it: one stacked bar
per segment (ADD, UPDATE, DELETE), its name above it and its numbers written beside it,
a `<title>` and `<desc>` for screen readers (the counts table stays below it too). The
viewBox scales the chart to the page width, so it never makes a narrow screen scroll.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

COLOURS = {"ADD": "#2e7d32", "UPDATE": "#1565c0", "DELETE": "#c62828"}
WIDTH = 480
BAR = 260  # the widest bar; the numbers fit in the rest
ROW = 34  # a segment's name line and its bar
LEGEND = 24


def _rect(x: float, y: float, width: float, action: str, n: int) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="12" fill="{COLOURS[action]}">'
        f"<title>{action} {n}</title></rect>"
    )


def _bar(row: dict[str, Any], actions: tuple[str, ...], top: int, scale: float) -> list[str]:
    parts = [f'<text x="0" y="{top + 11}">{escape(row["segment"])}</text>']
    x, counts = 0.0, dict(zip(actions, row["by_action"], strict=True))
    for action, n in counts.items():
        if n:
            width = max(n * scale, 1.0)
            parts.append(_rect(x, top + 15, width, action, n))
            x += width
    numbers = " · ".join(f"{n} {a}" for a, n in counts.items() if n)
    parts.append(f'<text x="{x + 6:.1f}" y="{top + 25}" class="n">{escape(numbers)}</text>')
    return parts


def _legend(actions: tuple[str, ...]) -> list[str]:
    parts = []
    for i, action in enumerate(actions):
        x = i * 90
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[action]}"/>')
        parts.append(f'<text x="{x + 16}" y="14">{action}</text>')
    return parts


def counts_svg(counts: list[dict[str, Any]], actions: tuple[str, ...], title: str) -> Markup:
    """The chart of the report's `counts` rows (segments with an ADD, UPDATE or DELETE)."""
    shown = [row for row in counts if any(row["by_action"])]
    widest = max((sum(row["by_action"]) for row in shown), default=0)
    scale = BAR / widest if widest else 0.0
    height = LEGEND + ROW * len(shown) + 4
    described = "; ".join(
        f"{row['segment']}: "
        + ", ".join(f"{n} {a}" for a, n in zip(actions, row["by_action"], strict=True))
        for row in shown
    )
    parts = [
        f'<svg id="counts-chart" role="img" aria-labelledby="counts-chart-title '
        f'counts-chart-desc" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'style="max-width:{WIDTH * 1.5:.0f}px" font-size="11" font-family="sans-serif">',
        f'<title id="counts-chart-title">{escape(title)}</title>',
        f'<desc id="counts-chart-desc">{escape(described)}</desc>',
        *_legend(actions),
    ]
    for i, row in enumerate(shown):
        parts += _bar(row, actions, LEGEND + ROW * i, scale)
    parts.append("</svg>")
    return Markup("\n".join(parts))
