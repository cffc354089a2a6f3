"""Offline DTW kernels against the plain-numpy oracle, and DTW's properties."""

from __future__ import annotations

import compare_oracle as oracle
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vrtrainer.compare.dtw import derivative_estimate, dtw_distance, dtw_matrix, dtw_path
from vrtrainer.errors import VrtrainerError


def _seq(rng, n, c, masked=0.0):
    x = rng.standard_normal((n, c)) * rng.uniform(0.1, 3.0, c) + rng.uniform(-5, 5, c)
    m = rng.random((n, c)) >= masked
    return x, m


@pytest.mark.parametrize("window", [None, 1, 3, 9])
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (13, 13), (70, 45), (45, 71)])
def test_distance_and_path_equal_the_oracle(shape, window):
    # a fixed seed per case (hash() of a tuple holding None changes per process on 3.11)
    rng = np.random.default_rng([shape[0], shape[1], window or 0])
    x, _ = _seq(rng, shape[0], 5)
    y, _ = _seq(rng, shape[1], 5)
    d, path = dtw_path(x, y, window=window)
    want_d, want_path = oracle.dtw(x, y, window=window)
    assert d == pytest.approx(want_d, rel=1e-9, abs=1e-12)
    assert dtw_distance(x, y, window=window) == pytest.approx(want_d, rel=1e-9, abs=1e-12)
    np.testing.assert_array_equal(path, want_path)


def test_masks_and_weights_equal_the_oracle():
    rng = np.random.default_rng(1)
    x, xm = _seq(rng, 60, 6, masked=0.2)
    y, ym = _seq(rng, 50, 6, masked=0.2)
    xm[10:14] = False  # whole frames lost
    w = np.array([1.0, 0.5, 2.0, 0.0, 3.0, 1.0])
    d, path = dtw_path(x, y, x_mask=xm, y_mask=ym, weights=w, window=15)
    want_d, want_path = oracle.dtw(x, y, xm, ym, w, window=15)
    assert d == pytest.approx(want_d, rel=1e-9)
    np.testing.assert_array_equal(path, want_path)


