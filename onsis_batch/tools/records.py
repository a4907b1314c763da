"""Read a batch file (or the results file OnSIS returns for it) back into records.

The segment tree comes from the specs: the envelope names the segments under SCHOOL and
each spec names its children, so a segment added by a new spec is read without a change
here. An element with child elements that no spec names is read as a segment of its own
(named after its tag, with no key), so files from newer versions still load.

Every record is identified by its natural key path, e.g. `OEN=123456789 / CLASS_CODE=MCV4U-01`:
the key elements of the record and of every ancestor segment, with a keyless segment
(STUDENT_SCHOOL_ENROLMENT) written as its tag. Key values are compared upper-case, dates
as YYYY/MM/DD and decimals with the spec's places, so the same record read from two files,
or from a file and a Pending Area Extract, has the same key.

The file is read in one streaming pass with hardened settings (no DTD, no entities, no
network): see `batch_stream`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from onsis_batch.findings import Finding, finding
from onsis_batch.plan.keys import SEPARATOR, key_part_expr
from onsis_batch.specs import load_envelope, load_specs
from onsis_batch.tools.batch_stream import (
    ERROR_CONTAINER,
    ERROR_FIELDS,
    MAX_SEGMENT_DEPTH,
    DocType,
    TooDeep,
    stream_batch,
)

__all__ = ["ERROR_CONTAINER", "ERROR_FIELDS", "MAX_SEGMENT_DEPTH"]
BOOKKEEPING = ("_school", "_segment", "_level", "_key", "_parent_key", "_action", "_line")


class NotABatchFile(ValueError):
    """The file cannot be read as a batch (or results) file; the message says why."""

    def __init__(self, reason: str, path: Path):
        super().__init__(reason)
        self.reason, self.path = reason, path


@dataclass
class Batch:
    """A batch or results file as records: one frame per segment, all values as text."""

    path: Path
    root: str
    header: dict[str, str]
    school_year: str
    period_code: str
    schools: list[str]
    frames: dict[str, pl.DataFrame]
    errors: list[dict[str, Any]] = field(default_factory=list)


@cache
def segment_tree() -> dict[tuple[str, str], str]:
    """(parent segment, child tag) -> child segment name, SCHOOL being the root."""
    specs = load_specs()
    tree: dict[tuple[str, str], str] = {}
    for name in load_envelope().school_children:
        tree[("SCHOOL", specs[name].xml_tag if name in specs else name)] = name
    for spec in specs.values():
        for child in spec.children:
            tree[(spec.segment, specs[child].xml_tag)] = child
    return tree


@cache
def key_elements() -> frozenset[str]:
    """Every element that is part of some segment's key: what a key path needs."""
    return frozenset(k for spec in load_specs().values() for k in spec.key)


def read_batch(path: Path, keep: Collection[str] | None = None) -> Batch:
    """Records of a batch file or a results file; raise NotABatchFile when it is neither.

    The file is read in one streaming pass (`batch_stream`). `keep` limits the element
    values kept to those named (key elements are always kept): a results import needs
    only the keys of the records, not their values.
    """
    wanted = None if keep is None else set(keep) | key_elements()
    try:
        read = stream_batch(path, segment_tree(), wanted)
    except (etree.XMLSyntaxError, OSError) as problem:
        raise NotABatchFile(f"it is not readable XML ({problem})", path) from None
    except DocType:
        raise NotABatchFile("it declares a DOCTYPE, which batch files never have", path) from None
    except TooDeep:
        reason = f"its elements nest more than {MAX_SEGMENT_DEPTH} segments deep"
        raise NotABatchFile(reason, path) from None
    if not read.has_submission:
        raise NotABatchFile(f"<{read.root}> has no DATA/SCHOOL_SUBMISSION", path)
    frames = _keyed(read.frames)
    return Batch(
        path=path,
        root=read.root,
        header=read.header,
        school_year=read.submission.get("ACADEMIC_YEAR", ""),
        period_code=read.submission.get("SUBMISSION_PERIOD_TYPE", ""),
        schools=read.schools,
        frames={n: f.drop("_rid", "_parent_rid") for n, f in frames.items()},
        errors=_resolved_errors(read.errors, frames),
    )


