"""Does the score mean what a trainer means? Validity of the verdict on SHREC'17 people.

A trainer builds a reference with the product's own reference building
(:func:`vrtrainer.compare.reference.build_reference`), as they would: from one
expert's 3 takes ("single"), or from a panel of 5 people x 3 takes ("panel"). The
reference is calibrated with the trainer's other references as real negatives (the
first take of each person behind the references of the other 13 gestures of the
same mode; those takes are never scored as negatives). Then it scores:

* the same gesture (same mode) by people not in the reference: should pass;
* other gestures (same mode) by the reference's own people: should not pass;
* the reference people's own held-out repeats (takes not used to build it).

Per gesture and mode it prints pass / reject rates and the ROC AUC of the total
(same gesture vs other gestures), and a frame-rate check: the same takes resampled
from 30 Hz to 15, 60 and 90 Hz (positions linear, orientations normalised linear)
scored against the same reference, and a reference built from 90 Hz takes.

Splits: ``--split train`` (the 20 train subjects) is for development and every
choice of the scoring model; ``--split test`` (the 8 test subjects, default) is
the held-out measure. Sampling is deterministic (``--seed``).

Usage: python benchmarks/validity_shrec17.py DATA_DIR [--split test|train] [--seed 0]
Last line: one JSON object with auc_single, auc_panel, same_pass_panel,
other_pass_panel, self_reject_single, rate_shift_points (and more).

Data: De Smedt, Wannous, Vandeborre, Guerry, Le Saux, Filliat, "3D Hand Gesture
Recognition Using a Depth and Skeletal Dataset", Eurographics 3DOR 2017.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data_folder import absent  # noqa: E402

from vrtrainer.compare import score_take  # noqa: E402
from vrtrainer.compare.reference import build_reference  # noqa: E402
from vrtrainer.errors import VrtrainerError  # noqa: E402
from vrtrainer.takes.importers import read_shrec17  # noqa: E402
from vrtrainer.takes.take import Take

GESTURES = ("Grab", "Tap", "Expand", "Pinch", "Rotation CW", "Rotation CCW", "Swipe Right",
            "Swipe Left", "Swipe Up", "Swipe Down", "Swipe X", "Swipe V", "Swipe +", "Shake")
MODES = {1: "one finger", 2: "whole hand"}
REF_TAKES = 3
PANEL = 5
#: Single experts per gesture and mode (each its own reference).
SINGLE_EXPERTS = 2
#: Most takes per other person scored for the same gesture, and per (person, other gesture).
SAME_PER_PERSON = 2
OTHER_PER_GESTURE = 1
RATES = (15.0, 60.0, 90.0)
#: Pairs (reference, take) re-scored at each other frame rate.
RATE_PAIRS = 120
#: The reference rebuilt from 90 Hz takes for every REF90_EVERY-th gesture's panel.
REF90_EVERY = 4


def resample_take(take: Take, rate: float) -> Take:
    """The take at ``rate`` frames per second: positions linear, quaternions nlerp,
    a frame valid where both its neighbours are."""
    t0, t1 = float(take.times[0]), float(take.times[-1])
    n = int(np.floor((t1 - t0) * rate + 1e-9)) + 1
    times = t0 + np.arange(n) / rate
    k = np.clip(np.searchsorted(take.times, times, side="right") - 1, 0, take.n_frames - 2)
    span = take.times[k + 1] - take.times[k]
    u = np.clip((times - take.times[k]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    a, b = take.poses[k].astype(np.float64), take.poses[k + 1].astype(np.float64)
    uu = u[:, None, None, None]
    poses = a + (b - a) * uu
    qa, qb = a[..., 3:], b[..., 3:]
    qb = np.where((qa * qb).sum(axis=-1, keepdims=True) < 0, -qb, qb)
    q = qa + (qb - qa) * uu
    q /= np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
    poses[..., 3:] = q
    flags = take.flags[k] & take.flags[k + 1]
    active = take.active[k] & take.active[k + 1]
    out = take.slice(0, take.n_frames)
    out.times = times
    out.poses = poses.astype(take.poses.dtype)
    out.radii = take.radii[k].copy()
    out.flags = flags
    out.active = active
    if take.tools is not None and take.tools.shape[1]:
        out.tools = (take.tools[k] + (take.tools[k + 1] - take.tools[k]) * u[:, None, None]
                     ).astype(take.tools.dtype)
        out.tool_flags = take.tool_flags[k] & take.tool_flags[k + 1]
    elif take.tools is not None:
        out.tools, out.tool_flags = take.tools[k], take.tool_flags[k]
    if take.head is not None:
        out.head = take.head[k]
        out.head_flags = take.head_flags[k]
    out.meta.nominal_rate = float(rate)
    return out


def load(root: Path, split: str) -> tuple[dict, dict]:
    """Takes by (gesture, mode, subject) sorted by repetition, and each take's id."""
    listing = root / f"{split}_gestures.txt"
    if not listing.is_file():
        raise VrtrainerError(f"{listing}: missing (is {root} the unpacked SHREC'17 folder?)")
    rows = np.loadtxt(listing, dtype=np.int64, ndmin=2)
    by: dict[tuple[int, int, int], list[tuple[int, Take]]] = defaultdict(list)
    for g, f, s, e, *_ in rows:
        path = root / f"gesture_{g}/finger_{f}/subject_{s}/essai_{e}/skeletons_world.txt"
        take = read_shrec17(path)
        take.meta.performer = f"subject {s}"  # what a trainer's recording would say
        by[(int(g), int(f), int(s))].append((int(e), take))
    out = {key: [t for _, t in sorted(v, key=lambda x: x[0])] for key, v in by.items()}
    ids = {key: [f"{key[0]}/{key[1]}/{key[2]}/{e}" for e, _ in sorted(v, key=lambda x: x[0])]
           for key, v in by.items()}
    return out, ids


