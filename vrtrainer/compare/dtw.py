"""Offline multivariate dynamic time warping with masks, weights and a Sakoe-Chiba band.

Conventions (shared with the oracle in tests/ and with ``dtaidistance.dtw_ndim``):

* The local cost of frames ``x[i]`` and ``y[j]`` is the weighted squared Euclidean
  distance over the channels valid in both frames, rescaled by
  ``total weight / weight of those channels`` so that a frame with a few masked
  channels costs as much as a whole one on average; if no weighted channel is
  valid in both frames the cost is 0 (nothing is known there, so nothing is
  charged: lost tracking costs coverage, not shape).
* ``D[i, j] = cost(i, j) + min(D[i-1, j-1], D[i-1, j], D[i, j-1])``; the distance is
  ``sqrt(D[n-1, m-1])``.
* The band ``window`` follows dtaidistance: row ``i`` may use columns
  ``j`` with ``i - max(0, n-m) - window < j < i + max(0, m-n) + window``; ``None``
  means no band.
* The path is traced back from the end taking, on ties, the diagonal first, then
  ``(i-1, j)``, then ``(i, j-1)``.

The kernels get the cost matrix from BLAS in row blocks (rows extended so that
one product gives ``|x|^2 + |y|^2 - 2 x.y``) and recompute a cell exactly when
cancellation could cost precision (close frames), so results match the plain
definition to ~1e-12. Masked values are zeros in that product; a cell then
subtracts the squares its partner frame's invalid channels let in and rescales
by the weight both frames share, both from sparse lists of invalid channels
(real tracking loses a few channels of most frames, so cells are rarely whole).
The DP advances eight rows at once as a wavefront over costs made infinite
outside the band.

The entry kernels release the interpreter lock (``nogil``): an attempt scored on
a worker thread leaves the frame loop's thread free to run meanwhile.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numba
import numpy as np
from numba import njit

from vrtrainer.compare.limits import check_alignment
from vrtrainer.errors import VrtrainerError

#: Padding columns on each side of a row: the 8-row wavefront runs 7 columns beyond.
_PAD = 7
#: Most rows of the cost matrix computed per BLAS call.
_MAX_ROWS = 64
#: A BLAS cell cost below this share of the frames' squared norms is recomputed.
_CANCEL = 1e-4
#: A masked cell whose shared weight is below this share of the total is recomputed.
_THIN = 1e-3
#: Columns per tile when masked corrections are summed over a block's rows.
_TILE = 32
#: Share of partly masked frames (x's plus y's) from which the corrections are used.
_SPARSE_FROM = 0.04
#: Mean run length of y frames lacking the same channels from which corrections are
#: made per run.
_RUN_FROM = 4

_FULL, _PARTIAL, _EMPTY = 0, 1, 2

_blas_lock = threading.Lock()
_blas_libraries = None
#: Per-thread scratch buffers, kept between calls up to this many bytes each.
_WORK_MAX_BYTES = 64 << 20
_work = threading.local()


@contextmanager
def single_thread_blas():
    """Run the block with BLAS on one thread.

    The kernels make many small BLAS calls; a threaded BLAS spends more time
    waking its threads than computing (and fights numba's own threads), worst of
    all on a loaded machine. The libraries are found once; a call then costs a
    few C calls, not a scan of the loaded libraries.
    """
    global _blas_libraries
    with _blas_lock:
        if _blas_libraries is None:
            import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba calls)
            from threadpoolctl import ThreadpoolController

            _blas_libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    before = [lib.get_num_threads() for lib in _blas_libraries]
    for lib, n in zip(_blas_libraries, before):
        if n != 1:
            lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(_blas_libraries, before):
            if n != 1:
                lib.set_num_threads(n)


def _scratch(name: str, size: int, dtype) -> np.ndarray:
    """A flat scratch array of ``size`` elements, reused by the calling thread.

    Large temporaries allocated afresh on every call come straight from the OS,
    and faulting their pages in cost as much as a third of a banded DTW.
    """
    buf = getattr(_work, name, None)
    if buf is None or buf.size < size:
        buf = np.empty(size, dtype)
        if buf.nbytes <= _WORK_MAX_BYTES:
            setattr(_work, name, buf)
    return buf[:size]


@njit(cache=True)
def _prepare(x, xm, w, center, left, out):
    """Rows for BLAS into ``out`` (n, C + 2); returns squared norms and frame status.

    Each row is the frame centred, scaled by sqrt(weight), masked, and extended
    so that one product gives the cost ``|x|^2 + |y|^2 - 2 x.y``:
    ``[-2x, |x|^2, 1]`` on the ``left`` side, ``[y, 1, |y|^2]`` on the other.
    """
    n, c = x.shape
    norms = np.empty(n)
    status = np.zeros(n, np.int8)
    sw = np.sqrt(w)
    used = w > 0.0
    nused = 0
    for k in range(c):
        nused += 1 if used[k] else 0
    f = -2.0 if left else 1.0
    c4 = c - c % 4
    for i in range(n):
        xi = x[i]
        mi = xm[i]
        oi = out[i]
        valid = 0
        for k in range(c):  # selects, not branches: the loops vectorise
            valid += 1 if mi[k] & used[k] else 0
        for k in range(c):
            oi[k] = (xi[k] - center[k]) * sw[k] if mi[k] & used[k] else 0.0
        missing = nused - valid
        # four partial sums run in parallel; the norm's order is free (exactness
        # comes from the cancellation check)
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for k in range(0, c4, 4):
            s0 += oi[k] * oi[k]
            s1 += oi[k + 1] * oi[k + 1]
            s2 += oi[k + 2] * oi[k + 2]
            s3 += oi[k + 3] * oi[k + 3]
        for k in range(c4, c):
            s0 += oi[k] * oi[k]
        s = (s0 + s1) + (s2 + s3)
        for k in range(c):
            oi[k] *= f
        norms[i] = s
        oi[c] = s if left else 1.0
        oi[c + 1] = 1.0 if left else s
        if valid == 0:
            status[i] = _EMPTY
        elif missing > 0:
            status[i] = _PARTIAL
    return norms, status


@njit(cache=True)
def _direct_cost(x, y, xm, ym, w, wtot, i, j):
    """Exact masked cost of one cell from the raw frames."""
    num = 0.0
    den = 0.0
    for k in range(x.shape[1]):
        if w[k] > 0.0 and xm[i, k] and ym[j, k]:
            d = x[i, k] - y[j, k]
            num += w[k] * d * d
            den += w[k]
    if den == 0.0:
        return 0.0
    if den == wtot:
        return num
    return num * (wtot / den)


@njit(cache=True)
def _band(n, m, window):
    """Column range [lo, hi) of every row."""
    lo = np.zeros(n, np.int64)
    hi = np.full(n, m, np.int64)
    if window > 0:
        extra_r = max(0, n - m)
        extra_c = max(0, m - n)
        for i in range(n):
            lo[i] = max(0, i - extra_r - window + 1)
            hi[i] = min(m, i + extra_c + window)
    return lo, hi


@njit(cache=True)
def _fix_costs(x, y, xm, ym, w, wtot, i, a, b, q0, q1, jb, gi, ni, ny, sx, sy, odd):
    """Make row ``i``'s costs in ``gi`` (column ``j`` at ``gi[j - jb]``) exact over its
    band [a, b) and infinite over the rest of [q0, q1).

    BLAS's cost stands for whole frames unless close enough for cancellation to
    matter; frames with masked channels are computed directly. Infinite costs
    outside the band let the DP run over a rectangle without tests.
    """
    for j in range(q0, a):
        gi[j - jb] = np.inf
    for j in range(b, q1):
        gi[j - jb] = np.inf
    if sx[i] == _EMPTY:
        for j in range(a, b):
            gi[j - jb] = 0.0
        return
    if sx[i] == _PARTIAL:
        for j in range(a, b):
            gi[j - jb] = _direct_cost(x, y, xm, ym, w, wtot, i, j)
        return
    band = gi[a - jb:b - jb]
    nyb = ny[a:b]
    close = 0
    for k in range(b - a):
        close += band[k] <= _CANCEL * (ni + nyb[k])
    if close:
        for k in range(b - a):
            if band[k] <= _CANCEL * (ni + nyb[k]):
                band[k] = _direct_cost(x, y, xm, ym, w, wtot, i, a + k)
    for j in odd:
        if a <= j < b:
            gi[j - jb] = _direct_cost(x, y, xm, ym, w, wtot, i, j)


@njit(cache=True)
def _close_cells(gi, jb, a, b, q0, q1, ni, ny):
    """:func:`_fix_costs`' common case (whole frames): costs infinite outside the
    band [a, b) within [q0, q1); returns how many band cells are close enough for
    cancellation to matter (0: BLAS's costs stand). A light call: the full one
    costs ~10x more per row, which narrow bands felt."""
    for j in range(q0, a):
        gi[j - jb] = np.inf
    for j in range(b, q1):
        gi[j - jb] = np.inf
    # views indexed from 0: the compiler sees no negative index, so the loop vectorises
    band = gi[a - jb:b - jb]
    nyb = ny[a:b]
    close = 0
    for k in range(b - a):
        close += band[k] <= _CANCEL * (ni + nyb[k])
    return close


@njit(cache=True)
def _add_rows(acc, src, idx, p0, p1, a, b):
    """``acc[a:b] += src[idx[p], a:b]`` for p in [p0, p1), four source rows a pass.

    Views indexed from 0: with ``range(a, b)`` the compiler cannot rule out a
    negative index (numba wraps those) and the loops did not vectorise.
    """
    av = acc[a:b]
    n = b - a
    p = p0
    while p + 4 <= p1:
        r0 = src[idx[p], a:b]
        r1 = src[idx[p + 1], a:b]
        r2 = src[idx[p + 2], a:b]
        r3 = src[idx[p + 3], a:b]
        for k in range(n):
            av[k] += (r0[k] + r1[k]) + (r2[k] + r3[k])
        p += 4
    while p < p1:
        r0 = src[idx[p], a:b]
        for k in range(n):
            av[k] += r0[k]
        p += 1


# numpy's error model: a zero shared weight gives inf (then discarded), not an
# exception, and the division vectorises
@njit(cache=True, error_model="numpy")
def _fix_masked(x, y, xm, ym, w, wtot, i, a, b, q0, q1, jb, gi, ni, ny, sy, mk, corr, both,
                lost, cb, fresh, c0, c1):
    """:func:`_fix_costs` when frames have masked channels: the BLAS cost of two
    masked-to-zero frames, minus the squares of the channels valid on one side
    only, rescaled by the weight valid on both.

    ``mk`` from :func:`_mask_lists`; ``lost[j - cb]`` from :func:`_column_sides`
    (x's squares on the channels y frame j lacks); ``corr`` and ``both`` (m,) depend
    only on x's invalid channels: with ``fresh`` they are computed over [c0, c1)
    (covering [a, b)), else the previous row's, which lacked the same channels, stand.
    """
    wx, xptr, xidx, y2t, wy, ycptr, ycidx = mk[1], mk[2], mk[3], mk[4], mk[5], mk[6], mk[7]
    for j in range(q0, a):
        gi[j - jb] = np.inf
    for j in range(b, q1):
        gi[j - jb] = np.inf
    if fresh:
        corr[c0:c1] = 0.0
        both[c0:c1] = 0.0
        # y's squares on the channels x lacks: whole rows of y2t, vectorised
        _add_rows(corr, y2t, xidx, xptr[i], xptr[i + 1], c0, c1)
        # weight lacking on both sides: x's few invalid channels, y's frames lacking each
        for p in range(xptr[i], xptr[i + 1]):
            k = xidx[p]
            wk = w[k]
            col = ycidx[ycptr[k]:ycptr[k + 1]]
            for q in range(np.searchsorted(col, c0), col.shape[0]):
                j = col[q]
                if j >= c1:
                    break
                both[j] += wk
    wxi = wx[i]
    rest = wtot - wxi
    marked = 0
    # views indexed from 0, so that the loop vectorises (see _add_rows)
    gv = gi[a - jb:b - jb]
    cv = corr[a:b]
    lv = lost[a - cb:b - cb]
    wyv = wy[a:b]
    bv = both[a:b]
    nyv = ny[a:b]
    for k in range(b - a):
        num = gv[k] - cv[k] - lv[k]
        wyj = wyv[k]
        den = rest - wyj + bv[k]
        ok = (num > _CANCEL * (ni + nyv[k])) & (den > _THIN * wtot)
        # whole frames on both sides: den is wtot, no rescaling
        scaled = num * (wtot / den) if (wxi != 0.0) | (wyj != 0.0) else num
        gv[k] = scaled if ok else -1.0
        marked += not ok
    if marked:  # cancellation or next to no shared weight: the exact computation
        for j in range(a, b):
            if gi[j - jb] == -1.0:
                gi[j - jb] = 0.0 if sy[j] == _EMPTY else _direct_cost(x, y, xm, ym, w, wtot,
                                                                        i, j)


@njit(cache=True, error_model="numpy")
def _fix_masked_runs(x, y, xm, ym, w, wtot, i, a, b, q0, q1, jb, gi, ni, ny, sy, mk, corr,
                     scale, lost, fresh, c0, c1):
    """:func:`_fix_masked` when y's frames come in runs lacking the same channels
    (:func:`_run_starts`), as trackers lose whole joints for many frames: the squares
    x loses to y are one sum per run, and the rescaling one number per run for all
    the rows of x's run. ``scale`` and ``lost`` scratch (m,) like ``corr``."""
    wx, xptr, xidx, y2t, wy = mk[1], mk[2], mk[3], mk[4], mk[5]
    x2, yptr, yidx, ystart, yrun = mk[0], mk[8], mk[9], mk[11], mk[12]
    for j in range(q0, a):
        gi[j - jb] = np.inf
    for j in range(b, q1):
        gi[j - jb] = np.inf
    if b <= a:
        return
    px0, px1 = xptr[i], xptr[i + 1]
    if fresh:
        corr[c0:c1] = 0.0
        _add_rows(corr, y2t, xidx, px0, px1, c0, c1)
        rest = wtot - wx[i]
        j = c0
        q = yrun[c0]
        while j < c1:
            f = ystart[q]
            e = min(ystart[q + 1], c1)
            both = 0.0  # weight lacking on both sides
            pa = px0
            for p in range(yptr[f], yptr[f + 1]):  # both lists ascending: a merge
                k = yidx[p]
                while pa < px1 and xidx[pa] < k:
                    pa += 1
                if pa < px1 and xidx[pa] == k:
                    both += w[k]
            den = rest - wy[f] + both
            # exactly 1 when both frames are whole; 0 marks next to no shared weight
            scale[j:e] = wtot / den if den > _THIN * wtot else 0.0
            j = e
            q += 1
    xi2 = x2[i]
    j = a
    q = yrun[a]
    while j < b:
        f = ystart[q]
        e = min(ystart[q + 1], b)
        v = 0.0
        for p in range(yptr[f], yptr[f + 1]):
            v += xi2[yidx[p]]
        lost[j:e] = v
        j = e
        q += 1
    marked = 0
    # views indexed from 0, so that the loop vectorises (see _add_rows)
    gv = gi[a - jb:b - jb]
    cv = corr[a:b]
    lv = lost[a:b]
    sv = scale[a:b]
    nyv = ny[a:b]
    for t in range(b - a):
        num = gv[t] - cv[t] - lv[t]
        st = sv[t]
        ok = (num > _CANCEL * (ni + nyv[t])) & (st > 0.0)
        gv[t] = num * st if ok else -1.0
        marked += not ok
    if marked:  # cancellation or next to no shared weight: the exact computation
        for j in range(a, b):
            if gi[j - jb] == -1.0:
                gi[j - jb] = 0.0 if sy[j] == _EMPTY else _direct_cost(x, y, xm, ym, w, wtot,
                                                                        i, j)


@njit(cache=True)
def _column_sides(mk, i0, i1, c0, c1, xt, tl, lost):
    """``lost[r, j - c0]``: the squares of x row ``i0 + r`` on the channels y frame
    ``j`` lacks, for rows [i0, i1) and columns [c0, c1); summed over the rows at once
    (x's squares transposed) in tiles of columns, then transposed.

    Scratch: ``xt`` (C, >= rows), ``tl`` (_TILE, >= rows).
    """
    x2, yptr, yidx = mk[0], mk[8], mk[9]
    rows = i1 - i0
    c = x2.shape[1]
    for r in range(rows):
        for k in range(c):
            xt[k, r] = x2[i0 + r, k]
    for t0 in range(c0, c1, _TILE):
        t1 = min(c1, t0 + _TILE)
        for j in range(t0, t1):
            tl[j - t0, :rows] = 0.0
            _add_rows(tl[j - t0], xt, yidx, yptr[j], yptr[j + 1], 0, rows)
        for r in range(rows):
            lr = lost[r]
            for jj in range(t1 - t0):
                lr[t0 - c0 + jj] = tl[jj, r]


@njit(cache=True)
def _same_lists(ptr, idx, i, j):
    """Whether frames ``i`` and ``j`` lack the same channels (CSR lists ``ptr``/``idx``)."""
    if ptr[i + 1] - ptr[i] != ptr[j + 1] - ptr[j]:
        return False
    for p in range(ptr[i + 1] - ptr[i]):
        if idx[ptr[i] + p] != idx[ptr[j] + p]:
            return False
    return True


@njit(cache=True)
def _run_starts(ptr, idx):
    """Starts of the runs of consecutive frames lacking the same channels, then the
    frame count; and each frame's run. Trackers lose whole joints for many frames,
    so real takes have few runs."""
    n = ptr.shape[0] - 1
    run = np.zeros(n, np.int64)
    starts = np.zeros(n + 1, np.int64)
    r = 0
    for i in range(1, n):
        if not _same_lists(ptr, idx, i - 1, i):
            r += 1
            starts[r] = i
        run[i] = r
    count = r + 1 if n > 0 else 0
    starts[count] = n
    return starts[:count + 1], run


@njit(cache=True)
def _mask_lists(xs, xm, ysp, ym, w):
    """What :func:`_fix_masked` and :func:`_column_sides` need, from prepared rows
    ``xs`` (-2 x) and ``ysp[_PAD:-_PAD]`` (y): x's squares ``x2`` (n, C), invalid
    weight ``wx`` and invalid channels (``xptr``/``xidx``); y's squares transposed
    ``y2t`` (C, m), invalid weight ``wy``, frames lacking each channel
    (``ycptr``/``ycidx``) and channels each frame lacks (``yptr``/``yidx``); then the
    end of each x frame's run ``xend`` and y's runs ``ystart``/``yrun``
    (:func:`_run_starts`)."""
    n, c = xm.shape
    m = ym.shape[0]
    used = w > 0.0
    x2 = np.empty((n, c))
    wx = np.zeros(n)
    xptr = np.zeros(n + 1, np.int64)
    for i in range(n):
        cnt = 0
        for k in range(c):
            v = 0.5 * xs[i, k]
            x2[i, k] = v * v
            if used[k] and not xm[i, k]:
                wx[i] += w[k]
                cnt += 1
        xptr[i + 1] = xptr[i] + cnt
    xidx = np.empty(xptr[n], np.int64)
    for i in range(n):
        q = xptr[i]
        for k in range(c):
            if used[k] and not xm[i, k]:
                xidx[q] = k
                q += 1
    y2t = np.empty((c, m))
    wy = np.zeros(m)
    yptr = np.zeros(m + 1, np.int64)
    ycount = np.zeros(c + 1, np.int64)
    for j in range(m):
        cnt = 0
        for k in range(c):
            v = ysp[_PAD + j, k]
            y2t[k, j] = v * v
            if used[k] and not ym[j, k]:
                wy[j] += w[k]
                cnt += 1
                ycount[k + 1] += 1
        yptr[j + 1] = yptr[j] + cnt
    yidx = np.empty(yptr[m], np.int64)
    ycptr = np.cumsum(ycount)
    ycidx = np.empty(ycptr[c], np.int64)
    fill = ycptr[:c].copy()
    for j in range(m):
        q = yptr[j]
        for k in range(c):
            if used[k] and not ym[j, k]:
                yidx[q] = k
                q += 1
                ycidx[fill[k]] = j
                fill[k] += 1
    xstart, xrun = _run_starts(xptr, xidx)
    ystart, yrun = _run_starts(yptr, yidx)
    xend = xstart[xrun + 1]
    return x2, wx, xptr, xidx, y2t, wy, ycptr, ycidx, yptr, yidx, xend, ystart, yrun


@njit(cache=True)
def _four_rows(g0, g1, g2, g3, jb, s0, s1, prevp):
    """DP over four consecutive rows as a wavefront, costs replaced by D in place.

    Row ``r`` handles column ``j - r`` while the first row handles ``j``: each
    row's up and diagonal neighbours are the row above's last two values, held
    in registers, and the four serial min/add chains overlap. ``prevp[_PAD + j]``
    is D of the row before (infinite outside its band). Costs must be infinite
    outside each row's band over [s0 - _PAD, s1 + _PAD).
    """
    inf = np.inf
    l0 = inf
    l1 = inf
    l2 = inf
    l3 = inf
    d1 = inf
    d2 = inf
    d3 = inf
    # views so that step t reads element t (indices the compiler sees are >= 0)
    base = s0 - jb
    v0 = g0[base:]
    v1 = g1[base - 1:]
    v2 = g2[base - 2:]
    v3 = g3[base - 3:]
    pv = prevp[_PAD + s0 - 1:]
    for t in range(s1 - s0 + 3):
        l3 = min(l3, min(l2, d3)) + v3[t]
        v3[t] = l3
        d3 = l2
        l2 = min(l2, min(l1, d2)) + v2[t]
        v2[t] = l2
        d2 = l1
        l1 = min(l1, min(l0, d1)) + v1[t]
        v1[t] = l1
        d1 = l0
        l0 = min(l0, min(pv[t + 1], pv[t])) + v0[t]
        v0[t] = l0


@njit(cache=True)
def _eight_rows(g0, g1, g2, g3, g4, g5, g6, g7, jb, s0, s1, prevp):
    """:func:`_four_rows` over eight rows: twice the serial chains in flight, so a
    step of eight cells takes the time four took (the chains' latency, not the
    instructions, bounds the four-row loop). Costs must be infinite outside each
    row's band over [s0 - _PAD, s1 + _PAD)."""
    inf = np.inf
    l0 = inf
    l1 = inf
    l2 = inf
    l3 = inf
    l4 = inf
    l5 = inf
    l6 = inf
    l7 = inf
    d1 = inf
    d2 = inf
    d3 = inf
    d4 = inf
    d5 = inf
    d6 = inf
    d7 = inf
    base = s0 - jb
    v0 = g0[base:]
    v1 = g1[base - 1:]
    v2 = g2[base - 2:]
    v3 = g3[base - 3:]
    v4 = g4[base - 4:]
    v5 = g5[base - 5:]
    v6 = g6[base - 6:]
    v7 = g7[base - 7:]
    pv = prevp[_PAD + s0 - 1:]
    for t in range(s1 - s0 + 7):
        l7 = min(l7, min(l6, d7)) + v7[t]
        v7[t] = l7
        d7 = l6
        l6 = min(l6, min(l5, d6)) + v6[t]
        v6[t] = l6
        d6 = l5
        l5 = min(l5, min(l4, d5)) + v5[t]
        v5[t] = l5
        d5 = l4
        l4 = min(l4, min(l3, d4)) + v4[t]
        v4[t] = l4
        d4 = l3
        l3 = min(l3, min(l2, d3)) + v3[t]
        v3[t] = l3
        d3 = l2
        l2 = min(l2, min(l1, d2)) + v2[t]
        v2[t] = l2
        d2 = l1
        l1 = min(l1, min(l0, d1)) + v1[t]
        v1[t] = l1
        d1 = l0
        l0 = min(l0, min(pv[t + 1], pv[t])) + v0[t]
        v0[t] = l0


@njit(cache=True)
def _one_row(gi, jb, a, b, prevp):
    """DP over one row [a, b), costs ``gi`` replaced by D in place (rows left over
    after the wavefronts)."""
    left = np.inf
    v = gi[a - jb:b - jb]
    pv = prevp[_PAD + a - 1:_PAD + b]
    for k in range(b - a):
        left = min(left, min(pv[k + 1], pv[k])) + v[k]
        v[k] = left


@njit(cache=True)
def _steps(dprev, pb, dcur, cb, a, b, st):
    """Steps into row ``i``'s cells [a, b) from D of rows ``i-1`` (``dprev[j - pb]``)
    and ``i`` (``dcur[j - cb]``): 0 diagonal when it is a minimum, else 1 (up) when
    up <= left, else 2 (left). Off the DP's serial chain, so it vectorises."""
    dp = dprev[a - 1 - pb:b - pb]
    dc = dcur[a - 1 - cb:b - cb]
    out = st[a:b]
    for k in range(b - a):
        d = dp[k]
        u = dp[k + 1]
        left = dc[k]
        out[k] = (d > min(u, left)) * (1 + (u > left))


@njit(cache=True)
def _center(x, xm, y, ym):
    """Per-channel mean of the valid values of both sequences, on a coarse dyadic grid.

    Centring keeps BLAS's expanded cost accurate; the coarse grid keeps small
    dyadic data (and so exact ties) exact.
    """
    c = x.shape[1]
    total = np.zeros(c)
    count = np.zeros(c)
    for seq, mask in ((x, xm), (y, ym)):
        for i in range(seq.shape[0]):
            si = seq[i]
            mi = mask[i]
            for k in range(c):  # selects (adding exact zeros): the loop vectorises
                total[k] += si[k] if mi[k] else 0.0
                count[k] += 1.0 if mi[k] else 0.0
    center = np.zeros(c)
    for k in range(c):
        if count[k] > 0:
            center[k] = np.round(total[k] / count[k] * 1024.0) / 1024.0
    return center


def _work_size(n, m, c):
    """Float64 scratch elements :func:`_dtw` needs for (n, C) against (m, C)."""
    return (n + m + 2 * _PAD) * (c + 2) + (_MAX_ROWS + 1) * (m + 2 * _PAD)


@njit(cache=True, nogil=True)
def _dtw(x, y, xm, ym, w, window, steps, work):
    """Accumulated cost of ``x`` (n, C) against ``y`` (m, C).

    With ``steps`` of shape (n, m) uint8 the step taken into every cell is kept
    there for the path (0 diagonal, 1 from above, 2 from the left); with shape
    (0, 0) nothing is kept. ``work``: :func:`_work_size` scratch elements.
    Returns D[n-1, m-1].
    """
    n, c = x.shape
    m = y.shape[0]
    c2 = c + 2
    mp = m + 2 * _PAD
    xs = work[:n * c2].reshape((n, c2))
    ysp = work[n * c2:(n + mp) * c2].reshape((mp, c2))
    prevp = work[(n + mp) * c2:(n + mp) * c2 + mp]
    gbuf = work[(n + mp) * c2 + mp:]
    center = _center(x, xm, y, ym)
    nx, sx = _prepare(x, xm, w, center, True, xs)
    ysp[:_PAD] = 0.0
    ysp[_PAD + m:] = 0.0
    ny, sy = _prepare(y, ym, w, center, False, ysp[_PAD:_PAD + m])
    return _dtw_prepared(x, y, xm, ym, w, window, steps, xs, nx, sx, ysp, ny, sy, gbuf, prevp,
                         np.empty((0, 1)), 0)


@njit(cache=True)
def _block_rows(n, m, window):
    """Rows of the cost matrix per BLAS call, a multiple of 16 in [16, _MAX_ROWS].

    A block computes the union of its rows' bands, ``rows - 1`` columns more
    than one band; about a quarter of the band keeps that waste small while the
    product stays large enough for BLAS's best speed (OpenBLAS's kernels take
    rows 16 at a time: 28 rows ran at 43 GFLOP/s, 48 at 59 here).
    """
    if window == 0:
        return _MAX_ROWS
    width = min(m, 2 * window - 1 + abs(n - m))
    return min(_MAX_ROWS, max(16, (width + 32) // 64 * 16))


@njit(cache=True)
def _dtw_prepared(x, y, xm, ym, w, window, steps, xs, nx, sx, ysp, ny, sy, gbuf, prevp, prod,
                  pcol):
    """:func:`_dtw` on sequences already centred, scaled, classified and augmented
    (``xs`` and ``ysp[_PAD:-_PAD]`` rows as :func:`_prepare` makes them, ``ysp``
    padded with _PAD rows each side), with scratch ``gbuf`` (at least
    ``_MAX_ROWS * (m + 2 _PAD)``) and ``prevp`` (``m + 2 _PAD``). ``prod``, when it
    has n rows, holds ``xs . ysp^T`` already computed from column ``pcol`` on (many
    pairs share one product) and is overwritten; else each row block's product is
    taken here into ``gbuf``."""
    n = x.shape[0]
    m = y.shape[0]
    c = x.shape[1]
    wtot = 0.0
    for k in range(c):
        if w[k] > 0.0:
            wtot += w[k]
    odd = np.nonzero(sy != _FULL)[0]
    oddcum = np.zeros(m + 1, np.int64)  # odd columns before each column
    for j in range(m):
        oddcum[j + 1] = oddcum[j] + (sy[j] != _FULL)
    lo, hi = _band(n, m, window)
    # a few masked frames are cheaper cell by cell; many (real tracking) with the
    # sparse corrections, whose fixed cost is a few ns per cell
    masked = odd.shape[0] / m + np.sum(sx == _PARTIAL) / n > _SPARSE_FROM
    mk = _mask_lists(xs, xm, ysp, ym, w) if masked else _mask_lists(
        xs[:0], xm[:0], ysp[:2 * _PAD], ym[:0], w)
    mm = m if masked else 0
    mr = _MAX_ROWS if masked else 0
    corr = np.empty(mm)
    both = np.empty(mm)
    lostb = np.empty((mr, mm))
    xt = np.empty((c, mr))
    tl = np.empty((_TILE, mr))
    xend = mk[10]
    shared_to = 0  # rows before this one have had their run's corrections computed
    # y's runs long enough on average: corrections per run instead of per frame
    yfew = (mk[11].shape[0] - 1) * _RUN_FROM <= m
    keep = steps.shape[0] == n
    # columns padded by _PAD on both sides so that the wavefronts need no tests:
    # column j is ysp[_PAD + j] and prevp[_PAD + j]
    prevp[:] = np.inf  # D of the last finished row
    prevp[_PAD - 1] = 0.0  # D[-1, -1]: the start
    rows = _block_rows(n, m, window)
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        q1 = hi[i1 - 1] + 2 * _PAD
        if prod.shape[0] == n:  # the product's rows, DP in place: column j at g[:, j - jb]
            jb = -_PAD - pcol
            g = prod[i0:i1]
        else:
            jb = lo[i0] - _PAD
            g = gbuf[:(i1 - i0) * (q1 - lo[i0])].reshape((i1 - i0, q1 - lo[i0]))
            np.dot(xs[i0:i1], ysp[lo[i0]:q1].T, g)
        if masked and not yfew:
            _column_sides(mk, i0, i1, lo[i0], hi[i1 - 1], xt, tl, lostb)
        s = i0
        while s < i1:  # rows eight at a time, then four, then one by one
            e = s + 8 if s + 8 <= i1 else (s + 4 if s + 4 <= i1 else i1)
            s0 = lo[s]
            s1 = hi[e - 1]
            for i in range(s, e):
                if masked and sx[i] != _EMPTY:
                    fresh = i >= shared_to  # x's run changes: its corrections are due
                    if fresh:
                        shared_to = xend[i]
                    if yfew:
                        _fix_masked_runs(x, y, xm, ym, w, wtot, i, lo[i], hi[i], s0 - _PAD,
                                         s1 + _PAD, jb, g[i - i0], nx[i], ny, sy, mk, corr,
                                         both, lostb[0], fresh, lo[i], hi[shared_to - 1])
                    else:
                        _fix_masked(x, y, xm, ym, w, wtot, i, lo[i], hi[i], s0 - _PAD,
                                    s1 + _PAD, jb, g[i - i0], nx[i], ny, sy, mk, corr, both,
                                    lostb[i - i0], lo[i0], fresh, lo[i], hi[shared_to - 1])
                elif (sx[i] != _FULL or oddcum[hi[i]] > oddcum[lo[i]]
                      or _close_cells(g[i - i0], jb, lo[i], hi[i], s0 - _PAD, s1 + _PAD,
                                      nx[i], ny)):
                    _fix_costs(x, y, xm, ym, w, wtot, i, lo[i], hi[i], s0 - _PAD, s1 + _PAD,
                               jb, g[i - i0], nx[i], ny, sx, sy, odd)
            if e - s == 8:
                _eight_rows(g[s - i0], g[s + 1 - i0], g[s + 2 - i0], g[s + 3 - i0], g[s + 4 - i0],
                            g[s + 5 - i0], g[s + 6 - i0], g[s + 7 - i0], jb, s0, s1, prevp)
            elif e - s == 4:
                _four_rows(g[s - i0], g[s + 1 - i0], g[s + 2 - i0], g[s + 3 - i0], jb, s0, s1,
                           prevp)
            if e - s >= 4:
                if keep:
                    _steps(prevp, -_PAD, g[s - i0], jb, lo[s], hi[s], steps[s])
                    for i in range(s + 1, e):
                        _steps(g[i - 1 - i0], jb, g[i - i0], jb, lo[i], hi[i], steps[i])
                last = g[e - 1 - i0]
            else:
                for i in range(s, e):
                    _one_row(g[i - i0], jb, lo[i], hi[i], prevp)
                    if keep:
                        _steps(prevp, -_PAD, g[i - i0], jb, lo[i], hi[i], steps[i])
                    for j in range(s0 - _PAD, s1 + _PAD):
                        prevp[_PAD + j] = g[i - i0, j - jb]
                last = g[e - 1 - i0]
            for j in range(s0 - _PAD, s1 + _PAD):
                prevp[_PAD + j] = last[j - jb]
            s = e
    return prevp[_PAD + m - 1]


@njit(cache=True, nogil=True)
def _backtrack(steps):
    """Warping path (L, 2) from (0, 0) to (n-1, m-1) following the recorded steps."""
    n, m = steps.shape
    path = np.empty((n + m, 2), np.int64)
    i = n - 1
    j = m - 1
    k = 0
    path[k, 0] = i
    path[k, 1] = j
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            step = steps[i, j]
            if step == 0:
                i -= 1
                j -= 1
            elif step == 1:
                i -= 1
            else:
                j -= 1
        k += 1
        path[k, 0] = i
        path[k, 1] = j
    return path[k::-1].copy()


@njit(cache=True, nogil=True)
def _prepare_many(xcat, xmcat, ycat, yoff, ymcat, w):
    """Every x and y sequence centred on the mean of all of them and prepared once.

    Returns x's rows, norms and status, then y's: y sequence b padded with _PAD zero
    rows each side, rows [b0 + 2 b _PAD, b1 + 2 (b + 1) _PAD) of the padded array.
    """
    ny = yoff.shape[0] - 1
    center = _center(xcat, xmcat, ycat, ymcat)
    c2 = xcat.shape[1] + 2
    xs = np.empty((xcat.shape[0], c2))
    xn, xst = _prepare(xcat, xmcat, w, center, True, xs)
    yp = np.zeros((ycat.shape[0] + 2 * _PAD * ny, c2))
    yn = np.empty(ycat.shape[0])
    yst = np.empty(ycat.shape[0], np.int8)
    for b in range(ny):
        b0, b1 = yoff[b], yoff[b + 1]
        s = b0 + (2 * b + 1) * _PAD
        yn[b0:b1], yst[b0:b1] = _prepare(ycat[b0:b1], ymcat[b0:b1], w, center, False,
                                         yp[s:s + b1 - b0])
    return xs, xn, xst, yp, yn, yst


#: Float64 elements of one x sequence's product with a run of y sequences.
_PRODUCT_MAX = 1 << 15


@njit(cache=True, nogil=True)
def _dtw_rows(xcat, xoff, xmcat, ycat, yoff, ymcat, w, window, prep, tasks, out):
    """Distances of x sequence ``tasks[t, 0]`` to y sequences [``tasks[t, 1]``,
    ``tasks[t, 2]``) into ``out[a, b]``, from :func:`_prepare_many`'s ``prep``.

    One BLAS product per x sequence and run of consecutive y sequences (padded
    rows included) serves all their pairs: small products per pair ran BLAS at a
    fraction of its speed and took its lock once per pair.
    """
    xs, xn, xst, yp, yn, yst = prep
    longest = 1
    rows = 1
    for t in range(tasks.shape[0]):
        a = tasks[t, 0]
        rows = max(rows, xoff[a + 1] - xoff[a])
        for b in range(tasks[t, 1], tasks[t, 2]):
            longest = max(longest, yoff[b + 1] - yoff[b])
    gbuf = np.empty(_MAX_ROWS * (longest + 2 * _PAD))
    prevp = np.empty(longest + 2 * _PAD)
    pbuf = np.empty(max(_PRODUCT_MAX, rows * (longest + 2 * _PAD)))
    empty = np.zeros((0, 0), np.uint8)
    for t in range(tasks.shape[0]):
        a, blo, bhi = tasks[t, 0], tasks[t, 1], tasks[t, 2]
        a0, a1 = xoff[a], xoff[a + 1]
        na = a1 - a0
        b = blo
        while b < bhi:
            r0 = yoff[b] + 2 * b * _PAD  # y sequence b's padded rows start here in yp
            e = b + 1
            while e < bhi and (yoff[e + 1] + 2 * (e + 1) * _PAD - r0) * na <= pbuf.shape[0]:
                e += 1
            r1 = yoff[e] + 2 * e * _PAD
            p = pbuf[:na * (r1 - r0)].reshape((na, r1 - r0))
            np.dot(xs[a0:a1], yp[r0:r1].T, p)
            for bb in range(b, e):
                b0, b1 = yoff[bb], yoff[bb + 1]
                s = b0 + 2 * bb * _PAD
                wide = b1 - b0 + 2 * _PAD
                d = _dtw_prepared(xcat[a0:a1], ycat[b0:b1], xmcat[a0:a1], ymcat[b0:b1], w,
                                  window, empty, xs[a0:a1], xn[a0:a1], xst[a0:a1],
                                  yp[s:s + wide], yn[b0:b1], yst[b0:b1], gbuf, prevp[:wide],
                                  p, s - r0)
                out[a, bb] = np.sqrt(max(d, 0.0))
            b = e


def _threads() -> int:
    """Worker threads for many-vs-many: numba's thread count (NUMBA_NUM_THREADS)."""
    return max(1, numba.config.NUMBA_NUM_THREADS)


def _tasks(xoff, yoff, symmetric, pieces):
    """(x sequence, first y, end y) rows covering every pair once, heaviest first; each
    x sequence's run of y sequences cut into up to ``pieces`` runs of similar length."""
    nx = xoff.shape[0] - 1
    ny = yoff.shape[0] - 1
    rows = []
    for a in range(nx):
        lo = a + 1 if symmetric else 0
        if lo >= ny:
            continue
        cuts = np.linspace(lo, ny, min(pieces, ny - lo) + 1).round().astype(np.int64)
        rows += [(a, cuts[k], cuts[k + 1]) for k in range(len(cuts) - 1)]
    tasks = np.array(rows, np.int64).reshape(-1, 3)
    cum = np.concatenate([[0], np.cumsum(np.diff(yoff))])
    work = np.diff(xoff)[tasks[:, 0]] * (cum[tasks[:, 2]] - cum[tasks[:, 1]])
    return tasks[np.argsort(-work, kind="stable")]


def _dtw_many(xcat, xoff, xmcat, ycat, yoff, ymcat, w, window, symmetric):
    """Distances of every x sequence to every y sequence, spread over threads.

    Python threads run the kernel (it releases the interpreter lock) on chunks of
    similar work taken in turn, so a thread the machine's load slows simply takes
    fewer chunks; a static split (numba's parallel loop) waits for the slowest
    thread, spinning meanwhile on a core the others need.
    """
    nx = xoff.shape[0] - 1
    ny = yoff.shape[0] - 1
    prep = _prepare_many(xcat, xmcat, ycat, yoff, ymcat, w)
    threads = _threads()
    # enough runs for every thread to take several, even with one x sequence
    tasks = _tasks(xoff, yoff, symmetric, max(1, -(-8 * threads // nx)))
    out = np.zeros((nx, ny))
    threads = min(threads, max(1, tasks.shape[0] // 4))
    if threads == 1:
        _dtw_rows(xcat, xoff, xmcat, ycat, yoff, ymcat, w, window, prep, tasks, out)
    else:
        # heaviest first, dealt round-robin so that chunks weigh alike
        chunks = [tasks[k::4 * threads] for k in range(4 * threads)]

        def run(ch):
            _dtw_rows(xcat, xoff, xmcat, ycat, yoff, ymcat, w, window, prep, ch, out)

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, [ch for ch in chunks if len(ch)]))
    if symmetric:
        iu = np.triu_indices(nx, 1)
        out[iu[1], iu[0]] = out[iu]
    return out


@njit(cache=True, nogil=True)
def _derivative(x, xm):
    """Keogh-Pazzani derivative estimate and its mask (needs both neighbours valid)."""
    n, c = x.shape
    dx = np.zeros((n, c))
    dm = np.zeros((n, c), np.bool_)
    for i in range(n):
        a = max(i - 1, 0)
        b = min(i + 1, n - 1)
        for k in range(c):
            if n == 1:
                dm[i, k] = xm[i, k]
                continue
            if i == 0:
                a, b = 0, 1
                dx[i, k] = x[1, k] - x[0, k]
                dm[i, k] = xm[0, k] and xm[1, k]
            elif i == n - 1:
                dx[i, k] = x[n - 1, k] - x[n - 2, k]
                dm[i, k] = xm[n - 1, k] and xm[n - 2, k]
            else:
                dx[i, k] = ((x[i, k] - x[a, k]) + (x[b, k] - x[a, k]) / 2.0) / 2.0
                dm[i, k] = xm[a, k] and xm[i, k] and xm[b, k]
    return dx, dm


def derivative_estimate(
    x: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Derivative estimate of a sequence (n, C) for derivative DTW, with its mask.

    ``d[i] = ((x[i] - x[i-1]) + (x[i+1] - x[i-1]) / 2) / 2``; the ends use the one-sided
    difference. A value is valid only where every frame it uses is valid.
    """
    x, mask = _as_seq(x, mask, "x")
    return _derivative(x, mask)


def _as_seq(x, mask, name):
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise VrtrainerError(f"{name}: expected a non-empty (frames, channels) array, got "
                             f"shape {x.shape}")
    if mask is None:
        mask = np.isfinite(x)
    else:
        mask = np.ascontiguousarray(mask, dtype=np.bool_)
        if mask.shape != x.shape:
            raise VrtrainerError(f"{name}: mask shape {mask.shape} differs from {x.shape}")
        mask = mask & np.isfinite(x)
    return x, mask


def _check(x, y, x_mask, y_mask, weights, window):
    x, x_mask = _as_seq(x, x_mask, "x")
    y, y_mask = _as_seq(y, y_mask, "y")
    if x.shape[1] != y.shape[1]:
        raise VrtrainerError(f"channel counts differ: {x.shape[1]} vs {y.shape[1]}")
    w = _weights(weights, x.shape[1])
    return x, y, x_mask, y_mask, w, _window(window)


def _weights(weights, c):
    if weights is None:
        return np.ones(c)
    w = np.ascontiguousarray(weights, dtype=np.float64)
    if w.shape != (c,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise VrtrainerError(f"weights must be {c} finite non-negative numbers")
    return w


def _window(window):
    if window is None:
        return 0
    window = int(window)
    if window < 1:
        raise VrtrainerError(f"band window must be >= 1 frame, got {window}")
    return window


def dtw_distance(
    x: np.ndarray,
    y: np.ndarray,
    *,
    x_mask: np.ndarray | None = None,
    y_mask: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    window: int | None = None,
    derivative: bool = False,
) -> float:
    """DTW distance of two sequences (n, C) and (m, C) (see the module conventions).

    Masks (same shape, True = valid; NaNs count as invalid) drop channels from the
    local cost; ``weights`` (C,) weigh channels; ``window`` is a Sakoe-Chiba band in
    frames; ``derivative`` compares the sequences' derivative estimates (DDTW).
    """
    x, y, x_mask, y_mask, w, win = _check(x, y, x_mask, y_mask, weights, window)
    if derivative:
        x, x_mask = _derivative(x, x_mask)
        y, y_mask = _derivative(y, y_mask)
    work = _scratch("work", _work_size(x.shape[0], y.shape[0], x.shape[1]), np.float64)
    with single_thread_blas():
        d = _dtw(x, y, x_mask, y_mask, w, win, np.zeros((0, 0), np.uint8), work)
    return float(np.sqrt(max(d, 0.0)))


def dtw_path(
    x: np.ndarray,
    y: np.ndarray,
    *,
    x_mask: np.ndarray | None = None,
    y_mask: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    window: int | None = None,
    derivative: bool = False,
) -> tuple[float, np.ndarray]:
    """DTW distance and warping path (L, 2) of (x index, y index) pairs, start to end.

    Same arguments as :func:`dtw_distance`.
    """
    x, y, x_mask, y_mask, w, win = _check(x, y, x_mask, y_mask, weights, window)
    if derivative:
        x, x_mask = _derivative(x, x_mask)
        y, y_mask = _derivative(y, y_mask)
    n, m = x.shape[0], y.shape[0]
    check_alignment(n, m)  # before the n x m step matrix is allocated
    steps = _scratch("steps", n * m, np.uint8).reshape((n, m))
    work = _scratch("work", _work_size(n, m, x.shape[1]), np.float64)
    with single_thread_blas():
        d = _dtw(x, y, x_mask, y_mask, w, win, steps, work)
    return float(np.sqrt(max(d, 0.0))), _backtrack(steps)


def _derivatives(seqs, masks):
    masks = [None] * len(seqs) if masks is None else masks
    pairs = [derivative_estimate(s, mk) for s, mk in zip(seqs, masks)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _pack(seqs, masks, name):
    if len(seqs) == 0:
        raise VrtrainerError(f"{name}: no sequences given")
    masks = [None] * len(seqs) if masks is None else list(masks)
    if len(masks) != len(seqs):
        raise VrtrainerError(f"{name}: {len(masks)} masks for {len(seqs)} sequences")
    pairs = [_as_seq(s, mk, f"{name}[{i}]") for i, (s, mk) in enumerate(zip(seqs, masks))]
    offsets = np.zeros(len(pairs) + 1, np.int64)
    offsets[1:] = np.cumsum([p[0].shape[0] for p in pairs])
    return (np.concatenate([p[0] for p in pairs]), offsets,
            np.concatenate([p[1] for p in pairs]))


def dtw_matrix(
    xs: list[np.ndarray],
    ys: list[np.ndarray] | None = None,
    *,
    x_masks: list[np.ndarray] | None = None,
    y_masks: list[np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    window: int | None = None,
    derivative: bool = False,
) -> np.ndarray:
    """DTW distances (len(xs), len(ys)) of many sequences against many, on all cores.

    With ``ys`` None the matrix of ``xs`` against themselves is computed once per
    pair (it is symmetric, diagonal 0).
    """
    if derivative:
        xs, x_masks = _derivatives(xs, x_masks)
        if ys is not None:
            ys, y_masks = _derivatives(ys, y_masks)
    xcat, xoff, xmcat = _pack(xs, x_masks, "xs")
    symmetric = ys is None
    if symmetric:
        ycat, yoff, ymcat = xcat, xoff, xmcat
    else:
        ycat, yoff, ymcat = _pack(ys, y_masks, "ys")
    if xcat.shape[1] != ycat.shape[1]:
        raise VrtrainerError(f"channel counts differ: {xcat.shape[1]} vs {ycat.shape[1]}")
    w = _weights(weights, xcat.shape[1])
    with single_thread_blas():
        return _dtw_many(xcat, xoff, xmcat, ycat, yoff, ymcat, w, _window(window), symmetric)
