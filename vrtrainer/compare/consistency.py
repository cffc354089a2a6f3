"""How consistent a reference's expert takes are, and where its tolerance is wide and why.

For a trainer building a reference: each take's DTW distance to the reference
and to every other take (normalised: the RMS over aligned frames and channels
of the difference in typical tolerances, so 1 means "one tolerance apart"),
which takes differ from the others in one body part (a finger held wrong in
one take only is diluted in a whole-take distance, so parts are judged on
their own), and, per body part and phase, how wide the tolerance is against
the noise floor: wide because the experts themselves vary there, or at the
floor because they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vrtrainer.compare.dtw import dtw_path
from vrtrainer.compare.features import (
    ABDUCTION,
    FLEXION,
    LENGTH_KINDS,
    Features,
    features_as,
    smoothed,
)
from vrtrainer.compare.score import SMOOTH_S, _parts
from vrtrainer.compare.template import Template
from vrtrainer.takes.take import Take

#: A take differs from the others in a part when its distance to them there is
#: this many times the other takes' median, and beyond the noise floor.
PART_RATIO = 2.0
#: A whole take is inconsistent when its mean distance to the others is this many
#: times the other takes' median.
TAKE_RATIO = 1.6


@dataclass
class TakeConsistency:
    """One expert take against the reference and the other takes."""

    name: str
    frames: int
    to_reference: float  # normalised DTW distance, in typical tolerances
    to_others: float  # median normalised DTW distance to the other takes
    mismatch: float  # the template's own RMS mismatch against the noise floors
    outlier: bool  # flagged by the template and left out of it
    used: bool
    inconsistent: bool  # distance to the others well above theirs
    parts: dict[str, float] = field(default_factory=dict)  # per part: x the others' median
    differs_in: list[str] = field(default_factory=list)  # parts where it stands out

    @property
    def status(self) -> str:
        if self.outlier:
            return "outlier - left out"
        flags = []
        if self.inconsistent:
            flags.append("far from the others")
        if self.differs_in:
            flags.append("differs in " + ", ".join(self.differs_in))
        return "; ".join(flags) if flags else "consistent"

    @property
    def flagged(self) -> bool:
        return self.outlier or self.inconsistent or bool(self.differs_in)


@dataclass
class PartVariation:
    """How wide one body part's tolerance is, overall and per phase."""

    part: str
    unit: str  # 'cm' for positions, 'deg' for angles
    tolerance: float  # median tolerance over the part's channel groups and frames
    floor: float
    spread: float  # median of the experts' spread, one standard deviation (same unit)
    widest_phase: int  # 1-based
    phase_ratio: list[float]  # per phase: 90th percentile of tolerance / floor
    why: str


@dataclass
class ConsistencyReport:
    """Everything the trainer's reference report shows."""

    template: Template
    takes: list[TakeConsistency]
    pairwise: np.ndarray  # (N, N) normalised DTW distances
    parts: list[PartVariation]
    phase_bounds: list[tuple[float, float]]
    curves: dict[str, Any]  # per-finger curves for plots (see finger_curves)

    @property
    def flagged(self) -> list[TakeConsistency]:
        return [t for t in self.takes if t.flagged]

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template.name,
            "takes": [{"name": t.name, "frames": t.frames,
                       "to_reference": round(t.to_reference, 4),
                       "to_others": round(t.to_others, 4), "mismatch": t.mismatch,
                       "outlier": t.outlier, "used": t.used, "inconsistent": t.inconsistent,
                       "differs_in": t.differs_in, "status": t.status,
                       "parts": {k: round(v, 3) for k, v in t.parts.items()}}
                      for t in self.takes],
            "pairwise": np.round(self.pairwise, 4).tolist(),
            "parts": [{"part": p.part, "unit": p.unit, "tolerance": round(p.tolerance, 3),
                       "floor": round(p.floor, 3), "spread": round(p.spread, 3),
                       "widest_phase": p.widest_phase,
                       "phase_ratio": [round(r, 3) for r in p.phase_ratio], "why": p.why}
                      for p in self.parts],
            "phases": [{"phase": k + 1, "start_s": round(a, 3), "end_s": round(b, 3)}
                       for k, (a, b) in enumerate(self.phase_bounds)],
        }


def template_features(take: Take, tpl: Template) -> Features:
    """The take's smoothed features in the template's layout (mirrored if other-handed)."""
    return smoothed(features_as(take, tpl.config, tpl.hands, tpl.handedness), SMOOTH_S)


def _normalised(dist: float, path: np.ndarray, channel_weights: np.ndarray) -> float:
    """DTW distance (costs in typical tolerances) as an RMS per aligned frame and channel."""
    return float(dist / np.sqrt(len(path) * channel_weights.sum()))


