"""Fuzz harness: attempt records (fields and breakdown JSON) through ``AttemptRecord``,
the xAPI statements made from them and a real SQLite results store.

The input is JSON: ``{"fields": {...}, "breakdown": {...}}``; ``started_at`` and
``ended_at`` are ISO 8601 texts turned into datetimes, ``{"$deep": n}`` anywhere becomes
a list nested ``n`` deep (a Python caller can hand over what JSON text cannot carry).
"""

from __future__ import annotations

import dataclasses
import json
import random
import tempfile
from datetime import datetime
from pathlib import Path

from attempt_factory import make_record
from engine import Skip
from mutators import json_mutation

from vrtrainer.results import AttemptRecord, ResultsStore
from vrtrainer.results.statements import attempt_statements

NAME = "records"
_FIELDS = {f.name for f in dataclasses.fields(AttemptRecord)} - {
    "score", "passed", "criteria", "breakdown"}
_REQUIRED = {f.name for f in dataclasses.fields(AttemptRecord)
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
             } & _FIELDS
_store: ResultsStore | None = None
_store_dir = tempfile.mkdtemp(prefix="vrtrainer-fuzz-store-")


def _as_json(record: AttemptRecord) -> bytes:
    fields = {k: getattr(record, k) for k in _FIELDS}
    for k in ("started_at", "ended_at"):
        fields[k] = fields[k].isoformat()
    return json.dumps({"fields": fields, "breakdown": record.breakdown}).encode()


def seeds() -> list[bytes]:
    return [_as_json(make_record(n)) for n in range(3)]


def mutate(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.03:
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("breakdown"), dict):
            doc["breakdown"]["deep"] = {"$deep": rng.choice((100, 5000, 200_000))}
            return json.dumps(doc).encode()
    return json_mutation(data, rng)


def _deepen(value):
    if isinstance(value, dict):
        if set(value) == {"$deep"} and isinstance(value["$deep"], int):
            nested: list = []
            for _ in range(min(max(value["$deep"], 0), 1_000_000)):
                nested = [nested]
            return nested
        return {k: _deepen(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deepen(v) for v in value]
    return value


def prepare(data: bytes, work: Path) -> tuple[dict, dict]:
    global _store
    if _store is None:
        _store = ResultsStore.open(Path(_store_dir) / "results.sqlite")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise Skip from None
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), dict):
        raise Skip
    fields = {k: v for k, v in doc["fields"].items() if k in _FIELDS}
    if not _REQUIRED <= set(fields):
        raise Skip  # a Python caller cannot leave out a keyword: not an input
    for k in ("started_at", "ended_at"):
        if isinstance(fields.get(k), str):
            try:
                fields[k] = datetime.fromisoformat(fields[k])
            except ValueError:
                raise Skip from None
    return _deepen(doc.get("breakdown")), fields


def load(target: tuple[dict, dict]) -> None:
    breakdown, fields = target
    record = AttemptRecord.from_breakdown(breakdown, **fields)
    attempt_statements(record)
    attempt_id = _store.record_attempt(record)
    stored = _store.get_attempt(attempt_id)
    if stored.uuid != record.attempt_uuid:
        raise AssertionError("the store gave back another attempt")
