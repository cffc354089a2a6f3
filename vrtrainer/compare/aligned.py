"""An attempt matched frame by frame to the expert motion it is scored against.

The take is aligned to the reference with the comparator's warping path; so is
the ghost (the expert take behind the reference), so that for every frame of
the take the ghost shows the moment of the expert motion it corresponds to,
however faster or slower the take was, with each joint's error in tolerances
at that moment. The feedback phase of a session and ``vrtrainer replay`` show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vrtrainer.compare.consistency import template_features
from vrtrainer.compare.dtw import dtw_path
from vrtrainer.compare.features import POSITION
from vrtrainer.compare.score import Score, score_take
from vrtrainer.compare.template import Template
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import HAND_COUNT, JOINT_COUNT, POSITION_VALID, WRIST, mirror_poses
from vrtrainer.takes.take import Take


@dataclass
class AlignedReplay:
    """A take, its ghost and, per take frame, the ghost frame and the joints' errors."""

    take: Take
    ghost: Take
    ghost_frame: np.ndarray  # (T,) ghost frame index for each take frame
    joint_z: np.ndarray  # (T, 2, 26) error / tolerance, NaN where not compared
    score: Score
    template: Template


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


def _path_to(tpl: Template, feat: Any) -> np.ndarray:
    """For each frame of ``feat``, the reference frame it aligns to (the middle one)."""
    _, path = dtw_path(tpl.values, feat.values, x_mask=tpl.mask, y_mask=feat.mask,
                       weights=tpl.weights())
    out = np.zeros(feat.n_frames, np.int64)
    for j in range(feat.n_frames):
        rows = path[path[:, 1] == j, 0]
        out[j] = rows[len(rows) // 2]
    return out


def align(take: Take, template: Template, ghost: Take) -> AlignedReplay:
    """Score ``take`` against ``template`` and match every take frame to a ghost frame."""
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
