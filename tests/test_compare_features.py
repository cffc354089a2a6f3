"""Comparison features: invariances, robust hand size, masks, mirroring."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from vrtrainer.compare import FeatureConfig, take_features
from vrtrainer.compare.features import (
    PATH,
    WORLD,
    hands_in,
    mirror_channels,
    robust_hand_length,
    smoothed,
)
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.hand import POSITION_VALID, position_valid


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


SPACE = FeatureConfig(centred=True, facing=True, palm_relative=True)


def test_tracking_space_channels_turn_with_the_scene_and_ignore_a_shift(grab):
    from vrtrainer.compare.features import CENTRED, FACING, PALM_RELATIVE

    turn = Rotation.from_euler("xyz", [0.3, -1.1, 2.0])
    a = take_features(grab, SPACE)
    b = take_features(_moved(grab, turn, np.array([1.0, -2.0, 0.5])), SPACE)
    np.testing.assert_array_equal(a.mask, b.mask)
    for kind in (CENTRED, FACING, PALM_RELATIVE):
        cols = np.flatnonzero(a.layout.kind == kind)
        assert len(cols) % 3 == 0 and len(cols) > 0
        ok = a.mask[:, cols[0]]
        for c in cols[::3]:
            np.testing.assert_allclose(b.values[ok, c:c + 3],
                                       turn.apply(a.values[ok, c:c + 3]), atol=1e-4)


def test_tracking_space_channels_are_what_they_say(grab):
    from vrtrainer.compare.features import STANDARD_HAND_LENGTH
    from vrtrainer.hands.hand import PALM, WRIST

    f = take_features(grab, SPACE)
    names = f.layout.names
    h = 1
    pos = grab.poses[:, h, :, :3].astype(np.float64)
    ok = position_valid(grab.flags[:, h, PALM]) & grab.active[:, h]
    cols = [names.index(f"right.centred.{a}") for a in "xyz"]
    np.testing.assert_array_equal(f.mask[:, cols[0]], ok)
    step = np.diff(pos[:, PALM], axis=0)
    both = ok[1:] & ok[:-1]
    np.testing.assert_allclose(np.diff(f.values[:, cols], axis=0)[both], step[both], atol=1e-9)
    back = f.values[:, [names.index(f"right.facing.back.{a}") for a in "xyz"]]
    point = f.values[:, [names.index(f"right.facing.pointing.{a}") for a in "xyz"]]
    fok = f.mask[:, names.index("right.facing.back.x")]
    np.testing.assert_allclose(np.linalg.norm(back[fok], axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.sum(back * point, axis=1)[fok], 0.0, atol=1e-6)
    # the pointing direction runs from the wrist towards the fingers
    towards = pos[:, PALM] - pos[:, WRIST]
    assert np.all(np.sum(point * towards, axis=1)[fok & ok] > 0)
    scale = STANDARD_HAND_LENGTH / f.hand_lengths["right"]
    c = names.index("right.palm_relative.index_tip.x")
    jok = f.mask[:, c]
    from vrtrainer.hands.hand import JOINT_NAMES
    tip = JOINT_NAMES.index("index_tip")
    np.testing.assert_allclose(f.values[jok, c:c + 3],
                               (pos[jok, tip] - pos[jok, PALM]) * scale, atol=1e-9)


def test_tracking_space_channels_are_masked_where_the_palm_is_lost(grab):
    from vrtrainer.hands.hand import PALM

    take = grab.slice(0, grab.n_frames)
    take.flags = take.flags.copy()
    take.flags[5:9, 1, PALM] = 0
    f = take_features(take, SPACE)
    for prefix in ("right.centred.", "right.facing.", "right.palm_relative."):
        cols = [i for i, n in enumerate(f.layout.names) if n.startswith(prefix)]
        assert not f.mask[5:9, cols].any()
        assert f.mask[:5, cols].any()


def test_mirrored_left_hand_reads_as_the_right_hand_in_tracking_space():
    right = take_features(sim.simulate("screw", seed=2), SPACE)
    left = take_features(sim.simulate("screw", seed=2, hand="left"), SPACE)
    values, mask = mirror_channels(left.values, left.mask, left.layout)
    np.testing.assert_allclose(values, right.values, atol=1e-5)
    np.testing.assert_array_equal(mask, right.mask)


def test_configuration_round_trips_and_reads_older_headers():
    config = FeatureConfig(facing=True, palm_relative=True, kind_weights={"facing": 0.5})
    assert FeatureConfig.from_dict(config.to_dict()) == config
    old = FeatureConfig().to_dict()
    for key in ("centred", "facing", "palm_relative"):
        del old[key]
    assert FeatureConfig.from_dict(old) == FeatureConfig()


def _tool_take(n=60, seed=5, grippers=True):
    """Two tools moving and turning smoothly, no hands (a tool-only take)."""
    from vrtrainer.takes.take import empty_take

    rng = np.random.default_rng(seed)
    take = empty_take(n, ("left_tool", "right_tool"))
    t = np.linspace(0, 2 * np.pi, n)
    for k in range(2):
        take.tools[:, k, :3] = (np.stack([np.sin(t + k), np.cos(2 * t), 0.3 * t], 1) * 0.05
                                + rng.normal(size=3))
        rv = np.stack([0.4 * np.sin(t), 0.2 * t, 0.1 * np.cos(t + k)], 1) + rng.normal(size=3)
        take.tools[:, k, 3:] = Rotation.from_rotvec(rv).as_quat()
    take.tool_flags[:] = POSITION_VALID | 0x1
    if grippers:
        take.tool_grippers = np.stack([np.sin(t), np.cos(t)], 1).astype(np.float32)
    return take


def _naive_tool_motion(take, k):
    """Per frame with scipy: pose relative to the mean pose (Markley mean orientation).

    For the mean only, lost frames take positions interpolated and the orientation of
    the nearest tracked frame (the later one on a tie).
    """
    ok = (take.tool_flags[:, k] & 3) == 3
    pos = take.tools[:, k, :3].astype(float)
    quats = take.tools[:, k, 3:].astype(float)
    centre = np.mean([np.interp(np.arange(len(pos)), np.flatnonzero(ok), pos[ok, a])
                      for a in range(3)], axis=1)
    good = np.flatnonzero(ok)
    near = [good[np.argmin(np.abs(good - i) - 1e-3 * (good > i))] for i in range(len(pos))]
    bridged = quats[near] / np.linalg.norm(quats[near], axis=1)[:, None]
    m = sum(np.outer(q, q) for q in bridged)
    mean = Rotation.from_quat(np.linalg.eigh(m)[1][:, -1])
    out = np.zeros((len(pos), 6))
    for i in np.flatnonzero(ok):
        out[i, :3] = mean.apply(pos[i] - centre, inverse=True)
        out[i, 3:] = (mean.inv() * Rotation.from_quat(quats[i])).as_rotvec()
    return out, ok


def test_tool_motion_channels_match_a_naive_version():
    take = _tool_take()
    take.tool_flags[10:14, 1] = 0  # the right tool lost for a moment
    config = FeatureConfig(tools=("left_tool", "right_tool"))
    f = take_features(take, config)
    assert f.layout.names[:7] == tuple(
        f"tool.left_tool.{c}" for c in ("path.x", "path.y", "path.z", "turn.x", "turn.y",
                                        "turn.z", "gripper"))
    for k in range(2):
        want, ok = _naive_tool_motion(take, k)
        cols = slice(7 * k, 7 * k + 6)
        np.testing.assert_array_equal(f.mask[:, cols], np.repeat(ok[:, None], 6, 1))
        np.testing.assert_allclose(f.values[ok, cols], want[ok], atol=2e-5)
        np.testing.assert_allclose(f.values[ok, 7 * k + 6], take.tool_grippers[ok, k], atol=1e-7)
        assert not f.mask[~ok, 7 * k + 6].any()


def test_tool_motion_ignores_where_the_scene_is_and_which_way_it_faces():
    take = _tool_take()
    config = FeatureConfig(tools=("left_tool", "right_tool"))
    moved = _tool_take()
    rot, shift = Rotation.from_euler("xyz", [20, -70, 35], degrees=True), np.array([1, 0.2, -3])
    moved.tools = _move(moved.tools, rot, shift)
    a, b = take_features(take, config), take_features(moved, config)
    np.testing.assert_allclose(a.values, b.values, atol=5e-5)


def test_tool_only_takes_compare_tools_and_grippers_by_default():
    from vrtrainer.compare import build_template, score_take

    take = _tool_take(grippers=False)
    assert hands_in(take) == ()
    f = take_features(take, FeatureConfig(tools=("left_tool",)))
    assert f.layout.size == 7 and not f.mask[:, 6].any()  # no gripper recorded: masked
    takes = [_tool_take(seed=s) for s in (1, 2, 3)]
    tpl = build_template(takes)
    assert tpl.config.tools == ("left_tool", "right_tool") and tpl.hands == ()
    assert all(n.startswith("tool.") for n in tpl.layout.names)
    same = score_take(_tool_take(seed=4), tpl)
    wrong = _tool_take(seed=4)
    wrong.tool_grippers[:] = -wrong.tool_grippers  # closes the grippers where they opened
    worse = score_take(wrong, tpl)
    assert same.shape > 90 and worse.shape < same.shape - 20
    assert any(p.startswith("tool ") for p in worse.fingers)
    assert not take_features(take, FeatureConfig(tools=("saw",))).mask.any()  # not tracked
    with pytest.raises(VrtrainerError, match="twice"):
        FeatureConfig(tools=("a", "a"))
    cfg = FeatureConfig(tools=("left_tool",))
    assert FeatureConfig.from_dict(cfg.to_dict()) == cfg
