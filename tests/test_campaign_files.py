"""Property campaign over the files the tool reads back (issue 13): OnSIS results files and
run manifests, damaged or hostile, never crash a command, never leak, never write astray.

Results files: the hand-made results file of tests/fixtures, carrying the campaign's
names and a birth date, is changed as an XML tree (an element's text made hostile, an
element lost, doubled, renamed, moved or buried deep, a DOCTYPE with entities, a comment
or processing instruction, another encoding) and then perhaps as bytes, and given to
`results` in this process, with or without --previous, --data, --out, --lang, --show-pii.

Manifests: the manifest of a clean run, prepared once per worker, is changed as JSON (a
value made hostile: another type, a path elsewhere, a huge or nested value; a key lost)
and then perhaps as bytes, or a file it lists is changed, lost or replaced; then `verify`.

For every input: exit 0, 1 or 2; on exit 2 every error names the file given (or, for
`results --data`, a file of that folder); a verify finding names the manifest or a file
it lists; no name or birth date in any output unless --show-pii; files only in --out, and
owner-only; verify writes nothing.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from builders import BSID, YEAR, write_scenario
from campaign_damage import HOSTILE_VALUES, byte_damage, hostile_values
from campaign_kit import (
    Inputs,
    Tally,
    campaign,
    error_locations,
    leaked,
    run_main,
    snapshot,
    stray_writes,
    written_texts,
)
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from test_campaign import school

pytestmark = pytest.mark.campaign(everyday=True)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NAMES = ["Marrowvane", "Zoë"]
BIRTH = "2009/04/17"
GUARDED_BIRTH = f"<FIELD_NAME>STUDENT_DOB</FIELD_NAME><FIELD_VALUE>{BIRTH}</FIELD_VALUE>"
TAGS = [
    "SCHOOL", "SCHOOL_NUMBER", "STUDENT", "OEN", "ERROR", "DATA_ERROR_DETAILS", "FIELD_NAME",
    "FIELD_VALUE", "MESSAGE_CODE", "CLASS", "DATA", "SCHOOL_SUBMISSION", "HEADER", "X-1",
    "STUDENT_SCHOOL_ENROLMENT", "ONSIS_BATCH_FILE_RESULT", "ACADEMIC_YEAR",
]  # fmt: skip
PROLOGUES = [
    '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    "<!-- a comment -->",
    '<?xml-stylesheet href="x"?>',
]


def personal_results(source: Path) -> bytes:
    """A fixture results file carrying the campaign's names and a birth date."""
    text = source.read_bytes().decode("iso-8859-1")
    text = text.replace(
        "<STUDENT_LEGAL_LAST_NAME>Tremblay</STUDENT_LEGAL_LAST_NAME>",
        f"<STUDENT_LEGAL_LAST_NAME>{NAMES[0]}</STUDENT_LEGAL_LAST_NAME>"
        f"<STUDENT_LEGAL_FIRST_NAME>{NAMES[1]}</STUDENT_LEGAL_FIRST_NAME>",
    )
    text = text.replace(
        "<FIELD_NAME>STUDENT_DOB</FIELD_NAME><FIELD_VALUE></FIELD_VALUE>", GUARDED_BIRTH
    )
    return text.encode("iso-8859-1")


# --- XML damage ------------------------------------------------------------------------------


def _personal(element: Any) -> bool:
    return element.tag.startswith("STUDENT_LEGAL") or (element.text or "").strip() == BIRTH


SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _tree_change(data: bytes, kind: str, pick: float, other: float, value: str) -> bytes:
    root = etree.fromstring(data, SAFE)
    elements = [e for e in root.iter() if isinstance(e.tag, str) and not _personal(e)]
    target = elements[min(len(elements) - 1, int(pick * len(elements)))]
    parent = target.getparent()
    if kind == "text":
        target.text = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32) or None
    elif kind == "rename":
        target.tag = TAGS[int(other * len(TAGS)) % len(TAGS)]
    elif parent is None:
        return data
    elif kind == "lose":
        parent.remove(target)
    elif kind == "double":
        parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
    elif kind == "move":
        host = elements[min(len(elements) - 1, int(other * len(elements)))]
        if target not in host.iterancestors() and host is not target:
            host.append(target)
    elif kind == "bury":
        wrapper = holder = etree.Element("X")
        for _ in range(int(other * 60)):
            holder = etree.SubElement(holder, "X")
        parent.replace(target, wrapper)
        holder.append(target)
    encoding = "UTF-8" if value and value[-1:] == "é" else "ISO-8859-1"
    return etree.tostring(root, xml_declaration=True, encoding=encoding)


def _prologue(data: bytes, which: int) -> bytes:
    if any(mark in data for mark in (b"<!DOCTYPE", b"<!--", b"<?xml-stylesheet")):
        return data  # one prologue at most: two DOCTYPEs are no XML at all
    head, _, body = data.partition(b"?>")
    return head + b"?>" + PROLOGUES[which].encode() + body


