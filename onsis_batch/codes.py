"""Ministry code tables, loaded once from `codes.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import ANY_KEY, SpecError, read_checked

_FILE_KEYS = {ANY_KEY: {"codes": {ANY_KEY: None}, "pattern": None}}


@dataclass(frozen=True)
class CodeTable:
    """One code table: its codes and their meanings, or the pattern every code matches."""

    name: str
    codes: dict[str, str]  # code -> meaning; empty when the table is a pattern
    pattern: str | None = None

    def is_valid(self, value: str) -> bool:
        """Whether `value` is a code of this table."""
        if self.pattern is not None:
            return re.fullmatch(self.pattern, value) is not None
        return value in self.codes


@cache
def code_tables() -> dict[str, CodeTable]:
    """Every code table, by name."""
    return read_checked(package_file("codes.yaml"), _FILE_KEYS, _tables)


def _tables(raw: dict[str, dict[str, Any]]) -> dict[str, CodeTable]:
    tables = {}
    for name, spec in raw.items():
        codes = spec.get("codes") or {}
        blank = [str(code) for code, meaning in codes.items() if not isinstance(meaning, str)]
        if blank:  # e.g. a comma inside an unquoted meaning of a {code: meaning} list
            raise SpecError(f"{name}.codes.{blank[0]}: the meaning must be text")
        codes = {str(code): meaning for code, meaning in codes.items()}
        tables[name] = CodeTable(name=name, codes=codes, pattern=spec.get("pattern"))
    return tables


def code_table(name: str) -> CodeTable:
    """The code table `name`; KeyError naming codes.yaml when there is none."""
    try:
        return code_tables()[name]
    except KeyError:
        raise KeyError(f"unknown code table {name!r} (see onsis_batch/codes.yaml)") from None
