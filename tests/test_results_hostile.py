"""A damaged, truncated or read-only results store, and rows a tool other than vrtrainer
edited (issue 14): one `error:` line and exit 2, or the listing, never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from attempt_factory import make_record
from needs import skip_outside_ci

from vrtrainer.cli import main
from vrtrainer.results import ResultsStore


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "results.sqlite"
    with ResultsStore.open(path) as store:
        for n in range(40):
            store.record_attempt(make_record(n))
    return path


def _sql(db: Path, statement: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement)


def _refused(capsys, *args: str) -> str:
    code, _, err = run(capsys, *args)
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err, err
    assert err.count("\n") == 1, err
    return err


def test_a_file_that_is_no_database_is_refused(tmp_path, capsys):
    bogus = tmp_path / "r.sqlite"
    bogus.write_bytes(b"not a database at all" * 100)
    _refused(capsys, "results", "list", "--db", str(bogus))
    _refused(capsys, "xapi", "status", "--db", str(bogus))


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_store_is_refused(db, capsys, keep):
    with open(db, "r+b") as f:
        f.truncate(int(db.stat().st_size * keep))
    for args in (("results", "list"), ("results", "show", "1"), ("xapi", "status"),
                 ("results", "export", "--csv", str(db.parent / "out.csv"))):
        code, _, err = run(capsys, *args, "--db", str(db))
        assert "Traceback" not in err
        assert code in (0, 2) and (code == 0 or err.startswith("error: ")), err
    assert not list(db.parent.glob(".out.csv*"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE attempts SET breakdown = '{not json' WHERE id = 3",
        "UPDATE attempts SET started_at = 'yesterday-ish' WHERE id = 3",
        "UPDATE attempts SET ended_at = '2026-13-45 99:99:99' WHERE id = 3",
        "UPDATE attempts SET score = 'high' WHERE id = 3",
        "UPDATE attempts SET breakdown = '" + "[" * 5000 + "' WHERE id = 3",
        "UPDATE attempts SET scenario_id = CAST(x'e4e4' AS TEXT) WHERE id = 3",
    ],
    ids=["json", "date", "bad-date", "score-text", "deep-json", "bad-utf8"],
)
def test_a_damaged_row_is_a_clear_error(db, capsys, statement):
    _sql(db, statement)
    for args in (("results", "show", "3"), ("results", "list", "--json"),
                 ("results", "export", "--csv", str(db.parent / "out.csv"))):
        err = _refused(capsys, *args, "--db", str(db))
        assert "damaged" in err or "cannot read" in err
    assert not (db.parent / "out.csv").exists()
    assert not list(db.parent.glob(".out.csv*"))


def _read_only_run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with ``folder`` mounted read-only (a private mount namespace)."""
    if not shutil.which("unshare"):
        skip_outside_ci("unshare is not available")
    command = (f"mount --bind -o ro {folder} {folder} && exec {sys.executable} -m vrtrainer "
               + " ".join(args))
    done = subprocess.run(["unshare", "-rm", "sh", "-c", command], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    if "mount" in done.stderr and "ermission" in done.stderr:
        skip_outside_ci("no mount namespaces here")
    return done


def test_a_read_only_store_can_be_listed(db):
    probe = _read_only_run(db.parent, "results", "list", "--db", str(db), "--json")
    assert probe.returncode == 0, probe.stderr
    assert '"id": 40' in probe.stdout
    status = _read_only_run(db.parent, "xapi", "status", "--db", str(db))
    assert status.returncode == 0 and "waiting" in status.stdout, status.stderr


def test_a_damaged_outbox_row_is_a_clear_error(db, capsys):
    _sql(db, "UPDATE xapi_outbox SET next_try_at = 'soon', last_error = 'x' WHERE id = 2")
    err = _refused(capsys, "xapi", "status", "--db", str(db))
    assert "outbox row is damaged" in err



def test_a_criteria_row_not_matching_its_attempt_is_a_damaged_row(db, capsys):
    """Another tool re-declared criteria.attempt_id as TEXT and wrote '3' into a row:
    SQLite then matches it to attempt 3 while Python reads the text '3' (the round-2 fuzz
    run met the same through a damaged index: a KeyError traceback)."""
    with sqlite3.connect(db) as conn:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'criteria'").fetchone()
        assert "attempt_id INTEGER" in sql
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'criteria'",
                     (sql.replace("attempt_id INTEGER", "attempt_id TEXT"),))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE criteria SET attempt_id = '3' WHERE attempt_id + 0 = 3")
        assert conn.execute("SELECT typeof(attempt_id) FROM criteria WHERE attempt_id = '3'"
                            ).fetchone() == ("text",)
    for args in (("results", "show", "3"), ("results", "list", "--json"),
                 ("results", "export", "--csv", str(db.parent / "out.csv"))):
        err = _refused(capsys, *args, "--db", str(db))
        assert "damaged" in err and "criteria" in err, err
    assert not (db.parent / "out.csv").exists()
