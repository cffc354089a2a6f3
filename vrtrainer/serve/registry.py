"""The server's memory of the live sessions: who publishes, what they showed last, results.

Plain objects used from the server's event loop only (no locks). A session registers with
the site's publish key and gets its own token, which only lets it publish to itself. The
registry forgets everything when the server stops; sessions then register again and send
the results the new server does not hold yet.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

#: A session's id is a UUID, as the results store makes them.
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: Limits on what one session may make the server hold.
MAX_RESULTS = 5000
MAX_COMMANDS_WAITING = 100
MAX_TEXT = 200
#: Seconds without a request after which a session shows as disconnected.
STALE_S = 3.0
#: Seconds an ended or silent session stays on the grid.
FORGET_S = 600.0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return str(value if value is not None else "")[:limit]


@dataclass
class LiveSession:
    """One session as the server knows it."""

    uuid: str
    token_hash: str
    trainee: str
    scenario: str
    steps: list[str]
    language: str
    backend: str
    registered_at: float
    last_seen: float
    frame: dict[str, Any] | None = None
    frames: int = 0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    next_command: int = 1
    delivered: int = 0  # highest command id the session said it received
    sent_log: list[dict[str, Any]] = field(default_factory=list)  # for the page
    ended: bool = False

    def summary(self, now: float) -> dict[str, Any]:
        f = self.frame or {}
        last = next(reversed(self.results.values()), None) if self.results else None
        return {
            "session": self.uuid, "trainee": self.trainee, "scenario": self.scenario,
            "step": f.get("step"), "steps": len(self.steps), "title": f.get("title", ""),
            "phase": f.get("phase", ""), "score": f.get("score"),
            "coverage": f.get("coverage"), "advice": f.get("advice", ""),
            "attempts": len(self.results),
            "last_score": None if last is None else last.get("score"),
            "last_passed": None if last is None else last.get("passed"),
            "connected": not self.ended and now - self.last_seen < STALE_S,
            "ended": self.ended, "seen_s_ago": round(now - self.last_seen, 1),
        }


class Registry:
    """Every live session, by UUID."""

    def __init__(self, publish_key: str, clock: Any = time.monotonic) -> None:
        self._key_hash = _hash(publish_key)
        self.clock = clock
        self.sessions: dict[str, LiveSession] = {}
        self.results_received = 0  # results stored once each, over all sessions

    # -- the sessions' side -------------------------------------------------------------

    def key_ok(self, key: str) -> bool:
        return hmac.compare_digest(_hash(key), self._key_hash)

    def register(self, meta: dict[str, Any]) -> str | None:
        """A new token for the session ``meta['session']``; None if the id is malformed.

        A session that registers again (the server restarted, or it lost its token) keeps
        what the server holds of it and gets a fresh token.
        """
        uuid = str(meta.get("session", "")).lower()
        if not UUID_RE.match(uuid):
            return None
        token = secrets.token_urlsafe(32)
        now = self.clock()
        steps = meta.get("steps")
        steps = [_text(s) for s in steps[:100]] if isinstance(steps, list) else []
        old = self.sessions.get(uuid)
        if old is not None:
            old.token_hash, old.last_seen, old.ended = _hash(token), now, False
            return token
        self.sessions[uuid] = LiveSession(
            uuid=uuid, token_hash=_hash(token), trainee=_text(meta.get("trainee")),
            scenario=_text(meta.get("scenario")), steps=steps,
            language="en" if meta.get("language") == "en" else "fr",
            backend=_text(meta.get("backend"), 40), registered_at=now, last_seen=now)
        self.prune()
        return token

    def authorise(self, uuid: str, token: str) -> LiveSession | None:
        """The session if ``token`` is its own, else None."""
        session = self.sessions.get(uuid)
        if session is None or not hmac.compare_digest(_hash(token), session.token_hash):
            return None
        return session

    def publish(self, session: LiveSession, body: dict[str, Any]) -> dict[str, Any]:
        """Take a session's post (frame, results, ack); answer with stored keys, commands."""
        session.last_seen = self.clock()
        frame = body.get("frame")
        if isinstance(frame, dict):
            session.frame = frame
            session.frames += 1
        stored = []
        results = body.get("results")
        for result in results if isinstance(results, list) else []:
            if not isinstance(result, dict):
                continue
            key = _text(result.get("key"), 80)
            if not key:
                continue
            if key not in session.results:
                if len(session.results) >= MAX_RESULTS:
                    continue
                session.results[key] = result
                self.results_received += 1
            stored.append(key)
        ack = body.get("ack")
        if isinstance(ack, int) and ack > session.delivered:
            session.delivered = min(ack, session.next_command - 1)
            session.commands = [c for c in session.commands if c["id"] > session.delivered]
            for entry in session.sent_log:
                if entry["id"] <= session.delivered and entry.get("delivered_s") is None:
                    entry["delivered_s"] = round(session.last_seen - entry["at"], 3)
        if body.get("ended") is True:
            session.ended = True
        return {"stored": stored, "commands": session.commands}

    # -- the trainers' side --------------------------------------------------------------

    def command(self, session: LiveSession, kind: str, trainer: str, key: str = "",
                text: str = "") -> dict[str, Any] | None:
        """Queue a command for the session; None if too many wait undelivered."""
        if len(session.commands) >= MAX_COMMANDS_WAITING:
            return None
        command = {"id": session.next_command, "kind": kind, "key": _text(key, 40),
                   "text": _text(text)}
        session.next_command += 1
        session.commands.append(command)
        session.sent_log.append(dict(command, trainer=trainer, at=self.clock(),
                                     delivered_s=None))
        del session.sent_log[:-50]
        return command

    def grid(self) -> list[dict[str, Any]]:
        now = self.clock()
        self.prune()
        return [s.summary(now) for s in sorted(self.sessions.values(),
                                               key=lambda s: (s.trainee, s.registered_at))]

    def detail(self, session: LiveSession) -> dict[str, Any]:
        now = self.clock()
        out = session.summary(now)
        out.update(steps=session.steps, language=session.language, backend=session.backend,
                   frame=session.frame, results=list(session.results.values())[-50:],
                   sent=[{k: v for k, v in e.items() if k != "at"}
                         for e in session.sent_log[-20:]])
        return out

    def prune(self) -> None:
        now = self.clock()
        for uuid in [u for u, s in self.sessions.items() if now - s.last_seen > FORGET_S]:
            del self.sessions[uuid]
