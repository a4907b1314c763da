"""The property campaign's harness (issue 13): sizes, an in-process command line, the
checks every input must pass, and the tally the terminal summary shows.

`ONSIS_CAMPAIGN_EXAMPLES` is the number of inputs the whole campaign tries, shared among
its tests by `SHARES`; without it (the everyday suite) each test tries `EVERYDAY` inputs.
Each test records `(kind, outcome) -> count` as the user property `campaign`, which
`conftest.py` adds up across xdist workers and prints at the end of the run.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from onsis_batch.cli import main
from onsis_batch.contract import contract
from onsis_batch.findings import catalog
from onsis_batch.pae.layout import load_layouts

TOTAL = os.environ.get("ONSIS_CAMPAIGN_EXAMPLES")
# The same inputs on every run, so a CI failure is one anyone can reproduce and a pass means
# the fixed 10,000 held; ONSIS_CAMPAIGN_EXPLORE=1 draws new inputs each run (D731).
EXPLORE = os.environ.get("ONSIS_CAMPAIGN_EXPLORE") == "1"
# Share of the campaign's inputs per test: the cheap layers (a reader, verify) take most,
# full in-process `generate` runs keep a meaningful share at about a tenth of their speed.
SHARES = {
    "tables": 0.30,
    "tables-generate": 0.04,
    "pae": 0.25,
    "pae-generate": 0.03,
    "results": 0.18,
    "manifests": 0.20,
}
EVERYDAY = {"tables-generate": 8, "pae-generate": 8}  # others: 20


def examples(test: str) -> int:
    """How many inputs `test` tries in this run."""
    if TOTAL is None:
        return EVERYDAY.get(test, 20)
    return max(1, round(int(TOTAL) * SHARES[test]))


def campaign(test: str) -> settings:
    """Hypothesis settings of one campaign test: its size, no deadline, no shrink budget
    wasted on health checks that a few slow examples would trip."""
    return settings(
        max_examples=examples(test),
        deadline=None,
        derandomize=not EXPLORE,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )


# --- the command line, in process -----------------------------------------------------------


@dataclass
class Outcome:
    """Exit code and captured streams of one command line run."""

    code: int
    stdout: str
    stderr: str

    @property
    def streams(self) -> str:
        """Both streams, to look for what must not be in either."""
        return self.stdout + self.stderr


def run_main(*args: object) -> Outcome:
    """Run `onsis-batch ARGS` through `cli.main` in this process, streams captured.

    Unlike `CliRunner.invoke`, an exception the command lets escape ends as it does for a
    user: exit code 3 with "internal error" on stderr (invoke would report exit code 1).
    """
    runner = CliRunner()
    argv = sys.argv
    with runner.isolation() as (out, err, _):
        sys.argv = ["onsis-batch", *(str(a) for a in args)]
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0 if done.code is None else 2
        finally:
            sys.argv = argv
        stdout, stderr = out.getvalue(), err.getvalue()
    return Outcome(code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))


# --- the tally ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Inputs tried by one campaign test, by outcome; recorded for the terminal summary."""

    kind: str
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str | int) -> None:
        """Count one input and its outcome (an exit code, or a word for a layer's verdict)."""
        self.counts[f"exit {outcome}" if isinstance(outcome, int) else outcome] += 1

    def record(self, record_property: Callable[[str, object], None]) -> None:
        """Hand the counts to pytest (and so to the xdist controller)."""
        record_property("campaign", {"kind": self.kind, "outcomes": dict(self.counts)})


# --- where findings point -------------------------------------------------------------------

POSITION = re.compile(r"\(column (\d+)\)")
NAMED_ONLY = {*contract(), *(f"PAE extract {extract}" for extract in load_layouts())}
COLUMNS = {c.name for t in contract().values() for c in t.columns} | {
    c.name for layout in load_layouts().values() for c in layout.columns
}


