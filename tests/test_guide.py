"""The user guide (docs/guide, mkdocs.yml): the site builds with warnings as errors, every
command and option it shows exists, and its worked examples run as it says."""

import importlib.util
import logging
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import click
from click.testing import CliRunner
from lxml import etree

import onsis_batch
from onsis_batch.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GUIDE = [*sorted((ROOT / "docs" / "guide").glob("*.md")), ROOT / "docs" / "index.md"]
EXAMPLE = Path(onsis_batch.__file__).parent / "examples" / "overrides.yaml"
STAMP = "2025-10-31T09:00:00"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
# The tool's name as a command: alone, at the end of a path, or after `ExecStart=`.
COMMAND = re.compile(r"(?:^|[\s=/\\])onsis-batch(?:\.exe)?[ \t]+([^\n]*)")


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (site / "guide" / "overrides.html").is_file()
    assert (site / "data-contract.html").is_file()


def _hook():
    spec = importlib.util.spec_from_file_location("guide_hooks", ROOT / "docs/guide/hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_links_to_repository_files_become_text_and_broken_ones_warn(caplog):
    page = SimpleNamespace(
        file=SimpleNamespace(abs_src_path=str(ROOT / "docs/elements.md"), src_uri="elements.md")
    )
    config = {"docs_dir": str(ROOT / "docs"), "config_file_path": str(ROOT / "mkdocs.yml")}
    markdown = (
        "[engine](../onsis_batch/segments/engine.py), [gone](../onsis_batch/gone.py), "
        "[contract](data-contract.md), [web](https://example.org/x.py)"
    )
    with caplog.at_level(logging.WARNING):
        shown = _hook().on_page_markdown(markdown, page, config, None)
    assert '<span title="onsis_batch/segments/engine.py">engine</span>' in shown
    assert "[gone](../onsis_batch/gone.py)" in shown
    assert "[contract](data-contract.md)" in shown and "[web](https://example.org/x.py)" in shown
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.endswith(
        "elements.md links to ../onsis_batch/gone.py, which is not a file of the repository"
    )


def _command_lines(text):
    """Each `onsis-batch ...` command the page shows, continuation lines joined."""
    blocks = [b.replace("\\\n", " ").replace("^\n", " ") for b in FENCE.findall(text)]
    spans = re.findall(r"`(onsis-batch [^`]+)`", FENCE.sub("", text))
    return [m for block in [*blocks, *spans] for m in COMMAND.findall(block)]


def _options(command):
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}


def test_every_command_and_option_the_guide_shows_exists():
    seen = 0
    for path in GUIDE:
        for line in _command_lines(path.read_text(encoding="utf-8")):
            words = [w for w in shlex.split(line, comments=True) if w != "..."]
            name, *rest = words
            command = cli if name.startswith("-") else cli.commands.get(name)
            assert isinstance(command, click.Command), f"{path.name}: no command {name!r}"
            known = _options(command) | {"--help", "-h"}
            for word in words if command is cli else rest:
                option = word.split("=")[0]
                assert not option.startswith("-") or option in known, f"{path.name}: {line}"
            seen += 1
    assert seen > 40  # the pages do show commands


def _generate(*args):
    """`onsis-batch generate` with the header date pinned."""
    return CliRunner().invoke(cli, ["generate", *map(str, args), "--timestamp", STAMP])


def test_the_worked_mapping_example_generates_what_the_guide_says(tmp_path):
    text = (ROOT / "docs/guide/mapping.md").read_text(encoding="utf-8")
    tables = re.findall(r"^`sis/(\w+\.csv)`.*?\n\n```csv\n(.*?)```", text, re.M | re.S)
    assert len(tables) == 11
    (tmp_path / "sis").mkdir()
    for name, body in tables:
        (tmp_path / "sis" / name).write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    options = f"--data {tmp_path / 'sis'} --no-pae --bsid 999001 --period oct --year 2025-2026"
    done = _generate(*options.split(), "--out", out)
    assert done.exit_code == 0, done.output
    assert "findings: 0 errors, 0 warnings, 0 notes" in done.output
    tree = etree.parse(str(out / "ONSIS_OCTSEC1_20251031_999001.xml"))
    enrolment = tree.xpath("//STUDENT[OEN='999100011']/STUDENT_SCHOOL_ENROLMENT")[0]
    assert enrolment.findtext("STUDENT_MOBILITY_TYPE") == "05"
    assert (enrolment.findtext("FTE"), enrolment.findtext("ATTENDANCE_TYPE")) == ("1.00", "FT")
    assert len(enrolment.findall("STUDENT_CLASS_ENROLMENT")) == 2
    assert len(tree.xpath("//CLASS")) == 4


def test_the_shipped_overrides_example_takes_effect_on_the_sample(tmp_path):
    page = (ROOT / "docs/guide/overrides.md").read_text(encoding="utf-8")
    assert f"```yaml\n{EXAMPLE.read_text(encoding='utf-8')}```" in page  # shown as shipped
    done = _generate("--sample", "--period", "oct", "--overrides", EXAMPLE, "--out", tmp_path)
    assert done.exit_code == 0, done.output
    assert "OVR004" in done.output and "STUDENT_MOBILITY_TYPE_EXIT None → 64" in done.output
    tree = etree.parse(str(tmp_path / "ONSIS_OCTSEC1_20251031_998467.xml"))
    (enrolment,) = tree.xpath("//STUDENT[OEN='994076896']/STUDENT_SCHOOL_ENROLMENT")
    assert enrolment.findtext("STUDENT_MOBILITY_TYPE_EXIT") == "64"
