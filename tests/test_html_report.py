"""The HTML run report of `generate --html`: content, masking, French, and a real browser."""

from __future__ import annotations

import html
import json
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


def _generate_from(data: Path, pae: Path, out: Path, bsid: str) -> Path:
    """The report of a synthetic school's October file."""
    options = ["--data", str(data), "--pae", str(pae), "--bsid", bsid]
    result = CliRunner().invoke(
        cli,
        ["generate", *options, "--year", "2025-2026", "--period", "oct", "--out", str(out),
         "--timestamp", "2025-10-31T09:00:00", "--html"],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return next(out.glob("*.report.html"))


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
    assert "<link" not in page and not re.search(r"<script[^>]*\bsrc=", page)
    assert "http" not in page.split("<script>", 1)[1]  # the inline script loads nothing


def test_counts_findings_overrides_and_students(english):
    page = english.read_text(encoding="utf-8")
    assert re.search(r"<td>STUDENT_SCHOOL_ENROLMENT</td><td class=\"n\">58</td>", page)
    assert 'id="code-SSE003"' in page and 'href="#code-SSE003"' in page
    assert "Grade confirmed by the principal" in page and "GRADE_TYPE: 11 → 12" in page
    data = _student_data(page)
    assert len(data["students"]) == 281
    # the SSE003 finding links to the student's details, which list its rows and rule ids
    anchor = re.search(r"Student \*+896 is closed.*?href=\"#s(\d+)\"", page, re.S).group(1)
    _, oen, rows, found = data["students"][int(anchor) - 1]
    assert oen == "******896"
    decided = [
        (data["segments"][r[0]], data["actions"][r[1]], data["reasons"][r[2]][0]) for r in rows
    ]
    assert ("STUDENT_SCHOOL_ENROLMENT", "UPDATE", "OVERRIDE") in decided
    assert "SSE-UPD-EXCLUDED" not in {reason for *_, reason in decided}  # the override decided
    assert [f[0] for f in found] == ["SSE003"]


def _student_data(page: str) -> dict:
    blob = page.split('<script type="application/json" id="student-data">', 1)[1]
    return json.loads(blob.split("</script>", 1)[0])


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
    text = re.sub(r"<script>.*?</script>", "", template.read_text(encoding="utf-8"), flags=re.S)
    return set(re.findall(r"(?<![\w.])t\.(\w+)", text))


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
    assert '<svg id="counts-chart"' in dom


def test_purge_removes_the_report_with_its_batch_file(tmp_path):
    import time

    from onsis_batch.run.retention import purge

    batch = tmp_path / "ONSIS_OCTSEC1_20251031_998467.xml"
    batch.write_text("<x/>")
    report = batch.with_name(batch.name + ".report.html")
    report.write_text("<html></html>")
    assert purge(tmp_path, older_than_days=0, now=time.time() + 60) == [batch, report]


# --- at a glance: chart, filters, student search, size (issue 14 item 7) -------------------


def _probe(page: Path, folder: Path, width: int, script: str, shot: str | None = None) -> dict:
    """Load `page` in a frame `width` px wide (a window may not be narrower than 500 px),
    run `script` (a function body returning JSON data) after the page's own script, and
    return its result; `shot` names a screenshot of the frame saved in `folder`."""
    binary = _chromium()
    result = f"JSON.stringify((function () {{ {script} }})())"
    probe = f"<script>parent.document.getElementById('out').textContent = {result};</script>"
    inner = page.read_text(encoding="utf-8").replace("</body>", probe + "</body>")
    frame = html.escape(inner, quote=True)
    harness = folder / f"harness-{width}.html"
    harness.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe srcdoc="{frame}" '
        f'style="width:{width}px;height:{HEIGHT}px;border:0"></iframe><pre id="out"></pre>'
        "</body></html>",
        encoding="utf-8",
    )
    url, size = harness.resolve().as_uri(), f"--window-size={max(width, 500)},{HEIGHT}"
    if shot:
        _browser(binary, folder / "profile-shot", size, f"--screenshot={folder / shot}", url)
        assert (folder / shot).exists()
    dom = _browser(binary, folder / "profile", size, "--dump-dom", url).stdout.decode()
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