def _joint_runs(rng, n, joints):
    """Whole joints (3 channels) invalid for runs of frames, as trackers report them."""
    m = np.ones((n, 3 * joints), bool)
    for _ in range(n // 8):
        j, start = rng.integers(joints), rng.integers(n)
        m[start:start + rng.integers(2, 12), 3 * j:3 * j + 3] = False
    return m


@pytest.mark.parametrize("kind", ["scattered", "joint runs", "one frame", "frames lost"])
@pytest.mark.parametrize("window", [None, 7])
def test_tracker_like_masks_equal_the_oracle(kind, window):
    """Many partly masked frames take the sparse corrections, a few the exact cells:
    both equal the definition, distance and path."""
    rng = np.random.default_rng(17 + len(kind) + (window or 0))
    x, xm = _seq(rng, 70, 12, masked=0.1 if kind == "scattered" else 0.0)
    y, ym = _seq(rng, 61, 12, masked=0.1 if kind == "scattered" else 0.0)
    if kind == "joint runs":
        xm, ym = _joint_runs(rng, 70, 4), _joint_runs(rng, 61, 4)
    elif kind == "one frame":
        xm[20, 4] = False  # below the share that switches to the corrections
    elif kind == "frames lost":
        xm[30:40] = False
        ym[5:9] = False
        ym[40, :6] = False
    w = rng.uniform(0.2, 3.0, 12)
    w[7] = 0.0
    d, path = dtw_path(x, y, x_mask=xm, y_mask=ym, weights=w, window=window)
    want_d, want_path = oracle.dtw(x, y, xm, ym, w, window=window)
    assert d == pytest.approx(want_d, rel=1e-9)
    np.testing.assert_array_equal(path, want_path)
    assert dtw_distance(x, y, x_mask=xm, y_mask=ym, weights=w, window=window) == \
        pytest.approx(want_d, rel=1e-9)


@pytest.mark.parametrize("window", [None, 20])
def test_runs_of_lost_joints_across_row_blocks_equal_the_oracle(window):
    """Rows lacking the same joints share their corrections, y's runs their lost squares:
    runs that straddle a block of rows, the band's edges and a whole lost frame still
    give the definition's distance and path."""
    rng = np.random.default_rng(29)
    x, _ = _seq(rng, 170, 9)
    y, _ = _seq(rng, 150, 9)
    xm = np.ones(x.shape, bool)
    ym = np.ones(y.shape, bool)
    xm[40:100, 3:6] = False  # across the first block's end (64 rows)
    xm[90:130, 6:9] = False
    xm[131] = False
    ym[10:60, 0:3] = False
    ym[55:120, 3:6] = False
    d, path = dtw_path(x, y, x_mask=xm, y_mask=ym, window=window)
    want_d, want_path = oracle.dtw(x, y, xm, ym, window=window)
    assert d == pytest.approx(want_d, rel=1e-9)
    np.testing.assert_array_equal(path, want_path)


def test_run_starts_group_frames_lacking_the_same_channels():
    from vrtrainer.compare.dtw import _run_starts

    lists = [[], [], [3], [3], [3, 4], [], [3]]
    ptr = np.cumsum([0] + [len(v) for v in lists]).astype(np.int64)
    idx = np.array([k for v in lists for k in v], np.int64)
    starts, run = _run_starts(ptr, idx)
    np.testing.assert_array_equal(starts, [0, 2, 4, 5, 6, 7])
    np.testing.assert_array_equal(run, [0, 0, 1, 1, 2, 3, 4])


def test_masked_values_are_never_read():
    rng = np.random.default_rng(2)
    x, xm = _seq(rng, 30, 4, masked=0.3)
    y, ym = _seq(rng, 30, 4, masked=0.3)
    garbage = x.copy()
    garbage[~xm] = rng.uniform(-1e6, 1e6, (~xm).sum())
    a = dtw_distance(x, y, x_mask=xm, y_mask=ym)
    assert dtw_distance(garbage, y, x_mask=xm, y_mask=ym) == pytest.approx(a, rel=1e-12)
    nan = x.copy()
    nan[~xm] = np.nan  # NaN counts as invalid on its own
    assert dtw_distance(nan, y, y_mask=ym) == pytest.approx(a, rel=1e-12)


def test_exact_ties_follow_the_documented_order():
    # small integers: every cost is exact, so ties are real ties
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 3, (25, 2)).astype(float)
        y = rng.integers(0, 3, (22, 2)).astype(float)
        d, path = dtw_path(x, y)
        want_d, want_path = oracle.dtw(x, y)
        assert d == want_d
        np.testing.assert_array_equal(path, want_path)


def test_derivative_dtw_equals_the_oracle():
    rng = np.random.default_rng(4)
    x, xm = _seq(rng, 40, 3, masked=0.1)
    y, ym = _seq(rng, 33, 3, masked=0.1)
    dx, dxm = oracle.derivative(x, xm)
    got_dx, got_dxm = derivative_estimate(x, xm)
    np.testing.assert_allclose(got_dx[got_dxm], dx[dxm])
    np.testing.assert_array_equal(got_dxm, dxm)
    dy, dym = oracle.derivative(y, ym)
    want, _ = oracle.dtw(dx, dy, dxm, dym)
    got = dtw_distance(x, y, x_mask=xm, y_mask=ym, derivative=True)
    assert got == pytest.approx(want, rel=1e-9)


