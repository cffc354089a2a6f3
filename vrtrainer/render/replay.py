"""Aligned replay: a take as the trainee's hands beside the expert ghost, matched by DTW.

The alignment is :func:`vrtrainer.compare.aligned.align`; this draws it. Joints
are coloured by the comparator's error in tolerances at that moment, and the
panel shows the take's score. Frames go to PNG files (headless) or to a desktop
mirror window.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from vrtrainer.compare import build_template, load_template
from vrtrainer.compare.aligned import AlignedReplay
from vrtrainer.compare.wording import comparator_message, joint_phrase, verdict_word
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.hand import HAND_NAMES, JOINT_NAMES, HandFrame
from vrtrainer.takes.take import Take, load_take


def resolve_ghost(template: Any, reference_path: Path, ghost: Path | None) -> Take:
    """The expert take to show for a reference: given, one of its experts on disk, or the
    built-in gesture simulated."""
    if ghost is not None:
        return load_take(ghost)
    for e in template.experts:
        if not e.get("used", True):
            continue
        for candidate in (Path(e["name"]), reference_path.parent / Path(e["name"]).name):
            if candidate.suffix == ".vrtake" and candidate.is_file():
                return load_take(candidate)

    if template.name in sim.GESTURES:
        return sim.simulate(template.name, role="expert", seed=0, hand=template.handedness)
    raise VrtrainerError(f"{reference_path}: its expert takes are not found beside it; "
                         "give one with --ghost EXPERT.vrtake")


def load_against(take: Take, against: Path, ghost: Path | None = None
                 ) -> tuple[Any, Take]:
    """Template and ghost for ``--against``: a reference (.vrref) or an expert take."""

    if against.suffix == ".vrref":
        tpl = load_template(against)
        return tpl, resolve_ghost(tpl, against, ghost)
    expert = load_take(against)
    name = expert.meta.extra.get("gesture", "") or against.stem
    tpl = build_template([expert], name=name, names=[str(against)])
    return tpl, load_take(ghost) if ghost is not None else expert


def _cues(replay: AlignedReplay, i: int, language: str) -> Any:
    from vrtrainer.render import Cues

    s = replay.score
    t = replay.take

    verdict = verdict_word(s.passed, s.rejected, language)
    first = comparator_message(s.messages[0], language) if s.messages else ""
    return Cues(progress=i / max(t.n_frames - 1, 1), score=s.total, passed=s.passed,
                language=language,
                title=f"replay — {t.meta.performer or 'take'} vs {replay.template.name}",
                instruction_fr=f"{t.times[i] - t.times[0]:.2f} s", instruction_en=
                f"{t.times[i] - t.times[0]:.2f} s", message=f"{verdict}. {first}".strip())


def _fill(replay: AlignedReplay, i: int, state: Any, live: Any, expert: Any) -> None:
    take = replay.take
    take.frame(i, live)
    replay.ghost.frame(int(replay.ghost_frame[i]), expert)
    state.joint_errors = replay.joint_z[i]
    state.tools = take.tools_at(i)


def write_frames(replay: AlignedReplay, out_dir: str | Path, every: float = 0.25,
                 size: tuple[int, int] = (480, 360), language: str = "en") -> list[Path]:
    """PNG frames every ``every`` seconds of the take, one view framing the hands."""
    from vrtrainer.render import EglContext, Framebuffer, Renderer, SceneState
    from vrtrainer.render.camera import stereo_views
    from vrtrainer.render.scene import scene_for_take
    from vrtrainer.render.snapshots import SNAPSHOT_FOV, framing_view

    if every <= 0:
        raise VrtrainerError(f"the interval between frames must be positive, not {every}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    take = replay.take
    view = stereo_views(framing_view(take).pose, fov=SNAPSHOT_FOV)[0]
    paths = []
    with EglContext():
        renderer = Renderer(scene_for_take(take))
        fb = Framebuffer(*size, samples=4)
        live, expert = HandFrame(), HandFrame()
        state = SceneState(hands=live, ghost=expert, tolerance=1.0)
        t0 = float(take.times[0])
        for k, t in enumerate(np.arange(0.0, take.duration + 1e-9, every)):
            i = min(int(np.searchsorted(take.times, t0 + t, side="right")) - 1,
                    take.n_frames - 1)
            _fill(replay, i, state, live, expert)
            state.cues = _cues(replay, i, language)
            renderer.update(state)
            renderer.render_view(view, fb.target)
            path = fb.save_png(out_dir / f"replay_{k:04d}.png")
            _caption(path, replay, i, language)
            paths.append(path)
        fb.delete()
        renderer.close()
    return paths


#: The caption's words: score, time, and the joint furthest from the expert.
_CAPTION = {
    "en": ("score {score}  {t} s  worst: {joint}, {z}x tolerance",
           "score {score}  {t} s  all joints within tolerance"),
    "fr": ("score {score}  {t} s  le plus loin : {joint}, {z}x la tolérance",
           "score {score}  {t} s  toutes les articulations dans la tolérance"),
}


def caption_text(replay: AlignedReplay, i: int, language: str = "en") -> str:
    """The caption of take frame ``i``: score, time, and the worst joint named in words."""
    s, t = replay.score, replay.take
    z = replay.joint_z[i]
    words = _CAPTION["fr" if language == "fr" else "en"]
    number = (lambda v, d: f"{v:.{d}f}".replace(".", ",")) if language == "fr" else (
        lambda v, d: f"{v:.{d}f}")
    score, when = f"{s.total:.0f}", number(float(t.times[i] - t.times[0]), 2)
    if not np.isfinite(z).any() or float(np.nanmax(z)) <= 1.0:
        return words[1].format(score=score, t=when)
    h, j = np.unravel_index(int(np.nanargmax(z)), z.shape)
    joint = joint_phrase(f"{HAND_NAMES[h]}.{JOINT_NAMES[j]}", language)
    return words[0].format(score=score, t=when, joint=joint, z=number(float(z[h, j]), 1))


def _caption(path: Path, replay: AlignedReplay, i: int, language: str = "en") -> None:
    """Write the score, time and worst joint over the frame (the panel is out of view)."""
    from vrtrainer.render.snapshots import draw_caption

    draw_caption(path, caption_text(replay, i, language))


def play_in_window(replay: AlignedReplay, size: tuple[int, int] = (640, 480),
                   language: str = "en", speed: float = 1.0) -> int:
    """Play the aligned replay once in real time in a mirror window; returns frames shown.

    Space pauses, escape or q closes.
    """

    from vrtrainer.render import Framebuffer, MirrorWindow, Renderer, SceneState
    from vrtrainer.render.camera import stereo_views
    from vrtrainer.render.scene import scene_for_take
    from vrtrainer.render.snapshots import SNAPSHOT_FOV, framing_view

    take = replay.take
    view = stereo_views(framing_view(take).pose, fov=SNAPSHOT_FOV)[0]
    window = MirrorWindow(*size, title="vrtrainer replay")
    shown = 0
    try:
        renderer = Renderer(scene_for_take(take))
        fb = Framebuffer(*size)
        live, expert = HandFrame(), HandFrame()
        state = SceneState(hands=live, ghost=expert, tolerance=1.0)
        clock, paused, t = time.perf_counter, False, 0.0
        last = clock()
        while t <= take.duration and not window.should_close:
            keys = window.poll_keys()
            if any(k in ("escape", "q") for k in keys):
                break
            if "space" in keys:
                paused = not paused
            now = clock()
            t += 0.0 if paused else (now - last) * speed
            last = now
            i = min(int(np.searchsorted(take.times, take.times[0] + t, side="right")) - 1,
                    take.n_frames - 1)
            _fill(replay, i, state, live, expert)
            state.cues = _cues(replay, i, language)
            renderer.update(state)
            renderer.render_view(view, fb.target)
            window.present(fb)
            shown += 1
        fb.delete()
        renderer.close()
    finally:
        window.close()
    return shown
