"""Expert templates: a reference motion from several expert takes, with tolerances.

The reference is the DTW barycentre (DBA) of the experts' feature sequences;
the tolerance of each channel group (a joint's position, an angle, the wrist's
path) at each reference frame is ``hypot(floor, k * spread)`` where ``spread``
is how much the experts themselves differ there after alignment and ``floor``
is the sensor noise a perfectly repeated gesture still shows (default 1 cm,
10 degrees). An expert take far from the others is flagged and left out.

A template is saved as a :mod:`vrtrainer.takes.archive` (kind "vrtrainer.template",
versioned, no pickles), extension ``.vrref``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from vrtrainer import __version__
from vrtrainer.compare.dtw import dtw_matrix, dtw_path
from vrtrainer.compare.economy import MEASURES, motion_measures
from vrtrainer.compare.features import (
    LENGTH_KINDS,
    FeatureConfig,
    Features,
    Layout,
    build_layout,
    clock,
    default_config,
    features_as,
    hands_in,
    mirror_channels,
    on_clock,
    resample_values,
    smoothed,
)
from vrtrainer.compare.motion import jitter_rms, motion_speed, moving_frames
from vrtrainer.compare.score import MISMATCH_MOTION, SMOOTH_S, dissimilarity
from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.hands.hand import HAND_NAMES
from vrtrainer.takes.archive import ArraySpec, read_archive, write_archive
from vrtrainer.takes.take import MAX_FRAMES, Take
from vrtrainer.takes.timebase import check_times

KIND = "vrtrainer.template"
FORMAT_VERSION = 1
SUFFIX = ".vrref"
MAX_BYTES = 256 * 1024 * 1024
#: Widest tolerance a template may hold, in its channels' units (metres or radians):
#: 10 m or 10 rad passes any hand motion, so a wider one is a forged file.
MAX_TOLERANCE = 10.0
#: Most phases a template may declare (builders make at most 6).
MAX_PHASES = 64

_SPECS = {
    "values": ArraySpec(("<f8",), ("T", "C")),
    "mask": ArraySpec(("|b1",), ("T", "C")),
    "tolerance": ArraySpec(("<f8",), ("T", "C")),
    "times": ArraySpec(("<f8",), ("T",)),
    "phases": ArraySpec(("<i8",), ("P",)),
}


@dataclass(frozen=True)
class Tolerance:
    """How tolerances are made: noise floors and the multiple of the experts' spread."""

    floor_m: float = 0.01
    floor_deg: float = 10.0
    spread_factor: float = 2.0

    def __post_init__(self) -> None:
        for name in ("floor_m", "floor_deg", "spread_factor"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise VrtrainerError(f"tolerance {name} must be a positive number, not {v!r}")

    def floors(self, layout: Layout) -> np.ndarray:
        """Noise floor (C,) of each channel in its own unit (metres or radians)."""
        return np.where(np.isin(layout.kind, LENGTH_KINDS), self.floor_m,
                        np.radians(self.floor_deg))


@dataclass
class Template:
    """A reference motion (T, C) with its validity, tolerance envelope and provenance."""

    name: str
    values: np.ndarray
    mask: np.ndarray
    tolerance: np.ndarray
    times: np.ndarray
    config: FeatureConfig
    hands: tuple[int, ...]
    handedness: str
    phases: np.ndarray  # first frame of each phase after the first
    tolerance_rule: Tolerance = field(default_factory=Tolerance)
    experts: list[dict[str, Any]] = field(default_factory=list)
    rejection: float = float("nan")
    steadiness: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def layout(self) -> Layout:
        return build_layout(self.config, self.hands)

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0])

    def phase_of(self, frames: np.ndarray) -> np.ndarray:
        """Phase index (0-based) of reference frames."""
        return np.searchsorted(self.phases, frames, side="right")

    @property
    def n_phases(self) -> int:
        return int(self.phases.shape[0]) + 1

    def weights(self) -> np.ndarray:
        """Alignment weights (C,): channel weight over its typical tolerance squared."""
        typical = np.nanmedian(np.where(self.mask, self.tolerance, np.nan), axis=0)
        typical = np.where(np.isfinite(typical) & (typical > 0), typical,
                           self.tolerance_rule.floors(self.layout))
        return self.layout.weight / typical**2

    def on_clock(self, rate: float) -> Template:
        """The reference resampled onto a uniform clock at ``rate`` (phases kept by time)."""
        grid = clock(float(self.times[0]), float(self.times[-1]), rate)
        if grid.shape == self.times.shape and np.allclose(grid, self.times, rtol=0, atol=1e-9):
            return self
        values, mask = resample_values(self.values, self.mask, self.times, grid)
        tol, _ = resample_values(self.tolerance, np.ones_like(self.mask), self.times, grid)
        bounds = np.searchsorted(grid, self.times[self.phases]) if self.phases.size else []
        phases = np.unique(np.clip(np.asarray(bounds, np.int64), 1, grid.size - 1))
        return replace(self, values=values, mask=mask, tolerance=np.maximum(tol, 1e-12),
                       times=grid, phases=phases)

    def mirrored(self) -> Template:
        """The reference for the other hand (a left-handed trainee against right-handed
        experts): hands swapped, x reflected (see :func:`mirror_channels`)."""
        layout = self.layout
        values, mask = mirror_channels(self.values, self.mask, layout)
        tol, _ = mirror_channels(self.tolerance, self.mask, layout)
        return Template(
            name=self.name, values=values, mask=mask, tolerance=np.abs(tol),
            times=self.times, config=self.config,
            hands=tuple(sorted(1 - h for h in self.hands)),
            handedness="left" if self.handedness == "right" else "right",
            phases=self.phases, tolerance_rule=self.tolerance_rule, experts=self.experts,
            rejection=self.rejection, steadiness=self.steadiness,
            info={**self.info, "mirrored": not self.info.get("mirrored", False)},
        )


