"""Compile the comparator's kernels ahead of the first score (``python -m vrtrainer.compare.warm``).

numba compiles each kernel on its first call and keeps it in the cache that
:func:`vrtrainer.numba_cache_dir` names; ``make setup`` runs this once so that
the first score a trainee or a command asks for loads kernels instead of
compiling them (seconds instead of tens of seconds on a small machine).
"""

from __future__ import annotations

import threading
import time

from vrtrainer import numba_cache_dir
from vrtrainer.compare.dtw import dtw_matrix
from vrtrainer.compare.live import LiveAligner
from vrtrainer.compare.score import score_take
from vrtrainer.compare.template import build_template
from vrtrainer.hands import sim


def warm() -> float:
    """Build a template, follow a take live and score it (built-in simulated gestures);
    returns the seconds it took."""
    t0 = time.perf_counter()
    template = build_template([sim.simulate("pinch", seed=s) for s in (1, 2)], name="pinch")
    take = sim.simulate("pinch", role="trainee", seed=5)
    aligner = LiveAligner(template)
    for i in range(min(10, take.n_frames)):
        aligner.step(take.frame(i))
    score_take(take, template)
    dtw_matrix([template.values[:20], template.values[:30]])
    return time.perf_counter() - t0


_warmed = threading.Event()
_warming = threading.Lock()


def warm_once() -> None:
    """:func:`warm` the first time a process asks, before a session's first frame: a
    kernel compiled on the frame loop (or on the scoring worker, which holds the
    interpreter lock while numba compiles) froze a headset's frames for seconds."""
    with _warming:
        if not _warmed.is_set():
            warm()
            _warmed.set()


def main() -> None:
    print(f"comparator kernels ready in {warm():.1f} s (cache {numba_cache_dir()})")


if __name__ == "__main__":
    main()
