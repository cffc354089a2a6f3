"""The frame loop: one loop for every backend, with its CPU budget kept visible.

It asks the backend for the next frame, lets the application update and
render, submits, and times each part. It knows nothing of which backend feeds
it, nor of what the application does.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from vrtrainer.backends.base import Backend, Display, FrameState, RenderTarget
from vrtrainer.compare.compiling import compile_seconds


class Application(Protocol):
    """What the loop drives: the training session, or anything shaped like it."""

    @property
    def finished(self) -> bool:
        """True once the application has nothing more to do."""

    def update(self, state: FrameState) -> Display:
        """Advance one frame with the backend's state; say what is shown."""

    def render(self, state: FrameState, targets: list[RenderTarget]) -> None:
        """Draw the frame into the backend's targets (one per view)."""

    def close(self) -> None:
        """Finish: keep what was recorded, whatever happened."""


PARTS = ("wait", "update", "render", "submit", "total")


class FrameTimings:
    """Per-frame CPU times (ms) of each part of the loop, in preallocated rings.

    ``last`` holds the latest frame's times for a debug overlay; :meth:`summary`
    gives percentiles over the last ``capacity`` frames.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._ms = np.zeros((len(PARTS), capacity))
        self.count = 0
        self.last = dict.fromkeys(PARTS, 0.0)

    def record(self, wait: float, update: float, render: float, submit: float) -> None:
        i = self.count % self.capacity
        total = wait + update + render + submit
        for k, v in enumerate((wait, update, render, submit, total)):
            self._ms[k, i] = v * 1000.0
        self.count += 1
        self.last["wait"], self.last["update"], self.last["render"] = (
            wait * 1e3, update * 1e3, render * 1e3)
        self.last["submit"], self.last["total"] = submit * 1e3, total * 1e3

    def summary(self) -> dict[str, dict[str, float]]:
        """p50, p95, p99 and max of each part in milliseconds, over recent frames."""
        n = min(self.count, self.capacity)
        if n == 0:
            return {}
        out = {}
        for k, part in enumerate(PARTS):
            v = self._ms[k, :n]
            p50, p95, p99 = np.percentile(v, [50, 95, 99])
            out[part] = {"p50": float(p50), "p95": float(p95), "p99": float(p99),
                         "max": float(v.max())}
        out["frames"] = {"count": float(self.count)}
        return out


@dataclass
class LoopResult:
    """How a loop went. ``wall_seconds`` leaves out ``compile_seconds``, the time numba
    spent compiling kernels during the loop (a cold cache, the first run only); frames
    during which it compiled are not in the frame timings either."""

    frames: int
    wall_seconds: float
    session_seconds: float
    ended_by: str
    compile_seconds: float = 0.0


def run_loop(backend: Backend, app: Application, timings: FrameTimings | None = None,
             state: FrameState | None = None) -> LoopResult:
    """Run frames until the application finishes or the backend ends.

    What exists when the loop starts (modules, templates, the scene) is kept out of
    the garbage collector's full passes for the loop's duration (``gc.freeze``):
    walking it took 80-110 ms, a frozen image in the headset, whenever a full pass
    fell on a frame.
    """
    timings = timings or getattr(app, "timings", None) or FrameTimings()
    state = state or FrameState(tool_names=backend.tool_names)
    clock = time.perf_counter
    ended_by = "backend"
    compiled0 = compile_seconds()
    wall0 = clock()
    frames = 0
    compiled_before = compiled0
    backend.begin()
    gc.collect()
    gc.freeze()
    try:
        while True:
            t0 = clock()
            if not backend.wait_frame(state):
                break
            t1 = clock()
            display = app.update(state)
            t2 = clock()
            if state.should_render:
                app.render(state, backend.render_targets())
            t3 = clock()
            backend.end_frame(state, display)
            t4 = clock()
            compiled = compile_seconds()
            if compiled == compiled_before:
                timings.record(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
            compiled_before = compiled
            frames += 1
            if app.finished:
                ended_by = "application"
                break
    finally:
        try:
            app.close()
        finally:
            try:
                backend.close()
            finally:
                gc.unfreeze()
    compiled = compile_seconds() - compiled0
    return LoopResult(frames, max(clock() - wall0 - compiled, 0.0), state.display_time,
                      ended_by, compiled)
