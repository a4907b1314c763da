"""Findings: the one record type for every problem or note the tool reports.

Each finding has a stable code from the catalog (`findings.yaml`), a severity, English and
French messages rendered from the catalog's templates, and its location as data: file, row
and column for inputs; segment, key and XPath/line for output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from onsis_batch.errors import InputError as InputError  # its home is the exception family
from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import ANY_KEY, read_yaml, record_keys


class Severity(StrEnum):
    """How serious a finding is: errors stop a run or a file, warnings and notes do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class CatalogEntry:
    """One code of the findings catalog: severity, stage, and its texts in both languages."""

    code: str
    severity: Severity
    stage: str
    title: str
    message_en: str
    message_fr: str
    hint: str
    title_fr: str = ""
    hint_fr: str = ""
    segment: str | None = None  # the plan segment a business-rule check reads
    reads: tuple[str, ...] = ()  # the elements (or input columns) the check reads
    ministry_code: str | None = None  # the OnSIS message this check anticipates, e.g. MCE0039

    def localized(self, lang: str) -> dict[str, str]:
        """Title, message template and hint in `lang` (en or fr)."""
        if lang == "fr":
            return {"title": self.title_fr, "message": self.message_fr, "hint": self.hint_fr}
        return {"title": self.title, "message": self.message_en, "hint": self.hint}


@dataclass(frozen=True)
class Finding:
    """One problem or note, with its messages in both languages and its location as data."""

    code: str
    severity: Severity
    message_en: str
    message_fr: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    segment: str | None = None
    key: str | None = None
    xpath: str | None = None
    line: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def location(self) -> str:
        """Human-readable location: `file, row 5, column oen` or `STUDENT 123456789`."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.segment:
            parts.append(self.segment if not self.key else f"{self.segment} {self.key}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data, without empty fields."""
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["params"] = {k: str(v) for k, v in self.params.items()}
        return {k: v for k, v in data.items() if v not in (None, {})}

    def __str__(self) -> str:
        where = f" [{self.location}]" if self.location else ""
        return f"{self.severity.upper()} {self.code}{where}: {self.message_en}"


_YAML_NAMES = {"message_en": "en", "message_fr": "fr"}  # catalog field -> key in findings.yaml
_ENTRY_KEYS = {
    _YAML_NAMES.get(name, name): None for name in record_keys(CatalogEntry, leave_out=("code",))
}


@cache
def catalog() -> dict[str, CatalogEntry]:
    """Every finding code the tool can report, read once from `findings.yaml`."""
    raw = read_yaml(package_file("findings.yaml"), {ANY_KEY: _ENTRY_KEYS})
    entries = {}
    for code, spec in raw.items():
        values = {name: spec.get(key) for name, key in _YAML_NAMES.items()}
        values |= {k: v for k, v in spec.items() if k not in _YAML_NAMES.values()}
        values |= {"severity": Severity(spec["severity"]), "reads": tuple(spec.get("reads", ()))}
        entries[code] = CatalogEntry(code=code, **values)
    return entries


def finding(
    code: str,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
    segment: str | None = None,
    key: str | None = None,
    xpath: str | None = None,
    line: int | None = None,
    severity: Severity | None = None,
    **params: Any,
) -> Finding:
    """Build a finding from its catalog entry; `params` fill the message templates."""
    entry = catalog()[code]
    values = {"file": file, "row": row, "column": column, "key": key, "segment": segment, **params}
    return Finding(
        code=code,
        severity=severity or entry.severity,
        message_en=entry.message_en.format(**values),
        message_fr=entry.message_fr.format(**values),
        file=file,
        row=row,
        column=column,
        segment=segment,
        key=key,
        xpath=xpath,
        line=line,
        params=params,
    )


@dataclass(frozen=True)
class FromColumn:
    """In `findings_for_rows`: take this field from the named column of each row."""

    name: str


def findings_for_rows(code: str, rows: Any, **fields: Any) -> list[Finding]:
    """One finding per row of a polars frame.

    Fields given as `FromColumn("x")` are read from each row; any other value is the same
    for every finding, e.g. `findings_for_rows("STU001", frame, file="students",
    row=FromColumn("student_row"), student_id=FromColumn("student_id"))`.
    """
    names = list(dict.fromkeys(v.name for v in fields.values() if isinstance(v, FromColumn)))
    return [
        finding(
            code, **{k: row[v.name] if isinstance(v, FromColumn) else v for k, v in fields.items()}
        )
        for row in rows.select(names).iter_rows(named=True)
    ]


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any of the findings is an error."""
    return any(f.severity is Severity.ERROR for f in findings)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    """The number of findings of each severity, every severity listed."""
    counts = Counter(str(f.severity) for f in findings)
    return {str(s): counts.get(str(s), 0) for s in Severity}
