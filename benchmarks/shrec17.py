"""SHREC'17 hand gesture recognition with vrtrainer's comparator (14 and 28 classes).

DATA_DIR is the unpacked shrec2017_skeleton folder (gesture_*/finger_*/subject_*/essai_*/
skeletons_world.txt, train_gestures.txt, test_gestures.txt). Every file goes through
vrtrainer's importer (:func:`vrtrainer.takes.importers.read_shrec17`), then the comparator's
features and DTW (see benchmarks/gesture_nn.py), with the channels that keep the
tracking space's axes (palm-relative joints and the palm's centred path: a swipe to
the left is not a swipe to the right). Every parameter is chosen by
leave-one-subject-out cross-validation on the train split; the test split is used once.
Prints a table and, as its last line, one JSON object with the accuracies.

Usage: python benchmarks/shrec17.py DATA_DIR [--cache DIR]   (distance matrices are
cached under DIR, default /tmp/vrtrainer-shrec17, keyed by content)

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

from data_folder import absent  # noqa: E402
from gesture_nn import (  # noqa: E402
    DistanceSet,
    class_predict,
    cross_validate_discriminant,
    cross_validate_k,
    discriminant,
    discriminant_predict,
    dtw_distances,
    euclidean,
    features_of,
    kind_weights,
    nn_predict,
    path_cue,
    scales_of,
    shape_cue,
    shape_summary,
    time_per_comparison,
)

from vrtrainer.compare.features import (  # noqa: E402
    CENTRED,
    PALM_RELATIVE,
    PATH,
    POSITION,
    TURN,
    FeatureConfig,
)
from vrtrainer.errors import VrtrainerError  # noqa: E402
from vrtrainer.takes.importers import read_shrec17  # noqa: E402

PUBLISHED = [
    ("DD-Net (trained deep network)", 0.946, 0.919),
    ("SoCJ+HoHD+HoWR (handcrafted + SVM)", 0.882, 0.819),
    ("plain DTW 1-NN baseline (datasets README)", 0.885, 0.826),
]
#: Comparator defaults plus the tracking-space channels the classifier uses.
CONFIG = FeatureConfig(positions=True, angles=True, path=True, centred=True,
                       palm_relative=True)
#: Kind weights of the comparator's own channels (used by benchmarks/sfinge3d.py).
COMPARATOR_WEIGHTS = {PATH: 1.0, TURN: 0.1, POSITION: 0.1}
#: Kind weights tried by cross-validation: palm-relative joints vs the palm's path.
WEIGHT_GRID = [{PALM_RELATIVE: 1.0, CENTRED: wc} for wc in (4.0, 12.0, 36.0)]
SMOOTHING = 0.1
WINDOW = 0.2
A_GRID = [0.0, 0.1, 0.2, 0.4, 0.8]
B_GRID = [0.0, 0.1, 0.2, 0.4, 0.8]
#: How many nearest takes of a class are averaged into the query's distance to it.
K_GRID = [1, 3, 5, 8]
#: Shrinkage of the one-finger / whole-hand discriminant (standardised features).
SHRINK_GRID = [0.01, 0.1, 1.0]


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


def label_28(gesture: np.ndarray, whole_hand: np.ndarray) -> np.ndarray:
    """SHREC'17's 28-class label from the gesture (1..14) and the mode (finger 1, hand 2)."""
    return 2 * (gesture - 1) + 1 + whole_hand.astype(np.int64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vrtrainer-shrec17"),
                        help="folder for distance matrices, keyed by content")
    args = parser.parse_args(argv)
    root: Path = args.data_dir
    cache: Path = args.cache
    if absent(root, "shrec2017_skeleton.tar.xz"):
        return 2
    try:
        t0 = time.perf_counter()
        train_takes, train_rows = load_split(root, "train")
        test_takes, test_rows = load_split(root, "test")
        t_import = time.perf_counter() - t0
    except VrtrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"imported {len(train_takes)} + {len(test_takes)} takes in {t_import:.1f} s",
          flush=True)
    train = features_of(train_takes, SMOOTHING, CONFIG)
    test = features_of(test_takes, SMOOTHING, CONFIG)
    subjects = train_rows[:, 2]
    exclude = subjects[:, None] == subjects[None, :]
    shape_tr, shape_te = shape_cue(train), shape_cue(test)
    path_tr, path_te = path_cue(train, CENTRED), path_cue(test, CENTRED)
    d_shape_tr = euclidean(shape_tr)
    d_path_tr = dtw_distances(path_tr, None, path_tr.base_weight, WINDOW, cache)
    summary_tr, summary_te = shape_summary(train), shape_summary(test)
    whole_hand_tr = train_rows[:, 1] == 2

    train_dtw = {}
    for gi, weights in enumerate(WEIGHT_GRID):
        t0 = time.perf_counter()
        train_dtw[gi] = dtw_distances(train, None, kind_weights(train, weights), WINDOW, cache)
        print(f"  train x train DTW, weights {gi}: {time.perf_counter() - t0:.0f} s", flush=True)

    # 14 gestures, and 28 as one flat classifier: kind weights, cue weights a, b and k.
    cv: dict[int, tuple] = {}
    for col, n_classes in ((4, 14), (5, 28)):
        labels = train_rows[:, col]
        for gi in train_dtw:
            ds = DistanceSet(train_dtw[gi], d_shape_tr, d_path_tr)
            dtw_only = cross_validate_k(ds, labels, subjects, [0.0], [0.0], [1])[0]
            acc, a, b, k = cross_validate_k(ds, labels, subjects, A_GRID, B_GRID, K_GRID)
            print(f"  {n_classes} classes, weights {gi}: CV 1-NN DTW {dtw_only:.3f}, "
                  f"with cues and k {acc:.3f} (a={a}, b={b}, k={k})", flush=True)
            if n_classes not in cv or acc > cv[n_classes][0]:
                cv[n_classes] = (acc, gi, a, b, k, dtw_only)
    # 28 classes as the 14-class gesture plus a one-finger / whole-hand discriminant on
    # the take's hand-shape summary; chosen over the flat 1-NN only if CV says so.
    _, gi14, a14, b14, k14, _ = cv[14]
    ds14 = DistanceSet(train_dtw[gi14], d_shape_tr, d_path_tr)
    gesture_cv = class_predict(ds14.combined(a14, b14, scales_of(ds14)), train_rows[:, 4],
                               k14, exclude)
    mode_cv = {}
    for shrink in SHRINK_GRID:
        hand = cross_validate_discriminant(summary_tr, whole_hand_tr, subjects, shrink)
        acc = float(np.mean(label_28(gesture_cv, hand) == train_rows[:, 5]))
        mode_cv[shrink] = (acc, float(np.mean(hand == whole_hand_tr)))
        print(f"  28 classes as gesture + mode discriminant (shrinkage {shrink}): "
              f"mode CV {mode_cv[shrink][1]:.3f}, CV {acc:.3f}", flush=True)
    shrink = max(mode_cv, key=lambda k: mode_cv[k][0])
    hierarchical = mode_cv[shrink][0] > cv[28][0]

    test_dist = {}
    for gi in {cv[14][1], cv[28][1]}:
        t0 = time.perf_counter()
        test_dist[gi] = dtw_distances(test, train, kind_weights(train, WEIGHT_GRID[gi]),
                                      WINDOW, cache)
        print(f"  test x train DTW, weights {gi}: {time.perf_counter() - t0:.0f} s", flush=True)
    d_shape_te = euclidean(shape_te, shape_tr)
    d_path_te = dtw_distances(path_te, path_tr, path_tr.base_weight, WINDOW, cache)

    preds = {}
    accs_dtw = {}
    for col, n_classes in ((4, 14), (5, 28)):
        _, gi, a, b, k, _ = cv[n_classes]
        scales = scales_of(DistanceSet(train_dtw[gi], d_shape_tr, d_path_tr))
        test_set = DistanceSet(test_dist[gi], d_shape_te, d_path_te)
        labels_tr = train_rows[:, col]
        accs_dtw[n_classes] = float(np.mean(nn_predict(test_set.dtw, labels_tr)
                                            == test_rows[:, col]))
        preds[n_classes] = class_predict(test_set.combined(a, b, scales), labels_tr, k)
    mode_model = discriminant(summary_tr, whole_hand_tr, shrink)
    hand_te = discriminant_predict(mode_model, summary_te)
    preds_28_hier = label_28(preds[14], hand_te)
    acc14 = float(np.mean(preds[14] == test_rows[:, 4]))
    acc28_flat = float(np.mean(preds[28] == test_rows[:, 5]))
    acc28_hier = float(np.mean(preds_28_hier == test_rows[:, 5]))
    acc28 = acc28_hier if hierarchical else acc28_flat
    mode_test = float(np.mean(hand_te == (test_rows[:, 1] == 2)))

    chosen_w = kind_weights(test, WEIGHT_GRID[cv[14][1]])
    timing = time_per_comparison(test, chosen_w, WINDOW)

    def weights_text(gi: int) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in (
            ("palm-relative joints", WEIGHT_GRID[gi][PALM_RELATIVE]),
            ("centred palm path", WEIGHT_GRID[gi][CENTRED])))

    print()
    print("SHREC'17, official split (1960 train / 840 test), test accuracy")
    print(f"{'method':60s} {'14 classes':>10s} {'28 classes':>10s}")
    for name, p14, p28 in PUBLISHED:
        print(f"{name:60s} {p14:10.1%} {p28:10.1%}")
    print(f"{'vrtrainer DTW 1-NN (tracking-space channels)':60s} "
          f"{accs_dtw[14]:10.1%} {accs_dtw[28]:10.1%}")
    print(f"{'vrtrainer DTW + shape and path cues, k nearest per class':60s} "
          f"{acc14:10.1%} {acc28_flat:10.1%}")
    print(f"{'vrtrainer, 28 as gesture + one-finger/whole-hand discriminant':60s} "
          f"{'':10s} {acc28_hier:10.1%}")
    print(f"{'vrtrainer, chosen by CV':60s} {acc14:10.1%} {acc28:10.1%}")
    print()
    print("chosen by leave-one-subject-out CV on train:")
    for n_classes in (14, 28):
        acc, gi, a, b, k, dtw_only = cv[n_classes]
        print(f"  {n_classes} classes, flat: weights {gi} ({weights_text(gi)}), "
              f"a={a}, b={b}, k={k} (CV {dtw_only:.1%} DTW 1-NN, {acc:.1%} with cues and k)")
    print(f"  28 classes: {'gesture + mode discriminant' if hierarchical else 'flat'} "
          f"(CV {mode_cv[shrink][0]:.1%} vs {cv[28][0]:.1%} flat; shrinkage {shrink}, "
          f"mode CV {mode_cv[shrink][1]:.1%}, test {mode_test:.1%})")
    print(f"time per comparison (mean length {np.mean(test.lengths):.0f} frames, "
          f"{int((chosen_w > 0).sum())} channels, band {WINDOW:.0%}): "
          f"{timing['single_s'] * 1e6:.0f} us one at a time, "
          f"{timing['batched_s'] * 1e6:.0f} us batched on all cores"
          + (f"; dtaidistance C one at a time {timing['dtaidistance_single_s'] * 1e6:.0f} us "
             f"(ratio {timing['single_s'] / timing['dtaidistance_single_s']:.2f})"
             if "dtaidistance_single_s" in timing else ""))
    print(json.dumps({
        "accuracy_14": round(acc14, 4), "accuracy_28": round(acc28, 4),
        "accuracy_14_dtw_only": round(accs_dtw[14], 4),
        "accuracy_28_dtw_only": round(accs_dtw[28], 4),
        "accuracy_28_flat": round(acc28_flat, 4),
        "us_per_comparison": round(timing["single_s"] * 1e6, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
