"""The worst moments of an attempt, drawn with the expert ghost beside the trainee.

The shape score's own per-frame errors (same smoothing, clock and warping path) give for
every moment of the reference the take's matching moment and each part's error in
tolerances. The moments of lowest shape quality (at least ``MIN_GAP_S`` apart, some
part beyond its tolerance) are the worst moments; the offscreen renderer draws each with the
expert at the matching moment, moved so that the wrists coincide (what differs is then
the hand's shape, not where the trainee stood).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

from vrtrainer.compare.features import POSITION
from vrtrainer.compare.score import ShapeFrames, shape_frames
from vrtrainer.hands.hand import (
    HAND_COUNT,
    HAND_NAMES,
    JOINT_COUNT,
    JOINT_NAMES,
    POSITION_VALID,
    WRIST,
    HandFrame,
)

#: Two worst moments are at least this far apart (seconds of the take).
MIN_GAP_S = 0.5


@dataclass
class Moment:
    """One worst moment: where it is in the take and the reference, and its picture."""

    take_index: int
    take_time: float  # s from the take's start
    expert_time: float  # s from the reference's start
    quality: float  # 0..100
    worst_joints: list[tuple[str, float]] = field(default_factory=list)  # ('right.x', z)
    joint_z: np.ndarray | None = field(default=None, repr=False)  # (2, 26) tolerances
    png: bytes | None = field(default=None, repr=False)


def worst_frames(quality: np.ndarray, times: np.ndarray, count: int = 3,
                 min_gap_s: float = MIN_GAP_S, below: float = 1.0) -> list[int]:
    """Indices of the ``count`` lowest-quality frames under ``below``, pairwise ``min_gap_s``
    apart, in time order."""
    order = np.argsort(np.where(np.isfinite(quality), quality, np.inf), kind="stable")
    picked: list[int] = []
    for i in order:
        if not np.isfinite(quality[i]) or quality[i] >= below or len(picked) == count:
            break
        if all(abs(times[i] - times[j]) >= min_gap_s for j in picked):
            picked.append(int(i))
    return sorted(picked)


def joint_errors(frames: ShapeFrames) -> np.ndarray:
    """Per reference frame, each joint's position error in tolerances (R, 2, 26; NaN where
    the shape score does not look at the joint's position)."""
    layout, groups = frames.layout, frames.groups
    z = np.full((len(frames.z), HAND_COUNT, JOINT_COUNT), np.nan)
    for g in range(groups.max() + 1):
        c = int(np.flatnonzero(groups == g)[0])
        if layout.kind[c] != POSITION:
            continue
        h, j = int(layout.hand[c]), int(layout.joint[c])
        z[:, h, j] = np.where(frames.seen[:, g], frames.z[:, g], np.nan)
    return z


def find_moments(take, template, mirror: bool, count: int = 3) -> list[Moment]:
    """The worst moments of ``take`` against ``template`` (pictures not drawn yet).

    Picked and coloured from the shape score's own per-frame errors
    (:func:`~vrtrainer.compare.score.shape_frames`: same smoothing, clock and warping
    path), so that the pictures never tell another story than the shape score: a
    moment is shown only where some part the score looks at is beyond its tolerance.
    """
    frames = shape_frames(take, template, mirror=mirror)
    quality = frames.quality()
    joints = joint_errors(frames)
    scored = np.where(frames.seen, frames.z, -np.inf)
    beyond = scored.max(axis=1, initial=-np.inf) > 1.0
    times = frames.take_time
    out = []
    for r in worst_frames(np.where(beyond & np.isfinite(times), quality, np.nan), times,
                          count):
        z = joints[r]
        flat = np.where(np.isfinite(z), z, -np.inf).ravel()
        top = [k for k in np.argsort(-flat)[:3] if np.isfinite(flat[k]) and flat[k] > 1.0]
        names = [(f"{HAND_NAMES[k // JOINT_COUNT]}.{JOINT_NAMES[k % JOINT_COUNT]}",
                  round(float(flat[k]), 2)) for k in top]
        i = int(np.searchsorted(take.times, take.times[0] + times[r] + 1e-9, side="right")) - 1
        i = min(max(i, 0), take.n_frames - 1)
        out.append(Moment(take_index=i, take_time=float(take.times[i] - take.times[0]),
                          expert_time=float(frames.ref_time[r]),
                          quality=100.0 * float(quality[r]), worst_joints=names,
                          joint_z=z.copy()))
    return sorted(out, key=lambda m: m.take_time)


