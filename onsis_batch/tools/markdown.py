"""Markdown pieces of the generated reference pages: tables, and each page's fixed words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """The fixed words of one generated page in one language."""

    file: str
    title: str
    intro: str
    headers: tuple[str, ...]


def cell(text: Any) -> str:
    """A value as one table cell: pipes escaped, on one line, empty for nothing."""
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """The lines of a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines
