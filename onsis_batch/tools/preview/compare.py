"""Differences between a preview and last period's figures.

The previous figures come from a preview saved with `preview --json` (as it was computed,
PAE included) or from last period's batch file (read alone: its PAE of the time is gone).
Each figure row is matched on figure, segment, group and measure; a row on one side only
compares with 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from onsis_batch.errors import InputError
from onsis_batch.findings import finding
from onsis_batch.tools.preview.figures import Figure, Preview, preview
from onsis_batch.tools.preview.view import preview_dict
from onsis_batch.tools.records import NotABatchFile, read_batch

PREVIEW_COMMAND = "preview"


def previous_figures(path: Path) -> dict[str, Any]:
    """The previous preview as data (`preview_dict`'s keys): from its JSON, or computed
    from the batch file; InputError (LST003) when the file is neither."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        if data.get("command") != PREVIEW_COMMAND or not isinstance(data.get("figures"), list):
            reason = "it is JSON, but not what preview --json prints"
            raise InputError([finding("LST003", file=str(path), reason=reason)])
        return data
    try:
        read_batch(path)
    except NotABatchFile as problem:
        raise InputError([finding("LST003", file=str(path), reason=problem.reason)]) from None
    return preview_dict(preview(path))


Key = tuple[str, str, str, str]  # figure, segment, group, measure


def _values(figures: list[dict[str, Any]]) -> dict[Key, Any]:
    found = {}
    for item in figures:
        for row in item.get("rows") or []:
            key = (item.get("name"), row.get("segment"), row.get("group"), row.get("measure"))
            found[(str(key[0]), str(key[1]), str(key[2]), str(key[3]))] = row.get("value")
    return found


def differences(current: Preview, previous: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure row that differs: figure, segment, group, measure, previous,
    current and the change (current - previous)."""
    before = _values(previous.get("figures") or [])
    now = _values([_figure_data(f) for f in current.figures])
    rows = []
    for key in list(now) + [k for k in before if k not in now]:
        old, new = _number(before.get(key)), _number(now.get(key))
        if old != new:
            figure, segment, group, measure = key
            rows.append(
                {
                    "figure": figure,
                    "segment": segment,
                    "group": group,
                    "measure": measure,
                    "previous": old,
                    "current": new,
                    "change": round(new - old, 2),
                }
            )
    return rows


def other_school(current: Preview, previous: dict[str, Any], path: Path) -> list[Any]:
    """LST004 when the previous figures are for other schools."""
    then = [str(s) for s in previous.get("schools") or []]
    if set(then) & set(current.schools) or not then:
        return []
    return [finding("LST004", file=str(path), then=", ".join(then), now=", ".join(current.schools))]


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _figure_data(figure: Figure) -> dict[str, Any]:
    return {"name": figure.name, "rows": figure.rows}
