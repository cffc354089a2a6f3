"""Comparator speed against dtaidistance's C DTW, measured side by side in one run.

Cases: DTW distance and DTW with warping path on 78-channel sequences of 900
and 2000 frames, without a band and with a 10 % Sakoe-Chiba band, against
``dtaidistance.dtw_ndim`` with its C library (``use_c=True``); both must give
identical distances (1e-9 relative) and identical paths. Also: many-vs-many
distances (SHREC-sized sequences) against dtaidistance's parallel C matrix,
the live aligner's step against a 900-frame reference (the frame's feature
extraction included), and the numba compile time cold (empty cache) and warm
(cached) from import to the first score.

Masked cases (900 frames, 78 channels, no band): 10 % of values invalid at
random, and whole joints (3 channels) invalid for runs of 5-60 frames as
trackers report them; our masked time against our time on the same data
unmasked (``masked_ratio``, the worst of the two), against the same masked
computation done the plain way (numpy cost matrix, plain DP; results checked
equal), and against dtaidistance on the unmasked data as the floor (it has no
masks).

Worst frame: a paced headless session of three attempts (benchmarks/
session_speed.py, not rendered), attempts finished on the worker thread: the
loop's worst frame of its own work, ``worst_frame_ms`` (wall).

Prints a table, then as its last line one JSON object: each case's speed-up
(dtaidistance time / ours), ``online_step_us``, ``cold_compile_s``,
``warm_first_score_s``, ``masked_ratio`` and ``worst_frame_ms``.

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


def joint_runs(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    """A validity mask (n, c) with whole joints (3 channels) lost for runs of frames."""
    mask = np.ones((n, c), bool)
    for _ in range(n // 30):
        j = int(rng.integers(c // 3))
        start = int(rng.integers(n))
        mask[start:start + int(rng.integers(5, 60)), 3 * j:3 * j + 3] = False
    return mask


def plain_masked_dtw(x, y, xm, ym) -> float:
    """The masked DTW distance the plain way: numpy cost matrix, row-by-row DP."""
    n, m = x.shape[0], y.shape[0]
    wtot = float(x.shape[1])
    xz, yz = np.where(xm, x, 0.0), np.where(ym, y, 0.0)
    cost = np.empty((n, m))
    for i0 in range(0, n, 64):
        both = xm[i0:i0 + 64, None, :] & ym[None, :, :]
        d = (xz[i0:i0 + 64, None, :] - yz[None, :, :]) ** 2
        num = np.where(both, d, 0.0).sum(-1)
        den = both.sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cost[i0:i0 + 64] = np.where(den == 0, 0.0,
                                        np.where(den == wtot, num, num * (wtot / den)))
    prev = np.full(m + 1, np.inf)
    prev[0] = 0.0
    for i in range(n):
        diag_up = np.minimum(prev[:-1], prev[1:]) + cost[i]
        cur = np.empty(m + 1)
        cur[0] = np.inf
        left = np.inf
        for j in range(m):  # the left neighbour makes the row serial
            left = min(diag_up[j], left + cost[i, j])
            cur[j + 1] = left
        prev = cur
        prev[0] = np.inf
    return float(np.sqrt(prev[m]))


def masked_cases(repeat: int, clock=time.perf_counter) -> list[dict]:
    """Masked DTW distances against the same data unmasked, the plain computation and
    dtaidistance's C on the unmasked data."""
    from dtaidistance import dtw_ndim

    from vrtrainer.compare import dtw_distance

    rng = np.random.default_rng(17)
    n = 900
    x, y = walk(rng, n, 78), walk(rng, n, 78)
    cells = n * n
    rows = []
    for kind, xm, ym in (("scattered10", rng.random(x.shape) >= 0.1,
                          rng.random(y.shape) >= 0.1),
                         ("joint_runs", joint_runs(rng, n, 78), joint_runs(rng, n, 78))):
        ours_d = dtw_distance(x, y, x_mask=xm, y_mask=ym)
        t = clock()
        plain_d = plain_masked_dtw(x, y, xm, ym)
        plain_s = clock() - t
        if abs(ours_d - plain_d) > 1e-9 * plain_d:
            raise SystemExit(f"masked distance differs from the plain computation ({kind}): "
                             f"{ours_d} vs {plain_d}")
        t_m, t_u, t_ref = [], [], []
        calls = ((t_m, lambda xm=xm, ym=ym: dtw_distance(x, y, x_mask=xm, y_mask=ym)),
                 (t_u, lambda: dtw_distance(x, y)),
                 (t_ref, lambda: dtw_ndim.distance(x, y, use_c=True)))
        for _ in range(repeat):
            for times, call in calls:
                times.append(best_of(call, 1, clock))
        a, u, b = min(t_m), min(t_u), min(t_ref)
        rows.append({"case": f"dtw_masked_{kind}_{n}", "ours_ms": 1e3 * a, "unmasked_ms": 1e3 * u,
                     "plain_ms": 1e3 * plain_s, "dtai_ms": 1e3 * b,
                     "ours_ns_cell": 1e9 * a / cells, "unmasked_ns_cell": 1e9 * u / cells,
                     "dtai_ns_cell": 1e9 * b / cells, "masked_ratio": a / u,
                     "vs_plain": plain_s / a, "ratio": b / a,
                     "invalid_share": float(1 - (xm.mean() + ym.mean()) / 2)})
    return rows


