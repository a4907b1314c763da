"""What a run planned and wrote, as plain data the reports read: one `RunResult` per BSID,
the `BoardRun` of many, and the `Inputs` they were planned from.

These types sit at the plan layer so that the reports (summary, board summary, HTML
report) read a run's outcome without importing the run layer that produces it (D451).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.errors import EXIT_CLEAN, EXIT_ERRORS, EXIT_INPUT, EXIT_INTERNAL
from onsis_batch.findings import Finding, Severity, has_errors
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.model import Plan

INTERNAL_ERROR = "RUN001"  # the finding of a BSID the tool itself failed on


@dataclass(frozen=True)
class Inputs:
    """School data and PAE extracts of a run, loaded once for one or many BSIDs."""

    tables: dict[str, pl.DataFrame]
    pae: dict[str, dict[str, pl.DataFrame]]  # bsid -> extract -> rows
    findings: list[Finding]
    # bsid -> findings about that BSID's extracts alone (PAE030), so a board places them
    pae_findings: dict[str, list[Finding]] = field(default_factory=dict)
    # A board worker's chunk: the BSIDs planned from these tables one after another, and
    # what their plans share, computed once for all of them (segments.context.Chunk).
    chunk: tuple[SubmissionPeriod, ...] = ()
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class RunResult:
    """What one generate run did: the file, the plan's counts and every finding."""

    bsid: str
    period: SubmissionPeriod | None = None
    plan: Plan | None = None  # kept for callers in the same process; None once dropped
    planned: bool = False
    students: int = 0
    segment_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    output: Path | None = None
    sha256: str | None = None
    size: int = 0
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0  # wall time of this BSID in a board run
    overrides_applied: list[dict[str, Any]] = field(default_factory=list)
    report: Path | None = None  # the HTML run report, when asked for (`generate --html`)
    manifest: Path | None = None  # the run manifest beside a published file
    # records of the school data the file leaves out, by reason id (catalogue order)
    not_sent: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 errors in the planned file, 2 inputs that could not be used, 3 internal."""
        if any(f.code == INTERNAL_ERROR for f in self.findings):
            return EXIT_INTERNAL
        if not has_errors(self.findings):
            return EXIT_CLEAN
        return EXIT_ERRORS if self.planned else EXIT_INPUT

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per segment and action of the planned file."""
        return self.segment_counts

    def without_plan(self) -> RunResult:
        """The same result minus the plan's frames (to send between processes)."""
        self.plan = None
        return self


@dataclass
class BoardRun:
    """What a board run did: one result per BSID (in BSID order) and the load's findings."""

    results: list[RunResult]
    data_findings: list[Finding] = field(default_factory=list)
    worker_peaks_mb: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """The worst of the schools' exit codes (3 internal > 2 input > 1 errors > 0)."""
        return max((r.exit_code for r in self.results), default=EXIT_CLEAN)


def errors_first(findings: list[Finding]) -> list[Finding]:
    """Findings ordered for people: errors, then warnings, then notes; stable otherwise."""
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: rank[f.severity])
