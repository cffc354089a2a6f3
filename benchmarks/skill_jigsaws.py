"""Does vrtrainer's score order surgical performances as expert raters do? (JIGSAWS)

DATA_DIR holds ``kinematics/<Task>_<S><NNN>.csv`` and ``meta/meta_file_<Task>.txt`` (the
layout of the shared archive); every task with a meta file and kinematics is used, so any
subset of JIGSAWS tasks works. Each trial goes through vrtrainer's importer (the two
master manipulators become two tools with grippers), and, leave one subject out, is scored
with the product's own ``score_take`` against a reference that ``build_template`` makes,
with its default settings, from the trials of the OTHER subjects whose self-proclaimed
skill is expert (E). Nothing is fitted on the subject scored, and nothing is tuned here:
the reference and score are the product's, as a trainer would get them.

Printed per task: the Spearman rank correlation with the global rating score (GRS) of
the total score and of its components, next to two baselines computed in the same run:
minus the trial's duration, and plain DTW (mean distance of the centred master positions
and grippers at 10 Hz to the same references). Last line: one JSON object with
``spearman_<Task>`` (the total score) for each task, plus the baselines.

Usage: python benchmarks/skill_jigsaws.py DATA_DIR [--tasks Knot_Tying,...]

Data: Gao et al., "JHU-ISI Gesture and Skill Assessment Working Set (JIGSAWS)", MICCAI
M2CAI workshop 2014 (research use; see the datasets README).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from vrtrainer.compare import build_template, dtw_distance, score_take
from vrtrainer.errors import VrtrainerError
from vrtrainer.takes.importers import JigsawsRating, read_jigsaws, read_jigsaws_meta
from vrtrainer.takes.take import Take

#: Published anchors (datasets README): GRS regression on surgeons unseen in training.
PUBLISHED = "trained models 0.45-0.68 (leave one user out; ReCAP, arXiv 2407.05180)"
#: Score components whose correlation is shown beside the total.
COMPONENTS = ("shape", "timing", "economy", "steadiness", "coverage")
META = re.compile(r"meta_file_([A-Za-z_]+)\.txt")


def discover(data: Path) -> dict[str, tuple[dict[str, JigsawsRating], dict[str, Path]]]:
    """Tasks in ``data``: ratings and kinematics files of the rated trials, by task."""
    tasks = {}
    for meta in sorted((data / "meta").glob("meta_file_*.txt")):
        m = META.fullmatch(meta.name)
        if not m:
            continue
        ratings = read_jigsaws_meta(meta)
        files = {t: data / "kinematics" / f"{t}.csv" for t in ratings}
        files = {t: f for t, f in files.items() if f.is_file()}
        if files:
            tasks[m.group(1)] = (ratings, files)
    return tasks


def plain_dtw_series(take: Take, step: int = 3) -> np.ndarray:
    """Centred master positions (m) and grippers (rad) at 30/step Hz: the README's DTW."""
    pos = take.tools[::step, :, :3].astype(np.float64)
    pos = pos - pos.mean(axis=0)
    grip = take.tool_grippers[::step].astype(np.float64)
    return np.concatenate([pos.reshape(len(pos), -1), grip], axis=1)


def evaluate(task: str, ratings: dict[str, JigsawsRating], files: dict[str, Path],
             log=print) -> dict:
    """Leave-one-subject-out scores of every rated trial of ``task``."""
    takes = {t: read_jigsaws(f) for t, f in files.items()}
    subjects = sorted({ratings[t].subject for t in takes})
    rows = []
    for s in subjects:
        refs = [t for t in takes if ratings[t].skill == "E" and ratings[t].subject != s]
        scored = [t for t in takes if ratings[t].subject == s]
        if not refs:
            log(f"  {task}: no expert trial outside subject {s}; its trials are not scored")
            continue
        t0 = time.perf_counter()
        tpl = build_template([takes[t] for t in refs], name=task, names=refs)
        ref_series = [plain_dtw_series(takes[t]) for t in refs]
        for t in scored:
            sc = score_take(takes[t], tpl)
            series = plain_dtw_series(takes[t])
            dtw = float(np.mean([dtw_distance(series, r) for r in ref_series]))
            rows.append({"trial": t, "subject": s, "skill": ratings[t].skill,
                         "grs": ratings[t].grs, "duration": takes[t].duration,
                         "total": sc.total, **{c: getattr(sc, c) for c in COMPONENTS},
                         "tempo": sc.tempo, "dtw": dtw, "details": sc.details,
                         "hesitations": len(sc.hesitations)})
        log(f"  {task}: subject {s}: {len(scored)} trials against {len(refs)} expert trials "
            f"({time.perf_counter() - t0:.0f} s)")
    return {"task": task, "rows": rows, "subjects": subjects}