def dba(
    seqs: list[np.ndarray], masks: list[np.ndarray], weights: np.ndarray, iterations: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, list[np.ndarray]]:
    """DTW barycentre averaging of masked sequences.

    Starts from the medoid (least total DTW distance to the others) and
    repeatedly moves each average frame to the mean over the takes of each
    take's (masked) mean of its frames aligned to it. Returns the average,
    its mask (channels seen by some take), the spread across takes (standard
    deviation), the medoid index and the final paths (average frame, take
    frame) of each take.
    """
    dist = dtw_matrix(seqs, x_masks=masks, weights=weights)
    medoid = int(np.argmin(dist.sum(axis=1)))
    avg = seqs[medoid].copy()
    avg_mask = masks[medoid].copy()
    paths: list[np.ndarray] = []
    spread = np.zeros_like(avg)
    for _ in range(max(1, iterations)):
        total = np.zeros_like(avg)
        total2 = np.zeros_like(avg)
        count = np.zeros_like(avg)
        paths = []
        for s, m in zip(seqs, masks):
            _, path = dtw_path(avg, s, x_mask=avg_mask, y_mask=m, weights=weights)
            paths.append(path)
            # each take's frames aligned to an average frame are averaged first, so
            # a take that lingers (many frames on one) weighs no more than the others
            v = np.where(m[path[:, 1]], s[path[:, 1]], 0.0)
            ok = m[path[:, 1]].astype(float)
            own = np.zeros_like(avg)
            own_n = np.zeros_like(avg)
            np.add.at(own, path[:, 0], v)
            np.add.at(own_n, path[:, 0], ok)
            has = own_n > 0
            mean_k = np.where(has, own / np.where(has, own_n, 1.0), 0.0)
            total += mean_k
            total2 += mean_k * mean_k
            count += has
        seen = count > 0
        new = np.where(seen, total / np.where(seen, count, 1.0), avg)
        var = np.where(seen, total2 / np.where(seen, count, 1.0) - new**2, 0.0)
        spread = np.sqrt(np.maximum(var, 0.0))
        change = np.abs(new - avg)[seen].max(initial=0.0)
        avg, avg_mask = new, seen
        if change < 1e-6:
            break
    return avg, avg_mask, spread, medoid, paths


def group_tolerance(spread: np.ndarray, layout: Layout, rule: Tolerance) -> np.ndarray:
    """Tolerance (T, C): per channel group, hypot(floor, k * RMS-combined spread)."""
    groups = layout.groups()
    floors = rule.floors(layout)
    var = spread**2
    gvar = np.zeros((spread.shape[0], groups.max() + 1))
    np.add.at(gvar.T, groups, var.T)
    combined = np.sqrt(gvar[:, groups])
    return np.hypot(floors, rule.spread_factor * combined)


