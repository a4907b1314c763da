"""Validate a batch file against the generated XSD, and a plan against the business rules
the XSD cannot express (mandatory-on-ACTION, length of text values).

The file is parsed with a hardened lxml parser: no DTD is loaded, no entity is expanded
and nothing is fetched from the network, so a hostile file cannot read local files or
blow up memory. A DOCTYPE is reported, never processed.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import polars as pl
from lxml import etree

from onsis_batch.findings import Finding, finding
from onsis_batch.plan.model import OMIT_SUFFIX, Plan
from onsis_batch.queries import IN_MEMORY
from onsis_batch.specs import ElementSpec, SegmentSpec, load_specs
from onsis_batch.validate.rules import run_checks
from onsis_batch.validate.xsd import schema_path

OUT001, OUT003 = "OUT001", "OUT003"  # the plan checks of this module
MAX_FINDINGS = 200  # one by one; the rest are counted in a final summary finding


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        dtd_validation=False,
    )


def hardened_parser() -> etree.XMLParser:
    """The parser for every XML file the tool reads (batch, results): see the module doc."""
    return _parser()


@lru_cache(maxsize=8)
def _compiled(path: str, mtime_ns: int) -> etree.XMLSchema:
    """The compiled schema; the modification time in the key picks up a regenerated file."""
    return etree.XMLSchema(etree.parse(path, _parser()))


def validate_file(
    path: Path, schema: Path | None = None, label: str | None = None
) -> list[Finding]:
    """XSD001/XSD002 findings for the batch file at `path` (empty when it is valid).

    `label` is the name the findings give the file: the name a batch file is published
    under, never the temporary file it is checked as.
    """
    findings = _file_findings(path, schema or schema_path())
    if label is None:
        return findings
    return [replace(f, file=label) if f.file == str(path) else f for f in findings]


def _file_findings(path: Path, schema: Path) -> list[Finding]:
    parser = _parser()
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        return _syntax_findings(exc, parser.error_log, path)
    except OSError as exc:
        return [finding("XSD002", file=str(path), reason=f"cannot be read: {exc}")]
    findings = _doctype_findings(tree, path)
    if findings:  # unexpanded entities would only confuse the schema validator
        return findings
    xsd = _compiled(str(schema.resolve()), schema.stat().st_mtime_ns)
    try:
        valid = xsd.validate(tree)
    except etree.XMLSchemaValidateError as exc:
        return [finding("XSD001", file=str(path), reason=f"validation stopped: {exc}")]
    return [] if valid else _schema_findings(xsd.error_log, tree, path)


def _syntax_findings(
    exc: etree.XMLSyntaxError, log: etree._ListErrorLog, path: Path
) -> list[Finding]:
    entries = [e for e in log if e.level >= etree.ErrorLevels.ERROR]  # this parse only
    if not entries:
        return [finding("XSD002", file=str(path), line=exc.lineno, reason=str(exc))]
    return _capped(
        [finding("XSD002", file=str(path), line=e.line, reason=e.message) for e in entries],
        "XSD002",
        path,
    )


def _doctype_findings(tree: etree._ElementTree, path: Path) -> list[Finding]:
    """A DOCTYPE has no place in a batch file; its entities were left unexpanded."""
    doctype = tree.docinfo.doctype  # type: ignore[attr-defined]  # lxml-stubs lack it
    if not doctype and tree.docinfo.internalDTD is None:
        return []
    entities = sorted({e.name for e in tree.iter(etree.Entity)})  # type: ignore[attr-defined]
    unexpanded = f"; entity references left unexpanded: {', '.join(entities)}" if entities else ""
    reason = f"the file declares a DOCTYPE ({doctype or 'internal subset'}), which OnSIS batch "
    reason += f"files never have; it was not processed{unexpanded}"
    return [finding("XSD001", file=str(path), reason=reason)]


def _schema_findings(
    log: etree._ListErrorLog, tree: etree._ElementTree, path: Path
) -> list[Finding]:
    findings = []
    for entry in list(log)[:MAX_FINDINGS]:
        segment, key = _locate(tree, entry.path)
        findings.append(
            finding(
                "XSD001",
                file=str(path),
                line=entry.line,
                xpath=entry.path or None,
                segment=segment,
                key=key,
                reason=entry.message,
            )
        )
    return _capped(findings, "XSD001", path, total=len(log))


def _capped(
    findings: list[Finding], code: str, path: Path, total: int | None = None
) -> list[Finding]:
    total = len(findings) if total is None else total
    if total <= MAX_FINDINGS:
        return findings
    summary = finding(
        code,
        file=str(path),
        reason=f"{total - MAX_FINDINGS} more problem(s) of this kind not listed",
    )
    return [*findings[:MAX_FINDINGS], summary]


def _locate(tree: etree._ElementTree, xpath: str | None) -> tuple[str | None, str | None]:
    """The segment holding the failing element, and the nearest key above it (e.g. OEN)."""
    if not xpath:
        return None, None
    try:
        nodes = tree.xpath(xpath)
    except etree.XPathError:
        return None, None
    if not isinstance(nodes, list) or not nodes or not isinstance(nodes[0], etree._Element):
        return None, None
    specs = load_specs()
    segment = key = None
    for node in [nodes[0], *nodes[0].iterancestors()]:
        spec = specs.get(str(node.tag))
        if spec is None:
            continue
        segment = segment or spec.segment
        if spec.key:
            key = "/".join(node.findtext(k) or "" for k in spec.key)
            break
    return segment, key


# --- business checks on the plan ---------------------------------------------------------


def check_plan(plan: Plan, specs: dict[str, SegmentSpec] | None = None) -> list[Finding]:
    """OUT001 (value missing where the row's ACTION makes it mandatory) and OUT003 (text
    longer than the element allows), for the elements this run writes, then the business
    rules of `onsis_batch.validate.rules` (RUL codes)."""
    specs = specs or load_specs()
    tests = {name: _plan_tests(plan, name, specs[name]) for name in sorted(plan.segments)}
    tests = {name: t for name, t in tests.items() if t and not plan.segments[name].is_empty()}
    # Which tests any row fails: every segment's in one polars call (one filter per element
    # cost ~400 polars calls per BSID); only those are looked at row by row.
    queries = [
        plan.segments[name]
        .lazy()
        .select(hit.any().alias(str(n)) for n, (_, _, hit) in enumerate(t))
        for name, t in tests.items()
    ]
    findings: list[Finding] = []
    for (name, t), failing in zip(
        tests.items(), pl.collect_all(queries, engine=IN_MEMORY), strict=True
    ):
        frame = plan.segments[name]
        for (code, element, hit), failed in zip(t, failing.row(0), strict=True):
            if failed and code == OUT001:
                findings += _mandatory_findings(name, frame.filter(hit), element)
            elif failed:
                findings += _length_findings(name, frame.filter(hit), element)
    return findings + run_checks(plan)


def _plan_tests(plan: Plan, name: str, spec: SegmentSpec) -> list[tuple[str, ElementSpec, pl.Expr]]:
    """The OUT001 and OUT003 tests of a segment's elements, in element order: each a mask
    of the rows that fail it."""
    frame = plan.segments[name]
    schema = frame.schema  # a new object at each reading: read once
    tests: list[tuple[str, ElementSpec, pl.Expr]] = []
    for element in spec.applicable_elements(plan.period.school_year, plan.period.private):
        if element.type == "action" or element.fixed is not None:
            continue
        tests += [(OUT001, element, _missing(frame, element))] if element.mandatory_on else []
        if element.max_length is not None and schema.get(element.name) == pl.String:
            tests.append((OUT003, element, _too_long(frame, element)))
    return tests


def _written(frame: pl.DataFrame, element: ElementSpec) -> pl.Expr:
    """Rows that write the element (not omitted by a true `<NAME>__omit`)."""
    omit = element.name + OMIT_SUFFIX
    return ~pl.col(omit).fill_null(False) if omit in frame.columns else pl.lit(True)


def _missing(frame: pl.DataFrame, element: ElementSpec) -> pl.Expr:
    """Rows whose ACTION makes the element mandatory and that do not write a value."""
    if element.name in frame.columns:
        missing = pl.col(element.name).is_null() | ~_written(frame, element)
    else:  # no column at all: every row lacks the value
        missing = pl.lit(True)
    return (pl.col("_action").is_in(element.mandatory_on) & missing).fill_null(False)


def _too_long(frame: pl.DataFrame, element: ElementSpec) -> pl.Expr:
    """Rows that write a text longer than the element allows."""
    assert element.max_length is not None
    too_long = pl.col(element.name).str.len_chars() > element.max_length
    return (too_long & _written(frame, element)).fill_null(False)


def _mandatory_findings(name: str, hits: pl.DataFrame, element: ElementSpec) -> list[Finding]:
    return [
        finding("OUT001", segment=name, key=key, element=element.name, action=action)
        for key, action in hits.select("_id", "_action").iter_rows()
    ]


def _length_findings(name: str, hits: pl.DataFrame, element: ElementSpec) -> list[Finding]:
    return [
        finding(
            "OUT003",
            segment=name,
            key=key,
            element=element.name,
            value="(personal data, not shown)" if element.personal else value,
            max_length=element.max_length,
        )
        for key, value in hits.select("_id", element.name).iter_rows()
    ]
