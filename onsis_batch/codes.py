"""Ministry code tables, loaded once from `codes.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from onsis_batch.resources import package_file


@dataclass(frozen=True)
class CodeTable:
    name: str
    codes: dict[str, str]  # code -> meaning; empty when the table is a pattern
    pattern: str | None = None

    def is_valid(self, value: str) -> bool:
        if self.pattern is not None:
            return re.fullmatch(self.pattern, value) is not None
        return value in self.codes


@cache
def code_tables() -> dict[str, CodeTable]:
    raw = yaml.safe_load(package_file("codes.yaml").read_text(encoding="utf-8"))
    tables = {}
    for name, spec in raw.items():
        codes = {str(k): str(v) for k, v in (spec.get("codes") or {}).items()}
        tables[name] = CodeTable(name=name, codes=codes, pattern=spec.get("pattern"))
    return tables


def code_table(name: str) -> CodeTable:
    try:
        return code_tables()[name]
    except KeyError:
        raise KeyError(f"unknown code table {name!r} (see onsis_batch/codes.yaml)") from None
