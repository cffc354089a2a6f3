"""Scores 0-100 that a trainee and a trainer understand, from a take and a template.

The take is aligned to the reference with DTW; along the path every channel
group's error is measured in units of the reference's tolerance there
(``z``), and ``q = 2 ** -(z / 2) ** 2`` turns it into a quality (1 when exact,
0.84 at the tolerance, 0.5 at twice it). Components:

* shape: qualities averaged per body part (each finger, the wrist's path) and
  phase; the score mixes the mean with the worst part over any half second,
  so one finger held wrong for a moment is not diluted by everything done right;
* timing: overall tempo from the path (the trainee's time for the reference's
  span), irregularity of the local tempo across phases, and hesitations
  (the trainee stalls while the reference moves);
* steadiness: jitter and tremor beyond the experts' own, from the joints'
  high-frequency residual;
* coverage: the share of the reference actually observed (tracked) in the
  take. Untracked frames are not scored for shape, they only lower coverage;
* economy: how much more the take moved than the experts to do the same work
  (path travelled, turning, gripping, number of movements; see
  :mod:`vrtrainer.compare.economy`), halved at ECONOMY_HALF times theirs.

``total = 0.5 shape + 0.125 (timing + economy + steadiness + coverage)``: how
the gesture was made is half the score, the four ways of making it badly share
the other half. A take
whose overall mismatch is beyond the template's rejection threshold is
reported as another gesture (rejected), whatever its score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from vrtrainer.compare.dtw import dtw_path
from vrtrainer.compare.economy import excess, motion_measures
from vrtrainer.compare.features import (
    ABDUCTION,
    FLEXION,
    GRIPPER,
    KINDS,
    PATH,
    POSITION,
    TOOL,
    TOOL_KINDS,
    TOOL_PATH,
    TOOL_TURN,
    TURN,
    WORLD,
    Features,
    smoothed,
    take_features,
)
from vrtrainer.compare.motion import jitter_rms, motion_speed, moving_frames
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import FINGER_NAMES, HAND_NAMES, JOINT_NAMES
from vrtrainer.takes.take import Take

if TYPE_CHECKING:
    from vrtrainer.compare.template import Template

WEIGHTS = {"shape": 0.50, "timing": 0.125, "economy": 0.125, "steadiness": 0.125,
           "coverage": 0.125}
#: Pass needs this total and this shape score.
PASS_MARK = 70.0
MIN_COVERAGE = 0.7
#: Tempo factor at which the tempo part of timing is halved.
TEMPO_HALF = 1.6
#: Typical factor of extra motion over the experts' (path, turning, gripping, number
#: of movements) at which economy is halved: the same allowance as for tempo.
ECONOMY_HALF = TEMPO_HALF
#: Local-tempo irregularity (std of log ratio) at which that part is halved.
IRREGULARITY_HALF = 0.35
HESITATION_S = 0.3
HESITATION_PENALTY = 10.0
#: Jitter (m, RMS high-frequency residual) above the experts' at which steadiness halves.
STEADINESS_HALF = 0.0015
SHAPE_WORST_SHARE = 0.6
#: Length (s) of the stretch over which the worst part's quality is taken.
WORST_WINDOW_S = 0.5
#: A movement done in under this share of the expert's time counts as skipped.
SKIPPED_RATIO = 0.2
SKIP_MIN_S = 0.15
SKIP_MIN_TRAVEL = 2.0
#: Sakoe-Chiba band of the scoring alignment, as a share of the reference's length.
BAND_SHARE = 0.25
#: Width (s) of the moving average that separates shape from jitter.
SMOOTH_S = 0.1


def quality(z: np.ndarray) -> np.ndarray:
    """Quality 0..1 of an error measured in tolerances: 2 ** -(z/2)**2."""
    return np.exp2(-((np.asarray(z) / 2.0) ** 2))


@dataclass
class Score:
    """A take's score against a template, with everything needed to explain it."""

    total: float
    shape: float
    timing: float
    steadiness: float
    coverage: float
    passed: bool
    rejected: bool
    mismatch: float
    tempo: float
    hesitations: list[dict[str, float]]
    fingers: dict[str, float]
    joints: dict[str, float]
    phases: list[dict[str, Any]]
    messages: list[str]
    mirrored: bool
    template: str
    details: dict[str, Any] = field(default_factory=dict)
    #: Economy of motion 0-100 (see :mod:`vrtrainer.compare.economy`).
    economy: float = 100.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (non-finite numbers become None)."""
        def clean(v):
            if isinstance(v, float) and not np.isfinite(v):
                return None
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            return v

        return clean(asdict(self))


def _group_z(diff, seen, tol, groups, tmask):
    """Per frame and channel group: error norm over tolerance, and where it is scored."""
    ng = groups.max() + 1
    n = diff.shape[0]
    gseen = np.ones((n, ng), bool)
    gsq = np.zeros((n, ng))
    gtol = np.ones((n, ng))
    gref = np.ones((n, ng), bool)
    for g in range(ng):
        cols = groups == g
        gseen[:, g] = seen[:, cols].all(axis=1)
        gref[:, g] = tmask[:, cols].all(axis=1)
        gsq[:, g] = (diff[:, cols] ** 2).sum(axis=1)
        gtol[:, g] = tol[:, cols][:, 0]
    return np.sqrt(gsq) / gtol, gseen & gref, gref


def _aligned(feat: Features, tpl) -> dict[str, np.ndarray]:
    """Align the take to the reference and average the errors onto each side's frames.

    ``mean``/``z`` are per reference frame (the take's frames aligned to it
    averaged); ``z_take`` per take frame, so that a take that sits still
    through a whole movement of the reference (or moves through a still part
    of it) shows up from either side.
    """
    w = tpl.weights()
    # A band keeps the alignment from explaining a wrong pose by a long detour
    # through a moment of the reference that happens to resemble it (a held
    # wrong finger matched to the instant the expert's finger passed there):
    # beyond the difference in length, no more than BAND_SHARE of the
    # reference's length ahead of or behind it.
    window = max(8, int(round(BAND_SHARE * tpl.n_frames)))
    _, path = dtw_path(tpl.values, feat.values, x_mask=tpl.mask, y_mask=feat.mask, weights=w,
                       window=window)
    t, c = tpl.values.shape
    n = feat.n_frames
    i, j = path[:, 0], path[:, 1]
    ok = feat.mask[j] & tpl.mask[i]
    diff = np.where(ok, feat.values[j] - tpl.values[i], 0.0)
    groups = tpl.layout.groups()

    def onto(index, size, tol_rows):
        total = np.zeros((size, c))
        count = np.zeros((size, c))
        tol = np.zeros((size, c))
        np.add.at(total, index, diff)
        np.add.at(count, index, ok)
        np.add.at(tol, index, tpl.tolerance[tol_rows])
        seen = count > 0
        mean = np.where(seen, total / np.where(seen, count, 1.0), 0.0)
        hits = np.bincount(index, minlength=size)[:, None]
        return mean, seen, tol / np.maximum(hits, 1)

    mean, seen, _ = onto(i, t, i)
    z, gseen, gref = _group_z(mean, seen, tpl.tolerance, groups, tpl.mask)
    tmean, tseen, ttol = onto(j, n, i)
    z_take, tgseen, _ = _group_z(tmean, tseen, ttol, groups, np.ones((n, c), bool))
    return {"path": path, "mean": mean, "seen": seen, "z": z, "gseen": gseen, "gref": gref,
            "groups": groups, "z_take": z_take, "gseen_take": tgseen}


def _median_frame_rms(z, ok) -> float:
    rows = ok.any(axis=1)
    if not rows.any():
        return float("inf")
    per_frame = np.sqrt((np.where(ok, z, 0.0) ** 2).sum(axis=1)[rows] / ok.sum(axis=1)[rows])
    return float(np.median(per_frame))


def _mismatch(a: dict[str, np.ndarray]) -> tuple[float, float]:
    """(typical, overall) mismatch in tolerances from an alignment.

    Typical: the median over frames of each frame's RMS z, from the side of the
    reference and of the take, whichever is worse; robust to a flaw confined
    to part of the gesture, so it tells another gesture from a flawed try of
    this one. Overall: RMS of z over everything scored, which such a flaw does
    raise (used to flag inconsistent expert takes).
    """
    z, ok = a["z"], a["gseen"]
    if not ok.any():
        return float("inf"), float("inf")
    typical = max(_median_frame_rms(z, ok), _median_frame_rms(a["z_take"], a["gseen_take"]))
    return typical, float(np.sqrt(np.mean(z[ok] ** 2)))


def dissimilarity(feat: Features, tpl: Template, overall: bool = False) -> float:
    """Mismatch of a take's (smoothed) features with a template (see :func:`_mismatch`)."""
    typical, rms = _mismatch(_aligned(smoothed(feat, SMOOTH_S), tpl))
    return rms if overall else typical