@dataclass
class Inputs:
    """What a run was given: folders (each file in them may be named by its file name) and
    files (named by their path). A finding's file must be one of these, and exist."""

    folders: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def resolve(self, label: str) -> Path | None:
        """The input a finding's `file` names, or None when it names none of them."""
        given = {str(p): p for p in (*self.folders, *self.files)}
        if label in given:
            return given[label]
        for folder in self.folders:
            if "/" not in label and label not in (".", "..") and (folder / label).exists():
                return folder / label
        return None


def misplaced(item: dict[str, Any], inputs: Inputs) -> str | None:
    """Why a finding (as JSON) does not name a real place of the inputs; None when it does.

    The file must be one given or one in a folder given, existing (or a table or extract
    named because its file is missing); its row must be within the file and its column one
    of the file's header, the contract's or the extract layout's, or a position.
    """
    label = item.get("file")
    if not label:
        return "no file"
    if ".tmp" in label or "onsis-batch-stage" in label:
        return "a temporary file"
    path = inputs.resolve(label)
    if path is None:
        return None if label in NAMED_ONLY else "not an input given"
    if not path.exists():
        return "a file that does not exist"
    if item.get("row") is not None and not 1 <= item["row"] <= row_limit(path):
        return f"row {item['row']} beyond the file"
    column = item.get("column")
    if column and not all(_known_column(part, path) for part in column.split(",")):
        return f"column {column!r} not in the file"
    return None


def row_limit(path: Path) -> int:
    """The highest row number any record of `path` can have (lines, however they end)."""
    if not path.is_file():
        return 0
    data = path.read_bytes()
    return data.count(b"\n") + data.count(b"\r") + 2


def _known_column(name: str, path: Path) -> bool:
    position = POSITION.fullmatch(name)
    if position:
        return int(position.group(1)) >= 1
    if name in COLUMNS or not path.is_file():
        return name in COLUMNS
    # a header the tool reads differently (lone CRs make the whole file one line): the name
    # must at least be in the file
    return name.lower().encode("utf-8", "replace") in path.read_bytes().lower()


def error_locations(findings: list[dict[str, Any]], inputs: Inputs) -> list[tuple[str, Any]]:
    """(why, finding) of every error finding that does not name a real input location."""
    return [
        (why, item)
        for item in findings
        if item["severity"] == "error" and (why := misplaced(item, inputs))
    ]


# --- what must not leak ---------------------------------------------------------------------


def names_input(code: str) -> bool:
    """Findings about the inputs (load, PAE) and the pre-render check, which must not quote
    an OEN; segment findings and work lists name a student by OEN on purpose (D539)."""
    entry = catalog().get(code)
    return entry is None or entry.stage in ("load", "pae") or code == "OUT004"


def quoted_oens(findings: Iterable[dict[str, Any]], oens: Iterable[str]) -> list[str]:
    """OENs quoted whole in the message of a finding about the inputs."""
    texts = [
        item.get("message_en", "") + item.get("message_fr", "") + str(item.get("params", ""))
        for item in findings
        if names_input(item["code"])
    ]
    return [oen for oen in oens if any(oen in text for text in texts)]


def leaked(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """The secrets that appear in any of the texts."""
    texts = list(texts)
    return [s for s in secrets if any(s in text for text in texts)]


# --- what is written ------------------------------------------------------------------------


def snapshot(root: Path) -> set[Path]:
    """Every path under `root` now, to tell later what a run added."""
    return set(root.rglob("*"))


def stray_writes(root: Path, before: set[Path], out: Path | None) -> list[str]:
    """What a run wrote outside `out`, or with a permission for the group or others."""
    problems = []
    for path in sorted(snapshot(root) - before):
        if out is None or (path != out and out not in path.parents):
            problems.append(f"outside --out: {path}")
        elif stat.S_IMODE(path.lstat().st_mode) & 0o077:
            problems.append(f"not owner-only: {path} {oct(path.lstat().st_mode)}")
    return problems


def written_texts(root: Path, before: set[Path]) -> list[str]:
    """The text of every file a run added (the batch XML aside: it carries names by law)."""
    added = (p for p in snapshot(root) - before if p.is_file() and p.suffix != ".xml")
    return [p.read_text("utf-8", "replace") for p in added]
