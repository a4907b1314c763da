"""`--lang fr` everywhere: every command of the CLI, run on the sample with `--lang fr`,
prints no English word on stdout or stderr, nor in the people's words of its --json.

The commands are read from the click group, so a new command is covered as soon as it is
added: it must take --lang, and it runs with the arguments below (a command not listed
runs with `--sample --period oct`, as generate does).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.contract import contract
from onsis_batch.report.i18n import counted, labels, plural_forms
from onsis_batch.resources import data_dir

STAMP = "2025-10-31T09:00:00"
FIXTURES = Path(__file__).parent / "fixtures"

# English words that must not reach a French reader; codes, ids, paths, element and column
# names are left out of the scan before these are looked for.
# (a word list reads best as running text)
# fmt: off
ENGLISH = {
    "written", "report", "rows", "row", "error", "errors", "warning", "warnings", "findings",
    "finding", "students", "student", "sent", "verdict", "ready", "upload", "file", "files",
    "school", "schools", "checked", "match", "valid", "invalid", "deleted", "delete", "would",
    "stale", "elements", "element", "column", "columns", "line", "lines", "new", "recurring",
    "resolved", "added", "removed", "changed", "same", "untouched", "missing", "data",
    "staging", "planning", "reading", "writing", "with", "the", "and", "of", "no", "not",
    "only", "to", "in", "for", "is", "are", "by", "all", "manifest", "flags", "purges",
    "required", "optional", "key", "always", "mandatory", "explained", "look", "first",
    "generated", "internal", "more", "shown", "hidden", "whole", "compared", "below",
}
# fmt: on
SHOUTED = {"ERROR", "WARNING", "INFO"}  # severities, the only capitals that are words here


def _sample_args(out: Path) -> dict[str, list[list[str]]]:
    sample = data_dir("sample_data")
    pae = data_dir("pae_samples") / "OCTSEC1"
    xml = str(next(out.glob("gen/*.xml")))
    return {
        "generate": [
            ["--sample", "--period", "oct", "--out", str(out / "gen2"), "--timestamp", STAMP],
            ["--sample", "--period", "oct", "--out", str(out / "gen3"), "--json"],
        ],
        "explain": [["--sample", "--period", "oct", "--oen", "994076896"]],
        "board": [
            [
                "--data",
                str(sample),
                "--pae",
                str(pae),
                "--period",
                "oct",
                "--year",
                "2025-2026",
                "--out",
                str(out / "board"),
                "--timestamp",
                STAMP,
                "--workers",
                "1",
            ],
        ],
        "validate": [[xml], [xml, "--ministry"], [xml, "--ministry", "--json"]],
        "verify": [[xml + ".manifest.json"]],
        "diff": [[xml, xml], [xml, "--pae", str(pae)]],
        "results": [
            [
                str(FIXTURES / "results-current.OUT"),
                "--previous",
                str(FIXTURES / "results-previous.OUT"),
                "--out",
                str(out / "lists"),
            ]
        ],
        "segments": [[], ["STUDENT_SCHOOL_ENROLMENT"]],
        "contract": [[]],
        "codes": [[]],
        "reasons": [[]],
        "synth": [["--students", "20", "--out", str(out / "synth")]],
        "docs": [["--check"]],
        "purge": [["--out", str(out / "gen"), "--keep", "1", "--dry-run"]],
        "lists": [
            [],
            ["failing-marks", "--sample", "--period", "jun", "--out", str(out / "lists-fm")],
            ["transmission", "--out", str(out / "gen")],
        ],
        "preview": [[xml], [xml, "--pae", str(pae)]],
        "pae-from-xml": [[xml, "--pae", str(pae), "--out", str(out / "pae-after")]],
    }


def _set_aside(text: str) -> str:
    """`text` without what is quoted from English sources: the rule book's headings
    (« ... ») and the school data's table names where a location or row list names them."""
    tables = "|".join(sorted(contract(), key=len, reverse=True))
    text = re.sub(r"«[^»]*»", " ", text)
    text = re.sub(r"EXSMS-\d{4}\.\d{2} - [^\n]*?\.csv", " ", text)  # the Ministry's file names
    text = re.sub(rf"\[({tables})(?=[,\]])", "[", text)
    text = re.sub(rf"^(\s*)({tables}) \(", r"\1(", text, flags=re.M)  # a table's heading
    return re.sub(rf"(l'école) ({tables}):", r"\1:", text)


