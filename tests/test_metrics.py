"""Trade metrics on hand-made poses whose answers are known analytically."""

from __future__ import annotations

import numpy as np
import pytest

from vrtrainer.hands.hand import JOINT_INDEX, PALM, WRIST, matrix_to_quat
from vrtrainer.scenario.loader import build_scenario, check_document, parse_scenario_toml
from vrtrainer.takes.take import Take, TakeMeta
from vrtrainer.trade.metrics import (
    band_score,
    compute_metric,
    compute_metrics,
    find_cycles,
    format_value,
    gauge_values,
    metrics_score,
    smooth,
)

RATE = 90.0

SCENE = """
schema_version = 1
id = "metrics-test"
version = "1.0.0"
trade = "test"
licence = "CC0-1.0"
authors = ["tests"]
title = { fr = "t", en = "t" }
instructions = { fr = "t", en = "t" }

[[scene.tools]]
name = "torch"
mesh = "t.glb"
held_by = "right_hand"
grip = { position = [0, 0, -0.05] }
tip = [0, 0, -0.1]
axis = [0, 0, -1]

[[scene.frames]]
name = "seam"
kind = "line"
origin = [0, 1, 0]
direction = [1, 0, 0]
normal = [0, 1, 0]

[[scene.frames]]
name = "panel"
kind = "plane"
origin = [0, 1, -1]
normal = [0, 0, 1]

[[scene.frames]]
name = "board"
kind = "plane"
origin = [0, 1.2, -1]
normal = [0, 0, 1]
direction = [1, 0, 0]
size = [0.6, 0.4]

[[scene.frames]]
name = "chest"
kind = "plane"
origin = [0, 0.5, 0]
normal = [0, 1, 0]

[[steps]]
id = "s"
instruction = { fr = "t", en = "t" }
hands = "both"
reference = { takes = ["x.vrtake"] }
"""


def scenario_with(metrics: str):
    doc, scan = parse_scenario_toml((SCENE + metrics).encode(), "test.toml")
    problems = check_document(doc, scan, "test.toml")
    assert problems == [], problems
    return build_scenario(doc, __import__("pathlib").Path("test"))


def blank_take(n: int, tools: bool = True) -> Take:
    poses = np.zeros((n, 2, 26, 7), np.float32)
    poses[..., 6] = 1
    return Take(
        times=np.arange(n) / RATE,
        poses=poses,
        radii=np.full((n, 2, 26), 0.01, np.float32),
        flags=np.full((n, 2, 26), 15, np.uint8),
        active=np.ones((n, 2), bool),
        meta=TakeMeta(role="trainee"),
        tool_names=("torch",) if tools else (),
        tools=np.tile(np.array([0, 0, 0, 0, 0, 0, 1], np.float32), (n, 1, 1)) if tools else None,
        tool_flags=np.full((n, 1), 15, np.uint8) if tools else None,
    )