@dataclass(frozen=True)
class XmlDamage:
    """One change to a results file's tree (or its prologue)."""

    kind: str
    pick: float
    other: float
    value: str

    def __repr__(self) -> str:
        return f"{self.kind} {self.pick:.3f} {self.other:.3f} {self.value!r}"

    def apply(self, data: bytes) -> bytes:
        """The file's bytes with the change made."""
        if self.kind == "prologue":
            return _prologue(data, int(self.other * len(PROLOGUES)) % len(PROLOGUES))
        return _tree_change(data, self.kind, self.pick, self.other, self.value)


xml_damage = st.builds(
    XmlDamage,
    st.sampled_from(["text", "text", "rename", "lose", "double", "move", "bury", "prologue"]),
    st.floats(0, 1),
    st.floats(0, 1),
    hostile_values,
)


@st.composite
def results_cases(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "xml": draw(st.lists(xml_damage, min_size=1, max_size=3)),
        "bytes": draw(st.lists(byte_damage(), max_size=1)),
        "previous": draw(st.sampled_from([None, None, "clean", "damaged"])),
        "data": draw(st.booleans()),
        "out": draw(st.booleans()),
        "options": draw(st.sampled_from([["--json"], ["--json"], [], ["--lang", "fr"], ["-q"]])),
        "show_pii": draw(st.integers(0, 9)) == 0,
    }


def damaged_results(base: bytes, case: dict[str, Any], path: Path) -> Path:
    data = base
    for item in case["xml"]:
        data = item.apply(data)
    path.write_bytes(data)
    for item in case["bytes"]:
        item.apply(path)
    return path


# --- the benches ---------------------------------------------------------------------------


@dataclass
class Folder:
    """A prepared folder copied afresh into `work` for every example."""

    base: Path
    work: Path

    def fresh(self) -> Path:
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.base, self.work, symlinks=True)
        return self.work


@pytest.fixture(scope="session")
def run_base(tmp_path_factory) -> Path:
    """A clean run of the campaign's school: data, PAE, and out/ with file and manifest."""
    base = tmp_path_factory.mktemp("campaign-run")
    data, pae = write_scenario(school(), base)
    done = run_main(
        "generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct",
        "--year", YEAR, "--out", base / "out", "--timestamp", "2025-10-31T09:00:00", "-q",
    )  # fmt: skip
    assert done.code == 0, done.streams
    (base / "current.OUT").write_bytes(personal_results(FIXTURES / "results-current.OUT"))
    (base / "previous.OUT").write_bytes(personal_results(FIXTURES / "results-previous.OUT"))
    return base


def test_damaged_results_files_are_listed_or_refused(run_base, tmp_path, record_property):
    tally = Tally("results files (results command, in process)")
    folder = Folder(run_base, tmp_path / "work")
    base = (run_base / "current.OUT").read_bytes()

    @campaign("results")
    @given(results_cases())
    def check(case):
        work = folder.fresh()
        current = damaged_results(base, case, work / "current.OUT")
        given_files = [current]
        args: list[object] = ["results", current, *case["options"]]
        if case["previous"]:
            previous = work / "previous.OUT"
            if case["previous"] == "damaged":
                damaged_results(previous.read_bytes(), case, previous)
            args += ["--previous", previous]
            given_files.append(previous)
        if case["data"]:
            args += ["--data", work / "data"]
        out = work / "lists" if case["out"] else None
        if out is not None:
            args += ["--out", out]
        if case["show_pii"]:
            args.append("--show-pii")
        before = snapshot(work)
        outcome = run_main(*args)
        tally.add(outcome.code)
        assert outcome.code in (0, 1, 2), (case, outcome.code, outcome.streams[-3000:])
        inputs = Inputs(folders=[work / "data"] if case["data"] else [], files=given_files)
        if "--json" in case["options"] and outcome.stdout:
            findings = json.loads(outcome.stdout)["findings"]
            if outcome.code == 2:
                assert not error_locations(findings, inputs), (case, findings)
        elif outcome.code == 2:  # a refused file: its findings on stderr, `[file...]: ...`
            places = re.findall(r"^ERROR \w+ \[([^,\]]+)", outcome.stderr, re.MULTILINE)
            assert places and all(inputs.resolve(p) for p in places), (case, outcome.stderr)
        assert not stray_writes(work, before, out), (case, stray_writes(work, before, out))
        if not case["show_pii"]:
            texts = [outcome.streams, *written_texts(work, before)]
            secrets = [*NAMES, *_guarded_births(given_files)]
            assert not leaked(texts, secrets), (case, leaked(texts, secrets))

    check()
    tally.record(record_property)


def _guarded_births(files: list[Path]) -> list[str]:
    """The birth date, when every copy of it in the files is still the value of a
    STUDENT_DOB error (damage that breaks the field name leaves a value no one can tell
    personal, which is then shown as it is)."""
    texts = [p.read_bytes().decode("iso-8859-1") for p in files if p.is_file()]
    if all(t.count(BIRTH) == t.count(GUARDED_BIRTH) for t in texts):
        return [BIRTH]
    return []


# --- manifests ------------------------------------------------------------------------------