def english_words(text: str) -> list[str]:
    """The English words of `text`, once codes, ids, paths and names are set aside."""
    found = []
    for token in _set_aside(text).split():
        if re.fullmatch(r"[a-z]+(?:-[a-z]+)+", token):
            continue  # a kebab-case id: a command, a list's name, a status
        if re.search(r"[/\\_=|.:@\]]\w|\w[/\\_=|@]|\d|[A-Z]{2,}-", token):
            continue  # a path, a file, a column, element or rule-book field name, an id
        for word in re.findall(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-zÀ-ÿ]+)*", token):
            if word in SHOUTED or (not word.isupper() and word.lower() in ENGLISH):
                found.append(word)
    return found


def _json_words(data: object, key: str = "") -> list[str]:
    """The strings of a --json answer that people read in the chosen language."""
    if isinstance(data, dict):
        return [w for k, v in data.items() for w in _json_words(v, k)]
    if isinstance(data, list):
        return [w for item in data for w in _json_words(item, key)]
    return [str(data)] if key in {"verdict_text", "message_fr", "title_fr", "hint_fr"} else []


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("fr")
    first = ["generate", "--sample", "--period", "oct", "--out", str(out / "gen")]
    made = CliRunner().invoke(cli, [*first, "--timestamp", STAMP])
    assert made.exit_code in (0, 1), made.output
    return out, _sample_args(out)


def test_every_command_takes_lang():
    missing = [
        name
        for name, command in cli.commands.items()
        if not any(param.name == "lang" for param in command.params)
    ]
    assert not missing, f"commands without --lang: {missing}"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_speaks_french(runs, name):
    out, known = runs
    default = [["--sample", "--period", "oct", "--out", str(out / name)]]
    for args in known.get(name, default):
        result = CliRunner().invoke(cli, [name, *args, "--lang", "fr"])
        assert result.exit_code in (0, 1), f"{name} {args}: {result.output}"
        shown = result.stdout + result.stderr
        if "--json" in args:
            shown = result.stderr + "\n".join(_json_words(json.loads(result.stdout)))
        assert shown.strip() or name == "docs", f"{name} {args} printed nothing"
        leaked = english_words(shown)
        assert not leaked, f"{name} {args}: English words {sorted(set(leaked))}\n{shown[:3000]}"


def test_the_scan_finds_english_and_spares_names():
    assert english_words("constats: 0 error, 12 warning") == ["error", "warning"]
    assert english_words("written: /tmp/out/ONSIS_X.xml") == ["written"]
    assert english_words("WARNING SSE003 [students, row 64, column oen]") == [
        "WARNING",
        "row",
        "column",
    ]
    assert english_words("élèves: 3 students") == ["students"]
    assert english_words("CLASS › file (ligne 6)") == ["file"]
    spared = "STUDENT_SCHOOL_ENROLMENT OEN=994076896 NOTSENT-STU-EXCLUDED school_enrolments"
    assert english_words(spared + " /tmp/students/file.csv SRC004×120") == []
    assert english_words("« Student School Segment › ACTION » (ligne 6)") == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_counts_take_the_plural_form_of_the_language(lang):
    forms = plural_forms(lang)
    assert set(forms) == set(plural_forms("en" if lang == "fr" else "fr"))
    assert all({"one", "other"} <= set(f) for f in forms.values())
    assert set(labels("en")) == set(labels("fr"))
    singular_zero = lang == "fr"  # CLDR: French 0 and 1 are singular, English 1 only
    assert counted(lang, "n_errors", 0).endswith("s") != singular_zero
    assert not counted(lang, "n_errors", 1).endswith("s")
    assert counted(lang, "n_errors", 2).endswith("s")
    assert counted("fr", "n_warnings", 4) == "4 avertissements"
