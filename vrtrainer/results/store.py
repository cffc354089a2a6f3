"""The results store: every scored attempt, kept so a score outlives the headset session.

One attempt is written in one transaction together with its criteria and its xAPI
statements (the outbox), so that a crash leaves either all of it or none of it, and a
retry with the same attempt UUID returns the stored attempt instead of adding another.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

import vrtrainer
from vrtrainer.errors import VrtrainerError
from vrtrainer.files import atomic_output
from vrtrainer.results import migrate
from vrtrainer.results.engine import (
    OPENED_READ_ONLY,
    READ_ONLY,
    StoreError,
    as_utc,
    make_engine,
    public_url,
    resolve_url,
    shown_url,
    utc_now,
)
from vrtrainer.results.outbox import Outbox
from vrtrainer.results.records import AttemptRecord, Criterion, sha256_file
from vrtrainer.results.schema import (
    attempts,
    criteria,
    sessions,
    trainee_preferences,
    trainees,
    xapi_outbox,
)
from vrtrainer.results.statements import attempt_statements

if TYPE_CHECKING:
    from vrtrainer.results.cmi5 import Cmi5Launch

CSV_COLUMNS = (
    "id",
    "uuid",
    "trainee",
    "session",
    "scenario_id",
    "scenario_version",
    "step",
    "score",
    "passed",
    "started_at",
    "ended_at",
    "duration_s",
    "device",
    "runtime",
    "take_path",
    "take_sha256",
    "criteria",
)


class AttemptNotFoundError(VrtrainerError):
    """No stored attempt has the id asked for."""


@dataclass(frozen=True)
class StoredAttempt:
    """An attempt as read back from the store (what reports and the CLI show)."""

    id: int
    uuid: str
    trainee: str
    trainee_name: str | None
    session_uuid: str | None
    scenario_id: str
    scenario_version: str
    step: str
    score: float
    passed: bool
    criteria: tuple[Criterion, ...]
    breakdown: dict[str, Any]
    take_path: str | None
    take_sha256: str | None
    device: str | None
    runtime: str | None
    started_at: datetime
    ended_at: datetime
    duration_s: float
    locale: str
    vrtrainer_version: str
    recorded_at: datetime
    reference_path: str | None = None
    reference_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO 8601 text)."""
        data = asdict(self)
        data["criteria"] = [c.to_dict() for c in self.criteria]
        for key in ("started_at", "ended_at", "recorded_at"):
            data[key] = data[key].isoformat()
        return data


def _stored_attempt(row: Any, by_attempt: dict[Any, list[Criterion]]) -> StoredAttempt:
    """A StoredAttempt from its row and the criteria read for it."""
    return StoredAttempt(
        id=row.id,
        uuid=row.uuid,
        trainee=row.trainee,
        trainee_name=row.trainee_name,
        session_uuid=row.session_uuid,
        scenario_id=row.scenario_id,
        scenario_version=row.scenario_version,
        step=row.step,
        score=row.score,
        passed=bool(row.passed),
        criteria=tuple(by_attempt[row.id]),
        breakdown=row.breakdown,
        take_path=row.take_path,
        take_sha256=row.take_sha256,
        device=row.device,
        runtime=row.runtime,
        started_at=as_utc(row.started_at),
        ended_at=as_utc(row.ended_at),
        duration_s=row.duration_s,
        locale=row.locale,
        vrtrainer_version=row.vrtrainer_version,
        recorded_at=as_utc(row.recorded_at),
        reference_path=row.reference_path,
        reference_sha256=row.reference_sha256,
    )


