"""Slow, plain-numpy twins of the comparator's numba kernels: the tests' oracle.

Each function follows the definition in the kernel's module docstring as
literally as possible, with no tricks (no BLAS expansion, no row pairing).
"""

from __future__ import annotations

import numpy as np


def cost_matrix(x, y, xm=None, ym=None, w=None):
    """Masked, weighted squared Euclidean local costs (n, m)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    xm = np.isfinite(x) if xm is None else np.asarray(xm, bool) & np.isfinite(x)
    ym = np.isfinite(y) if ym is None else np.asarray(ym, bool) & np.isfinite(y)
    w = np.ones(x.shape[1]) if w is None else np.asarray(w, float)
    wtot = w[w > 0].sum()
    out = np.zeros((x.shape[0], y.shape[0]))
    for i in range(x.shape[0]):
        for j in range(y.shape[0]):
            both = xm[i] & ym[j] & (w > 0)
            den = w[both].sum()
            if den == 0:
                continue
            num = float(np.sum(w[both] * (x[i, both] - y[j, both]) ** 2))
            out[i, j] = num if np.isclose(den, wtot, rtol=1e-15, atol=0) else num * wtot / den
    return out


def band_allows(n, m, window):
    """(n, m) bool: cells inside dtaidistance's Sakoe-Chiba band."""
    ok = np.ones((n, m), bool)
    if window:
        for i in range(n):
            for j in range(m):
                ok[i, j] = (i - max(0, n - m) - window < j < i + max(0, m - n) + window)
    return ok


def accumulate(cost, window=None):
    """Accumulated cost matrix D with inf outside the band."""
    n, m = cost.shape
    ok = band_allows(n, m, window)
    acc = np.full((n, m), np.inf)
    for i in range(n):
        for j in range(m):
            if not ok[i, j]:
                continue
            if i == 0 and j == 0:
                acc[i, j] = cost[i, j]
                continue
            best = np.inf
            if i > 0 and j > 0:
                best = min(best, acc[i - 1, j - 1])
            if i > 0:
                best = min(best, acc[i - 1, j])
            if j > 0:
                best = min(best, acc[i, j - 1])
            acc[i, j] = cost[i, j] + best
    return acc


def backtrack(acc):
    """Path from (0, 0) to the end; ties prefer diagonal, then up, then left."""
    i, j = acc.shape[0] - 1, acc.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            d, u, left = acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]
            if d <= u and d <= left:
                i, j = i - 1, j - 1
            elif u <= left:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return np.array(path[::-1])


def dtw(x, y, xm=None, ym=None, w=None, window=None):
    """(distance, path) by the definition."""
    acc = accumulate(cost_matrix(x, y, xm, ym, w), window)
    return float(np.sqrt(acc[-1, -1])), backtrack(acc)


def derivative(x, xm=None):
    """Keogh-Pazzani derivative and its validity."""
    x = np.asarray(x, float)
    xm = np.isfinite(x) if xm is None else np.asarray(xm, bool) & np.isfinite(x)
    n = x.shape[0]
    if n == 1:
        return np.zeros_like(x), xm.copy()
    d = np.zeros_like(x)
    dm = np.zeros_like(xm)
    d[0] = x[1] - x[0]
    dm[0] = xm[0] & xm[1]
    d[-1] = x[-1] - x[-2]
    dm[-1] = xm[-1] & xm[-2]
    for i in range(1, n - 1):
        d[i] = ((x[i] - x[i - 1]) + (x[i + 1] - x[i - 1]) / 2) / 2
        dm[i] = xm[i - 1] & xm[i] & xm[i + 1]
    return d, dm


def oltw(ref, rmask, w, ys, yms, window):
    """Windowed open-end time warping, column by column: [(best row, column values)].

    Window for column j: ``window`` rows starting a quarter window before the
    previous best row (clamped); symmetric steps (diagonal counts twice);
    best row = argmin of D / (i + j + 2) (first on ties).
    """
    n = ref.shape[0]
    prev = {}
    best = 0
    out = []
    for j, (y, ym) in enumerate(zip(ys, yms)):
        lo = max(0, min(best - window // 4, n - window))
        hi = min(n, lo + window)
        cost = cost_matrix(ref[lo:hi], y[None, :], rmask[lo:hi], ym[None, :], w)[:, 0]
        cur = {}
        for k, i in enumerate(range(lo, hi)):
            c = cost[k]
            if i == 0 and j == 0:
                v = 2 * c
            else:
                v = min(prev.get(i, np.inf) + c, cur.get(i - 1, np.inf) + c,
                        prev.get(i - 1, np.inf) + 2 * c)
            cur[i] = v
        norms = [cur[i] / (i + j + 2) for i in range(lo, hi)]
        best = lo + int(np.argmin(norms))
        out.append((best, np.array([cur[i] for i in range(lo, hi)])))
        prev = cur
    return out
