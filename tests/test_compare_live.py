"""Live alignment and per-frame features against their numpy twins, and behaviour."""

from __future__ import annotations

import compare_oracle as oracle
import numpy as np
import pytest

from vrtrainer.compare import FeatureConfig, LiveAligner, build_template, take_features
from vrtrainer.compare.features import ABDUCTION, FLEXION, POSITION
from vrtrainer.compare.live import PER_HAND, _column_layout, _frame_features, _oltw_step
from vrtrainer.hands import sim


@pytest.fixture(scope="module")
def pinch():
    return build_template([sim.simulate("pinch", seed=s) for s in (1, 2, 3)], name="pinch")


def test_frame_features_equal_the_take_features():
    take = sim.simulate("grab", role="trainee", flaws=["dropout=0.2"], seed=4)
    f = take_features(take, FeatureConfig(path=False), (1,))
    local = np.isin(f.layout.kind, (POSITION, FLEXION, ABDUCTION))
    hands = np.array([1])
    scale = np.array([0.19 / f.hand_lengths["right"]])
    anchor = np.zeros((1, 12))
    anchored = np.zeros(1, bool)
    out = np.zeros(PER_HAND)
    mask = np.zeros(PER_HAND, bool)
    for i in range(take.n_frames):
        _frame_features(take.poses[i], take.flags[i], take.active[i], hands, scale, anchor,
                        anchored, out, mask)
        np.testing.assert_array_equal(mask[:-3], f.mask[i, local])
        np.testing.assert_allclose(out[:-3][mask[:-3]], f.values[i, local][f.mask[i, local]],
                                   atol=1e-6)
    # path from the start: the first valid wrist frame is the origin
    valid0 = int(np.argmax(take.active[:, 1] & (take.flags[:, 1, 1] & 3 == 3)))
    assert np.allclose(anchor[0, :3], take.poses[valid0, 1, 1, :3])


@pytest.mark.parametrize("garbage", [False, True])
def test_oltw_steps_equal_the_oracle(garbage):
    rng = np.random.default_rng(8)
    ref = np.cumsum(rng.standard_normal((60, 5)), axis=0)
    rmask = rng.random(ref.shape) > 0.1
    w = np.array([1.0, 2.0, 0.5, 0.0, 1.0])
    ys = ref[np.clip((np.arange(80) * 0.7).astype(int), 0, 59)] + rng.normal(0, .1, (80, 5))
    yms = rng.random(ys.shape) > 0.1
    if garbage:  # invalid values and an unweighted channel are never read
        ref = np.where(rmask, ref, np.nan)
        ys = np.where(yms, ys, np.inf)
        ys[:, 3] = np.nan
    window = 16
    want = oracle.oltw(ref, rmask, w, ys, yms, window)
    ref_t, wm_t, gaps = _column_layout(ref, rmask, w)
    prev, cur = np.full(60, np.inf), np.full(60, np.inf)
    num, den, act = np.empty(window), np.empty(window), np.empty(5, np.int64)
    lo_p = hi_p = cur_lo = cur_hi = 0
    best = 0
    for j in range(80):
        lo = max(0, min(best - window // 4, 60 - window))
        hi = min(60, lo + window)
        cur[cur_lo:cur_hi] = np.inf
        best = _oltw_step(ref_t, wm_t, gaps, w, ys[j], yms[j], prev, cur, num, den, act, lo_p, hi_p,
                          lo, hi, j)
        assert best == want[j][0]
        np.testing.assert_allclose(cur[lo:hi], want[j][1], rtol=1e-12)
        prev, cur = cur, prev
        cur_lo, cur_hi, lo_p, hi_p = lo_p, hi_p, lo, hi


def _follow(aligner, take):
    states = []
    for i in range(take.n_frames):
        s = aligner.step(take.frame(i))
        states.append((s.progress, s.lead_s, s.phase, np.nanmax(s.joint_error_m)))
    return np.array(states)


def test_clean_trainee_keeps_pace_and_a_slow_one_falls_behind(pinch):
    clean = _follow(LiveAligner(pinch), sim.simulate("pinch", role="trainee", seed=20))
    assert clean[-1, 0] > 0.95 and np.all(np.abs(clean[:, 1]) < 0.5)
    assert np.all(np.diff(clean[:, 2]) >= 0) and clean[-1, 2] == pinch.n_phases
    assert np.nanmax(clean[:, 3]) < 0.03
    slow_take = sim.simulate("pinch", role="trainee", flaws=["slow=1.5"], seed=20)
    slow = _follow(LiveAligner(pinch), slow_take)
    assert slow[-1, 0] > 0.95
    assert slow[-1, 1] == pytest.approx(-(slow_take.duration - pinch.duration), abs=0.4)


def test_left_handed_trainee_follows_the_mirrored_reference(pinch):
    right = _follow(LiveAligner(pinch), sim.simulate("pinch", role="trainee", seed=20))
    left = _follow(LiveAligner(pinch, mirror=True),
                   sim.simulate("pinch", role="trainee", hand="left", seed=20))
    np.testing.assert_allclose(left[:, :2], right[:, :2], atol=1e-6)


def test_wrong_finger_shows_in_that_fingers_joints(pinch):
    take = sim.simulate("pinch", role="trainee", flaws=["wrong-finger=60"], seed=20)
    info = take.meta.extra["flaws"][0]
    from vrtrainer.hands.hand import FINGER_NAMES, FINGERS

    tip = FINGERS[FINGER_NAMES.index(info["finger"])][-1]
    aligner = LiveAligner(pinch)
    worst = 0.0
    for i in range(take.n_frames):
        s = aligner.step(take.frame(i))
        if info["start"] + 0.2 < take.times[i] < info["end"] - 0.2:
            worst = max(worst, s.joint_z[1, tip])
    assert worst > 2.0
