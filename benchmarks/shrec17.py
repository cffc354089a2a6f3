"""SHREC'17 hand gesture recognition with vrtrainer's comparator (14 and 28 classes).

Usage: python benchmarks/shrec17.py DATA_DIR [--quick]

DATA_DIR is the unpacked shrec2017_skeleton folder (gesture_*/finger_*/subject_*/essai_*/
skeletons_world.txt, train_gestures.txt, test_gestures.txt). Every file goes through
vrtrainer's importer (:func:`vrtrainer.importers.read_shrec17`), then the comparator's
features and DTW (see benchmarks/gesture_nn.py). Every parameter is chosen by
leave-one-subject-out cross-validation on the train split; the test split is used once.
Prints a table and, as its last line, one JSON object with the accuracies.

Data: De Smedt, Wannous, Vandeborre, Guerry, Le Saux, Filliat, "3D Hand Gesture
Recognition Using a Depth and Skeletal Dataset", Eurographics 3DOR 2017.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

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

from vrtrainer.compare.features import ABDUCTION, FLEXION, PATH, POSITION, TURN  # noqa: E402
from vrtrainer.errors import VrtrainerError  # noqa: E402
from vrtrainer.importers import read_shrec17  # noqa: E402

PUBLISHED = [
    ("DD-Net (trained deep network)", 0.946, 0.919),
    ("SoCJ+HoHD+HoWR (handcrafted + SVM)", 0.882, 0.819),
    ("plain DTW 1-NN baseline (datasets README)", 0.885, 0.826),
]
#: Kind weights tried by cross-validation (shape channels vs wrist path and turn).
WEIGHT_GRID = [
    {PATH: 1.0, TURN: 0.1, POSITION: 0.1, FLEXION: 0.0, ABDUCTION: 0.0},
    {PATH: 1.0, TURN: 0.3, POSITION: 0.1, FLEXION: 0.0, ABDUCTION: 0.0},
    {PATH: 1.0, TURN: 0.1, POSITION: 0.03, FLEXION: 0.01, ABDUCTION: 0.0},
]
SMOOTHING = 0.1
WINDOW = 0.2
A_GRID = [0.0, 0.1, 0.2, 0.4, 0.8]
B_GRID = [0.0, 0.1, 0.2, 0.4, 0.8]


def load_split(root: Path, name: str) -> tuple[list, np.ndarray]:
    """Takes and rows (gesture finger subject essai label_14 label_28 n) of a split."""
    listing = root / f"{name}_gestures.txt"
    if not listing.is_file():
        raise VrtrainerError(f"{listing}: missing (is {root} the unpacked SHREC'17 folder?)")
    rows = np.loadtxt(listing, dtype=np.int64, ndmin=2)
    takes = []
    for g, f, s, e, *_ in rows:
        path = root / f"gesture_{g}/finger_{f}/subject_{s}/essai_{e}/skeletons_world.txt"
        takes.append(read_shrec17(path))
    return takes, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--quick", action="store_true",
                        help="one weight setting, no grid (a smoke run, not the result)")
    args = parser.parse_args(argv)
    root: Path = args.data_dir
    if not root.is_dir():
        print(f"error: data folder {root} is absent; unpack shrec2017_skeleton.tar.xz "
              "outside the repository and pass its folder", file=sys.stderr)
        return 2
    try:
        t0 = time.perf_counter()
        train_takes, train_rows = load_split(root, "train")
        test_takes, test_rows = load_split(root, "test")
        t_import = time.perf_counter() - t0
    except VrtrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    train = features_of(train_takes, SMOOTHING)
    test = features_of(test_takes, SMOOTHING)
    subjects = train_rows[:, 2]
    grid = WEIGHT_GRID[:1] if args.quick else WEIGHT_GRID
    shape_tr = shape_cue(train)
    shape_te = shape_cue(test)
    path_tr = path_cue(train)
    path_te = path_cue(test)
    d_shape_tr = euclidean(shape_tr)
    d_path_tr = dtw_distances(path_tr, None, path_tr.base_weight, WINDOW)
    print(f"imported {len(train_takes)} + {len(test_takes)} takes in {t_import:.1f} s",
          flush=True)

    train_dtw = {}
    for gi, weights in enumerate(grid):
        t0 = time.perf_counter()
        train_dtw[gi] = dtw_distances(train, None, kind_weights(train, weights), WINDOW)
        print(f"  train x train DTW, weights {gi}: {time.perf_counter() - t0:.0f} s", flush=True)
    results = {}
    for col, n_classes in ((4, 14), (5, 28)):
        labels = train_rows[:, col]
        best = None
        for gi in train_dtw:
            ds = DistanceSet(train_dtw[gi], d_shape_tr, d_path_tr)
            dtw_only = cross_validate(ds, labels, subjects, [0.0], [0.0])[0]
            acc, a, b = cross_validate(ds, labels, subjects, A_GRID, B_GRID)
            print(f"  {n_classes} classes, weights {gi}: CV 1-NN DTW {dtw_only:.3f}, "
                  f"with cues {acc:.3f} (a={a}, b={b})", flush=True)
            if best is None or acc > best[0]:
                best = (acc, gi, a, b, dtw_only)
        results[n_classes] = best

    chosen = {results[14][1], results[28][1]}
    test_dist = {}
    for gi in chosen:
        w = kind_weights(train, grid[gi])
        test_dist[gi] = dtw_distances(test, train, w, WINDOW)
    d_shape_te = euclidean(shape_te, shape_tr)
    d_path_te = dtw_distances(path_te, path_tr, path_tr.base_weight, WINDOW)

    rows_out = []
    accs = {}
    for col, n_classes in ((4, 14), (5, 28)):
        cv_acc, gi, a, b, cv_dtw = results[n_classes]
        train_set = DistanceSet(train_dtw[gi], d_shape_tr, d_path_tr)
        scales = scales_of(train_set)
        test_set = DistanceSet(test_dist[gi], d_shape_te, d_path_te)
        labels_tr = train_rows[:, col]
        labels_te = test_rows[:, col]
        acc_dtw = float(np.mean(nn_predict(test_set.dtw, labels_tr) == labels_te))
        acc = float(np.mean(nn_predict(test_set.combined(a, b, scales), labels_tr) == labels_te))
        accs[n_classes] = (acc_dtw, acc)
        rows_out.append((n_classes, gi, a, b, cv_dtw, cv_acc))

    timing = time_per_comparison(test, kind_weights(test, grid[results[14][1]]), WINDOW)

    print()
    print("SHREC'17, official split (1960 train / 840 test), test accuracy")
    print(f"{'method':52s} {'14 classes':>10s} {'28 classes':>10s}")
    for name, a14, a28 in PUBLISHED:
        print(f"{name:52s} {a14:10.1%} {a28:10.1%}")
    print(f"{'vrtrainer DTW 1-NN (comparator features)':52s} "
          f"{accs[14][0]:10.1%} {accs[28][0]:10.1%}")
    print(f"{'vrtrainer DTW 1-NN + shape and path cues':52s} "
          f"{accs[14][1]:10.1%} {accs[28][1]:10.1%}")
    print()
    print("chosen by leave-one-subject-out CV on train: "
          + "; ".join(f"{n} classes: weights {gi}, a={a}, b={b} (CV {cv:.1%})"
                      for n, gi, a, b, _, cv in rows_out))
    print(f"time per comparison (mean length {np.mean(test.lengths):.0f} frames, "
          f"{int((kind_weights(test, grid[0]) > 0).sum())} channels, band {WINDOW:.0%}): "
          f"{timing['single_s'] * 1e6:.0f} us one at a time, "
          f"{timing['batched_s'] * 1e6:.0f} us batched on all cores"
          + (f"; dtaidistance C one at a time {timing['dtaidistance_single_s'] * 1e6:.0f} us "
             f"(ratio {timing['single_s'] / timing['dtaidistance_single_s']:.2f})"
             if "dtaidistance_single_s" in timing else ""))
    print(json.dumps({
        "accuracy_14": round(accs[14][1], 4), "accuracy_28": round(accs[28][1], 4),
        "accuracy_14_dtw_only": round(accs[14][0], 4),
        "accuracy_28_dtw_only": round(accs[28][0], 4),
        "us_per_comparison": round(timing["single_s"] * 1e6, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
