"""SQLite, the embedded case: the bundled sample read from a database file grades exactly as
from its CSV files (API and CLI through the mapping file), the grades go back into a table
with a runs table, a rerun replaces its run in one transaction, and every database problem
is a typed :class:`~custvalue.errors.DatabaseError` (exit 2) naming the table or column."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import custvalue
from custvalue.cli import EXIT_BAD_INPUT, EXIT_BAD_SCHEME, app
from custvalue.errors import DatabaseError, MissingColumnError
from custvalue.inputs import database as db
from custvalue.inputs.database import (
    DatabaseSource,
    connect,
    database_tables,
    read_grades,
    redact_uri,
    write_grades,
)
from custvalue.inputs.mapping import Mapping, MappingError

runner = CliRunner()
TREAT = {"duplicates": "last", "negative_energy": "allow"}
TREAT_CLI = ["--duplicates", "last", "--negative-energy", "allow"]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, sample_loader) -> str:
    """The sample in a SQLite file under the contract's table names (dates as text)."""
    path = tmp_path_factory.mktemp("sqlite") / "billing.db"
    uri = f"sqlite:///{path}"
    sample_loader(uri)
    return uri


def test_the_sample_from_sqlite_grades_as_from_csv(sample_db, csv_grading, same_grades):
    sources = database_tables(sample_db)
    assert sorted(sources) == ["cooperation", "customers", "energy", "events", "monthly"]
    g = custvalue.grade(**sources, **TREAT)
    same_grades(g.table, csv_grading.table)
    monthly = g.manifest.inputs["monthly"]
    assert monthly.kind == "database"
    assert monthly.source == f"{sample_db} table monthly"
    assert monthly.rows == csv_grading.manifest.row_counts["monthly"] == 64580
    assert len(monthly.sha256 or "") == 64


def test_the_cli_reads_an_export_through_the_mapping_and_writes_back(
        tmp_path, sample_loader, csv_grading, same_grades):
    """Tables under the export's own names and columns, found through ``[source]``; the
    grades written to the database alone (``--to-db`` without ``--out``)."""
    uri = f"sqlite:///{tmp_path / 'export.db'}"
    sample_loader(uri, names={"customers": "kh_da", "monthly": "yx_dfmx"},
                  renames={"customers": {"customer_id": "户号"},
                           "monthly": {"customer_id": "户号", "active_kwh": "有功电量"}})
    (tmp_path / "mapping.toml").write_text(f'''
[source]
uri = "{uri}"
[columns]
"户号" = "customer_id"
[tables.customers]
table = "kh_da"
[tables.monthly]
query = "SELECT * FROM yx_dfmx"
[tables.monthly.columns]
"有功电量" = "active_kwh"
''', encoding="utf-8")
    result = runner.invoke(app, ["grade", "--mapping", str(tmp_path / "mapping.toml"),
                                 *TREAT_CLI, "--to-db", uri, "--db-table", "grades",
                                 "--run-id", "r1"])  # no --out: the database only
    assert result.exit_code == 0, result.output
    assert "wrote run r1: 1890 rows to grades" in " ".join(result.output.split())
    back = read_grades(uri, "r1", table="grades").set_index("customer_id")
    assert (back["run_id"] == "r1").all()
    same_grades(back, csv_grading.table)
    runs = DatabaseSource(uri, table="custvalue_runs").read("runs")
    inputs = json.loads(runs["manifest"][0])["inputs"]
    assert inputs["monthly"]["source"] == f"{uri} query SELECT * FROM yx_dfmx"
    assert inputs["events"]["source"] == f"{uri} table events"
    assert not list(tmp_path.glob("*/grades.parquet"))


def test_the_write_back_round_trip_and_a_rerun_replaces_its_run(tmp_path, csv_grading):
    uri = f"sqlite:///{tmp_path / 'grades.db'}"
    g = csv_grading
    run = g.to_database(uri)
    assert run == f"{g.manifest.window['end']}_{g.manifest.scheme_hash[:12]}"
    back = read_grades(uri, run).set_index("customer_id")
    table = g.table
    assert list(back.index) == list(table.index)
    assert back["tier"].astype("Int64").equals(table["tier"])
    assert (back["tier_zh"].astype("string").fillna("-").tolist()
            == table["tier_zh"].astype("string").fillna("-").tolist())
    pd.testing.assert_series_equal(back["score"], table["score"], check_names=False)
    # a rerun of the same run replaces it; another run id adds one; the runs table has
    # one row per run with the manifest
    g.to_database(uri)
    extra = dataclasses.replace(g, table=g.table.assign(extra_column=1.5))
    write_grades(extra, uri, run_id="other")
    everything = read_grades(uri)
    assert everything["run_id"].value_counts().to_dict() == {run: len(table),
                                                             "other": len(table)}
    assert everything.loc[everything["run_id"] == run, "extra_column"].isna().all()
    assert (everything.loc[everything["run_id"] == "other", "extra_column"] == 1.5).all()
    runs = DatabaseSource(uri, table="custvalue_runs").read("runs").sort("run_id")
    assert runs["run_id"].to_list() == [run, "other"]
    row = runs.row(0, named=True)
    assert json.loads(row["manifest"]) == json.loads(g.manifest.model_dump_json())
    assert row["scheme_hash"] == g.manifest.scheme_hash
    assert row["customers"] == len(table)
    assert row["graded"] == int(table["graded"].sum())
    assert json.loads(row["input_hashes"]) == {k: v.sha256 for k, v in
                                               g.manifest.inputs.items()}
    assert json.loads(row["row_counts"])["monthly"] == 64580