def auc(pos: list[float], neg: list[float]) -> float:
    """ROC AUC: probability that a random positive scores above a random negative."""
    p, n = np.asarray(pos, float), np.asarray(neg, float)
    if p.size == 0 or n.size == 0:
        return float("nan")
    greater = (p[:, None] > n[None, :]).sum() + 0.5 * (p[:, None] == n[None, :]).sum()
    return float(greater / (p.size * n.size))


def plan(takes: dict, seed: int) -> list[dict]:
    """The references to build and what each scores (deterministic)."""
    rng = np.random.default_rng(seed)
    subjects = sorted({s for _, _, s in takes})
    refs = []
    for mode in MODES:
        for g in range(1, 15):
            have = {s: len(takes.get((g, mode, s), [])) for s in subjects}
            singles = [s for s in subjects if have[s] >= REF_TAKES + 1]
            chosen = list(rng.choice(singles, size=min(SINGLE_EXPERTS, len(singles)),
                                     replace=False)) if singles else []
            for s in chosen:
                refs.append({"kind": "single", "gesture": g, "mode": mode,
                             "people": [int(s)]})
            able = [s for s in subjects if have[s] >= REF_TAKES]
            if len(able) >= PANEL:
                panel = sorted(int(s) for s in rng.choice(able, size=PANEL, replace=False))
                refs.append({"kind": "panel", "gesture": g, "mode": mode, "people": panel})
    for ref in refs:
        g, mode, people = ref["gesture"], ref["mode"], ref["people"]
        ref["build"] = [(g, mode, s, k) for s in people for k in range(REF_TAKES)]
        ref["self"] = [(g, mode, s, k) for s in people
                       for k in range(REF_TAKES, len(takes[(g, mode, s)]))]
        same = []
        for s in subjects:
            n = len(takes.get((g, mode, s), []))
            if s in people or n == 0:
                continue
            pick = rng.choice(n, size=min(SAME_PER_PERSON, n), replace=False)
            same += [(g, mode, s, int(k)) for k in sorted(pick)]
        ref["same"] = same
        other = []
        for s in people:
            for g2 in range(1, 15):
                n = len(takes.get((g2, mode, s), []))
                if g2 == g or n == 0:
                    continue
                pick = rng.choice(n, size=min(OTHER_PER_GESTURE, n), replace=False)
                other += [(g2, mode, s, int(k)) for k in sorted(pick)]
        ref["other"] = other
    return refs


