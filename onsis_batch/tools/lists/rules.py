"""The lists `onsis-batch lists` knows, read from `rules.yaml`: each list's description
(English and French), its rule's settings and its columns."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import ANY_KEY, Shape, read_yaml

_LIST: Shape = {"en": None, "fr": None, "rule": None, "columns": None}
_SHAPE: Shape = {ANY_KEY: _LIST, "identifiers": None, "personal": None}
_SHARED = ("identifiers", "personal")


@dataclass(frozen=True)
class ListRule:
    """One list: its name, description in each language, rule settings and columns."""

    name: str
    en: str
    fr: str
    rule: dict[str, Any]
    columns: tuple[str, ...]

    def description(self, lang: str) -> str:
        """The one-line description in `lang` (en or fr)."""
        return self.fr if lang == "fr" else self.en


@cache
def _rules_file() -> dict[str, Any]:
    data: dict[str, Any] = read_yaml(package_file("tools", "lists", "rules.yaml"), _SHAPE)
    return data


@cache
def list_rules() -> dict[str, ListRule]:
    """Every list by name, in the file's order."""
    return {
        name: ListRule(name, entry["en"], entry["fr"], entry["rule"] or {}, tuple(entry["columns"]))
        for name, entry in _rules_file().items()
        if name not in _SHARED
    }


def identifier_columns() -> frozenset[str]:
    """Columns Excel must keep as text (OENs, BSIDs, class codes...)."""
    return frozenset(_rules_file()["identifiers"])


def personal_columns() -> frozenset[str]:
    """Columns shown only with --show-pii (names)."""
    return frozenset(_rules_file()["personal"])
