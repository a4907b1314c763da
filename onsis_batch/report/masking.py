"""Masking of OENs in what explain and the HTML report print, and of personal values.

A report may be read by people who should not see every student's OEN. Unless the
registrar asks for personal data (`--show-pii`), every OEN the run knows (school data,
PAE extracts, plan) is shown as its last three digits only, wherever it appears: key
paths, messages, PAE rows. One OEN can be left in clear (the one `explain` was asked
about).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from onsis_batch.sources.issues import without_oens

NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
SHOWN_DIGITS = 3
PERSONAL = "(personal)"  # shown for a personal value (a name, a birth date) left out


def mask_oen(oen: str) -> str:
    """`123456789` -> `******789`."""
    return "*" * (len(oen) - SHOWN_DIGITS) + oen[-SHOWN_DIGITS:]


def known_oens(frames: Iterable[pl.DataFrame], column: str = "oen") -> set[str]:
    """Every OEN (digits only) found in `column` of the frames that have it."""
    found: set[str] = set()
    for frame in frames:
        if column in frame.columns:
            digits = frame.get_column(column).cast(pl.String).str.replace_all(r"\D", "")
            found.update(d for d in digits.drop_nulls().unique().to_list() if len(d) == 9)
    return found


def text_masker(oens: set[str], keep: str | None = None) -> Callable[[str], str]:
    """A function masking the OENs of `oens` (except `keep`) inside any text."""
    hidden = oens - {keep} if keep else oens

    def mask(text: str) -> str:
        return NINE_DIGITS.sub(
            lambda m: mask_oen(m.group(0)) if m.group(0) in hidden else m.group(0), text
        )

    return mask


def mask_data(data: Any, mask: Callable[[str], str]) -> Any:
    """`data` (dicts, lists, scalars) with every string passed through `mask`."""
    if isinstance(data, str):
        return mask(data)
    if isinstance(data, dict):
        return {k: mask_data(v, mask) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [mask_data(v, mask) for v in data]
    return data


def oen_hider(show_pii: bool) -> Callable[[str], str]:
    """What a command's terminal and `--json` output pass their text through: every run of
    nine digits by its last three, unless the user asked for personal data (`--show-pii`).
    Keys and messages name students by OEN; the output layer masks them all alike."""
    return _shown_whole if show_pii else without_oens


def _shown_whole(text: str) -> str:
    return text
