"""Eight headsets at once: each records takes and stores its attempts in one shared store
(SQLite, then PostgreSQL) while xAPI senders deliver the outbox to Ralph, which is stopped
and restarted in the middle. Every attempt and every statement is counted: none lost,
none duplicated, each take intact on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from attempt_factory import attempt_uuid
from service_fixtures import LRS_PASSWORD, LRS_USER, running_postgres, running_ralph
from sqlalchemy import select

from vrtrainer.results import ResultsStore
from vrtrainer.results.records import sha256_file
from vrtrainer.results.schema import attempts

pytestmark = pytest.mark.services
HERE = Path(__file__).resolve().parent
HEADSETS = 8
ATTEMPTS = 8  # per headset
STATEMENTS_PER_ATTEMPT = 7  # initialized, attempted, 3 criteria, completed, passed/failed


@pytest.fixture(scope="module")
def pg_server():
    yield from running_postgres()


@pytest.fixture(scope="module")
def ralph_lrs():
    yield from running_ralph()


class Senders:
    """`vrtrainer xapi send` processes run one after the other until told to stop."""

    def __init__(self, url: str, endpoint: str) -> None:
        self.command = [sys.executable, "-m", "vrtrainer", "xapi", "send", "--db", url,
                        "--endpoint", endpoint, "--user", LRS_USER, "--password", LRS_PASSWORD,
                        "--wait", "2", "--max-backoff", "0.5", "--batch", "10", "--lease", "5"]
        self.sent = 0
        self.runs = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        while not self._stop.is_set():
            done = subprocess.run(self.command, env=env, capture_output=True, text=True,
                                  timeout=300)
            self.runs += 1
            if "sent " not in done.stdout:
                self.errors.append(done.stdout + done.stderr)
                time.sleep(0.2)
                continue
            self.sent += int(done.stdout.split("sent ", 1)[1].split(",", 1)[0])

    def __enter__(self) -> Senders:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(600)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_eight_headsets_record_and_store_while_the_lrs_restarts(backend, tmp_path, ralph_lrs,
                                                                request):
    if backend == "sqlite":
        url = str(tmp_path / "results.sqlite")
    else:
        url = request.getfixturevalue("pg_server").new_database()
    total = HEADSETS * ATTEMPTS
    before = len(ralph_lrs.stored_statements())
    workers = [
        subprocess.Popen([sys.executable, str(HERE / "headset_worker.py"), url, str(w),
                          str(ATTEMPTS), str(tmp_path / f"headset-{w}")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(HEADSETS)
    ]
    with Senders(url, ralph_lrs.endpoint) as senders:
        deadline = time.monotonic() + 120
        while (len(ralph_lrs.stored_statements()) - before < 30
               and time.monotonic() < deadline):
            time.sleep(0.05)
        ralph_lrs.stop()  # the LRS goes away while headsets store and senders send
        time.sleep(3)
        with ResultsStore.open(url) as store:
            waiting_while_down = store.outbox.counts().pending
        ralph_lrs.start()
        for proc in workers:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        with ResultsStore.open(url) as store:
            deadline = time.monotonic() + 180
            while store.outbox.counts().pending and time.monotonic() < deadline:
                time.sleep(0.2)
    with ResultsStore.open(url) as store:
        with store.engine.connect() as conn:
            rows = conn.execute(select(attempts.c.uuid, attempts.c.take_path,
                                       attempts.c.take_sha256)).all()
        outbox = store.outbox.counts()
        ours = {sid for sid, _, _ in store.outbox.statements()}
    # attempts: all there, once each, with the hash of the take that is on disk
    expected = {attempt_uuid("headset", w, i) for w in range(HEADSETS) for i in range(ATTEMPTS)}
    assert len(rows) == total and {r.uuid for r in rows} == expected
    assert all(r.take_sha256 == sha256_file(r.take_path) for r in rows)
    # statements: made once per attempt, each delivered once, each stored once by Ralph
    assert len(ours) == total * STATEMENTS_PER_ATTEMPT
    assert (outbox.pending, outbox.sent, outbox.rejected) == (0, len(ours), 0)
    assert senders.sent == len(ours), senders.errors[-3:]
    counts = Counter(s["id"] for s in ralph_lrs.stored_statements() if s["id"] in ours)
    assert set(counts) == ours
    assert max(counts.values()) == 1
    assert waiting_while_down > 0, "nothing waited while the LRS was down"
    figures = {"backend": backend, "headsets": HEADSETS, "attempts": len(rows),
               "statements": len(ours), "waiting_while_lrs_down": waiting_while_down,
               "sender_runs": senders.runs, "lrs_stored": sum(counts.values()),
               "lost": total * STATEMENTS_PER_ATTEMPT - len(counts),
               "duplicated": sum(n - 1 for n in counts.values())}
    out = HERE.parent / "out" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"headsets-{backend}.json").write_text(json.dumps(figures, indent=1))