def pointing(a: np.ndarray) -> np.ndarray:
    """Quaternion turning the tool's local -Z onto world direction ``a``."""
    z = -a / np.linalg.norm(a)
    helper = np.array([0.0, 1.0, 0.0]) if abs(z[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return matrix_to_quat(np.stack([x, y, z], axis=1))


def metric(kind: str, extra: str = "", ideal=0.0, lo=-1e6, hi=1e6, name="m") -> str:
    return (f'\n[metrics.{name}]\nkind = "{kind}"\nlabel = {{ fr = "M", en = "M" }}\n'
            f"ideal = {ideal}\nmin = {lo}\nmax = {hi}\n{extra}\n")


@pytest.mark.parametrize(("work", "travel"), [(45.0, 10.0), (30.0, -8.0), (80.0, 0.0)])
def test_work_and_travel_angles_are_exact(work: float, travel: float) -> None:
    sc = scenario_with(
        metric("work_angle", 'tool = "torch"\nframe = "seam"', name="w")
        + metric("travel_angle", 'tool = "torch"\nframe = "seam"', name="t")
    )
    d, n = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    side = np.cross(d, n)
    w, t = np.radians(work), np.radians(travel)
    u = np.cos(t) * (np.cos(w) * side + np.sin(w) * n) - np.sin(t) * d
    take = blank_take(30)
    take.tools[:, 0, 3:] = pointing(-u)
    res = compute_metrics(sc, take, ["w", "t"])
    assert res["w"].value == pytest.approx(work, abs=1e-3)
    assert res["t"].value == pytest.approx(travel, abs=1e-3)
    assert np.allclose(res["w"].values, work, atol=1e-3)


def test_tool_angle_to_a_plane_normal() -> None:
    sc = scenario_with(metric("tool_angle", 'tool = "torch"\nframe = "panel"'))
    take = blank_take(10)
    tilt = np.radians(20)
    take.tools[:, 0, 3:] = pointing(np.array([np.sin(tilt), 0, -np.cos(tilt)]))
    assert compute_metric(sc.metrics["m"], take, sc).value == pytest.approx(20, abs=1e-3)


def test_tip_distance_to_line_plane_and_gating() -> None:
    sc = scenario_with(
        metric("tip_distance", 'tool = "torch"\nframe = "seam"', name="line")
        + metric("tip_distance", 'tool = "torch"\nframe = "panel"', name="plane")
        + metric("tip_distance", 'tool = "torch"\nframe = "seam"\nwithin = 0.05', name="near")
    )
    take = blank_take(20)
    take.tools[:, 0, 3:] = pointing(np.array([0, -1.0, 0]))  # tip 0.1 below the tool origin
    # tip at 12 mm from the seam, moving along it; last 5 frames far away
    take.tools[:, 0, :3] = [0, 1.112, 0]
    take.tools[:, 0, 0] = np.linspace(0, 0.2, 20)
    take.tools[15:, 0, 2] = 0.3
    res = compute_metrics(sc, take, ["line", "plane", "near"])
    assert np.allclose(res["line"].values[:15], 0.012, atol=1e-6)
    assert np.allclose(res["plane"].values[:15], 1.0, atol=1e-6)  # signed, along +z
    assert res["near"].valid[:15].all() and not res["near"].valid[15:].any()
    assert res["near"].value == pytest.approx(0.012, abs=1e-6)


def test_tool_pose_derived_from_the_holding_palm_when_not_recorded() -> None:
    sc = scenario_with(metric("tip_distance", 'tool = "torch"\nframe = "panel"'))
    take = blank_take(5, tools=False)
    take.poses[:, 1, WRIST, :3] = [0, 1, -0.5]  # wrist 0.5 m from the panel, identity pose
    # tool frame 5 cm ahead of the wrist (grip), tip 10 cm further along -Z: 0.35 m left
    assert compute_metric(sc.metrics["m"], take, sc).value == pytest.approx(0.35, abs=1e-6)
    take.flags[:, 1, WRIST] = 0
    assert compute_metric(sc.metrics["m"], take, sc).verdict == "no-data"


@pytest.mark.parametrize("speed", [0.004, 0.4])
def test_tool_speed_along_the_seam_and_over_a_plane(speed: float) -> None:
    sc = scenario_with(
        metric("tool_speed", 'tool = "torch"\nframe = "seam"\nalong = "direction"', name="d")
        + metric("tool_speed", 'tool = "torch"\nframe = "panel"\nalong = "plane"', name="p")
        + metric("tool_speed", 'tool = "torch"', name="f")
    )
    take = blank_take(90)
    t = take.times
    # along the seam at `speed`, away from the panel at 0.1 m/s (not in the plane)
    take.tools[:, 0, 0] = speed * t
    take.tools[:, 0, 2] = 0.1 * t
    res = compute_metrics(sc, take, ["d", "p", "f"])
    assert np.allclose(res["d"].values, speed, rtol=1e-3, atol=1e-5)
    assert np.allclose(res["p"].values, speed, rtol=1e-3, atol=1e-5)
    assert np.allclose(res["f"].values, np.hypot(speed, 0.1), rtol=1e-3)


def compressions(rate: float, depth: float, duration: float = 8.0, shortfall: float = 0.0,
                 rest: float = 0.5) -> Take:
    """Both palms stacked on the chest, pressing sinusoidally after ``rest`` seconds."""
    n = int(duration * RATE)
    take = blank_take(n, tools=False)
    t = take.times
    f = rate / 60.0
    phase = np.clip(t - rest, 0, None)
    down = np.where(t > rest, shortfall + depth / 2 * (1 - np.cos(2 * np.pi * f * phase)), 0.0)
    # ease the shortfall in over the first half cycle so the rest height stays the start
    down = np.where((t > rest) & (phase < 0.5 / f), np.minimum(down, depth / 2 * (
        1 - np.cos(2 * np.pi * f * phase)) + shortfall * phase * 2 * f), down)
    for h, dy in ((0, 0.53), (1, 0.56)):
        take.poses[:, h, PALM, 1] = dy - down
    return take


PERIODIC = 'point = { hand = "both", joint = "palm" }\nframe = "chest"'


@pytest.mark.parametrize(("rate", "depth"), [(110.0, 0.055), (80.0, 0.03), (130.0, 0.06)])
def test_compression_rate_and_depth(rate: float, depth: float) -> None:
    sc = scenario_with(metric("periodic_rate", PERIODIC, name="r")
                       + metric("periodic_depth", PERIODIC, name="d")
                       + metric("release", PERIODIC, name="rel"))
    res = compute_metrics(sc, compressions(rate, depth), ["r", "d", "rel"])
    assert res["r"].value == pytest.approx(rate, rel=0.01)
    assert res["d"].value == pytest.approx(depth, abs=0.001)
    assert res["rel"].value == pytest.approx(0.0, abs=0.001)
    assert len(res["d"].samples) == pytest.approx(rate / 60 * 7.5, abs=1)
    assert len(res["r"].samples) == len(res["d"].samples) - 1


def test_incomplete_release_is_measured() -> None:
    sc = scenario_with(metric("release", PERIODIC, name="rel"))
    res = compute_metric(sc.metrics["rel"], compressions(110, 0.05, shortfall=0.01), sc)
    assert res.value == pytest.approx(0.01, abs=0.0015)


def test_tremor_is_not_counted_as_compressions() -> None:
    sc = scenario_with(metric("periodic_rate", PERIODIC + "\nmin_depth = 0.01"))
    take = compressions(110, 0.05)
    take.poses[:, :, PALM, 1] += (0.002 * np.sin(2 * np.pi * 9 * take.times))[:, None]
    assert compute_metric(sc.metrics["m"], take, sc).value == pytest.approx(110, rel=0.01)
    still = blank_take(300, tools=False)
    assert compute_metric(sc.metrics["m"], still, sc).verdict == "no-data"


def test_find_cycles_on_a_plain_signal() -> None:
    t = np.arange(0, 3, 0.01)
    s = np.cos(2 * np.pi * t)  # bottoms at 0.5, 1.5, 2.5
    cyc = find_cycles(s, t, 0.5)
    assert np.allclose(t[cyc.bottoms], [0.5, 1.5, 2.5])
    assert np.allclose(t[cyc.tops_before], [0.0, 1.0, 2.0])


def test_hold_while_another_metric_is_in_band_and_stillness() -> None:
    sc = scenario_with(
        metric("palm_angle", "", ideal=180, lo=160, hi=180, name="facing")
        + metric("hold", 'while = "facing"', ideal=3, lo=2, hi=60, name="held")
        + metric("hold", 'point = { hand = "right", joint = "palm" }\nmax_speed = 0.02',
                 ideal=1, lo=0.5, hi=60, name="still")
    )
    take = blank_take(int(4 * RATE), tools=False)
    facing = (take.times >= 1.0) & (take.times < 3.5)
    # right palm turned 180 deg about z while facing: normals opposite
    take.poses[facing, 1, PALM, 3:] = [0, 0, 1, 0]
    take.poses[:, 1, PALM, 0] = np.where(take.times < 2.0, 0.0, (take.times - 2.0) * 0.3)
    res = compute_metrics(sc, take, ["held", "still"])
    assert res["held"].value == pytest.approx(2.5 - 1 / RATE, abs=1e-9)
    assert res["held"].verdict == "ok"
    assert res["still"].value == pytest.approx(2.0, abs=0.1)
    assert res["held"].values[int(2 * RATE)] == pytest.approx(1.0, abs=1e-9)


def test_two_hand_relations() -> None:
    sc = scenario_with(
        metric("palm_angle", "", name="angle")
        + metric("hands_stacked", 'frame = "chest"', name="stack")
        + metric("joint_distance", 'a = { hand = "left", joint = "index_tip" }\n'
                 'b = { hand = "right", joint = "palm" }', name="dist")
    )
    take = blank_take(5, tools=False)
    take.poses[:, 0, PALM, :3] = [0, 0.55, 0]
    take.poses[:, 1, PALM, :3] = [0.03, 0.58, 0.04]  # 5 cm across, 3 cm above
    take.poses[:, 0, JOINT_INDEX["index_tip"], :3] = [0.03, 0.58, 0.1]
    c, s = np.cos(np.radians(30) / 2), np.sin(np.radians(30) / 2)
    take.poses[:, 1, PALM, 3:] = [s, 0, 0, c]  # right palm tilted 30 deg about x
    res = compute_metrics(sc, take, ["angle", "stack", "dist"])
    assert res["angle"].value == pytest.approx(30, abs=1e-3)
    assert res["stack"].value == pytest.approx(0.05, abs=1e-6)
    assert res["dist"].value == pytest.approx(0.06, abs=1e-6)


def test_untracked_frames_are_not_measured() -> None:
    sc = scenario_with(metric("palm_angle", ""))
    take = blank_take(10, tools=False)
    take.active[3:6, 0] = False
    res = compute_metric(sc.metrics["m"], take, sc)
    assert res.valid.tolist() == [True] * 3 + [False] * 3 + [True] * 4
    assert np.isnan(res.values[3:6]).all()


def test_band_score_shape() -> None:
    assert band_score(45, 45, 35, 55) == 1.0
    assert band_score(55, 45, 35, 55) == pytest.approx(0.8)
    assert band_score(40, 45, 35, 55) == pytest.approx(0.9)
    assert band_score(30, 45, 35, 55) == pytest.approx(0.4)
    assert band_score(25, 45, 35, 55) == 0.0
    assert band_score(float("nan"), 45, 35, 55) == 0.0
    assert band_score(1, 3, 2, 60) == pytest.approx(0.0)  # one ideal-to-edge below the edge
    assert band_score(2.5, 3, 2, 60) == pytest.approx(0.9)


def test_verdicts_messages_and_advice() -> None:
    sc = scenario_with(metric(
        "tool_angle", 'tool = "torch"\nframe = "panel"\n'
        'advice_high = { fr = "Redressez le pistolet.", en = "Hold the gun square." }',
        ideal=0, lo=0, hi=10, name="m"))
    take = blank_take(10)
    tilt = np.radians(12)
    take.tools[:, 0, 3:] = pointing(np.array([np.sin(tilt), 0, -np.cos(tilt)]))
    res = compute_metric(sc.metrics["m"], take, sc)
    assert res.verdict == "high" and res.in_band == 0.0
    assert "M too high: 12° (band 0° – 10°). Hold the gun square." == res.message.en
    assert res.message.fr.startswith("M : 12°, au-dessus de la plage")
    assert "Redressez" in res.message.fr
    assert res.band_score == pytest.approx(0.64, abs=1e-4)
    assert metrics_score({"m": res}) == pytest.approx(0.32, abs=1e-4)
    take.tools[:, 0, 3:] = pointing(np.array([np.sin(0.5), 0, -np.cos(0.5)]))
    assert compute_metric(sc.metrics["m"], take, sc).score == 0.0


def test_unsteady_when_median_in_band_but_often_out() -> None:
    sc = scenario_with(metric("tool_speed", 'tool = "torch"', ideal=0.4, lo=0.3, hi=0.5))
    take = blank_take(360)
    v = np.where(take.times % 0.5 < 0.28, 0.42, 0.1)  # stop-and-go: fast 56 % of the time
    take.tools[:, 0, 0] = np.concatenate([[0], np.cumsum(v[1:] * np.diff(take.times))])
    res = compute_metric(sc.metrics["m"], take, sc)
    assert res.verdict == "unsteady" and "unsteady" in res.message.en


def test_smooth_keeps_lines_exact_and_averages_noise() -> None:
    t = np.arange(100) / 90
    line = 3 * t + 1
    assert np.allclose(smooth(line, t, 0.1), line)
    noise = np.random.default_rng(0).normal(size=100)
    assert smooth(noise, t, 0.2).std() < noise.std() / 2


def test_format_value_units() -> None:
    assert format_value(0.012, "m") == "12 mm"
    assert format_value(0.2, "m") == "20.0 cm"
    assert format_value(110.4, "1/min") == "110/min"
    assert format_value(0.35, "m/s") == "0.35 m/s"
    assert format_value(0.0062, "m/s") == "6.2 mm/s"


def test_gauges_follow_the_last_seconds() -> None:
    sc = scenario_with(metric("periodic_rate", PERIODIC, name="r")
                       + metric("palm_angle", "", name="a"))
    slow, fast = compressions(90, 0.05, duration=6.0), compressions(120, 0.05, duration=6.0)
    both = slow.slice(0, slow.n_frames)
    for name in ("times", "poses", "radii", "flags", "active"):
        tail = getattr(fast, name)[int(0.5 * RATE):]
        if name == "times":
            tail = tail - tail[0] + both.times[-1] + 1 / RATE
        setattr(both, name, np.concatenate([getattr(both, name), tail]))
    assert gauge_values(sc, slow, ["r"])["r"] == pytest.approx(90, rel=0.03)
    live = gauge_values(sc, both, ["r", "a"])
    assert live["r"] == pytest.approx(120, rel=0.03) and live["a"] == pytest.approx(0, abs=1e-3)
    assert np.isnan(gauge_values(sc, blank_take(5, tools=False), ["r"])["r"])


@pytest.mark.parametrize("spacing", [0.075, 0.03, 0.12])
def test_pass_overlap_from_pass_heights(spacing: float) -> None:
    sc = scenario_with(metric("pass_overlap", 'tool = "torch"\nframe = "board"\nfan = 0.15\n'
                              "within = 0.5", ideal=0.5, lo=0.4, hi=0.6))
    # three passes across the board 20 cm in front of it, turning outside it
    t = np.arange(0, 9, 1 / RATE)
    take = blank_take(len(t))
    take.times = t
    phase = (t % 3.0) / 3.0
    x = np.where(phase < 0.8, -0.4 + phase / 0.8 * 0.8, 0.4)
    x = np.where((t // 3) % 2 == 1, -x, x)
    take.tools[:, 0, 0] = x
    take.tools[:, 0, 1] = 1.2 + 0.1 - spacing * (t // 3)
    take.tools[:, 0, 2] = -0.8
    res = compute_metric(sc.metrics["m"], take, sc)
    assert len(res.samples) == 2
    assert np.allclose(res.samples, 1 - spacing / 0.15, atol=1e-6)
    assert format_value(res.value, "share") == f"{(1 - spacing / 0.15) * 100:.0f} %"
