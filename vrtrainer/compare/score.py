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

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from vrtrainer.compare.dtw import dtw_path
from vrtrainer.compare.economy import excess, motion_measures
from vrtrainer.compare.features import (
    ABDUCTION,
    CENTRED,
    FACING,
    FLEXION,
    GRIPPER,
    KINDS,
    PALM_RELATIVE,
    PATH,
    POSITION,
    TOOL,
    TOOL_KINDS,
    TOOL_PATH,
    TOOL_TURN,
    TURN,
    WORLD,
    Features,
    on_clock,
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
STEADINESS_HALF = 0.005
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
#: Width (s) of the moving average of the shapes compared to tell another gesture.
REJECT_SMOOTH_S = 0.3
#: How a template's "another gesture" mismatch weighs its channel groups
#: (``Template.info["mismatch"]``): "motion" weighs each group by the square of how far
#: it moves in the reference, in its own tolerances, so that what changes during the
#: gesture (a swipe's path, a pinch's fingers) decides what the gesture is, and a
#: person's resting hand shape does not. References written before it weigh every group
#: alike (their calibrated threshold was measured that way).
MISMATCH_MOTION = "motion"
#: Channel kinds kept in the room's axes (see features), left out of the skipped rule.
ROOM_AXES_KINDS = (CENTRED, FACING, PALM_RELATIVE)
#: Weight of a group that does not move at all in the reference (relative to one that
#: moves by one tolerance).
STILL_GROUP_WEIGHT = 1e-3
#: Reference and take are compared on one clock at this rate (frames per second), so
#: that neither one's frame rate changes the score.
SCORE_RATE = 30.0
#: A take done this many times slower or faster than the expert fails, however well.
TEMPO_LIMIT = 2.5
#: Jitter or tremor (m, see motion.jitter_rms) beyond the experts' level that
#: fails a take, and the multiple of the experts' own level always allowed.
UNSTEADY_LIMIT = 0.013
UNSTEADY_RATIO = 2.0
#: A movement of the reference is skipped (not just rushed) when the take travels
#: under this share of the reference's distance over the frames aligned to it.
SKIP_TRAVEL_SHARE = 0.5
#: ... judged only where the take tracked the part on this share of those frames: a
#: movement seen through heavy dropout looks smaller than it was, and lost tracking is
#: the tracking rule's to charge (at 0.5, 35 % dropout read as a skipped movement).
SKIP_TRACKED = 0.8
#: Order in which the rules decide a verdict (the first broken one names it).
RULES = ("another gesture", "tracking", "skipped", "tempo", "unsteady", "part", "shape",
         "total")
#: A body part whose quality over any WORST_WINDOW_S stays under this fails the take.
PART_MARK = 0.4
#: A take lasting over LENGTH_LIMIT times the reference and over LENGTH_FLOOR_S fails on
#: tempo without a frame-by-frame comparison: far beyond TEMPO_LIMIT and beyond a step's
#: default time limit (4 times the ghost, 20 s at least; the floor leaves a pack's own
#: limits up to 5 minutes compared), while its cost on the scoring clock grows with its
#: length (a 40-minute take against a 3 s pinch: 3 s of CPU and 770 MB; 0.3 s at the floor).
LENGTH_LIMIT = 40.0
LENGTH_FLOOR_S = 300.0


def quality(z: ArrayLike) -> np.ndarray:
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
    #: "pass", "fail" or "rejected" (another gesture).
    verdict: str = ""
    #: The rule that decided a FAIL or REJECTED, with its mark, in words ("" on a pass).
    verdict_rule: str = ""
    #: The total needed to pass.
    pass_mark: float = PASS_MARK
    #: Every rule the take broke, deciding one first: {"rule", "value", "limit", "text"}.
    reasons: list[dict[str, Any]] = field(default_factory=list)

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


def _aligned(feat: Features, tpl, room_axes: bool = True) -> dict[str, np.ndarray]:
    """Align the take to the reference and average the errors onto each side's frames.

    ``mean``/``z`` are per reference frame (the take's frames aligned to it
    averaged); ``z_take`` per take frame, so that a take that sits still
    through a whole movement of the reference (or moves through a still part
    of it) shows up from either side. Without ``room_axes`` the alignment leaves out
    the channels kept in the room's axes: the scoring alignment matches how the hand
    moves in its own frame, and those channels only add their errors.
    """
    w = tpl.weights()
    if not room_axes:
        w = np.where(np.isin(tpl.layout.kind, ROOM_AXES_KINDS), 0.0, w)
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
        # sums per frame: bincount adds in path order like np.add.at (same bits) at a
        # small fraction of its cost on long takes
        cells = (index[:, None] * c + np.arange(c)).ravel()

        def summed(values):
            return np.bincount(cells, weights=np.ascontiguousarray(values, np.float64).ravel(),
                               minlength=size * c).reshape(size, c)

        total = summed(diff)
        count = summed(ok.astype(np.float64))
        tol = summed(tpl.tolerance[tol_rows])
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


def _median_frame_rms(z, ok, weights=None) -> float:
    rows = ok.any(axis=1)
    if not rows.any():
        return float("inf")
    w = np.ones(z.shape[1]) if weights is None else weights
    num = ((np.where(ok, z, 0.0) ** 2) * w).sum(axis=1)[rows]
    per_frame = np.sqrt(num / (ok * w).sum(axis=1)[rows])
    return float(np.median(per_frame))


def motion_weights(ref: Template) -> np.ndarray:
    """Weight of each channel group in the "another gesture" mismatch (see
    :data:`MISMATCH_MOTION`): the square of the group's RMS movement about its mean
    over the reference, divided by its median tolerance, plus :data:`STILL_GROUP_WEIGHT`."""
    groups = ref.layout.groups()
    out = np.full(groups.max() + 1, STILL_GROUP_WEIGHT)
    for g in range(out.size):
        cols = groups == g
        ok = ref.mask[:, cols].all(axis=1)
        if ok.sum() < 2:
            continue
        v = ref.values[ok][:, cols]
        spread = float(np.sqrt(((v - v.mean(axis=0)) ** 2).sum(axis=1).mean()))
        tol = float(np.median(ref.tolerance[ok][:, cols][:, 0]))
        out[g] += (spread / max(tol, 1e-9)) ** 2
    return out


def _mismatch(a: dict[str, np.ndarray], weights: np.ndarray | None = None
              ) -> tuple[float, float]:
    """(typical, overall) mismatch in tolerances from an alignment.

    Typical: the median over frames of each frame's RMS z (groups weighted by
    ``weights``), from the side of the reference and of the take, whichever is
    worse; robust to a flaw confined to part of the gesture, so it tells another
    gesture from a flawed try of this one. Overall: RMS of z over everything
    scored, which such a flaw does raise (used to flag inconsistent expert takes).
    """
    z, ok = a["z"], a["gseen"]
    if not ok.any():
        return float("inf"), float("inf")
    typical = max(_median_frame_rms(z, ok, weights),
                  _median_frame_rms(a["z_take"], a["gseen_take"], weights))
    return typical, float(np.sqrt(np.mean(z[ok] ** 2)))


def _reject_mismatch(feat: Features, tpl: Template) -> tuple[float, float]:
    f, ref = _slow_shapes(feat, tpl)
    weights = motion_weights(ref) if tpl.info.get("mismatch") == MISMATCH_MOTION else None
    return _mismatch(_aligned(f, ref), weights)


def dissimilarity(feat: Features, tpl: Template, overall: bool = False) -> float:
    """Mismatch of a take's (smoothed) features with a template (see :func:`_mismatch`)."""
    typical, rms = _reject_mismatch(feat, tpl)
    return rms if overall else typical


def _slow_shapes(feat: Features, tpl: Template) -> tuple[Features, Template]:
    """Take and reference on the common clock, smoothed over REJECT_SMOOTH_S: whether a
    take is another gesture is judged on its slow shape, so that noise and tremor
    (steadiness) do not make the right gesture look like another one."""
    f = smoothed(on_clock(smoothed(feat, SMOOTH_S), SCORE_RATE), REJECT_SMOOTH_S)
    ref = tpl.on_clock(SCORE_RATE)
    r = smoothed(Features(ref.values, ref.mask, ref.times, feat.layout, {}), REJECT_SMOOTH_S)
    return f, replace(ref, values=r.values)


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
    """Score a feature sequence against a template of the same layout.

    Both are put on one clock (:data:`SCORE_RATE`) first; jitter is measured on
    the take's own frames by a rate-independent estimate.
    """
    if feat.layout.names != tpl.layout.names:
        raise VrtrainerError("the take's features do not match the template's channels")
    if feat.n_frames < 3:
        raise VrtrainerError(f"a take of {feat.n_frames} frames is too short to score")
    if not feat.mask.any():
        return _untracked(tpl, mirrored)
    length = float(feat.times[-1] - feat.times[0])
    if length > max(LENGTH_LIMIT * tpl.duration, LENGTH_FLOOR_S):
        return _too_long(tpl, mirrored, length)
    raw = feat
    jitter = jitter_rms(raw)
    feat = on_clock(smoothed(raw, SMOOTH_S), SCORE_RATE)
    tpl = tpl.on_clock(SCORE_RATE)
    a = _aligned(feat, tpl, room_axes=False)
    path, z, gseen, gref = a["path"], a["z"], a["gseen"], a["gref"]
    layout = tpl.layout
    groups = a["groups"]
    t = tpl.n_frames
    q = np.where(gseen, quality(np.where(gseen, z, 0.0)), 0.0)
    gweight = np.array([layout.weight[groups == g].mean() for g in range(groups.max() + 1)])

    # timing: the take's span aligned to the reference's
    ref_t = tpl.times
    take_t = feat.times - feat.times[0]
    start_j = path[path[:, 0] == 0, 1].max()
    end_j = path[path[:, 0] == t - 1, 1].min()

    # coverage: the reference's groups observed in the take, and the take's own frames
    # tracked over its aligned span (a few tracked frames stretched over the whole
    # reference by the alignment do not cover it)
    ref_w = (gref * gweight).sum()
    coverage = float((gseen * gweight).sum() / ref_w) if ref_w > 0 else 0.0
    tg = np.stack([feat.mask[start_j:end_j + 1][:, groups == g].all(axis=1)
                   for g in range(groups.max() + 1)], axis=1)
    want = np.asarray(tpl.mask.any(axis=0))
    gwant = np.array([want[groups == g].all() for g in range(groups.max() + 1)])
    if gwant.any():
        coverage = min(coverage, float((tg[:, gwant] * gweight[gwant]).sum()
                                       / (tg.shape[0] * gweight[gwant].sum())))

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
    span = max(take_t[end_j] - take_t[start_j], 1e-9)
    tempo = float(span / max(tpl.duration, 1e-9))
    weights = tpl.weights()
    speed = motion_speed(tpl.values, tpl.mask, weights, tpl.times)
    moving = moving_frames(speed)
    local = []
    rate = SCORE_RATE
    for ph in range(n_phase):
        # tempo over the phase's moving frames: a pause may be held longer or shorter
        rows = (phase == ph) & moving
        ref_span = rows.sum() / rate
        if ref_span < 0.1:
            continue
        on = rows[path[:, 0]]
        take_span = np.unique(path[on, 1]).size / rate
        ratio = max(take_span, 1e-3) / ref_span / tempo
        local.append((np.log(ratio), ref_span))
    irregular = 0.0
    if local:
        lr = np.array(local)
        irregular = float(np.sqrt(np.average(lr[:, 0] ** 2, weights=lr[:, 1])))
    take_speed = motion_speed(feat.values, feat.mask, weights, take_t)
    still = take_speed < 0.5 * np.median(speed)
    hesitations = _hesitations(path, take_t, ref_t, start_j, end_j, phase, moving, still)
    timing = 100.0 * float(quality(2.0 * np.log(tempo) / np.log(TEMPO_HALF))) * float(
        quality(2.0 * irregular / IRREGULARITY_HALF))
    timing = max(0.0, timing - HESITATION_PENALTY * len(hesitations))
    # economy of motion: extra path, turning, gripping and movements over the experts'
    extra_motion, economy_ratios = _economy(raw, tpl)
    economy = 100.0 * float(quality(2.0 * extra_motion / np.log(ECONOMY_HALF)))
    # a movement of the reference the trainee did not make (not just made fast)
    skipped_cells = _skipped(path, tpl, feat, groups, part_of, n_part, phase)
    skipped = sorted(set(int(ph) for _, ph in skipped_cells))
    for p, ph in skipped_cells:
        part_q[p, phase == ph] = 0.0
    cells = np.full((n_part, n_phase), np.nan)
    support = np.zeros((n_part, n_phase))
    for ph in range(n_phase):
        rows = phase == ph
        support[:, ph] = part_w[:, rows].sum(axis=1)
        has = support[:, ph] > 0
        cells[has, ph] = (part_q[has][:, rows] * part_w[has][:, rows]).sum(axis=1) / support[
            has, ph]
    valid_cells = np.isfinite(cells) & (support > 0)
    # every score mixes its mean quality with its worst moment (any WORST_WINDOW_S of one
    # part), so one finger held wrong for a moment is not diluted by everything done
    # right; shape, parts and phases use the same moments, so shape is never far below
    # all of its parts and phases
    win, centre = _windows(part_q, part_w)
    mix = 1.0 - SHAPE_WORST_SHARE

    def mixed(mean_q, worst_q):
        return 100.0 * (mix * mean_q + SHAPE_WORST_SHARE * min(mean_q, worst_q))

    fingers = {}
    for p, label in enumerate(part_names):
        ok = valid_cells[p]
        if ok.any():
            mean_q = float(np.average(cells[p, ok], weights=support[p, ok]))
            fingers[label] = round(mixed(mean_q, float(win[p].min(initial=np.inf))), 1)
    phases = []
    for ph in range(n_phase):
        rows = phase == ph
        ok = valid_cells[:, ph]
        entry: dict[str, Any] = {
            "phase": ph + 1,
            "start_s": round(float(ref_t[rows][0]), 3),
            "end_s": round(float(ref_t[rows][-1]), 3),
            "shape": None,
            "parts": {part_names[p]: round(100.0 * float(cells[p, ph]), 1)
                      for p in np.flatnonzero(ok)},
        }
        if ok.any():
            inside = phase[centre] == ph
            worst_q = float(win[:, inside].min(initial=np.inf))
            mean_q = float(np.average(cells[ok, ph], weights=support[ok, ph]))
            entry["shape"] = round(mixed(mean_q, worst_q), 1)
        phases.append(entry)
    moment = None
    if valid_cells.any():
        mean_q = float(np.average(cells[valid_cells], weights=support[valid_cells]))
        shape = mixed(mean_q, float(win.min(initial=np.inf)))
        if np.isfinite(win).any():
            worst = np.unravel_index(int(np.argmin(win)), win.shape)
            moment = (float(win[worst]), int(worst[0]), int(phase[centre[worst[1]]]))
    else:
        shape = 0.0

    # steadiness, beyond the experts' own
    # noise adds to the experts' own in quadrature (independent sources)
    allowed = tpl.steadiness * 1.5
    excess = float(np.sqrt(max(0.0, jitter ** 2 - allowed ** 2)))
    steadiness = 100.0 * float(quality(2.0 * excess / STEADINESS_HALF))

    parts = {"shape": shape, "timing": timing, "economy": economy, "steadiness": steadiness,
             "coverage": 100.0 * coverage}
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    mismatch, overall = _reject_mismatch(raw, tpl)
    rejected = bool(np.isfinite(tpl.rejection) and mismatch > tpl.rejection)

    reasons = _broken_rules(tpl, total, shape, coverage, tempo, jitter, mismatch, rejected,
                            skipped, moment, part_names)
    passed = not reasons
    uncapped = total
    if rejected:
        total *= 0.5  # another gesture: never near a pass
    elif reasons:
        total = min(total, PASS_MARK - 1.0)  # a failed take never shows a passing total

    joints = {}
    for g in range(groups.max() + 1):
        c = int(np.flatnonzero(groups == g)[0])
        if layout.kind[c] != POSITION or not gseen[:, g].any():
            continue
        key = f"{HAND_NAMES[layout.hand[c]]}.{JOINT_NAMES[layout.joint[c]]}"
        joints[key] = round(100.0 * float(q[gseen[:, g], g].mean()), 1)
    messages = _messages(a, tpl, cells, valid_cells, part_names, part_of, phase, tempo,
                         hesitations, jitter, excess, coverage, rejected, skipped, reasons)
    if extra_motion > np.log(1.2) and len(messages) < 6 and not rejected:
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
                 "uncapped_total": round(uncapped, 2),
                 "weights": WEIGHTS, "pass_mark": PASS_MARK},
        verdict="rejected" if rejected else "pass" if passed else "fail",
        verdict_rule=reasons[0]["text"] if reasons else "",
        pass_mark=PASS_MARK, reasons=reasons,
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


