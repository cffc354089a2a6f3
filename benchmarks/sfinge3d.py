"""SFINGE 3D dictionary gesture recognition with vrtrainer's comparator (13 classes).

Usage: python benchmarks/sfinge3d.py DATA_DIR

DATA_DIR is the unpacked sfinge3d folder (Dictionary/<class 1..13>/<1..36>.txt). Every
file goes through vrtrainer's importer (:func:`vrtrainer.takes.importers.read_sfinge3d`), then
the comparator's features and DTW (benchmarks/gesture_nn.py). Protocol: leave-instances-
out cross-validation, 6 folds; fold k holds out instances k, k+6, ... of every class
(the files do not say which of the 5 users recorded which instance, so folds cannot be
by user). Within each training fold, a and b are chosen by an inner leave-one-fold-out
CV; kind weights, smoothing and band are those of the SHREC'17 benchmark, not tuned here.
Prints a table and, as its last line, one JSON object with the accuracy.

Data: Caputo, Giachetti, Giannini, Lupinetti, Monti, Pegoraro, Ranieri, "SFINGE 3D: A
novel benchmark for online detection and recognition of heterogeneous hand gestures from
3D fingers' trajectories", Computers & Graphics 2020.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data_folder import absent  # noqa: E402
from gesture_nn import (  # noqa: E402
    DistanceSet,
    cross_validate,
    dtw_distances,
    euclidean,
    features_of,
    kind_weights,
    nn_predict,
    path_cue,
    scales_of,
    shape_cue,
    time_per_comparison,
)
from shrec17 import A_GRID, B_GRID, COMPARATOR_WEIGHTS, SMOOTHING, WINDOW  # noqa: E402

from vrtrainer.errors import VrtrainerError  # noqa: E402
from vrtrainer.takes.importers import read_sfinge3d  # noqa: E402

CLASSES = ("one", "two", "three", "four", "OK", "pinch", "grab", "expand", "tap",
           "swipe left", "swipe right", "swipe V", "swipe O")
FOLDS = 6


def load_dictionary(root: Path) -> tuple[list, np.ndarray, np.ndarray]:
    """Takes, labels (1..13) and instance numbers of the SFINGE 3D dictionary."""
    base = root / "Dictionary"
    if not base.is_dir():
        raise VrtrainerError(f"{base}: missing (is {root} the unpacked SFINGE 3D folder?)")
    takes, labels, instances = [], [], []
    for c in range(1, len(CLASSES) + 1):
        files = sorted((base / str(c)).glob("*.txt"), key=lambda p: int(p.stem))
        if not files:
            raise VrtrainerError(f"{base / str(c)}: no gesture files")
        for f in files:
            takes.append(read_sfinge3d(f))
            labels.append(c)
            instances.append(int(f.stem))
    return takes, np.array(labels), np.array(instances)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args(argv)
    root: Path = args.data_dir
    if absent(root, "sfinge3d.tar.xz"):
        return 2
    try:
        t0 = time.perf_counter()
        takes, labels, instances = load_dictionary(root)
        t_import = time.perf_counter() - t0
    except VrtrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seqs = features_of(takes, SMOOTHING)
    weights = kind_weights(seqs, COMPARATOR_WEIGHTS)
    t0 = time.perf_counter()
    d_dtw = dtw_distances(seqs, None, weights, WINDOW)
    t_matrix = time.perf_counter() - t0
    d_shape = euclidean(shape_cue(seqs))
    paths = path_cue(seqs)
    d_path = dtw_distances(paths, None, paths.base_weight, WINDOW)
    fold = (instances - 1) % FOLDS

    correct_dtw = correct = 0
    chosen = []
    for k in range(FOLDS):
        tr = fold != k
        te = fold == k
        sub = DistanceSet(d_dtw[np.ix_(tr, tr)], d_shape[np.ix_(tr, tr)],
                          d_path[np.ix_(tr, tr)])
        _, a, b = cross_validate(sub, labels[tr], fold[tr], A_GRID, B_GRID)
        chosen.append((a, b))
        scales = scales_of(sub)
        test = DistanceSet(d_dtw[np.ix_(te, tr)], d_shape[np.ix_(te, tr)],
                           d_path[np.ix_(te, tr)])
        correct_dtw += int(np.sum(nn_predict(test.dtw, labels[tr]) == labels[te]))
        pred = nn_predict(test.combined(a, b, scales), labels[tr])
        correct += int(np.sum(pred == labels[te]))
    n = len(labels)
    acc_dtw = correct_dtw / n
    acc = correct / n
    timing = time_per_comparison(seqs, weights, WINDOW)

    print()
    print(f"SFINGE 3D dictionary, {len(CLASSES)} classes, {n} gestures, "
          f"{FOLDS}-fold leave-instances-out CV")
    print(f"{'method':52s} {'accuracy':>10s}")
    print(f"{'vrtrainer DTW 1-NN (comparator features)':52s} {acc_dtw:10.1%}")
    print(f"{'vrtrainer DTW 1-NN + shape and path cues':52s} {acc:10.1%}")
    print(f"(a, b) chosen per fold by inner CV: {chosen}")
    print(f"imported in {t_import:.1f} s; all-pairs DTW {t_matrix:.1f} s; time per comparison "
          f"(mean length {np.mean(seqs.lengths):.0f} frames): "
          f"{timing['single_s'] * 1e6:.0f} us one at a time"
          + (f", dtaidistance C {timing['dtaidistance_single_s'] * 1e6:.0f} us "
             f"(ratio {timing['single_s'] / timing['dtaidistance_single_s']:.2f})"
             if "dtaidistance_single_s" in timing else ""))
    print(json.dumps({"accuracy_13": round(acc, 4), "accuracy_13_dtw_only": round(acc_dtw, 4),
                      "us_per_comparison": round(timing["single_s"] * 1e6, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
