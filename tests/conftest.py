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
    """Long campaigns (`@pytest.mark.campaign`) run only when asked for: `-m campaign`."""
    if "campaign" in (config.option.markexpr or ""):
        return
    left_out = [item for item in items if item.get_closest_marker("campaign")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("campaign")]


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
