"""Speed of a whole headless attempt through the frame loop, as a multiple of real time.

The same scripted attempt (a simulated trainee with a flaw, through intro,
watch, attempt, feedback) runs three ways, for a built-in gesture and for a
scenario pack step:

* rendered: every frame of the session drawn in stereo offscreen (EGL,
  llvmpipe here) at the given eye size, as ``vrtrainer train`` does;
* not rendered: the same loop without drawing;
* the loop alone: not rendered and with a coach that does no comparison, so
  what is left is the loop's own CPU per frame (backend, session state,
  take recording, timings) without rendering and scoring.

Peers, side by side in the same run: the rendered attempt drawn with one GL
draw per joint and bone (the render benchmark's peer), and the loop alone
with a backend that allocates a fresh frame (hands, views) every frame, as a
straightforward loop would. Building the comparator template is a one-off per
session and is timed apart; every run here starts after a warm-up run (numba
kernels loaded, GL shaders compiled).

Attempt ends: a session of several attempts (retries), paced at 90 Hz like a
headset, rendered, every attempt stored in SQLite, run with attempts finished
on the worker thread and, as the peer, inline on the loop's thread. Reported:
the loop's own work per frame (update + render + submit, i.e. all but the wait
for the next frame) at p99.9 and max over the session, and max over the frames
while an ended attempt was being finished; the target is no frame above 11 ms
(90 Hz).

Run: ``PYOPENGL_PLATFORM=egl python benchmarks/session_speed.py [--size 320x240]``
(``--ends-only`` for the attempt-end runs alone).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np  # noqa: E402

from vrtrainer.app.training import TrainingOptions, run_training, simulated_performances  # noqa: E402
from vrtrainer.backends.base import FrameState  # noqa: E402
from vrtrainer.backends.scripted import PersonScript, SimulatedBackend  # noqa: E402
from vrtrainer.hands.hand import HandFrame  # noqa: E402
from vrtrainer.session.listeners import SessionListener  # noqa: E402
from vrtrainer.session.loop import run_loop  # noqa: E402
from vrtrainer.session.plan import steps_for  # noqa: E402
from vrtrainer.session.training import (  # noqa: E402
    AttemptEndTimings,
    AttemptScore,
    LiveFeedback,
    TrainingSession,
)

REAL_RATE = 90.0


class NullCoach:
    """A coach that compares nothing: the loop's cost without scoring."""

    template = None

    def start(self) -> None:
        pass

    def live(self, hands, tools, tool_flags, out: LiveFeedback) -> LiveFeedback:
        return out

    def gauges_now(self) -> list:
        return []

    def final(self, take) -> AttemptScore:
        return AttemptScore(score=0.0, passed=False, rejected=False, breakdown={}, messages=[])


class AllocatingBackend(SimulatedBackend):
    """The naive peer: a new hand frame and new eye views every frame."""

    def wait_frame(self, state: FrameState) -> bool:
        state.hands = HandFrame()
        state.views.clear()
        return super().wait_frame(state)


def rendered_with_per_primitive_draws():
    """Swap the renderer for the per-joint-draw peer of benchmarks/render_speed.py."""
    from render_speed import PerPrimitiveRenderer

    import vrtrainer.render as render

    real = render.Renderer
    render.Renderer = PerPrimitiveRenderer
    return lambda: setattr(render, "Renderer", real)


def attempt(target: str, flaws: list[str], size: tuple[int, int] | None) -> dict[str, float]:
    """One full headless session; speed as a multiple of real time and frame timings."""
    with tempfile.TemporaryDirectory() as out:
        opts = TrainingOptions(target=target, flaws=flaws, out_dir=Path(out), store=False,
                               render=size is not None, size=size or (320, 240))
        cpu0 = time.process_time()
        run = run_training(opts)
        cpu = time.process_time() - cpu0
    loop, t = run.loop, run.timings
    return {"realtime_x": loop.session_seconds / loop.wall_seconds, "frames": loop.frames,
            "wall_ms_per_frame": loop.wall_seconds / loop.frames * 1e3,
            "process_cpu_ms_per_frame": cpu / loop.frames * 1e3,
            "render_ms_p50": t["render"]["p50"], "update_ms_p50": t["update"]["p50"],
            "wait_ms_p50": t["wait"]["p50"]}