def _broken_rules(tpl, total, shape, coverage, tempo, jitter, mismatch, rejected, skipped,
                  moment=None, part_names=()) -> list[dict[str, Any]]:
    """Every rule the take broke, in :data:`RULES` order, each with its value and mark."""
    out: list[dict[str, Any]] = []

    def add(rule, value, limit, text):
        out.append({"rule": rule, "value": round(float(value), 4),
                    "limit": round(float(limit), 4), "text": text})

    name = tpl.name or "the reference gesture"
    if rejected:
        add("another gesture", mismatch, tpl.rejection,
            f"this does not look like {name} (mismatch {mismatch:.2f}, "
            f"the reference's experts stay under {tpl.rejection:.2f})")
    if coverage < MIN_COVERAGE:
        add("tracking", 100 * coverage, 100 * MIN_COVERAGE,
            f"the hand was tracked for only {100 * coverage:.0f}% of the gesture "
            f"(at least {100 * MIN_COVERAGE:.0f}% needed)")
    if skipped:
        which = ", ".join(str(p + 1) for p in skipped)
        add("skipped", len(skipped), 0,
            f"a movement of phase {which} was not made (every movement is needed)")
    if tempo > TEMPO_LIMIT or tempo < 1.0 / TEMPO_LIMIT:
        how = (f"{tempo:.1f} times slower" if tempo > 1 else f"{1 / tempo:.1f} times faster")
        add("tempo", tempo, TEMPO_LIMIT if tempo > 1 else 1.0 / TEMPO_LIMIT,
            f"done {how} than the expert (the limit is {TEMPO_LIMIT:g} times)")
    limit = max(UNSTEADY_RATIO * tpl.steadiness, tpl.steadiness + UNSTEADY_LIMIT)
    if jitter > limit:
        add("unsteady", 1000 * jitter, 1000 * limit,
            f"the hand shakes: {1000 * jitter:.0f} mm of jitter or tremor "
            f"(the limit is {1000 * limit:.0f} mm)")
    if moment is not None and moment[0] < PART_MARK:
        q, p, ph = moment
        add("part", 100 * q, 100 * PART_MARK,
            f"the {part_names[p]} was off for {WORST_WINDOW_S:g} s or more in phase "
            f"{ph + 1} (quality {100 * q:.0f} there, the mark is {100 * PART_MARK:.0f})")
    if shape < PASS_MARK:
        add("shape", shape, PASS_MARK,
            f"shape {shape:.0f} is below the pass mark {PASS_MARK:g}")
    if total < PASS_MARK:
        add("total", total, PASS_MARK,
            f"total {total:.0f} is below the pass mark {PASS_MARK:g}")
    return out


