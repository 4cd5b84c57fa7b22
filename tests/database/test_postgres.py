"""PostgreSQL, a real server: the bundled sample read from it grades exactly as from its CSV
files, the grades and the runs table go back into it, a rerun replaces its run, and the
password in a URI shows up nowhere (output, logs, manifest, runs table, error messages).

``make test`` runs pytest under ``scripts/postgres.sh run``, which starts a throw-away
server and sets ``CUSTVALUE_TEST_POSTGRES_URI``; run alone, this module starts its own with
the same script.  It is skipped only where PostgreSQL is not installed and cannot be
(``CUSTVALUE_TEST_POSTGRES_SKIP`` says why).  Every PostgreSQL test is in this one file, so
that under ``-n 2 --dist loadfile`` one worker uses the server.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import custvalue
from custvalue.cli import EXIT_BAD_INPUT, app
from custvalue.errors import DatabaseError
from custvalue.grading import Grading
from custvalue.inputs.database import (
    DatabaseSource,
    connect,
    database_tables,
    read_grades,
    write_grades,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "postgres.sh"
TREAT = {"duplicates": "last", "negative_energy": "allow"}
TREAT_CLI = ["--duplicates", "last", "--negative-energy", "allow"]
runner = CliRunner()


@pytest.fixture(scope="module")
def pg_uri() -> Iterator[str]:
    """The test server's URI (with its password): from make, or a server of our own."""
    uri = os.environ.get("CUSTVALUE_TEST_POSTGRES_URI")
    if uri:
        yield uri
        return
    reason = os.environ.get("CUSTVALUE_TEST_POSTGRES_SKIP")
    if reason:
        pytest.skip(reason)
    if subprocess.run(["bash", str(SCRIPT), "ensure"], capture_output=True,
                      check=False).returncode == 3:
        pytest.skip("PostgreSQL is not installed and cannot be here "
                    "(scripts/postgres.sh ensure needs root and apt-get)")
    started = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True,
                             check=False)
    assert started.returncode == 0, f"scripts/postgres.sh start failed:\n{started.stderr}"
    folder = started.stdout.strip().splitlines()[-1]
    try:
        yield (Path(folder) / "uri").read_text().strip()
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", folder], check=False)


@pytest.fixture(scope="module")
def password(pg_uri) -> str:
    secret = pg_uri.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert len(secret) >= 8  # the script's random password: long enough to search for
    return secret


@pytest.fixture(scope="module")
def sample_pg(pg_uri, sample_loader) -> str:
    """The sample in PostgreSQL under the contract's names, dates as DATE columns."""
    sample_loader(pg_uri, parse_dates=True)
    return pg_uri


def test_the_sample_from_postgres_grades_as_from_csv(sample_pg, password, csv_grading,
                                                     same_grades, caplog):
    with caplog.at_level(logging.DEBUG, logger="custvalue"):
        g = custvalue.grade(**database_tables(sample_pg), **TREAT)
    same_grades(g.table, csv_grading.table)
    assert g.manifest.row_counts == csv_grading.manifest.row_counts
    dates = DatabaseSource(sample_pg, query="SELECT opened, due_date FROM customers, monthly "
                           "LIMIT 1").read("customers")
    assert dates.dtypes == [pl.Date, pl.Date]  # native DATE columns took the same path
    source = g.manifest.inputs["monthly"].source or ""
    assert source.startswith("postgresql://custvalue:***@127.0.0.1:")
    assert password not in g.manifest.model_dump_json()
    assert "reading monthly from postgresql://custvalue:***@" in caplog.text
    assert password not in caplog.text
    # the grades go back in, and a rerun of the run replaces it
    run = g.to_database(sample_pg)
    g.to_database(sample_pg)
    back = read_grades(sample_pg, run).set_index("customer_id")
    same_grades(back, csv_grading.table)
    assert back["graded"].dtype == bool  # PostgreSQL keeps booleans (SQLite: 0/1)
    runs = DatabaseSource(sample_pg, table="custvalue_runs").read("runs")
    assert runs["run_id"].to_list() == [run]
    assert json.loads(runs["manifest"][0]) == json.loads(g.manifest.model_dump_json())
    # tables in a schema of their own
    with connect(sample_pg) as conn:
        cursor = conn.cursor()
        cursor.execute("CREATE SCHEMA IF NOT EXISTS grading")
        cursor.close()
        conn.commit()
    write_grades(g, sample_pg, table="grading.grades", runs_table="grading.runs")
    assert len(read_grades(sample_pg, run, table="grading.grades")) == len(g.table)


