"""CPU cost and GL calls per stereo frame of the renderer, against per-primitive drawing.

A representative training frame: both live hands of a simulated trainee
(coloured by per-joint errors), both ghost hands of the expert, the workbench
scene, a tracked torch and a cue panel whose score, progress and gauge change
every frame. Eyes are rendered small so that llvmpipe's rasterisation does not
hide the CPU cost of issuing the frame.

The peer is the same renderer drawing each joint and bone with its own draw
call (the usual non-instanced way); it shares everything else, so the ratio is
the gain of instancing. "issue" times the Python + GL calls; "finished" adds
glFinish, i.e. the rasterisation as well.

Run: ``PYOPENGL_PLATFORM=egl python benchmarks/render_speed.py [--frames N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np  # noqa: E402
from OpenGL import GL  # noqa: E402

import vrtrainer.render.meshes as meshes_module  # noqa: E402
import vrtrainer.render.renderer as renderer_module  # noqa: E402
from vrtrainer.hands.hand import HandFrame  # noqa: E402
from vrtrainer.hands.sim import simulate  # noqa: E402
from vrtrainer.render import (  # noqa: E402
    Cues,
    EglContext,
    Framebuffer,
    Gauge,
    Renderer,
    SceneState,
    stereo_views,
)
from vrtrainer.render.camera import look_at_pose  # noqa: E402


class PerPrimitiveRenderer(Renderer):
    """The peer: one draw call per joint sphere and bone capsule."""

    def _draw_hands(self) -> None:
        for i in range(self.instances.count):
            GL.glDrawElementsInstancedBaseInstance(
                GL.GL_TRIANGLES, self._hand_index_count, GL.GL_UNSIGNED_INT, None, 1, i)


class CountingGL:
    """Stands in for the OpenGL.GL module and counts calls of gl* functions.

    With ``call=False`` the calls are only counted, not made: what is left of
    the frame's cost is the renderer's own Python.
    """

    def __init__(self, gl, call: bool = True) -> None:
        self._gl = gl
        self._call = call
        self.calls = 0
        self._wrapped: dict[str, object] = {}

    def __getattr__(self, name: str):
        value = getattr(self._gl, name)
        if not name.startswith("gl") or not callable(value):
            return value
        wrapped = self._wrapped.get(name)
        if wrapped is None:
            def wrapped(*args, _f=value, **kwargs):
                self.calls += 1
                return _f(*args, **kwargs) if self._call else None
            self._wrapped[name] = wrapped
        return wrapped


def make_frames(n: int):
    """Trainee and expert frames of a two-handed gesture, errors and changing cues."""
    trainee = simulate("clap", role="trainee", flaws=("tremor=3",), seed=1)
    expert = simulate("clap", role="expert", seed=1)
    frames = []
    for i in range(n):
        live, ghost = HandFrame(), HandFrame()
        trainee.frame(i % trainee.n_frames, live)
        expert.frame(i % expert.n_frames, ghost)
        live.time = ghost.time = i / 90.0
        errors = np.linalg.norm(live.poses[..., :3] - ghost.poses[..., :3], axis=-1)
        frames.append((live, ghost, errors))
    return frames


def run(renderer: Renderer, frames, targets, views, finish: bool) -> tuple[float, float]:
    """Render all frames; (wall seconds, this thread's CPU seconds) per stereo frame."""
    state = SceneState(tolerance=0.02, tools={"torch": None}, cues=Cues(
        instruction_fr="Frappez des mains au rythme de l'expert",
        instruction_en="Clap your hands in time with the expert",
        gauges=[Gauge("Rythme", 1.0, 1.0, 0.8, 1.2, "Hz"), Gauge("Angle", 15, 15, 10, 20, "°")]))
    torch = look_at_pose([0.25, 1.0, -0.3], [0.1, 0.95, -0.45])
    start, cpu_start = time.perf_counter(), time.thread_time()
    for i, (live, ghost, errors) in enumerate(frames):
        state.hands, state.ghost, state.joint_errors = live, ghost, errors
        state.time = live.time
        torch[1] = 1.0 + 0.001 * (i % 50)
        state.tools["torch"] = torch
        cues = state.cues
        cues.progress = i / len(frames)
        cues.score = 60 + (i % 40)
        cues.gauges[0].value = 0.9 + 0.005 * (i % 60)
        renderer.render_stereo(views, targets, state)
        if finish:
            GL.glFinish()
    GL.glFinish()
    n = len(frames)
    return (time.perf_counter() - start) / n, (time.thread_time() - cpu_start) / n


def count_calls(renderer: Renderer, frames, targets, views, call: bool = True
                ) -> tuple[float, float]:
    """GL calls per frame and this thread's CPU ms per frame with the counting shim."""
    global GL
    real = GL
    counter = CountingGL(real, call)
    renderer_module.GL = meshes_module.GL = GL = counter
    try:
        _, cpu = run(renderer, frames, targets, views, finish=False)
        counter.calls -= 1  # run's closing glFinish
    finally:
        renderer_module.GL = meshes_module.GL = GL = real
    return counter.calls / len(frames), cpu * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="160x120", help="eye size WxH")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    context = EglContext()
    frames = make_frames(args.frames)
    views = stereo_views(look_at_pose([0.0, 1.45, 0.05], [0.0, 1.05, -0.40]))
    fbs = [Framebuffer(width, height) for _ in views]
    targets = [fb.target for fb in fbs]
    contenders = {"instanced (vrtrainer)": Renderer(),
                  "per-primitive draws (peer)": PerPrimitiveRenderer()}
    results = {}
    for name, renderer in contenders.items():
        run(renderer, frames[:30], targets, views, finish=True)  # warm-up: JIT, caches
        wall, cpu = min(run(renderer, frames, targets, views, finish=False) for _ in range(3))
        finished = min(run(renderer, frames, targets, views, finish=True)[0] for _ in range(2))
        calls, _ = count_calls(renderer, frames[:60], targets, views)
        python = min(count_calls(renderer, frames, targets, views, call=False)[1]
                     for _ in range(3))
        results[name] = {"cpu_ms": cpu * 1e3, "python_ms": python, "wall_ms": wall * 1e3,
                         "finished_ms": finished * 1e3, "gl_calls": calls,
                         "instances": renderer.instances.count}
    best = min(r["cpu_ms"] for r in results.values())
    print(f"stereo frame, 2 x {width}x{height}, {args.frames} frames, {context_info()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("cpu ms: this thread's CPU time issuing the frame (Python + GL driver, no waiting); "
          "python ms: the same with GL calls counted but not made; wall ms: issuing in wall "
          "time; finished ms: wall time with glFinish per frame")
    print(f"{'renderer':28} {'cpu ms':>7} {'ratio':>6} {'python ms':>10} {'wall ms':>8} "
          f"{'finished ms':>12} {'GL calls':>9}")
    for name, r in results.items():
        print(f"{name:28} {r['cpu_ms']:7.3f} {r['cpu_ms'] / best:6.2f} {r['python_ms']:10.3f} "
              f"{r['wall_ms']:8.3f} {r['finished_ms']:12.3f} {r['gl_calls']:9.1f}")
    ours = results["instanced (vrtrainer)"]
    print(json.dumps({"benchmark": "render_speed", "eye_size": [width, height],
                      "frames": args.frames, "cpu_ms_per_stereo_frame": ours["cpu_ms"],
                      "python_ms_per_stereo_frame": ours["python_ms"],
                      "wall_ms_per_stereo_frame": ours["wall_ms"],
                      "finished_ms_per_stereo_frame": ours["finished_ms"],
                      "gl_calls_per_stereo_frame": ours["gl_calls"],
                      "hand_instances": ours["instances"], "results": results}))
    for fb in fbs:
        fb.delete()
    context.close()


def context_info() -> str:
    return GL.glGetString(GL.GL_RENDERER).decode()


if __name__ == "__main__":
    main()