def test_a_failed_rewrite_leaves_the_old_run_whole(tmp_path, csv_grading, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'grades.db'}"
    csv_grading.to_database(uri, run_id="r")
    before = read_grades(uri, "r")
    calls = []
    real = db._replace_run

    def failing(conn, name, *args):  # the grades go in, then the runs table fails
        calls.append(name)
        if name == "custvalue_runs":
            raise RuntimeError("disk full")
        return real(conn, name, *args)

    monkeypatch.setattr(db, "_replace_run", failing)
    changed = dataclasses.replace(csv_grading, table=csv_grading.table.assign(score=0.0))
    with pytest.raises(DatabaseError, match="nothing was written") as info:
        changed.to_database(uri, run_id="r")
    assert info.value.code == "database_error"
    assert calls == ["custvalue_grades", "custvalue_runs"]
    monkeypatch.undo()
    pd.testing.assert_frame_equal(read_grades(uri, "r"), before)


# -- errors ----------------------------------------------------------------------------------
def test_bad_uris_missing_tables_and_failing_queries_are_typed(tmp_path, sample_db):
    cases = [
        (DatabaseSource("nosuchdb://host/db"), "no ADBC driver for 'nosuchdb'"),
        (DatabaseSource(f"sqlite:///{tmp_path / 'absent.db'}"), "no SQLite database file"),
        (DatabaseSource(sample_db, table="bills"), "cannot read table 'bills'"),
        (DatabaseSource(sample_db, query="SELECT nothing FROM monthly"), "the query failed"),
    ]
    for source, message in cases:
        with pytest.raises(DatabaseError, match=message) as info:
            custvalue.grade(customers=DatabaseSource(sample_db), monthly=source)
        assert info.value.table == "monthly"
        report = custvalue.check_tables(customers=DatabaseSource(sample_db), monthly=source)
        assert [(f.table, f.code) for f in report.errors] == [("monthly", "database_error")]
    with pytest.raises(DatabaseError, match="not a database URI"):
        DatabaseSource("billing.db")
    with pytest.raises(DatabaseError, match="a table or a query"):
        DatabaseSource(sample_db, table="a", query="SELECT 1")
    with pytest.raises(DatabaseError, match="CUSTVALUE_NO_SUCH_VAR"):
        DatabaseSource("postgresql://u:${CUSTVALUE_NO_SUCH_VAR}@h/db").read("monthly")


def test_a_missing_column_is_named(tmp_path, sample_db, sample_loader):
    uri = f"sqlite:///{tmp_path / 'short.db'}"
    sample_loader(uri, renames={"monthly": {"active_kwh": "kwh"}})
    with pytest.raises(MissingColumnError) as info:
        custvalue.grade(**database_tables(uri), **TREAT)
    assert (info.value.table, info.value.column) == ("monthly", "active_kwh")
    result = runner.invoke(app, ["grade", "--db", uri, *TREAT_CLI, "--out",
                                 str(tmp_path / "out")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "table 'monthly', column 'active_kwh'" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--db", "sqlite:///no/such/file.db"], "no SQLite database file"),
    (["--db", "oracle://u@h/db"], "no ADBC driver for 'oracle'"),
])
def test_the_cli_exits_2_on_a_bad_uri(args, message, tmp_path):
    result = runner.invoke(app, ["grade", *args, *TREAT_CLI, "--out", str(tmp_path / "o")])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert message in result.output
    assert "table 'customers'" in result.output


def test_the_cli_exits_2_on_a_missing_table(tmp_path, sample_db):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[tables.monthly]\ntable = "bills"\n', encoding="utf-8")
    result = runner.invoke(app, ["grade", "--db", sample_db, "--mapping", str(mapping),
                                 *TREAT_CLI, "--out", str(tmp_path / "o")])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "table 'monthly': cannot read table 'bills'" in result.output


def test_the_cli_needs_somewhere_to_write(sample_db):
    result = runner.invoke(app, ["grade", "--db", sample_db, *TREAT_CLI])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "--out DIR or --to-db URI" in result.output


