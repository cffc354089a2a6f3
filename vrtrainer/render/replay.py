"""Aligned replay: a take as the trainee's hands beside the expert ghost, matched by DTW.

The take is aligned to the reference (a template, or one expert take) with the
comparator's warping path; so is the ghost (the expert take behind the
reference), so that for every frame of the take the ghost shows the moment
of the expert motion it corresponds to, however faster or slower the take
was. Joints are coloured by the comparator's error in tolerances at that
moment, and the panel shows the take's score. Frames go to PNG files
(headless) or to a desktop mirror window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import HAND_COUNT, JOINT_COUNT, POSITION_VALID, WRIST, mirror_poses
from vrtrainer.takes.take import Take, load_take


@dataclass
class AlignedReplay:
    """A take, its ghost and, per take frame, the ghost frame and the joints' errors."""

    take: Take
    ghost: Take
    ghost_frame: np.ndarray  # (T,) ghost frame index for each take frame
    joint_z: np.ndarray  # (T, 2, 26) error / tolerance, NaN where not compared
    score: Any  # vrtrainer.compare.Score
    template: Any


def mirrored_take(take: Take) -> Take:
    """The take performed by the other hand: poses reflected, hands swapped."""
    out = take.slice(0, take.n_frames)
    out.poses = mirror_poses(take.poses)[:, ::-1].copy()
    out.radii = take.radii[:, ::-1].copy()
    out.flags = take.flags[:, ::-1].copy()
    out.active = take.active[:, ::-1].copy()
    if take.tools is not None:
        out.tools = mirror_poses(take.tools)
    if take.head is not None:
        out.head = mirror_poses(take.head)
    out.meta.handedness = "left" if take.meta.handedness == "right" else "right"
    return out


def _mean_wrist(take: Take) -> np.ndarray:
    seen = (take.flags[:, :, WRIST] & POSITION_VALID).astype(bool) & take.active
    if not seen.any():
        raise VrtrainerError("the take never tracks a wrist")
    return take.poses[:, :, WRIST, :3][seen].mean(axis=0)


def placed_ghost(ghost: Take, take: Take) -> Take:
    """The ghost moved (translation only) so its mean wrist is the take's: side by side
    comparison wherever each was performed in the room."""
    out = ghost.slice(0, ghost.n_frames)
    shift = (_mean_wrist(take) - _mean_wrist(ghost)).astype(np.float32)
    out.poses[..., :3] += shift
    if out.tools is not None:
        out.tools[..., :3] += shift
    return out


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
    from vrtrainer.hands import sim

    if template.name in sim.GESTURES:
        return sim.simulate(template.name, role="expert", seed=0, hand=template.handedness)
    raise VrtrainerError(f"{reference_path}: its expert takes are not found beside it; "
                         "give one with --ghost EXPERT.vrtake")


