"""A trainer's reference in one call: template from expert takes, rejection calibrated.

This is what ``vrtrainer reference build``, the scenario steps and the built-in
gestures use, so that a benchmark measuring "a reference as a trainer builds it"
measures the product's own path.

Rejection ("this is another gesture") is calibrated on real variation:

* the experts' own spread, leave-one-out: each person (or, with fewer than
  three people, each take) is scored against a reference built without them,
  which is how far a correct take by someone new typically lands;
* negatives: real takes of other gestures when there are any (the trainer's
  other references, a scenario's other steps), simulated built-in gestures
  (given by the caller, :mod:`vrtrainer.hands.negatives`) only when there are none.

The threshold lies where the experts' fitted spread (log-normal, with a
minimum width for few takes) would reject about :data:`EXPERT_REJECT_RATE` of
correct takes, lowered towards the negatives only as far as it must to keep
them out; the expected share of correct takes rejected is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from vrtrainer.compare.features import (
    FACING,
    FeatureConfig,
    Features,
    default_config,
    features_as,
)
from vrtrainer.compare.score import dissimilarity
from vrtrainer.compare.template import Template, Tolerance, build_template
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import orientation_valid, quat_rotate
from vrtrainer.takes.take import Take

#: Share of correct takes by new people the threshold is set to reject at most.
EXPERT_REJECT_RATE = 0.025
#: Smallest spread (standard deviation of log mismatch) assumed for the experts: three
#: takes cannot show how much people differ.
MIN_LOG_SPREAD = 0.25
#: The threshold is never below this mismatch: a take typically within its tolerances.
MIN_THRESHOLD = 1.0
#: Below these, the report warns that the reference may reject correct takes.
MIN_TAKES = 5
MIN_PEOPLE = 3
#: The experts were recorded facing one way in the room when every expert's head
#: heading is within this angle (degrees) of their mean heading.
DIRECTION_AGREEMENT_DEG = 45.0
DIRECTIONS = ("auto", "keep", "ignore")


def reference_features(take: Take, tpl: Template) -> Features:
    """A take's (unsmoothed) features in ``tpl``'s layout, mirrored if other-handed."""
    return features_as(take, tpl.config, tpl.hands, tpl.handedness)


def _normal_tail(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def choose_threshold(positives: Sequence[float], negatives: Sequence[float]
                     ) -> dict[str, Any]:
    """Rejection threshold from the experts' leave-one-out mismatches and negatives'.

    Log-normal fit of the positives (spread at least :data:`MIN_LOG_SPREAD`); the
    threshold rejects :data:`EXPERT_REJECT_RATE` of that fit, and is at least
    :data:`MIN_THRESHOLD`; when every negative lies above it, it moves halfway (log
    scale) towards the closest one, where flawed tries of the gesture land. If negatives fall
    below it, the threshold is the one that minimises expected false rejections
    plus negatives let through. Returns the threshold and what it is expected to do.
    """
    pos = np.log(np.maximum(np.asarray(positives, float), 1e-6))
    neg = np.asarray(negatives, float)
    mu = float(pos.mean())
    sd = max(float(pos.std(ddof=1)) if pos.size > 2 else 0.0, MIN_LOG_SPREAD)
    z = _inverse_tail(EXPERT_REJECT_RATE)
    # a take that stays within the tolerances (typically) is never another gesture
    thr = max(math.exp(mu + z * sd), MIN_THRESHOLD)
    if neg.size and (neg > thr).all():
        # a gap between the experts and the closest other gesture: flawed tries of this
        # gesture land in it, so the threshold sits halfway across (on a log scale)
        thr = math.sqrt(thr * float(neg.min()))
    elif neg.size:
        # candidates: just under each negative below the threshold (which rejects it), or
        # the threshold itself; the one with the fewest expected errors of both kinds
        cuts = np.append(np.nextafter(neg[neg <= thr], 0.0), thr)
        cost = [_normal_tail((math.log(c) - mu) / sd) + float((neg <= c).mean())
                for c in cuts]
        thr = float(cuts[int(np.argmin(cost))])
    return {
        "threshold": thr,
        "expected_expert_reject": round(_normal_tail((math.log(thr) - mu) / sd), 4),
        "negatives_accepted": round(float((neg <= thr).mean()), 4) if neg.size else None,
        "log_mean": round(mu, 4), "log_spread": round(sd, 4),
    }


def _inverse_tail(p: float) -> float:
    """x with P(Z > x) = p for a standard normal (bisection; p in (0, 1))."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if _normal_tail(mid) > p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def leave_one_out(takes: Sequence[Take], tpl: Template, people: Sequence[str]
                  ) -> tuple[list[float], str]:
    """Each expert take's mismatch with a reference built without it (or its person).

    By person when there are three or more people, by take otherwise.
    """
    by_person = len(set(people)) >= MIN_PEOPLE
    keys = list(people) if by_person else [str(k) for k in range(len(takes))]
    out = []
    for key in dict.fromkeys(keys):
        held = [k for k in range(len(takes)) if keys[k] == key]
        rest = [takes[k] for k in range(len(takes)) if keys[k] != key]
        if not rest:
            continue
        loo = build_template(rest, config=tpl.config, tolerance=tpl.tolerance_rule,
                             iterations=5)
        for k in held:
            out.append(float(dissimilarity(reference_features(takes[k], loo), loo)))
    return out, "leave-one-person-out" if by_person else "leave-one-take-out"