def _checked_row(attempt_id: Any, build: Callable[[], StoredAttempt]) -> StoredAttempt:
    """Build a StoredAttempt and check its fields' types: a row edited by another tool
    (text in a number, a date that is not one, JSON that does not parse) is refused."""
    try:
        a = build()
        numbers = [a.score, a.duration_s] + [v for c in a.criteria for v in (c.score, c.weight)]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                   for v in numbers):
            raise ValueError("a score, weight or duration is not a finite number")
        if not all(isinstance(t, datetime) for t in (a.started_at, a.ended_at, a.recorded_at)):
            raise ValueError("a time is not a date and time")
        if not isinstance(a.breakdown, dict):
            raise ValueError("the breakdown is not a JSON object")
        texts = (a.uuid, a.trainee, a.scenario_id, a.scenario_version, a.step)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("an identifier is not text")
    except (ValueError, TypeError, OverflowError, AttributeError, RecursionError) as exc:
        raise StoreError(f"attempt {attempt_id}: the stored row is damaged ({str(exc)[:200]})"
                         ) from None
    return a


class ResultsStore:
    """Attempts, trainees, sessions and the xAPI outbox in one SQL database."""

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn a damaged store or row met while reading into one :class:`StoreError`."""
        try:
            yield
        except StoreError as exc:
            raise StoreError(f"{self.where}: {exc}") from None
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise StoreError(f"{self.where}: cannot read the results store ({reason})") from None
        except (ValueError, TypeError, OverflowError, RecursionError, KeyError) as exc:
            raise StoreError(f"{self.where}: a stored row is damaged ({str(exc)[:200]})"
                             ) from None

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.outbox = Outbox(engine)

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None, *, migrate_schema: bool = True,
             read_only: bool = False):
        """Open (creating and migrating if needed) the store at ``url``.

        ``url`` defaults to ``$VRTRAINER_DB``, then to the SQLite file in the user's data
        folder; a plain path is a SQLite file. ``read_only`` (for commands that only read)
        opens an existing SQLite file without writing to it or its folder and does not
        migrate; a store older than this vrtrainer is then refused with a clear message.
        """
        engine = make_engine(url, read_only=read_only)
        try:
            if engine.get_execution_options().get(OPENED_READ_ONLY):
                current = migrate.current_revision(engine)
                if current != migrate.head_revision():
                    raise StoreError(
                        f"{shown_url(str(engine.url))}: the store's schema ({current}) is not "
                        "this vrtrainer's; run a command that records, with write access, to "
                        "migrate it"
                    )
            elif migrate_schema:
                migrate.upgrade(engine)
        except DatabaseError as exc:  # unreachable server, or a file that is no database
            engine.dispose()
            raise StoreError(
                f"{shown_url(resolve_url(url))}: cannot open the results store ({exc.orig or exc})"
            ) from None
        except (SQLAlchemyError, ValueError) as exc:  # e.g. a damaged text in its version row
            engine.dispose()
            raise StoreError(
                f"{shown_url(resolve_url(url))}: cannot open the results store "
                f"({str(exc)[:200]})"
            ) from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def url(self) -> str:
        """The store's URL with any password masked."""
        return public_url(str(self.engine.url))

    @property
    def where(self) -> str:
        """The store as messages name it: a SQLite file's path, or the masked URL."""
        return shown_url(str(self.engine.url))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------

    def _insert(self, conn: Connection, table):
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    def record_attempt(
        self,
        record: AttemptRecord,
        *,
        launch: Cmi5Launch | None = None,
        xapi_base: str | None = None,
    ) -> int:
        """Store ``record`` with its criteria and xAPI statements; return the attempt's id.

        Idempotent on ``record.attempt_uuid``: a second call stores nothing and returns the
        first call's id. When the take file exists and no hash was given, its SHA-256 is
        computed here (only for a ``.vrtake`` file: a record naming any other file does not
        get it read).
        """
        if record.take_path is not None and record.take_sha256 is None:
            take = Path(record.take_path)
            if take.suffix == ".vrtake" and take.is_file():
                record = replace(record, take_sha256=sha256_file(take))
        statements = attempt_statements(record, launch=launch, base=xapi_base)
        endpoint = launch.endpoint.rstrip("/") if launch is not None else None
        now = utc_now()
        try:
            with self.engine.begin() as conn:
                return self._write_attempt(conn, record, statements, endpoint, now)
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.url}: could not store the attempt ({exc})") from None

    def _write_attempt(self, conn, record, statements, endpoint, now) -> int:
        existing = conn.execute(
            select(attempts.c.id).where(attempts.c.uuid == record.attempt_uuid)
        ).scalar()
        if existing is not None:
            return existing
        conn.execute(
            self._insert(conn, trainees)
            .values(pseudonym=record.trainee, display_name=record.trainee_name, created_at=now)
            .on_conflict_do_nothing(index_elements=["pseudonym"])
        )
        trainee_id = conn.execute(
            select(trainees.c.id).where(trainees.c.pseudonym == record.trainee)
        ).scalar_one()
        if record.trainee_name is not None:
            conn.execute(
                update(trainees)
                .where(trainees.c.id == trainee_id)
                .values(display_name=record.trainee_name)
            )
        session_id = None
        if record.session_uuid is not None:
            session_id = self._touch_session(conn, record, trainee_id)
        attempt_id = conn.execute(
            self._insert(conn, attempts)
            .values(
                uuid=record.attempt_uuid,
                trainee_id=trainee_id,
                session_id=session_id,
                scenario_id=record.scenario_id,
                scenario_version=record.scenario_version,
                step=record.step,
                score=record.score,
                passed=record.passed,
                breakdown=record.breakdown,
                take_path=record.take_path,
                take_sha256=record.take_sha256,
                reference_path=record.reference_path,
                reference_sha256=record.reference_sha256,
                device=record.device,
                runtime=record.runtime,
                started_at=record.started_at,
                ended_at=record.ended_at,
                duration_s=record.duration_s,
                locale=record.locale,
                vrtrainer_version=vrtrainer.__version__,
                recorded_at=now,
            )
            .on_conflict_do_nothing(index_elements=["uuid"])
            .returning(attempts.c.id)
        ).scalar()
        if attempt_id is None:
            # Another process stored the same attempt between our check and insert.
            return conn.execute(
                select(attempts.c.id).where(attempts.c.uuid == record.attempt_uuid)
            ).scalar_one()
        if record.criteria:
            conn.execute(
                criteria.insert(),
                [
                    {
                        "attempt_id": attempt_id,
                        "position": i,
                        "name": c.name,
                        "score": c.score,
                        "weight": c.weight,
                        "passed": c.passed,
                        "severity": c.severity,
                        "message": c.message,
                    }
                    for i, c in enumerate(record.criteria)
                ],
            )
        conn.execute(
            xapi_outbox.insert(),
            [
                {
                    "statement_id": s["id"],
                    "attempt_id": attempt_id,
                    "seq": i,
                    "endpoint": endpoint,
                    "statement": json.dumps(s, sort_keys=True, ensure_ascii=False),
                    "created_at": now,
                    "tries": 0,
                    "next_try_at": now,
                }
                for i, s in enumerate(statements)
            ],
        )
        return attempt_id

    def _touch_session(self, conn: Connection, record: AttemptRecord, trainee_id: int) -> int:
        conn.execute(
            self._insert(conn, sessions)
            .values(
                uuid=record.session_uuid,
                trainee_id=trainee_id,
                device=record.device,
                runtime=record.runtime,
                started_at=record.started_at,
                ended_at=record.ended_at,
            )
            .on_conflict_do_nothing(index_elements=["uuid"])
        )
        row = conn.execute(
            select(sessions.c.id, sessions.c.trainee_id).where(
                sessions.c.uuid == record.session_uuid
            )
        ).one()
        if row.trainee_id != trainee_id:
            raise StoreError(
                f"{self.url}: session {record.session_uuid} belongs to another trainee"
            )
        conn.execute(
            update(sessions)
            .where(sessions.c.id == row.id)
            .values(
                started_at=case(
                    (sessions.c.started_at > record.started_at, record.started_at),
                    else_=sessions.c.started_at,
                ),
                ended_at=case(
                    (sessions.c.ended_at < record.ended_at, record.ended_at),
                    else_=sessions.c.ended_at,
                ),
            )
        )
        return row.id

    # -- reading -------------------------------------------------------------------------

    def _query(self):
        return (
            select(
                attempts,
                trainees.c.pseudonym.label("trainee"),
                trainees.c.display_name.label("trainee_name"),
                sessions.c.uuid.label("session_uuid"),
            )
            .join(trainees, trainees.c.id == attempts.c.trainee_id)
            .outerjoin(sessions, sessions.c.id == attempts.c.session_id)
        )

    def _load(self, conn: Connection, rows: Sequence[Any]) -> list[StoredAttempt]:
        ids = [row.id for row in rows]
        by_attempt: dict[int, list[Criterion]] = {i: [] for i in ids}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            for c in conn.execute(
                select(criteria)
                .where(criteria.c.attempt_id.in_(chunk))
                .order_by(criteria.c.attempt_id, criteria.c.position)
            ):
                bucket = by_attempt.get(c.attempt_id)
                if bucket is None:  # matched in SQL, not in Python: a damaged row or index
                    raise ValueError(f"criteria row {c.id} names attempt {c.attempt_id!r}, "
                                     "not one of those read")
                bucket.append(
                    Criterion(c.name, c.score, c.weight, c.passed, c.message, c.severity)
                )
        return [
            _checked_row(row.id, partial(_stored_attempt, row, by_attempt))
            for row in rows
        ]

    def get_attempt(self, attempt: int | str) -> StoredAttempt:
        """One attempt by its number or its UUID; refuses an unknown one."""
        query = self._query()
        if isinstance(attempt, int) or (isinstance(attempt, str) and attempt.isdigit()):
            query = query.where(attempts.c.id == int(attempt))
        else:
            query = query.where(attempts.c.uuid == str(attempt).lower())
        with self._reading(), self.engine.connect().execution_options(**READ_ONLY) as conn:
            rows = conn.execute(query).all()
            if not rows:
                raise AttemptNotFoundError(f"{self.url}: no attempt {attempt}")
            return self._load(conn, rows)[0]

    def list_attempts(
        self,
        *,
        trainee: str | None = None,
        scenario_id: str | None = None,
        scenario_version: str | None = None,
        step: str | None = None,
        passed: bool | None = None,
        session_uuid: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[StoredAttempt]:
        """Attempts matching every filter given, in start-time order."""
        query = self._query()
        if trainee is not None:
            query = query.where(trainees.c.pseudonym == trainee)
        if scenario_id is not None:
            query = query.where(attempts.c.scenario_id == scenario_id)
        if scenario_version is not None:
            query = query.where(attempts.c.scenario_version == scenario_version)
        if step is not None:
            query = query.where(attempts.c.step == str(step))
        if passed is not None:
            query = query.where(attempts.c.passed == passed)
        if session_uuid is not None:
            query = query.where(sessions.c.uuid == session_uuid)
        if since is not None:
            query = query.where(attempts.c.started_at >= since.astimezone(UTC))
        if until is not None:
            query = query.where(attempts.c.started_at < until.astimezone(UTC))
        columns = (attempts.c.started_at, attempts.c.id)
        order = tuple(o.desc() for o in columns) if newest_first else columns
        query = query.order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        with self._reading(), self.engine.connect().execution_options(**READ_ONLY) as conn:
            return self._load(conn, conn.execute(query).all())

    def trainee_history(self, trainee: str) -> list[StoredAttempt]:
        """Every attempt of one trainee, oldest first: the learning curve's points."""
        return self.list_attempts(trainee=trainee)

    def trainees(self) -> list[tuple[str, str | None]]:
        """(pseudonym, display name) of every trainee, by pseudonym."""
        with self._reading(), self.engine.connect().execution_options(**READ_ONLY) as conn:
            rows = conn.execute(
                select(trainees.c.pseudonym, trainees.c.display_name).order_by(trainees.c.pseudonym)
            ).all()
        return [(r.pseudonym, r.display_name) for r in rows]

    # -- preferences (issue 19) --------------------------------------------------------

    def preferences(self, trainee: str) -> dict[str, Any] | None:
        """What ``trainee`` chose last time (``simple_mode``), or None if never asked."""
        with self.engine.connect().execution_options(**READ_ONLY) as conn:
            row = conn.execute(
                select(trainee_preferences.c.simple_mode)
                .join(trainees, trainees.c.id == trainee_preferences.c.trainee_id)
                .where(trainees.c.pseudonym == trainee)
            ).first()
        return None if row is None else {"simple_mode": bool(row.simple_mode)}

    def set_preferences(self, trainee: str, *, simple_mode: bool) -> None:
        """Remember ``trainee``'s choice (the trainee is created if new)."""
        from vrtrainer.results.records import MAX_ID

        if not trainee or len(trainee) > MAX_ID:
            raise VrtrainerError(f"trainee id must be 1-{MAX_ID} characters")
        now = utc_now()
        with self.engine.begin() as conn:
            conn.execute(self._insert(conn, trainees)
                         .values(pseudonym=trainee, created_at=now)
                         .on_conflict_do_nothing(index_elements=["pseudonym"]))
            trainee_id = conn.execute(
                select(trainees.c.id).where(trainees.c.pseudonym == trainee)).scalar_one()
            stmt = self._insert(conn, trainee_preferences).values(
                trainee_id=trainee_id, simple_mode=bool(simple_mode), updated_at=now)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["trainee_id"],
                set_={"simple_mode": bool(simple_mode), "updated_at": now}))

    def export_csv(self, out: str | os.PathLike[str], **filters: Any) -> int:
        """Write the attempts matching ``filters`` (as :meth:`list_attempts`) to a CSV file.

        One row per attempt; ``criteria`` is ``name=score`` pairs joined by ``;``. The file
        is written to a temporary name and renamed, so a reader never sees half of it.
        Returns the number of rows.
        """
        rows = self.list_attempts(**filters)
        return write_csv(out, rows)