def features_for(take: Take, tpl: Template) -> tuple[Features, Template, bool]:
    """The take's features for ``tpl``, mirroring the template for the other hand."""
    mirrored = take.meta.handedness != tpl.handedness
    use = tpl.mirrored() if mirrored else tpl
    feat = take_features(take, use.config, use.hands)
    return feat, use, mirrored


def _parts(layout) -> tuple[list[str], np.ndarray]:
    """Body part of every channel group: '<hand> <finger>', '<hand> wrist path', tools."""
    groups = layout.groups()
    names: list[str] = []
    part_of = np.zeros(groups.max() + 1, np.int64)
    for g in range(groups.max() + 1):
        c = int(np.flatnonzero(groups == g)[0])
        kind, hand, finger = int(layout.kind[c]), int(layout.hand[c]), int(layout.finger[c])
        if kind == TOOL or kind in TOOL_KINDS:
            label = "tool " + layout.names[c].split(".")[1]
        elif finger >= 0:
            label = f"{HAND_NAMES[hand]} {FINGER_NAMES[finger]}"
        else:
            label = f"{HAND_NAMES[hand]} wrist"
        if label not in names:
            names.append(label)
        part_of[g] = names.index(label)
    return names, part_of


def score_features(feat: Features, tpl: Template, *, mirrored: bool = False) -> Score:
    """Score a feature sequence against a template of the same layout."""
    if feat.layout.names != tpl.layout.names:
        raise VrtrainerError("the take's features do not match the template's channels")
    if feat.n_frames < 3:
        raise VrtrainerError(f"a take of {feat.n_frames} frames is too short to score")
    if not feat.mask.any():
        return _untracked(tpl, mirrored)
    raw = feat
    feat = smoothed(raw, SMOOTH_S)
    a = _aligned(feat, tpl)
    path, z, gseen, gref = a["path"], a["z"], a["gseen"], a["gref"]
    layout = tpl.layout
    groups = a["groups"]
    t = tpl.n_frames
    q = np.where(gseen, quality(np.where(gseen, z, 0.0)), 0.0)
    gweight = np.array([layout.weight[groups == g].mean() for g in range(groups.max() + 1)])

    # coverage: weighted share of the reference's groups observed in the take
    ref_w = (gref * gweight).sum()
    coverage = float((gseen * gweight).sum() / ref_w) if ref_w > 0 else 0.0

    # shape per part and phase
    part_names, part_of = _parts(layout)
    phase = tpl.phase_of(np.arange(t))
    n_phase = tpl.n_phases
    n_part = len(part_names)
    part_w = np.zeros((n_part, t))
    part_q = np.zeros((n_part, t))
    for p in range(n_part):
        gs = part_of == p
        part_w[p] = (gseen[:, gs] * gweight[gs]).sum(axis=1)
        part_q[p] = (q[:, gs] * gweight[gs]).sum(axis=1) / np.maximum(part_w[p], 1e-300)
    # timing
    ref_t = tpl.times
    take_t = feat.times - feat.times[0]
    start_j = path[path[:, 0] == 0, 1].max()
    end_j = path[path[:, 0] == t - 1, 1].min()
    span = max(take_t[end_j] - take_t[start_j], 1e-9)
    tempo = float(span / max(tpl.duration, 1e-9))
    speed = motion_speed(tpl.values, tpl.mask, tpl.weights(), tpl.times)
    moving = moving_frames(speed)
    local = []
    skipped = []
    take_rate = (feat.n_frames - 1) / max(take_t[-1], 1e-9)
    ref_rate = (t - 1) / max(tpl.duration, 1e-9)
    for ph in range(n_phase):
        # tempo over the phase's moving frames: a pause may be held longer or shorter
        rows = (phase == ph) & moving
        ref_span = rows.sum() / ref_rate
        if ref_span < 0.1:
            continue
        on = rows[path[:, 0]]
        take_span = np.unique(path[on, 1]).size / take_rate
        ratio = max(take_span, 1e-3) / ref_span / tempo
        local.append((np.log(ratio), ref_span))
    irregular = 0.0
    if local:
        lr = np.array(local)
        irregular = float(np.sqrt(np.average(lr[:, 0] ** 2, weights=lr[:, 1])))
    take_speed = motion_speed(feat.values, feat.mask, tpl.weights(), take_t)
    still = take_speed < 0.5 * np.median(motion_speed(tpl.values, tpl.mask, tpl.weights(),
                                                      tpl.times))
    hesitations = _hesitations(path, take_t, ref_t, start_j, end_j, phase, moving, still)
    timing = 100.0 * float(quality(2.0 * np.log(tempo) / np.log(TEMPO_HALF))) * float(
        quality(2.0 * irregular / IRREGULARITY_HALF))
    timing = max(0.0, timing - HESITATION_PENALTY * len(hesitations))
    # economy of motion: extra path, turning, gripping and movements over the experts'
    extra_motion, economy_ratios = _economy(raw, tpl)
    economy = 100.0 * float(quality(2.0 * extra_motion / np.log(ECONOMY_HALF)))
    # a phase the trainee went through in a fraction of its time was not done
    travel = speed / ref_rate  # tolerances travelled per reference frame
    skipped_frames = _skipped(path, travel, take_rate / ref_rate, ref_rate)
    skipped = sorted(set(int(p) for p in phase[skipped_frames]))
    part_q[:, skipped_frames] = 0.0
    cells = np.full((n_part, n_phase), np.nan)
    support = np.zeros((n_part, n_phase))
    for ph in range(n_phase):
        rows = phase == ph
        support[:, ph] = part_w[:, rows].sum(axis=1)
        has = support[:, ph] > 0
        cells[has, ph] = (part_q[has][:, rows] * part_w[has][:, rows]).sum(axis=1) / support[
            has, ph]
    valid_cells = np.isfinite(cells) & (support > 0)
    if valid_cells.any():
        mean_q = float(np.average(cells[valid_cells], weights=support[valid_cells]))
        worst_q = _worst_window(part_q, part_w, tpl)
        shape = 100.0 * ((1 - SHAPE_WORST_SHARE) * mean_q + SHAPE_WORST_SHARE * worst_q)
    else:
        shape = 0.0

    # steadiness
    jitter = jitter_rms(raw)
    excess = max(0.0, jitter - 1.5 * tpl.steadiness)
    steadiness = 100.0 * float(quality(2.0 * excess / STEADINESS_HALF))

    parts = {"shape": shape, "timing": timing, "economy": economy, "steadiness": steadiness,
             "coverage": 100.0 * coverage}
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    mismatch, overall = _mismatch(a)
    rejected = bool(np.isfinite(tpl.rejection) and mismatch > tpl.rejection)
    passed = bool(total >= PASS_MARK and shape >= PASS_MARK and coverage >= MIN_COVERAGE
                  and not rejected and not skipped)

    fingers = {}
    for p, label in enumerate(part_names):
        ok = valid_cells[p]
        if ok.any():
            fingers[label] = round(100.0 * float(np.average(cells[p, ok], weights=support[p, ok])),
                                   1)
    joints = {}
    for g in range(groups.max() + 1):
        c = int(np.flatnonzero(groups == g)[0])
        if layout.kind[c] != POSITION or not gseen[:, g].any():
            continue
        key = f"{HAND_NAMES[layout.hand[c]]}.{JOINT_NAMES[layout.joint[c]]}"
        joints[key] = round(100.0 * float(q[gseen[:, g], g].mean()), 1)
    phases = []
    for ph in range(n_phase):
        rows = phase == ph
        ok = valid_cells[:, ph]
        phases.append({
            "phase": ph + 1,
            "start_s": round(float(ref_t[rows][0]), 3),
            "end_s": round(float(ref_t[rows][-1]), 3),
            "shape": round(100.0 * float(np.average(cells[ok, ph], weights=support[ok, ph])), 1)
            if ok.any() else None,
            "parts": {part_names[p]: round(100.0 * float(cells[p, ph]), 1)
                      for p in np.flatnonzero(ok)},
        })
    messages = _messages(a, tpl, cells, valid_cells, part_names, part_of, phase, tempo,
                         hesitations, jitter, excess, coverage, rejected, skipped)
    if extra_motion > np.log(1.2) and len(messages) < 6:
        messages.append(_economy_message(economy_ratios))
    return Score(
        total=round(total, 2), shape=round(shape, 2), timing=round(timing, 2),
        steadiness=round(steadiness, 2), coverage=round(100.0 * coverage, 2),
        economy=round(economy, 2), passed=passed,
        rejected=rejected, mismatch=round(mismatch, 4), tempo=round(tempo, 4),
        hesitations=hesitations, fingers=fingers, joints=joints, phases=phases,
        messages=messages, mirrored=mirrored, template=tpl.name,
        details={"irregularity": round(irregular, 4),
                 "skipped_phases": [p + 1 for p in skipped],
                 "overall_mismatch": round(overall, 4),
                 "jitter_mm": round(1000 * jitter, 3),
                 "expert_jitter_mm": round(1000 * tpl.steadiness, 3),
                 "economy": {k: round(v, 3) for k, v in economy_ratios.items()},
                 "rejection_threshold": None if not np.isfinite(tpl.rejection)
                 else round(tpl.rejection, 4),
                 "weights": WEIGHTS, "pass_mark": PASS_MARK},
    )