FITS = """
location.hash = '#s1'; window.dispatchEvent(new HashChangeEvent('hashchange'));
return {inner: innerWidth, scroll: document.scrollingElement.scrollWidth,
        detail: document.querySelectorAll('#student-detail tr').length};
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_report_fits_the_screen_at_1280_and_390_pixels(english, tmp_path, width):
    seen = _probe(english, tmp_path, width, FITS, shot=f"report-{width}.png")
    assert seen["inner"] == width
    assert seen["scroll"] <= seen["inner"]  # nothing overflows: wide tables scroll inside
    assert seen["detail"] > 1  # a student's details, drawn on demand, fit too


SEARCH = """
var box = document.getElementById('student-search'), found = {};
function hits(text) {
  box.value = text; box.dispatchEvent(new Event('input'));
  return [].map.call(document.querySelectorAll('.student-hit'), function (a) {
    return [a.textContent, a.getAttribute('href')]; });
}
found.oen = hits('******896');
found.sis = hits(found.oen[0][0].split('(')[1].replace(')', ''));
location.hash = found.sis[0][1]; window.dispatchEvent(new HashChangeEvent('hashchange'));
found.detail = document.getElementById('student-detail').textContent;
return found;
"""


def test_student_search_finds_a_student_by_masked_oen_and_by_sis_id(english, tmp_path):
    found = _probe(english, tmp_path, 1280, SEARCH)
    assert len(found["oen"]) == 1 and found["oen"][0][0].startswith("******896 (")
    assert found["sis"][0] == found["oen"][0]
    assert "STUDENT_SCHOOL_ENROLMENT" in found["detail"] and "OVERRIDE" in found["detail"]
    assert "SSE003" in found["detail"]


FILTERS = """
function shown(selector, key) {
  return [].filter.call(document.querySelectorAll(selector), function (e) {
    return e.offsetParent !== null; }).map(function (e) { return e.dataset[key]; });
}
function choose(id, value) {
  var s = document.getElementById(id); s.value = value; s.dispatchEvent(new Event('change'));
}
var seen = {all: shown('.finding-code', 'code'), kinds: shown('.not-sent-row', 'kind')};
choose('filter-severity', 'warning');
seen.warnings = shown('.finding-code', 'severity');
seen.groups = shown('.finding-group', 'severity');
choose('filter-severity', ''); choose('filter-code', 'SSE003');
seen.code = shown('.finding-code', 'code'); seen.code_groups = shown('.finding-group', 'code');
choose('filter-kind', 'class'); seen.classes = shown('.not-sent-row', 'kind');
choose('filter-kind', ''); choose('filter-reason', 'NOTSENT-STU-EXCLUDED');
seen.excluded = shown('.not-sent-row', 'reason');
choose('filter-reason', ''); seen.again = shown('.not-sent-row', 'kind');
return seen;
"""


def test_findings_and_not_sent_filters_hide_and_show_rows(english, tmp_path):
    seen = _probe(english, tmp_path, 1280, FILTERS)
    assert len(set(seen["all"])) > 1 and "SSE003" in seen["all"]
    assert seen["warnings"] and set(seen["warnings"]) == set(seen["groups"]) == {"warning"}
    assert seen["code"] == seen["code_groups"] == ["SSE003"]
    assert set(seen["kinds"]) > {"class"} and seen["classes"]
    assert set(seen["classes"]) == {"class"} and len(seen["classes"]) < len(seen["kinds"])
    assert seen["excluded"] == ["NOTSENT-STU-EXCLUDED"] * 2
    assert seen["again"] == seen["kinds"]


def test_counts_chart_is_inline_svg_with_a_title_and_the_numbers_as_text(english):
    page = english.read_text(encoding="utf-8")
    chart = page.split('<svg id="counts-chart"', 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in chart and '<title id="counts-chart-title">' in chart
    assert "<title>ADD 58</title>" in chart or ">58 ADD" in chart
    assert re.search(r"<text[^>]*>STUDENT_SCHOOL_ENROLMENT</text>", chart)
    assert re.search(r'<text[^>]*class="n">\d+ ADD', chart)
    assert '<table id="counts-table">' in page  # the numbers stay in a table for readers


BUDGET = 600_000  # bytes for a 2,000-student school (2.8 MB when every student was HTML)


def test_a_2000_student_report_stays_under_the_size_budget(tmp_path):
    from onsis_batch.synth import synthesize

    summary = synthesize(tmp_path / "synth", students=2000, seed=1)
    report = _generate_from(
        summary.data_dir, summary.pae_dirs["oct"], tmp_path / "out", summary.bsids[0]
    )
    page = report.read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) < BUDGET
    assert len(_student_data(page)["students"]) > 1800
