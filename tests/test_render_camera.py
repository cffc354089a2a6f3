"""Projection from OpenXR's asymmetric fields of view: math, then real rendered pixels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from render_helpers import centroid_of, marker_mask, marker_scene

from vrtrainer.render import Framebuffer, Renderer, SceneState, View, project_points, stereo_views
from vrtrainer.render.camera import look_at_pose

FOV = (-0.9, 0.6, 0.7, -0.5)  # strongly asymmetric, as a canted headset eye


def _expected_pixel(direction_x: float, direction_y: float, width: int, height: int):
    """Pixel of an eye-space direction (x, y, -1) straight from the tangents of the fov."""
    left, right, up, down = (math.tan(a) for a in FOV)
    u = (direction_x - left) / (right - left)
    v = (up - direction_y) / (up - down)
    return u * width, v * height


def test_project_points_follows_the_fov_tangents():
    view = View(np.array([0, 0, 0, 0, 0, 0, 1.0]), FOV)
    points = np.array([[0.3, -0.2, -2.0], [-1.0, 0.5, -1.5], [0.0, 0.0, -5.0]])
    got = project_points(points, view, 400, 300)
    for p, g in zip(points, got, strict=True):
        expected = _expected_pixel(p[0] / -p[2], p[1] / -p[2], 400, 300)
        assert g == pytest.approx(expected, abs=1e-4)


def test_project_points_behind_the_eye_is_nan():
    view = View(np.array([0, 0, 0, 0, 0, 0, 1.0]), FOV)
    assert np.isnan(project_points([[0, 0, 1.0]], view, 10, 10)).all()


def test_eye_pose_rotation_and_translation_are_applied():
    # An eye at (1, 2, 3) turned 90 degrees left (about +Y) looks down world -X.
    s = math.sin(math.pi / 4)
    view = View(np.array([1, 2, 3, 0, s, 0, s]), FOV)
    got = project_points([[1 - 2.0, 2 + 0.4, 3 - 0.6]], view, 400, 300)[0]
    # In eye space that point is (x=0.6, y=0.4, z=-2).
    assert got == pytest.approx(_expected_pixel(0.3, 0.2, 400, 300), abs=1e-4)


def test_rendered_points_land_where_the_projection_says(gl_context):
    points = np.array([[0.0, 1.0, -0.6], [0.15, 1.1, -0.7], [-0.2, 0.9, -0.5],
                       [0.1, 0.85, -0.9], [-0.1, 1.2, -1.0]])
    renderer = Renderer(marker_scene(points))
    fb = Framebuffer(320, 240)
    view = View(look_at_pose([0.05, 1.2, 0.0], [0.0, 1.0, -0.7]), FOV)
    renderer.render_view(view, fb.target, SceneState())
    image = fb.read_pixels()
    expected = project_points(points, view, 320, 240)
    for i in range(len(points)):
        assert centroid_of(image, marker_mask(image, i)) == pytest.approx(expected[i], abs=0.6)
    renderer.close()
    fb.delete()


def test_two_eyes_differ_by_parallax(gl_context):
    near, far = [0.0, 1.0, -0.35], [0.0, 1.0, -3.0]
    renderer = Renderer(marker_scene(np.array([near, far]), half=(0.003, 0.02)))
    head = look_at_pose([0.0, 1.0, 0.0], [0.0, 1.0, -1.0])
    views = stereo_views(head, ipd=0.064)
    fbs = [Framebuffer(320, 240) for _ in views]
    renderer.render_stereo(views, [fb.target for fb in fbs], SceneState())
    images = [fb.read_pixels() for fb in fbs]
    disparity = []
    for i, point in enumerate((near, far)):
        (xl, yl), (xr, yr) = (centroid_of(im, marker_mask(im, i)) for im in images)
        # The left eye sees a point in front of the head further right than the right eye.
        expected_l = project_points([point], views[0], 320, 240)[0]
        expected_r = project_points([point], views[1], 320, 240)[0]
        assert (xl, yl) == pytest.approx(expected_l, abs=0.6)
        assert (xr, yr) == pytest.approx(expected_r, abs=0.6)
        assert yl == pytest.approx(yr, abs=0.6)
        disparity.append(xl - xr)
    # Mirrored fovs shift both images too, so compare near against far: the
    # near point's extra disparity is the parallax of the 64 mm baseline.
    assert disparity[0] - disparity[1] > 20
    renderer.close()
    for fb in fbs:
        fb.delete()
