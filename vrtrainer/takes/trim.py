"""Trimming and segmentation of takes: where the motion starts and stops, where steps part.

A trainer records with the hands still before and after the gesture (and between the
steps of a scenario). The motion signal is, per frame, the wrist's speed plus the mean
speed of the other joints in the wrist's frame (so finger work counts as much as moving
the arm), over the joints valid in both frames, taking the busier hand. Thresholds are
set from the take itself (its quiet floor and its busy level), with hysteresis: motion
starts where the signal crosses the high threshold, and the onset is walked back to where
it last rose above the low one (likewise for the offset), so slow starts are kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import HAND_COUNT, WRIST, position_valid, quat_to_matrix
from vrtrainer.takes.take import Take

#: Seconds of stillness kept before the onset and after the offset.
DEFAULT_MARGIN = 0.15
#: Span (seconds) over which the motion signal measures speeds.
SMOOTHING = 0.15
#: Share of the way from the quiet floor to the busy level where motion starts / ends.
HIGH_SHARE = 0.2
LOW_SHARE = 0.08
#: A take whose busy level is less than this above its floor (m/s) has no motion.
MIN_MOTION = 0.03
#: Shortest run above the high threshold (seconds) that counts as motion, not a glitch.
MIN_BURST = 0.1
#: Shortest still run (seconds) that counts as a pause between steps; the hand stops
#: for less than that when it reverses direction within a gesture.
MIN_PAUSE = 0.2
#: Thresholds never come closer to the floor than this (m/s): tracker jitter.
MIN_MARGIN_ABOVE_FLOOR = 0.015


@dataclass(frozen=True)
class Trim:
    """Proposed trim of a take: frames ``start:stop`` hold the motion (plus margins)."""

    start: int
    stop: int
    start_time: float
    stop_time: float
    onset: int
    offset: int
    high_threshold: float
    low_threshold: float
    moving: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _hand_motion(take: Take, hand: int, lag: int) -> np.ndarray:
    """Motion (T-lag,) of one hand in m/s from frame i to i+lag, NaN where nothing is known.

    Displacements over ``lag`` frames (about a tenth of a second) rather than from frame
    to frame keep tracker jitter, which does not grow with the lag, small against motion,
    which does.
    """
    pos = take.poses[:, hand, :, :3].astype(np.float64)
    valid = position_valid(take.flags[:, hand]) & take.active[:, hand, None]
    dt = take.times[lag:] - take.times[:-lag]
    quat = take.poses[:, hand, WRIST, 3:].astype(np.float64)
    rot_ok = np.abs(np.linalg.norm(quat, axis=-1) - 1.0) < 0.01
    rot = quat_to_matrix(np.where(rot_ok[:, None], quat, [0.0, 0.0, 0.0, 1.0]))
    with np.errstate(invalid="ignore", over="ignore"):
        rel = np.einsum("tji,tkj->tki", rot, pos - pos[:, WRIST:WRIST + 1])
        wrist_speed = np.linalg.norm(pos[lag:, WRIST] - pos[:-lag, WRIST], axis=-1) / dt
        local_speed = np.linalg.norm(rel[lag:] - rel[:-lag], axis=-1) / dt[:, None]
    wrist_pair = valid[lag:, WRIST] & valid[:-lag, WRIST]
    frame_ok = wrist_pair & rot_ok[lag:] & rot_ok[:-lag]
    joint_pair = valid[lag:] & valid[:-lag] & frame_ok[:, None]
    joint_pair[:, WRIST] = False
    local_speed = np.where(joint_pair, local_speed, 0.0)
    count = joint_pair.sum(axis=1)
    motion = np.full(dt.size, np.nan)
    motion[wrist_pair] = wrist_speed[wrist_pair]
    both = wrist_pair & (count > 0)
    motion[both] += local_speed[both].sum(axis=1) / count[both]
    return motion


def motion_signal(take: Take, smoothing: float = SMOOTHING) -> np.ndarray:
    """Motion (T,) in m/s per frame: the busier hand's wrist + wrist-local joint speed.

    Speeds are measured over ``smoothing`` seconds centred on the frame, then averaged
    over as long again. Invalid joints
    and inactive hands are ignored; frames where nothing is known take the nearest known
    value. Raises VrtrainerError when no hand is tracked long enough.
    """
    if take.n_frames < 3:
        raise VrtrainerError(f"a take of {take.n_frames} frames is too short to trim")
    rate = (take.n_frames - 1) / max(take.duration, 1e-9)
    lag = int(np.clip(round(smoothing * rate), 1, take.n_frames - 1))
    per_hand = np.stack([_hand_motion(take, h, lag) for h in range(HAND_COUNT)])
    known = np.isfinite(per_hand).any(axis=0)
    if not known.any():
        raise VrtrainerError("no tracked hand motion in the take (no valid wrist)")
    interval = np.where(np.isfinite(per_hand), per_hand, -1.0).max(axis=0)
    idx = np.arange(interval.size)
    interval = np.interp(idx, idx[known], interval[known])
    # interval i spans frames i..i+lag: it belongs to its centre frame; the frames at the
    # ends without a centred interval, and the averaging window at the ends, use only the
    # values that exist (no padding, which would repeat one noisy value)
    head = lag // 2
    frame = np.full(take.n_frames, np.nan)
    frame[head:head + interval.size] = interval
    half = max(lag // 2, 1)
    ok = np.isfinite(frame)
    sums = np.convolve(np.where(ok, frame, 0.0), np.ones(2 * half + 1), mode="same")
    counts = np.convolve(ok.astype(float), np.ones(2 * half + 1), mode="same")
    smooth = sums / np.maximum(counts, 1)
    filled = counts > 0
    idx = np.arange(take.n_frames)
    return np.interp(idx, idx[filled], smooth[filled])


def _thresholds(signal: np.ndarray) -> tuple[float, float, float, float]:
    """Quiet floor, busy level, high and low thresholds of a motion signal.

    Besides a share of the floor-to-busy span, thresholds clear the jitter of the quiet
    frames, estimated from the spread of the quietest fifth of the signal.
    """
    p2, floor, p20, busy = (float(v) for v in np.percentile(signal, [2, 10, 20, 95]))
    span = busy - floor
    jitter = p20 - p2
    high = floor + max(HIGH_SHARE * span, MIN_MARGIN_ABOVE_FLOOR, 4.0 * jitter)
    low = floor + max(LOW_SHARE * span, MIN_MARGIN_ABOVE_FLOOR * 2 / 3, 2.5 * jitter)
    return floor, busy, high, low


def _motion_span(take: Take, signal: np.ndarray, high: float) -> tuple[int, int]:
    """First and last frames of the runs above ``high`` lasting MIN_BURST seconds or more.

    Falls back to every frame above ``high`` when no run is that long (very short takes).
    """
    above = signal > high
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts = np.nonzero(edges == 1)[0]
    stops = np.nonzero(edges == -1)[0] - 1
    t = take.times
    long_runs = [(a, b) for a, b in zip(starts, stops) if t[b] - t[a] >= MIN_BURST]
    if not long_runs:
        long_runs = list(zip(starts, stops))
    return int(long_runs[0][0]), int(long_runs[-1][1])


def propose_trim(take: Take, *, margin: float = DEFAULT_MARGIN) -> Trim:
    """Trim points around the take's motion: onset and offset, plus ``margin`` seconds.

    A take without motion (its busy level less than MIN_MOTION above its quiet floor)
    is kept whole, with ``moving`` False.
    """
    if margin < 0:
        raise VrtrainerError(f"margin must be >= 0 s, got {margin}")
    signal = motion_signal(take)
    floor, busy, high, low = _thresholds(signal)
    n = take.n_frames
    if busy - floor < MIN_MOTION:
        return Trim(0, n, float(take.times[0]), float(take.times[-1]), 0, n - 1,
                    high, low, False)
    first, last = _motion_span(take, signal, high)
    onset = first
    while onset > 0 and signal[onset - 1] > low:
        onset -= 1
    offset = last
    while offset < n - 1 and signal[offset + 1] > low:
        offset += 1
    t = take.times
    start = int(np.searchsorted(t, t[onset] - margin, side="left"))
    stop = int(np.searchsorted(t, t[offset] + margin, side="right"))
    return Trim(start, stop, float(t[start]), float(t[stop - 1]), onset, offset,
                high, low, True)


def trim_take(take: Take, trim: Trim | None = None, *, margin: float = DEFAULT_MARGIN) -> Take:
    """The take cut to its motion (``trim`` from :func:`propose_trim` when not given)."""
    if trim is None:
        trim = propose_trim(take, margin=margin)
    out = take.slice(trim.start, trim.stop)
    out.meta.extra["trim"] = {"start": trim.start, "stop": trim.stop,
                              "start_time": trim.start_time, "stop_time": trim.stop_time}
    return out


def split_points(take: Take, steps: int, *, min_step: float = 0.3) -> list[int]:
    """Frames at which to cut a take into ``steps`` segments, in the stillest pauses.

    Quiet runs (motion below the low threshold for MIN_PAUSE seconds or more) between
    the first onset and the last offset are ranked by length, then depth; the
    ``steps - 1`` best, each leaving at least ``min_step`` seconds of take on both sides,
    are cut at their quietest frame. Raises VrtrainerError when the take does not have
    that many pauses.
    """
    if steps < 1:
        raise VrtrainerError(f"steps must be >= 1, got {steps}")
    if steps == 1:
        return []
    signal = motion_signal(take)
    floor, busy, high, low = _thresholds(signal)
    if busy - floor < MIN_MOTION:
        raise VrtrainerError("the take has no motion to split")
    first, last = _motion_span(take, signal, high)
    quiet = signal[first:last + 1] <= low
    t = take.times
    runs = []
    i = 0
    while i < quiet.size:
        if quiet[i]:
            j = i
            while j + 1 < quiet.size and quiet[j + 1]:
                j += 1
            a, b = first + i, first + j
            if t[b] - t[a] < MIN_PAUSE:
                i = j + 1
                continue
            cut = a + int(np.argmin(signal[a:b + 1]))
            runs.append((b - a + 1, -float(signal[a:b + 1].mean()), cut))
            i = j + 1
        else:
            i += 1
    runs.sort(reverse=True)
    cuts: list[int] = []
    for _, _, cut in runs:
        candidate = sorted(cuts + [cut])
        edges = [0, *candidate, take.n_frames - 1]
        if all(t[b] - t[a] >= min_step for a, b in zip(edges[:-1], edges[1:])):
            cuts = candidate
        if len(cuts) == steps - 1:
            return cuts
    raise VrtrainerError(
        f"found {len(cuts) + 1} motion segments separated by still pauses, not {steps}"
    )


def split_take(
    take: Take, steps: int, *, trim: bool = True, margin: float = DEFAULT_MARGIN
) -> list[Take]:
    """Cut a take into ``steps`` takes at its stillest pauses, each trimmed if ``trim``.

    Each segment's ``meta.step`` is its step number (from 1).
    """
    cuts = split_points(take, steps)
    edges = [0, *cuts, take.n_frames]
    segments = []
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:]), start=1):
        seg = take.slice(a, b)
        if trim:
            seg = trim_take(seg, margin=margin)
        seg.meta.step = k
        seg.meta.extra["split"] = {"step": k, "of": steps, "start": a, "stop": b}
        segments.append(seg)
    return segments