def loop_alone(target: str, flaws: list[str], backend_type=SimulatedBackend
               ) -> dict[str, float]:
    """The loop without rendering and scoring: this thread's CPU per frame."""
    steps = steps_for(target)
    opts = TrainingOptions(target=target, flaws=flaws)
    performances = simulated_performances(opts, steps)
    for step in steps:
        step.coach = NullCoach()
    with tempfile.TemporaryDirectory() as out:
        backend = backend_type(performances, script=opts.script)
        session = TrainingSession(steps, out, source="benchmark")
        cpu0 = time.thread_time()
        result = run_loop(backend, session)
        cpu = time.thread_time() - cpu0
    return {"cpu_ms_per_frame": cpu / result.frames * 1e3, "frames": result.frames,
            "realtime_x": result.session_seconds / result.wall_seconds}


def attempt_ends(target: str, flaws: list[str], size: tuple[int, int] | None, inline: bool,
                 retries: int) -> dict[str, float]:
    """A paced session of ``retries + 1`` attempts, each stored, rendered at ``size``
    (None: not rendered): loop work per frame, over the session and while attempts
    were finished."""
    import uuid

    from vrtrainer.app.training import store_attempt
    from vrtrainer.render.presenter import SessionPresenter
    from vrtrainer.render.scene import scene_of_pack
    from vrtrainer.render.surfaces import OffscreenTargets
    from vrtrainer.results import ResultsStore

    steps = steps_for(target)
    script = PersonScript(retries=retries)
    opts = TrainingOptions(target=target, flaws=flaws, script=script)
    performances = simulated_performances(opts, steps)
    with tempfile.TemporaryDirectory() as out:
        store = ResultsStore.open(f"sqlite:///{out}/results.db")
        offscreen = presenter = None
        if size is not None:
            pack = steps[0].pack_path
            offscreen = OffscreenTargets(*size, scene=None if pack is None else scene_of_pack(pack))
            presenter = SessionPresenter(offscreen.renderer)
        try:
            backend = SimulatedBackend(performances, script=script, targets=offscreen,
                                       paced=True)
            session_id = str(uuid.uuid4())

            class Storing(SessionListener):
                def attempt_finished(self, session, outcome) -> None:
                    if outcome.score is not None:
                        store_attempt(store, outcome, outcome.score, steps, opts, session_id,
                                      backend.describe())

            session = TrainingSession(steps, out, source="benchmark", listeners=[Storing()],
                                      renderer=presenter, finish_inline=inline)
            timings = session.timings = AttemptEndTimings(session)
            run_loop(backend, session)
        finally:
            if offscreen is not None:
                offscreen.close()
            store.close()
    return timings.report()


def best(runs: list[dict[str, float]], key: str, high: bool = True) -> dict[str, float]:
    return (max if high else min)(runs, key=lambda r: r[key])


