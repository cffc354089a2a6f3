"""Hands: the instance kernel against a numpy oracle, and colours/fading in real frames."""

from __future__ import annotations

import numpy as np
import pytest
from hand_fixtures import hand_frame, right_hand_poses

from vrtrainer.hands.hand import (
    ALL_VALID,
    BONES,
    FINGERTIPS,
    FULLY_TRACKED,
    POSITION_TRACKED,
    POSITION_VALID,
    RIGHT,
)
from vrtrainer.render import Framebuffer, SceneState, View, project_points
from vrtrainer.render.camera import look_at_pose
from vrtrainer.render.hands import INSTANCE_FLOATS, HandInstances, HandStyle

WRIST = (0.0, 1.05, -0.30)


def oracle_instances(frame, colors, alpha, style: HandStyle) -> np.ndarray:
    """Slow numpy twin of the instance kernel: joints then bones of each active hand."""
    rows = []
    for h in range(2):
        if not frame.active[h]:
            continue
        valid = (frame.flags[h] & POSITION_VALID) != 0
        tracked = (frame.flags[h] & POSITION_TRACKED) != 0
        r = np.where(frame.radii[h] > 0, frame.radii[h], style.default_radius)
        a = np.where(tracked, alpha, alpha * style.inferred_alpha)
        p = frame.poses[h, :, :3]
        for j in np.nonzero(valid)[0]:
            rows.append(np.r_[p[j], r[j], p[j], r[j], colors[h, j], a[j], colors[h, j], a[j]])
        for parent, child in BONES:
            if valid[parent] and valid[child]:
                rows.append(np.r_[p[parent], r[parent] * style.bone_scale, p[child],
                                  r[child] * style.bone_scale, colors[h, parent], a[parent],
                                  colors[h, child], a[child]])
    return np.array(rows, np.float32).reshape(-1, INSTANCE_FLOATS)


def oracle_colors(errors, tolerance, style: HandStyle) -> np.ndarray:
    palette = style.palette()
    k = np.where(np.isnan(errors), 0, np.where(errors <= tolerance, 1,
                 np.where(errors <= tolerance * style.near_factor, 2, 3)))
    return palette[k]


def test_instance_kernel_matches_numpy_oracle():
    rng = np.random.default_rng(7)
    style = HandStyle()
    live = hand_frame(right=right_hand_poses(WRIST), left=right_hand_poses(WRIST))
    live.flags[:] = rng.choice([0, ALL_VALID, FULLY_TRACKED, POSITION_VALID], size=(2, 26))
    live.radii[0, ::3] = 0.0  # missing radii fall back to the default
    ghost = hand_frame(right=right_hand_poses(WRIST, curl={2: 0.4}))
    ghost.flags[1, 5] = 0
    errors = rng.uniform(0, 0.04, size=(2, 26))
    errors[rng.random((2, 26)) < 0.2] = np.nan
    tolerance = rng.uniform(0.01, 0.02, size=26)
    inst = HandInstances(style)
    n = inst.fill(live, errors, tolerance, ghost)
    colors = oracle_colors(errors, np.broadcast_to(tolerance, (2, 26)), style)
    ghost_colors = np.broadcast_to(np.float32(style.ghost), (2, 26, 3))
    expected = np.concatenate([oracle_instances(live, colors, 1.0, style),
                               oracle_instances(ghost, ghost_colors, style.ghost_alpha, style)])
    assert n == len(expected)
    np.testing.assert_allclose(inst.data[:n], expected, rtol=1e-6, atol=1e-7)


def test_errors_of_the_wrong_shape_are_refused():
    from vrtrainer.errors import RenderError

    frame = hand_frame(right=right_hand_poses(WRIST))
    with pytest.raises(RenderError, match=r"\(2, 26\)"):
        HandInstances().fill(frame, np.zeros(26), 0.01, None)


def test_inactive_hands_give_no_instances():
    frame = hand_frame(right=right_hand_poses(WRIST))
    frame.active[RIGHT] = False
    assert HandInstances().fill(frame, None, 0.01, None) == 0


def _hue_class(rgb: np.ndarray) -> str:
    r, g, b = (float(c) for c in rgb[:3])
    if g > 1.3 * r and g > 1.3 * b:
        return "green"
    if r > 1.6 * g and r > 1.6 * b:
        return "red"
    if r > 1.1 * g and g > 0.45 * r and b < 0.5 * g:
        return "amber"
    return "other"  # e.g. the neutral skin tone of joints without an error


@pytest.fixture(scope="module")
def close_view():
    """An eye 0.32 m above and behind the right hand, looking at its fingers."""
    return View(look_at_pose([0.0, 1.30, -0.12], [0.0, 1.05, -0.38]), (-0.6, 0.6, 0.45, -0.45))


def _joint_pixel(image, frame, joint, view):
    x, y = project_points(frame.poses[RIGHT, joint, :3][None], view, image.shape[1],
                          image.shape[0])[0]
    return image[int(y), int(x)]