def ghost_index(ghost, expert_time: float, reference_duration: float) -> int:
    """The ghost take's frame at ``expert_time`` of a reference lasting ``reference_duration``."""
    scale = ghost.duration / reference_duration if reference_duration > 0 else 1.0
    t = ghost.times[0] + expert_time * scale
    return int(min(max(np.searchsorted(ghost.times, t, side="right") - 1, 0), ghost.n_frames - 1))


def _wrist_offset(live, expert) -> np.ndarray:
    """Translation that puts the expert's tracked wrists on the trainee's (mean over hands)."""
    both = (live.active & expert.active
            & ((live.flags[:, WRIST] & POSITION_VALID) != 0)
            & ((expert.flags[:, WRIST] & POSITION_VALID) != 0))
    if not both.any():
        return np.zeros(3, np.float32)
    d = live.poses[both, WRIST, :3] - expert.poses[both, WRIST, :3]
    return d.mean(axis=0).astype(np.float32)


#: Camera offset from the hands (m): above and behind, close enough that fingers show.
CLOSE_UP = np.array([0.0, 0.16, 0.26])
#: Distance (m) of the camera from the hands when it looks at the worst joint.
CLOSE_DISTANCE = 0.32


def close_up(live, fallback, joint_z: np.ndarray | None = None):
    """A close view of the frame's tracked joints, from the side of the worst one.

    The camera sits beyond the worst joint as seen from the hands' centre (and a little
    above, never in front of the performer), so that this joint is in front of the hand
    rather than hidden behind it; from above and behind when no joint stands out.
    ``fallback`` when nothing is tracked.
    """
    from vrtrainer.render.camera import View, look_at_pose
    from vrtrainer.render.snapshots import SNAPSHOT_FOV

    seen = ((live.flags & POSITION_VALID) != 0) & live.active[:, None]
    if not seen.any():
        return fallback
    centre = live.poses[seen][:, :3].astype(float).mean(axis=0)
    eye = centre + CLOSE_UP
    if joint_z is not None:
        z = np.where(seen & np.isfinite(joint_z), joint_z, -np.inf)
        h, j = np.unravel_index(int(np.argmax(z)), z.shape)
        if np.isfinite(z[h, j]):
            out = live.poses[h, j, :3].astype(float) - centre
            out[1] = 0.0
            # stay on the performer's side (+Z): the work in front would hide the hands
            out[2] = abs(out[2])
            if np.linalg.norm(out) > 1e-3:
                way = out / np.linalg.norm(out) + np.array([0.0, 0.7, 0.0])
                eye = centre + CLOSE_DISTANCE * way / np.linalg.norm(way)
    return View(look_at_pose(eye, centre), SNAPSHOT_FOV)


def hands_only_scene():
    """A floor and nothing else: for gestures done in the air, where a workbench would only
    hide the hands from the close-up camera."""
    from vrtrainer.render.scene import neutral_scene

    return neutral_scene()


def draw_moments(take, ghost, moments: list[Moment], reference_duration: float,
                 size: tuple[int, int] = (480, 360), scene=None) -> None:
    """Draw each moment (trainee coloured by error, expert ghost) into ``moment.png``.

    One GL context for all; the camera looks at the hands from close by (the whole take's
    framing, as ``vrtrainer render``, when no joint is tracked). ``scene`` defaults to
    :func:`hands_only_scene`.
    """
    from PIL import Image

    from vrtrainer.render.context import EglContext
    from vrtrainer.render.cues import Cues
    from vrtrainer.render.renderer import Framebuffer, Renderer, SceneState
    from vrtrainer.render.snapshots import framing_view

    if not moments:
        return
    view = framing_view(take)
    with EglContext():
        renderer = Renderer(scene=scene if scene is not None else hands_only_scene())
        fb = Framebuffer(*size, samples=4)
        try:
            live, expert = HandFrame(), HandFrame()
            # errors are already in tolerances: a tolerance of 1 colours them as scored
            state = SceneState(hands=live, ghost=expert, tolerance=1.0, cues=None)
            for m in moments:
                take.frame(m.take_index, live)
                ghost.frame(ghost_index(ghost, m.expert_time, reference_duration), expert)
                expert.poses[..., :3] += _wrist_offset(live, expert)
                state.joint_errors = m.joint_z
                i = m.take_index
                state.tools = {
                    name: take.tools[i, k] if take.tool_flags[i, k] & POSITION_VALID else None
                    for k, name in enumerate(take.tool_names)}
                state.cues = Cues(progress=m.take_time / max(take.duration, 1e-9))
                renderer.update(state)
                renderer.render_view(close_up(live, view, m.joint_z), fb.target)
                out = io.BytesIO()
                Image.fromarray(fb.read_pixels()[..., :3]).save(out, format="PNG")
                m.png = out.getvalue()
        finally:
            fb.delete()
            renderer.close()