def test_a_sqlite_column_of_numbers_and_text_is_refused(tmp_path):
    """SQLite's driver returns such a column as text with numbers rounded to 7 digits."""
    uri = f"sqlite:///{tmp_path / 'mixed.db'}"
    with connect(uri, create=True) as conn:
        cursor = conn.cursor()
        cursor.execute("CREATE TABLE monthly (customer_id TEXT, active_kwh)")
        cursor.execute("INSERT INTO monthly VALUES ('C1', 1234567.89), ('C2', '12.5')")
        cursor.close()
        conn.commit()
    with pytest.raises(DatabaseError, match="mixes numbers and text") as info:
        DatabaseSource(uri).read("monthly")
    assert (info.value.table, info.value.column) == ("monthly", "active_kwh")
    assert info.value.examples == [{"customer_id": "C1", "active_kwh": "1.234568e+06"}]


def test_the_mapping_names_a_file_or_a_database_table():
    for entry in ({"table": "a", "query": "SELECT 1"}, {"file": "m.csv", "table": "m"}):
        with pytest.raises(MappingError, match="not both"):
            Mapping(tables={"monthly": entry})
    with pytest.raises(MappingError, match="needs a uri"):
        Mapping(tables={"monthly": {"table": "m"}}).database_sources()


def test_the_example_mapping_reads_its_database_section():
    example = Path(__file__).resolve().parents[2] / "data/samples/mapping.example.toml"
    text = example.read_text(encoding="utf-8")
    assert "# [source]" in text  # documented, commented out: the example reads files
    enabled = text.replace("# [source]", "[source]").replace(
        '# uri = "postgresql://', 'uri = "postgresql://')
    spec = Mapping.load(enabled)
    assert spec.source is not None and "${" in spec.source.uri


# -- credentials -----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(password=st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789!$%&*+,;=~@:", min_size=8,
                        max_size=24))
def test_a_password_is_never_shown(password):
    """In the user part (where only / ? # must be escaped) or as a query parameter
    (URL-encoded), as written or decoded."""
    uri = f"postgresql://grader:{password}@db.example:5432/billing?sslmode=require"
    encoded = quote(password, safe="")  # (as a query parameter it must be URL-encoded)
    for text in (redact_uri(uri), repr(DatabaseSource(uri, table="bills")),
                 DatabaseSource(uri).describe("monthly"),
                 redact_uri(f"postgresql://grader@db/billing?password={encoded}&x=1"),
                 db._scrub(f"failed: {password}", uri)):
        assert password not in text
        assert encoded not in text
        assert "***" in text
    assert redact_uri(uri) == "postgresql://grader:***@db.example:5432/billing?sslmode=require"


def test_a_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("CUSTVALUE_TEST_PW", "s3cr3t-pw")
    source = DatabaseSource("postgresql://grader:${CUSTVALUE_TEST_PW}@127.0.0.1:1/billing")
    assert db.expand_uri(source.uri) == "postgresql://grader:s3cr3t-pw@127.0.0.1:1/billing"
    with pytest.raises(DatabaseError, match="cannot connect") as info:  # nothing listens
        source.read("monthly")
    assert "s3cr3t-pw" not in str(info.value)


def test_database_types_reach_the_one_parser(tmp_path):
    """Native dates, decimals and integer ids are typed as their text forms would be."""
    uri = f"sqlite:///{tmp_path / 'types.db'}"
    frame = pl.DataFrame({"customer_id": [7, 8], "period": ["2024-9", "202410"],
                          "active_kwh": [1.5, 2.0]})
    with connect(uri, create=True) as conn:
        frame.write_database("monthly", conn, engine="adbc")
        conn.commit()
    typed = custvalue.io.scan_typed(DatabaseSource(uri), "monthly").collect()
    assert typed.rows() == [("7", pd.Timestamp("2024-09-01").date(), 1.5),
                            ("8", pd.Timestamp("2024-10-01").date(), 2.0)]


def test_check_and_grade_exit_codes_keep_their_meaning(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[tables.monthly]\ntable = "a"\nquery = "SELECT 1"\n', "utf-8")
    result = runner.invoke(app, ["grade", "--mapping", str(mapping), "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == EXIT_BAD_SCHEME  # a bad mapping is exit 3, as before


def test_check_reads_a_database_too(sample_db, tmp_path):
    result = runner.invoke(app, ["check", "--db", sample_db, *TREAT_CLI])
    assert result.exit_code == 0, result.output
    assert "customers by class" in result.output
    mapping = tmp_path / "m.toml"
    mapping.write_text('[tables.events]\ntable = "incidents"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", "--db", sample_db, "--mapping", str(mapping)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "events: cannot read table 'incidents'" in " ".join(result.output.split())
    result = runner.invoke(app, ["check"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "--db URI" in result.output
