"""Hostile LRS answers and endpoints (issue 14): redirects, credentials in URLs, odd tokens.

Real sockets on 127.0.0.1: one server answers every statement request with a 302 to a
second server that records whatever reaches it. Nothing may reach the second one.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from attempt_factory import make_record
from service_fixtures import free_port

from vrtrainer.cli import main
from vrtrainer.results import ResultsStore
from vrtrainer.results.cmi5 import Cmi5Error, Cmi5Launch
from vrtrainer.xapi.lrs import LrsClient, LrsError, basic_auth
from vrtrainer.xapi.sender import OutboxSender


class Recorder:
    """An HTTP server on 127.0.0.1 answering every request with ``status`` (and headers)."""

    def __init__(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"[]"):
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                recorder.requests.append((self.command, self.path, dict(self.headers), data))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store(tmp_path):
    with ResultsStore.open(tmp_path / "r.sqlite") as opened:
        for n in range(2):
            opened.record_attempt(make_record(n))
        yield opened


def _last_errors(store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.exec_driver_sql("SELECT last_error FROM xapi_outbox").scalars())


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_delivery_failure_and_nothing_reaches_its_target(store, status):
    elsewhere = Recorder(200)
    redirector = Recorder(status, {"Location": elsewhere.url + "/xAPI/statements"})
    try:
        client = LrsClient(redirector.url + "/xAPI/", basic_auth("u", "secret"))
        report = OutboxSender(store.outbox, client, batch=100).run()
    finally:
        redirector.close()
        elsewhere.close()
    assert elsewhere.requests == []  # neither the statements nor the credentials left
    assert [r[0] for r in redirector.requests] == ["POST"]
    assert report.sent == 0 and report.transient_failures == 1
    assert report.pending == store.outbox.counts().pending == 14
    assert report.last_error is not None and f"HTTP {status}" in report.last_error
    assert "redirect" in report.last_error and "not followed" in report.last_error
    (error,) = _last_errors(store)
    assert error == report.last_error


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://user:hunter2@lrs.invalid/xAPI/",
        "https://user@lrs.invalid/xAPI/",
        "http://:hunter2@lrs.invalid:8100/xAPI/",
    ],
)
def test_credentials_in_the_endpoint_are_refused_without_a_lookup(endpoint, monkeypatch):
    lookups = []

    def no_lookup(*args, **kwargs):
        lookups.append(args)
        raise AssertionError("resolved")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    with pytest.raises(LrsError, match="user name or password") as caught:
        LrsClient(endpoint, None)
    assert "hunter2" not in str(caught.value) and "user:" not in str(caught.value)
    assert lookups == []


def test_credentials_in_the_endpoint_never_reach_the_store(store, capsys, tmp_path):
    db = str(tmp_path / "r.sqlite")
    store.close()
    code = main(
        ["xapi", "send", "--db", db, "--endpoint", "http://u:hunter2@127.0.0.1:9/x/",
         "--user", "u", "--password", "p"]
    )
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: ") and "hunter2" not in err
    assert "user name or password" in err
    with ResultsStore.open(db) as reopened:
        assert not any("hunter2" in (e or "") for e in _last_errors(reopened))


@pytest.mark.parametrize("endpoint", ["http://[::1/x", "http://[::1/x]/", "ftp://lrs/x"])
def test_a_malformed_endpoint_is_refused(endpoint):
    with pytest.raises(LrsError, match="endpoint"):
        LrsClient(endpoint, None)


def test_xapi_send_says_why_nothing_was_sent_and_status_shows_it(tmp_path, capsys):
    db = str(tmp_path / "r.sqlite")
    with ResultsStore.open(db) as fresh:
        fresh.record_attempt(make_record(0))
    port = free_port()
    code = main(
        ["xapi", "send", "--db", db, "--endpoint", f"http://127.0.0.1:{port}/xAPI/",
         "--user", "u", "--password", "p"]
    )
    out, _ = capsys.readouterr()
    assert code == 1 and "sent 0" in out
    assert "nothing sent:" in out and "refused" in out.lower()
    code = main(["xapi", "status", "--db", db])
    out, _ = capsys.readouterr()
    assert code == 0 and "last error:" in out and str(port) in out


def test_xapi_send_names_the_http_status_of_a_redirect(tmp_path, capsys):
    db = str(tmp_path / "r.sqlite")
    with ResultsStore.open(db) as fresh:
        fresh.record_attempt(make_record(0))
    redirector = Recorder(302, {"Location": "http://elsewhere.invalid/"})
    try:
        code = main(
            ["xapi", "send", "--db", db, "--endpoint", redirector.url + "/xAPI/",
             "--user", "u", "--password", "p"]
        )
    finally:
        redirector.close()
    out, _ = capsys.readouterr()
    assert code == 1 and "nothing sent:" in out and "HTTP 302" in out
    assert "elsewhere.invalid" in out


def _launch(fetch_url: str) -> Cmi5Launch:
    actor = json.dumps({"account": {"homePage": "https://lms.example", "name": "t1"}})
    from urllib.parse import urlencode

    query = urlencode(
        {
            "endpoint": "http://127.0.0.1:9/xAPI/",
            "fetch": fetch_url,
            "actor": actor,
            "registration": "5a4e3b52-4d1c-4c1e-9c63-2f0e1a1a1a1a",
            "activityId": "https://lms.example/activity/1",
        }
    )
    return Cmi5Launch.from_url("https://vr.example/launch?" + query)


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"auth-token": "abc\r\nX-Evil: 1"}).encode(),
        json.dumps({"auth-token": "a" * 10000}).encode(),
        b"[" * 65000 + b"]" * 65000,
        json.dumps({"auth-token": "abc def"}).encode(),
    ],
    ids=["crlf", "huge", "deep", "space"],
)
def test_a_hostile_cmi5_fetch_reply_is_refused(body):
    lms = Recorder(200, {"Content-Type": "application/json"}, body)
    try:
        with pytest.raises(Cmi5Error, match="auth-token|fetch"):
            _launch(lms.url + "/fetch").fetch_auth_token()
    finally:
        lms.close()


def test_the_cmi5_fetch_does_not_follow_a_redirect():
    elsewhere = Recorder(200, body=json.dumps({"auth-token": "dG9r"}).encode())
    lms = Recorder(302, {"Location": elsewhere.url + "/fetch"})
    try:
        with pytest.raises(Cmi5Error, match="302"):
            _launch(lms.url + "/fetch").fetch_auth_token()
    finally:
        lms.close()
        elsewhere.close()
    assert elsewhere.requests == []


def test_a_more_link_leaving_the_lrs_host_is_not_followed():
    """The LRS's paging link naming another host is refused: the query (and the Basic
    credentials) never reach it."""
    target = Recorder(200, body=b'{"statements": []}')
    page = {"statements": [{"id": "a"}], "more": target.url + "/xapi/statements?page=2"}
    lrs = Recorder(200, body=json.dumps(page).encode())
    try:
        client = LrsClient(lrs.url + "/xapi", basic_auth("key", "secret"))
        got = []
        with pytest.raises(LrsError, match="leaves its host"):
            for statement in client.iter_statements(limit=1):
                got.append(statement)
        assert got == [{"id": "a"}]
        assert target.requests == []
        assert len(lrs.requests) == 1
    finally:
        lrs.close()
        target.close()


@pytest.mark.parametrize("body", [b"[]", b"not json", b'{"statements": 7}', b"[" * 100_000])
def test_a_statements_page_that_is_no_statement_result_is_a_clear_error(body):
    """A reply that is a list, no JSON, or nested past the parser is an LrsError, not a
    traceback from inside the client."""
    lrs = Recorder(200, body=body)
    try:
        client = LrsClient(lrs.url + "/xapi", basic_auth("key", "secret"))
        with pytest.raises(LrsError, match="GET statements gave no"):
            list(client.iter_statements(limit=1))
    finally:
        lrs.close()
