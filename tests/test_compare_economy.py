"""Economy of motion: measures against a naive version, and what the score makes of them."""

from __future__ import annotations

import numpy as np
import pytest
from test_compare_features import _tool_take

from vrtrainer.compare import FeatureConfig, build_template, score_take, smoothed, take_features
from vrtrainer.compare.economy import SMOOTH_S, excess, motion_measures, on_grid
from vrtrainer.compare.features import GRIPPER, PATH, TOOL_PATH, TOOL_TURN, TURN
from vrtrainer.hands import sim

TOOLS = FeatureConfig(tools=("left_tool", "right_tool"))


def naive_measures(features) -> dict[str, float]:
    """Frame by frame: distances of each 3-vector, gripper changes, speed peaks."""
    f = on_grid(smoothed(features, SMOOTH_S), SMOOTH_S / 2)
    lay = f.layout
    out = {"travel": 0.0, "turning": 0.0, "gripping": 0.0, "movements": 0.0}
    n = f.n_frames
    speed = np.zeros(n - 1)
    for c in range(lay.size):
        kind = int(lay.kind[c])
        if kind == GRIPPER:
            for i in range(1, n):
                if f.mask[i, c] and f.mask[i - 1, c]:
                    out["gripping"] += abs(f.values[i, c] - f.values[i - 1, c])
        if lay.axis[c] != 0 or kind not in (PATH, TOOL_PATH, TURN, TOOL_TURN):
            continue
        for i in range(1, n):
            if f.mask[i, c:c + 3].all() and f.mask[i - 1, c:c + 3].all():
                d = float(np.sqrt(sum((f.values[i, c + a] - f.values[i - 1, c + a]) ** 2
                                      for a in range(3))))
                if kind in (PATH, TOOL_PATH):
                    out["travel"] += d
                    speed[i - 1] += d / (f.times[i] - f.times[i - 1])
                else:
                    out["turning"] += d
    floor = 0.5 * np.median(speed)
    for i in range(1, n - 2):
        if speed[i] > speed[i - 1] and speed[i] >= speed[i + 1] and speed[i] > floor:
            out["movements"] += 1
    return out


@pytest.mark.parametrize("take", [
    _tool_take(n=90, seed=2),
    sim.simulate("grab", role="trainee", flaws=["dropout=0.2"], seed=7),
], ids=["tools", "hand"])
def test_measures_match_the_naive_version(take):
    config = TOOLS if take.tool_names == ("left_tool", "right_tool") else FeatureConfig()
    f = take_features(take, config)
    got, want = motion_measures(f), naive_measures(f)
    assert got.keys() == want.keys()
    for k in got:
        assert got[k] == pytest.approx(want[k], rel=1e-9, abs=1e-12), k
    assert got["travel"] > 0 and got["turning"] > 0 and got["movements"] > 0


def test_twice_the_path_is_twice_the_travel():
    take = _tool_take(n=120, seed=3)
    big = _tool_take(n=120, seed=3)
    centre = take.tools[:, :, :3].mean(axis=0)
    big.tools[:, :, :3] = centre + 2.0 * (take.tools[:, :, :3] - centre)
    big.tool_grippers = 2.0 * take.tool_grippers
    a, b = motion_measures(take_features(take, TOOLS)), motion_measures(take_features(big, TOOLS))
    assert b["travel"] == pytest.approx(2 * a["travel"], rel=1e-4)
    assert b["gripping"] == pytest.approx(2 * a["gripping"], rel=1e-6)
    assert b["turning"] == pytest.approx(a["turning"], rel=1e-6)


def test_excess_counts_only_more_motion_than_the_experts():
    experts = {"travel": 2.0, "turning": 1.0, "gripping": 0.0, "movements": 10.0}
    assert excess({"travel": 1.0, "turning": 0.5, "movements": 5.0}, experts)[0] == 0.0
    value, ratios = excess({"travel": 4.0, "turning": 1.0, "gripping": 9.0, "movements": 10.0},
                           experts)
    assert ratios == {"travel": 2.0, "turning": 1.0, "movements": 1.0}  # no expert gripping
    assert value == pytest.approx(np.log(2.0) / 3)
    assert excess({"travel": 1.0}, {}) == (0.0, {})


def _twice(take):
    """The same motion done twice over, one after the other."""
    from vrtrainer.takes.take import Take

    cat = {name: np.concatenate([getattr(take, name)] * 2) for name in
           ("poses", "radii", "flags", "active", "tools", "tool_flags", "tool_grippers")}
    step = np.median(np.diff(take.times))
    times = np.concatenate([take.times, take.times + take.times[-1] + step])
    return Take(times=times, meta=take.meta, tool_names=take.tool_names, **cat)


def test_a_take_that_moves_twice_as_much_loses_economy_and_is_told_so():
    experts = [_tool_take(n=150, seed=s) for s in (1, 2, 3)]
    tpl = build_template(experts, name="tools")
    assert set(tpl.info["economy"]) == {"travel", "turning", "gripping", "movements"}
    same = score_take(_tool_take(n=150, seed=4), tpl)
    double = score_take(_twice(_tool_take(n=150, seed=4)), tpl)
    assert same.economy > 95
    assert double.economy < 30 and double.total < same.total
    assert double.details["economy"]["travel"] == pytest.approx(2.0, rel=0.1)
    assert any(m.startswith("more motion than the experts") for m in double.messages)
    assert not any(m.startswith("more motion") for m in same.messages)
    legacy = build_template(experts, name="tools")
    del legacy.info["economy"]  # a reference saved before economy was measured
    assert score_take(_twice(_tool_take(n=150, seed=4)), legacy).economy == 100.0


def test_the_experts_own_noise_does_not_cost_economy():
    tpl = build_template([sim.simulate("grab", seed=s) for s in (1, 2, 3)], name="grab")
    clean = score_take(sim.simulate("grab", role="trainee", seed=9), tpl)
    assert clean.economy > 85, clean.details["economy"]


def test_grid_is_linear_interpolation_and_measures_ignore_the_frame_rate():
    take = _tool_take(n=200, seed=6)
    f = take_features(take, TOOLS)
    g = on_grid(f, 0.05)
    assert np.allclose(np.diff(g.times), 0.05)
    for c in range(f.layout.size):
        np.testing.assert_allclose(g.values[:, c], np.interp(g.times, f.times, f.values[:, c]),
                                   atol=1e-12)
    dense = _tool_take(n=600, seed=6)
    dense.times = np.arange(600) / 270.0  # the same motion and duration at 3x the rate
    a, b = motion_measures(take_features(dense, TOOLS)), motion_measures(f)
    for k in ("travel", "turning", "gripping"):
        assert a[k] == pytest.approx(b[k], rel=0.02), k