def _extent(values, mask, tol, cols_by_group) -> np.ndarray:
    """Per channel group: the norm of its (max - min) over frames, in tolerances."""
    out = np.zeros(len(cols_by_group))
    for g, cols in enumerate(cols_by_group):
        m = mask[:, cols].all(axis=1)
        if m.sum() < 2:
            continue
        v = values[m][:, cols]
        out[g] = np.linalg.norm(v.max(axis=0) - v.min(axis=0)) / tol[g]
    return out


def _skipped(path, tpl, feat, groups, part_of, n_part, phase) -> list[tuple[int, int]]:
    """(part, phase) of movements the trainee did not make.

    In a phase where a body part of the reference moves over SKIP_MIN_TRAVEL
    tolerances or more (the extent of its motion: a lift, a turn, a finger
    closing), the take, over the frames aligned to that phase, must cover at
    least SKIP_TRAVEL_SHARE of that extent; a movement made fast still covers
    it, a movement left out does not.
    """
    cols_by_group = [np.flatnonzero(groups == g) for g in range(groups.max() + 1)]
    # the room-axes channels repeat, turned with the hand, what the hand's own
    # channels measure: a hand that turns would seem to move fingers it held still
    own = np.array([tpl.layout.kind[cols[0]] not in ROOM_AXES_KINDS for cols in cols_by_group])
    out = []
    for ph in range(phase.max() + 1):
        rows = np.flatnonzero(phase == ph)
        if rows.size < 2:
            continue
        tol = np.array([np.median(tpl.tolerance[rows][:, cols]) for cols in cols_by_group])
        ref = _extent(tpl.values[rows], tpl.mask[rows], tol, cols_by_group)
        on = (path[:, 0] >= rows[0]) & (path[:, 0] <= rows[-1])
        j0, j1 = path[on, 1].min(), path[on, 1].max()
        got = _extent(feat.values[j0:j1 + 1], feat.mask[j0:j1 + 1], tol, cols_by_group)
        tracked = np.array([feat.mask[j0:j1 + 1][:, cols].all(axis=1).mean()
                            for cols in cols_by_group])
        for p in range(n_part):
            gs = np.flatnonzero(part_of == p)
            # judged where the take was mostly tracked: lost tracking is coverage's
            big = gs[(ref[gs] >= SKIP_MIN_TRAVEL) & (tracked[gs] >= SKIP_TRACKED) & own[gs]]
            if big.size and np.all(got[big] < SKIP_TRAVEL_SHARE * ref[big]):
                out.append((p, ph))
    return out


