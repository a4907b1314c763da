"""The fixed cost of one command (D1000-D1003): `generate` imports only what it uses, every
command still lists and completes, and the cheaper set-up reads the same data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from babel import Locale

from onsis_batch.cli import COMMANDS, cli
from onsis_batch.report.i18n import _COUNT_CATEGORY
from onsis_batch.resources import package_file

# Runs the command line as `python -m onsis_batch` does, then prints the modules loaded.
_RUN_AND_LIST = """
import json, runpy, sys
sys.argv = ["onsis-batch", *sys.argv[1:]]
try:
    runpy.run_module("onsis_batch", run_name="__main__")
except SystemExit:
    pass
print("MODULES " + json.dumps(sorted(sys.modules)))
"""

# Nothing a plain `generate` (no --html, stderr no terminal) needs: the HTML report, the
# labels' plural rules, the live display, the other commands' libraries.
NOT_FOR_GENERATE = ("babel", "jinja2", "rich", "jsonschema", "hypothesis", "xmlschema", "ssl")


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    return env | {"PYTHONWARNINGS": "ignore"}


def _modules_after(*args: str, cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_environment(),
        timeout=300,
    )
    [line] = [ln for ln in done.stdout.splitlines() if ln.startswith("MODULES ")]
    return set(json.loads(line.removeprefix("MODULES ")))


def test_generate_imports_only_what_it_needs(tmp_path):
    loaded = _modules_after("generate", "--sample", "--period", "oct", "--out", "out", cwd=tmp_path)
    assert list((tmp_path / "out").glob("ONSIS_*.xml")), "generate wrote no batch file"
    tops = {name.split(".")[0] for name in loaded}
    assert not tops & set(NOT_FOR_GENERATE)
    others = {m.partition(":")[0] for n, m in COMMANDS.items() if n not in ("generate", "explain")}
    assert not loaded & others, "generate imported another command's module"


def test_help_imports_no_command_library(tmp_path):
    loaded = _modules_after("--version", cwd=tmp_path)
    assert not {m for m in loaded if m.startswith(("onsis_batch.run", "polars"))}


def test_help_lists_every_command_with_its_short_help():
    done = subprocess.run(
        [sys.executable, "-m", "onsis_batch", "--help"],
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=120,
    )
    assert done.returncode == 0
    listed = done.stdout.split("Commands:")[1]
    with click.Context(cli) as ctx:
        for name in cli.list_commands(ctx):
            command = cli.get_command(ctx, name)
            assert command is not None and command.name == name
            short = command.get_short_help_str(limit=45)
            assert f"  {name}" in listed and short[:30] in listed, name


def test_the_lazy_commands_are_the_registered_ones():
    assert sorted(cli.commands) == sorted(COMMANDS)
    assert all(cli.commands[name].name == name for name in COMMANDS)
    with click.Context(cli) as ctx:
        assert cli.get_command(ctx, "no-such-command") is None


def test_shell_completion_of_command_names():
    env = _environment() | {
        "_ONSIS_BATCH_COMPLETE": "bash_complete",
        "COMP_WORDS": "onsis-batch ge",
        "COMP_CWORD": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "onsis_batch"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0 and "plain,generate" in done.stdout.splitlines()


@pytest.mark.parametrize("lang", sorted(_COUNT_CATEGORY))
def test_count_categories_are_babels(lang):
    locale = Locale.parse(lang)
    counts = [*range(0, 5001), 999_999, 10**6, 10**6 + 1, 2 * 10**6, 10**9, 10**12]
    assert [_COUNT_CATEGORY[lang](n) for n in counts] == [locale.plural_form(n) for n in counts]


def test_reasons_read_in_c_are_the_same_as_in_python():
    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml")
    text = package_file("reasons.yaml").read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.load(text, Loader=yaml.SafeLoader)
