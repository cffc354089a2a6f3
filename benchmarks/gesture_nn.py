"""Nearest-neighbour gesture recognition with vrtrainer's comparator, for real-data benchmarks.

Takes (from :mod:`vrtrainer.takes.importers`) become the comparator's feature sequences
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

import hashlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
from vrtrainer.takes.take import Take

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


def features_of(takes: Sequence[Take], smoothing: float,
                config: FeatureConfig = CONFIG) -> Sequences:
    """Comparator features of every take, smoothed over ``smoothing`` seconds."""
    values, masks = [], []
    layout = None
    for take in takes:
        f: Features = take_features(take, config)
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


def _fingerprint(seqs: Sequences, weights: np.ndarray) -> bytes:
    keep = weights > 0
    h = hashlib.sha256(weights.tobytes())
    for v, m in zip(seqs.values, seqs.masks):
        h.update(np.ascontiguousarray(v[:, keep]).tobytes())
        h.update(np.ascontiguousarray(m[:, keep]).tobytes())
    return h.digest()


def dtw_distances(
    xs: Sequences, ys: Sequences | None, weights: np.ndarray, window: float | None,
    cache: Path | None = None,
) -> np.ndarray:
    """Length-normalised DTW (accumulated squared cost / (n + m)) of xs against ys.

    ``window`` is the Sakoe-Chiba band as a share of the longer sequence (None: none).
    Channels of weight 0 are left out before the DTW (same distances, less work). With
    ``cache`` (a folder), a matrix already computed for the same data, weights and band
    is read back instead (for iterating on the benchmark; the cache is keyed by content).
    """
    path = None
    if cache is not None:
        h = hashlib.sha256(_fingerprint(xs, weights))
        h.update(b"-" if ys is None else _fingerprint(ys, weights))
        h.update(repr(window).encode())
        path = cache / f"dtw-{h.hexdigest()[:24]}.npy"
        if path.is_file():
            return np.load(path)
    keep = weights > 0
    longest = max(xs.lengths.max(), (ys or xs).lengths.max())
    band = None if window is None else max(2, int(round(window * longest)))

    def cut(seqs: Sequences) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return ([np.ascontiguousarray(v[:, keep]) for v in seqs.values],
                [np.ascontiguousarray(m[:, keep]) for m in seqs.masks])

    xv, xm = cut(xs)
    yv, ym = (None, None) if ys is None else cut(ys)
    d = dtw_matrix(xv, yv, x_masks=xm, y_masks=ym, weights=weights[keep], window=band)
    nx = xs.lengths[:, None]
    ny = (ys or xs).lengths[None, :]
    out = d**2 / (nx + ny)
    if path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, out)
    return out


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


def path_cue(seqs: Sequences, kind: int = PATH) -> Sequences:
    """The path channels (``kind``: the wrist ``path`` or the palm's ``centred`` one) of each
    sequence divided by their largest excursion from the mean."""
    keep = seqs.kinds == kind
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


def class_scores(dist: np.ndarray, labels: np.ndarray, ks: Sequence[int],
                 exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Classes (K,) and, for each k in ``ks``, each query's distance to each class: the
    mean of its k nearest takes of that class (k = 1 is 1-NN). Shape (len(ks), Q, K)."""
    d = dist if exclude is None else np.where(exclude, np.inf, dist)
    classes = np.unique(labels)
    out = np.zeros((len(ks), d.shape[0], len(classes)))
    for ci, c in enumerate(classes):
        near = np.sort(d[:, labels == c], axis=1)
        mean = np.cumsum(near[:, :max(ks)], axis=1) / np.arange(1, max(ks) + 1)
        for ki, k in enumerate(ks):
            out[ki, :, ci] = mean[:, min(k, near.shape[1]) - 1]
    return classes, out


def class_predict(dist: np.ndarray, labels: np.ndarray, k: int,
                  exclude: np.ndarray | None = None) -> np.ndarray:
    """Labels of the classes whose k nearest takes are nearest on average."""
    classes, scores = class_scores(dist, labels, [k], exclude)
    return classes[np.argmin(scores[0], axis=1)]


def cross_validate_k(
    train: DistanceSet, labels: np.ndarray, groups: np.ndarray,
    a_grid: Sequence[float], b_grid: Sequence[float], k_grid: Sequence[int],
) -> tuple[float, float, float, int]:
    """Best (accuracy, a, b, k) by leave-one-group-out accuracy of :func:`class_predict`."""
    exclude = groups[:, None] == groups[None, :]
    scales = scales_of(train)
    best = (-1.0, 0.0, 0.0, 1)
    for a, b in itertools.product(a_grid, b_grid):
        classes, scores = class_scores(train.combined(a, b, scales), labels, k_grid, exclude)
        for ki, k in enumerate(k_grid):
            acc = float(np.mean(classes[np.argmin(scores[ki], axis=1)] == labels))
            if acc > best[0] + 1e-12:
                best = (acc, a, b, k)
    return best


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
    keep = weights > 0
    w = weights[keep]
    vals = [np.ascontiguousarray(v[:, keep]) for v in seqs.values]
    masks = [np.ascontiguousarray(m[:, keep]) for m in seqs.masks]
    dtw_distance(vals[0], vals[1], weights=w, window=band)  # compile
    t0 = time.perf_counter()
    for i, j in idx:
        dtw_distance(vals[i], vals[j], x_mask=masks[i], y_mask=masks[j], weights=w,
                     window=band)
    single = (time.perf_counter() - t0) / pairs
    sub = [vals[i] for i in idx[:60, 0]]
    subm = [masks[i] for i in idx[:60, 0]]
    dtw_matrix(sub[:2], x_masks=subm[:2], weights=w, window=band)  # compile or load
    t0 = time.perf_counter()
    dtw_matrix(sub, x_masks=subm, weights=w, window=band)
    batched = (time.perf_counter() - t0) / (len(sub) * (len(sub) - 1) / 2)
    out = {"single_s": single, "batched_s": batched}
    try:
        from dtaidistance import dtw_ndim
    except ImportError:
        return out
    xs = vals
    dtw_ndim.distance_fast(xs[0], xs[1])
    t0 = time.perf_counter()
    for i, j in idx:
        dtw_ndim.distance_fast(xs[i], xs[j], window=band)
    out["dtaidistance_single_s"] = (time.perf_counter() - t0) / pairs
    return out


def shape_summary(seqs: Sequences) -> np.ndarray:
    """(N, 2 C') mean and spread over each take of its wrist-local positions and finger
    angles: what the hand looks like and how much that changes (for the mode cue)."""
    keep = np.isin(seqs.kinds, [POSITION, FLEXION, ABDUCTION])
    out = []
    for v, m in zip(seqs.values, seqs.masks):
        vv, mm = v[:, keep], m[:, keep]
        count = np.maximum(mm.sum(0), 1)
        mean = (vv * mm).sum(0) / count
        spread = np.sqrt((((vv - mean) * mm) ** 2).sum(0) / count)
        out.append(np.concatenate([mean, spread]))
    return np.array(out)


def discriminant(x: np.ndarray, y: np.ndarray, shrinkage: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Two-class linear discriminant with a shrunk pooled covariance (not a network).

    Features are standardised with the training data's mean and spread; returns
    (mean, spread, w, threshold): class 1 where ``((x - mean) / spread) @ w > threshold``.
    """
    mean, spread = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / spread
    a, b = z[~y], z[y]
    mu_a, mu_b = a.mean(0), b.mean(0)
    centred = np.concatenate([a - mu_a, b - mu_b])
    cov = centred.T @ centred / len(centred) + shrinkage * np.eye(z.shape[1])
    w = np.linalg.solve(cov, mu_b - mu_a)
    return mean, spread, w, float(w @ (mu_a + mu_b) / 2)


def discriminant_predict(model: tuple[np.ndarray, np.ndarray, np.ndarray, float],
                         x: np.ndarray) -> np.ndarray:
    """Class (bool) of each row of ``x`` under a :func:`discriminant` model."""
    mean, spread, w, threshold = model
    return ((x - mean) / spread) @ w > threshold


def cross_validate_discriminant(x: np.ndarray, y: np.ndarray, groups: np.ndarray,
                                shrinkage: float) -> np.ndarray:
    """Leave-one-group-out predictions (bool) of :func:`discriminant`."""
    pred = np.zeros(len(y), bool)
    for g in np.unique(groups):
        out = groups == g
        pred[out] = discriminant_predict(discriminant(x[~out], y[~out], shrinkage), x[out])
    return pred


KIND_NAMES = {k: KINDS[k] for k in (POSITION, FLEXION, ABDUCTION, PATH, TURN)}
