"""Hands and controllers read through OpenXR follow what the remote feeder performs."""

from __future__ import annotations

import numpy as np
import pytest

from vrtrainer.hands.hand import FINGERTIPS, LEFT, RIGHT, WRIST, position_valid
from vrtrainer.xr.actions import ToolBinding
from vrtrainer.xr.backend import OpenXRBackend
from vrtrainer.xr.lifecycle import SessionState

OPEN = (0.0, 0.0, 0.0, 0.0, 0.0)
INDEX_CURLED = (0.0, 1.0, 0.0, 0.0, 0.0)
FIST = (1.0, 1.0, 1.0, 1.0, 1.0)


def _settled(backend, feeder, data, frames=6):
    """Send ``data`` and return a copy of the frame a few frames later (focused)."""
    feeder.send(data)
    out = None
    for _ in range(400):
        frame = backend.begin_frame()
        assert frame is not None
        backend.end_frame()
        if backend.state != SessionState.FOCUSED:
            continue
        frames -= 1
        if frames <= 0:
            out = frame
            break
    assert out is not None, "the session never got focused"
    return (out.hands.poses.copy(), out.hands.flags.copy(), out.hands.active.copy(),
            out.controllers)  # fmt: skip


def _tip_distances(poses, hand):
    return np.linalg.norm(poses[hand, list(FINGERTIPS), :3] - poses[hand, WRIST, :3], axis=-1)


@pytest.fixture
def headless(monado):
    with OpenXRBackend(mode="headless", tools=(ToolBinding("spray_gun", RIGHT),)) as backend:
        assert backend.report.hand_tracking
        yield backend


def test_joints_follow_finger_curls(headless, feeder):
    state = feeder.initial
    state.right.curls = OPEN
    open_poses, flags, active, _ = _settled(headless, feeder, state)
    assert active.all() and position_valid(flags).all()
    state.right.curls = INDEX_CURLED
    index_poses, *_ = _settled(headless, feeder, state)
    state.right.curls = FIST
    fist_poses, *_ = _settled(headless, feeder, state)

    d_open = _tip_distances(open_poses, RIGHT)
    d_index = _tip_distances(index_poses, RIGHT)
    d_fist = _tip_distances(fist_poses, RIGHT)
    # Index tip comes well towards the wrist when curled...
    assert d_index[1] < d_open[1] - 0.03
    # ...and only the index moved: other fingertips stay where they were.
    others = [0, 2, 3, 4]
    assert np.abs(d_index[others] - d_open[others]).max() < 1e-3
    # A fist pulls every long finger in.
    assert np.all(d_fist[1:] < d_open[1:] - 0.02)
    # The left hand, never curled, did not move.
    np.testing.assert_allclose(index_poses[LEFT, :, :3], open_poses[LEFT, :, :3], atol=1e-4)


def test_joints_follow_the_hand_pose(headless, feeder):
    state = feeder.initial
    before, *_ = _settled(headless, feeder, state)
    x, y, z = state.right.pose[:3]
    state.right.pose = (x + 0.1, y - 0.05, z, *state.right.pose[3:])
    after, *_ = _settled(headless, feeder, state)
    shift = after[RIGHT, :, :3] - before[RIGHT, :, :3]
    np.testing.assert_allclose(shift, np.tile([0.1, -0.05, 0.0], (26, 1)), atol=1e-4)


def test_inactive_hand_tracking_gives_inactive_hands(headless, feeder):
    state = feeder.initial
    state.left.hand_tracking_active = False
    _, flags, active, _ = _settled(headless, feeder, state)
    assert not active[LEFT] and active[RIGHT]
    assert (flags[LEFT] == 0).all()
    assert position_valid(flags[RIGHT]).all()


def test_controller_drives_tool_and_commands(headless, feeder):
    state = feeder.initial
    state.right.pose = (0.25, 1.1, -0.4, 0.0, 0.0, 0.0, 1.0)
    state.right.trigger = 0.7
    *_, controllers = _settled(headless, feeder, state)
    assert controllers.profiles[RIGHT] == "" or "index_controller" in controllers.profiles[RIGHT]
    np.testing.assert_allclose(controllers.tool_poses[0, :3], (0.25, 1.1, -0.4), atol=1e-4)
    assert controllers.tool_flags[0] & 0x3 == 0x3
    assert controllers.tool_trigger[0] == pytest.approx(0.7)

    state.right.buttons = {"a_click": True}
    feeder.send(state)
    commands = []
    for _ in range(40):
        frame = headless.begin_frame()
        commands += frame.events
        headless.end_frame()
    assert commands == ["next"]  # once per press, not once per frame
