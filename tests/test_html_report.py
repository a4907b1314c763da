"""The HTML run report of `generate --html`: content, masking, French, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.report.explain_view import labels

OEN = "994076896"  # a sample student with an SSE003 warning
SSE_KEY = f"OEN={OEN} / STUDENT_SCHOOL_ENROLMENT"


def _generate(out: Path, *options: str) -> Path:
    result = CliRunner().invoke(
        cli,
        [
            "generate",
            "--sample",
            "--period",
            "oct",
            "--out",
            str(out),
            "--timestamp",
            "2025-10-31T09:00:00",
            "--html",
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    report = re.search(r"^(?:report|rapport): (.+)$", result.output, re.M)
    assert report, result.output
    return Path(report.group(1))


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    overrides = folder / "overrides.yaml"
    entry = {
        "segment": "STUDENT_SCHOOL_ENROLMENT",
        "key": SSE_KEY,
        "set": {"GRADE_TYPE": "12"},
        "reason": "Grade confirmed by the principal",
        "author": "Registrar",
        "expires": "2099-12-31",
    }
    overrides.write_text(yaml.safe_dump({"overrides": [entry]}), encoding="utf-8")
    return _generate(folder / "out", "--overrides", str(overrides))


def test_report_sits_beside_the_batch_file_owner_only(english):
    assert english.name.endswith(".xml.report.html")
    assert english.with_name(english.name.removesuffix(".report.html")).exists()
    assert stat.S_IMODE(english.stat().st_mode) == 0o600


def test_report_is_self_contained(english):
    page = english.read_text(encoding="utf-8")
    assert "<style>" in page
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", page)
    assert "<script" not in page and "<link" not in page


def test_counts_findings_overrides_and_students(english):
    page = english.read_text(encoding="utf-8")
    assert re.search(r"<td>STUDENT_SCHOOL_ENROLMENT</td><td class=\"n\">58</td>", page)
    assert 'id="code-SSE003"' in page and 'href="#code-SSE003"' in page
    assert "Grade confirmed by the principal" in page and "GRADE_TYPE: 11 → 12" in page
    assert page.count('<section class="student"') == 281
    # the SSE003 finding links to the student's section, which lists its rows and rule ids
    anchor = re.search(r"Student \*+896 is closed.*?href=\"#(s\d+)\"", page, re.S).group(1)
    section = page.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]
    assert "SSE-UPD-EXCLUDED" not in section  # the override decided this row
    assert "<td>STUDENT_SCHOOL_ENROLMENT</td><td>UPDATE</td><td>OVERRIDE</td>" in section
    assert "SSE003" in section


def test_oens_masked_unless_show_pii(english, tmp_path):
    page = english.read_text(encoding="utf-8")
    assert OEN not in page and "******896" in page
    assert not re.search(r"OEN=\d{9}", page)
    shown = _generate(tmp_path, "--show-pii").read_text(encoding="utf-8")
    assert f"OEN={OEN}" in shown and "masked" not in shown


def test_french_report_has_french_labels_and_messages(tmp_path):
    page = _generate(tmp_path, "--lang", "fr").read_text(encoding="utf-8")
    fr, en = labels("fr"), labels("en")
    assert '<html lang="fr">' in page
    assert fr["counts"] in page and fr["per_student"] in page
    assert "fermé comme non-retour" in page  # SSE003 in French
    english_only = [v for k, v in en.items() if v != fr[k] and len(v) > 8 and k in _used()]
    assert english_only and not [v for v in english_only if v in page]


def _used() -> set[str]:
    template = (
        Path(__file__).parents[1] / "onsis_batch" / "report" / "templates" / "run_report.html"
    )
    return set(re.findall(r"t\.(\w+)", template.read_text(encoding="utf-8")))


def test_every_template_label_exists_in_both_languages():
    assert _used() <= set(labels("en")) and _used() <= set(labels("fr"))


# --- headless Chromium ---------------------------------------------------------------------

WIDTH, HEIGHT = 1280, 2000


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it")
        pytest.skip("no Chromium: chromium is not installed (apt-get install chromium)")
    return found


def _browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, timeout=60, check=False)


def _png(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed pixel rows of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, at = [], 8
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + size])
        at += size + 12
    return width, height, zlib.decompress(b"".join(chunks))


def test_report_renders_in_headless_chromium(english, tmp_path):
    binary = _chromium()
    shot = tmp_path / "report.png"
    url = english.resolve().as_uri()
    run = _browser(binary, tmp_path / "profile", f"--screenshot={shot}", url)
    assert shot.exists(), run.stderr.decode(errors="replace")[-2000:]
    width, height, pixels = _png(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    assert len(set(pixels[:: max(1, len(pixels) // 50_000)])) > 8  # text and tables, not blank
    dom = _browser(binary, tmp_path / "profile2", "--dump-dom", url).stdout.decode()
    for table in ("run", "counts-table", "findings-summary", "overrides-table"):
        assert f'<table id="{table}">' in dom
    assert dom.count('class="student-rows"') >= 250


def test_purge_removes_the_report_with_its_batch_file(tmp_path):
    import time

    from onsis_batch.run.retention import purge

    batch = tmp_path / "ONSIS_OCTSEC1_20251031_998467.xml"
    batch.write_text("<x/>")
    report = batch.with_name(batch.name + ".report.html")
    report.write_text("<html></html>")
    assert purge(tmp_path, older_than_days=0, now=time.time() + 60) == [batch, report]
