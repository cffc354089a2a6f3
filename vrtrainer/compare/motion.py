"""How a feature sequence moves: its speed, where it moves, and its jitter.

Shared by the template builder (phases, the experts' own steadiness) and the
scorer (hesitations, skipped movements, the trainee's steadiness).
"""

from __future__ import annotations

import numpy as np

from vrtrainer.compare.features import PATH, POSITION, TOOL_PATH, Features


def motion_speed(values: np.ndarray, mask: np.ndarray, weights: np.ndarray,
                 times: np.ndarray) -> np.ndarray:
    """Smoothed speed (T,) of a feature sequence: weighted change per second over 0.15 s."""
    n = values.shape[0]
    if n < 3:
        return np.zeros(n)
    d = np.where(mask[2:] & mask[:-2], values[2:] - values[:-2], 0.0)
    dt = np.maximum(times[2:] - times[:-2], 1e-9)
    speed = np.sqrt((d * d * weights).sum(axis=1)) / dt
    speed = np.concatenate([[speed[0]], speed, [speed[-1]]])
    rate = (n - 1) / max(times[-1] - times[0], 1e-9)
    k = min(n, max(1, int(round(0.15 * rate))))  # a size from a rate: bounded by the frames
    return np.convolve(speed, np.ones(k) / k, mode="same")


def moving_frames(speed: np.ndarray) -> np.ndarray:
    """Frames (bool) where the reference moves: speed over half its median."""
    return speed > 0.5 * np.median(speed)


def jitter_rms(f: Features) -> float:
    """Jitter (m): RMS 3-D residual of positions minus the mean of their neighbours in time.

    Smooth motion leaves almost nothing; tracking noise, jitter and tremor
    stand out. Taken separately for the fingers (wrist-local positions), the
    wrist's path and the tools' paths, and the largest returned, so a shaking
    wrist or tool is not averaged away by steady fingers.
    """
    worst = 0.0
    for kind in (POSITION, PATH, TOOL_PATH):
        cols = np.flatnonzero(f.layout.kind == kind)
        if f.n_frames < 3 or cols.size == 0:
            continue
        v = f.values[:, cols]
        m = f.mask[:, cols]
        r = v[1:-1] - 0.5 * (v[:-2] + v[2:])
        ok = m[1:-1] & m[:-2] & m[2:]
        if ok.any():
            # three channels per point: a 3-D residual's RMS is sqrt(3) x the per-axis RMS
            worst = max(worst, float(np.sqrt(3.0 * np.mean(r[ok] ** 2))))
    return worst