def test_many_vs_many_equals_pairwise():
    rng = np.random.default_rng(5)
    xs = [_seq(rng, int(n), 4)[0] for n in rng.integers(5, 40, 6)]
    ys = [_seq(rng, int(n), 4)[0] for n in rng.integers(5, 40, 3)]
    got = dtw_matrix(xs, ys, window=8)
    for a, x in enumerate(xs):
        for b, y in enumerate(ys):
            assert got[a, b] == pytest.approx(oracle.dtw(x, y, window=8)[0], rel=1e-9)
    sym = dtw_matrix(xs)
    np.testing.assert_allclose(sym, sym.T)
    assert np.all(np.diag(sym) == 0)
    assert sym[0, 1] == pytest.approx(oracle.dtw(xs[0], xs[1])[0], rel=1e-9)
    der = dtw_matrix(xs[:2], ys[:1], derivative=True)
    assert der[1, 0] == pytest.approx(dtw_distance(xs[1], ys[0], derivative=True), rel=1e-12)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_many_vs_many_on_threads_equals_the_oracle(monkeypatch, threads):
    """Enough pairs for the chunks to be spread over worker threads, masked too."""
    from vrtrainer.compare import dtw as dtw_module

    monkeypatch.setattr(dtw_module, "_threads", lambda: threads)
    rng = np.random.default_rng(11)
    seqs = [_seq(rng, int(n), 5, masked=0.15) for n in rng.integers(3, 25, 14)]
    xs = [s[0] for s in seqs]
    masks = [s[1] for s in seqs]
    ys = xs[:5]
    got = dtw_matrix(xs, x_masks=masks, window=6)
    rect = dtw_matrix(xs, ys, x_masks=masks, y_masks=masks[:5])
    for a in range(len(xs)):
        for b in range(len(xs)):
            want = oracle.dtw(xs[a], xs[b], masks[a], masks[b], window=6)[0] if a != b else 0.0
            assert got[a, b] == pytest.approx(want, rel=1e-9, abs=1e-12)
        for b in range(len(ys)):
            want = oracle.dtw(xs[a], ys[b], masks[a], masks[b])[0]
            assert rect[a, b] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_many_vs_many_with_long_sequences_equals_the_oracle():
    """x sequences longer than a row block, y sequences too long for one product to
    hold more than one or two of them, one x sequence against many: every pair's
    product and DP still line up with the oracle."""
    rng = np.random.default_rng(23)
    xs = [_seq(rng, n, 4, masked=m) for n, m in ((90, 0.0), (71, 0.1))]
    ys = [_seq(rng, n, 4, masked=m) for n, m in ((150, 0.0), (230, 0.05), (140, 0.0),
                                                    (305, 0.0), (60, 0.2))]
    for window in (None, 40):
        got = dtw_matrix([x for x, _ in xs], [y for y, _ in ys], x_masks=[m for _, m in xs],
                         y_masks=[m for _, m in ys], window=window)
        one = dtw_matrix([xs[1][0]], [y for y, _ in ys], x_masks=[xs[1][1]],
                         y_masks=[m for _, m in ys], window=window)
        for a, (x, xm) in enumerate(xs):
            for b, (y, ym) in enumerate(ys):
                want = oracle.dtw(x, y, xm, ym, window=window)[0]
                assert got[a, b] == pytest.approx(want, rel=1e-9)
                if a == 1:
                    assert one[0, b] == pytest.approx(got[a, b], rel=1e-9)


def test_bad_input_is_refused():
    x = np.zeros((5, 3))
    with pytest.raises(VrtrainerError, match="channel counts"):
        dtw_distance(x, np.zeros((5, 4)))
    with pytest.raises(VrtrainerError, match="non-empty"):
        dtw_distance(np.zeros((0, 3)), x)
    with pytest.raises(VrtrainerError, match="weights"):
        dtw_distance(x, x, weights=[1, -1, 1])
    with pytest.raises(VrtrainerError, match="window"):
        dtw_distance(x, x, window=0)
    with pytest.raises(VrtrainerError, match="mask shape"):
        dtw_distance(x, x, x_mask=np.ones((5, 2), bool))


