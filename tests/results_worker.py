"""A headset process for the concurrency tests: opens the store and records attempts.

Usage: python results_worker.py URL WORKER COUNT
Each attempt is recorded twice (a retry after a lost reply must not duplicate it).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attempt_factory import attempt_uuid, make_record  # noqa: E402

from vrtrainer.results import ResultsStore  # noqa: E402


def main() -> None:
    url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with ResultsStore.open(url) as store:
        session = attempt_uuid("session", worker)
        for i in range(count):
            record = make_record(
                worker * 1000 + i,
                trainee=f"headset-{worker}",
                session_uuid=session,
                attempt_uuid=attempt_uuid("worker", worker, i),
            )
            first = store.record_attempt(record)
            again = store.record_attempt(record)
            assert first == again, (first, again)


if __name__ == "__main__":
    main()
