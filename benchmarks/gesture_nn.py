"""Nearest-neighbour gesture recognition with vrtrainer's comparator, for real-data benchmarks.

Takes (from :mod:`vrtrainer.importers`) become the comparator's feature sequences
(:func:`vrtrainer.compare.features.take_features`, smoothed); sequences are compared
with the comparator's DTW (:func:`vrtrainer.compare.dtw.dtw_matrix`). Three distances:

* ``dtw``: DTW over every channel with per-kind weights, accumulated squared cost
  divided by (n + m) so long gestures are not penalised;
* ``shape``: the hand shape cue, Euclidean distance between the take-averaged
  wrist-local joint positions and finger angles (what the hand looks like overall:
  one finger or the whole hand);
* ``path``: the amplitude-robust trajectory cue, DTW over the wrist path divided by
  its own largest excursion, so a small and a large swipe in one direction match.

The classifier is 1-NN on ``dtw + a * shape + b * path`` (each divided by its median
over the training pairs); the kind weights, smoothing, a and b are chosen by
cross-validation on the training data only.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vrtrainer.compare.dtw import dtw_distance, dtw_matrix
from vrtrainer.compare.features import (
    ABDUCTION,
    FLEXION,
    KINDS,
    PATH,
    POSITION,
    TURN,
    FeatureConfig,
    Features,
    smoothed,
    take_features,
)
from vrtrainer.take import Take

CONFIG = FeatureConfig(positions=True, angles=True, path=True)


@dataclass
class Sequences:
    """Feature sequences of many takes, ready for the DTW: values, masks, lengths."""

    values: list[np.ndarray]
    masks: list[np.ndarray]
    kinds: np.ndarray  # (C,) channel kind
    base_weight: np.ndarray  # (C,) the layout's own weights

    @property
    def lengths(self) -> np.ndarray:
        return np.array([v.shape[0] for v in self.values])


def features_of(takes: Sequence[Take], smoothing: float) -> Sequences:
    """Comparator features of every take, smoothed over ``smoothing`` seconds."""
    values, masks = [], []
    layout = None
    for take in takes:
        f: Features = take_features(take, CONFIG)
        if smoothing > 0:
            f = smoothed(f, smoothing)
        layout = f.layout
        values.append(f.values)
        masks.append(f.mask)
    assert layout is not None
    return Sequences(values, masks, np.asarray(layout.kind), np.asarray(layout.weight))


def kind_weights(seqs: Sequences, weights: dict[int, float]) -> np.ndarray:
    """Channel weights (C,) from per-kind weights (kinds absent from ``weights`` get 0)."""
    return seqs.base_weight * np.array([weights.get(int(k), 0.0) for k in seqs.kinds])


def dtw_distances(
    xs: Sequences, ys: Sequences | None, weights: np.ndarray, window: float | None
) -> np.ndarray:
    """Length-normalised DTW (accumulated squared cost / (n + m)) of xs against ys.

    ``window`` is the Sakoe-Chiba band as a share of the longer sequence (None: none).
    """
    longest = max(xs.lengths.max(), (ys or xs).lengths.max())
    band = None if window is None else max(2, int(round(window * longest)))
    d = dtw_matrix(
        xs.values, None if ys is None else ys.values,
        x_masks=xs.masks, y_masks=None if ys is None else ys.masks,
        weights=weights, window=band,
    )
    nx = xs.lengths[:, None]
    ny = (ys or xs).lengths[None, :]
    return d**2 / (nx + ny)


def shape_cue(seqs: Sequences) -> np.ndarray:
    """(N, C') take-averaged wrist-local positions and finger angles of each sequence."""
    keep = np.isin(seqs.kinds, [POSITION, FLEXION, ABDUCTION])
    scale = np.where(seqs.kinds[keep] == POSITION, 1.0, 0.05)  # radians -> ~metres
    out = []
    for v, m in zip(seqs.values, seqs.masks):
        vv, mm = v[:, keep], m[:, keep]
        mean = (vv * mm).sum(0) / np.maximum(mm.sum(0), 1)
        out.append(mean * scale)
    return np.array(out)


def euclidean(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Pairwise Euclidean distances of the rows of a and b (a with itself if b is None)."""
    b = a if b is None else b
    sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(sq, 0.0))


def path_cue(seqs: Sequences) -> Sequences:
    """The wrist path of each sequence divided by its largest excursion from its mean."""
    keep = seqs.kinds == PATH
    values, masks = [], []
    for v, m in zip(seqs.values, seqs.masks):
        p = v[:, keep]
        ok = m[:, keep].all(1)
        reach = np.linalg.norm(p[ok], axis=1).max() if ok.any() else 0.0
        values.append(p / max(reach, 1e-3))
        masks.append(m[:, keep])
    return Sequences(values, masks, seqs.kinds[keep], np.ones(int(keep.sum())))


@dataclass
class DistanceSet:
    """The three distances of some queries to the training takes, plus their scales."""

    dtw: np.ndarray
    shape: np.ndarray
    path: np.ndarray

    def combined(self, a: float, b: float, scales: tuple[float, float, float]) -> np.ndarray:
        return self.dtw / scales[0] + a * self.shape / scales[1] + b * self.path / scales[2]


def scales_of(train: DistanceSet) -> tuple[float, float, float]:
    """Median off-diagonal value of each training distance (makes a and b unitless)."""
    off = ~np.eye(train.dtw.shape[0], dtype=bool)
    return tuple(float(np.median(d[off])) for d in (train.dtw, train.shape, train.path))


def nn_predict(dist: np.ndarray, labels: np.ndarray, exclude: np.ndarray | None = None
               ) -> np.ndarray:
    """1-NN labels from distances (queries, train); ``exclude`` (bool, same shape) pairs."""
    d = dist if exclude is None else np.where(exclude, np.inf, dist)
    return labels[np.argmin(d, axis=1)]


def cross_validate(
    train: DistanceSet, labels: np.ndarray, groups: np.ndarray,
    a_grid: Sequence[float], b_grid: Sequence[float],
) -> tuple[float, float, float]:
    """Best (a, b) by leave-one-group-out 1-NN accuracy on the training distances."""
    exclude = groups[:, None] == groups[None, :]
    scales = scales_of(train)
    best = (-1.0, 0.0, 0.0)
    for a, b in itertools.product(a_grid, b_grid):
        acc = float(np.mean(nn_predict(train.combined(a, b, scales), labels, exclude) == labels))
        if acc > best[0] + 1e-12:
            best = (acc, a, b)
    return best


def time_per_comparison(seqs: Sequences, weights: np.ndarray, window: float | None,
                        pairs: int = 300, seed: int = 0) -> dict[str, float]:
    """Seconds per DTW comparison: one pair at a time, and batched on all cores.

    The dtaidistance C library (``dtw_ndim.distance_fast``, same frames, unweighted,
    no masks) is timed on the same pairs as the peer.
    """
    rng = np.random.default_rng(seed)
    n = len(seqs.values)
    idx = rng.integers(0, n, size=(pairs, 2))
    longest = seqs.lengths.max()
    band = None if window is None else max(2, int(round(window * longest)))
    dtw_distance(seqs.values[0], seqs.values[1], weights=weights, window=band)  # compile
    t0 = time.perf_counter()
    for i, j in idx:
        dtw_distance(seqs.values[i], seqs.values[j], x_mask=seqs.masks[i],
                     y_mask=seqs.masks[j], weights=weights, window=band)
    single = (time.perf_counter() - t0) / pairs
    sub = [seqs.values[i] for i in idx[:60, 0]]
    subm = [seqs.masks[i] for i in idx[:60, 0]]
    t0 = time.perf_counter()
    dtw_matrix(sub, x_masks=subm, weights=weights, window=band)
    batched = (time.perf_counter() - t0) / (len(sub) * (len(sub) - 1) / 2)
    out = {"single_s": single, "batched_s": batched}
    try:
        from dtaidistance import dtw_ndim
    except ImportError:
        return out
    keep = weights > 0
    xs = [np.ascontiguousarray(seqs.values[i][:, keep]) for i in range(n)]
    dtw_ndim.distance_fast(xs[0], xs[1])
    t0 = time.perf_counter()
    for i, j in idx:
        dtw_ndim.distance_fast(xs[i], xs[j], window=band)
    out["dtaidistance_single_s"] = (time.perf_counter() - t0) / pairs
    return out


KIND_NAMES = {k: KINDS[k] for k in (POSITION, FLEXION, ABDUCTION, PATH, TURN)}