def _onto_reference(f: Features, tpl: Template, weights: np.ndarray,
                    channel_weights: np.ndarray) -> tuple[float, np.ndarray]:
    """Distance to the reference, and the take's values averaged onto reference frames."""
    dist, path = dtw_path(tpl.values, f.values, x_mask=tpl.mask, y_mask=f.mask, weights=weights)
    i, j = path[:, 0], path[:, 1]
    ok = f.mask[j]
    total = np.zeros_like(tpl.values)
    count = np.zeros_like(tpl.values)
    np.add.at(total, i, np.where(ok, f.values[j], 0.0))
    np.add.at(count, i, ok)
    seen = count > 0
    mean = np.where(seen, total / np.where(seen, count, 1.0), np.nan)  # NaN: not seen
    return _normalised(dist, path, channel_weights), mean


def _group_norms(diff: np.ndarray, groups: np.ndarray, floors: np.ndarray) -> np.ndarray:
    """Per frame and channel group: norm of the difference over the group's floor."""
    ng = groups.max() + 1
    out = np.full((diff.shape[0], ng), np.nan)
    for g in range(ng):
        cols = groups == g
        out[:, g] = np.sqrt(np.sum(diff[:, cols] ** 2, axis=1)) / floors[cols][0]
    return out


def _unit(kind: int) -> tuple[str, float]:
    return ("cm", 100.0) if kind in LENGTH_KINDS else ("deg", float(np.degrees(1.0)))


def take_consistency(takes: list[Take], tpl: Template, names: list[str] | None = None
                     ) -> ConsistencyReport:
    """Consistency of ``takes`` (the ones ``tpl`` was built from, in order) and its variation."""
    names = names or [e.get("name", f"take {k + 1}") for k, e in enumerate(tpl.experts)]
    feats = [template_features(t, tpl) for t in takes]
    weights = tpl.weights()
    layout = tpl.layout
    groups = layout.groups()
    floors = tpl.tolerance_rule.floors(layout)
    part_names, part_of = _parts(layout)
    n = len(feats)

    to_ref = np.zeros(n)
    aligned = []
    for k, f in enumerate(feats):
        to_ref[k], mean = _onto_reference(f, tpl, weights, layout.weight)
        aligned.append(mean)
    pair = np.zeros((n, n))
    for a in range(n):
        for b in range(a + 1, n):
            d, path = dtw_path(feats[a].values, feats[b].values, x_mask=feats[a].mask,
                               y_mask=feats[b].mask, weights=weights)
            pair[a, b] = pair[b, a] = _normalised(d, path, layout.weight)
    to_others = np.array([np.median(np.delete(pair[k], k)) if n > 1 else 0.0
                          for k in range(n)])

    # per part: each take against each other take, frame by frame on the reference's clock
    part_dist = np.zeros((n, len(part_names)))
    for a in range(n):
        per_other = []
        for b in range(n):
            if b == a:
                continue
            diff = np.nan_to_num(aligned[a] - aligned[b])
            both = np.isfinite(aligned[a]) & np.isfinite(aligned[b])
            z = _group_norms(np.where(both, diff, 0.0), groups, floors)
            rms = [np.sqrt(np.nanmean(z[:, part_of == p] ** 2)) for p in range(len(part_names))]
            per_other.append(rms)
        part_dist[a] = np.median(per_other, axis=0) if per_other else 0.0

    results = []
    for k in range(n):
        others = [i for i in range(n) if i != k]
        expert = tpl.experts[k] if k < len(tpl.experts) else {}
        ratio_parts: dict[str, float] = {}
        differs: list[str] = []
        inconsistent = False
        if len(others) >= 2:
            for p, label in enumerate(part_names):
                typical = float(np.median(part_dist[others, p]))
                ratio = float(part_dist[k, p] / max(typical, 1e-9))
                ratio_parts[label] = ratio
                if ratio > PART_RATIO and part_dist[k, p] > 1.0:
                    differs.append(label)
            typical = float(np.median(to_others[others]))
            inconsistent = bool(to_others[k] > TAKE_RATIO * max(typical, 1e-9))
        results.append(TakeConsistency(
            name=names[k], frames=feats[k].n_frames, to_reference=float(to_ref[k]),
            to_others=float(to_others[k]), mismatch=float(expert.get("mismatch", np.nan)),
            outlier=bool(expert.get("outlier", False)), used=bool(expert.get("used", True)),
            inconsistent=inconsistent, parts=ratio_parts, differs_in=differs))

    return ConsistencyReport(
        template=tpl, takes=results, pairwise=pair,
        parts=part_variation(tpl, part_names, part_of),
        phase_bounds=phase_bounds(tpl),
        curves=finger_curves(tpl, aligned, part_names, part_of),
    )