def _unscored(tpl, mirrored: bool, rule: dict[str, Any], **values: float) -> Score:
    """A failed score decided by ``rule`` before any comparison: nothing else measured
    (``details["compared"]`` is False, its zero shape is no finding)."""
    zero = {"total": 0.0, "shape": 0.0, "timing": 0.0, "steadiness": 0.0, "coverage": 0.0,
            "economy": 0.0, "tempo": float("nan"), **values}
    return Score(
        **zero, passed=False, rejected=False, mismatch=float("inf"), hesitations=[],
        fingers={}, joints={}, phases=[], mirrored=mirrored, template=tpl.name,
        messages=[rule["text"]],
        details={"weights": WEIGHTS, "pass_mark": PASS_MARK, "compared": False},
        verdict="fail", verdict_rule=rule["text"], pass_mark=PASS_MARK, reasons=[rule],
    )


def _untracked(tpl, mirrored: bool) -> Score:
    """The score of a take in which the reference's hands were never tracked."""
    hands = " and ".join(HAND_NAMES[h] for h in tpl.hands)
    what = (f"the {hands} hands were" if len(tpl.hands) > 1 else f"the {hands} hand was"
            if hands else "the tools were")
    return _unscored(tpl, mirrored, {
        "rule": "tracking", "value": 0.0, "limit": 100 * MIN_COVERAGE,
        "text": f"{what} never tracked: nothing to score"})


