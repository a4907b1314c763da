"""Which extracts a period's segments are decided against, and a warning for each one missing.

Only 0003 is required (PAE007); any other extract missing from the folder is read as
empty, which sends every record of its segments as ADD. That is right for a school's first
submission (`--no-pae`), but from a PAE folder it is a download forgotten, so it is said
(PAE030, D980), once per extract, naming the segments it decides.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from onsis_batch.findings import Finding, finding
from onsis_batch.pae.extracts import PaeSet
from onsis_batch.pae.layout import load_layouts
from onsis_batch.specs import load_specs


def period_extracts(kind: str) -> dict[str, tuple[str, ...]]:
    """Extract -> the segments of period `kind` decided against it, by extract number."""
    segments: dict[str, list[str]] = {}
    for spec in load_specs().values():
        if spec.pae_extract is not None and kind in spec.periods:
            segments.setdefault(spec.pae_extract, []).append(spec.segment)
    return {extract: tuple(segments[extract]) for extract in sorted(segments)}


def missing_extracts(
    pae: PaeSet, folder: Path, bsid: str, kind: str, *, required: Collection[str]
) -> list[Finding]:
    """PAE030 for each extract of the period the folder has no block of `bsid` in.

    Required extracts are left to PAE007, which stops the run; an empty block counts as
    present (OnSIS holds nothing of it), as for PAE007.
    """
    layouts = load_layouts()
    return [
        finding(
            "PAE030",
            file=str(folder),
            key=bsid,
            extract=extract,
            file_type=layouts[extract].file_type,
            segments=", ".join(segments),
        )
        for extract, segments in period_extracts(kind).items()
        if extract not in required and (extract, bsid) not in pae.frames
    ]
