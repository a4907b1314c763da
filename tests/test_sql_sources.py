"""School data read from PostgreSQL, SQLite and DuckDB: same contract, same checks, same file.

PostgreSQL tests need a server: `ONSIS_TEST_PG_URI` (set by `.ci/run`, which starts one on
loopback) names a database where each test module creates and drops its own databases.
They are skipped only when the variable is absent.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from sql_loading import execute, load_into, typed_frames

from onsis_batch.cli import cli
from onsis_batch.findings import Finding
from onsis_batch.resources import data_dir
from onsis_batch.run.board import generate_many
from onsis_batch.run.pipeline import generate
from onsis_batch.run.request import PlanRequest
from onsis_batch.run.sample import sample_run
from onsis_batch.sources import LoadResult, data_source, load_folder
from onsis_batch.sources.db_address import Database, mask_password, parse_database, quote
from onsis_batch.sources.origin import read_table_map

PG_URI = os.environ.get("ONSIS_TEST_PG_URI")
needs_pg = pytest.mark.skipif(
    PG_URI is None, reason="no PostgreSQL: ONSIS_TEST_PG_URI is not set (.ci/run starts a server)"
)
KINDS = ["sqlite", "duckdb", pytest.param("postgresql", marks=needs_pg)]
STAMP = datetime.fromisoformat("2025-10-31T09:00:00")


# --- databases --------------------------------------------------------------------------


class Databases:
    """Fresh empty databases of each kind; PostgreSQL ones are dropped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.pg_names = folder, []

    def new(self, kind: str) -> tuple[str, str]:
        """(target the test helpers write to, URI the tool reads)."""
        name = f"onsis_{uuid.uuid4().hex[:12]}"
        if kind == "postgresql":
            import psycopg

            assert PG_URI is not None
            with psycopg.connect(PG_URI, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {quote(name)}")
            self.pg_names.append(name)
            uri = PG_URI.rsplit("/", 1)[0] + "/" + name
            return uri, uri
        path = self.folder / f"{name}.{'sqlite' if kind == 'sqlite' else 'duckdb'}"
        return str(path), f"{kind}:///{path}"  # sqlite:////abs/path: an absolute file

    def drop_all(self) -> None:
        if not self.pg_names:
            return
        import psycopg

        with psycopg.connect(PG_URI, autocommit=True) as admin:
            for name in self.pg_names:
                admin.execute(f"DROP DATABASE IF EXISTS {quote(name)}")


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(tmp_path_factory.mktemp("databases"))
    yield made
    made.drop_all()


@pytest.fixture(scope="module")
def sample_frames() -> dict[str, pl.DataFrame]:
    return typed_frames(data_dir("sample_data"))


@pytest.fixture(scope="module")
def sample_uris(databases: Databases, sample_frames: dict[str, pl.DataFrame]) -> dict[str, str]:
    """The bundled sample loaded into one database of each kind (lazily, per kind)."""
    return _LazyUris(databases, sample_frames)


class _LazyUris(dict):
    def __init__(self, databases: Databases, frames: dict[str, pl.DataFrame]) -> None:
        super().__init__()
        self.databases, self.frames = databases, frames

    def __missing__(self, kind: str) -> str:
        target, uri = self.databases.new(kind)
        load_into(kind, target, self.frames)
        self[kind] = uri
        return uri


def flat(result: LoadResult, code: str) -> list[tuple]:
    return [(f.code, f.file, f.row, f.column) for f in result.findings if f.code == code]


def only(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, [str(f) for f in findings]
    return found[0]


# --- the sample, byte for byte ----------------------------------------------------------


@pytest.fixture(scope="module")
def file_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The sample's batch file of each period, generated from the CSV folder."""
    out = tmp_path_factory.mktemp("from-files")
    outputs = {}
    for period in ("oct", "mar", "jun"):
        data, pae, bsid, year = sample_run(period)
        result = generate(PlanRequest(data, pae, period, year, (bsid,)), out, created=STAMP)
        assert result.output is not None, [str(f) for f in result.findings]
        outputs[period] = result.output.read_bytes()
    return outputs


@pytest.mark.parametrize("kind", KINDS)
def test_sample_loads_the_same_from_a_database(kind: str, sample_uris: dict[str, str]) -> None:
    from_files = load_folder(data_dir("sample_data"))
    from_db = load_folder(sample_uris[kind])
    assert from_db.findings == []
    assert set(from_db.files) == set(from_files.files)
    for name, frame in from_files.tables.items():
        expected, got = frame.drop("_row"), from_db.tables[name].drop("_row")
        assert got.schema == expected.schema, name
        order = {"by": expected.columns, "nulls_last": True}
        assert got.sort(**order).equals(expected.sort(**order)), name


@pytest.mark.parametrize("period", ["oct", "mar", "jun"])
@pytest.mark.parametrize("kind", KINDS)
def test_sample_generates_byte_for_byte_from_a_database(
    kind: str, period: str, sample_uris: dict[str, str], file_outputs: dict[str, bytes], tmp_path
) -> None:
    _, pae, bsid, year = sample_run(period)
    uri = sample_uris[kind]
    result = generate(PlanRequest(uri, pae, period, year, (bsid,)), tmp_path, created=STAMP)
    assert result.output is not None, [str(f) for f in result.findings]
    assert result.output.read_bytes() == file_outputs[period]


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_cli_reads_a_plain_database_file(
    kind: str, sample_uris: dict[str, str], file_outputs: dict[str, bytes], tmp_path
) -> None:
    path = sample_uris[kind].split(":///", 1)[1]  # a plain *.sqlite / *.duckdb file name
    _, pae, bsid, year = sample_run("oct")
    args = ["generate", "--data", path, "--pae", str(pae), "--bsid", bsid, "--period", "oct"]
    args += ["--year", year, "--out", str(tmp_path), "--timestamp", STAMP.isoformat()]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    (written,) = tmp_path.glob("*.xml")
    assert written.read_bytes() == file_outputs["oct"]


@needs_pg
def test_cli_reads_postgresql(
    sample_uris: dict[str, str], file_outputs: dict[str, bytes], tmp_path
) -> None:
    _, pae, bsid, year = sample_run("mar")
    args = ["generate", "--data", sample_uris["postgresql"], "--pae", str(pae), "--bsid", bsid]
    args += ["--period", "mar", "--year", year, "--out", str(tmp_path)]
    done = CliRunner().invoke(cli, [*args, "--timestamp", STAMP.isoformat()])
    assert done.exit_code == 0, done.output
    (written,) = tmp_path.glob("*.xml")
    assert written.read_bytes() == file_outputs["mar"]


@pytest.mark.parametrize("kind", KINDS)
def test_board_run_stages_from_a_database(
    kind: str, sample_uris: dict[str, str], file_outputs: dict[str, bytes], tmp_path
) -> None:
    _, pae, bsid, year = sample_run("jun")
    # A password in the URI (trust auth ignores it) must never reach the manifest.
    uri = sample_uris[kind].replace("postgres@", "postgres:s3cret@", 1)
    run = generate_many(
        PlanRequest(uri, pae, "jun", year, (bsid,)), tmp_path, created=STAMP, workers=1
    )
    (result,) = run.results
    assert result.output is not None, [str(f) for f in result.findings]
    assert result.output.read_bytes() == file_outputs["jun"]
    manifest = json.loads(
        result.output.with_name(result.output.name + ".manifest.json").read_text()
    )
    assert "s3cret" not in json.dumps(manifest)


# --- table names: mapping and views -----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_view_with_a_mapped_name(
    kind: str, databases: Databases, sample_frames: dict[str, pl.DataFrame]
) -> None:
    """students comes from a view over a table of another name; the rest as named."""
    target, uri = databases.new(kind)
    raw = 'sis "raw" students'  # a name that needs quoting
    load_into(kind, target, sample_frames, names={"students": raw})
    view = "v_students"
    execute(kind, target, f"CREATE VIEW {view} AS SELECT * FROM {quote(raw)}")
    mapped = load_folder(data_source(uri, {"students": view}))
    assert mapped.findings == []
    assert mapped.files["students"] == view
    expected = load_folder(data_dir("sample_data")).tables["students"].drop("_row")
    got = mapped.tables["students"].drop("_row")
    assert got.sort("student_id").equals(expected.sort("student_id"))
    unmapped = load_folder(uri)  # without the map, students is missing
    assert [(f.code, f.params["table"]) for f in unmapped.findings] == [("SRC001", "students")]


def test_table_map_from_yaml_and_cli(
    sample_uris: dict[str, str], databases: Databases, file_outputs: dict[str, bytes], tmp_path
) -> None:
    target = sample_uris["sqlite"].split(":///", 1)[1]
    execute("sqlite", target, "CREATE VIEW IF NOT EXISTS term_list AS SELECT * FROM terms")
    table_map = tmp_path / "tables.yaml"
    table_map.write_text("terms: term_list\n", encoding="utf-8")
    assert read_table_map(table_map) == {"terms": "term_list"}
    _, pae, bsid, year = sample_run("oct")
    args = ["generate", "--data", sample_uris["sqlite"], "--table-map", str(table_map)]
    args += ["--pae", str(pae), "--bsid", bsid, "--period", "oct", "--year", year]
    done = CliRunner().invoke(
        cli, [*args, "--out", str(tmp_path), "--timestamp", STAMP.isoformat()]
    )
    assert done.exit_code == 0, done.output
    (written,) = tmp_path.glob("*.xml")
    assert written.read_bytes() == file_outputs["oct"]


def test_table_map_problems_are_usage_errors(tmp_path) -> None:
    bad = tmp_path / "tables.yaml"
    bad.write_text("studnets: sis_students\n", encoding="utf-8")
    with pytest.raises(ValueError, match="studnets"):
        read_table_map(bad)
    args = ["generate", "--data", "x.sqlite", "--no-pae", "--bsid", "999001", "--period", "oct"]
    done = CliRunner().invoke(cli, [*args, "--year", "2025-2026", "--table-map", str(bad)])
    assert done.exit_code == 2 and "studnets" in done.output
    with pytest.raises(ValueError, match="not to a folder"):
        data_source(tmp_path, {"students": "s"})


# --- findings name the table, row and column --------------------------------------------

SCHOOLS_DDL = "CREATE TABLE schools (school_id TEXT, bsid TEXT, is_closed TEXT, extra TEXT)"
# Inserted out of key order: the rows are numbered by school_id, so 10 is row 1.
SCHOOLS_ROWS = (
    "INSERT INTO schools VALUES ('20', '998467', 'maybe', 'x'), ('10', '998467', 'F', 'y')"
)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_cell_names_table_row_and_column(kind: str, databases: Databases) -> None:
    target, uri = databases.new(kind)
    execute(kind, target, SCHOOLS_DDL, SCHOOLS_ROWS)
    result = load_folder(uri, tables=["schools"])
    assert flat(result, "SRC003") == [("SRC003", "schools", 2, "is_closed")]
    assert "'maybe' in schools row 2 column is_closed" in only(result.findings, "SRC003").message_en
    assert flat(result, "SRC013") == [("SRC013", "schools", None, "extra")]
    assert result.tables["schools"].get_column("school_id").to_list() == ["10", "20"]


@pytest.mark.parametrize("kind", KINDS)
def test_required_table_missing_names_the_database(kind: str, databases: Databases) -> None:
    target, uri = databases.new(kind)
    execute(kind, target, SCHOOLS_DDL)
    result = load_folder(uri)
    missing = sorted(f.params["table"] for f in result.findings if f.code == "SRC001")
    assert missing == ["board_settings", "school_enrolments", "students"]
    finding = next(f for f in result.findings if f.params.get("table") == "students")
    assert finding.file == Database(kind, uri if kind == "postgresql" else target).label
    assert "table or view students" in finding.message_en
    assert {f.code for f in result.findings} == {"SRC001", "SRC013"}  # SRC013: extra
    assert result.tables["courses"].is_empty()  # optional and absent: empty, no finding
    assert result.tables["schools"].is_empty() and "schools" in result.files


@needs_pg
def test_password_is_masked_in_findings(databases: Databases) -> None:
    target, _ = databases.new("postgresql")
    execute("postgresql", target, SCHOOLS_DDL)
    secret = target.replace("postgres@", "postgres:s3cret@", 1)  # trust auth ignores it
    result = load_folder(secret)
    assert result.findings and all("s3cret" not in str(f) for f in result.findings)
    assert any("postgres:***@" in (f.file or "") for f in result.findings)


@needs_pg
def test_unreachable_server_is_sql002_with_password_masked() -> None:
    uri = "postgresql://onsis:s3cret@127.0.0.1:1/nowhere?connect_timeout=2"
    result = load_folder(uri)
    (finding,) = result.findings
    assert finding.code == "SQL002" and "s3cret" not in str(finding)
    assert finding.file == "postgresql://onsis:***@127.0.0.1:1/nowhere?connect_timeout=2"


def test_missing_database_file_is_sql002(tmp_path) -> None:
    result = load_folder(f"sqlite:///{tmp_path}/none.sqlite")
    assert [(f.code, f.file) for f in result.findings] == [("SQL002", f"{tmp_path}/none.sqlite")]
    assert not (tmp_path / "none.sqlite").exists()  # read-only: nothing created
    assert result.tables["students"].is_empty()


def test_missing_driver_is_sql001(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from onsis_batch.sources import database

    def no_driver(module: str) -> None:
        raise ImportError(module)

    monkeypatch.setattr(database, "_import", no_driver)
    result = load_folder("duckdb:///" + str(tmp_path / "x.duckdb"))
    finding = only(result.findings, "SQL001")
    assert finding.params["driver"] == "duckdb" and "duckdb" in finding.message_en


@pytest.mark.parametrize("kind", KINDS)
def test_typed_columns_keep_their_values(kind: str, databases: Databases) -> None:
    """Timestamps, exact numerics and booleans from the database reach the contract types."""
    target, uri = databases.new(kind)
    stamp = {"postgresql": "TIMESTAMP", "duckdb": "TIMESTAMP", "sqlite": "TEXT"}[kind]
    number = {"postgresql": "NUMERIC(6,0)", "duckdb": "DECIMAL(6,0)", "sqlite": "NUMERIC"}[kind]
    flag, true = ("INTEGER", "1") if kind == "sqlite" else ("BOOLEAN", "TRUE")
    execute(
        kind,
        target,
        "CREATE TABLE board_settings "
        f"(school_year TEXT, oct_count_date {stamp}, french_board {flag})",
        f"INSERT INTO board_settings VALUES ('2025-2026', '2025-10-31 00:00:00', {true})",
        f"CREATE TABLE section_meetings (section_id TEXT, cycle_day TEXT, minutes {number})",
        "INSERT INTO section_meetings VALUES ('S1', '1', 75)",
    )
    result = load_folder(uri, tables=["board_settings", "section_meetings"])
    settings = result.tables["board_settings"].row(0, named=True)
    assert settings["french_board"] is True
    assert result.tables["section_meetings"].get_column("minutes").to_list() == [75]
    if kind == "sqlite":  # SQLite has no timestamp type: its text is not a date
        assert flat(result, "SRC004") == [("SRC004", "board_settings", 1, "oct_count_date")]
    else:
        assert result.findings == [] and str(settings["oct_count_date"]) == "2025-10-31"


# --- URIs --------------------------------------------------------------------------------


def test_parse_database_and_mask_password(tmp_path) -> None:
    assert parse_database("sqlite:///rel/x.db") == Database("sqlite", "rel/x.db")
    assert parse_database("sqlite:////abs/x.db") == Database("sqlite", "/abs/x.db")
    assert parse_database("duckdb:///x.duckdb") == Database("duckdb", "x.duckdb")
    plain = tmp_path / "board.DuckDB"
    assert parse_database(plain) == Database("duckdb", str(plain))
    assert parse_database("exports/2025") is None and parse_database(tmp_path) is None
    uri = "postgres://u:p%40ss@db.example:5432/sis?sslmode=require&password=x"
    assert parse_database(uri) == Database("postgresql", uri)
    assert mask_password(uri) == "postgres://u:***@db.example:5432/sis?sslmode=require&password=***"
    with pytest.raises(ValueError, match="mysql"):
        parse_database("mysql://u@h/db")


def test_a_database_source_travels_to_worker_processes() -> None:
    """Board runs stage the data in a spawned process: the source must pickle."""
    import pickle

    source = data_source("postgresql://u:pw@h/db", {"students": "sis.students_v"})
    assert pickle.loads(pickle.dumps(source)) == source
    assert source.label == "postgresql://u:***@h/db"


@needs_pg
def test_a_value_polars_cannot_hold_is_src008_without_the_value(databases: Databases) -> None:
    target, uri = databases.new("postgresql")
    execute(
        "postgresql",
        target,
        "CREATE TABLE board_settings (school_year TEXT, oct_count_date DATE)",
        "INSERT INTO board_settings VALUES ('2025-2026', 'infinity')",
    )
    result = load_folder(uri, tables=["board_settings"])
    finding = only(result.findings, "SRC008")
    assert finding.file == "board_settings" and "infinity" not in str(finding)


@pytest.mark.parametrize("kind", KINDS)
def test_text_with_separators_quotes_and_newlines_survives(kind: str, databases: Databases) -> None:
    target, uri = databases.new(kind)
    execute(
        kind,
        target,
        "CREATE TABLE schools (school_id TEXT, bsid TEXT, name TEXT)",
        "INSERT INTO schools VALUES ('10', '998467', 'A, \"B\"\nC\\D')",
        "INSERT INTO schools VALUES ('11', '998467', ''), ('12', '998467', NULL)",
    )
    result = load_folder(uri, tables=["schools"])
    assert result.findings == []
    assert result.tables["schools"].get_column("name").to_list() == ['A, "B"\nC\\D', None, None]


@pytest.mark.parametrize("kind", KINDS)
def test_board_command_reads_a_database(
    kind: str, sample_uris: dict[str, str], file_outputs: dict[str, bytes], tmp_path
) -> None:
    _, pae, _bsid, year = sample_run("mar")
    args = ["board", "--data", sample_uris[kind], "--pae", str(pae), "--period", "mar"]
    args += ["--year", year, "--out", str(tmp_path), "--workers", "1"]
    done = CliRunner().invoke(cli, [*args, "--timestamp", STAMP.isoformat()])
    assert done.exit_code == 0, done.output
    (written,) = tmp_path.glob("*.xml")
    assert written.read_bytes() == file_outputs["mar"]


def test_the_config_file_table_map_names_views_of_a_database(
    sample_uris: dict[str, str], tmp_path
) -> None:
    from onsis_batch.period.config import load_config
    from onsis_batch.run.request import open_source as _data_source

    config_file = tmp_path / "board.yaml"
    config_file.write_text("version: 1\ntables:\n  courses: course_list\n", encoding="utf-8")
    config, problems = load_config(config_file)
    assert problems == []
    source = _data_source(sample_uris["sqlite"], None, config)
    assert dict(source.table_map) == {"courses": "course_list"}
    assert _data_source(str(tmp_path), None, config).folder == tmp_path  # folders: no map
    # A view that hides every course: the run reads it (not the courses table), so the
    # sections name unknown courses.
    target = sample_uris["sqlite"].split(":///", 1)[1]
    execute(
        "sqlite", target, "CREATE VIEW IF NOT EXISTS course_list AS SELECT * FROM courses WHERE 0"
    )
    _, pae, bsid, year = sample_run("oct")
    args = ["generate", "--data", sample_uris["sqlite"], "--config", str(config_file)]
    args += ["--pae", str(pae), "--bsid", bsid, "--period", "oct", "--year", year]
    done = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "out"), "--json"])
    assert done.exit_code != 0
    assert "SRC010" in done.output  # references to courses the view does not have
