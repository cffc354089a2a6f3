"""cmi5 launch parameters: when an LMS launches vrtrainer, whose attempt it is and where it goes.

A cmi5 LMS launches an assignable unit with ``endpoint``, ``fetch``, ``actor``,
``registration`` and ``activityId`` in the launch URL's query string. vrtrainer reads them
from ``$VRTRAINER_CMI5_LAUNCH`` (the launch URL, or just its query string) or from the
command line. The actor, registration and activity id shape the statements; the endpoint
and the one-time auth token from ``fetch`` are where and how they are sent.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vrtrainer.errors import VrtrainerError
from vrtrainer.results.records import canonical_uuid
from vrtrainer.xapi.lrs import LrsError, check_endpoint, open_no_redirect, redacted

ENV_LAUNCH = "VRTRAINER_CMI5_LAUNCH"
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
#: The auth token goes into an HTTP header: RFC 7235 token68 characters only, bounded.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
MAX_TOKEN = 4096


class Cmi5Error(VrtrainerError):
    """The cmi5 launch parameters are missing, malformed, or the LMS refused the fetch."""


def _http_url(value: str, what: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        shown = redacted(value)[:80]
        raise Cmi5Error(f"cmi5 launch: {what} {shown!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Cmi5Error(f"cmi5 launch: {what} {redacted(value)[:80]!r} is not an http(s) URL")
    try:
        check_endpoint(value, what)
    except LrsError as exc:
        raise Cmi5Error(f"cmi5 launch: {exc}") from None
    return value


@dataclass(frozen=True)
class Cmi5Launch:
    """The five cmi5 launch parameters, checked."""

    endpoint: str
    fetch: str
    actor: dict[str, Any]
    registration: str
    activity_id: str

    def __post_init__(self) -> None:
        _http_url(self.endpoint, "endpoint")
        _http_url(self.fetch, "fetch")
        if not isinstance(self.actor, dict) or sum(k in self.actor for k in _IFIS) != 1:
            raise Cmi5Error("cmi5 launch: actor must be an Agent with exactly one identifier")
        try:
            registration = canonical_uuid(self.registration, "registration")
        except VrtrainerError as exc:
            raise Cmi5Error(f"cmi5 launch: {exc}") from None
        object.__setattr__(self, "registration", registration)
        try:
            scheme = urlsplit(self.activity_id).scheme
        except ValueError:
            scheme = ""
        if not scheme:
            raise Cmi5Error(f"cmi5 launch: activityId {self.activity_id[:80]!r} is not an IRI")

    @classmethod
    def from_url(cls, url: str) -> Cmi5Launch:
        """Parse a launch URL (or a bare query string) as an LMS builds it."""
        try:
            query = urlsplit(url).query if "?" in url or "://" in url else url
        except ValueError:
            raise Cmi5Error(f"cmi5 launch: {url[:80]!r} is not a valid URL") from None
        values = parse_qs(query, keep_blank_values=True)
        missing = [
            k
            for k in ("endpoint", "fetch", "actor", "registration", "activityId")
            if not values.get(k, [""])[0]
        ]
        if missing:
            raise Cmi5Error("cmi5 launch: missing " + ", ".join(missing))
        try:
            actor = json.loads(values["actor"][0])
        except (ValueError, RecursionError):  # RecursionError: a nesting bomb
            raise Cmi5Error("cmi5 launch: actor is not JSON") from None
        return cls(
            endpoint=values["endpoint"][0],
            fetch=values["fetch"][0],
            actor=actor,
            registration=values["registration"][0],
            activity_id=values["activityId"][0],
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Cmi5Launch | None:
        """The launch given in ``$VRTRAINER_CMI5_LAUNCH``, or None when not launched by an LMS."""
        value = (environ if environ is not None else os.environ).get(ENV_LAUNCH, "")
        return cls.from_url(value) if value.strip() else None

    def fetch_auth_token(self, timeout: float = 10.0) -> str:
        """Ask the LMS for this launch's auth token (cmi5 allows one fetch per launch)."""
        request = urllib.request.Request(self.fetch, data=b"", method="POST")
        try:
            with open_no_redirect(request, timeout=timeout) as reply:
                body = json.loads(reply.read(65536))
        except urllib.error.HTTPError as exc:
            note = "; redirects are not followed" if 300 <= exc.code < 400 else ""
            raise Cmi5Error(f"{self.fetch}: cmi5 fetch failed (HTTP {exc.code}{note})") from None
        except (urllib.error.URLError, OSError, ValueError, RecursionError) as exc:
            raise Cmi5Error(f"{self.fetch}: cmi5 fetch failed ({str(exc)[:200]})") from None
        token = body.get("auth-token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            error = body.get("error-text") if isinstance(body, dict) else None
            raise Cmi5Error(f"{self.fetch}: cmi5 fetch gave no auth-token ({str(error)[:200]})")
        if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
            raise Cmi5Error(
                f"{self.fetch}: cmi5 fetch gave an auth-token that is not a plain base64 token "
                f"of at most {MAX_TOKEN} characters; refused"
            )
        return token