HOSTILE_JSON: list[Any] = [
    None, True, 0, -1, 10**30, 1.5, "", [], {}, "x" * 5000, "/etc/passwd", "/dev/zero", "/",
    ".", "..", "../../etc/hostname", "~", "\0", "students.csv", "0" * 64, "é", [[[[[]]]]],
    {"path": "/etc/hostname", "sha256": "0" * 64},
]  # fmt: skip
json_values = st.sampled_from(HOSTILE_JSON) | st.sampled_from(HOSTILE_VALUES) | st.integers()


def _json_change(manifest: Any, steps: list[float], kind: str, value: Any) -> Any:
    """The manifest with one value (found by walking `steps` down the tree) changed."""
    holder, key = None, None
    node = manifest
    for step in steps:
        if not isinstance(node, dict | list) or not node:
            break
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        holder, key = node, keys[min(len(keys) - 1, int(step * len(keys)))]
        node = holder[key]
    value = copy.deepcopy(value)  # the hostile values are shared by every example
    if holder is None:
        return value if kind == "replace" else manifest
    if kind == "replace":
        holder[key] = value
    elif kind == "lose":
        del holder[key]
    elif kind == "nest":
        for _ in range(5_000):  # past any JSON reader's recursion limit, and cheap
            node = [node]
        holder[key] = node
    return manifest


@st.composite
def manifest_cases(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "json": draw(
            st.lists(
                st.tuples(
                    st.lists(st.floats(0, 1), min_size=1, max_size=4),
                    st.sampled_from(["replace", "replace", "lose", "nest"]),
                    json_values,
                ),
                max_size=3,
            )
        ),
        "bytes": draw(st.lists(byte_damage(), max_size=1)),
        "file": draw(st.sampled_from([None, None, "changed", "lost", "folder", "link", "pending"])),
        "which": draw(st.floats(0, 1)),
        "json_out": draw(st.booleans()),
    }


def _listed(manifest: Any, folder: Path) -> list[str]:
    """Every path a manifest lists (as far as it still has any), the output's in `folder`."""
    if not isinstance(manifest, dict):
        return []
    inputs = manifest.get("inputs") if isinstance(manifest.get("inputs"), list) else []
    paths = [i["path"] for i in inputs if isinstance(i, dict) and isinstance(i.get("path"), str)]
    output = manifest.get("output")
    if isinstance(output, dict) and isinstance(output.get("path"), str):
        paths.append(str(folder / output["path"]))
    return paths


def _readable(path: Path) -> Any:
    """The manifest as JSON, or None when it is not (any more)."""
    try:
        return json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return None


def _file_change(kind: str, target: Path, manifest_file: Path) -> None:
    if kind == "changed":
        target.write_bytes(target.read_bytes() + b"\n")
    elif kind == "lost":
        target.unlink()
    elif kind == "folder":
        target.unlink()
        target.mkdir()
    elif kind == "link":
        target.unlink()
        target.symlink_to(manifest_file)
    elif kind == "pending":  # a pending manifest for the file's new hash (D589), damaged
        import hashlib

        target.write_bytes(target.read_bytes() + b"\n")
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        pending = manifest_file.with_name(f".{target.name}.{digest}.manifest.json.next")
        pending.write_bytes(manifest_file.read_bytes()[:200])


def test_damaged_manifests_are_verified_or_refused(run_base, tmp_path, record_property):
    tally = Tally("manifests (verify command, in process)")
    folder = Folder(run_base, tmp_path / "work")

    @campaign("manifests")
    @given(manifest_cases())
    def check(case):
        work = folder.fresh()
        (manifest_file,) = (work / "out").glob("*.manifest.json")
        text = manifest_file.read_text("utf-8").replace(str(run_base), str(work))
        manifest = json.loads(text)
        files = [Path(p) for p in _listed(manifest, manifest_file.parent)]
        if case["file"]:
            target = files[min(len(files) - 1, int(case["which"] * len(files)))]
            _file_change(case["file"], target, manifest_file)
        for steps, kind, value in case["json"]:
            manifest = _json_change(manifest, steps, kind, value)
        try:
            text = json.dumps(manifest)
        except RecursionError:
            text = "[" * 100_000 + "]" * 100_000
        manifest_file.write_text(text, "utf-8")
        for item in case["bytes"]:
            item.apply(manifest_file)
        before = snapshot(work)
        outcome = run_main("verify", manifest_file, *(["--json"] if case["json_out"] else []))
        tally.add(outcome.code)
        assert outcome.code in (0, 1, 2), (case, outcome.code, outcome.streams[-3000:])
        assert not stray_writes(work, before, None), (case, stray_writes(work, before, None))
        if case["json_out"]:
            findings = json.loads(outcome.stdout)["findings"]
            final = _readable(manifest_file)  # as the bytes left it
            listed = [*_listed(manifest, manifest_file.parent), *_listed(final, work / "out")]
            allowed = {str(manifest_file), *listed}
            pending = {str(p) for p in manifest_file.parent.glob(".*.manifest.json.next")}
            for item in findings:
                assert item.get("file") in allowed | pending, (case, item)
        assert not leaked([outcome.streams], [*NAMES, BIRTH]), case

    check()
    tally.record(record_property)