def _economy(feat: Features, tpl: Template) -> tuple[float, dict[str, float]]:
    """Mean log-excess of the take's motion over the experts' (see compare.economy).

    Templates saved before economy was measured have none: no charge.
    """
    experts = tpl.info.get("economy")
    if not isinstance(experts, dict):
        return 0.0, {}
    experts = {k: float(v) for k, v in experts.items() if isinstance(v, (int, float))}
    return excess(motion_measures(feat), experts)


_ECONOMY_WORDS = {"travel": "path travelled", "turning": "turning", "gripping": "gripping",
                  "movements": "separate movements"}


def _economy_message(ratios: dict[str, float]) -> str:
    """The extra motion in words: the measures over the experts', largest first."""
    over = sorted(((r, k) for k, r in ratios.items() if r > 1.2), reverse=True)
    parts = ", ".join(f"{_ECONOMY_WORDS[k]} x{r:.1f}" for r, k in over[:3])
    return f"more motion than the experts for the same work ({parts})"


def _skipped(path: np.ndarray, travel: np.ndarray, expected: float, ref_rate: float
             ) -> np.ndarray:
    """Reference frames (bool) of movements the trainee did not make.

    Each take frame's time is shared among the reference frames aligned to
    it. A run of reference frames getting under SKIPPED_RATIO of their own
    duration (three times faster than the expert is still above it), lasting
    SKIP_MIN_S or more, over which the reference travels SKIP_MIN_TRAVEL
    tolerances or more, was skipped; a pause held shorter travels little.
    """
    t = travel.shape[0]
    per_take = np.bincount(path[:, 1])
    got = np.bincount(path[:, 0], weights=1.0 / per_take[path[:, 1]], minlength=t)
    low = got < SKIPPED_RATIO * expected
    out = np.zeros(t, bool)
    i = 0
    while i < t:
        if not low[i]:
            i += 1
            continue
        e = i
        while e + 1 < t and low[e + 1]:
            e += 1
        if (e - i + 1) / ref_rate >= SKIP_MIN_S and travel[i:e + 1].sum() >= SKIP_MIN_TRAVEL:
            out[i:e + 1] = True
        i = e + 1
    return out


