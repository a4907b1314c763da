"""The report's students as one compact JSON blob the page renders on demand (D960).

Rendering every student's rows as HTML made a 2,000-student report weigh 2.8 MB. The
page instead embeds the rows as arrays of small numbers, with the repeated texts (segment
names, actions, rule ids and titles, key element names) listed once:

- `segments`, `actions`, `names`: lists the rows index into;
- `reasons`: `[rule id, title]` pairs;
- `students`: `[SIS id, OEN, rows, findings]`, in plan order (student `n` is anchor
  `s<n+1>`); a row is `[segment, action, reason, parent row or -1, name, value]`: its key
  is its parent row's key, " / ", then `names[name] + value` (the last part of the key),
  or `value` alone without a parent;
  a finding is `[code, severity, message]`.

Values are already masked; the blob is escaped so no `<` ends its script element.
"""

from __future__ import annotations

import json
from typing import Any

SEPARATOR = " / "


class _Index:
    """Distinct values in first-seen order, each with its position."""

    def __init__(self) -> None:
        self.values: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        return self.values.setdefault(value, len(self.values))

    def listed(self) -> list[Any]:
        return list(self.values)


def _split(component: str) -> tuple[str, str]:
    """`CLASS_CODE=FSF1D-06` -> (`CLASS_CODE=`, `FSF1D-06`); a bare name stays whole."""
    name, equals, value = component.partition("=")
    return (name + equals, value) if equals else ("", component)


def compact_students(students: list[dict[str, Any]]) -> dict[str, Any]:
    """The students of `report_data` (rows and findings) in the compact form above."""
    segments, actions, names, reasons = _Index(), _Index(), _Index(), _Index()
    packed = []
    for student in students:
        rows: list[list[Any]] = []
        seen: dict[str, int] = {}
        for row in student["rows"]:
            parent_key, _, last = row["key"].rpartition(SEPARATOR)
            parent = seen.get(parent_key, -1) if parent_key else -1
            # with no earlier row holding its prefix, a row keeps its whole key
            name, value = _split(last) if parent >= 0 else ("", row["key"])
            rows.append(
                [
                    segments(row["segment"]),
                    actions(row["action"]),
                    reasons((row["reason"], row["reason_title"])),
                    parent,
                    names(name),
                    value,
                ]
            )
            seen.setdefault(row["key"], len(rows) - 1)
        found = [[f["code"], f["severity"], f["message"]] for f in student["findings"]]
        packed.append([student["id"], student["oen"], rows, found])
    return {
        "segments": segments.listed(),
        "actions": actions.listed(),
        "names": names.listed(),
        "reasons": [list(pair) for pair in reasons.listed()],
        "students": packed,
    }


def script_json(data: Any) -> str:
    """`data` as JSON safe inside `<script type="application/json">` (no `<`, `>`, `&`)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