def write_csv_rows(stream: IO[str], rows: Iterable[StoredAttempt]) -> int:
    """Write ``rows`` as :data:`CSV_COLUMNS` to an open text ``stream``; return the count."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for a in rows:
        writer.writerow(
            [
                a.id,
                a.uuid,
                a.trainee,
                a.session_uuid or "",
                a.scenario_id,
                a.scenario_version,
                a.step,
                f"{a.score:.3f}",
                int(a.passed),
                a.started_at.isoformat(),
                a.ended_at.isoformat(),
                f"{a.duration_s:.3f}",
                a.device or "",
                a.runtime or "",
                a.take_path or "",
                a.take_sha256 or "",
                ";".join(f"{c.name}={c.score:.3f}" for c in a.criteria),
            ]
        )
        count += 1
    return count


def write_csv(out: str | os.PathLike[str], rows: Iterable[StoredAttempt]) -> int:
    """Write ``rows`` as :data:`CSV_COLUMNS` to ``out`` atomically and synced; return the count.

    A full disk or any other failure leaves no partial file behind (and ``out`` as it was).
    """
    target = Path(out)
    try:
        with atomic_output(target, "w", newline="", encoding="utf-8") as stream:
            count = write_csv_rows(stream, rows)
    except OSError as exc:
        raise StoreError(f"{target}: cannot write the CSV export ({exc.strerror})") from None
    except VrtrainerError as exc:  # disk full
        raise StoreError(f"{exc}") from None
    return count
