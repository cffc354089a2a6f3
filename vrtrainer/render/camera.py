"""Eye cameras as OpenXR gives them: a pose and an asymmetric field of view.

The projection is OpenXR's for GL clip space (``XrMatrix4x4f_CreateProjectionFov``
with GRAPHICS_OPENGL): the frustum whose sides are at the tangents of
angleLeft/Right/Up/Down (left and down are negative).
"""

from __future__ import annotations

import math

import numpy as np
from pyglm import glm

from vrtrainer.backends.base import Fov, View

__all__ = ["DEFAULT_FOV", "Fov", "View", "look_at_pose", "pose_matrix", "project_points",
           "projection_matrix", "stereo_views", "view_matrix"]

#: A typical headset eye (about 100 degrees horizontally, canted outwards).
DEFAULT_FOV: Fov = (-0.87, 0.80, 0.83, -0.87)


def projection_matrix(fov: Fov, near: float = 0.05, far: float = 100.0) -> glm.mat4:
    """OpenGL projection (clip space z in [-w, w]) of an asymmetric OpenXR field of view."""
    left, right, up, down = fov
    return glm.frustum(math.tan(left) * near, math.tan(right) * near,
                       math.tan(down) * near, math.tan(up) * near, near, far)


def pose_matrix(pose: np.ndarray) -> glm.mat4:
    """Rigid transform (local to world) of a pose (7,) position + quaternion (x, y, z, w)."""
    x, y, z, qx, qy, qz, qw = (float(v) for v in pose)
    m = glm.mat4_cast(glm.quat(qw, qx, qy, qz))
    m[3] = glm.vec4(x, y, z, 1.0)
    return m


def view_matrix(pose: np.ndarray) -> glm.mat4:
    """World-to-eye transform of an eye pose (the inverse of its rigid transform)."""
    # PyGLM's stubs give affineInverse of a mat4 as a mat3; it returns a mat4
    return glm.affineInverse(pose_matrix(pose))  # type: ignore[return-value]


def look_at_pose(eye: np.ndarray, target: np.ndarray,
                 up: tuple[float, float, float] = (0.0, 1.0, 0.0)) -> np.ndarray:
    """Pose (7,) of a camera at ``eye`` looking at ``target`` (its -Z towards the target)."""
    view = glm.lookAt(glm.vec3(*map(float, eye)), glm.vec3(*map(float, target)), glm.vec3(*up))
    q = glm.quat_cast(glm.mat3(glm.affineInverse(view)))
    return np.array([*map(float, eye), q.x, q.y, q.z, q.w])


def stereo_views(head_pose: np.ndarray, ipd: float = 0.063, fov: Fov = DEFAULT_FOV
                 ) -> tuple[View, View]:
    """Left and right eye views of a head pose, eyes ``ipd`` apart along the head's +X.

    The right eye's field of view mirrors the left one's (angles swapped and
    negated), as on real headsets whose eye frusta cant outwards.
    """
    head = pose_matrix(head_pose)
    views = []
    for side, eye_fov in ((-1, fov), (1, (-fov[1], -fov[0], fov[2], fov[3]))):
        # mat4 * vec4 is a vec4 (PyGLM's stubs pick another overload)
        centre: glm.vec4 = head * glm.vec4(side * ipd / 2, 0.0, 0.0, 1.0)  # type: ignore[assignment]
        pose = np.array(head_pose, dtype=np.float64)
        pose[:3] = (centre.x, centre.y, centre.z)
        views.append(View(pose, eye_fov))
    return views[0], views[1]


def project_points(points: np.ndarray, view: View, width: int, height: int,
                   near: float = 0.05, far: float = 100.0) -> np.ndarray:
    """Pixel coordinates (N, 2) of world points (N, 3) in an image ``width`` x ``height``.

    Pixel (0, 0) is the top-left corner of the top-left pixel, as in saved PNGs;
    points behind the eye come out as NaN.
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    m = np.array(projection_matrix(view.fov, near, far) * view_matrix(view.pose))
    clip = np.c_[p, np.ones(len(p))] @ m.T
    w = clip[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        ndc = clip[:, :2] / w[:, None]
    ndc[w <= 0] = np.nan
    x = (ndc[:, 0] + 1) * 0.5 * width
    y = (1 - ndc[:, 1]) * 0.5 * height
    return np.c_[x, y]