def _untracked(tpl, mirrored: bool) -> Score:
    """The score of a take in which the reference's hands were never tracked."""
    hands = " and ".join(HAND_NAMES[h] for h in tpl.hands)
    what = f"the {hands} hand was" if hands else "the tools were"
    return Score(
        total=0.0, shape=0.0, timing=0.0, steadiness=0.0, coverage=0.0, economy=0.0,
        passed=False,
        rejected=False, mismatch=float("inf"), tempo=float("nan"), hesitations=[], fingers={},
        joints={}, phases=[], mirrored=mirrored, template=tpl.name,
        messages=[f"{what} never tracked: nothing to score"],
        details={"weights": WEIGHTS, "pass_mark": PASS_MARK},
    )


def _worst_window(part_q: np.ndarray, part_w: np.ndarray, tpl) -> float:
    """Lowest quality of any body part over any WORST_WINDOW_S of the reference.

    Windows where a part is mostly unobserved do not count (that is coverage).
    """
    t = part_q.shape[1]
    rate = (t - 1) / max(tpl.duration, 1e-9)
    k = int(min(t, max(1, round(WORST_WINDOW_S * rate))))
    kernel = np.ones(k)
    worst = 1.0
    for p in range(part_q.shape[0]):
        w = part_w[p]
        if not (w > 0).any():
            continue
        num = np.convolve(part_q[p] * w, kernel, mode="valid")
        den = np.convolve(w, kernel, mode="valid")
        enough = den >= 0.5 * k * np.median(w[w > 0])
        if enough.any():
            worst = min(worst, float((num[enough] / den[enough]).min()))
    return worst


