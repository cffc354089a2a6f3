"""Send a session's live state and results to a trainer's server without ever blocking it.

The frame loop only *offers* work: :meth:`Publisher.offer_frame` puts the latest live
frame in a bounded queue (the oldest is dropped when it is full) and
:meth:`Publisher.add_result` appends an attempt's result to a list that is never dropped.
A background thread posts to the server ``rate_hz`` times a second: the newest frame,
every result the server has not acknowledged yet, and the id of the last trainer command
it received; the reply carries the results the server now holds and any new commands
(cues, messages, retry, end of step), which the frame loop drains with
:meth:`Publisher.commands`. A server that is down, slow or restarted costs the session
nothing: frames are dropped, results wait and are sent again (the server keeps each result
once, by its key), and the session registers again when the server no longer knows it.

Standard library only (``http.client``): a headset needs no web framework to publish.
"""

from __future__ import annotations

import collections
import http.client
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from vrtrainer.errors import VrtrainerError

log = logging.getLogger(__name__)

ENV_KEY = "VRTRAINER_PUBLISH_KEY"
#: Largest request the server accepts from a session (bytes).
MAX_BODY = 256 * 1024


def default_key_file() -> Path:
    """Where ``vrtrainer serve`` keeps the site's publish key for sessions on this machine."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share")
    return Path(base) / "vrtrainer" / "publish.key"


def resolve_key(key: str | None = None) -> str:
    """The publish key: ``key``, else ``$VRTRAINER_PUBLISH_KEY``, else the local key file."""
    if key:
        return key.strip()
    if os.environ.get(ENV_KEY):
        return os.environ[ENV_KEY].strip()
    path = default_key_file()
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise VrtrainerError(
            f"no publish key: start `vrtrainer serve` on this machine (it writes {path}), "
            f"or give --publish-key / ${ENV_KEY}") from None


def check_url(url: str) -> str:
    """The server's base URL without a trailing slash; refuses anything but http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VrtrainerError(f"--publish wants http://HOST:PORT or https://HOST, not {url!r}")
    return url.rstrip("/")


@dataclass
class PublishReport:
    """What the publisher did: counted here, at the sender."""

    frames_offered: int = 0
    frames_sent: int = 0
    frames_dropped: int = 0
    results_added: int = 0
    results_delivered: int = 0
    results_pending: int = 0
    commands_received: int = 0
    requests_failed: int = 0
    registrations: int = 0


