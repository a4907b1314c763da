"""What a run tells people first and last (issue 14 items 3-5): the verdict line, the
traceback of an internal error on request, the required period, the sample's year."""

from __future__ import annotations

import sys

import pytest

from onsis_batch import cli
from onsis_batch.errors import DEBUG_VARIABLE


def _broken(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("boom in the tool")


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["onsis-batch", *args])
    monkeypatch.setattr("onsis_batch.tools.reference_docs.findings_listing", _broken)
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    return int(stopped.value.code or 0)


def test_an_internal_error_is_one_line_that_says_how_to_get_the_traceback(monkeypatch, capsys):
    monkeypatch.setenv(DEBUG_VARIABLE, "0")  # restored (unset) after the test
    assert _main(monkeypatch, "codes") == 3
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "internal error: RuntimeError: boom in the tool (run again with --debug, or "
        "ONSIS_BATCH_DEBUG=1, for the full traceback)"
    ]


@pytest.mark.parametrize(
    ("args", "env"),
    [(("codes", "--debug"), None), (("--debug", "codes"), None), (("codes",), "1")],
)
def test_debug_prints_the_full_traceback(monkeypatch, capsys, args, env):
    monkeypatch.setenv(DEBUG_VARIABLE, "0")  # restored (unset) after the test
    if env:
        monkeypatch.setenv(DEBUG_VARIABLE, env)
    assert _main(monkeypatch, *args) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert 'in _broken\n    raise RuntimeError("boom in the tool")' in err
    assert err.rstrip().endswith("internal error: RuntimeError: boom in the tool")
