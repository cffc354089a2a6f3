"""The worst moments of an attempt, drawn with the expert ghost beside the trainee.

The take is followed against the template by the comparator's live aligner, which gives
for every take frame the matching moment of the reference and each joint's error in
tolerances. The frames whose joints are, on average, furthest from the expert (at least
``MIN_GAP_S`` apart) are the worst moments; the offscreen renderer draws each with the
expert at the matching moment, moved so that the wrists coincide (what differs is then
the hand's shape, not where the trainee stood).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

from vrtrainer.compare.live import LiveAligner
from vrtrainer.compare.score import quality
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
#: Frames with fewer scored joints than this are not candidates (tracking gaps).
MIN_SCORED_JOINTS = 8


@dataclass
class FrameErrors:
    """Per take frame: the matching reference frame and the joints' errors in tolerances."""

    ref_index: np.ndarray  # (T,) int
    joint_z: np.ndarray  # (T, 2, 26), NaN where not scored
    ref_times: np.ndarray  # (R,) the template's frame times, s

    def quality(self) -> np.ndarray:
        """Mean joint quality 0..1 per frame (NaN when too few joints are scored)."""

        z = self.joint_z.reshape(len(self.joint_z), -1)
        scored = np.isfinite(z)
        q = np.where(scored, quality(np.where(scored, z, 0.0)), 0.0).sum(axis=1)
        count = scored.sum(axis=1)
        return np.where(count >= MIN_SCORED_JOINTS, q / np.maximum(count, 1), np.nan)


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


def frame_errors(take, template, mirror: bool) -> FrameErrors:
    """Follow the whole take with the live aligner (as the session did while it ran)."""

    aligner = LiveAligner(template, mirror=mirror)
    frame = HandFrame()
    n = take.n_frames
    ref = np.zeros(n, np.int64)
    z = np.full((n, HAND_COUNT, JOINT_COUNT), np.nan)
    for i in range(n):
        take.frame(i, frame)
        state = aligner.step(frame)
        ref[i] = state.index
        z[i] = state.joint_z
    return FrameErrors(ref, z, np.asarray(aligner.template.times, float))


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


def find_moments(take, template, mirror: bool, count: int = 3) -> list[Moment]:
    """The worst moments of ``take`` against ``template`` (pictures not drawn yet)."""
    errors = frame_errors(take, template, mirror)
    quality = errors.quality()
    times = take.times - take.times[0]
    out = []
    # a moment is worth showing when some joint is beyond its tolerance
    beyond = np.nanmax(np.where(np.isfinite(errors.joint_z), errors.joint_z, -np.inf)
                       .reshape(len(quality), -1), axis=1) > 1.0
    for i in worst_frames(np.where(beyond, quality, np.nan), times, count):
        z = errors.joint_z[i]
        flat = np.where(np.isfinite(z), z, -np.inf).ravel()
        top = [k for k in np.argsort(-flat)[:3] if np.isfinite(flat[k]) and flat[k] > 1.0]
        joints = [(f"{HAND_NAMES[k // JOINT_COUNT]}.{JOINT_NAMES[k % JOINT_COUNT]}",
                   round(float(flat[k]), 2)) for k in top]
        out.append(Moment(take_index=i, take_time=float(times[i]),
                          expert_time=float(errors.ref_times[errors.ref_index[i]]
                                            - errors.ref_times[0]),
                          quality=100.0 * float(quality[i]), worst_joints=joints,
                          joint_z=z.copy()))
    return out


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
