"""`vrtrainer results list|show|export` and `vrtrainer xapi send|status` on a SQLite store."""

from __future__ import annotations

import csv
import json

import pytest
from attempt_factory import make_record
from service_fixtures import free_port

from vrtrainer.cli import main
from vrtrainer.results import ResultsStore


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultsStore.open(path) as store:
        for n in range(5):
            store.record_attempt(make_record(n, trainee_name="Camille" if n == 4 else None))
    return str(path)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json(db, capsys):
    code, out, _ = run(capsys, "results", "list", "--db", db, "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["criteria"][0]["name"] == "timing"
    assert "breakdown" not in rows[0]
    code, out, _ = run(capsys, "results", "list", "--db", db, "--json", "--trainee", "T-001")
    assert [r["id"] for r in json.loads(out)] == [2, 5]
    code, out, _ = run(capsys, "results", "list", "--db", db, "--json", "--limit", "2")
    assert [r["id"] for r in json.loads(out)] == [4, 5]


def test_list_table_uses_the_env_store(db, capsys, monkeypatch):
    monkeypatch.setenv("VRTRAINER_DB", db)
    code, out, _ = run(capsys, "results", "list")
    assert code == 0
    assert "T-002" in out and "pinch 1.0" in out and "not passed" in out


def test_show(db, capsys):
    code, out, _ = run(capsys, "results", "show", "5", "--db", db)
    assert code == 0
    assert "trainee T-001 (Camille)" in out and "finger shape" in out
    uuid = make_record(4).attempt_uuid
    code, out, _ = run(capsys, "results", "show", uuid, "--db", db, "--json")
    shown = json.loads(out)
    assert shown["id"] == 5 and shown["breakdown"]["per_joint_error_m"][1] == 0.01


def test_show_unknown_attempt_is_an_error_without_traceback(db, capsys):
    code, _, err = run(capsys, "results", "show", "99", "--db", db)
    assert code == 2
    assert err.startswith("error: ") and "no attempt 99" in err and "Traceback" not in err


def test_export_csv(db, capsys, tmp_path):
    out_file = tmp_path / "all.csv"
    code, out, _ = run(capsys, "results", "export", "--csv", str(out_file), "--db", db)
    assert code == 0 and "5 attempt(s)" in out
    with open(out_file, newline="", encoding="utf-8") as stream:
        assert len(list(csv.DictReader(stream))) == 5


def test_xapi_status_and_send_without_an_lrs(db, capsys):
    code, out, _ = run(capsys, "xapi", "status", "--db", db)
    assert code == 0 and "35 waiting, 0 sent, 0 rejected" in out
    code, _, err = run(capsys, "xapi", "send", "--db", db)
    assert code == 2 and "give --endpoint" in err
    endpoint = f"http://127.0.0.1:{free_port()}/xAPI/"
    code, out, _ = run(
        capsys,
        "xapi",
        "send",
        "--db",
        db,
        "--endpoint",
        endpoint,
        "--user",
        "u",
        "--password",
        "p",
    )
    assert code == 1 and "sent 0, rejected 0, still waiting 35" in out


def test_bad_database_url_is_an_error(capsys):
    code, _, err = run(capsys, "results", "list", "--db", "mysql://x/y")
    assert code == 2 and "only SQLite and PostgreSQL" in err
