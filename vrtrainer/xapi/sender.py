"""Send the results store's xAPI outbox to an LRS without losing or duplicating a statement.

Nothing is lost: a row is marked sent only after the LRS said it holds the statement, and
a failed try comes back later with an exponentially growing, jittered delay. Nothing is
duplicated: every statement carries the UUID fixed when it was made, so a resend after a
crash or a lost reply is recognised by the LRS (POST skips ids it holds; a PUT of an id it
holds answers 204, or 409 if it holds something else under that id, which we report and
count as delivered rather than resend forever).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from vrtrainer.results.outbox import Outbox, OutboxItem
from vrtrainer.xapi.lrs import LrsAuthError, LrsClient, LrsUnavailable

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    """What one run of the sender did, and what is left."""

    sent: int = 0
    rejected: int = 0
    transient_failures: int = 0
    pending: int = 0
    #: Why the last try failed (DNS, connection refused, HTTP status, redirect), if one did.
    last_error: str | None = None


@dataclass(frozen=True)
class Backoff:
    """Delay before try ``n``: ``base * 2**(n-1)`` capped at ``cap``, times 0.5..1 (jitter)."""

    base_s: float = 1.0
    cap_s: float = 300.0

    def __call__(self, tries: int) -> float:
        delay = min(self.cap_s, self.base_s * 2.0 ** max(tries - 1, 0))
        return delay * random.uniform(0.5, 1.0)


def sender_name() -> str:
    """A lease owner name unique to this process and run."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxSender:
    """Delivers outbox rows to one LRS in leased batches."""

    def __init__(
        self,
        outbox: Outbox,
        client: LrsClient,
        *,
        batch: int = 50,
        lease_s: float = 120.0,
        backoff: Backoff | None = None,
        owner: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if batch < 1 or lease_s <= 0:
            raise ValueError("batch must be >= 1 and lease_s > 0")
        self.outbox = outbox
        self.client = client
        self.batch = batch
        self.lease_s = lease_s
        self.backoff = backoff or Backoff()
        self.owner = owner or sender_name()
        self.sleep = sleep

    def run(self, wait_s: float = 0.0) -> SendReport:
        """Send everything due; keep retrying for up to ``wait_s`` seconds while some wait.

        With ``wait_s=0`` each due statement is tried once. Raises :class:`LrsAuthError`
        (after giving its rows back) when the LRS refuses the credentials.
        """
        report = SendReport()
        deadline = time.monotonic() + wait_s
        endpoint = self.client.endpoint
        while True:
            items = self.outbox.claim(self.owner, self.batch, self.lease_s, endpoint)
            if items:
                self._deliver(items, report)
                continue
            report.pending = self.outbox.counts(endpoint).pending
            left = deadline - time.monotonic()
            if report.pending == 0 or left <= 0:
                return report
            due = self.outbox.next_due(endpoint)
            until_due = (due - datetime.now(UTC)).total_seconds() if due else left
            self.sleep(min(max(until_due, 0.05), left, 5.0))

    def _deliver(self, items: list[OutboxItem], report: SendReport) -> None:
        try:
            status, reply = self.client.post([i.statement for i in items])
        except LrsUnavailable as exc:
            log.info("LRS unavailable, %d statements wait: %s", len(items), exc)
            report.transient_failures += 1
            report.last_error = str(exc)
            self.outbox.retry(self.owner, items, str(exc), self.backoff)
            return
        except LrsAuthError:
            self.outbox.release(self.owner, items)
            raise
        except BaseException:
            self.outbox.release(self.owner, items)
            raise
        if 200 <= status < 300:
            self.outbox.complete(items)
            report.sent += len(items)
            return
        # The batch was refused as a whole (a conflict or one bad statement): find out
        # which, one statement at a time.
        log.info("LRS refused a batch (HTTP %d: %s); sending one by one", status, reply[:200])
        for position, item in enumerate(items):
            try:
                status, reply = self.client.put(item.statement_id, item.statement)
            except LrsUnavailable as exc:
                report.transient_failures += 1
                report.last_error = str(exc)
                self.outbox.retry(self.owner, items[position:], str(exc), self.backoff)
                return
            except BaseException:
                self.outbox.release(self.owner, items[position:])
                raise
            if 200 <= status < 300:
                self.outbox.complete([item])
                report.sent += 1
            elif status == 409:
                note = f"LRS holds a different statement under this id: {reply[:300]}"
                log.warning("statement %s: %s", item.statement_id, note)
                self.outbox.complete([item], note)
                report.sent += 1
            else:
                report.last_error = f"HTTP {status}: {reply[:1500]}"
                self.outbox.reject(item, report.last_error)
                report.rejected += 1
