"""Trade metrics: tool angles, distances, speeds, rhythms, holds and two-hand relations.

Each metric is declared in a scenario pack (:class:`vrtrainer.scenario.MetricSpec`,
no expression is evaluated) and computed over a take's arrays, vectorised:

==============  =========================================================  =====
kind            value per frame                                            unit
==============  =========================================================  =====
tool_angle      angle between the tool axis and the frame's inward normal  deg
work_angle      tool tilt from the reference surface, in the plane across  deg
                the seam: atan2(u.n, |u.b|), u tip->handle, b = d x n
travel_angle    tool tilt along the seam, asin(a.d): + push, - drag        deg
tip_distance    tool tip to plane (signed), line or point                  m
tool_speed      tip speed along the line, over the plane, or in space      m/s
periodic_rate   cycles per minute of a point moving along an axis          1/min
periodic_depth  depth of each cycle (top before it minus its bottom)       m
release         how far short of the starting height each cycle comes      m
pass_overlap    share of each spray pass covered again by the next: 1 -    share
                spacing / fan, passes being runs over the plane's rectangle
hold            time (running) the point is still, or another metric is    s
                in its band; the summary is the longest such hold
palm_angle      angle between the two palm normals (180 = facing)          deg
hands_stacked   offset of the palm centres across the axis                 m
joint_distance  distance between a joint of one hand and one of the other  m
==============  =========================================================  =====

Tool metrics may be gated: ``within`` keeps frames whose tool tip is that
close to the frame and over its rectangle (or along its length, widened by
the same margin); ``max_speed`` keeps frames where the tip is slower than that
(a pause: the position before welding, not the approach).

The summary value is the median over measured frames (over cycles for the
periodic kinds, the longest hold for ``hold``). Scoring against the band:
``band_score`` is 1 at ``ideal``, 0.8 at the band's edges, and falls linearly
to 0 one (ideal-to-edge) distance beyond; ``in_band`` is the share of
measured frames inside [min, max]; ``score`` is their mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import (
    JOINT_INDEX,
    ORIENTATION_VALID,
    PALM,
    POSITION_VALID,
    WRIST,
    quat_rotate,
)
from vrtrainer.scenario.model import METRIC_UNITS, MetricSpec, Scenario, Text, WorkFrame
from vrtrainer.takes.take import Take

#: Below this share of measured frames inside the band a metric in band on
#: the median is still called unsteady.
STEADY_SHARE = 0.6
#: Default smoothing window before differentiating positions (seconds).
DEFAULT_SMOOTHING = 0.1
#: Default smoothing of periodic signals (seconds): short, since averaging
#: over a window shallows the extremes (by under 1 % at 130/min).
PERIODIC_SMOOTHING = 0.02
#: Default smallest excursion that counts as a cycle (metres).
DEFAULT_MIN_DEPTH = 0.015
#: Shortest cycle considered for periodic metrics (seconds): 240 per minute.
MIN_CYCLE = 0.25
#: Time at the start of a take that gives the resting height for ``release``.
BASELINE_TIME = 0.25

_POS_ORI = POSITION_VALID | ORIENTATION_VALID


@dataclass
class MetricResult:
    """A metric over one take: per-frame values for gauges, summary and band scores.

    ``values`` (T,) is NaN where ``valid`` is False; ``samples`` holds one value
    per cycle for the periodic kinds (None otherwise); ``verdict`` is 'ok',
    'low', 'high', 'unsteady' or 'no-data' and ``message`` says it in fr/en.
    """

    spec: MetricSpec
    values: np.ndarray
    valid: np.ndarray
    value: float
    band_score: float
    in_band: float
    score: float
    verdict: str
    message: Text
    samples: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def unit(self) -> str:
        return METRIC_UNITS[self.spec.kind]


# -- geometry from a take ------------------------------------------------------


def hand_index(hand: str, handedness: str = "right") -> int:
    """0 (left) or 1 (right) for 'left', 'right', 'dominant' or 'other'."""
    dominant = 0 if handedness == "left" else 1
    return {"left": 0, "right": 1, "dominant": dominant, "other": 1 - dominant}[hand]


def _handedness(take: Take) -> str:
    return take.meta.handedness


def joint_track(take, hand: str, joint: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions (T, 3) and validity (T,) of a joint; hand 'both' averages the two hands."""
    j = JOINT_INDEX[joint]
    if hand == "both":
        pos = take.poses[:, :, j, :3].astype(np.float64).mean(axis=1)
        ok = (take.flags[:, :, j] & POSITION_VALID).astype(bool) & take.active
        return pos, ok.all(axis=1)
    h = hand_index(hand, _handedness(take))
    pos = take.poses[:, h, j, :3].astype(np.float64)
    ok = ((take.flags[:, h, j] & POSITION_VALID) != 0) & take.active[:, h]
    return pos, ok