def _path_to(tpl: Any, feat: Any) -> np.ndarray:
    """For each frame of ``feat``, the reference frame it aligns to (the middle one)."""
    from vrtrainer.compare.dtw import dtw_path

    _, path = dtw_path(tpl.values, feat.values, x_mask=tpl.mask, y_mask=feat.mask,
                       weights=tpl.weights())
    out = np.zeros(feat.n_frames, np.int64)
    for j in range(feat.n_frames):
        rows = path[path[:, 1] == j, 0]
        out[j] = rows[len(rows) // 2]
    return out


def align(take: Take, template: Any, ghost: Take) -> AlignedReplay:
    """Score ``take`` against ``template`` and match every take frame to a ghost frame."""
    from vrtrainer.compare.consistency import template_features
    from vrtrainer.compare.features import POSITION
    from vrtrainer.compare.score import score_take

    score = score_take(take, template)
    use = template.mirrored() if score.mirrored else template
    feat = template_features(take, use)
    if ghost.meta.handedness != take.meta.handedness:
        ghost = mirrored_take(ghost)
    gfeat = template_features(ghost, use)
    take_ref = _path_to(use, feat)
    ghost_ref = _path_to(use, gfeat)
    # the ghost frame whose reference frame is nearest the take's
    order = np.argsort(ghost_ref, kind="stable")
    k = np.clip(np.searchsorted(ghost_ref[order], take_ref), 0, ghost.n_frames - 1)
    ghost_frame = order[k]

    layout = use.layout
    groups = layout.groups()
    z = np.full((take.n_frames, HAND_COUNT, JOINT_COUNT), np.nan, np.float32)
    for g in np.unique(groups[layout.kind == POSITION]):
        cols = groups == g
        c0 = int(np.flatnonzero(cols)[0])
        h, j = int(layout.hand[c0]), int(layout.joint[c0])
        ok = feat.mask[:, cols].all(axis=1) & use.mask[take_ref][:, cols].all(axis=1)
        diff = feat.values[:, cols] - use.values[take_ref][:, cols]
        err = np.linalg.norm(diff, axis=1) / use.tolerance[take_ref, c0]
        z[:, h, j] = np.where(ok, err, np.nan)
    return AlignedReplay(take=take, ghost=placed_ghost(ghost, take), ghost_frame=ghost_frame,
                         joint_z=z, score=score, template=use)


def load_against(take: Take, against: Path, ghost: Path | None = None
                 ) -> tuple[Any, Take]:
    """Template and ghost for ``--against``: a reference (.vrref) or an expert take."""
    from vrtrainer.compare import build_template, load_template

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
    from vrtrainer.compare.wording import comparator_message, verdict_word

    verdict = verdict_word(s.passed, s.rejected, language)
    first = comparator_message(s.messages[0], language) if s.messages else ""
    return Cues(progress=i / max(t.n_frames - 1, 1), score=s.total, language=language,
                title=f"replay — {t.meta.performer or 'take'} vs {replay.template.name}",
                instruction_fr=f"{t.times[i] - t.times[0]:.2f} s", instruction_en=
                f"{t.times[i] - t.times[0]:.2f} s", message=f"{verdict}. {first}".strip())


def _fill(replay: AlignedReplay, i: int, state: Any, live: Any, expert: Any) -> None:
    take = replay.take
    take.frame(i, live)
    replay.ghost.frame(int(replay.ghost_frame[i]), expert)
    state.joint_errors = replay.joint_z[i]
    state.tools = {name: take.tools[i, n] if take.tool_flags[i, n] & POSITION_VALID else None
                   for n, name in enumerate(take.tool_names)}


def write_frames(replay: AlignedReplay, out_dir: str | Path, every: float = 0.25,
                 size: tuple[int, int] = (320, 240), language: str = "en") -> list[Path]:
    """PNG frames every ``every`` seconds of the take, one view framing the hands."""
    from vrtrainer.hands.hand import HandFrame
    from vrtrainer.render import EglContext, Framebuffer, Renderer, SceneState
    from vrtrainer.render.camera import stereo_views
    from vrtrainer.render.snapshots import SNAPSHOT_FOV, framing_view

    if every <= 0:
        raise VrtrainerError(f"the interval between frames must be positive, not {every}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    take = replay.take
    view = stereo_views(framing_view(take).pose, fov=SNAPSHOT_FOV)[0]
    paths = []
    with EglContext():
        renderer = Renderer()
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
            _caption(path, replay, i)
            paths.append(path)
        fb.delete()
        renderer.close()
    return paths


def _caption(path: Path, replay: AlignedReplay, i: int) -> None:
    """Write the score, time and worst joint error over the frame (the panel is out of view)."""
    from PIL import Image, ImageDraw

    s, t = replay.score, replay.take
    z = replay.joint_z[i]
    worst = float(np.nanmax(z)) if np.isfinite(z).any() else float("nan")
    text = (f"score {s.total:.0f}  t {t.times[i] - t.times[0]:.2f} s  "
            f"ghost frame {int(replay.ghost_frame[i])}  worst joint {worst:.1f} tol")
    with Image.open(path) as im:
        img = im.convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, img.width, 13), fill=(20, 22, 26))
    draw.text((3, 1), text, fill=(240, 240, 240))
    img.save(path)


def play_in_window(replay: AlignedReplay, size: tuple[int, int] = (640, 480),
                   language: str = "en", speed: float = 1.0) -> int:
    """Play the aligned replay once in real time in a mirror window; returns frames shown.

    Space pauses, escape or q closes.
    """
    import time

    from vrtrainer.hands.hand import HandFrame
    from vrtrainer.render import Framebuffer, MirrorWindow, Renderer, SceneState
    from vrtrainer.render.camera import stereo_views
    from vrtrainer.render.snapshots import SNAPSHOT_FOV, framing_view

    take = replay.take
    view = stereo_views(framing_view(take).pose, fov=SNAPSHOT_FOV)[0]
    window = MirrorWindow(*size, title="vrtrainer replay")
    shown = 0
    try:
        renderer = Renderer()
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
