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

The file is parsed with the project's hardened parser (no DTD, no entities, no network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from onsis_batch.findings import Finding, finding
from onsis_batch.plan.keys import SEPARATOR, key_part_expr
from onsis_batch.specs import load_envelope, load_specs
from onsis_batch.validate.batch_file import hardened_parser

ERROR_CONTAINER = "DATA_ERROR_DETAILS"
ERROR_FIELDS = ("FIELD_NAME", "FIELD_VALUE", "MESSAGE_CODE", "E_MESSAGE", "F_MESSAGE")
# Batch files nest segments four deep (STUDENT > ENROLMENT > CLASS ENROLMENT > COURSE INFO);
# elements no spec names nest too, but a file nested deeper than this is no batch file (and
# reading it would exhaust the stack).
MAX_SEGMENT_DEPTH = 32
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


def read_batch(path: Path) -> Batch:
    """Records of a batch file or a results file; raise NotABatchFile when it is neither."""
    try:
        tree = etree.parse(str(path), hardened_parser())
    except (etree.XMLSyntaxError, OSError) as problem:
        raise NotABatchFile(f"it is not readable XML ({problem})", path) from None
    docinfo: Any = tree.docinfo  # lxml-stubs' DocInfo lacks `doctype` (lxml has it)
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise NotABatchFile("it declares a DOCTYPE, which batch files never have", path)
    root = tree.getroot()
    submission = root.find("DATA/SCHOOL_SUBMISSION")
    if submission is None:
        raise NotABatchFile(f"<{root.tag}> has no DATA/SCHOOL_SUBMISSION", path)
    walker = _Walker()
    try:
        walker.envelope(root)
    except _TooDeep:
        reason = f"its elements nest more than {MAX_SEGMENT_DEPTH} segments deep"
        raise NotABatchFile(reason, path) from None
    frames = walker.frames()
    return Batch(
        path=path,
        root=str(root.tag),
        header={str(e.tag): (e.text or "").strip() for e in root.iterfind("HEADER/*")},
        school_year=(submission.findtext("ACADEMIC_YEAR") or "").strip(),
        period_code=(submission.findtext("SUBMISSION_PERIOD_TYPE") or "").strip(),
        schools=walker.schools,
        frames={n: f.drop("_rid", "_parent_rid") for n, f in frames.items()},
        errors=walker.resolved_errors(frames),
    )


def batch_findings(problem: NotABatchFile, code: str = "DIF001") -> list[Finding]:
    """The finding for a file that could not be read."""
    return [finding(code, file=str(problem.path), reason=problem.reason)]


def _leaves(node: etree._Element) -> dict[str, str]:
    return {
        str(e.tag): (e.text or "").strip()
        for e in node
        if isinstance(e.tag, str) and len(e) == 0 and e.tag != ERROR_CONTAINER
    }


def _depth(ancestors: list[str]) -> int:
    """1 for a segment directly under SCHOOL: ancestors are envelope ids, then `#rid`s."""
    return 1 + sum(a.startswith("#") for a in ancestors)


class _TooDeep(Exception):
    """Segments nested deeper than MAX_SEGMENT_DEPTH."""


