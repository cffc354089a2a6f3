"""A small client for a Learning Record Store's statements resource (xAPI 1.0.3, urllib only).

It sorts every reply into three kinds the sender acts on: a status it can decide on
(2xx, 400, 409...), :class:`LrsUnavailable` (network down, timeout, 5xx, 429: try again
later) and :class:`LrsAuthError` (401/403: retrying will not help, stop and say so).
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

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


class LrsClient:
    """Statements API of one LRS ``endpoint`` (e.g. ``http://host:8100/xAPI/``)."""

    def __init__(self, endpoint: str, authorization: str | None, timeout: float = 15.0) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LrsError(f"{endpoint}: the LRS endpoint must be an http(s) URL")
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
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace")
            if exc.code in (401, 403):
                raise LrsAuthError(
                    f"{self.endpoint}: the LRS refused the credentials ({exc.code})"
                ) from None
            if exc.code in _RETRYABLE:
                raise LrsUnavailable(f"{self.endpoint}: HTTP {exc.code} {detail[:200]}") from None
            return exc.code, detail.encode()
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
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
            page = json.loads(reply)
            yield from page.get("statements", [])
            more = page.get("more")
            url = urljoin(self.endpoint + "/", more) if more else ""
