"""A real trainer's server (uvicorn) on 127.0.0.1 for tests, and a signed-in trainer client."""

from __future__ import annotations

import http.client
import http.cookies
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

from vrtrainer.results import ResultsStore
from vrtrainer.results.trainers import TrainerAccounts

TRAINER = "alice"
PASSWORD = "correct horse battery"
KEY = "test-publish-key-0123456789"


class LiveServer:
    """``make_app`` under uvicorn in a thread, on a free loopback port."""

    def __init__(self, db: Path, key: str = KEY) -> None:
        from vrtrainer.serve.app import make_app
        from vrtrainer.serve.server import uvicorn_server

        self.store = ResultsStore.open(db)
        accounts = TrainerAccounts(self.store.engine)
        if TRAINER not in accounts.names():
            accounts.add(TRAINER, PASSWORD)
        self.app = make_app(self.store, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn_server(self.app, "127.0.0.1", self.port)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)

    @property
    def registry(self):
        return self.app.state.vrtrainer.registry

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
        self.store.close()


def request(url: str, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, Any, http.client.HTTPResponse]:
    """One HTTP request; the reply's JSON (or text) and the response."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = raw.decode("utf-8", "replace")
    return response.status, payload, response


class TrainerClient:
    """A signed-in trainer: the sign-in cookie on every request."""

    def __init__(self, url: str, name: str = TRAINER, password: str = PASSWORD) -> None:
        self.url = url
        status, payload, response = request(url, "POST", "/login",
                                            {"name": name, "password": password})
        assert status == 200, payload
        jar = http.cookies.SimpleCookie(response.getheader("set-cookie"))
        self.cookie = f"vrtrainer_trainer={jar['vrtrainer_trainer'].value}"

    def get(self, path: str) -> tuple[int, Any]:
        status, payload, _ = request(self.url, "GET", path, headers={"Cookie": self.cookie})
        return status, payload

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        status, payload, _ = request(self.url, "POST", path, body,
                                     headers={"Cookie": self.cookie})
        return status, payload

    def act(self, session: str, **body: Any) -> tuple[int, Any]:
        return self.post(f"/api/sessions/{session}/actions", body)

    def grid(self) -> list[dict[str, Any]]:
        status, payload = self.get("/api/sessions")
        assert status == 200
        return payload["sessions"]


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something true (a bound on a hang, not a gate)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
