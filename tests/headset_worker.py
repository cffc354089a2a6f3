"""A headset process for the concurrent-headsets test: records takes and stores attempts.

Usage: python headset_worker.py URL WORKER COUNT FOLDER
Each attempt is recorded through the crash-safe journal into its own take file, then
stored with that take (hashed by the store) twice: a retry after a lost reply must not
duplicate it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attempt_factory import attempt_uuid, make_record  # noqa: E402
from handmade import random_take  # noqa: E402

from vrtrainer.results import ResultsStore  # noqa: E402
from vrtrainer.takes.take import TakeWriter  # noqa: E402


def main() -> None:
    url, worker, count, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with ResultsStore.open(url) as store:
        session = attempt_uuid("headset-session", worker)
        for i in range(count):
            take = random_take(45, seed=worker * 100 + i, tools=())
            path = folder / f"attempt-{i}.vrtake"
            writer = TakeWriter(path, take.meta, with_head=True)
            for k in range(take.n_frames):
                writer.append(take.frame(k), head=take.head[k], head_flags=15)
            writer.close()
            record = make_record(
                worker * 1000 + i,
                trainee=f"headset-{worker}",
                session_uuid=session,
                attempt_uuid=attempt_uuid("headset", worker, i),
                take_path=str(path),
            )
            first = store.record_attempt(record)
            again = store.record_attempt(record)
            assert first == again, (first, again)


if __name__ == "__main__":
    main()
