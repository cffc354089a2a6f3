"""Economy of motion: how much a take moves to do its job, next to the experts.

A skilled worker, in any trade, does the task with less motion: a shorter path of
the hands or tools, less turning and gripping, fewer separate movements (the
measures of surgical motion analysis, e.g. time, path length and number of
movements). Measured on a take's features (the template's layout):

* ``travel``: metres travelled by the wrists' and tools' paths (``path``,
  ``tool_path``), summed;
* ``turning``: radians turned by the wrists and tools (``turn``, ``tool_turn``);
* ``gripping``: radians (or trigger units) the grippers opened and closed;
* ``movements``: separate movements, the peaks of the summed path speed that
  rise over half its median (a pause between two reaches splits them).

Each is measured on the motion smoothed over :data:`SMOOTH_S` and sampled every
half of it (whatever the frame rate), so tracking noise and tremor (judged by
steadiness) add little. A take is judged by its
excess over the experts (:func:`excess`): doing less than the experts is not
rewarded here (a skipped movement costs shape).
"""

from __future__ import annotations

import numpy as np

from vrtrainer.compare.features import (
    GRIPPER,
    PATH,
    TOOL_PATH,
    TOOL_TURN,
    TURN,
    Features,
    smoothed,
)

MEASURES = ("travel", "turning", "gripping", "movements")
#: Width (s) of the moving average the motion is measured on: slower than tremor
#: (4-12 Hz) and tracking noise, faster than a deliberate movement.
SMOOTH_S = 0.2


def on_grid(features: Features, step: float) -> Features:
    """Features at ``step`` seconds apart (linear interpolation; valid where both
    neighbouring frames are), so the measures do not depend on the frame rate."""
    t = features.times
    grid = t[0] + np.arange(int(np.floor((t[-1] - t[0]) / step)) + 1) * step
    right = np.clip(np.searchsorted(t, grid, side="right"), 1, len(t) - 1)
    left = right - 1
    w = np.clip((grid - t[left]) / np.maximum(t[right] - t[left], 1e-12), 0.0, 1.0)[:, None]
    values = (1 - w) * features.values[left] + w * features.values[right]
    mask = features.mask[left] & features.mask[right]
    return Features(values, mask, grid, features.layout, features.hand_lengths)


def _vector_groups(features: Features, kinds: tuple[int, ...]) -> list[np.ndarray]:
    """Column triples (x, y, z) of the 3-vector channels of ``kinds``."""
    out = []
    for c in np.flatnonzero(np.isin(features.layout.kind, kinds) & (features.layout.axis == 0)):
        out.append(np.arange(c, c + 3))
    return out


def _distance(values: np.ndarray, mask: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Per step (T-1,): the norm of the change of ``cols``, 0 where either end is invalid."""
    ok = mask[1:, cols].all(axis=1) & mask[:-1, cols].all(axis=1)
    step = np.linalg.norm(np.diff(values[:, cols], axis=0), axis=1)
    return np.where(ok, step, 0.0)


def motion_measures(features: Features) -> dict[str, float]:
    """The four measures of :data:`MEASURES` for one take (0 where nothing is measured)."""
    n = features.n_frames
    if n < 3:
        return dict.fromkeys(MEASURES, 0.0)
    f = on_grid(smoothed(features, SMOOTH_S), SMOOTH_S / 2)
    if f.n_frames < 3:
        return dict.fromkeys(MEASURES, 0.0)
    paths = _vector_groups(f, (PATH, TOOL_PATH))
    turns = _vector_groups(f, (TURN, TOOL_TURN))
    steps = [_distance(f.values, f.mask, g) for g in paths]
    travel = float(sum(s.sum() for s in steps))
    turning = float(sum(_distance(f.values, f.mask, g).sum() for g in turns))
    grips = np.flatnonzero(f.layout.kind == GRIPPER)
    gripping = 0.0
    for c in grips:
        ok = f.mask[1:, c] & f.mask[:-1, c]
        gripping += float(np.abs(np.diff(f.values[:, c]))[ok].sum())
    movements = 0.0
    if steps:
        dt = np.maximum(np.diff(f.times), 1e-9)
        speed = np.sum(steps, axis=0) / dt
        floor = 0.5 * np.median(speed)
        mid = speed[1:-1]
        peaks = (mid > speed[:-2]) & (mid >= speed[2:]) & (mid > floor)
        movements = float(peaks.sum())
    return {"travel": travel, "turning": turning, "gripping": gripping,
            "movements": movements}


def excess(take: dict[str, float], experts: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Mean log-excess of a take's measures over the experts', and each ratio.

    Only measures the experts have (> 0) count; a ratio under 1 counts as 1 (no
    excess). ``exp`` of the result is the take's typical factor of extra motion.
    """
    ratios = {k: take.get(k, 0.0) / v for k, v in experts.items()
              if k in MEASURES and v > 0}
    if not ratios:
        return 0.0, {}
    logs = [max(0.0, float(np.log(max(r, 1e-12)))) for r in ratios.values()]
    return float(np.mean(logs)), ratios


__all__ = ["MEASURES", "SMOOTH_S", "excess", "motion_measures", "on_grid"]
