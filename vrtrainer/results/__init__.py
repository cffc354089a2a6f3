"""Results store: attempts, trainees, sessions, criteria and the xAPI outbox (SQLite/PostgreSQL).

Open it with :meth:`ResultsStore.open`; store an attempt with
:meth:`ResultsStore.record_attempt` (an :class:`AttemptRecord` built from the comparator's
breakdown).
"""

from vrtrainer.results.engine import StoreError, default_path, resolve_url
from vrtrainer.results.records import AttemptRecord, Criterion, InvalidRecordError, sha256_file
from vrtrainer.results.store import AttemptNotFoundError, ResultsStore, StoredAttempt

__all__ = [
    "AttemptNotFoundError",
    "AttemptRecord",
    "Criterion",
    "InvalidRecordError",
    "ResultsStore",
    "StoreError",
    "StoredAttempt",
    "default_path",
    "resolve_url",
    "sha256_file",
]