def test_joint_colours_follow_errors(renderer, close_view):
    frame = hand_frame(right=right_hand_poses(WRIST), time=1.0)
    tolerance = 0.01
    errors = np.full((2, 26), np.nan)
    thumb, index, middle, ring, little = FINGERTIPS
    errors[RIGHT, index] = 0.004   # within: green
    errors[RIGHT, middle] = 0.013  # near (<= 1.5 tolerance): amber
    errors[RIGHT, ring] = 0.05     # out: red
    fb = Framebuffer(320, 240)
    renderer.render_view(close_view, fb.target,
                         SceneState(hands=frame, joint_errors=errors, tolerance=tolerance))
    image = fb.read_pixels()
    assert _hue_class(_joint_pixel(image, frame, index, close_view)) == "green"
    assert _hue_class(_joint_pixel(image, frame, middle, close_view)) == "amber"
    assert _hue_class(_joint_pixel(image, frame, ring, close_view)) == "red"
    assert _hue_class(_joint_pixel(image, frame, little, close_view)) == "other"  # unknown
    # Swapping the errors swaps the colours: they come from the errors, not the joints.
    errors[RIGHT, index], errors[RIGHT, ring] = errors[RIGHT, ring], errors[RIGHT, index]
    renderer.render_view(close_view, fb.target,
                         SceneState(hands=frame, joint_errors=errors, tolerance=tolerance))
    image = fb.read_pixels()
    assert _hue_class(_joint_pixel(image, frame, index, close_view)) == "red"
    assert _hue_class(_joint_pixel(image, frame, ring, close_view)) == "green"
    fb.delete()


def test_untracked_joints_fade_and_invalid_or_stale_ones_vanish(renderer, close_view):
    fb = Framebuffer(320, 240)
    empty = SceneState()
    renderer.render_view(close_view, fb.target, empty)
    background = fb.read_pixels().astype(int)

    frame = hand_frame(right=right_hand_poses(WRIST), time=5.0)
    tip = FINGERTIPS[1]
    renderer.render_view(close_view, fb.target, SceneState(hands=frame))
    tracked = _joint_pixel(fb.read_pixels().astype(int), frame, tip, close_view)

    frame.flags[RIGHT, tip] = ALL_VALID  # valid but only inferred: faded
    renderer.render_view(close_view, fb.target, SceneState(hands=frame))
    inferred = _joint_pixel(fb.read_pixels().astype(int), frame, tip, close_view)
    behind = _joint_pixel(background, frame, tip, close_view)
    # A faded joint lies between the opaque colour and what is behind it.
    assert np.abs(inferred[:3] - tracked[:3]).sum() > 30
    assert np.abs(inferred[:3] - behind[:3]).sum() > 30

    frame.flags[RIGHT, tip] = 0  # no valid position: not drawn at all
    renderer.render_view(close_view, fb.target, SceneState(hands=frame))
    gone = _joint_pixel(fb.read_pixels().astype(int), frame, tip, close_view)
    assert np.abs(gone[:3] - behind[:3]).max() <= 2

    frame.flags[RIGHT] = FULLY_TRACKED  # a whole hand too old for the display time
    renderer.render_view(close_view, fb.target,
                         SceneState(hands=frame, time=frame.time + 1.0, stale_after=0.25))
    assert np.abs(fb.read_pixels().astype(int) - background).max() <= 2
    fb.delete()


def test_ghost_is_translucent_over_the_workpiece(renderer):
    from vrtrainer.render.scene import WORKPIECE_CENTRE

    view = View(look_at_pose([0.0, 1.25, -0.15], WORKPIECE_CENTRE), (-0.5, 0.5, 0.4, -0.4))
    # A ghost hand whose wrist sits just in front of the workpiece's upright plate.
    wrist = WORKPIECE_CENTRE + np.array([0.0, 0.02, 0.06])
    ghost = hand_frame(right=right_hand_poses(wrist))
    fb = Framebuffer(320, 240)

    def pixel(state):
        renderer.render_view(view, fb.target, state)
        x, y = project_points(ghost.poses[RIGHT, 1, :3][None], view, 320, 240)[0]
        return fb.read_pixels()[int(y), int(x), :3].astype(float)

    workpiece = pixel(SceneState())
    with_ghost = pixel(SceneState(ghost=ghost))
    # The same ghost over a different background: move the workpiece out of the way
    # by looking at the ghost from where the sky is behind it.
    ghost_high = hand_frame(right=right_hand_poses(wrist + np.array([0, 0.6, 0])))
    sky_view = View(view.pose + np.r_[0, 0.6, 0, 0, 0, 0, 0], view.fov)
    renderer.render_view(sky_view, fb.target, SceneState())
    x, y = project_points(ghost_high.poses[RIGHT, 1, :3][None], sky_view, 320, 240)[0]
    sky = fb.read_pixels()[int(y), int(x), :3].astype(float)
    renderer.render_view(sky_view, fb.target, SceneState(ghost=ghost_high))
    ghost_on_sky = fb.read_pixels()[int(y), int(x), :3].astype(float)
    assert np.abs(with_ghost - workpiece).sum() > 30, "ghost not visible over the workpiece"
    # What is behind shows through: the change in background shows in the result,
    # scaled by the ghost's transparency (1 - alpha).
    see_through = (with_ghost - ghost_on_sky) / (workpiece - sky)
    usable = np.abs(workpiece - sky) > 20
    assert usable.any()
    assert np.all((see_through[usable] > 0.3) & (see_through[usable] < 0.9))
    fb.delete()
