"""The frame loop does not allocate large arrays per frame (tracemalloc over 1000 frames)."""

from __future__ import annotations

import tracemalloc

from vrtrainer.app.training import TrainingOptions, simulated_performances
from vrtrainer.backends.scripted import PersonScript, SimulatedBackend
from vrtrainer.session.loop import run_loop
from vrtrainer.session.plan import steps_for
from vrtrainer.session.training import TrainingSession

#: Most a frame may allocate and free again (bytes): small objects, no frame-sized arrays.
#: One pose array of a single hand frame is 2 * 26 * 7 * 4 = 1456 bytes.
MAX_TRANSIENT_PER_FRAME = 64 * 1024


class Traced:
    """A backend wrapper that measures each frame's transient Python allocation."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.name, self.tool_names = backend.name, backend.tool_names
        self.per_frame: list[tuple[int, str, int]] = []
        self._start = 0
        self._phase = ""

    def begin(self) -> None:
        self.backend.begin()

    def wait_frame(self, state) -> bool:
        tracemalloc.reset_peak()
        self._start = tracemalloc.get_traced_memory()[0]
        return self.backend.wait_frame(state)

    def render_targets(self):
        return self.backend.render_targets()

    def end_frame(self, state, display) -> None:
        self.backend.end_frame(state, display)
        peak = tracemalloc.get_traced_memory()[1]
        self.per_frame.append((state.index, display.phase, peak - self._start))

    def close(self) -> None:
        self.backend.close()

    def describe(self):
        return self.backend.describe()


def test_frames_allocate_no_large_arrays(tmp_path):
    steps = steps_for("pinch")
    opts = TrainingOptions(target="pinch", flaws=["slow=1.3"])
    performances = simulated_performances(opts, steps)
    # Retries make the session run past 1000 frames through every phase.
    script = PersonScript(retries=1)
    warm = SimulatedBackend(performances, script=script)
    run_loop(warm, TrainingSession(steps, tmp_path / "warm", source="test"))
    backend = Traced(SimulatedBackend(performances, script=script))
    # Attempts finished inline: tracemalloc counts every thread, and a worker's
    # allocations would land on whichever frame the loop was drawing.
    session = TrainingSession(steps, tmp_path / "run", source="test", finish_inline=True)
    tracemalloc.start()
    try:
        result = run_loop(backend, session)
    finally:
        tracemalloc.stop()
    assert result.frames >= 1000
    # Frames where a phase ends (an attempt is scored, a take finalised) may allocate;
    # every other frame stays small.
    changes = {i for i, (_, phase, _) in enumerate(backend.per_frame)
               if i and backend.per_frame[i - 1][1] != phase}
    steady = [(i, phase, size) for k, (i, phase, size) in enumerate(backend.per_frame)
              if k not in changes and k - 1 not in changes]
    worst = max(steady, key=lambda r: r[2])
    assert worst[2] < MAX_TRANSIENT_PER_FRAME, worst