def _too_long(tpl, mirrored: bool, length: float) -> Score:
    """The score of a take too long to compare with the reference (see LENGTH_LIMIT)."""
    ratio = length / max(tpl.duration, 1e-9)
    limit = max(LENGTH_LIMIT * tpl.duration, LENGTH_FLOOR_S)
    return _unscored(tpl, mirrored, {
        "rule": "tempo", "value": round(ratio, 4), "limit": TEMPO_LIMIT,
        "text": f"the take lasts {length:.0f} s, {ratio:.0f} times the expert's "
                f"{tpl.duration:.1f} s: too long to compare (at most {limit:.0f} s); "
                "trim it to the gesture (vrtrainer trim) or try again"},
        tempo=round(ratio, 4), coverage=100.0)


def _windows(part_q: np.ndarray, part_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quality (parts, windows) of each body part over every WORST_WINDOW_S of the
    reference (common clock), infinite where the part is mostly unobserved (that is
    coverage), and each window's centre frame."""
    t = part_q.shape[1]
    k = int(min(t, max(1, round(WORST_WINDOW_S * SCORE_RATE))))
    kernel = np.ones(k)
    out = np.full((part_q.shape[0], t - k + 1), np.inf)
    for p in range(part_q.shape[0]):
        w = part_w[p]
        if not (w > 0).any():
            continue
        num = np.convolve(part_q[p] * w, kernel, mode="valid")
        den = np.convolve(w, kernel, mode="valid")
        enough = den >= 0.5 * k * np.median(w[w > 0])
        out[p] = np.where(enough, num / np.maximum(den, 1e-300), np.inf)
    return out, np.arange(t - k + 1) + k // 2


def _hesitations(path, take_t, ref_t, start_j, end_j, phase, moving, still
                 ) -> list[dict[str, float]]:
    """Stalls: the trainee stops, on one moment of the reference's motion, for over
    HESITATION_S seconds.

    The very start and end (waiting to begin, lingering after) and the
    reference's own pauses (holding longer is not hesitating) do not count.
    """
    out: list[dict[str, float]] = []
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
              jitter, excess, coverage, rejected, skipped, reasons=()) -> list[str]:
    """The largest problems in words, worst first.

    A rejected take gets only that message: advice on how to do this gesture
    better would be false for another one.
    """
    layout = tpl.layout
    groups = a["groups"]
    found: list[tuple[float, str]] = []
    if rejected:
        return [f"this does not look like {tpl.name or 'the reference gesture'}"]
    for ph in skipped:
        found.append((2.0, f"a movement of phase {ph + 1} was skipped"))
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
        # the extra speed as the extra time is counted: 3 times faster is 200% faster
        if tempo > 1:
            text = f"{100 * (tempo - 1):.0f}% slower than the expert"
        else:
            text = f"{100 * (1 / tempo - 1):.0f}% faster than the expert"
        found.append((min(1.5, abs(np.log(tempo))), text))
    for h in hesitations:
        found.append((0.3, f"hesitated {h['seconds']:.1f} s during phase {h['phase']}"))
    # under 2.5 mm, fast fingers or a quick turn leave as much residual as a shaky hand
    if excess > 0.0025:
        found.append((min(0.9, excess / 0.006),
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
    "motion_weights",
    "features_for", "quality", "score_features", "score_take",
]


@dataclass
class ShapeFrames:
    """The shape score's own per-frame quantities, for pictures that must agree with it.

    Rows are the reference's frames on the scoring clock (:data:`SCORE_RATE`), after
    the same smoothing and warping path as :func:`score_features`: ``z`` (R, G) each
    channel group's error in tolerances, ``seen`` where it is scored, ``weight`` (G,)
    the group's weight, ``take_time`` (R,) the take's time (s from its start) aligned to
    each reference frame, ``ref_time`` (R,) the reference's. ``groups`` and ``layout``
    say which channels (hand, joint) a group is.
    """

    z: np.ndarray
    seen: np.ndarray
    weight: np.ndarray
    take_time: np.ndarray
    ref_time: np.ndarray
    groups: np.ndarray
    layout: Any

    def quality(self) -> np.ndarray:
        """Weighted mean quality 0..1 of the scored groups per reference frame (NaN: none)."""
        q = np.where(self.seen, quality(np.where(self.seen, self.z, 0.0)), 0.0)
        w = self.seen * self.weight
        total = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (q * w).sum(axis=1) / total, np.nan)


def shape_frames(take: Take, template: Template, *, mirror: bool | None = None
                 ) -> ShapeFrames:
    """The per-frame errors the shape score of ``take`` is made of (see :class:`ShapeFrames`)."""
    if mirror is None:
        mirror = take.meta.handedness != template.handedness
    use = template.mirrored() if mirror else template
    feat = on_clock(smoothed(take_features(take, use.config, use.hands), SMOOTH_S), SCORE_RATE)
    tpl = use.on_clock(SCORE_RATE)
    a = _aligned(feat, tpl)
    path, groups, layout = a["path"], a["groups"], tpl.layout
    take_t = feat.times - feat.times[0]
    aligned = np.zeros(tpl.n_frames)
    for r in range(tpl.n_frames):
        rows = path[path[:, 0] == r, 1]
        aligned[r] = take_t[rows[len(rows) // 2]] if len(rows) else np.nan
    weight = np.array([layout.weight[groups == g].mean() for g in range(groups.max() + 1)])
    return ShapeFrames(z=a["z"], seen=a["gseen"], weight=weight, take_time=aligned,
                       ref_time=tpl.times - tpl.times[0], groups=groups, layout=layout)
