"""Speed summaries leave numba's compilation out of session time and say it on its own line."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
from numba import njit

from vrtrainer.backends.base import Display, FrameState
from vrtrainer.session.loop import FrameTimings, run_loop
from vrtrainer.session.verdict import speed_lines


class _Frames:
    """A backend of ``n`` frames at 90 Hz virtual time, nothing drawn."""

    name, tool_names = "test", ()

    def __init__(self, n: int) -> None:
        self.n, self.i = n, 0

    def begin(self) -> None:
        pass

    def wait_frame(self, state) -> bool:
        if self.i >= self.n:
            return False
        self.i += 1
        state.display_time = self.i / 90.0
        state.should_render = False
        return True

    def render_targets(self):
        return []

    def end_frame(self, state, display) -> None:
        pass

    def close(self) -> None:
        pass

    def describe(self):
        return {}


class _CompilesOnce:
    """An application whose third frame calls a kernel never compiled before."""

    def __init__(self) -> None:
        self.timings = FrameTimings()
        self.finished = False
        self.frames = 0
        # a fresh function each time (no cache): its first call compiles
        self.kernel = njit(lambda a: (a * 2.0 + np.sin(a)).sum())

    def update(self, state: FrameState) -> Display:
        self.frames += 1
        if self.frames == 3:
            self.kernel(np.arange(10.0))
        return Display(phase="attempt")

    def render(self, state, targets) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_compilation_in_the_loop_is_measured_apart():
    app = _CompilesOnce()
    t0 = time.perf_counter()
    loop = run_loop(_Frames(20), app)
    elapsed = time.perf_counter() - t0
    assert loop.frames == 20
    assert loop.compile_seconds > 0.0
    assert loop.wall_seconds <= elapsed - loop.compile_seconds + 1e-6
    # the frame that compiled is not among the frame timings
    assert app.timings.count == 19


def test_speed_lines_say_compilation_on_its_own_line_in_the_language():
    loop = SimpleNamespace(frames=2400, session_seconds=40.0, wall_seconds=19.54,
                           compile_seconds=12.3)
    timings = {"total": {"p50": 6.19, "p99": 34.4}}
    en = speed_lines(loop, timings, "en")
    assert en[0] == ("2400 frames, 40.0 s of session in 19.5 s (2.0x real time); "
                     "CPU per frame p50 6.19 ms, p99 34.40 ms")
    assert len(en) == 2 and "12.3 s" in en[1] and "first run only" in en[1]
    fr = speed_lines(loop, timings, "fr")
    assert fr[0] == ("2400 images, 40,0 s de séance en 19,5 s (2,0x le temps réel) ; "
                     "CPU par image p50 6,19 ms, p99 34,40 ms")
    assert "12,3 s" in fr[1] and "premier lancement" in fr[1]
    warm = SimpleNamespace(**{**vars(loop), "compile_seconds": 0.0})
    assert len(speed_lines(warm, timings, "en")) == 1
