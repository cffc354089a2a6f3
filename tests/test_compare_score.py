"""Templates and scores on simulated takes: ranking, rejection, fairness, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vrtrainer.compare import (
    build_template,
    calibrate_rejection,
    load_template,
    save_template,
    score_take,
    take_features,
)
from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.negatives import negative_takes
from vrtrainer.takes.take import save_take


@pytest.fixture(scope="module")
def pinch():
    experts = [sim.simulate("pinch", seed=s) for s in range(1, 5)]
    tpl = build_template(experts, name="pinch")
    positives = [take_features(t, tpl.config, tpl.hands) for t in experts]
    calibrate_rejection(tpl, positives, negatives(tpl, "pinch"))
    return tpl


def negatives(tpl, *exclude):
    return [take_features(t, tpl.config, tpl.hands)
            for t in negative_takes(tpl.handedness, exclude=exclude)]


def trainee(*flaws, seed=20, **kw):
    return sim.simulate("pinch", role="trainee", flaws=list(flaws), seed=seed, **kw)


@pytest.fixture(scope="module")
def clean(pinch):
    return score_take(trainee(), pinch)


@pytest.mark.parametrize("gesture", sorted(sim.GESTURES))
def test_ranking_is_a_trainers(gesture):
    experts = [sim.simulate(gesture, seed=s) for s in range(1, 5)]
    tpl = build_template(experts, name=gesture)
    positives = [take_features(t, tpl.config, tpl.hands) for t in experts]
    calibrate_rejection(tpl, positives, negatives(tpl, gesture))

    def attempt(*flaws):
        return score_take(sim.simulate(gesture, role="trainee", flaws=list(flaws), seed=20), tpl)

    clean, slow, jitter, wrong = attempt(), attempt("slow"), attempt("jitter"), attempt(
        "wrong-finger")
    other_name = "grab" if gesture != "grab" else "pinch"
    other = score_take(sim.simulate(other_name, role="trainee", seed=20), tpl)
    assert clean.total > slow.total > jitter.total > wrong.total
    assert clean.passed and not clean.rejected
    assert not (slow.rejected or jitter.rejected or wrong.rejected)
    assert other.rejected and not other.passed
    assert f"does not look like {gesture}" in other.messages[0]
    assert not wrong.passed


def test_messages_explain_the_largest_errors(pinch):
    take = trainee("wrong-finger")
    wrong = take.meta.extra["flaws"][0]
    score = score_take(take, pinch)
    assert any(wrong["finger"] in m and "degrees too" in m and "phase" in m
               for m in score.messages), score.messages
    assert score.fingers[f"right {wrong['finger']}"] == min(score.fingers.values())
    slow = score_take(trainee("slow=1.5"), pinch)
    assert any("slower than the expert" in m for m in slow.messages)
    shaky = score_take(trainee("jitter=5"), pinch)
    assert any("unsteady" in m for m in shaky.messages)


def test_larger_hand_scores_within_one_point(pinch, clean):
    big = score_take(trainee("hand-size=1.2"), pinch)
    assert abs(big.total - clean.total) <= 1.0


def test_left_handed_trainee_is_compared_with_the_mirrored_reference(pinch, clean):
    left = score_take(trainee(hand="left"), pinch)
    assert left.mirrored and not clean.mirrored
    assert abs(left.total - clean.total) <= 1.0
    unmirrored = score_take(trainee(hand="left"), pinch, mirror=False)
    assert unmirrored.coverage < 50  # the right hand is simply not there


@pytest.mark.parametrize("flaw", ["slow=1.3", "fast=1.3", "warp=0.3"])
def test_time_warp_keeps_shape_and_shows_in_timing(pinch, clean, flaw):
    warped = score_take(trainee(flaw), pinch)
    assert abs(warped.shape - clean.shape) <= 5.0
    assert warped.timing < clean.timing


def test_lost_tracking_lowers_coverage_not_shape(pinch, clean):
    lost = score_take(trainee("dropout=0.25"), pinch)
    assert lost.coverage < clean.coverage - 10
    assert lost.shape >= clean.shape - 5
    assert any("tracking lost" in m for m in lost.messages)


def test_skipped_phase_fails(pinch):
    skipped = score_take(trainee("skip-phase"), pinch)
    assert not skipped.passed
    assert skipped.details["skipped_phases"]


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(sorted(sim.GESTURES)), st.integers(0, 10_000),
       st.sampled_from(["right", "left"]))
def test_identity_scores_100(gesture, seed, hand):
    take = sim.simulate(gesture, seed=seed, hand=hand)
    tpl = build_template([take], name=gesture)
    s = score_take(take, tpl)
    assert s.total == 100.0 and s.shape == 100.0 and s.timing == 100.0
    assert s.mismatch == 0.0 and s.messages == []


def test_outlier_expert_take_is_flagged_and_left_out():
    takes = [sim.simulate("pinch", seed=s) for s in range(1, 5)]
    takes.append(sim.simulate("pinch", role="trainee", flaws=["wrong-finger=60"], seed=9))
    tpl = build_template(takes, name="pinch")
    flags = [e["outlier"] for e in tpl.experts]
    assert flags == [False, False, False, False, True]
    assert tpl.info["n_experts"] == 4


def test_template_round_trips_and_bad_files_are_refused(pinch, tmp_path):
    path = save_template(pinch, tmp_path / "pinch.vrref")
    back = load_template(path)
    np.testing.assert_array_equal(back.values, pinch.values)
    np.testing.assert_array_equal(back.mask, pinch.mask)
    np.testing.assert_array_equal(back.phases, pinch.phases)
    assert back.rejection == pinch.rejection and back.experts == pinch.experts
    take = trainee()
    assert score_take(take, back).total == score_take(take, pinch).total
    not_a_template = save_take(take, tmp_path / "t.vrtake")
    with pytest.raises(InvalidFileError, match="t.vrtake"):
        load_template(not_a_template)
    broken = tmp_path / "broken.vrref"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InvalidFileError, match="broken.vrref"):
        load_template(broken)


# (flaw, lowest, highest amount) over which a flaw still changes the motion
_FLAWS = {"jitter": (0.5, 20.0), "slow": (1.05, 3.0), "tremor": (1.0, 20.0),
          "dropout": (0.05, 0.4), "wrong-finger": (5.0, 45.0)}


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(sorted(_FLAWS)), st.floats(0, 1), st.floats(0, 1),
       st.integers(0, 3))
@example(flaw="dropout", u=1.0, v=0.875, seed=2)  # 35 % dropout read as a skipped movement
@example(flaw="dropout", u=1.0, v=0.5, seed=3)  # the same at 22.5 %
def test_a_larger_flaw_never_scores_higher(pinch, flaw, u, v, seed):
    lo, hi = _FLAWS[flaw]
    a, b = sorted((lo + u * (hi - lo), lo + v * (hi - lo)))
    small = score_take(trainee(f"{flaw}={a}", seed=seed), pinch)
    large = score_take(trainee(f"{flaw}={b}", seed=seed), pinch)
    assert large.total <= small.total


def test_untracked_short_and_other_rate_takes(pinch, clean):
    take = trainee()
    dead = take.slice(0, take.n_frames)
    dead.active[:] = False
    dead.flags[:] = 0
    s = score_take(dead, pinch)
    assert s.total == 0.0 and not s.passed and "never tracked" in s.messages[0]
    assert (s.verdict, s.reasons[0]["rule"]) == ("fail", "tracking")
    assert s.verdict_rule == s.messages[0]
    from vrtrainer.compare.wording import comparator_message
    from vrtrainer.session.verdict import reasons

    assert reasons(s.total, s.passed, s.rejected, s.to_dict(), "fr") == [
        "la main droite n'a jamais été suivie : rien à évaluer"]
    assert comparator_message(s.messages[0], "fr") == (
        "la main droite n'a jamais été suivie : rien à évaluer")
    assert s.to_dict()["mismatch"] is None  # JSON has no infinity
    with pytest.raises(VrtrainerError, match="too short"):
        score_take(take.slice(0, 2), pinch)
    slow_camera = score_take(trainee(rate=30.0), pinch)
    assert abs(slow_camera.shape - clean.shape) <= 3.0 and slow_camera.passed


def test_errors_averaged_onto_each_side_equal_the_plain_sums_bit_for_bit():
    """The per-frame sums of the scoring alignment (bincount) equal np.add.at's, the
    plain way, on a take much longer than its reference."""
    from vrtrainer.compare.features import on_clock, smoothed
    from vrtrainer.compare.score import SCORE_RATE, SMOOTH_S, _aligned, features_for

    tpl = build_template([sim.simulate("pinch", seed=s) for s in (1, 2)], name="pinch")
    take = sim.simulate("pinch", role="trainee", flaws=["slow=2", "dropout=0.3"], seed=4)
    raw, use, _ = features_for(take, tpl)
    feat = on_clock(smoothed(raw, SMOOTH_S), SCORE_RATE)
    ref = use.on_clock(SCORE_RATE)
    got = _aligned(feat, ref)
    i, j = got["path"][:, 0], got["path"][:, 1]
    ok = feat.mask[j] & ref.mask[i]
    diff = np.where(ok, feat.values[j] - ref.values[i], 0.0)
    total = np.zeros((ref.n_frames, diff.shape[1]))
    count = np.zeros((ref.n_frames, diff.shape[1]))
    np.add.at(total, i, diff)
    np.add.at(count, i, ok)
    assert np.array_equal(got["seen"], count > 0)
    assert np.array_equal(got["mean"], np.where(count > 0, total / np.maximum(count, 1), 0.0))
    assert len(j) > ref.n_frames and (~ok).any()  # a slow take, with masked values


def test_a_take_far_longer_than_the_reference_fails_on_tempo_without_comparison(pinch):
    """Past LENGTH_LIMIT times the reference (and LENGTH_FLOOR_S) a take fails on tempo
    with a way out in words, before its length drives the scoring clock's work; just
    under it, the take is compared frame by frame as any other."""
    from dataclasses import replace

    from vrtrainer.compare.score import LENGTH_FLOOR_S, LENGTH_LIMIT

    take = trainee()
    limit = max(LENGTH_LIMIT * pinch.duration, LENGTH_FLOOR_S)
    span = take.times[-1] - take.times[0]

    def stretched(seconds):
        return replace(take, times=take.times[0] + (take.times - take.times[0]) * seconds / span)

    long = score_take(stretched(limit * 1.05), pinch)
    assert (long.verdict, long.reasons[0]["rule"]) == ("fail", "tempo")
    assert "too long to compare" in long.verdict_rule and "vrtrainer trim" in long.verdict_rule
    assert long.tempo > LENGTH_LIMIT and long.total < long.pass_mark and not long.phases
    # said as that one reason: its zero shape was never measured, so it is no reason
    from vrtrainer.compare.wording import comparator_message
    from vrtrainer.session.verdict import reasons

    assert reasons(long.total, long.passed, long.rejected, long.to_dict()) == [long.verdict_rule]
    [french] = reasons(long.total, long.passed, long.rejected, long.to_dict(), "fr")
    assert french.startswith("la prise dure ") and "(vrtrainer trim)" in french
    assert french == comparator_message(long.messages[0], "fr")
    under = score_take(stretched(limit * 0.95), pinch)
    assert under.reasons[0]["rule"] == "tempo" and "too long" not in under.verdict_rule
    assert under.phases and under.tempo > LENGTH_LIMIT * 0.5
