"""Fuzz harness: a results store whose rows another tool edited, or whose file is damaged,
through the reading commands' path (``ResultsStore.open(read_only=True)``, list, show,
outbox status, CSV export).

The input is JSON: ``{"edits": [[table, column, row id, value], ...], "cut": fraction,
"flip": [[offset, byte], ...]}``; values may be any JSON, ``{"$hex": "..."}`` for a blob.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
from pathlib import Path

from attempt_factory import make_record
from engine import Skip
from mutators import json_mutation

from vrtrainer.results import ResultsStore
from vrtrainer.results.store import write_csv

NAME = "results_rows"
_COLUMNS = {
    "attempts": ["breakdown", "started_at", "ended_at", "recorded_at", "score", "passed",
                 "duration_s", "uuid", "scenario_id", "step", "take_path", "trainee_id",
                 "session_id", "id"],
    "criteria": ["score", "weight", "passed", "name", "message", "severity", "attempt_id",
                 "position"],
    "trainees": ["pseudonym", "display_name", "id"],
    "xapi_outbox": ["statement", "last_error", "next_try_at", "tries", "sent_at",
                    "rejected_at", "lease_until", "endpoint"],
}
_base_dir = Path(tempfile.mkdtemp(prefix="vrtrainer-fuzz-rows-"))
_base: Path | None = None


def _base_store() -> Path:
    global _base
    if _base is None:
        folder = _base_dir
        _base = folder / "base.sqlite"
        with ResultsStore.open(_base) as store:
            for n in range(4):
                store.record_attempt(make_record(n))
    return _base


def seeds() -> list[bytes]:
    """Seeds load cleanly (damaged rows come from the mutations)."""
    return [json.dumps(s).encode() for s in (
        {"edits": []},
        {"edits": [["attempts", "take_path", 2, "elsewhere.vrtake"],
                   ["trainees", "display_name", 1, "Camille"]]},
    )]


def mutate(data: bytes, rng: random.Random) -> bytes:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or rng.random() < 0.3:
        return json_mutation(data, rng)
    edits = doc.get("edits") if isinstance(doc.get("edits"), list) else []
    roll = rng.random()
    if roll < 0.6:
        table = rng.choice(sorted(_COLUMNS))
        value = rng.choice([
            None, "", "x", "{", "[]", "{}", "2026-02-30T25:61:00", "9999-99-99", "nan",
            -1, 0, 1, 2**63 - 1, -(2**63), 1e308, float("inf"), 0.5, True,
            {"$hex": "00ff"}, {"$hex": "7b2261223a317d"}, "[" * 2000, "9" * 5000,
        ])
        edits.append([table, rng.choice(_COLUMNS[table]), rng.randrange(0, 6), value])
    elif roll < 0.8:
        doc["cut"] = rng.random()
    else:
        flips = doc.get("flip") if isinstance(doc.get("flip"), list) else []
        flips.append([rng.randrange(0, 65536), rng.randrange(256)])
        doc["flip"] = flips
    doc["edits"] = edits
    return json.dumps(doc, allow_nan=True).encode()


def prepare(data: bytes, work: Path) -> Path:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise Skip from None
    if not isinstance(doc, dict):
        raise Skip
    path = work / "results.sqlite"
    shutil.copyfile(_base_store(), path)
    edits = doc.get("edits") if isinstance(doc.get("edits"), list) else []
    conn = sqlite3.connect(path)
    try:
        for edit in edits[:50]:
            if not (isinstance(edit, list) and len(edit) == 4):
                continue
            table, column, row, value = edit
            if (not isinstance(table, str) or table not in _COLUMNS
                    or not isinstance(column, str) or column not in _COLUMNS[table]
                    or not isinstance(row, int)):
                continue
            if isinstance(value, dict) and isinstance(value.get("$hex"), str):
                try:
                    value = bytes.fromhex(value["$hex"])
                except ValueError:
                    continue
            if not isinstance(value, (str, int, float, bytes, type(None))):
                value = json.dumps(value)
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                value = str(value)
            try:
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (value, row))
                conn.commit()
            except (sqlite3.Error, OverflowError, ValueError):  # a meaningless edit
                conn.rollback()
    finally:
        conn.close()
    raw = bytearray(path.read_bytes())
    flips = doc.get("flip") if isinstance(doc.get("flip"), list) else []
    for flip in flips[:20]:
        if (isinstance(flip, list) and len(flip) == 2 and all(isinstance(v, int) for v in flip)
                and 0 <= flip[0] < len(raw)):
            raw[flip[0]] = flip[1] & 0xFF
    cut = doc.get("cut")
    if isinstance(cut, (int, float)) and 0 <= cut < 1:
        raw = raw[: int(len(raw) * cut)]
    path.write_bytes(bytes(raw))
    return path


def load(path: Path) -> None:
    with ResultsStore.open(path, read_only=True) as store:
        rows = store.list_attempts()
        for a in rows[:3]:
            store.get_attempt(a.id)
        store.outbox.counts()
        store.outbox.last_error()
        store.trainees()
        write_csv(path.with_name("export.csv"), rows)
