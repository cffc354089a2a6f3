"""Results store on a SQLite file and on a real PostgreSQL server (``-m services``)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from attempt_factory import T0, attempt_uuid, make_record
from service_fixtures import running_postgres
from sqlalchemy import func, select, text

from vrtrainer.results import (
    AttemptNotFoundError,
    ResultsStore,
    StoreError,
    resolve_url,
    sha256_file,
)
from vrtrainer.results.engine import make_engine
from vrtrainer.results.migrate import MIGRATIONS, head_revision
from vrtrainer.results.schema import attempts, metadata, xapi_outbox

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def pg_server():
    yield from running_postgres()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def store_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "results.sqlite")
    return request.getfixturevalue("pg_server").new_database()


@pytest.fixture
def store(store_url):
    with ResultsStore.open(store_url) as opened:
        yield opened


def test_attempt_reads_back_as_recorded(store, tmp_path):
    take = tmp_path / "attempt.vrtake"
    take.write_bytes(b"not really a take, but real bytes to hash" * 100)
    record = make_record(3, take_path=str(take), trainee_name="Camille")
    attempt_id = store.record_attempt(record)

    for key in (attempt_id, str(attempt_id), record.attempt_uuid):
        got = store.get_attempt(key)
        assert got.id == attempt_id
    assert got.uuid == record.attempt_uuid
    assert (got.trainee, got.trainee_name) == (record.trainee, "Camille")
    assert (got.scenario_id, got.scenario_version, got.step) == ("grab", "1.0", "2")
    assert got.score == record.score and got.passed == record.passed
    assert got.criteria == record.criteria
    assert got.breakdown == record.breakdown
    assert got.take_sha256 == sha256_file(take)
    assert got.started_at == record.started_at and got.ended_at == record.ended_at
    assert got.started_at.utcoffset() == timedelta(0)
    assert got.duration_s == pytest.approx(13.0)
    json.dumps(got.to_dict())


def test_recording_twice_stores_once(store):
    record = make_record(1)
    first = store.record_attempt(record)
    assert store.record_attempt(record) == first
    assert store.record_attempt(replace(record, score=99.0)) == first
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(attempts)).scalar() == 1
        n_statements = conn.execute(select(func.count()).select_from(xapi_outbox)).scalar()
    # initialized, attempted, 3 x interacted, completed, passed|failed
    assert n_statements == 7
    assert store.get_attempt(first).score == record.score


def test_listing_filters_and_history(store):
    ids = [store.record_attempt(make_record(n)) for n in range(9)]
    assert [a.id for a in store.list_attempts()] == ids
    history = store.trainee_history("T-001")
    assert [a.id for a in history] == [ids[1], ids[4], ids[7]]
    assert all(a.trainee == "T-001" for a in history)
    pinch = store.list_attempts(scenario_id="pinch")
    assert {a.scenario_id for a in pinch} == {"pinch"} and len(pinch) == 5
    passed = store.list_attempts(passed=True)
    assert passed and all(a.passed for a in passed)
    window = store.list_attempts(since=T0 + timedelta(minutes=14), until=T0 + timedelta(hours=1))
    assert [a.id for a in window] == ids[2:9]
    assert [a.id for a in store.list_attempts(limit=2, newest_first=True)] == ids[:-3:-1]
    assert store.trainees() == [("T-000", None), ("T-001", None), ("T-002", None)]


def test_session_spans_its_attempts(store):
    session = attempt_uuid("one session")
    for n in (4, 1, 7):
        store.record_attempt(make_record(n, trainee="T-9", session_uuid=session))
    got = store.list_attempts(session_uuid=session)
    assert len(got) == 3
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT started_at, ended_at FROM sessions")).one()
    assert str(row.started_at).startswith(str(make_record(1).started_at)[:19].replace("T", " "))
    assert str(row.ended_at).startswith(str(make_record(7).ended_at)[:19].replace("T", " "))


def test_session_of_another_trainee_is_refused(store):
    session = attempt_uuid("shared?")
    store.record_attempt(make_record(1, trainee="A", session_uuid=session))
    with pytest.raises(StoreError, match="belongs to another trainee"):
        store.record_attempt(make_record(2, trainee="B", session_uuid=session))
    assert len(store.list_attempts()) == 1


def test_export_csv(store, tmp_path):
    for n in range(4):
        store.record_attempt(make_record(n))
    out = tmp_path / "export.csv"
    assert store.export_csv(out, trainee="T-000") == 2
    with open(out, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["trainee"] for r in rows] == ["T-000", "T-000"]
    assert rows[0]["criteria"].startswith("timing=")
    assert float(rows[1]["score"]) == make_record(3).score
    assert not list(tmp_path.glob(".*.part"))


def test_unknown_attempt_is_refused(store):
    with pytest.raises(AttemptNotFoundError, match="no attempt 42"):
        store.get_attempt(42)


def test_schema_matches_the_migrations(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, metadata) == []


def test_store_newer_than_the_code_is_refused(store_url):
    ResultsStore.open(store_url).close()
    store = ResultsStore.open(store_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    store.close()
    with pytest.raises(StoreError, match="newer than this vrtrainer"):
        ResultsStore.open(store_url)


def test_outbox_claims_are_disjoint_and_leases_expire(store):
    for n in range(3):
        store.record_attempt(make_record(n))
    outbox = store.outbox
    first = outbox.claim("sender-a", 10, lease_s=60)
    second = outbox.claim("sender-b", 100, lease_s=60)
    assert len(first) == 10 and len(second) == 11
    assert not {i.statement_id for i in first} & {i.statement_id for i in second}
    assert outbox.claim("sender-c", 100, lease_s=60) == []
    outbox.complete(first)
    # sender-b "dies": its lease runs out and the rows can be claimed again.
    with store.engine.begin() as conn:
        conn.execute(xapi_outbox.update().values(lease_until=T0))
    again = outbox.claim("sender-c", 100, lease_s=60)
    assert sorted(i.row_id for i in again) == sorted(i.row_id for i in second)
    assert outbox.counts().pending == 11 and outbox.counts().sent == 10


def test_statements_of_a_cmi5_launch_wait_for_their_lms(store):
    from vrtrainer.results.cmi5 import Cmi5Launch

    launch = Cmi5Launch.from_url(
        "https://vr.example/au?endpoint=https%3A%2F%2Flms.example%2Flrs%2F"
        "&fetch=https%3A%2F%2Flms.example%2Ftoken%2F1"
        "&actor=%7B%22account%22%3A%7B%22homePage%22%3A%22https%3A%2F%2Flms.example%22"
        "%2C%22name%22%3A%22u42%22%7D%7D"
        "&registration=0e6c3f1e-8e9a-4c84-9d6a-2f5a8b7c6d5e"
        "&activityId=https%3A%2F%2Flms.example%2Fau%2F7"
    )
    store.record_attempt(make_record(0), launch=launch)
    store.record_attempt(make_record(1))
    assert store.outbox.counts("http://other-lrs/xapi").pending == 7
    assert store.outbox.counts("https://lms.example/lrs").pending == 14
    claimed = store.outbox.claim("s", 100, 60, endpoint="http://other-lrs/xapi")
    assert len(claimed) == 7
    assert all("lms.example" not in i.statement for i in claimed)


def test_several_processes_open_a_fresh_store_and_write_at_once(store_url):
    workers, per_worker = 6, 15
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "results_worker.py"), store_url, str(w), str(per_worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    with ResultsStore.open(store_url) as store:
        stored = store.list_attempts()
        assert len(stored) == workers * per_worker
        expected = {attempt_uuid("worker", w, i) for w in range(workers) for i in range(per_worker)}
        assert {a.uuid for a in stored} == expected
        statements = store.outbox.statements()
        assert len(statements) == 7 * workers * per_worker
        assert len({s[0] for s in statements}) == len(statements)
        for w in range(workers):
            assert len(store.trainee_history(f"headset-{w}")) == per_worker


def test_readers_do_not_wait_for_a_writer_on_sqlite(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultsStore.open(path) as writer, ResultsStore.open(path) as reader:
        writer.record_attempt(make_record(1))
        with writer.engine.begin() as conn:  # a headset in the middle of storing
            conn.execute(text("UPDATE trainees SET display_name = 'x'"))
            assert len(reader.list_attempts()) == 1
            assert reader.outbox.counts().pending == 7
            assert ResultsStore.open(path).url.endswith("results.sqlite")


def test_url_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("VRTRAINER_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_url() == f"sqlite:///{tmp_path}/xdg/vrtrainer/results.sqlite"
    monkeypatch.setenv("VRTRAINER_DB", str(tmp_path / "other.db"))
    assert resolve_url() == f"sqlite:///{tmp_path}/other.db"
    assert resolve_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    with ResultsStore.open() as store:
        assert store.url == f"sqlite:///{tmp_path}/other.db"
    assert (tmp_path / "other.db").exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("mysql://u:secret@h/db", "only SQLite and PostgreSQL"),
    ],
)
def test_unusable_urls_are_refused(url, problem):
    with pytest.raises(StoreError, match=problem) as caught:
        ResultsStore.open(url)
    assert "secret" not in str(caught.value)


def test_unreachable_postgresql_is_a_clear_error():
    with pytest.raises(StoreError, match="cannot open the results store") as caught:
        ResultsStore.open("postgresql://u:hunter2@127.0.0.1:1/nothing")
    assert "hunter2" not in str(caught.value)


def test_attempt_keeps_the_reference_it_was_scored_against(store, tmp_path):
    ref = tmp_path / "pinch-step1.vrref"
    ref.write_bytes(b"reference bytes to hash" * 50)
    attempt_id = store.record_attempt(make_record(
        4, reference_path=str(ref), reference_sha256=sha256_file(ref)))
    got = store.get_attempt(attempt_id)
    assert (got.reference_path, got.reference_sha256) == (str(ref), sha256_file(ref))
    assert got.to_dict()["reference_sha256"] == sha256_file(ref)


def test_a_store_at_0003_upgrades_keeping_its_attempts(store_url):
    """0004 adds the attempt's reference; attempts stored before keep everything else."""
    engine = make_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(text(
            "INSERT INTO trainees (id, pseudonym, created_at) VALUES (1, 'T-9', :t)"),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)})
        conn.execute(text(
            "INSERT INTO attempts (id, uuid, trainee_id, scenario_id, scenario_version, step,"
            " score, passed, breakdown, started_at, ended_at, duration_s, locale,"
            " vrtrainer_version, recorded_at) VALUES (1, :u, 1, 'gesture/pinch', 'builtin',"
            " '1', 71.5, :p, '{}', :t, :t, 2.0, 'fr-FR', '0.1', :t)"),
            {"u": "9e107d9d-372b-4c51-b0d4-6fb1b4f6f1a1", "p": True,
             "t": datetime(2026, 1, 1, tzinfo=UTC)})
    engine.dispose()
    with ResultsStore.open(store_url) as upgraded:
        old = upgraded.get_attempt(1)
        assert (old.trainee, old.score, old.passed) == ("T-9", 71.5, True)
        assert old.reference_path is None and old.reference_sha256 is None
    engine = make_engine(store_url)
    with engine.begin() as conn:  # and back: 0004's downgrade drops only its columns
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
        assert conn.execute(text("SELECT score FROM attempts")).scalar_one() == 71.5
    engine.dispose()