seqs = st.integers(1, 30).flatmap(
    lambda n: st.lists(
        st.lists(st.floats(-100, 100, allow_nan=False), min_size=3, max_size=3),
        min_size=n, max_size=n,
    )
)


@settings(max_examples=60, deadline=None)
@given(seqs, seqs, st.one_of(st.none(), st.integers(1, 10)))
def test_dtw_is_symmetric(a, b, window):
    x, y = np.array(a), np.array(b)
    d1, p1 = dtw_path(x, y, window=window)
    d2 = dtw_distance(y, x, window=window)
    assert d1 == pytest.approx(d2, rel=1e-9, abs=1e-9)
    assert d1 == pytest.approx(oracle.dtw(x, y, window=window)[0], rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(seqs, st.one_of(st.none(), st.integers(1, 10)))
def test_identity_has_distance_zero_and_diagonal_path(a, window):
    x = np.array(a)
    d, path = dtw_path(x, x, window=window)
    assert d == 0.0
    np.testing.assert_array_equal(path, np.stack([np.arange(len(x))] * 2, axis=1))


@pytest.mark.parametrize("window", [None, 4, 30, 200])
def test_blocks_stripes_and_masks_inside_the_band_equal_the_oracle(window):
    # 150 rows: several BLAS blocks of 16 to 64 rows (narrow and wide bands),
    # four-row wavefronts and two rows left over; masked channels and lost
    # frames inside the band, columns of zero weight
    rng = np.random.default_rng(window or 0)
    x, xm = _seq(rng, 150, 7, masked=0.1)
    y, ym = _seq(rng, 131, 7, masked=0.1)
    xm[40:47] = False
    ym[60:63, :4] = False
    w = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    d, path = dtw_path(x, y, x_mask=xm, y_mask=ym, weights=w, window=window)
    want_d, want_path = oracle.dtw(x, y, xm, ym, w, window=window)
    assert d == pytest.approx(want_d, rel=1e-9)
    np.testing.assert_array_equal(path, want_path)
    dist = dtw_distance(x, y, x_mask=xm, y_mask=ym, weights=w, window=window)
    assert dist == pytest.approx(want_d, rel=1e-9)


@pytest.mark.parametrize("window", [None, 12])
def test_close_frames_are_recomputed_exactly(window):
    # near-identical sequences: BLAS's expanded cost would cancel badly
    rng = np.random.default_rng(8)
    x = rng.standard_normal((97, 9)) * 40 + 1000
    y = x[3:] + rng.standard_normal((94, 9)) * 1e-6
    d, path = dtw_path(x, y, window=window)
    want_d, want_path = oracle.dtw(x, y, window=window)
    assert d == pytest.approx(want_d, rel=1e-9)
    np.testing.assert_array_equal(path, want_path)


def test_reused_scratch_does_not_leak_between_calls():
    rng = np.random.default_rng(9)
    big = [_seq(rng, 120, 5)[0], _seq(rng, 110, 5)[0]]
    small = [_seq(rng, 21, 5)[0], _seq(rng, 30, 5)[0]]
    for x, y in (big, small, big[::-1], small[::-1]):
        for window in (None, 6):
            d, path = dtw_path(x, y, window=window)
            want_d, want_path = oracle.dtw(x, y, window=window)
            assert d == pytest.approx(want_d, rel=1e-9)
            np.testing.assert_array_equal(path, want_path)


def test_blas_thread_count_is_restored():
    from threadpoolctl import threadpool_info, threadpool_limits

    x = np.random.default_rng(11).standard_normal((80, 4))
    with threadpool_limits(limits=2, user_api="blas"):
        before = [lib["num_threads"] for lib in threadpool_info()
                  if lib["user_api"] == "blas"]
        dtw_distance(x, x[::-1])
        after = [lib["num_threads"] for lib in threadpool_info()
                 if lib["user_api"] == "blas"]
    assert before == after
