"""Comparator speed against dtaidistance's C DTW, measured side by side in one run.

Cases: DTW distance and DTW with warping path on 78-channel sequences of 900
and 2000 frames, without a band and with a 10 % Sakoe-Chiba band, against
``dtaidistance.dtw_ndim`` with its C library (``use_c=True``); both must give
identical distances (1e-9 relative) and identical paths. Also: many-vs-many
distances (SHREC-sized sequences) against dtaidistance's parallel C matrix,
the live aligner's step against a 900-frame reference, and the numba compile
time cold (empty cache) and warm (cached) from import to the first score.

Prints a table, then as its last line one JSON object: each case's speed-up
(dtaidistance time / ours), ``online_step_us``, ``cold_compile_s`` and
``warm_first_score_s``.

Run: ``python benchmarks/compare_speed.py [--repeat N] [--clock wall|cpu]``. With
``--clock cpu`` the single-threaded DTW cases are timed in the calling thread's CPU
time (both sides run on one thread: ours with BLAS limited to one), which a
shared, overloaded machine disturbs far less than wall time; the many-vs-many
case (both sides parallel) is always timed in wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def best_of(fn, repeat: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def walk(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    """A smooth random walk (n, c): more like motion than white noise."""
    return np.cumsum(rng.standard_normal((n, c)), axis=0) * 0.1


def dtw_cases(repeat: int, clock=time.perf_counter) -> list[dict]:
    from dtaidistance import dtw_ndim

    from vrtrainer.compare import dtw_distance, dtw_path

    rng = np.random.default_rng(2024)
    rows = []
    for n in (900, 2000):
        x, y = walk(rng, n, 78), walk(rng, n, 78)
        for band in ("full", "band10"):
            window = None if band == "full" else n // 10
            kw = {} if window is None else {"window": window}
            ours_d = dtw_distance(x, y, window=window)
            ref_d = dtw_ndim.distance(x, y, use_c=True, **kw)
            ours_p = dtw_path(x, y, window=window)
            ref_path, ref_pd = dtw_ndim.warping_path(x, y, use_c=True, include_distance=True,
                                                    **kw)
            same = (abs(ours_d - ref_d) <= 1e-9 * ref_d and abs(ours_p[0] - ref_pd) <= 1e-9
                    * ref_pd and np.array_equal(ours_p[1], np.array(ref_path)))
            if not same:
                raise SystemExit(f"results differ from dtaidistance for n={n} {band}: "
                                 f"{ours_d} vs {ref_d}, paths equal: "
                                 f"{np.array_equal(ours_p[1], np.array(ref_path))}")
            t_ours, t_ref, tp_ours, tp_ref = [], [], [], []
            calls = (
                (t_ours, lambda x=x, y=y, w=window: dtw_distance(x, y, window=w)),
                (t_ref, lambda x=x, y=y, kw=kw: dtw_ndim.distance(x, y, use_c=True, **kw)),
                (tp_ours, lambda x=x, y=y, w=window: dtw_path(x, y, window=w)),
                (tp_ref, lambda x=x, y=y, kw=kw: dtw_ndim.warping_path(x, y, use_c=True, **kw)),
            )
            for _ in range(repeat):  # interleaved so load on the machine hits both alike
                for times, call in calls:
                    times.append(best_of(call, 1, clock))
            cells = n * n if window is None else sum(
                min(n, i + window) - max(0, i - window + 1) for i in range(n))
            for kind, a, b in (("distance", t_ours, t_ref), ("path", tp_ours, tp_ref)):
                rows.append({"case": f"dtw_{kind}_{n}_{band}", "ours_ms": 1e3 * min(a),
                             "dtai_ms": 1e3 * min(b), "ours_ns_cell": 1e9 * min(a) / cells,
                             "dtai_ns_cell": 1e9 * min(b) / cells,
                             "ratio": min(b) / min(a)})
    return rows


def matrix_case(repeat: int) -> dict:
    from dtaidistance import dtw_ndim

    from vrtrainer.compare import dtw_matrix

    rng = np.random.default_rng(7)
    seqs = [walk(rng, int(n), 66) for n in rng.integers(30, 90, 60)]
    ours = dtw_matrix(seqs)
    ref = dtw_ndim.distance_matrix_fast(seqs, parallel=True)
    iu = np.triu_indices(len(seqs), 1)
    if not np.allclose(ours[iu], ref[iu], rtol=1e-9):
        raise SystemExit("many-vs-many distances differ from dtaidistance")
    a, b = [], []
    for _ in range(repeat):
        a.append(best_of(lambda: dtw_matrix(seqs), 1))
        b.append(best_of(lambda: dtw_ndim.distance_matrix_fast(seqs, parallel=True), 1))
    pairs = len(iu[0])
    return {"case": "dtw_matrix_60x66ch", "ours_ms": 1e3 * min(a), "dtai_ms": 1e3 * min(b),
            "ours_ns_cell": float("nan"), "dtai_ns_cell": float("nan"),
            "ratio": min(b) / min(a), "us_per_pair": 1e6 * min(a) / pairs}


def online_step() -> tuple[float, int]:
    """Microseconds per live step against a 900-frame reference (pinch tiled)."""
    from vrtrainer.compare import LiveAligner, build_template
    from vrtrainer.hands import sim
    from vrtrainer.hands.hand import HandFrame

    base = build_template([sim.simulate("pinch", seed=s) for s in (1, 2, 3)], name="pinch")
    reps = -(-900 // base.n_frames)
    base.values = np.tile(base.values, (reps, 1))[:900]
    base.mask = np.tile(base.mask, (reps, 1))[:900]
    base.tolerance = np.tile(base.tolerance, (reps, 1))[:900]
    base.times = np.arange(900) / 90.0
    take = sim.simulate("pinch", role="trainee", seed=20)
    frames = [take.frame(i) for i in range(take.n_frames)] * 3
    aligner = LiveAligner(base)
    for f in frames[:50]:
        aligner.step(f)
    aligner.reset()
    frame = HandFrame()
    t = time.perf_counter()
    for i, f in enumerate(frames):
        frame.copy_from(f)
        frame.time = i / 90.0
        aligner.step(frame)
    return 1e6 * (time.perf_counter() - t) / len(frames), base.n_frames


FIRST_SCORE = """
import sys, time
t = time.perf_counter()
sys.path.insert(0, {root!r})
from vrtrainer.compare import load_template, score_take
from vrtrainer.takes.take import load_take
s = score_take(load_take({take!r}), load_template({ref!r}))
print(time.perf_counter() - t)
"""


def compile_times() -> tuple[float, float]:
    """Seconds from import to the first score with an empty numba cache, then cached
    (best of three runs: the machine is shared)."""
    from vrtrainer.compare import build_template, save_template
    from vrtrainer.hands import sim
    from vrtrainer.takes.take import save_take

    with tempfile.TemporaryDirectory() as tmp:
        ref = save_template(build_template([sim.simulate("pinch", seed=s) for s in (1, 2)],
                                           name="pinch"), Path(tmp) / "pinch.vrref")
        take = save_take(sim.simulate("pinch", role="trainee", seed=5), Path(tmp) / "t.vrtake")
        code = FIRST_SCORE.format(root=str(ROOT), take=str(take), ref=str(ref))
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "cache")}
        out = []
        for _ in range(4):  # the first fills the cache; the best of the others is warm
            run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, check=True)
            out.append(float(run.stdout.strip().splitlines()[-1]))
        return out[0], min(out[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case (best kept)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="time single-threaded DTW cases in wall time or thread CPU time")
    args = parser.parse_args()
    try:
        import dtaidistance.dtw_cc  # noqa: F401
    except ImportError:
        raise SystemExit("dtaidistance's C library (dtaidistance.dtw_cc) is not importable: "
                         "the comparison would be against Python; install dtaidistance wheels"
                         ) from None
    cold, warm = compile_times()
    # the live step first: numba's worker threads keep spinning for a while after
    # a parallel region, which on two cores would slow a single-threaded step
    step_us, ref_frames = online_step()
    rows = dtw_cases(args.repeat, CLOCKS[args.clock])
    rows.append(matrix_case(args.repeat))
    print(f"{'case':26s} {'ours ms':>9s} {'dtai ms':>9s} {'ours ns/cell':>13s} "
          f"{'dtai ns/cell':>13s} {'speed-up':>9s}")
    for r in rows:
        print(f"{r['case']:26s} {r['ours_ms']:9.2f} {r['dtai_ms']:9.2f} "
              f"{r['ours_ns_cell']:13.2f} {r['dtai_ns_cell']:13.2f} {r['ratio']:8.2f}x")
    print("(distances equal to 1e-9 relative and paths identical in every case; "
          "dtaidistance C library, use_c=True; matrix: dtaidistance parallel C; "
          f"DTW cases timed in {args.clock} time; load average "
          f"{os.getloadavg()[0]:.1f})")
    print(f"online step vs {ref_frames}-frame reference: {step_us:.1f} us per frame")
    print(f"numba cold compile, import to first score: {cold:.2f} s; cached: {warm:.2f} s")
    result = {r["case"]: round(r["ratio"], 2) for r in rows}
    result.update({"online_step_us": round(step_us, 1), "cold_compile_s": round(cold, 2),
                   "warm_first_score_s": round(warm, 2)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
