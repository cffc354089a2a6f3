"""The xAPI outbox: statements waiting in the results store until an LRS has them.

A sender *claims* a batch by writing its name and a lease end on the rows, sends them,
then marks them sent, or schedules a retry. Claims are race-free: on PostgreSQL the rows
are picked with ``SELECT ... FOR UPDATE SKIP LOCKED``; on SQLite the whole claim runs in
one ``BEGIN IMMEDIATE`` transaction, which only one process can hold. A sender killed
mid-send leaves its lease to run out, after which another sender takes the rows again;
the statements keep their ids, so the LRS recognises any it already has.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, or_, select, true, update
from sqlalchemy.exc import SQLAlchemyError

from vrtrainer.results.engine import READ_ONLY, StoreError, as_utc, shown_url, utc_now
from vrtrainer.results.records import MAX_TEXT
from vrtrainer.results.schema import xapi_outbox as ob


@dataclass(frozen=True)
class OutboxItem:
    """One claimed statement: its row, id, JSON text (sent verbatim) and past tries."""

    row_id: int
    statement_id: str
    statement: str
    tries: int


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    sent: int
    rejected: int


class Outbox:
    """Claim, complete, retry and reject rows of the ``xapi_outbox`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A damaged store or row met while reading the outbox is one :class:`StoreError`."""
        try:
            yield
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise StoreError(f"{shown_url(str(self.engine.url))}: cannot read the outbox "
                             f"({reason})") from None
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            raise StoreError(f"{shown_url(str(self.engine.url))}: an outbox row is damaged "
                             f"({str(exc)[:200]})") from None

    @staticmethod
    def _for_endpoint(endpoint: str | None):
        # Rows made under a cmi5 launch name their LMS; the others go to any LRS.
        if endpoint is None:
            return ob.c.endpoint.is_(None)
        return or_(ob.c.endpoint.is_(None), ob.c.endpoint == endpoint.rstrip("/"))

    @staticmethod
    def _unsent():
        return and_(ob.c.sent_at.is_(None), ob.c.rejected_at.is_(None))

    def claim(
        self, owner: str, limit: int, lease_s: float, endpoint: str | None = None
    ) -> list[OutboxItem]:
        """Lease up to ``limit`` due statements to ``owner`` for ``lease_s`` seconds."""
        now = utc_now()
        due = and_(
            self._unsent(),
            ob.c.next_try_at <= now,
            or_(ob.c.lease_until.is_(None), ob.c.lease_until < now),
            self._for_endpoint(endpoint),
        )
        pick = select(ob.c.id).where(due).order_by(ob.c.id).limit(limit)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            ids = list(conn.execute(pick).scalars())
            if not ids:
                return []
            conn.execute(
                update(ob)
                .where(ob.c.id.in_(ids))
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
            )
            rows = conn.execute(
                select(ob.c.id, ob.c.statement_id, ob.c.statement, ob.c.tries)
                .where(ob.c.id.in_(ids))
                .order_by(ob.c.id)
            ).all()
        return [OutboxItem(r.id, r.statement_id, r.statement, r.tries) for r in rows]

    def complete(self, items: Sequence[OutboxItem], note: str | None = None) -> None:
        """Mark statements as held by the LRS (whoever holds the lease now)."""
        if not items:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(ob)
                .where(ob.c.id.in_([i.row_id for i in items]), ob.c.sent_at.is_(None))
                .values(
                    sent_at=utc_now(),
                    lease_owner=None,
                    lease_until=None,
                    last_error=note[:MAX_TEXT] if note else None,
                )
            )

    def retry(
        self,
        owner: str,
        items: Sequence[OutboxItem],
        error: str,
        delay_s: Callable[[int], float],
    ) -> None:
        """Give the rows back to be tried again after ``delay_s(tries)`` seconds."""
        now = utc_now()
        with self.engine.begin() as conn:
            for item in items:
                conn.execute(
                    update(ob)
                    .where(ob.c.id == item.row_id, ob.c.lease_owner == owner)
                    .values(
                        tries=ob.c.tries + 1,
                        next_try_at=now + timedelta(seconds=delay_s(item.tries + 1)),
                        lease_owner=None,
                        lease_until=None,
                        last_error=error[:MAX_TEXT],
                    )
                )

    def release(self, owner: str, items: Sequence[OutboxItem]) -> None:
        """Give rows back untried (the sender is stopping)."""
        if not items:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(ob)
                .where(ob.c.id.in_([i.row_id for i in items]), ob.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def reject(self, item: OutboxItem, error: str) -> None:
        """The LRS refused this statement for good: keep it, flagged, and stop sending it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(ob)
                .where(ob.c.id == item.row_id, ob.c.sent_at.is_(None))
                .values(
                    rejected_at=utc_now(),
                    lease_owner=None,
                    lease_until=None,
                    last_error=error[:MAX_TEXT],
                )
            )

    def requeue_rejected(self) -> int:
        """Make rejected statements due again (after fixing the LRS side); return how many."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(ob)
                .where(ob.c.rejected_at.is_not(None), ob.c.sent_at.is_(None))
                .values(rejected_at=None, tries=0, next_try_at=utc_now())
            )
        return result.rowcount

    def counts(self, endpoint: str | None = None) -> OutboxCounts:
        """How many statements wait, went out, or were refused (for ``endpoint``'s rows)."""
        where = self._for_endpoint(endpoint) if endpoint is not None else true()
        with self._reading(), self.engine.connect().execution_options(**READ_ONLY) as conn:
            row = conn.execute(
                select(
                    func.count().filter(self._unsent()),
                    func.count().filter(ob.c.sent_at.is_not(None)),
                    func.count().filter(ob.c.rejected_at.is_not(None)),
                ).where(where)
            ).one()
        return OutboxCounts(pending=row[0], sent=row[1], rejected=row[2])

    def last_error(self) -> tuple[str, datetime | None] | None:
        """The error of the most recently tried statement that is not sent, with its retry time."""
        with self._reading(), self.engine.connect().execution_options(**READ_ONLY) as conn:
            row = conn.execute(
                select(ob.c.last_error, ob.c.next_try_at)
                .where(ob.c.sent_at.is_(None), ob.c.last_error.is_not(None))
                .order_by(ob.c.tries.desc(), ob.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else (row[0], as_utc(row[1]))

    def next_due(self, endpoint: str | None = None) -> datetime | None:
        """When the soonest unsent statement may be claimed, or None if none waits."""
        later = func.coalesce(ob.c.lease_until, ob.c.next_try_at)
        with self._reading(), self.engine.connect().execution_options(**READ_ONLY) as conn:
            rows = conn.execute(
                select(ob.c.next_try_at, later.label("lease"))
                .where(self._unsent(), self._for_endpoint(endpoint))
                .order_by(ob.c.next_try_at)
                .limit(200)
            ).all()
        if not rows:
            return None
        with self._reading():
            return min(max(as_utc(r.next_try_at), as_utc(r.lease)) for r in rows)

    def statements(self, attempt_id: int | None = None) -> list[tuple[str, str, datetime | None]]:
        """(statement id, JSON text, sent time) in creation order, for checks and reports."""
        query = select(ob.c.statement_id, ob.c.statement, ob.c.sent_at).order_by(ob.c.id)
        if attempt_id is not None:
            query = query.where(ob.c.attempt_id == attempt_id)
        with self._reading(), self.engine.connect().execution_options(**READ_ONLY) as conn:
            return [(r[0], r[1], as_utc(r[2])) for r in conn.execute(query)]