def _hesitations(path, take_t, ref_t, start_j, end_j, phase, moving, still
                 ) -> list[dict[str, float]]:
    """Stalls: the trainee stops, on one moment of the reference's motion, for over
    HESITATION_S seconds.

    The very start and end (waiting to begin, lingering after) and the
    reference's own pauses (holding longer is not hesitating) do not count.
    """
    out = []
    inner = (path[:, 1] > start_j) & (path[:, 1] < end_j)
    p = path[inner]
    if p.shape[0] == 0:
        return out
    k = 0
    while k < p.shape[0]:
        e = k
        while e + 1 < p.shape[0] and p[e + 1, 0] == p[k, 0]:
            e += 1
        stall = take_t[p[e, 1]] - take_t[p[k, 1]]
        if (stall > HESITATION_S and moving[p[k, 0]]
                and still[p[k, 1]:p[e, 1] + 1].mean() > 0.5):
            out.append({"at_s": round(float(ref_t[p[k, 0]]), 3),
                        "seconds": round(float(stall), 3),
                        "phase": int(phase[p[k, 0]]) + 1})
        k = e + 1
    return out


def _messages(a, tpl, cells, valid_cells, part_names, part_of, phase, tempo, hesitations,
              jitter, excess, coverage, rejected, skipped) -> list[str]:
    """The largest problems in words, worst first."""
    layout = tpl.layout
    groups = a["groups"]
    found: list[tuple[float, str]] = []
    if rejected:
        found.append((1e9, f"this does not look like {tpl.name or 'the reference gesture'}"))
    for ph in skipped:
        found.append((2.0, f"part of phase {ph + 1} was skipped or rushed through"))
    skip = np.zeros(cells.shape[1], bool)
    skip[skipped] = True
    for p, ph in zip(*np.nonzero(valid_cells & (cells < 0.75) & ~skip[None, :])):
        label = part_names[p]
        rows = phase == ph
        gs = np.flatnonzero(part_of == p)
        cols = np.isin(groups, gs)
        severity = 1.0 - cells[p, ph]
        flex = cols & (layout.kind == FLEXION)
        text = None
        if flex.any():
            seen = a["seen"][rows][:, flex]
            if seen.any():
                d = np.degrees(a["mean"][rows][:, flex][seen].mean())
                if abs(d) >= 8:
                    how = "closed" if d > 0 else "open"
                    what = label if label.endswith("thumb") else f"{label} finger"
                    text = f"{what} {abs(d):.0f} degrees too {how} during phase {ph + 1}"
        if text is None:
            pos = cols & np.isin(layout.kind, (POSITION, PATH, WORLD, TOOL, TOOL_PATH))
            ang = cols & np.isin(layout.kind, (ABDUCTION, TURN, TOOL_TURN, GRIPPER))
            if pos.any():
                e = np.sqrt((a["mean"][rows][:, pos] ** 2).sum(axis=1)).max() / 3 ** 0.5
                what = "hand path" if "wrist" in label else label
                text = f"{what} off by {100 * e:.1f} cm during phase {ph + 1}"
            elif ang.any():
                e = np.degrees(np.abs(a["mean"][rows][:, ang]).max())
                text = f"{label} turned {e:.0f} degrees off during phase {ph + 1}"
        if text:
            found.append((severity, text))
    if tempo > 1.2 or tempo < 1 / 1.2:
        pct = abs(tempo - 1.0) * 100
        found.append((min(0.9, abs(np.log(tempo))),
                      f"{pct:.0f}% {'slower' if tempo > 1 else 'faster'} than the expert"))
    for h in hesitations:
        found.append((0.3, f"hesitated {h['seconds']:.1f} s during phase {h['phase']}"))
    if excess > 0.0005:
        found.append((min(0.9, excess / 0.003),
                      f"hand is unsteady: {1000 * jitter:.1f} mm of jitter"))
    if coverage < 0.95:
        found.append((1 - coverage, f"tracking lost for {100 * (1 - coverage):.0f}% of the "
                                    f"gesture (not scored there)"))
    found.sort(key=lambda f: -f[0])
    return [t for _, t in found[:6]]