def calibrate_reference(tpl: Template, takes: Sequence[Take], others: Sequence[Take] = (),
                        simulated: Sequence[Take] = ()) -> dict[str, Any]:
    """Set ``tpl.rejection`` from the experts' ``takes`` (those it was built from) and real
    takes of other gestures (``others``); ``simulated`` takes of other gestures (see
    :mod:`vrtrainer.hands.negatives`) are used only when there are no real ones.

    Returns the calibration, also kept in ``tpl.info["rejection_calibration"]``.
    """
    used = [t for t, e in zip(takes, tpl.experts or [{"used": True}] * len(takes))
            if e.get("used", True)]
    people = [t.meta.performer or f"take {k + 1}" for k, t in enumerate(used)]
    n_people = len({t.meta.performer for t in used if t.meta.performer}) or 1
    positives, method = leave_one_out(used, tpl, people) if len(used) > 1 else ([], "")
    if others:
        negatives = [reference_features(t, tpl) for t in others]
        source = f"{len(others)} real takes of other gestures"
    else:
        negatives = [reference_features(t, tpl) for t in simulated]
        source = f"{len(negatives)} simulated takes of other gestures"
    neg = [float(dissimilarity(f, tpl)) for f in negatives]
    warnings = []
    if not positives:
        # one take: nothing shows how much a correct take may differ; assume the
        # noise floor's worth (mismatch 1) as its typical distance
        positives, method = [1.0], "none (one take)"
    choice = choose_threshold(positives, neg)
    if len(used) < MIN_TAKES or n_people < MIN_PEOPLE:
        warnings.append(
            f"built from {len(used)} take{'s' if len(used) != 1 else ''} of {n_people} "
            f"{'person' if n_people == 1 else 'people'}: other people's correct gestures "
            f"may be rejected or scored low; record at least {MIN_TAKES} takes of "
            f"{MIN_PEOPLE} or more people")
    if choice["negatives_accepted"]:
        warnings.append(f"{100 * choice['negatives_accepted']:.0f}% of the other gestures "
                        "are as close to this reference as its own experts: they may pass")
    tpl.rejection = float(choice["threshold"])
    calibration = {
        "threshold": round(tpl.rejection, 4), "method": method,
        "positives": [round(v, 4) for v in positives],
        "negatives": [round(v, 4) for v in neg], "negative_source": source,
        "expected_expert_reject": choice["expected_expert_reject"],
        "negatives_accepted": choice["negatives_accepted"],
        "takes": len(used), "people": n_people, "warnings": warnings,
    }
    tpl.info["rejection_calibration"] = calibration
    return calibration


def with_direction(config: FeatureConfig) -> FeatureConfig:
    """``config`` plus the channels that keep the room's axes (which way the hand
    moves, faces and points: a swipe up is not a swipe down)."""
    return replace(config, centred=True, facing=True, palm_relative=True)


