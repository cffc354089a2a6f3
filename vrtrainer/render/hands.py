"""Hands as GPU instances: every joint a sphere, every bone a capsule.

Both are one primitive, a capsule between two centres (a sphere is a capsule
whose ends coincide), so all joints and bones of the live and ghost hands go to
the GPU as one instance buffer and one instanced draw. Each instance is a box
around its capsule in which the fragment shader ray-casts the exact surface:
8 vertices per instance instead of a hundred, and round at any resolution.
Instances are written live hands first, ghost last: the opaque live hand is in
the depth buffer before the translucent ghost blends over it.

Instance layout, 16 float32: centre A (3), radius A, centre B (3), radius B,
colour A (RGBA), colour B (RGBA). The capsule's radius is the mean of the two
and its colour blends from A to B along its axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from vrtrainer.errors import RenderError
from vrtrainer.hands.hand import (
    BONES,
    HAND_COUNT,
    JOINT_COUNT,
    POSITION_TRACKED,
    POSITION_VALID,
    HandFrame,
)

INSTANCE_FLOATS = 16
#: Instances per drawn hand set (both hands): 26 joints + 24 bones per hand.
INSTANCES_PER_SET = HAND_COUNT * (JOINT_COUNT + len(BONES))

_BONE_PARENT = np.array([b[0] for b in BONES], dtype=np.int64)
_BONE_CHILD = np.array([b[1] for b in BONES], dtype=np.int64)


@dataclass
class HandStyle:
    """Colours (linear 0-1 RGB as stored, sRGB-looking) and sizes of drawn hands.

    A live joint is ``ok`` when its error is within tolerance, ``near`` up to
    ``near_factor`` times the tolerance, ``bad`` beyond; ``neutral`` when no
    error is known (NaN or no comparison yet). Joints whose position the runtime
    only infers (POSITION_VALID without POSITION_TRACKED) are drawn at
    ``inferred_alpha``; joints without a valid position are not drawn at all.
    """

    neutral: tuple[float, float, float] = (0.88, 0.74, 0.62)
    ok: tuple[float, float, float] = (0.22, 0.80, 0.33)
    near: tuple[float, float, float] = (0.98, 0.66, 0.10)
    bad: tuple[float, float, float] = (0.90, 0.16, 0.13)
    ghost: tuple[float, float, float] = (0.45, 0.72, 1.00)
    ghost_alpha: float = 0.38
    inferred_alpha: float = 0.3
    near_factor: float = 1.5
    bone_scale: float = 0.72
    default_radius: float = 0.009

    def palette(self) -> np.ndarray:
        """(4, 3) float32 neutral, ok, near, bad, for the colour kernel."""
        return np.array([self.neutral, self.ok, self.near, self.bad], dtype=np.float32)


@njit(cache=True)
def _joint_colors(errors, tolerance, near_factor, palette, out):
    """Per-joint RGB (2, 26, 3) from errors (2, 26) against tolerance (2, 26)."""
    for h in range(errors.shape[0]):
        for j in range(errors.shape[1]):
            e = errors[h, j]
            t = tolerance[h, j]
            if not e == e:  # NaN: no error known
                k = 0
            elif e <= t:
                k = 1
            elif e <= t * near_factor:
                k = 2
            else:
                k = 3
            for c in range(3):
                out[h, j, c] = palette[k, c]


@njit(cache=True)
def _hand_instances(out, n, poses, radii, flags, active, colors, alpha, inferred_alpha,
                    bone_scale, default_radius, bone_parent, bone_child):
    """Append joint spheres then bone capsules of the active hands to ``out`` from row ``n``.

    ``colors`` (2, 26, 3) joint RGB. Returns the new row count. A bone is drawn
    only when both its joints have valid positions.
    """
    for h in range(poses.shape[0]):
        if not active[h]:
            continue
        for j in range(poses.shape[1]):
            f = flags[h, j]
            if not (f & POSITION_VALID):
                continue
            r = radii[h, j] if radii[h, j] > 0 else default_radius
            a = alpha if f & POSITION_TRACKED else alpha * inferred_alpha
            for c in range(3):
                out[n, c] = poses[h, j, c]
                out[n, 4 + c] = poses[h, j, c]
                out[n, 8 + c] = colors[h, j, c]
                out[n, 12 + c] = colors[h, j, c]
            out[n, 3] = r
            out[n, 7] = r
            out[n, 11] = a
            out[n, 15] = a
            n += 1
        for b in range(bone_parent.shape[0]):
            p = bone_parent[b]
            q = bone_child[b]
            fp = flags[h, p]
            fq = flags[h, q]
            if not (fp & POSITION_VALID) or not (fq & POSITION_VALID):
                continue
            rp = radii[h, p] if radii[h, p] > 0 else default_radius
            rq = radii[h, q] if radii[h, q] > 0 else default_radius
            for c in range(3):
                out[n, c] = poses[h, p, c]
                out[n, 4 + c] = poses[h, q, c]
                out[n, 8 + c] = colors[h, p, c]
                out[n, 12 + c] = colors[h, q, c]
            out[n, 3] = rp * bone_scale
            out[n, 7] = rq * bone_scale
            out[n, 11] = alpha if fp & POSITION_TRACKED else alpha * inferred_alpha
            out[n, 15] = alpha if fq & POSITION_TRACKED else alpha * inferred_alpha
            n += 1
    return n


class HandInstances:
    """Reusable CPU buffers that turn hand frames into capsule instances without allocating."""

    def __init__(self, style: HandStyle | None = None) -> None:
        self.style = style or HandStyle()
        self.data = np.zeros((2 * INSTANCES_PER_SET, INSTANCE_FLOATS), np.float32)
        self.count = 0
        self._colors = np.zeros((HAND_COUNT, JOINT_COUNT, 3), np.float32)
        self._ghost_colors = np.zeros((HAND_COUNT, JOINT_COUNT, 3), np.float32)
        self._tolerance = np.zeros((HAND_COUNT, JOINT_COUNT), np.float64)
        self._palette = self.style.palette()
        self._ghost_colors[...] = self.style.ghost
        self._neutral = np.broadcast_to(np.float32(np.nan), (HAND_COUNT, JOINT_COUNT))

    def fill(self, hands, errors: np.ndarray | None, tolerance, ghost) -> int:
        """Write the live ``hands`` (coloured by ``errors`` vs ``tolerance``) then ``ghost``.

        ``hands``/``ghost`` are HandFrame or None; ``errors`` (2, 26) metres (NaN
        unknown) or None; ``tolerance`` a scalar or anything broadcasting to (2, 26).
        Returns the instance count.
        """
        style = self.style
        n = 0
        if errors is not None and np.shape(errors) != (HAND_COUNT, JOINT_COUNT):
            raise RenderError(f"joint errors must have shape (2, 26), not {np.shape(errors)}")
        if hands is not None:
            self._tolerance[...] = tolerance
            _joint_colors(self._neutral if errors is None else errors, self._tolerance,
                          style.near_factor, self._palette, self._colors)
            n = _hand_instances(self.data, n, hands.poses, hands.radii, hands.flags,
                                hands.active, self._colors, 1.0, style.inferred_alpha,
                                style.bone_scale, style.default_radius, _BONE_PARENT, _BONE_CHILD)
        if ghost is not None:
            n = _hand_instances(self.data, n, ghost.poses, ghost.radii, ghost.flags,
                                ghost.active, self._ghost_colors, style.ghost_alpha,
                                style.inferred_alpha, style.bone_scale, style.default_radius,
                                _BONE_PARENT, _BONE_CHILD)
        self.count = n
        return n


def warm_kernels() -> None:
    """Load (or compile) the instance kernels for the argument types a session uses,
    before its first frame: their first call costs about 0.3 s even from numba's cache,
    which in a headset is a frozen first frame."""
    frame = HandFrame()
    frame.active[:] = True
    instances = HandInstances()
    instances.fill(frame, None, 1.0, frame)
    instances.fill(frame, np.zeros((HAND_COUNT, JOINT_COUNT), np.float32), 1.0, frame)


def box_template() -> tuple[np.ndarray, np.ndarray]:
    """Unit cube corners (8, 3) in [-1, 1] and u32 indices of its 12 triangles.

    Each instance stretches the cube around its capsule; the fragment shader
    ray-casts the exact capsule inside it. Triangles wind counter-clockwise
    seen from outside.
    """
    corners = np.array([(x, y, z) for z in (-1, 1) for y in (-1, 1) for x in (-1, 1)],
                       np.float32)
    quads = ((0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5))
    idx = [q[k] for q in quads for k in (0, 1, 2, 0, 2, 3)]
    return corners, np.array(idx, np.uint32)
