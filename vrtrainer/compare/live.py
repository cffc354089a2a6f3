"""Live alignment: where the trainee is in the expert's motion, one frame at a time.

An online, open-end time warping in the manner of Dixon's OLTW: each incoming
frame adds one column of the accumulated-cost matrix, computed only over a
window of reference frames around the current best match, so every frame
costs the same (window x channels) however long the reference or the attempt.

Recurrence (symmetric weights, so that cells at different positions compare
fairly after dividing by i + j + 2)::
    D[i, j] = min(D[i-1, j] + c, D[i, j-1] + c, D[i-1, j-1] + 2c),  D[0, 0] = 2c

and the position after frame j is the window's argmin of D[i, j] / (i + j + 2).

Channels are the frame-local ones (wrist-local positions, flexion, spread)
plus the wrist's path relative to where the attempt started (the whole-take
path of :mod:`features` needs the whole take).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from vrtrainer.compare.features import (
    ABDUCTION,
    ABDUCTION_PAIRS,
    FLEXION,
    PATH,
    POSITION,
    POSITION_JOINTS,
    STANDARD_HAND_LENGTH,
    TURN,
    rotvec_matrix,
)
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import (
    FINGERS,
    JOINT_COUNT,
    ORIENTATION_VALID,
    POSITION_VALID,
    WRIST,
    HandFrame,
)

if TYPE_CHECKING:
    from vrtrainer.compare.template import Template

_POS_J = np.array(POSITION_JOINTS, np.int64)
# flexion triples (a, b, c): angle at b between bones a->b and b->c, in layout order
_FLEX = np.array([(ch[k - 1], ch[k], ch[k + 1]) for ch in ((WRIST, *f) for f in FINGERS)
                  for k in range(1, len(ch) - 1)], np.int64)
_ABD = np.array([(FINGERS[a][1], FINGERS[a][2], FINGERS[b][1], FINGERS[b][2])
                 for a, b in ABDUCTION_PAIRS], np.int64)
_LIVE_KINDS = (POSITION, FLEXION, ABDUCTION)
_MIDDLE_CHAIN = np.array((WRIST, *FINGERS[2]), np.int64)
#: Channels per hand in the live layout.
PER_HAND = 3 * len(POSITION_JOINTS) + len(_FLEX) + len(_ABD) + 3


@njit(cache=True)
def _quat_matrix(q):
    # float64 whatever q's type (numba's float() keeps a float32 a float32)
    x, y, z, w = np.float64(q[0]), np.float64(q[1]), np.float64(q[2]), np.float64(q[3])
    n = x * x + y * y + z * z + w * w
    s = 2.0 / n if n > 0 else 0.0
    m = np.empty((3, 3))
    m[0, 0] = 1 - s * (y * y + z * z)
    m[0, 1] = s * (x * y - z * w)
    m[0, 2] = s * (x * z + y * w)
    m[1, 0] = s * (x * y + z * w)
    m[1, 1] = 1 - s * (x * x + z * z)
    m[1, 2] = s * (y * z - x * w)
    m[2, 0] = s * (x * z - y * w)
    m[2, 1] = s * (y * z + x * w)
    m[2, 2] = 1 - s * (x * x + y * y)
    return m


@njit(cache=True)
def _frame_features(poses, flags, active, hands, scale, anchor, anchored, out, mask):
    """Live features of one frame into ``out``/``mask`` (PER_HAND per hand in ``hands``).

    ``anchor`` (H, 12) holds each hand's starting wrist position and rotation
    matrix; ``anchored[k]`` False sets it from this frame when the wrist is valid.
    """
    col = 0
    for k in range(hands.shape[0]):
        h = hands[k]
        act = active[h]
        pv = np.zeros(JOINT_COUNT, np.bool_)
        for j in range(JOINT_COUNT):
            pv[j] = act and (flags[h, j] & POSITION_VALID) != 0
        wv = pv[WRIST] and (flags[h, WRIST] & ORIENTATION_VALID) != 0
        r = _quat_matrix(poses[h, WRIST, 3:7])
        pw0 = np.float64(poses[h, WRIST, 0])
        pw1 = np.float64(poses[h, WRIST, 1])
        pw2 = np.float64(poses[h, WRIST, 2])
        loc = np.zeros((JOINT_COUNT, 3))
        for j in range(JOINT_COUNT):
            d0 = poses[h, j, 0] - pw0
            d1 = poses[h, j, 1] - pw1
            d2 = poses[h, j, 2] - pw2
            for a in range(3):
                loc[j, a] = r[0, a] * d0 + r[1, a] * d1 + r[2, a] * d2
        for jj in range(_POS_J.shape[0]):
            j = _POS_J[jj]
            ok = wv and pv[j] and scale[k] > 0
            for a in range(3):
                out[col] = loc[j, a] * scale[k] if ok else 0.0
                mask[col] = ok
                col += 1
        for t in range(_FLEX.shape[0]):
            a, b, c = _FLEX[t, 0], _FLEX[t, 1], _FLEX[t, 2]
            ok = pv[a] and pv[b] and pv[c] and act and (flags[h, b] & ORIENTATION_VALID) != 0
            val = 0.0
            if ok:
                # +X axis of joint b (first column of its rotation matrix)
                qx, qy, qz, qw = (float(poses[h, b, 3]), float(poses[h, b, 4]),
                                  float(poses[h, b, 5]), float(poses[h, b, 6]))
                qn = qx * qx + qy * qy + qz * qz + qw * qw
                qs = 2.0 / qn if qn > 0 else 0.0
                ax0 = 1 - qs * (qy * qy + qz * qz)
                ax1 = qs * (qx * qy + qz * qw)
                ax2 = qs * (qx * qz - qy * qw)
                u0 = poses[h, b, 0] - poses[h, a, 0]
                u1 = poses[h, b, 1] - poses[h, a, 1]
                u2 = poses[h, b, 2] - poses[h, a, 2]
                v0 = poses[h, c, 0] - poses[h, b, 0]
                v1 = poses[h, c, 1] - poses[h, b, 1]
                v2 = poses[h, c, 2] - poses[h, b, 2]
                cx = u1 * v2 - u2 * v1
                cy = u2 * v0 - u0 * v2
                cz = u0 * v1 - u1 * v0
                val = np.arctan2(-(cx * ax0 + cy * ax1 + cz * ax2), u0 * v0 + u1 * v1 + u2 * v2)
            out[col] = val
            mask[col] = ok
            col += 1
        side = 1.0 if h == 1 else -1.0
        for t in range(_ABD.shape[0]):
            m1, p1, m2, p2 = _ABD[t, 0], _ABD[t, 1], _ABD[t, 2], _ABD[t, 3]
            ok = wv and pv[m1] and pv[p1] and pv[m2] and pv[p2]
            val = 0.0
            if ok:
                e0 = loc[p1, 0] - loc[m1, 0]
                e1 = loc[p1, 1] - loc[m1, 1]
                e2 = loc[p1, 2] - loc[m1, 2]
                f0 = loc[p2, 0] - loc[m2, 0]
                f1 = loc[p2, 1] - loc[m2, 1]
                f2 = loc[p2, 2] - loc[m2, 2]
                nu = np.sqrt(e0 ** 2 + e1 ** 2 + e2 ** 2)
                nv = np.sqrt(f0 ** 2 + f1 ** 2 + f2 ** 2)
                su = min(1.0, max(-1.0, e0 / nu)) if nu > 0 else 0.0
                sv = min(1.0, max(-1.0, f0 / nv)) if nv > 0 else 0.0
                val = side * (np.arcsin(sv) - np.arcsin(su))
            out[col] = val
            mask[col] = ok
            col += 1
        if wv and not anchored[k]:
            anchor[k, 0] = pw0
            anchor[k, 1] = pw1
            anchor[k, 2] = pw2
            for a in range(3):
                for b in range(3):
                    anchor[k, 3 + 3 * a + b] = r[a, b]
            anchored[k] = True
        ok = wv and anchored[k]
        for a in range(3):
            v = 0.0
            if ok:
                v = (anchor[k, 3 + a] * (pw0 - anchor[k, 0])
                     + anchor[k, 6 + a] * (pw1 - anchor[k, 1])) + anchor[k, 9 + a] * (
                    pw2 - anchor[k, 2])
            out[col] = v
            mask[col] = ok
            col += 1


def _column_layout(ref, rmask, w):
    """The reference channel-major for :func:`_oltw_step`: values (C, T) with 0 where
    invalid, the weight of every valid value (C, T), 0 where invalid or unweighted,
    and each channel's count of invalid values before each frame (C, T + 1).

    A frame's costs then sum over channels with each channel's loop running along
    the reference frames, which vectorises; the zeros add nothing.
    """
    valid = np.asarray(rmask, bool) & (np.asarray(w) > 0.0)[None, :]
    ref_t = np.ascontiguousarray(np.where(valid, ref, 0.0).T)
    wm_t = np.ascontiguousarray(np.where(valid, np.asarray(w, np.float64)[None, :], 0.0).T)
    gaps = np.zeros((ref_t.shape[0], ref_t.shape[1] + 1), np.int64)
    gaps[:, 1:] = np.cumsum(~np.asarray(rmask, bool).T, axis=1)
    return ref_t, wm_t, gaps


@njit(cache=True)
def _oltw_step(ref_t, wm_t, gaps, w, y, ym, prev, cur, num, den, act, lo_prev, hi_prev, lo,
               hi, j):
    """Column ``j`` of the open-end warping over reference rows [lo, hi).

    ``ref_t``/``wm_t``/``gaps`` from :func:`_column_layout`; ``prev`` holds column j-1 over
    [lo_prev, hi_prev) (inf elsewhere), ``cur`` receives column j (inf outside the
    window); ``num``/``den`` are scratch of at least ``hi - lo``, ``act`` int64 of at
    least C. Returns the best row.
    """
    c = ref_t.shape[0]
    wtot = 0.0
    for k in range(c):
        if w[k] > 0.0:
            wtot += w[k]
    rows = hi - lo
    nm = num[:rows]
    dn = den[:rows]
    nm[:] = 0.0
    dn[:] = 0.0
    # the channels to sum, in channel order
    na = 0
    for k in range(c):
        if w[k] > 0.0 and ym[k]:
            act[na] = k
            na += 1
    # four channels a pass along the rows, each row's sums in channel order as the
    # plain per-row loop adds them; an invalid reference value adds an exact 0
    g = 0
    while g + 4 <= na:
        k0, k1, k2, k3 = act[g], act[g + 1], act[g + 2], act[g + 3]
        y0, y1, y2, y3 = y[k0], y[k1], y[k2], y[k3]
        r0 = ref_t[k0, lo:hi]
        r1 = ref_t[k1, lo:hi]
        r2 = ref_t[k2, lo:hi]
        r3 = ref_t[k3, lo:hi]
        w0 = wm_t[k0, lo:hi]
        w1 = wm_t[k1, lo:hi]
        w2 = wm_t[k2, lo:hi]
        w3 = wm_t[k3, lo:hi]
        if (gaps[k0, hi] == gaps[k0, lo] and gaps[k1, hi] == gaps[k1, lo]
                and gaps[k2, hi] == gaps[k2, lo] and gaps[k3, hi] == gaps[k3, lo]):
            # no invalid reference value in the window: the channels' weights as
            # scalars, half the loads
            v0, v1, v2, v3 = w[k0], w[k1], w[k2], w[k3]
            for t in range(rows):
                d0 = r0[t] - y0
                d1 = r1[t] - y1
                d2 = r2[t] - y2
                d3 = r3[t] - y3
                nm[t] = (((nm[t] + v0 * d0 * d0) + v1 * d1 * d1) + v2 * d2 * d2) + v3 * d3 * d3
                dn[t] = (((dn[t] + v0) + v1) + v2) + v3
            g += 4
            continue
        for t in range(rows):
            d0 = r0[t] - y0
            d1 = r1[t] - y1
            d2 = r2[t] - y2
            d3 = r3[t] - y3
            s = nm[t]
            s += w0[t] * d0 * d0 if w0[t] > 0.0 else 0.0
            s += w1[t] * d1 * d1 if w1[t] > 0.0 else 0.0
            s += w2[t] * d2 * d2 if w2[t] > 0.0 else 0.0
            s += w3[t] * d3 * d3 if w3[t] > 0.0 else 0.0
            nm[t] = s
            dn[t] = (((dn[t] + w0[t]) + w1[t]) + w2[t]) + w3[t]
        g += 4
    while g < na:
        k = act[g]
        yk = y[k]
        rk = ref_t[k, lo:hi]
        wk = wm_t[k, lo:hi]
        for t in range(rows):
            d = rk[t] - yk
            nm[t] += wk[t] * d * d if wk[t] > 0.0 else 0.0
            dn[t] += wk[t]
        g += 1
    best_i = lo
    best = np.inf
    for t in range(rows):
        i = lo + t
        cost = 0.0
        if dn[t] > 0.0:
            cost = nm[t] if dn[t] == wtot else nm[t] * (wtot / dn[t])
        if i == 0 and j == 0:
            v = 2.0 * cost
        else:
            v = np.inf
            if lo_prev <= i < hi_prev:
                v = prev[i] + cost
            if i > lo and cur[i - 1] + cost < v:
                v = cur[i - 1] + cost
            if i > 0 and lo_prev <= i - 1 < hi_prev and prev[i - 1] + 2.0 * cost < v:
                v = prev[i - 1] + 2.0 * cost
        cur[i] = v
        norm = v / (i + j + 2)
        if norm < best:
            best = norm
            best_i = i
    return best_i


@njit(cache=True)
def _joint_errors(y, ym, ref, rmask, tol, i, hands, scale, err, z):
    """Per-joint position error (m on the trainee's hand) and in tolerances, at row i."""
    err[:, :] = np.nan
    z[:, :] = np.nan
    for k in range(hands.shape[0]):
        h = hands[k]
        base = k * (3 * _POS_J.shape[0] + _FLEX.shape[0] + _ABD.shape[0] + 3)
        for jj in range(_POS_J.shape[0]):
            c = base + 3 * jj
            ok = True
            s = 0.0
            for a in range(3):
                if not (ym[c + a] and rmask[i, c + a]):
                    ok = False
                d = y[c + a] - ref[i, c + a]
                s += d * d
            if ok:
                d = np.sqrt(s)
                err[h, _POS_J[jj]] = d / scale[k]
                z[h, _POS_J[jj]] = d / tol[i, c]


@njit(cache=True)
def _live_step(poses, flags, active, hands, scale, anchor, anchored, y, ym, ref_t, wm_t, gaps, w,
               ref, rmask, tol, cols, num, den, act, st, err, z):
    """One trainee frame in one call: its features, the warping column, the joint
    errors at the best row. Returns (best row, its accumulated cost).

    ``cols`` (2, T) holds the last two columns (column j in ``cols[j % 2]``); ``st``
    = [j, previous column's window lo, hi, the window of the column before it (lo,
    hi), best row, window length], updated in place.
    """
    _frame_features(poses, flags, active, hands, scale, anchor, anchored, y, ym)
    n = ref_t.shape[1]
    j = st[0]
    win = st[6]
    lo = max(0, min(st[5] - win // 4, n - win))
    hi = min(n, lo + win)
    cur = cols[j % 2]
    prev = cols[1 - j % 2]
    # the column two frames back (now reused) holds values in its old window
    cur[st[3]:st[4]] = np.inf
    best = _oltw_step(ref_t, wm_t, gaps, w, y, ym, prev, cur, num, den, act, st[1], st[2],
                      lo, hi, j)
    st[3] = st[1]
    st[4] = st[2]
    st[1] = lo
    st[2] = hi
    st[5] = best
    st[0] = j + 1
    _joint_errors(y, ym, ref, rmask, tol, best, hands, scale, err, z)
    return best, cur[best]


@dataclass
class LiveState:
    """Where the trainee is after a frame."""

    frame: int  # trainee frames seen
    index: int  # best-matching reference frame
    progress: float  # 0..1 through the reference
    phase: int  # 1-based phase of the reference
    lead_s: float  # > 0 ahead of the expert, < 0 behind
    joint_error_m: np.ndarray  # (2, 26) metres on the trainee's hand, NaN where unknown
    joint_z: np.ndarray  # (2, 26) errors in tolerances, NaN where unknown
    cost: float  # normalised accumulated cost at the best match
    # joint_error_m and joint_z are the aligner's buffers, overwritten by the next
    # step (no allocation per frame): copy them to keep them.


def live_reference(template: Template) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The template's live channels: (values, mask, tolerance), each (T, C_live).

    Frame-local channels are taken as they are; the path relative to the
    start is rebuilt from the template's mean-relative path and turn.
    """

    layout = template.layout
    if not (template.config.positions and template.config.angles and template.config.path):
        raise VrtrainerError("live alignment needs a template with positions, angles and path")
    vals, masks, tols = [], [], []
    for h in template.hands:
        own = layout.hand == h
        local = own & np.isin(layout.kind, _LIVE_KINDS)
        path = np.flatnonzero(own & (layout.kind == PATH))
        turn = np.flatnonzero(own & (layout.kind == TURN))
        vals.append(template.values[:, local])
        masks.append(template.mask[:, local])
        tols.append(template.tolerance[:, local])
        ok = np.asarray(template.mask[:, path].all(axis=1) & template.mask[:, turn].all(axis=1))
        first = int(np.argmax(ok)) if ok.any() else 0
        r0 = rotvec_matrix(template.values[first, turn])
        rel = (template.values[:, path] - template.values[first, path]) @ r0
        vals.append(rel)
        masks.append(np.repeat(ok[:, None], 3, axis=1))
        tols.append(template.tolerance[:, path])
    return (np.ascontiguousarray(np.concatenate(vals, axis=1)),
            np.ascontiguousarray(np.concatenate(masks, axis=1)),
            np.ascontiguousarray(np.concatenate(tols, axis=1)))


class LiveAligner:
    """Follows a trainee against a template frame by frame at a constant cost.

    ``window_s`` is the span of reference considered around the current
    position; ``mirror`` compares with the mirrored template (a trainee of the
    other handedness); ``hand_length`` (m) scales the trainee's positions
    (default: estimated from the first tracked frames' bones and refined).
    """

    def __init__(self, template: Template, *, window_s: float = 2.0, mirror: bool = False,
                 hand_length: float | None = None) -> None:
        tpl = template.mirrored() if mirror else template
        self.template = tpl
        self.values, self.mask, self.tolerance = live_reference(tpl)
        self.hands = np.array(tpl.hands, np.int64)
        typical = np.nanmedian(np.where(self.mask, self.tolerance, np.nan), axis=0)
        typical = np.where(np.isfinite(typical) & (typical > 0), typical, 1.0)
        self.weights = np.ascontiguousarray(1.0 / typical**2)
        n = self.values.shape[0]
        rate = (n - 1) / max(tpl.duration, 1e-9)
        self.window = int(min(n, max(8, round(window_s * rate))))
        self._fixed_length = hand_length
        self._ref_t, self._wm_t, self._gaps = _column_layout(self.values, self.mask, self.weights)
        self._cols = np.full((2, n), np.inf)
        self._num = np.zeros(n)
        self._den = np.zeros(n)
        self._act = np.zeros(self.values.shape[1], np.int64)
        self._st = np.zeros(7, np.int64)
        self._y = np.zeros(self.values.shape[1])
        self._ym = np.zeros(self.values.shape[1], np.bool_)
        self._anchor = np.zeros((len(self.hands), 12))
        self._anchored = np.zeros(len(self.hands), np.bool_)
        self._scale = np.zeros(len(self.hands))
        self._err = np.full((2, JOINT_COUNT), np.nan)
        self._z = np.full((2, JOINT_COUNT), np.nan)
        # per reference row, as Python numbers: the state is built without numpy calls
        self._row_phase = (np.searchsorted(tpl.phases, np.arange(n), side="right") + 1).tolist()
        self._row_time = np.asarray(tpl.times, np.float64).tolist()
        self._last_row = max(1, n - 1)
        self.reset()

    def reset(self) -> None:
        """Start a new attempt."""
        self._j = 0
        self._st[:] = 0
        self._st[6] = self.window
        self._t0: float | None = None
        self._anchored[:] = False
        self._cols[:] = np.inf
        self._lengths: list[list[float]] = [[] for _ in self.hands]
        self._settled = False
        for k in range(len(self.hands)):
            length = self._fixed_length or STANDARD_HAND_LENGTH
            self._scale[k] = STANDARD_HAND_LENGTH / length

    def _update_scale(self, frame: HandFrame) -> None:
        """Hand length from the middle finger's bones over the first tracked frames."""
        if self._fixed_length is not None or self._settled:
            return
        chain = _MIDDLE_CHAIN
        settled = True
        for k, h in enumerate(self.hands):
            lengths = self._lengths[k]
            if len(lengths) >= 45:
                continue
            settled = False
            if not frame.active[h] or not np.all(frame.flags[h, chain] & POSITION_VALID):
                continue
            p = frame.poses[h, chain, :3].astype(np.float64)
            lengths.append(float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()))
            self._scale[k] = STANDARD_HAND_LENGTH / float(np.median(lengths))
        self._settled = settled

    def step(self, frame: HandFrame) -> LiveState:
        """Take one trainee frame; return where the trainee is now."""
        if self._t0 is None:
            self._t0 = float(frame.time)
        if not self._settled:
            self._update_scale(frame)
        i, v = _live_step(frame.poses, frame.flags, frame.active, self.hands, self._scale,
                          self._anchor, self._anchored, self._y, self._ym, self._ref_t,
                          self._wm_t, self._gaps, self.weights, self.values, self.mask,
                          self.tolerance, self._cols, self._num, self._den, self._act, self._st,
                          self._err, self._z)
        self._j += 1
        return LiveState(
            frame=self._j, index=i, progress=i / self._last_row, phase=self._row_phase[i],
            lead_s=self._row_time[i] - (float(frame.time) - self._t0),
            joint_error_m=self._err, joint_z=self._z, cost=v / (i + self._j + 1),
        )

__all__ = ["PER_HAND", "LiveAligner", "LiveState", "live_reference"]