class Publisher:
    """A background thread posting one session's live state and results to a server.

    ``meta`` describes the session once (trainee pseudonym, scenario, steps, language).
    ``queue_size`` bounds the live frames waiting; ``timeout`` bounds each request.
    """

    def __init__(self, url: str, key: str, session_uuid: str, meta: dict[str, Any], *,
                 rate_hz: float = 15.0, timeout: float = 2.0, queue_size: int = 4,
                 max_backoff: float = 2.0) -> None:
        self.url = check_url(url)
        self.key = key
        self.session_uuid = session_uuid
        self.meta = dict(meta)
        self.period = 1.0 / rate_hz
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.report = PublishReport()
        self._frames: collections.deque[dict[str, Any]] = collections.deque(maxlen=queue_size)
        self._results: dict[str, dict[str, Any]] = {}
        self._results_lock = threading.Lock()
        self._commands: collections.deque[dict[str, Any]] = collections.deque()
        self._last_command = 0
        self._token: str | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._stop = threading.Event()
        self._ended = False
        self._flush_until = 0.0
        self._thread = threading.Thread(target=self._run, name="vrtrainer-publisher",
                                        daemon=True)

    # -- the frame loop's side: never blocks --------------------------------------------

    def start(self) -> Publisher:
        self._thread.start()
        return self

    def offer_frame(self, frame: dict[str, Any]) -> None:
        """Queue the newest live frame; the oldest waiting one is dropped if full."""
        self.report.frames_offered += 1
        if len(self._frames) == self._frames.maxlen:
            self.report.frames_dropped += 1
        self._frames.append(frame)

    def add_result(self, key: str, result: dict[str, Any]) -> None:
        """Queue an attempt's result; it is sent until the server says it holds it."""
        with self._results_lock:
            if key not in self._results:
                self.report.results_added += 1
            self._results[key] = dict(result, key=key)

    def commands(self) -> list[dict[str, Any]]:
        """The trainer's commands received since the last call (oldest first)."""
        out = []
        while self._commands:
            out.append(self._commands.popleft())
        return out

    def close(self, flush_s: float = 5.0) -> PublishReport:
        """Tell the server the session ended; wait up to ``flush_s`` for results to go."""
        self._ended = True
        self._flush_until = time.monotonic() + flush_s
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(flush_s + self.timeout + 1.0)
        with self._results_lock:
            self.report.results_pending = len(self._results)
        if self._conn is not None:
            self._conn.close()
        return self.report

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = 0.0
        ended_sent = False
        while True:
            stopping = self._stop.is_set()
            if stopping:
                with self._results_lock:
                    pending = bool(self._results)
                if (ended_sent and not pending) or time.monotonic() > self._flush_until:
                    return
            wait = backoff if backoff else self.period
            if not stopping:
                self._stop.wait(wait)
            elif backoff:
                time.sleep(min(backoff, max(0.0, self._flush_until - time.monotonic())))
            try:
                if self._token is None:
                    self._register()
                ok = self._exchange(ended=self._stop.is_set())
                if ok and self._stop.is_set():
                    ended_sent = True
                backoff = 0.0 if ok else min(self.max_backoff, max(0.1, 2 * backoff))
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self.report.requests_failed += 1
                log.debug("publishing to %s failed: %s", self.url, exc)
                self._drop_connection()
                backoff = min(self.max_backoff, max(0.1, 2 * backoff))
            except Exception:  # the thread must not die and leave results behind
                log.exception("publisher error")
                self.report.requests_failed += 1
                self._drop_connection()
                backoff = self.max_backoff

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _request(self, path: str, body: dict[str, Any], auth: str) -> tuple[int, Any]:
        if self._conn is None:
            parts = urlsplit(self.url)
            cls = (http.client.HTTPSConnection if parts.scheme == "https"
                   else http.client.HTTPConnection)
            self._conn = cls(parts.hostname or "", parts.port, timeout=self.timeout)
        data = json.dumps(body, default=_plain, allow_nan=False,
                          separators=(",", ":")).encode()
        prefix = urlsplit(self.url).path
        self._conn.request("POST", prefix + path, body=data, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {auth}"})
        response = self._conn.getresponse()
        raw = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self._drop_connection()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        return response.status, payload

    def _register(self) -> None:
        status, payload = self._request(
            "/api/publish/register", dict(self.meta, session=self.session_uuid), self.key)
        if status != 200 or not isinstance(payload, dict) or "token" not in payload:
            raise ValueError(f"registration refused (HTTP {status})")
        self._token = str(payload["token"])
        self.report.registrations += 1

    def _exchange(self, ended: bool) -> bool:
        frame = None
        while self._frames:
            if frame is not None:
                self.report.frames_dropped += 1
            frame = self._frames.popleft()
        with self._results_lock:
            results = list(self._results.values())[:32]
        body = {"frame": frame, "results": results, "ack": self._last_command, "ended": ended}
        status, payload = self._request(f"/api/publish/{self.session_uuid}", body,
                                        self._token or "")
        if status in (401, 403, 404):
            self._token = None  # the server restarted or forgot us: register again
            return False
        if status != 200 or not isinstance(payload, dict):
            self.report.requests_failed += 1
            return False
        if frame is not None:
            self.report.frames_sent += 1
        with self._results_lock:
            for key in payload.get("stored", []):
                if self._results.pop(key, None) is not None:
                    self.report.results_delivered += 1
        for command in payload.get("commands", []):
            cid = int(command.get("id", 0))
            if cid > self._last_command:
                self._last_command = cid
                self._commands.append(command)
                self.report.commands_received += 1
        return True


def _plain(value: Any) -> Any:
    """JSON for numpy values: arrays as (rounded) lists, non-finite numbers as null."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            rounded = np.round(value.astype(np.float64), 4)
            return np.where(np.isfinite(rounded), rounded, np.array(None, object)).tolist()
        return value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and not np.isfinite(value):
            return None
        return value
    raise TypeError(f"cannot publish {type(value).__name__}")