def phase_bounds(tpl: Template) -> list[tuple[float, float]]:
    """(start, end) seconds of each phase of the reference."""
    edges = [0, *[int(b) for b in tpl.phases], tpl.n_frames - 1]
    return [(float(tpl.times[a]), float(tpl.times[b])) for a, b in zip(edges[:-1], edges[1:])]


def spread_of(tpl: Template) -> np.ndarray:
    """The experts' spread (T, C), recovered from tolerance = hypot(floor, k x spread)."""
    rule = tpl.tolerance_rule
    floors = rule.floors(tpl.layout)
    return np.sqrt(np.maximum(tpl.tolerance**2 - floors**2, 0.0)) / rule.spread_factor


def part_variation(tpl: Template, part_names: list[str], part_of: np.ndarray
                   ) -> list[PartVariation]:
    """Per body part: median tolerance, floor and spread, the widest phase, and why."""
    layout = tpl.layout
    groups = layout.groups()
    floors = tpl.tolerance_rule.floors(layout)
    spread = spread_of(tpl)
    k = tpl.tolerance_rule.spread_factor
    phase = tpl.phase_of(np.arange(tpl.n_frames))
    out = []
    for p, label in enumerate(part_names):
        cols = np.isin(groups, np.flatnonzero(part_of == p))
        # positions speak for the fingers (cm); a part without them (wrist turn) in angles
        lengths = cols & np.isin(layout.kind, LENGTH_KINDS)
        cols = lengths if lengths.any() else cols
        kind = int(layout.kind[np.flatnonzero(cols)[0]])
        unit, scale = _unit(kind)
        m = tpl.mask[:, cols]
        tol = np.where(m, tpl.tolerance[:, cols], np.nan)
        ratio = tol / floors[cols]
        # the 90th percentile: a finger that opens up for part of a phase shows
        per_phase = [float(np.nanpercentile(ratio[phase == k], 90)) if np.isfinite(
            ratio[phase == k]).any() else float("nan") for k in range(tpl.n_phases)]
        widest = int(np.nanargmax(per_phase)) if np.isfinite(per_phase).any() else 0
        med_spread = float(np.nanmedian(np.where(m, spread[:, cols], np.nan))) * scale
        floor = float(floors[cols][0]) * scale
        tol_med = float(np.nanmedian(tol)) * scale
        if per_phase[widest] > 1.5:
            why = (f"the experts vary: widest in phase {widest + 1}, "
                   f"{per_phase[widest]:.1f}x the noise floor")
        elif k * med_spread > floor:
            why = "the experts vary more than the noise floor throughout"
        else:
            why = "the experts agree: the tolerance is the noise floor"
        out.append(PartVariation(part=label, unit=unit, tolerance=tol_med, floor=floor,
                                 spread=med_spread, widest_phase=widest + 1,
                                 phase_ratio=per_phase, why=why))
    return out


def finger_curves(tpl: Template, aligned: list[np.ndarray], part_names: list[str],
                  part_of: np.ndarray) -> dict[str, Any]:
    """Per finger: mean flexion (deg) of the reference, its tolerance and each take aligned,
    and the mean position tolerance (cm) over time; for the report's plots."""
    layout = tpl.layout
    groups = layout.groups()
    out: dict[str, Any] = {"times": tpl.times.copy(), "fingers": {}}
    for p, label in enumerate(part_names):
        cols_part = np.isin(groups, np.flatnonzero(part_of == p))
        flex = cols_part & (layout.kind == FLEXION)
        pos = cols_part & np.isin(layout.kind, LENGTH_KINDS)
        entry: dict[str, Any] = {}
        if flex.any():
            deg = np.degrees
            entry["flexion"] = deg(np.nanmean(np.where(tpl.mask[:, flex], tpl.values[:, flex],
                                                       np.nan), axis=1))
            entry["flexion_tol"] = deg(np.nanmean(tpl.tolerance[:, flex], axis=1))
            entry["takes"] = [deg(np.nanmean(a[:, flex], axis=1)) for a in aligned]
        elif (cols_part & (layout.kind == ABDUCTION)).any():
            continue
        if pos.any():
            entry["position_tol_cm"] = 100.0 * np.nanmean(tpl.tolerance[:, pos], axis=1)
        if entry:
            out["fingers"][label] = entry
    out["floor_cm"] = 100.0 * tpl.tolerance_rule.floor_m
    return out
