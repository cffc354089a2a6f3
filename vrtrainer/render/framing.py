"""A camera framed on the hands, with the cue panel in the upper part of its view.

A headset's eyes are where the trainee's head is. Frames drawn offscreen (snapshots,
reports, a mirror window) have no head to follow: seen from a standing trainee's eyes,
hands a metre away are a few dozen pixels and the cue panel's letters three pixels tall.
:class:`HandFraming` places the camera so that the box holding the hands and the expert
ghost fills the lower part of the view, and the cue panel, facing the camera, its upper
part, near enough to read.
"""

from __future__ import annotations

import math

import numpy as np

from vrtrainer.hands.hand import POSITION_VALID

#: The camera looks this far down (radians), as a trainee looking at a workbench.
PITCH = math.radians(-30.0)
#: The framed camera's field of view (XrFovf angles, radians): about 62 x 48 degrees,
#: as a camera filming a workbench rather than a headset's 90-100 degrees.
FRAMED_FOV = (-0.54, 0.54, 0.42, -0.42)
#: Where the box's corners must be seen (radians from the camera's axis): the lower
#: half of the view, vertically from HANDS_LOW to HANDS_HIGH, horizontally within
#: +-HANDS_SIDE.
HANDS_LOW, HANDS_HIGH = math.radians(-22.0), math.radians(0.0)
HANDS_SIDE = math.radians(27.0)
#: The panel's centre above the camera's axis (radians) and its distance (m): its 0.64 m
#: width then spans about three quarters of the view's width.
PANEL_ABOVE = math.radians(11.0)
PANEL_DISTANCE = 0.95
#: The box grows by this much (m) before the camera moves again (no shaking view).
SLACK = 0.02
#: Nearest and farthest camera distance from the box's centre (m).
MIN_DISTANCE, MAX_DISTANCE = 0.35, 2.5


def _direction(pitch: float) -> np.ndarray:
    """Unit vector of a camera looking down -Z pitched by ``pitch`` about +X."""
    return np.array([0.0, math.sin(pitch), -math.cos(pitch)])


def _pitched(pitch: float) -> np.ndarray:
    """Quaternion (x, y, z, w) of a rotation by ``pitch`` about +X."""
    return np.array([math.sin(pitch / 2), 0.0, 0.0, math.cos(pitch / 2)])


def _fits(corners: np.ndarray, eye: np.ndarray) -> bool:
    """Whether every corner is seen from ``eye`` inside the hands' part of the view."""
    rel = corners - eye
    c, s = math.cos(-PITCH), math.sin(-PITCH)
    # into the camera's frame (undo the pitch about +X): x right, y up, -z ahead
    y = c * rel[:, 1] - s * rel[:, 2]
    z = s * rel[:, 1] + c * rel[:, 2]
    ahead = -z
    if np.any(ahead <= 0.05):
        return False
    up, side = np.arctan2(y, ahead), np.arctan2(np.abs(rel[:, 0]), ahead)
    return bool(np.all(up >= HANDS_LOW) and np.all(up <= HANDS_HIGH)
                and np.all(side <= HANDS_SIDE))


def frame_box(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera pose (7,) framing the box ``lo``..``hi`` (m) and the cue panel's pose (7,).

    The camera looks at the box's centre from above and behind (the trainee's side),
    as near as it can while every corner stays in the lower part of its view.
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    centre = (lo + hi) / 2
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    way = _direction(PITCH + (HANDS_LOW + HANDS_HIGH) / 2)
    near, far = MIN_DISTANCE, MAX_DISTANCE
    if not _fits(corners, centre - near * way):
        for _ in range(30):  # the nearest distance at which the box fits
            mid = (near + far) / 2
            near, far = (near, mid) if _fits(corners, centre - mid * way) else (mid, far)
        near = far
    eye = centre - near * way
    q = _pitched(PITCH)
    camera = np.r_[eye, q]
    panel = np.r_[eye + PANEL_DISTANCE * _direction(PITCH + PANEL_ABOVE), q]
    return camera, panel


def valid_points(poses: np.ndarray, flags: np.ndarray, active: np.ndarray | None = None
                 ) -> np.ndarray:
    """Joint positions (N, 3) with a valid position (of active hands) from poses (..., 7)."""
    ok = (np.asarray(flags) & POSITION_VALID) != 0
    if active is not None:
        ok &= np.asarray(active, bool).reshape(active.shape + (1,) * (ok.ndim - active.ndim))
    return np.asarray(poses)[..., :3][ok].reshape(-1, 3)


class HandFraming:
    """Keeps a camera on what has to be seen: a box that grows with the hands shown.

    :meth:`reset` starts a new box (a new step), optionally from a whole take's joints (the
    ghost's motion, so that the camera is placed once); :meth:`include` grows it with a
    frame's joints. The camera and panel poses change only when the box grew by more
    than :data:`SLACK`.
    """

    def __init__(self) -> None:
        self.lo: np.ndarray | None = None
        self.hi: np.ndarray | None = None
        self._framed: tuple[np.ndarray, np.ndarray] | None = None
        self._framed_box: tuple[np.ndarray, np.ndarray] | None = None  # the box it framed
        self.key: object = None

    def reset(self, points: np.ndarray | None = None, key: object = None) -> None:
        """Forget the box (and start it from ``points`` (N, 3) when given)."""
        self.lo = self.hi = None
        self._framed = None
        self.key = key
        if points is not None:
            self.include(points)

    def include(self, points: np.ndarray) -> None:
        """Grow the box to hold ``points`` (N, 3; NaN rows ignored)."""
        p = np.asarray(points, float).reshape(-1, 3)
        p = p[np.isfinite(p).all(axis=1)]
        if not len(p):
            return
        lo, hi = p.min(axis=0), p.max(axis=0)
        if self.lo is None or self.hi is None:
            self.lo, self.hi = lo, hi
            return
        self.lo, self.hi = np.minimum(self.lo, lo), np.maximum(self.hi, hi)

    def poses(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(camera pose, panel pose), or None while the box is empty."""
        if self.lo is None or self.hi is None:
            return None
        if self._framed is not None and self._framed_box is not None:
            lo, hi = self._framed_box
            if np.all(self.lo >= lo - SLACK) and np.all(self.hi <= hi + SLACK):
                return self._framed
        self._framed_box = (self.lo.copy(), self.hi.copy())
        self._framed = frame_box(self.lo, self.hi)
        return self._framed
