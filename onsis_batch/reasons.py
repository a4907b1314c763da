"""Decision reasons: the catalog of rule ids a plan row carries in `_reason`.

Declared once in `reasons.yaml`: per id the segment and action it decides, an English and a
French title, the decisions of docs/decisions.md it follows and the rule-book passage it
implements; `not_sent: true` marks the ids that say why a record of the school data is left
out of the file (no action; segments/not_sent.py). Validated when loaded (an unknown key, a
bad action or a segment the specs do not know is reported with the file and the key path);
`explain`, the HTML report, the `reasons` command and docs/reasons.md read it from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from onsis_batch.resources import package_file
from onsis_batch.specs import ACTIONS, SpecError, load_specs

ANY_SEGMENT = "*"  # the segment of a rule every segment shares (PARENT-ADD, OVERRIDE)
LANGUAGES = ("en", "fr")
REQUIRED = ("segment", "action", "title", "title_fr", "decisions")
ALLOWED = {*REQUIRED, "rulebook", "not_sent"}
REASON_ID = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*")
DECISION_ID = re.compile(r"D\d+")
RULEBOOK_REF = re.compile(r"(?P<section>\S.*?) \(lines? (?P<first>\d+)(?:-(?P<last>\d+))?\)")


@dataclass(frozen=True)
class RulebookRef:
    """A passage of the rule book: its section heading (with the part, e.g. `› ACTION`) and
    the lines it spans in onsis-secondary-submission-report.txt."""

    section: str
    first_line: int
    last_line: int

    def __str__(self) -> str:
        if self.first_line == self.last_line:
            return f"{self.section} (line {self.first_line})"
        return f"{self.section} (lines {self.first_line}-{self.last_line})"


@dataclass(frozen=True)
class Reason:
    """One rule id of the catalog."""

    id: str
    segment: str  # a segment name, or ANY_SEGMENT
    action: str | None  # ADD, UPDATE, DELETE; None: no ACTION (STUDENT) or any (OVERRIDE)
    title: str
    title_fr: str
    decisions: tuple[str, ...]
    rulebook: tuple[RulebookRef, ...] = ()
    not_sent: bool = False  # why a record of the school data is left out of the file

    def title_in(self, lang: str) -> str:
        """The title in `lang` (en or fr)."""
        return self.title_fr if lang == "fr" else self.title

    def applies_to(self, segment: str) -> bool:
        """Whether rows of `segment` may carry this id."""
        return self.segment in (segment, ANY_SEGMENT)


def _rulebook(raw: Any, where: str) -> tuple[RulebookRef, ...]:
    """The rule-book references of one entry: one string or a list of strings."""
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts:
        raise SpecError(f"{where}: give one reference or a non-empty list of them")
    refs = []
    for text in texts:
        match = RULEBOOK_REF.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise SpecError(f"{where}: {text!r} is not like 'Section › Part (lines 10-20)'")
        first = int(match["first"])
        last = int(match["last"] or first)
        if last < first:
            raise SpecError(f"{where}: {text!r} ends before it starts")
        refs.append(RulebookRef(match["section"], first, last))
    return tuple(refs)


def _check_action(segment: str, action: Any, where: str) -> None:
    """The action must be one the segment's spec allows (none for a segment without ACTION)."""
    if action is not None and action not in ACTIONS:
        raise SpecError(f"{where}.action: {action!r} is not one of {ACTIONS} or null")
    if segment == ANY_SEGMENT:
        return
    spec = load_specs().get(segment)
    if spec is None:
        raise SpecError(f"{where}.segment: no segment spec {segment!r}")
    allowed: tuple[str | None, ...] = spec.actions if spec.has_action else (None,)
    if action not in allowed:
        raise SpecError(f"{where}.action: {segment} allows {allowed}, not {action!r}")


def _decisions(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(
        isinstance(d, str) and DECISION_ID.fullmatch(d) for d in raw
    ):
        raise SpecError(f"{where}: must be a list of decision ids like D12")
    return tuple(raw)


def _title(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}.{key}: must be a non-empty text")
    return value.strip()


def _reason(reason_id: Any, raw: Any, where: str) -> Reason:
    """One entry, checked key by key."""
    if not isinstance(reason_id, str) or not REASON_ID.fullmatch(reason_id):
        raise SpecError(f"{where}: {reason_id!r} is not a rule id like SSE-ADD-NEW")
    where = f"{where}.{reason_id}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: must be a mapping")
    unknown = sorted(set(raw) - ALLOWED)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    missing = [key for key in REQUIRED if key not in raw]
    if missing:
        raise SpecError(f"{where}: missing key(s) {', '.join(missing)}")
    segment = str(raw["segment"])
    left_out = raw.get("not_sent", False)
    if left_out is not True and "not_sent" in raw:
        raise SpecError(f"{where}.not_sent: must be true, or left out")
    if left_out:
        if raw["action"] is not None or segment not in load_specs():
            raise SpecError(f"{where}: a not-sent reason names a segment and no action")
    else:
        _check_action(segment, raw["action"], where)
    return Reason(
        id=reason_id,
        segment=segment,
        action=raw["action"],
        title=_title(raw, "title", where),
        title_fr=_title(raw, "title_fr", where),
        decisions=_decisions(raw["decisions"], f"{where}.decisions"),
        rulebook=_rulebook(raw["rulebook"], f"{where}.rulebook") if "rulebook" in raw else (),
        not_sent=bool(left_out),
    )


def load_reasons(path: Path) -> dict[str, Reason]:
    """Every entry of a reasons file, by rule id; SpecError names the file and key path."""
    # PyYAML's safe loading, parsed in C when libyaml is there (the same data, ~10x faster:
    # this file is read on every run). D1002.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # a safe loader

    if not isinstance(raw, dict):
        raise SpecError(f"{path.name}: must be a mapping of rule ids")
    return {str(key): _reason(key, value, path.name) for key, value in raw.items()}


@cache
def reasons() -> dict[str, Reason]:
    """The bundled catalog (`onsis_batch/reasons.yaml`), read once."""
    return load_reasons(package_file("reasons.yaml"))


def reason_title(reason_id: str | None, lang: str = "en") -> str | None:
    """The title of a rule id in `lang`; None for no id or an id the catalog lacks."""
    entry = reasons().get(reason_id or "")
    return entry.title_in(lang) if entry else None