class _Walker:
    """Collects records per segment, and ERROR entries, in one walk of the tree.

    Records get a number (`_rid`) and their parent's; key paths are built afterwards, one
    segment at a time, parents first, with polars expressions.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.schools: list[str] = []
        self.errors: list[dict[str, Any]] = []
        self.specs = load_specs()
        self.next_rid = 0

    def envelope(self, root: etree._Element) -> None:
        self._errors(root, "file", str(root.tag), "", None, [])
        for section in root.iterfind("HEADER"):
            self._errors(section, "file", "HEADER", "", None, [])
        for data in root.iterfind("DATA"):
            self._errors(data, "file", "DATA", "", None, [])
            for submission in data.iterfind("SCHOOL_SUBMISSION"):
                self._errors(submission, "file", "SCHOOL_SUBMISSION", "", None, [])
                for school in submission.iterfind("SCHOOL"):
                    bsid = (school.findtext("SCHOOL_NUMBER") or "").strip()
                    self.schools.append(bsid)
                    self._errors(school, "school", "SCHOOL", bsid, None, ["SCHOOL_SUBMISSION"])
                    above = ["SCHOOL_SUBMISSION", f"SCHOOL:{bsid}"]
                    self._children(school, "SCHOOL", bsid, None, above)

    def _children(
        self, node: etree._Element, parent: str, bsid: str, rid: int | None, ancestors: list[str]
    ) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.tag == ERROR_CONTAINER:
                continue
            name = segment_tree().get((parent, child.tag))
            if name is None and len(child) == 0:
                continue  # a plain element of the parent
            self._segment(child, name or str(child.tag), bsid, rid, ancestors)

    def _segment(
        self,
        node: etree._Element,
        name: str,
        bsid: str,
        parent_rid: int | None,
        ancestors: list[str],
    ) -> None:
        if len(ancestors) > MAX_SEGMENT_DEPTH:
            raise _TooDeep
        rid = self.next_rid
        self.next_rid += 1
        values = _leaves(node)
        self.rows.setdefault(name, []).append(
            {
                "_rid": rid,
                "_parent_rid": parent_rid,
                "_school": bsid,
                "_segment": name,
                "_level": _depth(ancestors),
                "_action": values.get("ACTION") or None,
                "_line": node.sourceline,
                **values,
            }
        )
        level = "segment" if _depth(ancestors) == 1 else "nested segment"
        self._errors(node, level, name, bsid, rid, ancestors)
        self._children(node, name, bsid, rid, [*ancestors, f"#{rid}"])

    def _errors(
        self,
        node: etree._Element,
        level: str,
        owner: str,
        bsid: str,
        rid: int | None,
        ancestors: list[str],
    ) -> None:
        for container in node.iterfind(ERROR_CONTAINER):
            for error in container.iterfind("ERROR"):
                entry: dict[str, Any] = {
                    f.lower(): (error.findtext(f) or "").strip() for f in ERROR_FIELDS
                }
                entry.update(
                    school=bsid,
                    level=level,
                    segment=owner,
                    rid=rid,
                    ancestors=list(ancestors),
                    line=error.sourceline,
                )
                self.errors.append(entry)

    def frames(self) -> dict[str, pl.DataFrame]:
        """One frame per segment with `_key` and `_parent_key` filled in, parents first."""
        built: dict[str, pl.DataFrame] = {}
        keys = pl.DataFrame(schema={"_rid": pl.Int64, "_key": pl.String})
        for name in sorted(self.rows, key=lambda n: (self.rows[n][0]["_level"], n)):
            rows = self.rows[name]
            columns = list(dict.fromkeys(c for row in rows for c in row))
            schema: dict[str, type[pl.DataType]] = {c: pl.String for c in columns}
            schema.update(_rid=pl.Int64, _parent_rid=pl.Int64, _level=pl.Int64, _line=pl.Int64)
            frame = pl.from_dicts(rows, schema=schema)
            spec = self.specs.get(name)
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

    def resolved_errors(self, frames: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
        """ERROR entries with their record's key path, key values and ancestors' ids.

        An id is `SEGMENT:key path` (`SCHOOL:bsid` for the school, the tag for the file).
        """
        chains = {
            e["rid"]: [int(a[1:]) for a in e["ancestors"] if a.startswith("#")]
            for e in self.errors
            if e["rid"] is not None
        }
        needed = set(chains) | {a for chain in chains.values() for a in chain}
        known: dict[int, tuple[str, dict[str, str]]] = {}
        for name, frame in frames.items():
            spec = self.specs.get(name)
            key_columns = [k for k in (spec.key if spec else ()) if k in frame.columns]
            rows = frame.filter(pl.col("_rid").is_in(sorted(needed)))
            for rid, key, *values in rows.select("_rid", "_key", *key_columns).iter_rows():
                known[rid] = (f"{name}:{key}", dict(zip(key_columns, values, strict=True)))
        for entry in self.errors:
            rid = entry.pop("rid")
            envelope = [a for a in entry["ancestors"] if not a.startswith("#")]
            chain = chains.get(rid, [])
            entry["ancestors"] = envelope + [known[a][0] for a in chain]
            if rid is None:
                entry["owner"] = (
                    f"SCHOOL:{entry['school']}"
                    if entry["segment"] == "SCHOOL"
                    else entry["segment"]
                )
                entry["key"] = entry["school"] if entry["segment"] == "SCHOOL" else ""
                entry["key_values"] = {}
            else:
                entry["owner"] = known[rid][0]
                entry["key"] = known[rid][0].split(":", 1)[1]
                entry["key_values"] = {k: v for a in [*chain, rid] for k, v in known[a][1].items()}
        return self.errors
