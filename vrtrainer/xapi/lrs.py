"""A small client for a Learning Record Store's statements resource (xAPI 1.0.3, urllib only).

It sorts every reply into three kinds the sender acts on: a status it can decide on
(2xx, 400, 409...), :class:`LrsUnavailable` (network down, timeout, 5xx, 429, a redirect:
try again later) and :class:`LrsAuthError` (401/403: retrying will not help, stop and say so).

Redirects are never followed: urllib would turn a redirected POST into a bodiless GET to
another host, carrying the Basic credentials there, and report success. An endpoint URL
holding a user name or password is refused before anything is looked up, so that secret
never reaches DNS, a log line or the outbox's ``last_error``.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import SplitResult, urlencode, urljoin, urlsplit

from vrtrainer.errors import VrtrainerError

XAPI_VERSION = "1.0.3"
_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class LrsError(VrtrainerError):
    """The LRS could not be used."""


class LrsUnavailable(LrsError):
    """The LRS did not answer usefully now; the same request may work later."""


class LrsAuthError(LrsError):
    """The LRS refused our credentials."""


def basic_auth(user: str, password: str) -> str:
    """``Authorization`` header value for HTTP Basic auth."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Turn every 3xx into an :class:`urllib.error.HTTPError` instead of following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


#: An opener that follows no redirect (and reads no proxy settings' credentials into URLs).
_OPENER = urllib.request.build_opener(_NoRedirects)


def open_no_redirect(request: urllib.request.Request, timeout: float):
    """``urlopen`` that answers a 3xx with :class:`urllib.error.HTTPError`, never following it."""
    return _OPENER.open(request, timeout=timeout)


def redacted(url: str) -> str:
    """``url`` with any user name or password removed (for messages); never raises."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return SplitResult(parts.scheme, host, parts.path, parts.query, "").geturl()[:300]
    except ValueError:
        return "<an unparsable URL>"


def check_endpoint(endpoint: str, what: str = "the LRS endpoint") -> str:
    """Refuse anything but a plain http(s) URL without credentials; return it.

    Done on the text alone (no DNS lookup), so a refused URL is never resolved.
    """
    if not isinstance(endpoint, str) or any(ord(c) < 0x21 or ord(c) == 0x7F for c in endpoint):
        raise LrsError(f"{what} must be an http(s) URL without spaces or control characters")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise LrsError(f"{redacted(endpoint)}: {what} is not a valid URL") from None
    if "@" in parts.netloc:
        raise LrsError(
            f"{redacted(endpoint)}: {what} must not hold a user name or password; "
            "give them with --user and --password (or $VRTRAINER_LRS_USER/_PASSWORD)"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LrsError(f"{redacted(endpoint)}: {what} must be an http(s) URL")
    return endpoint


class LrsClient:
    """Statements API of one LRS ``endpoint`` (e.g. ``http://host:8100/xAPI/``)."""

    def __init__(self, endpoint: str, authorization: str | None, timeout: float = 15.0) -> None:
        check_endpoint(endpoint)
        if authorization is not None and any(
            ord(c) < 0x20 or ord(c) == 0x7F for c in authorization
        ):
            raise LrsError("the LRS credentials hold control characters (CR, LF...)")
        self.endpoint = endpoint.rstrip("/")
        self.statements_url = urljoin(self.endpoint + "/", "statements")
        self.authorization = authorization
        self.timeout = timeout

    def _request(self, method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if self.authorization:
            headers["Authorization"] = self.authorization
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with open_no_redirect(request, timeout=self.timeout) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace")
            if 300 <= exc.code < 400:
                target = redacted(exc.headers.get("Location", "") or "nowhere")
                raise LrsUnavailable(
                    f"{self.endpoint}: HTTP {exc.code} redirect to {target}, not followed "
                    "(statements and credentials go only to the configured endpoint; "
                    "fix the endpoint URL)"
                ) from None
            if exc.code in (401, 403):
                raise LrsAuthError(
                    f"{self.endpoint}: the LRS refused the credentials ({exc.code})"
                ) from None
            if exc.code in _RETRYABLE:
                raise LrsUnavailable(f"{self.endpoint}: HTTP {exc.code} {detail[:200]}") from None
            return exc.code, detail.encode()
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LrsUnavailable(f"{self.endpoint}: {reason}") from None

    def post(self, statements: Sequence[str]) -> tuple[int, str]:
        """POST JSON statement texts as one batch; return (status, reply text)."""
        body = ("[" + ",".join(statements) + "]").encode("utf-8")
        status, reply = self._request("POST", self.statements_url, body)
        return status, reply.decode("utf-8", "replace")

    def put(self, statement_id: str, statement: str) -> tuple[int, str]:
        """PUT one statement under its id; 204 means stored (now or before)."""
        url = f"{self.statements_url}?{urlencode({'statementId': statement_id})}"
        status, reply = self._request("PUT", url, statement.encode("utf-8"))
        return status, reply.decode("utf-8", "replace")

    def iter_statements(self, **params: Any) -> Iterator[dict[str, Any]]:
        """Every statement the LRS returns for ``params``, following ``more`` links."""
        url = f"{self.statements_url}?{urlencode(params)}" if params else self.statements_url
        while url:
            status, reply = self._request("GET", url, None)
            if status != 200:
                raise LrsError(f"{self.endpoint}: GET statements gave HTTP {status}")
            try:
                page = json.loads(reply)
            except (ValueError, RecursionError) as exc:
                raise LrsError(f"{self.endpoint}: GET statements gave no JSON ({exc})") from exc
            statements = page.get("statements") if isinstance(page, dict) else None
            if not isinstance(statements, list):
                raise LrsError(f"{self.endpoint}: GET statements gave no statement list")
            yield from statements
            more = page.get("more")
            url = urljoin(self.endpoint + "/", more) if isinstance(more, str) and more else ""
            if url and urlsplit(url)[:2] != urlsplit(self.endpoint)[:2]:
                raise LrsError(f"{self.endpoint}: the LRS's 'more' link leaves its host; refused")