def test_the_cli_from_postgres_to_postgres_never_shows_the_password(
        sample_pg, password, csv_grading, same_grades, tmp_path, monkeypatch):
    """``--db`` with the password in the URI, ``--to-db`` with it from the environment."""
    monkeypatch.setenv("CUSTVALUE_TEST_PG_PASSWORD", password)
    from_env = sample_pg.replace(password, "${CUSTVALUE_TEST_PG_PASSWORD}")
    result = runner.invoke(app, ["grade", "--db", sample_pg, *TREAT_CLI,
                                 "--out", str(tmp_path / "out"), "--to-db", from_env,
                                 "--db-table", "cli_grades", "--runs-table", "cli_runs"])
    assert result.exit_code == 0, result.output
    assert "of postgresql://custvalue:***@127.0.0.1" in " ".join(result.output.split())
    assert password not in result.output
    for path in (tmp_path / "out").iterdir():
        assert password not in path.read_text("utf-8", errors="replace"), path.name
    same_grades(Grading.load(tmp_path / "out").table, csv_grading.table)
    runs = DatabaseSource(sample_pg, table="cli_runs").read("runs")
    assert runs.height == 1
    assert password not in runs.write_csv()
    back = read_grades(sample_pg, runs["run_id"][0], table="cli_grades")
    assert len(back) == len(csv_grading.table)


def test_postgres_errors_are_typed_and_keep_the_password_out(sample_pg, password, tmp_path):
    wrong = sample_pg.replace(password, "not-the-password")
    with pytest.raises(DatabaseError, match="cannot connect") as info:
        DatabaseSource(wrong).read("customers")
    assert "not-the-password" not in str(info.value)
    assert "password authentication failed" in str(info.value)
    with pytest.raises(DatabaseError, match="cannot read table 'bills'") as info:
        custvalue.grade(customers=DatabaseSource(sample_pg),
                        monthly=DatabaseSource(sample_pg, table="bills"))
    assert info.value.table == "monthly"
    assert password not in str(info.value)
    result = runner.invoke(app, ["grade", "--db", sample_pg, "--monthly",
                                 str(tmp_path / "none.csv"), *TREAT_CLI, "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "file not found" in result.output
    assert password not in result.output


_STUB = """#!/bin/sh
# stand-in for initdb, pg_ctl, createdb: records its call; `pg_ctl start` leaves the pid file
echo "$(basename "$0") $*" >> "$CUSTVALUE_STUB_LOG"
prev=""
for arg in "$@"; do [ "$prev" = "-D" ] && data="$arg"; prev="$arg"; done
case "$(basename "$0") $*" in
    "pg_ctl "*" start") mkdir -p "$data" && touch "$data/postmaster.pid" ;;
esac
exit 0
"""


def test_the_script_stops_the_server_when_the_command_fails():
    """``make test`` runs pytest under ``postgres.sh run``: a failing (or interrupted) run
    still stops the server and removes its folder.  Stand-ins for the PostgreSQL programs
    record what the script does, so this takes no real server (the real one is what this
    module itself runs on under ``make test``)."""
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/postgres.sh run $(BIN)/python -m pytest" in makefile
    # a folder every user can write to: as root the programs run as `postgres`
    stubs = Path(tempfile.mkdtemp(prefix="custvalue-stubs.", dir="/tmp"))
    try:
        stubs.chmod(0o777)
        log = stubs / "calls.log"
        log.touch()
        log.chmod(0o666)
        for name in ("initdb", "pg_ctl", "createdb"):
            (stubs / name).write_text(_STUB)
            (stubs / name).chmod(0o755)
        env = {**os.environ, "CUSTVALUE_PG_BINDIR": str(stubs),
               "CUSTVALUE_STUB_LOG": str(log)}
        env.pop("CUSTVALUE_TEST_POSTGRES_URI", None)
        probe = ('echo "$CUSTVALUE_TEST_POSTGRES_URI" > "$CUSTVALUE_STUB_LOG.uri"; '
                 'test -d "$CUSTVALUE_TEST_POSTGRES_DIR" && '
                 'echo "$CUSTVALUE_TEST_POSTGRES_DIR" > "$CUSTVALUE_STUB_LOG.dir"; exit 3')
        done = subprocess.run(["bash", str(SCRIPT), "run", "sh", "-c", probe], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 3, done.stderr  # the command's own status
        assert (stubs / "calls.log.uri").read_text().startswith("postgresql://custvalue:")
        folder = Path((stubs / "calls.log.dir").read_text().strip())
        assert folder.name.startswith("custvalue-pg.")
        assert not folder.exists()  # its folder is gone
        calls = [(line.split()[0], line.split()[-1]) for line in log.read_text().splitlines()]
        assert calls == [("initdb", "--locale=C.UTF-8"), ("pg_ctl", "start"),
                         ("createdb", "custvalue"), ("pg_ctl", "stop")]
    finally:
        shutil.rmtree(stubs, ignore_errors=True)