def _phases(values: np.ndarray, mask: np.ndarray, weights: np.ndarray, times: np.ndarray,
            max_phases: int = 6) -> np.ndarray:
    """Phase boundaries: the middle of each pause of the reference motion.

    A pause is a run of frames slower than half the median speed that touches
    neither end; with too many pauses the longest are used.
    """
    n = values.shape[0]
    if n < 5:
        return np.zeros(0, np.int64)
    still = ~moving_frames(motion_speed(values, mask, weights, times))
    runs = []
    i = 0
    while i < n:
        if still[i]:
            e = i
            while e + 1 < n and still[e + 1]:
                e += 1
            if i > 0 and e < n - 1:
                runs.append((e - i + 1, (i + e) // 2))
            i = e + 1
        else:
            i += 1
    runs.sort(reverse=True)
    return np.array(sorted(c for _, c in runs[:max_phases - 1]), np.int64)


def build_template(
    takes: list[Take],
    *,
    name: str = "",
    config: FeatureConfig | None = None,
    tolerance: Tolerance | None = None,
    names: list[str] | None = None,
    outlier_ratio: float = 2.0,
    iterations: int = 10,
) -> Template:
    """Reference and tolerance envelope from expert takes of one gesture.

    Takes performed left-handed are mirrored to the first take's handedness.
    Without ``config`` the default features are used, with the tools every take
    has (:func:`vrtrainer.compare.features.default_config`).
    A take whose mismatch with the reference is over ``outlier_ratio`` times
    the others' median (and beyond the tolerance) is flagged and left out, as
    long as two takes remain. Rejection is not calibrated here (see
    :func:`vrtrainer.compare.score.calibrate_rejection`).
    """
    if len(takes) < 1:
        raise VrtrainerError("building a reference needs at least one expert take")
    config = config or default_config(takes)
    rule = tolerance or Tolerance()
    names = names or [f"take {i + 1}" for i in range(len(takes))]
    handedness = takes[0].meta.handedness
    hands = hands_in(takes[0])
    feats: list[Features] = []
    raws: list[Features] = []
    for take, label in zip(takes, names):
        if take.n_frames < 3:
            raise VrtrainerError(f"{label}: a take of {take.n_frames} frames is too short")
        f = features_as(take, config, hands, handedness)
        if not f.mask.any():
            raise VrtrainerError(f"{label}: no tracked frames for the hands "
                                 f"{[HAND_NAMES[h] for h in hands]}")
        raws.append(f)
        feats.append(smoothed(f, SMOOTH_S))
    # one clock for all: takes recorded at different rates are averaged frame for frame
    rates = [(f.n_frames - 1) / max(float(f.times[-1] - f.times[0]), 1e-9) for f in feats]
    feats = [on_clock(f, float(np.median(rates))) for f in feats]
    layout = feats[0].layout
    base_w = layout.weight / rule.floors(layout) ** 2
    keep = list(range(len(feats)))
    flagged: set[int] = set()
    for _ in range(2):
        tpl = _assemble(feats, keep, base_w, layout, rule, config, hands, handedness, name,
                        iterations)
        # judged against the noise floors: the spread that an outlier itself
        # adds to the tolerances would otherwise hide it
        probe = replace(tpl, tolerance=np.broadcast_to(rule.floors(layout), tpl.values.shape))
        mism = np.array([dissimilarity(f, probe, overall=True) for f in raws])
        if len(keep) < 3:
            break
        new = set()
        for i in keep:
            others = np.median([mism[k] for k in keep if k != i])
            if mism[i] > outlier_ratio * others and mism[i] > 1.0:
                new.add(i)
        if not new or len(keep) - len(new) < 2:
            break
        flagged |= new
        keep = [k for k in keep if k not in flagged]
    tpl.experts = [
        {"name": names[i], "frames": feats[i].n_frames, "mismatch": round(float(mism[i]), 4),
         "outlier": i in flagged, "used": i in keep,
         "hand_length": feats[i].hand_lengths}
        for i in range(len(feats))
    ]
    tpl.steadiness = float(np.median([jitter_rms(raws[i]) for i in keep]))
    measured = [motion_measures(raws[i]) for i in keep]
    tpl.info["economy"] = {k: round(float(np.median([m[k] for m in measured])), 6)
                           for k in MEASURES}
    return tpl


def _assemble(feats, keep, base_w, layout, rule, config, hands, handedness, name, iterations):
    seqs = [feats[i].values for i in keep]
    masks = [feats[i].mask for i in keep]
    if len(keep) == 1:
        avg, avg_mask, spread, medoid = seqs[0], masks[0], np.zeros_like(seqs[0]), 0
    else:
        avg, avg_mask, spread, medoid, _ = dba(seqs, masks, base_w, iterations)
    times = feats[keep[medoid]].times
    times = times - times[0]
    tol = group_tolerance(spread, layout, rule)
    weights = layout.weight / np.nanmedian(np.where(avg_mask, tol, np.nan), axis=0) ** 2
    weights = np.where(np.isfinite(weights), weights, base_w)
    return Template(
        name=name, values=avg, mask=avg_mask, tolerance=tol, times=times, config=config,
        hands=hands, handedness=handedness, phases=_phases(avg, avg_mask, weights, times),
        tolerance_rule=rule,
        info={"created": datetime.now(UTC).isoformat(timespec="seconds"),
              "vrtrainer_version": __version__, "n_experts": len(keep),
              "mismatch": MISMATCH_MOTION},
    )


def save_template(template: Template, path: str | Path) -> Path:
    """Write ``template`` atomically to ``path``."""
    path = Path(path)
    header = {
        "name": template.name,
        "config": template.config.to_dict(),
        "hands": [HAND_NAMES[h] for h in template.hands],
        "handedness": template.handedness,
        "channels": list(template.layout.names),
        "tolerance_rule": {"floor_m": template.tolerance_rule.floor_m,
                           "floor_deg": template.tolerance_rule.floor_deg,
                           "spread_factor": template.tolerance_rule.spread_factor},
        "experts": template.experts,
        "rejection": None if not np.isfinite(template.rejection) else template.rejection,
        "steadiness": template.steadiness,
        "info": template.info,
        "conventions": "features per vrtrainer.compare.features; metres, radians, seconds",
    }
    arrays = {"values": template.values, "mask": template.mask,
              "tolerance": template.tolerance, "times": template.times,
              "phases": template.phases.astype(np.int64)}
    write_archive(path, KIND, FORMAT_VERSION, header, arrays)
    return path


def load_template(path: str | Path) -> Template:
    """Read a template, refusing anything malformed with an error naming the file."""
    header, arrays, sizes = read_archive(path, KIND, (FORMAT_VERSION,), _SPECS, MAX_BYTES,
                                         limits={"T": MAX_FRAMES, "P": MAX_PHASES})
    try:
        config = FeatureConfig.from_dict(header["config"])
        hands = tuple(sorted(HAND_NAMES.index(h) for h in header["hands"]))
        rule = Tolerance(**header["tolerance_rule"])
        handedness = str(header["handedness"])
        experts = list(header.get("experts", []))
        rejection = header.get("rejection")
        rejection = float("nan") if rejection is None else float(rejection)
        steadiness = float(header.get("steadiness", 0.0))
        name = str(header.get("name", ""))
        info = dict(header.get("info", {}))
    except (KeyError, TypeError, ValueError, VrtrainerError) as exc:
        raise InvalidFileError(path, f"template header is malformed: {exc}") from None
    if handedness not in HAND_NAMES:
        raise InvalidFileError(path, f"handedness {handedness!r} is not left or right")
    layout = build_layout(config, hands)
    if list(layout.names) != header.get("channels"):
        raise InvalidFileError(path, "channel list disagrees with the feature configuration")
    if sizes["C"] != layout.size:
        raise InvalidFileError(path, f"{sizes['C']} channels, the configuration makes "
                                     f"{layout.size}")
    if sizes["T"] < 2:
        raise InvalidFileError(path, "times are not strictly increasing over 2+ frames")
    check_times(arrays["times"], path)
    tol = arrays["tolerance"]
    if not (np.all(np.isfinite(tol)) and np.all(tol > 0) and np.all(tol <= MAX_TOLERANCE)):
        raise InvalidFileError(
            path, f"tolerances must be finite, positive and at most {MAX_TOLERANCE:g} "
            "(metres or radians; wider would pass any motion)"
        )
    if not np.all(np.isfinite(arrays["values"][arrays["mask"]])):
        raise InvalidFileError(path, "reference values are not finite")
    phases = arrays["phases"]
    if np.any(np.diff(phases) <= 0) or np.any(phases <= 0) or np.any(phases >= sizes["T"]):
        raise InvalidFileError(path, "phase boundaries are not increasing frame indices")
    return Template(
        name=name, values=arrays["values"], mask=arrays["mask"], tolerance=tol,
        times=arrays["times"], config=config, hands=hands, handedness=handedness,
        phases=phases, tolerance_rule=rule, experts=experts, rejection=rejection,
        steadiness=steadiness, info=info,
    )
