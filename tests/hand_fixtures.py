"""Deterministic test hands built from vrtrainer.hands.hand alone: straight or curled fingers.

A right hand lies palm down at ``wrist`` with its fingers along -Z (thumb
towards -X); every joint frame follows OpenXR (+Z back along the bone, +Y out
of the back of the hand). ``curl`` bends chosen fingers: each joint of the
finger after the metacarpal flexes by the given angle towards the palm.
"""

from __future__ import annotations

import numpy as np

from vrtrainer.hands.hand import (
    FINGERS,
    FULLY_TRACKED,
    HAND_COUNT,
    JOINT_COUNT,
    LEFT,
    PALM,
    RIGHT,
    WRIST,
    HandFrame,
    mirror_poses,
)

# Per finger (thumb..little): base offset from the wrist (x, y, z) and bone lengths.
_BASES = ((-0.025, -0.012, -0.020), (-0.012, 0.0, -0.008), (0.0, 0.0, -0.008),
          (0.012, 0.0, -0.008), (0.022, -0.002, -0.006))
_LENGTHS = ((0.040, 0.034, 0.028), (0.064, 0.040, 0.024, 0.020),
            (0.062, 0.044, 0.027, 0.020), (0.057, 0.041, 0.026, 0.019),
            (0.052, 0.033, 0.019, 0.018))
_SPLAY = (0.55, 0.10, 0.0, -0.07, -0.16)  # yaw of each finger (rad, about +Y)
_RADII = (0.011, 0.0095, 0.0085, 0.0075, 0.0065)


def _quat_axis(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    return np.r_[axis * np.sin(angle / 2), np.cos(angle / 2)]


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz])


def _rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    u, w = q[:3], q[3]
    t = 2 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def right_hand_poses(wrist=(0.0, 1.0, -0.35), curl: dict[int, float] | None = None,
                     yaw: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Poses (26, 7) and radii (26,) of a right hand; ``curl`` finger index -> radians per joint.

    ``yaw`` turns the whole hand about the vertical axis through the wrist.
    """
    curl = curl or {}
    wrist = np.asarray(wrist, float)
    root = _quat_axis((0, 1, 0), yaw)
    poses = np.zeros((JOINT_COUNT, 7))
    radii = np.zeros(JOINT_COUNT)
    poses[WRIST] = np.r_[wrist, root]
    radii[WRIST] = 0.012
    for f, joints in enumerate(FINGERS):
        q = _quat_mul(root, _quat_axis((0, 1, 0), _SPLAY[f]))
        p = wrist + _rotate(root, np.array(_BASES[f]))
        for k, j in enumerate(joints):
            if k > 0 and f in curl:
                q = _quat_mul(q, _quat_axis((1, 0, 0), -curl[f]))
            poses[j] = np.r_[p, q]
            radii[j] = _RADII[min(k + (f == 0), 4)]
            if k < len(joints) - 1:
                p = p + _rotate(q, np.array([0.0, 0.0, -_LENGTHS[f][k]]))
    middle_meta, middle_prox = FINGERS[2][0], FINGERS[2][1]
    poses[PALM, :3] = (poses[middle_meta, :3] + poses[middle_prox, :3]) / 2
    poses[PALM, 3:] = poses[middle_meta, 3:]
    radii[PALM] = 0.012
    return poses, radii


def hand_frame(right=None, left=None, time: float = 0.0) -> HandFrame:
    """A HandFrame from per-hand (poses, radii) pairs; a missing hand is inactive.

    ``left`` may be given as right-hand poses: they are mirrored through x = 0.
    """
    frame = HandFrame(time=time)
    for h, data in ((RIGHT, right), (LEFT, left)):
        if data is None:
            continue
        poses, radii = data
        frame.poses[h] = mirror_poses(poses) if h == LEFT else poses
        frame.radii[h] = radii
        frame.flags[h] = FULLY_TRACKED
        frame.active[h] = True
    assert frame.poses.shape == (HAND_COUNT, JOINT_COUNT, 7)
    return frame