def worst_frame() -> dict:
    """The loop's worst frame over a paced headless session of three attempts."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from session_speed import attempt_ends

    return attempt_ends("pinch", ["slow=1.3"], None, inline=False, retries=2)


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


def online_step(clock=time.perf_counter, repeat: int = 1) -> tuple[float, int, int]:
    """Microseconds per live step against a 900-frame reference (pinch tiled), the
    frame's feature extraction included, with the reference's frame and live channel
    counts; the best of ``repeat`` passes over the
    attempt, as the other cases keep their best run."""
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
    best = float("inf")
    for _ in range(repeat):
        aligner.reset()
        t = clock()
        for i, f in enumerate(frames):
            frame.copy_from(f)
            frame.time = i / 90.0
            aligner.step(frame)
        best = min(best, clock() - t)
    return 1e6 * best / len(frames), base.n_frames, aligner.values.shape[1]


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
    step_us, ref_frames, live_channels = online_step(CLOCKS[args.clock], args.repeat)
    rows = dtw_cases(args.repeat, CLOCKS[args.clock])
    rows.append(matrix_case(args.repeat))
    masked = masked_cases(args.repeat, CLOCKS[args.clock])
    frames = worst_frame()
    import dtaidistance
    print(f"{'case':26s} {'ours ms':>9s} {'dtai ms':>9s} {'ours ns/cell':>13s} "
          f"{'dtai ns/cell':>13s} {'speed-up':>9s}")
    for r in rows:
        print(f"{r['case']:26s} {r['ours_ms']:9.2f} {r['dtai_ms']:9.2f} "
              f"{r['ours_ns_cell']:13.2f} {r['dtai_ns_cell']:13.2f} {r['ratio']:8.2f}x")
    print(f"(distances equal to 1e-9 relative and paths identical in every case; "
          f"dtaidistance {dtaidistance.__version__} C library, use_c=True; matrix: "
          "dtaidistance parallel C; "
          f"DTW cases timed in {args.clock} time; load average "
          f"{os.getloadavg()[0]:.1f})")
    print(f"\n{'masked case':28s} {'ours ms':>8s} {'unmasked':>9s} {'plain ms':>9s} "
          f"{'dtai ms':>8s} {'ns/cell':>8s} {'unm ns/c':>8s} {'dtai ns/c':>9s} "
          f"{'masked/unm':>10s} {'vs plain':>9s} {'vs dtai':>8s}")
    for r in masked:
        print(f"{r['case']:28s} {r['ours_ms']:8.2f} {r['unmasked_ms']:9.2f} "
              f"{r['plain_ms']:9.1f} {r['dtai_ms']:8.2f} {r['ours_ns_cell']:8.2f} "
              f"{r['unmasked_ns_cell']:8.2f} {r['dtai_ns_cell']:9.2f} "
              f"{r['masked_ratio']:9.2f}x {r['vs_plain']:8.1f}x {r['ratio']:7.2f}x")
    print("(masked distances equal the plain computation to 1e-9 relative; dtaidistance "
          "on the same data unmasked, the floor)")
    print(f"online step vs {ref_frames}-frame reference, {live_channels} live channels: "
          f"{step_us:.1f} us per frame (feature extraction included; {args.clock} time)")
    print(f"worst frame of the loop's own work, paced headless session of "
          f"{frames['attempts']} attempts finished on the worker: {frames['work_ms_max']:.2f} ms "
          f"wall (p99.9 {frames['work_ms_p999']:.2f}), {frames['cpu_ms_max']:.2f} ms loop "
          f"thread CPU; while attempts were finished: {frames['end_work_ms_max']:.2f} ms")
    print(f"numba cold compile, import to first score: {cold:.2f} s; cached: {warm:.2f} s")
    result = {r["case"]: round(r["ratio"], 2) for r in rows}
    result.update({"online_step_us": round(step_us, 1), "cold_compile_s": round(cold, 2),
                   "warm_first_score_s": round(warm, 2),
                   "masked_ratio": round(max(r["masked_ratio"] for r in masked), 2),
                   "worst_frame_ms": round(frames["work_ms_max"], 2)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
