"""Outbox sender decisions on LRS replies that a real LRS cannot be made to give on demand.

A 503 storm, refused credentials and a conflicting statement id are faults; a small
scripted HTTP server plays the LRS for them (the real Ralph tests are in
``test_xapi_ralph.py``). A closed port is real: nothing listens there.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from attempt_factory import make_record
from service_fixtures import free_port

from vrtrainer.results import ResultsStore
from vrtrainer.xapi.lrs import LrsAuthError, LrsClient, basic_auth
from vrtrainer.xapi.sender import Backoff, OutboxSender


class ScriptedLRS:
    """Answers POST/PUT with the next scripted status, keeps what it accepted."""

    def __init__(self, script: list[int], then: int = 200) -> None:
        self.script = list(script)
        self.then = then
        self.accepted: dict[str, dict] = {}
        self.requests: list[tuple[str, str, object]] = []
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                lrs.requests.append((self.command, self.path, self.headers))
                status = lrs.script.pop(0) if lrs.script else lrs.then
                if status in (200, 204):
                    for s in body if isinstance(body, list) else [body]:
                        lrs.accepted.setdefault(s["id"], s)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            do_POST = do_PUT = _answer  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}/xAPI/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store(tmp_path):
    with ResultsStore.open(tmp_path / "r.sqlite") as opened:
        for n in range(3):
            opened.record_attempt(make_record(n))
        yield opened


def no_sleep(_seconds: float) -> None:
    pass


def test_retries_with_backoff_until_the_lrs_answers(store):
    lrs = ScriptedLRS([503, 503, 502])
    try:
        client = LrsClient(lrs.endpoint, basic_auth("u", "p"))
        sender = OutboxSender(store.outbox, client, batch=100, backoff=Backoff(0.05, 0.2))
        report = sender.run(wait_s=30)
    finally:
        lrs.close()
    assert report.sent == 21 and report.transient_failures == 3 and report.pending == 0
    assert set(lrs.accepted) == {s[0] for s in store.outbox.statements()}
    method, path, headers = lrs.requests[-1]
    assert (method, path) == ("POST", "/xAPI/statements")
    assert headers["X-Experience-API-Version"] == "1.0.3"
    assert headers["Authorization"] == basic_auth("u", "p")


def test_without_waiting_each_statement_is_tried_once(store):
    lrs = ScriptedLRS([], then=503)
    try:
        client = LrsClient(lrs.endpoint, None)
        report = OutboxSender(store.outbox, client, batch=5, sleep=no_sleep).run()
    finally:
        lrs.close()
    assert report.sent == 0 and report.pending == 21
    assert len(lrs.requests) == 5  # 21 statements in batches of 5, each batch once
    with store.engine.connect() as conn:
        tries = conn.exec_driver_sql("SELECT DISTINCT tries FROM xapi_outbox").scalars().all()
    assert tries == [1]


def test_refused_credentials_stop_the_sender_and_keep_the_statements(store):
    lrs = ScriptedLRS([401])
    try:
        sender = OutboxSender(store.outbox, LrsClient(lrs.endpoint, basic_auth("u", "bad")))
        with pytest.raises(LrsAuthError, match="refused the credentials"):
            sender.run()
    finally:
        lrs.close()
    assert store.outbox.counts().pending == 21
    assert len(store.outbox.claim("next", 100, 60)) == 21  # nothing left leased


def test_a_refused_batch_is_resent_one_by_one(store):
    # Batch refused (409); then per statement: first a conflict, one bad, the rest fine.
    lrs = ScriptedLRS([409, 409, 400])
    try:
        sender = OutboxSender(store.outbox, LrsClient(lrs.endpoint, None), batch=100)
        report = sender.run()
    finally:
        lrs.close()
    assert report.sent == 20 and report.rejected == 1 and report.pending == 0
    assert [r[0] for r in lrs.requests[:3]] == ["POST", "PUT", "PUT"]
    assert "statementId=" in lrs.requests[1][1]
    counts = store.outbox.counts()
    assert (counts.sent, counts.rejected) == (20, 1)
    assert store.outbox.requeue_rejected() == 1
    assert store.outbox.counts().pending == 1


def test_nothing_listening_is_a_transient_failure(store):
    client = LrsClient(f"http://127.0.0.1:{free_port()}/xAPI/", None, timeout=2)
    report = OutboxSender(store.outbox, client, batch=100, sleep=no_sleep).run()
    assert report.transient_failures == 1 and report.pending == 21
    assert store.outbox.next_due() is not None
