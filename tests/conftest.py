"""Tests that say what they did not run, and CI that runs them all.

Some tests need a service this machine may not have: a PostgreSQL server
(ONSIS_TEST_PG_URI) or a headless Chromium. They skip with the reason, and the run ends
with one line per missing service. With ONSIS_REQUIRE_ALL=1 (set by .ci/run) a skip is a
failure: CI installs every service, so nothing may go untested there.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

REQUIRE_ALL = os.environ.get("ONSIS_REQUIRE_ALL") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long campaigns (`@pytest.mark.campaign`) run only when asked for: `-m campaign`;
    those marked `campaign(everyday=True)` also run in the everyday suite, smaller."""
    if "campaign" in (config.option.markexpr or ""):
        return
    left_out = [item for item in items if _long_only(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _long_only(item)]


def _long_only(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("campaign")
    return marker is not None and not marker.kwargs.get("everyday")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped where every test must run (ONSIS_REQUIRE_ALL=1): {_why(report)}"


def _why(report: pytest.TestReport) -> str:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reasons = Counter(_why(report) for report in terminalreporter.stats.get("skipped", []))
    if reasons:
        terminalreporter.section("not run here")
        for reason, count in sorted(reasons.items()):
            terminalreporter.line(f"{count:4} test(s): {reason}")
    _campaign_summary(terminalreporter)


def _campaign_summary(terminalreporter) -> None:
    """Inputs tried per kind and their outcomes, as the campaign tests recorded them (the
    user property `campaign`, which xdist brings back from its workers)."""
    kinds: dict[str, Counter[str]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "campaign" and getattr(report, "when", "call") == "call":
                    kinds.setdefault(value["kind"], Counter()).update(value["outcomes"])
    if not kinds:
        return
    terminalreporter.section("campaign: inputs tried")
    for kind, outcomes in sorted(kinds.items()):
        shown = ", ".join(f"{name}: {count}" for name, count in sorted(outcomes.items()))
        terminalreporter.line(f"{sum(outcomes.values()):6}  {kind} ({shown})")
    total = sum(sum(outcomes.values()) for kind, outcomes in kinds.items() if "kill" not in kind)
    asked = os.environ.get("ONSIS_CAMPAIGN_EXAMPLES")
    terminalreporter.line(f"{total:6}  inputs in all" + (f" (asked for {asked})" if asked else ""))
