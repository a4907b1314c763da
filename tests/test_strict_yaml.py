"""The strict YAML rules (D470): JSON scalars, no repeated key, unknown keys by path.

Each kind of file the tool reads is checked here: the ones the tool ships fail loudly with
the file and key path; the ones a board writes (configuration, overrides, table map) give
findings naming the file and line.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from onsis_batch import codes, contract, findings, resources
from onsis_batch.codes import code_table
from onsis_batch.pae.layout import load_layout_file
from onsis_batch.period import config, periods
from onsis_batch.period.config import load_config
from onsis_batch.plan.overrides import load_overrides
from onsis_batch.resources import data_dir, package_file
from onsis_batch.segments.credentials.requirements import rules
from onsis_batch.sources import load_folder
from onsis_batch.sources.origin import TableMapError, read_table_map
from onsis_batch.specs import SpecError, load_envelope, load_segment_spec
from onsis_batch.strict_yaml import YamlError, parse_yaml, read_yaml, unknown_keys
from onsis_batch.validate.xsd import build_xsd

# --- what the loader resolves -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("OFF", "OFF"),
        ("ON", "ON"),
        ("NO", "NO"),
        ("No", "No"),
        ("Y", "Y"),
        ("yes", "yes"),
        ("True", "True"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("12", 12),
        ("-3", -3),
        ("0", 0),
        ("0.5", 0.5),
        ("1e3", 1000.0),
        ("0003", "0003"),
        ("08", "08"),
        ("2025-10-31", "2025-10-31"),
        ("12:30", "12:30"),
        ("1_000", "1_000"),
        ("0x1F", "0x1F"),
        (".inf", ".inf"),
        ('"12"', "12"),
        ("!!str 12", "12"),
        ("!!int 12", 12),
    ],
)
def test_scalars_resolve_as_in_json(text: str, value: Any) -> None:
    loaded = parse_yaml(f"key: {text}\n", "t.yaml")["key"]
    assert loaded == value and type(loaded) is type(value)


def test_keys_resolve_like_values() -> None:
    assert parse_yaml("{OFF: Office, NO: x, 08: y, 9: z}", "t.yaml") == {
        "OFF": "Office",
        "NO": "x",
        "08": "y",
        9: "z",
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: !!timestamp 2025-10-31", "line 1: the tag tag:yaml.org,2002:timestamp is not allowed"),
        ("a: !!python/name:os.system", "line 1: the tag tag:yaml.org,2002:python/name:os.system"),
        ("a: !!set {b}", "line 1: the tag tag:yaml.org,2002:set is not allowed"),
        ("a: !custom b", "line 1: the tag !custom is not allowed"),
        ("a: !!int 0012", "line 1: '0012' is not a valid !!int"),
        ("a: 1\nb: c: d\n", "line 2: mapping values are not allowed"),
        ("a: 1\n---\nb: 2", "line 2: expected a single document in the stream, but found another"),
    ],
)
def test_other_tags_and_bad_syntax_are_errors_with_the_line(text: str, problem: str) -> None:
    with pytest.raises(YamlError) as raised:
        parse_yaml(text, "t.yaml")
    assert f"t.yaml, {problem}" in str(raised.value)


def test_a_repeated_key_is_an_error_naming_the_file_and_both_lines() -> None:
    with pytest.raises(YamlError) as raised:
        parse_yaml("a: 1\nb:\n  c: 2\n  c: 3\n", "t.yaml")
    assert str(raised.value) == "t.yaml, line 4: key 'c' is repeated (first on line 3)"
    assert (raised.value.line, raised.value.file) == (4, "t.yaml")


def test_merge_keys_are_kept_and_the_mapping_s_own_keys_win() -> None:
    text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  x: 3\n"
    assert parse_yaml(text, "t.yaml")["item"] == {"x": 3, "y": 2}
    with pytest.raises(YamlError, match="line 5: key 'x' is repeated"):
        parse_yaml(text + "  x: 4\n", "t.yaml")


def test_unknown_keys_are_listed_by_path() -> None:
    shape = {"name": None, "elements": [{"name": None, "mandatory_on": None}], "open": {"*": None}}
    value = {
        "name": "A",
        "elements": [{"name": "B"}, {"name": "C", "mandatoy_on": []}],
        "open": {"anything": 1},
        "extra": 2,
    }
    assert unknown_keys(value, shape) == ["elements[1].mandatoy_on", "extra"]


def test_read_yaml_names_the_file_and_every_unknown_key(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("a: 1\nb: {c: 2, d: 3}\n", encoding="utf-8")
    with pytest.raises(YamlError) as raised:
        read_yaml(tmp_path / "x.yaml", {"a": None, "b": {"c": None}}, name="x.yaml")
    assert str(raised.value) == "x.yaml: b.d: unknown key"
    with pytest.raises(YamlError, match=r"missing\.yaml: cannot be read"):
        read_yaml(tmp_path / "missing.yaml", name="missing.yaml")


# --- OFF is read as the code OFF (a retired position type) ---------------------------------


def test_off_is_read_as_the_code_off(tmp_path: Path) -> None:
    # YAML 1.1 read an unquoted OFF as false; the Ministry retired OFF in 2005 (D614)
    positions = code_table("position_type")
    assert positions.entries["OFF"].end == date(2005, 6, 8) and "False" not in positions.entries
    assert not positions.is_valid("OFF") and not positions.is_valid("False")
    assert '<xs:enumeration value="OFF"/>' not in build_xsd()
    (tmp_path / "educator_assignments.csv").write_text(
        "assignment_id,educator_id,school_id,position_type,start_date\n"
        "1,e1,100,OFF,2025-09-02\n2,e1,100,False,2025-09-02\n3,e1,100,TEA,2025-09-02\n",
        encoding="utf-8",
    )
    loaded = load_folder(tmp_path, tables=["educator_assignments"])
    found = [(f.code, f.row, f.column) for f in loaded.findings]
    assert found == [("SRC006", 2, "position_type"), ("SRC006", 3, "position_type")]


def test_a_code_meaning_must_be_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an unquoted comma in a flow mapping makes a second, empty "code"
    (tmp_path / "codes.yaml").write_text("t:\n  codes: {A: One, two, B: Three}\n", "utf-8")
    monkeypatch.setattr(codes, "package_file", lambda *_: tmp_path / "codes.yaml")
    with pytest.raises(SpecError, match=r"codes.yaml: t.codes.two: the meaning must be text"):
        codes.code_tables.__wrapped__()


# --- unknown keys in the files the tool ships -------------------------------------------


def _copy(source: Path, folder: Path, old: str, new: str) -> Path:
    """`source` copied into `folder` with the first `old` replaced by `new`."""
    folder.mkdir(exist_ok=True)
    text = source.read_text(encoding="utf-8")
    assert old in text
    target = folder / source.name
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_segment_spec(tmp_path: Path) -> None:
    spec = _copy(
        data_dir("segment_specs") / "DIPLOMA.yaml", tmp_path, "mandatory_on", "mandatoy_on"
    )
    with pytest.raises(SpecError, match=r"DIPLOMA.yaml: elements\[2\].mandatoy_on: unknown key"):
        load_segment_spec(spec)


def test_envelope(tmp_path: Path) -> None:
    _copy(data_dir("segment_specs") / "envelope.yaml", tmp_path, "fixed:", "fixd:")
    with pytest.raises(SpecError, match=r"envelope.yaml: header\[0\].fixd: unknown key"):
        load_envelope.__wrapped__(tmp_path)


def test_contract_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "contract"
    shutil.copytree(package_file("contract"), folder)
    _copy(folder / "students.yaml", folder, "required: true, meaning", "requried: true, meaning")
    monkeypatch.setattr(contract, "package_file", lambda *_: folder)
    with pytest.raises(SpecError, match=r"students.yaml: columns\[0\].requried: unknown key"):
        contract.contract.__wrapped__()


def test_code_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(package_file("codes.yaml"), tmp_path, "  pattern:", "  patern:")
    monkeypatch.setattr(codes, "package_file", lambda *_: path)
    with pytest.raises(SpecError, match=r"codes.yaml: \w+.patern: unknown key"):
        codes.code_tables.__wrapped__()


def test_pae_layout(tmp_path: Path) -> None:
    layout = _copy(package_file("pae", "layouts", "0003.yaml"), tmp_path, ", type:", ", tpye:")
    with pytest.raises(SpecError, match=r"0003.yaml: columns\[0\].tpye: unknown key"):
        load_layout_file(layout)


def test_findings_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(package_file("findings.yaml"), tmp_path, "  hint:", "  hnit:")
    monkeypatch.setattr(findings, "package_file", lambda *_: path)
    with pytest.raises(SpecError, match=r"findings.yaml: SRC001.hnit: unknown key"):
        findings.catalog.__wrapped__()


def test_periods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(package_file("period", "periods.yaml"), tmp_path, "{code:", "{cde:")
    monkeypatch.setattr(periods, "package_file", lambda *_: path)
    with pytest.raises(SpecError, match=r"periods.yaml: default.oct.cde: unknown key"):
        periods._period_codes.__wrapped__()


def test_requirement_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = package_file("segments", "credentials", "requirements", "requirements.yaml")
    path = _copy(source, tmp_path, "credits: 1,", "credit: 1,")
    monkeypatch.setattr(rules, "package_file", lambda *_: path)
    with pytest.raises(SpecError, match=r"cohorts\[0\].requirements\[0\].credit: unknown key"):
        rules.requirement_rules.__wrapped__()


def test_config_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(package_file("period", "config_schema.yaml"), tmp_path, "choices:", "choice:")
    monkeypatch.setattr(config, "package_file", lambda *_: path)
    with pytest.raises(SpecError, match=r"config_schema.yaml: keys.version.choice: unknown key"):
        config.config_schema.__wrapped__()


def test_label_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(package_file("report", "labels.yaml"), tmp_path, "\nfr:", "\nde:")
    monkeypatch.setattr(resources, "package_file", lambda *_: path)
    with pytest.raises(SpecError, match=r"labels.yaml: de: unknown key"):
        resources.language_labels.__wrapped__("report/labels.yaml", "en")


# --- the files a board writes: findings with the file and line --------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "board.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_repeated_key_and_unknown_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "board:\n  french_board: true\n  french_board: false\n")
    (unread,) = load_config(path)[1]
    assert (unread.code, unread.file, unread.line) == ("CFG001", str(path), 3)
    assert "line 3: key 'french_board' is repeated (first on line 2)" in unread.message_en
    (unknown,) = load_config(_write(tmp_path, "board:\n  frech_board: true\n"))[1]
    assert (unknown.code, unknown.key) == ("CFG002", "board.frech_board")


def test_config_yes_is_not_a_flag(tmp_path: Path) -> None:
    (wrong,) = load_config(_write(tmp_path, "board:\n  french_board: yes\n"))[1]
    assert (wrong.code, wrong.key) == ("CFG003", "board.french_board")


def test_overrides_repeated_key(tmp_path: Path) -> None:
    text = "overrides:\n  - segment: STUDENT\n    key: OEN=1\n    key: OEN=2\n"
    entries, (unread,) = load_overrides(_write(tmp_path, text))
    assert entries == [] and (unread.code, unread.line) == ("OVR007", 4)
    assert "line 4: key 'key' is repeated (first on line 3)" in unread.message_en


def test_table_map_problems_are_findings(tmp_path: Path) -> None:
    with pytest.raises(TableMapError) as raised:
        read_table_map(_write(tmp_path, "terms: a\nterms: b\n"))
    (unread,) = raised.value.findings
    assert (unread.code, unread.line) == ("SRC008", 2)
    with pytest.raises(TableMapError) as raised:
        read_table_map(_write(tmp_path, "studnets: sis_students\nterms: ' '\n"))
    assert [(f.code, f.key) for f in raised.value.findings] == [
        ("SRC014", "studnets"),
        ("SRC015", "terms"),
    ]
    assert "studnets is not a table of the data contract" in str(raised.value)