def rho(x, y) -> float:
    """Spearman's rank correlation (NaN when undefined)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def summary(result: dict) -> dict[str, float]:
    rows = result["rows"]
    grs = [r["grs"] for r in rows]
    out = {"n": len(rows), "total": rho([r["total"] for r in rows], grs),
           "duration": rho([-r["duration"] for r in rows], grs),
           "dtw": rho([-r["dtw"] for r in rows], grs)}
    for c in COMPONENTS:
        out[c] = rho([r[c] for r in rows], grs)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="folder with kinematics/ and meta/")
    ap.add_argument("--tasks", default="", help="comma-separated subset (default: all found)")
    ap.add_argument("--trials", action="store_true", help="also print every trial's scores")
    ap.add_argument("--dump", type=Path, help="write every trial's scores to this JSON file")
    args = ap.parse_args(argv)
    if not (args.data / "meta").is_dir() or not (args.data / "kinematics").is_dir():
        print(f"error: {args.data} has no meta/ and kinematics/ folders (JIGSAWS layout)",
              file=sys.stderr)
        return 2
    try:
        tasks = discover(args.data)
    except VrtrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.tasks:
        tasks = {t: v for t, v in tasks.items() if t in args.tasks.split(",")}
    if not tasks:
        print(f"error: no task with both a meta file and kinematics in {args.data}",
              file=sys.stderr)
        return 2
    print(f"JIGSAWS skill ordering, leave one subject out; tasks: {', '.join(tasks)}")
    results = {}
    for task, (ratings, files) in tasks.items():
        try:
            results[task] = evaluate(task, ratings, files)
        except VrtrainerError as exc:
            print(f"error: {task}: {exc}", file=sys.stderr)
            return 2
    print()
    print("Spearman rank correlation with GRS (higher is better)")
    head = (f"{'task':<16} {'trials':>6} {'vrtrainer':>9} {'duration':>9} {'plainDTW':>9}  "
            + " ".join(f"{c:>10}" for c in COMPONENTS) + "  total/duration")
    print(head)
    print("-" * len(head))
    figures: dict[str, float | None] = {}
    for task, res in results.items():
        s = summary(res)
        ratio = s["total"] / s["duration"] if s["duration"] else float("nan")
        print(f"{task:<16} {s['n']:>6} {s['total']:>9.3f} {s['duration']:>9.3f} "
              f"{s['dtw']:>9.3f}  " + " ".join(f"{s[c]:>10.3f}" for c in COMPONENTS)
              + f"  {ratio:>14.2f}")
        if args.trials:
            for r in res["rows"]:
                print(f"    {r['trial']:<22} {r['skill']} GRS {r['grs']:>2}  "
                      f"{r['duration']:6.1f} s  total {r['total']:5.1f}  shape {r['shape']:5.1f}"
                      f"  timing {r['timing']:5.1f}  steady {r['steadiness']:5.1f}  "
                      f"tempo {r['tempo']:.2f}")
        clean = {k: (None if not np.isfinite(v) else round(v, 4)) for k, v in s.items()
                 if k != "n"}
        figures[f"spearman_{task}"] = clean["total"]
        figures[f"duration_{task}"] = clean["duration"]
        figures[f"plain_dtw_{task}"] = clean["dtw"]
    if args.dump:
        args.dump.write_text(json.dumps({t: r["rows"] for t, r in results.items()}, default=str))
    print(f"published anchors: {PUBLISHED}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