def batch_findings(problem: NotABatchFile, code: str = "DIF001") -> list[Finding]:
    """The finding for a file that could not be read."""
    return [finding(code, file=str(problem.path), reason=problem.reason)]


def _keyed(read: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """One frame per segment with `_key` and `_parent_key` filled in, parents first.

    The frames read are released one by one as their keyed copies are made.
    """
    specs = load_specs()
    built: dict[str, pl.DataFrame] = {}
    keys = pl.DataFrame(schema={"_rid": pl.Int64, "_key": pl.String})
    for name in sorted(read, key=lambda n: (read[n].item(0, "_level"), n)):
        frame = read.pop(name)
        spec = specs.get(name)
        tag = spec.xml_tag if spec else name
        missing = [k for k in (spec.key if spec else ()) if k not in frame.columns]
        frame = frame.with_columns(pl.lit(None, pl.String).alias(k) for k in missing)
        parents = keys.rename({"_rid": "_parent_rid", "_key": "_parent_key"})
        part = key_part_expr(spec, tag)
        frame = frame.join(parents, on="_parent_rid", how="left").with_columns(
            pl.when(pl.col("_parent_key").is_null())
            .then(part)
            .otherwise(pl.concat_str(pl.col("_parent_key"), pl.lit(SEPARATOR), part))
            .alias("_key")
        )
        # the same key twice in one school (a DELETE then an ADD) gets `#2`
        seen = pl.int_range(pl.len()).over("_school", "_key") + 1
        frame = frame.with_columns(
            pl.when(seen > 1)
            .then(pl.format("{} #{}", pl.col("_key"), seen))
            .otherwise(pl.col("_key"))
            .alias("_key")
        ).drop(missing)
        keys = pl.concat([keys, frame.select("_rid", "_key")])
        order = ["_rid", "_parent_rid", *BOOKKEEPING]
        built[name] = frame.select(*order, *[c for c in frame.columns if c not in order])
    return built


def _resolved_errors(
    errors: list[dict[str, Any]], frames: dict[str, pl.DataFrame]
) -> list[dict[str, Any]]:
    """ERROR entries with their record's key path, key values and ancestors' ids.

    An id is `SEGMENT:key path` (`SCHOOL:bsid` for the school, the tag for the file).
    """
    specs = load_specs()
    chains = {
        e["rid"]: [int(a[1:]) for a in e["ancestors"] if a.startswith("#")]
        for e in errors
        if e["rid"] is not None
    }
    needed = set(chains) | {a for chain in chains.values() for a in chain}
    known: dict[int, tuple[str, dict[str, str]]] = {}
    for name, frame in frames.items():
        spec = specs.get(name)
        key_columns = [k for k in (spec.key if spec else ()) if k in frame.columns]
        rows = frame.filter(pl.col("_rid").is_in(sorted(needed)))
        for rid, key, *values in rows.select("_rid", "_key", *key_columns).iter_rows():
            known[rid] = (f"{name}:{key}", dict(zip(key_columns, values, strict=True)))
    for entry in errors:
        rid = entry.pop("rid")
        envelope = [a for a in entry["ancestors"] if not a.startswith("#")]
        chain = chains.get(rid, [])
        entry["ancestors"] = envelope + [known[a][0] for a in chain]
        if rid is None:
            entry["owner"] = (
                f"SCHOOL:{entry['school']}" if entry["segment"] == "SCHOOL" else entry["segment"]
            )
            entry["key"] = entry["school"] if entry["segment"] == "SCHOOL" else ""
            entry["key_values"] = {}
        else:
            entry["owner"] = known[rid][0]
            entry["key"] = known[rid][0].split(":", 1)[1]
            entry["key_values"] = {k: v for a in [*chain, rid] for k, v in known[a][1].items()}
    return errors
