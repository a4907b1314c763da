"""The rule-by-rule audit: every rule of the rule book, traced to code, rule ids and tests.

One YAML file per segment the tool builds (`onsis_batch/tools/audit/<SEGMENT>.yaml`, plus
`ENVELOPE.yaml` for the batch file's frame and the period) lists each selection, ACTION
and element rule of the segment's rule-book section: its lines in
onsis-secondary-submission-report.txt, a paraphrase, the rule ids (reasons.yaml) it
gives, the function that applies it, the scenario cases (tests/cases) or test functions
that check it, and its status:

- implemented: the tool does what the rule says (cases or tests required);
- decided: the tool does something else on purpose, recorded as a D-number of
  docs/decisions.md;
- not-applicable: the rule cannot apply to this tool (e.g. a PowerSchool screen), with why.

There is no `open` status: a rule the tool gets wrong is fixed, or its difference recorded as
a decision (D940).

tests/test_rule_audit.py checks every reference (cases, tests, rule ids, functions,
D-numbers) and that every rule id a builder emits is covered; `onsis-batch docs` writes
docs/rule-audit.md from the same files (D800).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from onsis_batch.resources import package_file
from onsis_batch.specs import SpecError, load_specs
from onsis_batch.strict_yaml import Shape, read_yaml, record_keys
from onsis_batch.tools.markdown import markdown_table

ENVELOPE = "ENVELOPE"  # the batch file's frame (header, school, period), not a spec segment
RULE_BOOK_LINES = 4990  # lines of onsis-secondary-submission-report.txt
STATUSES = {
    "implemented": "implemented",
    "decided": "decided otherwise",
    "not-applicable": "not applicable",
}
LINES = re.compile(r"(\d+)(?:-(\d+))?")
DECISION = re.compile(r"D\d+")


@dataclass(frozen=True)
class AuditRule:
    """One rule of the rule book and where the tool stands on it."""

    segment: str
    id: str
    lines: str  # "3510" or "3510-3512"
    rule: str  # the rule in our own words
    status: str  # a key of STATUSES
    element: str | None = None  # the element an element rule derives
    reasons: tuple[str, ...] = ()
    function: str | None = None  # module:function, when not the spec's derivation
    cases: tuple[str, ...] = ()  # scenario case names (tests/cases)
    tests: tuple[str, ...] = ()  # test node ids, tests/test_x.py::test_name
    decision: str | None = None  # D-number of a decided (or not-applicable) rule
    why: str | None = None  # why a rule does not apply

    @property
    def span(self) -> tuple[int, int]:
        """The first and last line of the rule in the rule book."""
        match = LINES.fullmatch(self.lines)
        assert match, self.lines  # checked when loaded
        first = int(match[1])
        return first, int(match[2] or first)

    def deriving(self) -> str | None:
        """The `module:function` applying the rule: the row's own, else the spec's."""
        if self.function or self.segment == ENVELOPE:
            return self.function
        spec = load_specs()[self.segment]
        if self.element and self.element != "ACTION":
            return spec.derivation(self.element)
        return spec.built_by


_SHAPE: Shape = {
    "segment": None,
    "section": None,
    "rules": [record_keys(AuditRule, leave_out=("segment",))],
}
_LISTS = ("reasons", "cases", "tests")


@dataclass(frozen=True)
class SegmentAudit:
    """The audit of one segment: its rule-book section and its rules in book order."""

    segment: str
    section: str
    rules: tuple[AuditRule, ...]

    def counts(self) -> Counter[str]:
        """Rules per status."""
        return Counter(rule.status for rule in self.rules)


def _problem(rule: AuditRule) -> str | None:
    """What makes one row unusable, in words; None when it is well formed."""
    span = LINES.fullmatch(rule.lines)
    if not span or not 1 <= int(span[1]) <= int(span[2] or span[1]) <= RULE_BOOK_LINES:
        return f"lines {rule.lines!r} are not a range of the rule book"
    if rule.status not in STATUSES:
        return f"status {rule.status!r} is not one of {', '.join(STATUSES)}"
    if rule.decision is not None and not DECISION.fullmatch(rule.decision):
        return f"decision {rule.decision!r} is not a D-number"
    if rule.status == "decided" and not rule.decision:
        return "a decided rule names its decision"
    if rule.status == "not-applicable" and not rule.why:
        return "a rule that does not apply says why"
    return None


def _rule(segment: str, raw: dict[str, Any]) -> AuditRule:
    values: dict[str, Any] = {
        k: (tuple(v) if k in _LISTS else str(v)) for k, v in raw.items() if v is not None
    }
    try:
        rule = AuditRule(segment=segment, **values)
    except TypeError as missing:
        raise SpecError(f"rule {raw.get('id')!r}: {missing}") from None
    problem = _problem(rule)
    if problem:
        raise SpecError(f"{segment} {rule.id}: {problem}")
    return rule


def load_audit(path: Path) -> SegmentAudit:
    """One segment's audit file, checked for unknown keys and malformed rows."""
    raw = read_yaml(path, _SHAPE)
    segment = raw["segment"]
    if path.stem != segment:
        raise SpecError(f"{path.name} audits {segment}")
    rules = tuple(_rule(segment, r) for r in raw["rules"])
    twice = [rid for rid, n in Counter(r.id for r in rules).items() if n > 1]
    if twice:
        raise SpecError(f"{segment}: rule ids used twice: {', '.join(twice)}")
    return SegmentAudit(segment, raw["section"], rules)