def _heading(take: Take) -> float | None:
    """Mean heading (radians about +Y) of where the performer's head faced, or None
    when the take has no tracked head."""
    if take.head is None or take.head_flags is None:
        return None
    ok = orientation_valid(take.head_flags)
    if not ok.any():
        return None
    forward = quat_rotate(take.head[ok, 3:].astype(np.float64), np.array([0.0, 0.0, -1.0]))
    flat = forward[:, [0, 2]]
    flat = flat[np.linalg.norm(flat, axis=1) > 0.3]  # looking straight up or down: no heading
    if not len(flat):
        return None
    mean = (flat / np.linalg.norm(flat, axis=1, keepdims=True)).mean(axis=0)
    return float(np.arctan2(mean[0], -mean[1]))


def direction_spread(takes: Sequence[Take]) -> float | None:
    """Largest angle (degrees) between one expert's heading (where their head faced, about
    the vertical) and the experts' mean heading; None when no take has a tracked head
    (then all are taken to share one room frame, as a camera's or a bench's)."""
    headings = [h for h in (_heading(t) for t in takes) if h is not None]
    if not headings:
        return None
    mean = np.arctan2(np.mean(np.sin(headings)), np.mean(np.cos(headings)))
    off = np.angle(np.exp(1j * (np.asarray(headings) - mean)))
    return float(np.degrees(np.abs(off).max()))


def reference_template(
    takes: Sequence[Take],
    *,
    name: str = "",
    names: list[str] | None = None,
    config: FeatureConfig | None = None,
    tolerance: Tolerance | None = None,
    direction: str = "auto",
) -> Template:
    """Template from expert ``takes``, uncalibrated.

    Without a ``config``, ``direction`` says whether the way the hand moves, faces and
    points in the room is part of the gesture: "keep", "ignore", or "auto": kept unless
    the experts were recorded facing different ways (head headings more than
    :data:`DIRECTION_AGREEMENT_DEG` apart); then only the hand's own motion counts.
    The choice is kept in ``tpl.info["direction"]``.
    """
    if direction not in DIRECTIONS:
        raise VrtrainerError(f"direction must be one of {', '.join(DIRECTIONS)}, "
                             f"not {direction!r}")
    takes = list(takes)
    if config is not None:
        tpl = build_template(takes, name=name, names=names, config=config, tolerance=tolerance)
        tpl.info["direction"] = {"kept": bool(config.facing), "rule": "configured",
                                 "experts_spread_deg": None}
        return tpl
    base = default_config(takes)
    config = base if direction == "ignore" else with_direction(base)
    tpl = build_template(takes, name=name, names=names, config=config, tolerance=tolerance)
    hands = bool((tpl.layout.kind == FACING).any())
    spread = direction_spread(takes) if hands else None
    kept = hands and (direction == "keep" or spread is None or spread <= DIRECTION_AGREEMENT_DEG)
    if config.facing and not hands:
        tpl = replace(tpl, config=base)  # no hands: the same channels either way
    elif config.facing and not kept:
        tpl = build_template(takes, name=name, names=names, config=base, tolerance=tolerance)
    tpl.info["direction"] = {"kept": kept, "rule": direction,
                             "experts_spread_deg": None if spread is None else round(spread, 1)}
    return tpl


def build_reference(
    takes: Sequence[Take],
    *,
    name: str = "",
    names: list[str] | None = None,
    config: FeatureConfig | None = None,
    tolerance: Tolerance | None = None,
    others: Sequence[Take] = (),
    simulated: Sequence[Take] = (),
    direction: str = "auto",
) -> Template:
    """Template from expert ``takes`` (:func:`reference_template`) with its rejection
    threshold calibrated (:func:`calibrate_reference`)."""
    tpl = reference_template(takes, name=name, names=names, config=config,
                             tolerance=tolerance, direction=direction)
    calibrate_reference(tpl, list(takes), others, simulated)
    return tpl


__all__ = ["build_reference", "calibrate_reference", "choose_threshold", "direction_spread",
           "leave_one_out", "reference_features", "reference_template", "with_direction"]
