"""The outbox against a real LRS (Ralph): statements arrive intact, once, whatever happens.

Counts are taken from Ralph's own storage file, so a duplicate the LRS stored would show.
Each test runs with the results store on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from attempt_factory import make_record
from service_fixtures import LRS_PASSWORD, LRS_USER, running_postgres, running_ralph
from sqlalchemy import func, select

from vrtrainer.results import ResultsStore
from vrtrainer.results.schema import xapi_outbox
from vrtrainer.xapi.lrs import LrsClient, basic_auth
from vrtrainer.xapi.sender import OutboxSender

pytestmark = pytest.mark.services
REPO = Path(__file__).resolve().parents[1]
# What an LRS adds to a statement it stores.
LRS_FIELDS = ("stored", "authority", "version")


@pytest.fixture(scope="session")
def pg_server():
    yield from running_postgres()


@pytest.fixture(scope="session")
def ralph_lrs():
    yield from running_ralph()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = str(tmp_path / "results.sqlite")
    else:
        url = request.getfixturevalue("pg_server").new_database()
    with ResultsStore.open(url) as opened:
        yield opened


def client_for(lrs) -> LrsClient:
    return LrsClient(lrs.endpoint, basic_auth(LRS_USER, LRS_PASSWORD))


def send_command(store: ResultsStore, lrs, *options: str) -> list[str]:
    url = store.engine.url.render_as_string(hide_password=False)
    return [
        sys.executable,
        "-m",
        "vrtrainer",
        "xapi",
        "send",
        "--db",
        url,
        "--endpoint",
        lrs.endpoint,
        "--user",
        LRS_USER,
        "--password",
        LRS_PASSWORD,
        *options,
    ]


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def ours(store: ResultsStore) -> dict[str, dict]:
    return {sid: json.loads(text) for sid, text, _ in store.outbox.statements()}


def lrs_counts(lrs, ids) -> Counter:
    return Counter(s["id"] for s in lrs.stored_statements() if s["id"] in ids)


def assert_each_stored_once(store: ResultsStore, lrs) -> None:
    sent = ours(store)
    counts = lrs_counts(lrs, sent)
    missing = set(sent) - set(counts)
    twice = {k: n for k, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} statements never reached the LRS"
    assert not twice, f"statements stored more than once: {twice}"
    outbox = store.outbox.counts()
    assert (outbox.pending, outbox.sent, outbox.rejected) == (0, len(sent), 0)


def test_statements_arrive_and_read_back_equal(store, ralph_lrs):
    attempts = [make_record(n) for n in range(3)]
    for record in attempts:
        store.record_attempt(record)
    report = OutboxSender(store.outbox, client_for(ralph_lrs)).run()
    assert (report.sent, report.pending) == (21, 0)

    client = client_for(ralph_lrs)
    sent = ours(store)
    for record in attempts:
        # The shared LRS may hold other tests' statements for the same (fixed) attempt ids.
        got = [
            s
            for s in client.iter_statements(registration=record.attempt_uuid, limit=100)
            if s["id"] in sent
        ]
        assert len(got) == 7
        for statement in got:
            for key in LRS_FIELDS:
                statement.pop(key, None)
            assert statement == sent[statement["id"]]
    assert_each_stored_once(store, ralph_lrs)


def test_lrs_down_then_up_loses_and_duplicates_nothing(store, ralph_lrs):
    ralph_lrs.stop()
    try:
        for n in range(5):
            store.record_attempt(make_record(n))
        sender = subprocess.Popen(
            send_command(store, ralph_lrs, "--wait", "120", "--max-backoff", "1", "--batch", "8"),
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Let the sender fail against the stopped LRS a few times.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with store.engine.connect() as conn:
                tries = conn.execute(select(func.max(xapi_outbox.c.tries))).scalar()
            if tries and tries >= 2:
                break
            time.sleep(0.1)
        assert tries >= 2, "the sender never tried while the LRS was down"
        assert store.outbox.counts().sent == 0
    finally:
        ralph_lrs.start()
    out, err = sender.communicate(timeout=180)
    assert sender.returncode == 0, out + err
    assert "sent 35, rejected 0, still waiting 0" in out
    assert_each_stored_once(store, ralph_lrs)


def test_lrs_restarted_while_sending(store, ralph_lrs):
    for n in range(30):
        store.record_attempt(make_record(n))
    sender = subprocess.Popen(
        send_command(store, ralph_lrs, "--wait", "120", "--max-backoff", "1", "--batch", "3"),
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ids = set(ours(store))
    deadline = time.monotonic() + 60
    while len(lrs_counts(ralph_lrs, ids)) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    ralph_lrs.stop()
    assert store.outbox.counts().pending > 0, "everything was sent before the LRS stopped"
    time.sleep(2)
    ralph_lrs.start()
    out, err = sender.communicate(timeout=180)
    assert sender.returncode == 0, err
    assert_each_stored_once(store, ralph_lrs)


def test_killed_sender_resumes_without_loss_or_duplicates(store, ralph_lrs):
    for n in range(40):
        store.record_attempt(make_record(n))
    ids = set(ours(store))
    sender = subprocess.Popen(
        send_command(store, ralph_lrs, "--batch", "4", "--lease", "2"),
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(lrs_counts(ralph_lrs, ids)) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    assert sender.returncode == -signal.SIGKILL
    left = store.outbox.counts().pending
    assert 0 < left < len(ids), "the sender was not killed mid-way"

    report = OutboxSender(store.outbox, client_for(ralph_lrs), lease_s=2).run(wait_s=60)
    assert report.pending == 0 and report.sent >= left
    assert_each_stored_once(store, ralph_lrs)


def test_several_senders_at_once(store, ralph_lrs):
    for n in range(30):
        store.record_attempt(make_record(n))
    senders = [
        subprocess.Popen(
            send_command(store, ralph_lrs, "--batch", "5", "--wait", "30"),
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    sent = 0
    for proc in senders:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        sent += int(out.split("sent ", 1)[1].split(",", 1)[0])
    assert sent == 210  # each statement delivered by exactly one sender
    assert_each_stored_once(store, ralph_lrs)


def test_a_statement_the_lrs_refuses_is_set_aside(store, ralph_lrs):
    for n in range(2):
        store.record_attempt(make_record(n))
    first = store.outbox.statements()[0]
    broken = json.loads(first[1])
    del broken["verb"]  # an xAPI statement without a verb is not one
    with store.engine.begin() as conn:
        conn.execute(
            xapi_outbox.update()
            .where(xapi_outbox.c.statement_id == first[0])
            .values(statement=json.dumps(broken))
        )
    report = OutboxSender(store.outbox, client_for(ralph_lrs)).run()
    assert (report.sent, report.rejected, report.pending) == (13, 1, 0)
    stored = lrs_counts(ralph_lrs, set(ours(store)))
    assert first[0] not in stored and len(stored) == 13


def test_wrong_password_is_a_clear_error(store, ralph_lrs):
    store.record_attempt(make_record(0))
    command = send_command(store, ralph_lrs)
    command[command.index("--password") + 1] = "wrong"
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "refused the credentials" in done.stderr and "Traceback" not in done.stderr
    assert store.outbox.counts().pending == 7