def palm_normal(take, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals (T, 3) out of the palm (the palm joint's -Y axis) and validity."""
    q = take.poses[:, h, PALM, 3:7].astype(np.float64)
    n = quat_rotate(q, np.array([0.0, -1.0, 0.0]))
    ok = ((take.flags[:, h, PALM] & _POS_ORI) == _POS_ORI) & take.active[:, h]
    return n, ok


def tool_track(take: Take, scenario: Scenario, name: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tool tip positions (T, 3), working axes (T, 3) and validity (T,).

    The take's recorded tool pose is used when it has one; otherwise the pose
    is derived from the holding hand's wrist joint and the tool's grip transform.
    """
    spec = scenario.tool(name)
    names = take.tool_names
    if name in names and take.tools is not None and take.tool_flags is not None:
        k = names.index(name)
        pose = take.tools[:, k].astype(np.float64)
        ok = (take.tool_flags[:, k] & _POS_ORI) == _POS_ORI
    else:
        h = spec.holder_hand(_handedness(take))
        n = take.times.shape[0]
        if h is None:
            return np.zeros((n, 3)), np.tile([0.0, 0.0, -1.0], (n, 1)), np.zeros(n, bool)
        pose = spec.world_pose(take.poses[:, h, WRIST])
        ok = ((take.flags[:, h, WRIST] & _POS_ORI) == _POS_ORI) & take.active[:, h]
    q = pose[:, 3:7]
    tip = pose[:, :3] + quat_rotate(q, np.array(spec.tip))
    axis = quat_rotate(q, np.array(spec.axis))
    ok = ok & np.all(np.isfinite(tip), axis=1) & np.all(np.isfinite(axis), axis=1)
    return tip, axis, ok


def distance_to_frame(points: np.ndarray, frame: WorkFrame, signed: bool = True) -> np.ndarray:
    """Distance (T,) from points to a plane (signed along its normal), a line or a point."""
    rel = points - frame.origin
    if frame.kind == "plane":
        d = rel @ frame.unit_normal
        return d if signed else np.abs(d)
    if frame.kind == "line":
        along = rel @ frame.unit_direction
        return np.linalg.norm(rel - along[:, None] * frame.unit_direction, axis=1)
    return np.linalg.norm(rel, axis=1)


def smooth(values: np.ndarray, times: np.ndarray, window: float) -> np.ndarray:
    """Centred moving average of (T, ...) values over ``window`` seconds.

    Near the ends the window shrinks symmetrically, so a constant-speed motion
    keeps its exact speed up to the first and last frames.
    """
    n = values.shape[0]
    if window <= 0 or n < 3:
        return values.copy()
    dt = float(np.median(np.diff(times)))
    half = int(round(window / dt / 2))
    if half < 1:
        return values.copy()
    flat = values.reshape(n, -1)
    csum = np.vstack([np.zeros((1, flat.shape[1])), np.cumsum(flat, axis=0)])
    idx = np.arange(n)
    h = np.minimum(np.minimum(idx, n - 1 - idx), half)
    out = (csum[idx + h + 1] - csum[idx - h]) / (2 * h + 1)[:, None]
    return out.reshape(values.shape)


def _fill_invalid(values: np.ndarray, valid: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Linear interpolation over invalid frames so smoothing does not drag in garbage."""
    if valid.all() or not valid.any():
        return values
    out = values.copy()
    flat = out.reshape(len(out), -1)
    for c in range(flat.shape[1]):
        flat[~valid, c] = np.interp(times[~valid], times[valid], flat[valid, c])
    return out


def _angle(cos: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


# -- per-kind values -------------------------------------------------------------


def _framed(spec: MetricSpec, frame: WorkFrame | None) -> WorkFrame:
    """The frame a metric of this kind is measured in (the pack check requires it)."""
    if frame is None:
        raise VrtrainerError(f"metric {spec.name!r} ({spec.kind}) names no frame of the scene")
    return frame


def _tool_values(spec: MetricSpec, take, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    p = spec.params
    tip, axis, ok = tool_track(take, scenario, p["tool"])
    frame = scenario.frames.get(p.get("frame", ""))
    kind = spec.kind
    axis = _unit(axis)
    if kind == "tool_angle":
        values = _angle(axis @ -_framed(spec, frame).unit_normal)
    elif kind == "work_angle":
        normal = _framed(spec, frame).unit_normal
        side = np.cross(_framed(spec, frame).unit_direction, normal)
        u = -axis
        values = np.degrees(np.arctan2(u @ normal, np.abs(u @ side)))
    elif kind == "travel_angle":
        direction = _framed(spec, frame).unit_direction
        values = np.degrees(np.arcsin(np.clip(axis @ direction, -1.0, 1.0)))
    elif kind == "tip_distance":
        values = distance_to_frame(tip, _framed(spec, frame))
    else:  # tool_speed
        window = float(p.get("smoothing", DEFAULT_SMOOTHING))
        pos = smooth(_fill_invalid(tip, ok, take.times), take.times, window)
        vel = np.gradient(pos, take.times, axis=0) if len(pos) > 1 else np.zeros_like(pos)
        along = p.get("along", "free")
        if along == "direction":
            values = vel @ _framed(spec, frame).unit_direction
        elif along == "plane":
            normal = _framed(spec, frame).unit_normal
            values = np.linalg.norm(vel - np.outer(vel @ normal, normal), axis=1)
        else:
            values = np.linalg.norm(vel, axis=1)
    if "within" in p and frame is not None:
        ok = ok & (distance_to_frame(tip, frame, signed=False) <= float(p["within"]))
        ok = ok & inside_extent(tip, frame, margin=float(p["within"]))
    if "max_speed" in p and kind != "tool_speed":
        ok = ok & (_speed(tip, ok, take.times) <= float(p["max_speed"]))
    return values, ok


def _speed(pos: np.ndarray, ok: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Speed (T,) of a smoothed point track; zeros for takes too short to differentiate."""
    if len(times) < 2:
        return np.zeros(len(times))
    pos = smooth(_fill_invalid(pos, ok, times), times, DEFAULT_SMOOTHING)
    return np.linalg.norm(np.gradient(pos, times, axis=0), axis=1)


def inside_extent(points: np.ndarray, frame: WorkFrame, margin: float = 0.0) -> np.ndarray:
    """(T,) True where points project inside a plane's rectangle or along a line's length.

    A plane's rectangle is ``size`` (width along ``direction``, height across
    it) centred on the origin (a tool beyond the edge is turning, not working);
    a line runs ``length`` from its origin, widened by ``margin`` at both ends
    (a torch starts just before the seam). Frames without bounds contain all.
    """
    rel = points - frame.origin
    if frame.kind == "plane" and frame.size is not None and frame.direction is not None:
        across = np.cross(frame.unit_normal, frame.direction)
        return (np.abs(rel @ frame.direction) <= frame.size[0] / 2) & (
            np.abs(rel @ across) <= frame.size[1] / 2
        )
    if frame.kind == "line" and frame.length is not None:
        along = rel @ frame.unit_direction
        return (along >= -margin) & (along <= frame.length + margin)
    return np.ones(len(points), bool)


#: Shortest run over the workpiece that counts as a pass (seconds).
MIN_PASS = 0.3


def _overlap_values(
    spec: MetricSpec, take, scenario: Scenario
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap of consecutive passes: 1 - (distance between their heights) / fan width.

    A pass is a run of frames with the tip over the plane's rectangle (and
    ``within`` of it); its height is the median of the tip's coordinate across
    the passes. Frames of each pass after the first carry its overlap with the
    previous one.
    """
    p = spec.params
    frame = scenario.frames[p["frame"]]
    tip, _, ok = tool_track(take, scenario, p["tool"])
    ok = ok & inside_extent(tip, frame)
    if "within" in p:
        ok = ok & (distance_to_frame(tip, frame, signed=False) <= float(p["within"]))
    across = (tip - frame.origin) @ np.cross(frame.unit_normal, frame.unit_direction)
    n = len(ok)
    values = np.full(n, np.nan)
    valid = np.zeros(n, bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    runs = [(a, b) for a, b in zip(edges[::2], edges[1::2])
            if take.times[b - 1] - take.times[a] >= MIN_PASS]
    heights = [float(np.median(across[a:b])) for a, b in runs]
    samples = 1.0 - np.abs(np.diff(heights)) / float(p["fan"]) if len(runs) > 1 else np.zeros(0)
    for (a, b), overlap in zip(runs[1:], samples):
        values[a:b] = overlap
        valid[a:b] = True
    return values, valid, samples


def _point_track(spec: MetricSpec, take, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    point = spec.params["point"]
    if "tool" in point:
        tip, _, ok = tool_track(take, scenario, point["tool"])
        return tip, ok
    return joint_track(take, point["hand"], point["joint"])


def _axis(spec: MetricSpec, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Unit axis and origin for signals along an axis: the frame's normal, or ``axis``."""
    p = spec.params
    if "axis" in p:
        a = np.asarray(p["axis"], dtype=np.float64)
        return a / np.linalg.norm(a), np.zeros(3)
    frame = scenario.frames[p["frame"]]
    return frame.unit_normal, frame.origin


@dataclass
class Cycles:
    """Cycles found in a periodic signal: frame indices of bottoms and the tops around them."""

    bottoms: np.ndarray
    tops_before: np.ndarray
    tops_after: np.ndarray


def find_cycles(signal: np.ndarray, times: np.ndarray, min_depth: float) -> Cycles:
    """Bottoms of a pressing motion (signal falls then rises) and the tops around each.

    A bottom counts when it is at least ``min_depth`` below both neighbouring
    tops (prominence), and bottoms are at least :data:`MIN_CYCLE` apart; this
    ignores tremor and tracking noise smaller than a real compression.
    """
    if len(signal) < 3:
        empty = np.zeros(0, np.int64)
        return Cycles(empty, empty, empty)
    dt = float(np.median(np.diff(times)))
    distance = max(1, int(MIN_CYCLE / dt))
    bottoms, _ = find_peaks(-signal, prominence=min_depth, distance=distance)
    edges = np.concatenate([[0], bottoms, [len(signal) - 1]])
    tops_before = np.array(
        [edges[i] + int(np.argmax(signal[edges[i] : edges[i + 1] + 1]))
         for i in range(len(bottoms))],
        dtype=np.int64,
    )
    tops_after = np.array(
        [edges[i + 1] + int(np.argmax(signal[edges[i + 1] : edges[i + 2] + 1]))
         for i in range(len(bottoms))],
        dtype=np.int64,
    )
    return Cycles(bottoms.astype(np.int64), tops_before, tops_after)


def _refine_minima(signal: np.ndarray, times: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sub-frame times of minima by a parabola through each minimum and its neighbours.

    Without it a rate is quantised by the frame period (at 90 Hz a 110/min
    rhythm reads as 108 or 110 depending on where the frames fall).
    """
    i = np.clip(idx, 1, len(signal) - 2)
    a, b, c = signal[i - 1], signal[i], signal[i + 1]
    curvature = a - 2 * b + c
    offset = np.where(curvature > 0, 0.5 * (a - c) / np.where(curvature > 0, curvature, 1), 0.0)
    offset = np.clip(offset, -0.5, 0.5)
    dt = np.where(offset >= 0, times[i + 1] - times[i], times[i] - times[i - 1])
    return times[i] + offset * dt


def _periodic_values(
    spec: MetricSpec, take, scenario: Scenario
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame values of the cycle each frame belongs to, validity, and one value a cycle."""
    p = spec.params
    pos, ok = _point_track(spec, take, scenario)
    axis, origin = _axis(spec, scenario)
    times = take.times
    n = len(times)
    values = np.full(n, np.nan)
    valid = np.zeros(n, bool)
    if ok.sum() < 3:
        return values, valid, np.zeros(0)
    signal = (_fill_invalid(pos, ok, times) - origin) @ axis
    signal = smooth(signal, times, float(p.get("smoothing", PERIODIC_SMOOTHING)))
    cyc = find_cycles(signal, times, float(p.get("min_depth", DEFAULT_MIN_DEPTH)))
    b = cyc.bottoms
    if spec.kind == "periodic_rate":
        if len(b) < 2:
            return values, valid, np.zeros(0)
        samples = 60.0 / np.diff(_refine_minima(signal, times, b))
        for i, r in enumerate(samples):
            values[b[i] : b[i + 1]] = r
        valid[b[0] : b[-1]] = True
    elif spec.kind == "periodic_depth":
        samples = signal[cyc.tops_before] - signal[b]
        starts = np.concatenate([[cyc.tops_before[0]], b[:-1]]) if len(b) else b
        for s, e, d in zip(starts, b, samples):
            values[s : e + 1] = d
            valid[s : e + 1] = True
    else:  # release
        start = times[0] + BASELINE_TIME
        baseline = float(np.median(signal[times <= start]))
        samples = np.maximum(0.0, baseline - signal[cyc.tops_after])
        ends = np.concatenate([b[1:], [cyc.tops_after[-1]]]) if len(b) else b
        for s, e, r in zip(b, ends, samples):
            values[s : e + 1] = r
            valid[s : e + 1] = True
    return values, valid & ok, samples


def _relation_values(spec: MetricSpec, take, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    kind = spec.kind
    p = spec.params
    if kind == "palm_angle":
        n0, ok0 = palm_normal(take, 0)
        n1, ok1 = palm_normal(take, 1)
        return _angle(np.sum(n0 * n1, axis=1)), ok0 & ok1
    if kind == "hands_stacked":
        p0, ok0 = joint_track(take, "left", "palm")
        p1, ok1 = joint_track(take, "right", "palm")
        axis, _ = _axis(spec, scenario)
        d = p1 - p0
        return np.linalg.norm(d - np.outer(d @ axis, axis), axis=1), ok0 & ok1
    pa, oka = joint_track(take, p["a"]["hand"], p["a"]["joint"])
    pb, okb = joint_track(take, p["b"]["hand"], p["b"]["joint"])
    return np.linalg.norm(pa - pb, axis=1), oka & okb


def _streaks(mask: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Running duration (T,) of the current run of True in ``mask``, 0 where False."""
    n = len(mask)
    if n == 0:
        return np.zeros(0)
    idx = np.arange(n)
    start = np.maximum.accumulate(np.where(mask, -1, idx)) + 1
    return np.where(mask, times - times[np.minimum(start, n - 1)], 0.0)


def _hold_values(
    spec: MetricSpec, take, scenario: Scenario, done: dict[str, MetricResult]
) -> tuple[np.ndarray, np.ndarray]:
    p = spec.params
    if "while" in p:
        other = done[p["while"]]
        inside = other.valid & (other.values >= other.spec.min) & (other.values <= other.spec.max)
        return _streaks(inside, take.times), np.ones(len(take.times), bool)
    pos, ok = _point_track(spec, take, scenario)
    speed = _speed(pos, ok, take.times)
    return _streaks(ok & (speed < float(p["max_speed"])), take.times), ok


# -- scoring -------------------------------------------------------------------


def band_score(value: float, ideal: float, lo: float, hi: float) -> float:
    """1 at ``ideal``, 0.8 at the band edges, 0 one ideal-to-edge distance outside."""
    if not np.isfinite(value):
        return 0.0
    if lo <= value <= hi:
        edge = hi if value >= ideal else lo
        span = abs(edge - ideal)
        return 1.0 - 0.2 * (abs(value - ideal) / span if span > 0 else 0.0)
    edge = lo if value < lo else hi
    falloff = abs(ideal - edge) or (hi - lo) or max(abs(ideal) * 0.25, 1e-9)
    return max(0.0, 0.8 * (1.0 - abs(value - edge) / falloff))


def format_value(value: float, unit: str, lang: str = "en") -> str:
    """A value with a readable unit (distances in mm or cm), a decimal comma in French."""
    text = _format_value(value, unit)
    return text.replace(".", ",") if lang == "fr" else text


def _format_value(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "-"
    if unit == "m":
        return f"{value * 1000:.0f} mm" if abs(value) < 0.1 else f"{value * 100:.1f} cm"
    if unit == "deg":
        return f"{value:.0f}°"
    if unit == "m/s":
        return f"{value * 1000:.1f} mm/s" if abs(value) < 0.05 else f"{value:.2f} m/s"
    if unit == "1/min":
        return f"{value:.0f}/min"
    if unit == "share":
        return f"{value * 100:.0f} %"
    return f"{value:.1f} s"


def _message(spec: MetricSpec, verdict: str, value: float, share: float) -> Text:
    unit = METRIC_UNITS[spec.kind]
    v, v_fr = format_value(value, unit), format_value(value, unit, "fr")
    band = f"{format_value(spec.min, unit)} – {format_value(spec.max, unit)}"
    band_fr = f"{format_value(spec.min, unit, 'fr')} – {format_value(spec.max, unit, 'fr')}"
    fr, en = spec.label.fr, spec.label.en
    if verdict == "no-data":
        return Text(fr=f"{fr} : non mesuré (outil ou mains non suivis).",
                    en=f"{en}: not measured (tool or hands not tracked).")
    pct = f"{share * 100:.0f} %"
    if verdict == "ok":
        return Text(fr=f"{fr} : {v_fr}, dans la plage ({band_fr}) {pct} du temps.",
                    en=f"{en}: {v}, in band ({band}) {pct} of the time.")
    if verdict == "unsteady":
        return Text(fr=f"{fr} irrégulier : {v_fr} en médiane mais dans la plage ({band_fr}) "
                       f"seulement {pct} du temps.",
                    en=f"{en} unsteady: median {v} but in band ({band}) only {pct} of the time.")
    advice = spec.advice_low if verdict == "low" else spec.advice_high
    word_en = "too low" if verdict == "low" else "too high"
    word_fr = "en dessous de" if verdict == "low" else "au-dessus de"
    return Text(
        fr=f"{fr} : {v_fr}, {word_fr} la plage ({band_fr})." + (f" {advice.fr}" if advice else ""),
        en=f"{en} {word_en}: {v} (band {band})." + (f" {advice.en}" if advice else ""),
    )


def _result(
    spec: MetricSpec, values: np.ndarray, valid: np.ndarray, samples: np.ndarray | None = None
) -> MetricResult:
    valid = valid & np.isfinite(values)
    values = np.where(valid, values, np.nan)
    if not valid.any():
        return MetricResult(spec, values, valid, float("nan"), 0.0, 0.0, 0.0, "no-data",
                            _message(spec, "no-data", float("nan"), 0.0))
    measured = values[valid]
    if spec.kind == "hold":
        value = float(measured.max())
        share = float(value >= spec.min and value <= spec.max)
    else:
        if spec.kind == "periodic_rate" and samples is not None and len(samples):
            # cycles over the time they span: per-cycle jitter cancels out
            value = float(len(samples) / np.sum(60.0 / samples) * 60.0)
        elif samples is not None and len(samples):
            value = float(np.median(samples))  # one value per cycle
        else:
            value = float(np.median(measured))
        share = float(np.mean((measured >= spec.min) & (measured <= spec.max)))
    bscore = band_score(value, spec.ideal, spec.min, spec.max)
    if value < spec.min:
        verdict = "low"
    elif value > spec.max:
        verdict = "high"
    elif share < STEADY_SHARE:
        verdict = "unsteady"
    else:
        verdict = "ok"
    return MetricResult(spec, values, valid, value, bscore, share, 0.5 * (bscore + share),
                        verdict, _message(spec, verdict, value, share), samples)


def compute_metric(
    spec: MetricSpec, take, scenario: Scenario, done: dict[str, MetricResult] | None = None
) -> MetricResult:
    """One metric over a take (any object with Take's arrays); ``done`` feeds ``hold.while``."""
    kind = spec.kind
    samples = None
    if kind in ("tool_angle", "work_angle", "travel_angle", "tip_distance", "tool_speed"):
        values, valid = _tool_values(spec, take, scenario)
    elif kind == "pass_overlap":
        values, valid, samples = _overlap_values(spec, take, scenario)
    elif kind in ("periodic_rate", "periodic_depth", "release"):
        values, valid, samples = _periodic_values(spec, take, scenario)
    elif kind == "hold":
        done = dict(done or {})
        dep = spec.params.get("while")
        if dep and dep not in done:
            done[dep] = compute_metric(scenario.metrics[dep], take, scenario)
        values, valid = _hold_values(spec, take, scenario, done)
    else:
        values, valid = _relation_values(spec, take, scenario)
    return _result(spec, np.asarray(values, dtype=np.float64), np.asarray(valid, bool), samples)


def compute_metrics(scenario: Scenario, take, names: tuple[str, ...] | list[str]) -> dict[
    str, MetricResult
]:
    """The named metrics of ``scenario`` over ``take``, in order (e.g. ``step.metrics``)."""
    done: dict[str, MetricResult] = {}
    for name in names:
        done[name] = compute_metric(scenario.metrics[name], take, scenario, done)
    return {name: done[name] for name in names}


def metrics_score(results: dict[str, MetricResult]) -> float:
    """Weighted mean of the metrics' scores, 0..1 (1 when there are none)."""
    weights = np.array([r.spec.weight for r in results.values()])
    if not len(weights) or weights.sum() == 0:
        return 1.0
    scores = np.array([r.score for r in results.values()])
    return float(np.sum(weights * scores) / weights.sum())


#: Trailing window (seconds) the live gauges look at: long enough for a few
#: compression cycles or a steady speed, short enough to follow the trainee.
GAUGE_WINDOW = 3.0


def gauge_values(
    scenario: Scenario, take, names: tuple[str, ...] | list[str], window: float = GAUGE_WINDOW
) -> dict[str, float]:
    """Current value of each named metric for live gauges (NaN when not measured now).

    Computed over the last ``window`` seconds of ``take`` (a take being
    recorded, or any object with Take's arrays), so the cost per call does not
    grow with the attempt; the value is the metric's last measured frame.
    """
    times = take.times
    n = len(times)
    if n == 0:
        return {name: float("nan") for name in names}
    start = int(np.searchsorted(times, times[-1] - window, side="left"))
    recent = take.slice(start, n) if start > 0 else take
    out: dict[str, float] = {}
    for name, result in compute_metrics(scenario, recent, names).items():
        idx = np.flatnonzero(result.valid)
        out[name] = float(result.values[idx[-1]]) if len(idx) else float("nan")
    return out