@cache
def audits() -> dict[str, SegmentAudit]:
    """Every segment's audit, the envelope first, then in the specs' order."""
    folder = package_file("tools", "audit")
    found = {p.stem: load_audit(p) for p in sorted(folder.glob("*.yaml"))}
    order = [ENVELOPE, *load_specs()]
    return dict(sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))


INTRO = [
    "# Rule-book audit",
    "",
    "Generated from `onsis_batch/tools/audit/` by `onsis-batch docs`; do not edit by hand. "
    "Every selection, ACTION and element rule of the rule book "
    "(onsis-secondary-submission-report.txt, cited by line) for each segment the tool builds: "
    "what it says in our words, the rule ids it gives ([reasons.md](reasons.md)), the function "
    "applying it ([elements.md](elements.md)), the scenario cases (`tests/cases/<SEGMENT>.yaml`) "
    "or tests checking it, and its status: implemented, decided otherwise (a decision of "
    "[decisions.md](decisions.md)) or not applicable. "
    "`tests/test_rule_audit.py` checks every reference.",
    "",
]
COUNT_HEADERS = ("segment", "rules", *STATUSES.values())
RULE_HEADERS = (
    "rule",
    "lines",
    "what the rule says",
    "rule ids",
    "applied by",
    "tested by",
    "status",
)


def _count_row(name: str, counts: Counter[str]) -> list[Any]:
    return [name, str(sum(counts.values())), *(str(counts[s]) for s in STATUSES)]


def _status(rule: AuditRule) -> str:
    words = STATUSES[rule.status]
    details = [d for d in (rule.decision, rule.why) if d]
    return f"{words} ({'; '.join(details)})" if details else words


def _rule_row(rule: AuditRule) -> list[str]:
    name = f"{rule.id} ({rule.element})" if rule.element else rule.id
    tested = [f"“{c}”" for c in rule.cases] + [f"`{t.split('/')[-1]}`" for t in rule.tests]
    return [
        name,
        rule.lines,
        rule.rule,
        ", ".join(f"`{r}`" for r in rule.reasons),
        f"`{rule.deriving()}`" if rule.deriving() else "",
        "; ".join(tested),
        _status(rule),
    ]


def rule_audit_markdown() -> str:
    """docs/rule-audit.md: the counts, then every segment's rules."""
    every = audits().values()
    total: Counter[str] = sum((a.counts() for a in every), Counter())
    rows = [_count_row(a.segment, a.counts()) for a in every] + [_count_row("all", total)]
    lines = [*INTRO, *markdown_table(COUNT_HEADERS, rows), ""]
    for audit in every:
        lines += [f"## {audit.segment}", "", f"Rule book: {audit.section}.", ""]
        lines += [*markdown_table(RULE_HEADERS, [_rule_row(r) for r in audit.rules]), ""]
    return "\n".join(lines)
