"""Comparison features: invariances, robust hand size, masks, mirroring."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from vrtrainer import sim
from vrtrainer.compare import FeatureConfig, take_features
from vrtrainer.compare.features import (
    PATH,
    WORLD,
    mirror_channels,
    robust_hand_length,
    smoothed,
)
from vrtrainer.errors import VrtrainerError
from vrtrainer.hand import POSITION_VALID, position_valid


@pytest.fixture(scope="module")
def grab():
    return sim.simulate("grab", role="trainee", flaws=["dropout=0.1"], seed=3)


def _move(poses: np.ndarray, rot: Rotation, shift: np.ndarray) -> np.ndarray:
    p = poses.astype(np.float64)
    return np.concatenate([
        rot.apply(p[..., :3].reshape(-1, 3)).reshape(p[..., :3].shape) + shift,
        (rot * Rotation.from_quat(p[..., 3:].reshape(-1, 4))).as_quat().reshape(
            p[..., 3:].shape),
    ], axis=-1).astype(np.float32)


def _moved(take, rot: Rotation, shift: np.ndarray):
    """The whole scene (hands and tools) moved rigidly."""
    out = take.slice(0, take.n_frames)
    out.poses = _move(take.poses, rot, shift)
    if take.tools is not None:
        out.tools = _move(take.tools, rot, shift)
    return out


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-np.pi, np.pi), min_size=3, max_size=3),
       st.lists(st.floats(-5, 5), min_size=3, max_size=3))
def test_wrist_local_channels_ignore_a_rigid_move_of_the_scene(grab, angles, shift):
    config = FeatureConfig(world=True)
    a = take_features(grab, config)
    b = take_features(_moved(grab, Rotation.from_euler("xyz", angles), np.array(shift)),
                      config)
    np.testing.assert_array_equal(a.mask, b.mask)
    local = a.layout.kind != WORLD
    np.testing.assert_allclose(b.values[:, local][b.mask[:, local]],
                               a.values[:, local][a.mask[:, local]], atol=1e-4)  # float32 poses
    if np.linalg.norm(shift) > 0.1:
        assert not np.allclose(a.values[:, ~local], b.values[:, ~local], atol=1e-3)


def test_hand_size_is_normalised_and_robust_to_bad_frames():
    small = sim.simulate("pinch", role="trainee", flaws=["hand-size=0.8"], seed=1)
    big = sim.simulate("pinch", role="trainee", flaws=["hand-size=1.3"], seed=1)
    fs, fb = take_features(small), take_features(big)
    assert fb.hand_lengths["right"] / fs.hand_lengths["right"] == pytest.approx(1.3 / 0.8,
                                                                                rel=1e-3)
    shape = fs.layout.kind != PATH
    np.testing.assert_allclose(fb.values[:, shape], fs.values[:, shape], atol=1e-4)
    pos = big.poses[:, 1, :, :3].astype(np.float64)
    valid = position_valid(big.flags[:, 1])
    clean = robust_hand_length(pos, valid)
    wild = pos.copy()
    wild[::7, 15] += 0.3  # every seventh frame the middle tip flies off
    assert robust_hand_length(wild, valid) == pytest.approx(clean, rel=0.02)


def test_invalid_joints_are_masked_not_filled(grab):
    f = take_features(grab)
    lost = ~position_valid(grab.flags[:, 1])
    col = f.layout.names.index("right.index_tip.x")
    assert lost[:, 10].any()
    assert not f.mask[lost[:, 10], col].any()
    assert f.mask[~lost[:, 10] & ~lost[:, 1], col].all()
    # what a lost joint's pose holds does not matter
    other = grab.slice(0, grab.n_frames)
    other.poses = grab.poses.copy()
    other.poses[:, 1, 10, :3][lost[:, 10]] = 1e6
    g = take_features(other)
    np.testing.assert_array_equal(g.values[g.mask], f.values[f.mask])
    assert (grab.flags & POSITION_VALID).any()


def test_smoothing_averages_only_valid_values(grab):
    f = take_features(grab)
    ramp = take_features(grab)
    ramp.values = np.repeat(np.arange(ramp.n_frames, dtype=float)[:, None], ramp.values.shape[1],
                            axis=1)
    ramp.mask[:] = True
    s = smoothed(ramp, 0.1)  # a centred average leaves a straight line alone
    np.testing.assert_allclose(s.values[10:-10], ramp.values[10:-10])
    np.testing.assert_array_equal(smoothed(f, 0.1).mask, f.mask)
    poisoned = take_features(grab)
    poisoned.values[~poisoned.mask] = 1e9
    np.testing.assert_allclose(smoothed(poisoned, 0.1).values[f.mask],
                               smoothed(f, 0.1).values[f.mask])


def test_mirrored_left_hand_reads_as_the_right_hand():
    right = take_features(sim.simulate("screw", seed=2))
    left = take_features(sim.simulate("screw", seed=2, hand="left"))
    values, mask = mirror_channels(left.values, left.mask, left.layout)
    np.testing.assert_allclose(values, right.values, atol=1e-5)
    np.testing.assert_array_equal(mask, right.mask)


def test_bad_configuration_is_refused():
    with pytest.raises(VrtrainerError, match="kinds"):
        FeatureConfig(kind_weights={"colour": 1.0})
    with pytest.raises(VrtrainerError, match="joint"):
        FeatureConfig(joint_weights={"sixth_finger": 1.0})
    with pytest.raises(VrtrainerError, match="no channels"):
        take_features(sim.simulate("pinch", seed=1),
                      FeatureConfig(positions=False, angles=False, path=False))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(
    lambda q: np.linalg.norm(q) > 0.1))
def test_rotation_helpers_agree_with_scipy(q):
    from vrtrainer.compare.features import quat_log, rotvec_matrix

    q = np.array(q) / np.linalg.norm(q)
    r = Rotation.from_quat(q)
    np.testing.assert_allclose(rotvec_matrix(quat_log(q)), r.as_matrix(), atol=1e-9)
    if r.magnitude() < np.pi - 1e-6:  # at pi the axis sign is a matter of convention
        np.testing.assert_allclose(quat_log(q), r.as_rotvec(), atol=1e-9)


def test_tool_channels_follow_the_tool_in_its_anchor_frame():
    take = sim.simulate("screw", seed=1)
    # a second, fixed tool (the workpiece) a little way off, turned about Y
    k = take.n_frames
    work = np.zeros((k, 7), np.float32)
    work[:, :3] = (0.1, 1.0, -0.5)
    work[:, 3:] = Rotation.from_euler("y", 30, degrees=True).as_quat()
    take.tool_names = ("screwdriver", "workpiece")
    take.tools = np.concatenate([take.tools, work[:, None]], axis=1)
    take.tool_flags = np.concatenate([take.tool_flags, np.full((k, 1), 3, np.uint8)], axis=1)
    take.tool_flags[10:20, 1] = 0  # the workpiece lost for a moment
    config = FeatureConfig(tool_pairs=(("screwdriver", "workpiece"),))
    f = take_features(take, config)
    cols = [f.layout.names.index(f"tool.screwdriver@workpiece.{a}") for a in "xyz"]
    expect = Rotation.from_quat(work[:, 3:]).inv().apply(take.tools[:, 0, :3] - work[:, :3])
    ok = f.mask[:, cols[0]]
    assert not ok[10:20].any() and ok[:10].all() and ok[20:].all()
    np.testing.assert_allclose(f.values[ok][:, cols], expect[ok], atol=1e-6)
    moved = take_features(_moved(take, Rotation.from_euler("z", 50, degrees=True),
                                 np.array([1.0, 0, 2])), config)
    np.testing.assert_allclose(moved.values[:, cols], f.values[:, cols], atol=1e-5)