def library_for(ref: dict, refs: list[dict]) -> list[tuple]:
    """The trainer's other references: the first take of each person behind the other
    gestures' references of the same kind and mode (one reference per gesture)."""
    seen = set()
    out = []
    for r in refs:
        if (r["kind"] == ref["kind"] and r["mode"] == ref["mode"]
                and r["gesture"] != ref["gesture"] and r["gesture"] not in seen):
            seen.add(r["gesture"])
            out += [k for k in r["build"] if k[3] == 0]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    root: Path = args.data_dir
    if absent(root, "shrec2017_skeleton.tar.xz"):
        return 2
    try:
        t0 = time.perf_counter()
        takes, _ = load(root, args.split)
    except VrtrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"SHREC'17 {args.split} split: {sum(len(v) for v in takes.values())} takes "
          f"imported in {time.perf_counter() - t0:.0f} s", flush=True)

    def take_of(key):
        g, mode, s, k = key
        return takes[(g, mode, s)][k]

    refs = plan(takes, args.seed)
    results = []  # (kind, gesture, mode, role, total, passed, rejected)
    rate_rows = []  # (shift, flipped) per (pair, rate)
    ref90_rows = []
    n_pairs = 0
    rng = np.random.default_rng(args.seed + 1)
    t0 = time.perf_counter()
    for r, ref in enumerate(refs):
        library = library_for(ref, refs)
        # the library's takes are calibration data: never scored as negatives
        banned = set(library)
        name = GESTURES[ref["gesture"] - 1]
        tpl = build_reference([take_of(k) for k in ref["build"]], name=name,
                              others=[take_of(k) for k in library])
        scored = []
        for role in ("same", "other", "self"):
            for key in ref[role]:
                if role == "other" and key in banned:
                    continue
                s = score_take(take_of(key), tpl)
                n_pairs += 1
                results.append((ref["kind"], ref["gesture"], ref["mode"], role, s.total,
                                s.passed, s.rejected))
                scored.append((key, s))
        # frame rates: a few pairs of every reference
        share = max(1, RATE_PAIRS // len(refs))
        for i in rng.choice(len(scored), size=min(share, len(scored)), replace=False):
            key, base = scored[int(i)]
            for rate in RATES:
                s = score_take(resample_take(take_of(key), rate), tpl)
                rate_rows.append((rate, abs(s.total - base.total), s.passed != base.passed))
                n_pairs += 1
        if ref["kind"] == "panel" and ref["same"] and ref["gesture"] % REF90_EVERY == 1:
            tpl90 = build_reference([resample_take(take_of(k), 90.0) for k in ref["build"]],
                                    name=name, others=[take_of(k) for k in library])
            for key, base in scored[:3]:
                s = score_take(take_of(key), tpl90)
                ref90_rows.append((abs(s.total - base.total), s.passed != base.passed))
                n_pairs += 1
        if (r + 1) % 10 == 0:
            print(f"  {r + 1}/{len(refs)} references, {n_pairs} scores, "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)

    def rows(kind, gesture=None, mode=None, role=None):
        return [x for x in results if x[0] == kind and (gesture is None or x[1] == gesture)
                and (mode is None or x[2] == mode) and (role is None or x[3] == role)]

    def rate(xs, col):
        return float(np.mean([x[col] for x in xs])) if xs else float("nan")

    print()
    print(f"Per gesture and mode ({args.split} split): pass / rejected rates; AUC of the "
          "total, same gesture by others vs other gestures by the reference's people")
    head = (f"{'gesture':14s} {'mode':10s} | {'kind':6s} {'same pass':>9s} {'same rej':>8s} "
            f"{'other pass':>10s} {'other rej':>9s} {'self rej':>8s} {'AUC':>5s}")
    print(head)
    print("-" * len(head))
    for mode in MODES:
        for g in range(1, 15):
            for kind in ("single", "panel"):
                same, other = rows(kind, g, mode, "same"), rows(kind, g, mode, "other")
                own = rows(kind, g, mode, "self")
                if not same:
                    continue
                print(f"{GESTURES[g - 1]:14s} {MODES[mode]:10s} | {kind:6s} "
                      f"{rate(same, 5):9.0%} {rate(same, 6):8.0%} {rate(other, 5):10.0%} "
                      f"{rate(other, 6):9.0%} "
                      f"{(f'{rate(own, 6):.0%}' if own else '-'):>8s} "
                      f"{auc([x[4] for x in same], [x[4] for x in other]):5.2f}")
    print()
    summary = {}
    for kind in ("single", "panel"):
        same, other, own = rows(kind, role="same"), rows(kind, role="other"), rows(
            kind, role="self")
        per_ref = [auc([x[4] for x in rows(kind, g, m, "same")],
                       [x[4] for x in rows(kind, g, m, "other")])
                   for m in MODES for g in range(1, 15)]
        summary[kind] = {
            "auc": auc([x[4] for x in same], [x[4] for x in other]),
            "auc_per_gesture": float(np.nanmean(per_ref)),
            "same_pass": rate(same, 5), "same_reject": rate(same, 6),
            "other_pass": rate(other, 5), "other_reject": rate(other, 6),
            "self_pass": rate(own, 5), "self_reject": rate(own, 6),
            "n": (len(same), len(other), len(own)),
        }
        v = summary[kind]
        print(f"{kind:6s}: AUC {v['auc']:.3f} pooled ({v['auc_per_gesture']:.3f} mean per "
              f"gesture); same gesture pass {v['same_pass']:.1%} (rejected "
              f"{v['same_reject']:.1%}); other gestures pass {v['other_pass']:.1%} (rejected "
              f"{v['other_reject']:.1%}); own repeats pass {v['self_pass']:.1%}, rejected "
              f"{v['self_reject']:.1%}  [{v['n'][0]} / {v['n'][1]} / {v['n'][2]} takes]")
    shifts = np.array([x[1] for x in rate_rows])
    flips = sum(x[2] for x in rate_rows)
    for rt in RATES:
        sub = [x for x in rate_rows if x[0] == rt]
        print(f"takes at {rt:g} Hz vs 30 Hz: mean |shift| {np.mean([x[1] for x in sub]):.2f} "
              f"points, max {np.max([x[1] for x in sub]):.1f}, verdicts flipped "
              f"{sum(x[2] for x in sub)} of {len(sub)}")
    if ref90_rows:
        print(f"reference from 90 Hz takes vs 30 Hz: mean |shift| "
              f"{np.mean([x[0] for x in ref90_rows]):.2f} points, verdicts flipped "
              f"{sum(x[1] for x in ref90_rows)} of {len(ref90_rows)}")
    print(f"{len(refs)} references, {n_pairs} scored pairs, "
          f"{time.perf_counter() - t0:.0f} s")
    print(json.dumps({
        "split": args.split,
        "auc_single": round(summary["single"]["auc"], 4),
        "auc_panel": round(summary["panel"]["auc"], 4),
        "same_pass_panel": round(summary["panel"]["same_pass"], 4),
        "other_pass_panel": round(summary["panel"]["other_pass"], 4),
        "self_reject_single": round(summary["single"]["self_reject"], 4),
        "rate_shift_points": round(float(shifts.mean()), 3),
        "same_pass_single": round(summary["single"]["same_pass"], 4),
        "other_pass_single": round(summary["single"]["other_pass"], 4),
        "self_reject_panel": round(summary["panel"]["self_reject"], 4),
        "rate_flips": int(flips), "rate_pairs": len(rate_rows),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
