"""Attempt records for the results and xAPI tests, varied but reproducible."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from vrtrainer.results import AttemptRecord

NAMESPACE = uuid.UUID("5f0c2b7e-2a55-4bd3-9f3e-7c1d2e3f4a5b")
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def attempt_uuid(*parts: object) -> str:
    """A UUID fixed by ``parts``: the same attempt retried gets the same id."""
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


def make_record(n: int = 0, **fields) -> AttemptRecord:
    """The ``n``-th attempt of a small made-up training day; ``fields`` override."""
    score = 35.0 + (n * 17) % 60
    breakdown = {
        "score": score,
        "passed": score >= 60,
        "criteria": [
            {
                "name": "timing",
                "score": min(100.0, score + 10),
                "weight": 1.0,
                "passed": score + 10 >= 60,
                "message": "tempo close to the expert's",
            },
            {
                "name": "finger shape",
                "score": score,
                "weight": 2.0,
                "passed": score >= 60,
                "message": "index flexion differs at the pinch",
            },
            {
                "name": "wrist path",
                "score": max(0.0, score - 20),
                "weight": 1.0,
                "passed": False,
                "message": "wrist drifts 4 cm low",
                "severity": "warning",
            },
        ],
        "per_joint_error_m": [0.01 * (j % 5) for j in range(26)],
    }
    start = T0 + timedelta(minutes=7 * n)
    values = dict(
        trainee=f"T-{n % 3:03d}",
        scenario_id="pinch" if n % 2 == 0 else "grab",
        scenario_version="1.0",
        step=str(1 + n % 2),
        started_at=start,
        ended_at=start + timedelta(seconds=10 + n % 7),
        attempt_uuid=attempt_uuid("day", n),
        device="simulated",
        runtime="none",
    )
    values.update(fields)
    return AttemptRecord.from_breakdown(breakdown, **values)
