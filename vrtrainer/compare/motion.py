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


#: Span (s) of the local quadratic fit whose residual is jitter and tremor.
JITTER_WINDOW_S = 0.3


def _smoother(n: int) -> np.ndarray:
    """Centre weights of a least-squares quadratic fit over ``n`` (odd) equally spaced frames."""
    x = np.arange(n) - n // 2
    design = np.stack([np.ones(n), x, x * x], axis=1)
    return (design @ np.linalg.pinv(design))[n // 2]


def jitter_rms(f: Features) -> float:
    """Jitter and tremor (m): RMS 3-D residual of positions around a local quadratic fit.

    The fit spans :data:`JITTER_WINDOW_S` seconds whatever the frame rate (at
    least 5 frames), and the residual is divided by the share of white noise a
    fit of that many frames leaves, so the figure reads the same at 15, 30 or
    90 Hz: about the RMS of the noise itself, and 0.76 x the amplitude of an
    8-12 Hz tremor. The motion itself, smooth over a third of a second, leaves
    little. Taken separately for the fingers (wrist-local positions), the
    wrist's path and the tools' paths, and the largest returned, so a shaking
    wrist or tool is not averaged away by steady fingers.
    """
    n = f.n_frames
    if n < 5:
        return 0.0
    rate = (n - 1) / max(float(f.times[-1] - f.times[0]), 1e-9)
    k = max(5, int(round(JITTER_WINDOW_S * rate)) | 1)
    if k > n:
        k = n if n % 2 else n - 1
    w = _smoother(k)
    keep = 1.0 - w[k // 2]  # residual variance of white noise, as a share
    worst = 0.0
    for kind in (POSITION, PATH, TOOL_PATH):
        cols = np.flatnonzero(f.layout.kind == kind)
        if cols.size == 0:
            continue
        v = np.where(f.mask[:, cols], f.values[:, cols], 0.0)
        m = f.mask[:, cols].astype(np.float64)
        fit = np.stack([np.convolve(v[:, c], w[::-1], mode="valid") for c in range(cols.size)],
                       axis=1)
        full = np.stack([np.convolve(m[:, c], np.ones(k), mode="valid") for c in
                         range(cols.size)], axis=1) >= k - 0.5
        r = v[k // 2:n - k // 2] - fit
        if full.any():
            # three channels per point: a 3-D residual's RMS is sqrt(3) x the per-axis RMS
            worst = max(worst, float(np.sqrt(3.0 * np.mean(r[full] ** 2) / keep)))
    return worst
