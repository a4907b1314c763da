"""Ministry code tables, loaded once from `codes.yaml`.

Each table says where its codes come from (`source`) and lists them, or gives the pattern
every code matches. A code is written `code: English meaning` or, when more is known,
`code: {en: ..., fr: ..., start: YYYY-MM-DD, end: YYYY-MM-DD}`. A code with an `end` date
was retired by the Ministry: it stays in the file for the record and is refused (D611).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import ANY_KEY, SpecError, read_checked

ISO_COUNTRY_FILE = "country_codes_iso3166.csv"
# The code mappings shipped with the tool, by what they map and their name: a board's
# configuration (`code_mappings: {country: iso3166}`) reads one after the data's own (D945).
SHIPPED_MAPPINGS = {"country": {"iso3166": ISO_COUNTRY_FILE}}
_CODE_KEYS = {"en", "fr", "start", "end"}
_FILE_KEYS = {
    ANY_KEY: {"source": None, "ministry_table": None, "codes": {ANY_KEY: None}, "pattern": None}
}


@dataclass(frozen=True)
class Code:
    """One code: its meaning in English and French and the days the Ministry bounds it by."""

    en: str
    fr: str | None = None
    start: date | None = None
    end: date | None = None  # the Ministry retired the code on this day


@dataclass(frozen=True)
class CodeTable:
    """One code table: its codes and their meanings, or the pattern every code matches."""

    name: str
    codes: dict[str, str]  # code in force -> English meaning; empty when a pattern
    pattern: str | None = None
    source: str = ""
    ministry_table: str | None = None  # the Ministry's name of the list, when it is one
    entries: dict[str, Code] = field(default_factory=dict)  # every code, retired ones too

    def is_valid(self, value: str) -> bool:
        """Whether `value` is a code of this table in force."""
        if self.pattern is not None:
            return re.fullmatch(self.pattern, value) is not None
        return value in self.codes

    @property
    def retired(self) -> dict[str, Code]:
        """The codes the Ministry ended, by code."""
        return {code: entry for code, entry in self.entries.items() if entry.end is not None}

    def meaning(self, code: str, lang: str = "en") -> str | None:
        """What `code` means in `lang` (`en` or `fr`; English when no French is known)."""
        entry = self.entries.get(code)
        if entry is None:
            return None
        return (entry.fr or entry.en) if lang == "fr" else entry.en


@cache
def code_tables() -> dict[str, CodeTable]:
    """Every code table, by name."""
    return read_checked(package_file("codes.yaml"), _FILE_KEYS, _tables)


def code_table(name: str) -> CodeTable:
    """The code table `name`; KeyError naming codes.yaml when there is none."""
    try:
        return code_tables()[name]
    except KeyError:
        raise KeyError(f"unknown code table {name!r} (see onsis_batch/codes.yaml)") from None


@cache
def iso_country_codes() -> dict[str, str]:
    """ISO 3166 country letters (alpha-3 and alpha-2) -> Ministry country code.

    The shipped `country_codes_iso3166.csv` has the layout of the `code_mappings` table, so
    a board whose SIS keeps ISO letters names it in its configuration (D613, D945).
    """
    return _mapping_rows(ISO_COUNTRY_FILE)["country_type"]


@cache
def _mapping_rows(file: str) -> dict[str, dict[str, str]]:
    """Code table -> local code -> Ministry code of a shipped file in the code_mappings
    layout (the first row of a code wins, as in the table)."""
    mappings: dict[str, dict[str, str]] = {}
    with package_file(file).open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            mappings.setdefault(row["code_table"], {}).setdefault(
                row["local_code"], row["ministry_code"]
            )
    return mappings


def shipped_mappings(chosen: Iterable[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """The shipped code mappings a configuration names, as (what it maps, name) pairs, e.g.
    ("country", "iso3166"); code table -> local code -> Ministry code. KeyError for a pair
    that is not shipped (the configuration's schema refuses it first, CFG005)."""
    merged: dict[str, dict[str, str]] = {}
    for what, name in chosen:
        for table, codes in _mapping_rows(SHIPPED_MAPPINGS[what][name]).items():
            merged.setdefault(table, {}).update(codes)
    return merged


def _tables(raw: dict[str, dict[str, Any]]) -> dict[str, CodeTable]:
    return {name: _table(name, spec) for name, spec in raw.items()}


def _table(name: str, spec: dict[str, Any]) -> CodeTable:
    entries = {str(code): _code(f"{name}.codes.{code}", raw) for code, raw in _codes(spec)}
    source = spec.get("source")
    if not isinstance(source, str) or not source.strip():
        raise SpecError(f"{name}.source: say where the codes come from")
    if bool(entries) == ("pattern" in spec):
        raise SpecError(f"{name}: give either codes or a pattern")
    return CodeTable(
        name=name,
        codes={code: entry.en for code, entry in entries.items() if entry.end is None},
        pattern=spec.get("pattern"),
        source=source,
        ministry_table=spec.get("ministry_table"),
        entries=entries,
    )


def _codes(spec: dict[str, Any]) -> list[tuple[Any, Any]]:
    codes = spec.get("codes") or {}
    if not isinstance(codes, dict):
        raise SpecError("codes: a mapping of code to meaning")
    return list(codes.items())


def _code(where: str, raw: Any) -> Code:
    """One code from its meaning, or from its mapping of meanings and dates."""
    if isinstance(raw, str):
        return Code(en=raw)
    if not isinstance(raw, dict):  # e.g. a comma inside an unquoted meaning of a flow list
        raise SpecError(f"{where}: the meaning must be text")
    unknown = sorted(set(raw) - _CODE_KEYS)
    if unknown:
        raise SpecError(f"{where}.{unknown[0]}: unknown key")
    texts = [raw.get(key) for key in ("en", "fr")]
    if not isinstance(texts[0], str) or not isinstance(texts[1], str | None):
        raise SpecError(f"{where}: the meaning must be text")
    return Code(texts[0], texts[1], _day(where, raw, "start"), _day(where, raw, "end"))


def _day(where: str, raw: dict[str, Any], key: str) -> date | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SpecError(f"{where}.{key}: {value!r} is not a date like 2025-09-01") from None