def score_take(take: Take, template: Template, *, mirror: bool | None = None) -> Score:
    """Score ``take`` against ``template``.

    The template is mirrored when the take's performer is of the other
    handedness (``mirror`` forces it either way).
    """
    if mirror is None:
        mirror = take.meta.handedness != template.handedness
    use = template.mirrored() if mirror else template
    feat = take_features(take, use.config, use.hands)
    return score_features(feat, use, mirrored=mirror)


def calibrate_rejection(template: Template, positives: list[Features],
                        negatives: list[Features],
                        toward_negatives: float = 0.65) -> float:
    """Set and return the template's rejection threshold on mismatch.

    ``positives`` are takes of the gesture, ``negatives`` of other gestures
    (e.g. simulated), all with the template's layout. With a gap between the
    worst positive and the best negative the threshold sits in it, on a log
    scale ``toward_negatives`` of the way up (flawed trainees fall between the
    experts and other gestures); otherwise at the best-balanced cut.
    """
    pos = np.array([dissimilarity(f, template) for f in positives])
    neg = np.array([dissimilarity(f, template) for f in negatives])
    if pos.size == 0 or neg.size == 0:
        raise VrtrainerError("rejection needs positive and negative examples")
    hi, lo = pos.max(), neg.min()
    if lo > hi:
        thr = float(np.exp(np.log(hi) + toward_negatives * (np.log(lo) - np.log(hi))))
    else:
        cuts = np.unique(np.concatenate([pos, neg]))
        acc = [0.5 * ((pos <= c).mean() + (neg > c).mean()) for c in cuts]
        thr = float(cuts[int(np.argmax(acc))])
    template.rejection = thr
    template.info["rejection_calibration"] = {
        "positives": [round(float(v), 4) for v in pos],
        "negatives": [round(float(v), 4) for v in neg],
    }
    return thr


__all__ = [
    "KINDS", "PASS_MARK", "WEIGHTS", "Score", "calibrate_rejection", "dissimilarity",
    "features_for", "quality", "score_features", "score_take",
]