def attempt_end_table(targets: list[str], flaws: list[str], size: tuple[int, int],
                      retries: int) -> dict:
    """Paced sessions with attempts finished on the worker and inline, side by side."""
    rows = {}
    for target in targets:
        attempt(target, flaws, size)  # warm-up: kernels, shaders, caches
        for mode, inline in (("worker", False), ("inline (peer)", True)):
            rows[f"{target} {mode}"] = attempt_ends(target, flaws, size, inline, retries)
    print(f"attempt ends: paced 90 Hz sessions, {retries + 1} attempts each stored, stereo "
          f"{size[0]}x{size[1]}, load average {os.getloadavg()[0]:.1f}; loop work per frame "
          "(update + render + submit) in ms, wall and the loop thread's CPU")
    print(f"{'session':34} {'frames':>6} {'p50':>6} {'p99.9':>7} {'max':>7} "
          f"{'end frames':>10} {'end max':>8} {'>11 ms':>6} {'cpu p99.9':>9} {'cpu max':>8} "
          f"{'end cpu max':>11}")
    for name, r in rows.items():
        print(f"{name:34} {r['frames']:6d} {r['work_ms_p50']:6.2f} {r['work_ms_p999']:7.2f} "
              f"{r['work_ms_max']:7.2f} {r['end_frames']:10d} {r['end_work_ms_max']:8.2f} "
              f"{r['over_11ms']:6d} {r['cpu_ms_p999']:9.2f} {r['cpu_ms_max']:8.2f} "
              f"{r['end_cpu_ms_max']:11.2f}")
    worst = max(r["work_ms_max"] for k, r in rows.items() if "peer" not in k)
    worst_cpu = max(r["cpu_ms_max"] for k, r in rows.items() if "peer" not in k)
    return {"worst_frame_ms": round(worst, 2), "worst_frame_cpu_ms": round(worst_cpu, 2),
            "rows": rows,
            "load_average": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["pinch", "cpr-compressions"])
    parser.add_argument("--flaw", default="slow=1.3")
    parser.add_argument("--size", default="320x240", help="eye size WxH")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (best kept)")
    parser.add_argument("--retries", type=int, default=3,
                        help="retries in the attempt-end sessions (attempts = retries + 1)")
    parser.add_argument("--ends-only", action="store_true",
                        help="only the paced attempt-end sessions")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    flaws = [args.flaw]

    ends = attempt_end_table(args.targets, flaws, size, args.retries)
    if args.ends_only:
        print(json.dumps({"benchmark": "session_speed", "load_average": os.getloadavg()[0],
                          "worst_frame_ms": ends["worst_frame_ms"], "attempt_ends": ends}))
        return

    rows: dict[str, dict[str, dict[str, float]]] = {}
    build: dict[str, float] = {}
    for target in args.targets:
        t0 = time.perf_counter()
        steps_for(target)
        build[target] = time.perf_counter() - t0
        attempt(target, flaws, size)  # warm-up: kernels, shaders, caches
        r = args.repeat
        rows[target] = {
            "rendered": best([attempt(target, flaws, size) for _ in range(r)], "realtime_x"),
            "not rendered": best([attempt(target, flaws, None) for _ in range(r)],
                                 "realtime_x"),
            "loop alone": best([loop_alone(target, flaws) for _ in range(r)],
                               "cpu_ms_per_frame", high=False),
            "loop alone, allocating (peer)": best(
                [loop_alone(target, flaws, AllocatingBackend) for _ in range(r)],
                "cpu_ms_per_frame", high=False),
        }
        restore = rendered_with_per_primitive_draws()
        try:
            attempt(target, flaws, size)
            rows[target]["rendered, per-joint draws (peer)"] = best(
                [attempt(target, flaws, size) for _ in range(r)], "realtime_x")
        finally:
            restore()

    print(f"headless attempt ({args.flaw}), stereo {size[0]}x{size[1]} eyes, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"real time = {REAL_RATE:.0f} Hz frames; best of {args.repeat}")
    print(f"{'target':18} {'mode':34} {'x real time':>11} {'wall ms/fr':>10} "
          f"{'cpu ms/fr':>9} {'render p50':>10} {'update p50':>10}")
    for target, modes in rows.items():
        for mode, m in modes.items():
            wall = m.get("wall_ms_per_frame", 1e3 / REAL_RATE / m["realtime_x"])
            cpu = m.get("process_cpu_ms_per_frame", m.get("cpu_ms_per_frame"))
            render = m.get("render_ms_p50")
            update = m.get("update_ms_p50")
            print(f"{target:18} {mode:34} {m['realtime_x']:11.1f} {wall:10.3f} {cpu:9.3f} "
                  f"{'' if render is None else f'{render:10.3f}':>10} "
                  f"{'' if update is None else f'{update:10.3f}':>10}")
        print(f"{target:18} {'template build (one-off)':34} {build[target]:10.2f} s")
    figures = {
        "benchmark": "session_speed", "eye_size": list(size),
        "load_average": os.getloadavg()[0],
        f"realtime_x_render_{size[0]}x{size[1]}": float(np.min(
            [m["rendered"]["realtime_x"] for m in rows.values()])),
        "realtime_x_norender": float(np.min(
            [m["not rendered"]["realtime_x"] for m in rows.values()])),
        "loop_cpu_ms_per_frame": float(np.max(
            [m["loop alone"]["cpu_ms_per_frame"] for m in rows.values()])),
        "template_build_s": build,
        "worst_frame_ms": ends["worst_frame_ms"],
        "attempt_ends": ends,
        "results": rows,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
