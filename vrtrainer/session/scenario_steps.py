"""Training steps from a scenario pack: references, comparator, trade metrics, gauges.

For each step of the pack this builds what the training session runs: the
expert ghost (the step's first reference take), the comparator template (the
pack's ``.vrref`` or one built from its expert takes with the step's joint
weights and tolerance, rejection calibrated on the experts' own spread against
the other steps, or the built-in gestures when there are none), and a
:class:`TradeCoach` that adds the step's trade metrics to the comparator: live
gauges while the trainee works, and a final judgement in which every trade
criterion must be met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vrtrainer.compare.features import FeatureConfig
from vrtrainer.compare.reference import calibrate_reference
from vrtrainer.compare.template import Template, Tolerance, build_template, load_template
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.hand import HAND_COUNT, JOINT_COUNT, JOINT_NAMES, HandFrame
from vrtrainer.hands.negatives import negative_takes
from vrtrainer.scenario import Pack, Scenario, Step, find_scenario, open_pack
from vrtrainer.session.coach import ComparatorCoach
from vrtrainer.session.training import AttemptScore, LiveFeedback, TrainingStep
from vrtrainer.takes.take import Take, TakeMeta
from vrtrainer.trade import motions as trade_motions
from vrtrainer.trade.judge import judge_step
from vrtrainer.trade.metrics import band_score, format_value, gauge_values

#: Weight of the comparator's gesture score against the trade metrics' score.
GESTURE_SHARE = 0.5
#: Seconds of recent frames kept for the live gauges, and how often they update.
GAUGE_WINDOW = 3.0
GAUGE_PERIOD = 0.1


def step_template(pack: Pack, step: Step, experts: list[Take], others: list[Take]) -> Any:
    """The comparator template of ``step``: the pack's .vrref, or built from its experts."""

    if step.reference_template:
        return load_template(pack.reference_path(step.reference_template))
    weights = {name: float(w) for name, w in zip(JOINT_NAMES, step.joint_weights) if w != 1.0}
    template = build_template(
        experts, name=f"{pack.scenario.id}/{step.id}",
        config=FeatureConfig(joint_weights=weights),
        tolerance=Tolerance(floor_m=step.tolerance),
        names=list(step.reference_takes),
    )
    # the pack's other steps are real other gestures; simulated ones only without them
    calibrate_reference(template, experts, others,
                        [] if others else negative_takes(template.handedness))
    return template


class _Recent:
    """The last few seconds of an attempt as take arrays, for live metrics."""

    def __init__(self, tool_names: tuple[str, ...], rate: float = 90.0) -> None:
        self.size = int(GAUGE_WINDOW * rate * 1.5) + 8
        self.tool_names = tool_names
        k = len(tool_names)
        self.times = np.zeros(self.size)
        self.poses = np.zeros((self.size, HAND_COUNT, JOINT_COUNT, 7), np.float32)
        self.flags = np.zeros((self.size, HAND_COUNT, JOINT_COUNT), np.uint8)
        self.active = np.zeros((self.size, HAND_COUNT), bool)
        self.tools = np.zeros((self.size, k, 7), np.float32)
        self.tool_flags = np.zeros((self.size, k), np.uint8)
        self.count = 0

    def append(self, hands: HandFrame, tools: np.ndarray, tool_flags: np.ndarray) -> None:
        i = self.count % self.size
        self.times[i] = hands.time
        self.poses[i] = hands.poses
        self.flags[i] = hands.flags
        self.active[i] = hands.active
        k = min(len(self.tool_names), len(tools))
        self.tools[i, :k] = np.asarray(tools)[:k]
        self.tool_flags[i, :k] = np.asarray(tool_flags)[:k]
        self.count += 1

    def take(self, handedness: str) -> Take:
        n = min(self.count, self.size)
        order = (np.arange(n) + self.count - n) % self.size
        return Take(times=self.times[order], poses=self.poses[order],
                    radii=np.zeros((n, HAND_COUNT, JOINT_COUNT), np.float32),
                    flags=self.flags[order], active=self.active[order],
                    meta=TakeMeta(handedness=handedness), tool_names=self.tool_names,
                    tools=self.tools[order] if self.tool_names else None,
                    tool_flags=self.tool_flags[order] if self.tool_names else None)


class TradeCoach:
    """A step's comparator plus its trade metrics, as the session's Coach.

    Live: the comparator's feedback, and gauge values of the step's metrics
    over the last seconds (``gauges_now``). Final: the comparator's score and
    the trade judgement combined, ``GESTURE_SHARE`` of the gesture score; the
    attempt passes when the comparator does not reject it, the combined score
    reaches the step's threshold and every trade metric is in its band.
    """

    def __init__(self, scenario: Scenario, step: Step, comparator: ComparatorCoach,
                 handedness: str = "right", language: str = "fr") -> None:
        self.scenario = scenario
        self.step = step
        self.comparator = comparator
        self.handedness = handedness
        self.language = language
        self._recent = _Recent(tuple(t.name for t in scenario.tools))
        self._gauges: dict[str, float] = {}
        self._last_gauge = -np.inf

    @property
    def template(self) -> Template | None:
        return self.comparator.template

    def start(self) -> None:
        self.comparator.start()
        self._recent.count = 0
        self._gauges = {}
        self._last_gauge = -np.inf

    def live(self, hands: HandFrame, tools: np.ndarray, tool_flags: np.ndarray,
             out: LiveFeedback) -> LiveFeedback:
        self.comparator.live(hands, tools, tool_flags, out)
        if self.step.metrics:
            self._recent.append(hands, tools, tool_flags)
            if hands.time - self._last_gauge >= GAUGE_PERIOD and self._recent.count > 2:
                self._gauges = gauge_values(self.scenario, self._recent.take(self.handedness),
                                            self.step.metrics, GAUGE_WINDOW)
                self._last_gauge = hands.time
            trade = self._live_trade_score()
            if out.score is not None and trade is not None:
                # the running score mixes the trade the way the final one does, so it
                # does not show 100 while a gauge is red
                out.score = GESTURE_SHARE * out.score + (1 - GESTURE_SHARE) * trade
        return out

    def _live_trade_score(self) -> float | None:
        """0-100 from the gauges measured now (weighted band scores), None before any."""
        weights, scores = [], []
        for name in self.step.metrics:
            value = self._gauges.get(name, np.nan)
            if np.isfinite(value):
                spec = self.scenario.metrics[name]
                weights.append(spec.weight)
                scores.append(band_score(value, spec.ideal, spec.min, spec.max))
        if not weights or sum(weights) <= 0:
            return None
        return 100.0 * float(np.dot(weights, scores) / sum(weights))

    def gauges_now(self) -> list[dict[str, Any]]:
        """The step's metrics as the renderer's gauges (label, value, band, unit)."""
        out = []
        for name in self.step.metrics:
            spec = self.scenario.metrics[name]
            out.append({"label": spec.label.get(self.language),
                        "value": float(self._gauges.get(name, np.nan)),
                        "ideal": spec.ideal, "low": spec.min, "high": spec.max,
                        "unit": spec.unit,
                        "text": format_value(float(self._gauges.get(name, np.nan)),
                                             spec.unit, self.language)})
        return out

    def final(self, take: Take) -> AttemptScore:
        gesture = self.comparator.final(take)
        trade = judge_step(self.scenario, self.step, take)
        score = GESTURE_SHARE * gesture.score + (1 - GESTURE_SHARE) * trade.score
        criteria = all(r.verdict in ("ok", "unsteady") for r in trade.metrics.values())
        passed = bool(not gesture.rejected and score >= self.step.pass_threshold and criteria
                      and trade.time_ok)
        uncapped = score
        if not passed:
            # as the comparator does: an attempt that did not pass never shows a passing score
            score = min(score, max(0.0, self.step.pass_threshold - 1.0))
        breakdown = dict(gesture.breakdown)
        breakdown.update(gesture_score=gesture.score, trade=trade.to_dict(self.language),
                         score=round(score, 2), uncapped_score=round(uncapped, 2),
                         passed=passed, pass_threshold=self.step.pass_threshold)
        messages = [m.get(self.language) for m in trade.messages] + list(gesture.messages)
        return AttemptScore(score=float(score), passed=passed, rejected=gesture.rejected,
                            breakdown=breakdown, messages=messages)


@dataclass
class ScenarioStep(TrainingStep):
    """A training step from a pack, which also knows how to simulate a trainee."""

    scenario: Scenario | None = None

    def simulate_trainee(self, flaws=(), seed: int = 0, hand: str = "right",
                         fault: str | None = None) -> Take:
        """A simulated trainee's take of this step (bundled scenarios' motions)."""
        if self.scenario is None:
            raise VrtrainerError(f"step {self.step_id!r} has no scenario to simulate")
        gesture = trade_motions.step_gesture(self.scenario, self.step_id, fault, variation=seed)
        role = "trainee" if flaws or fault else "expert"
        return sim.simulate(gesture, role=role, flaws=list(flaws), seed=seed, hand=hand,
                            rate=60.0)


def scenario_steps(target: str, handedness: str = "right", language: str = "fr"
                   ) -> list[TrainingStep]:
    """The training steps of the scenario ``target`` (an id or a pack path)."""
    path = find_scenario(target)
    with open_pack(path) as pack:
        scenario = pack.scenario
        experts = {s.id: pack.reference_takes(s) for s in scenario.steps}
        steps: list[TrainingStep] = []
        for index, step in enumerate(scenario.steps):
            others = [t for s in scenario.steps if s.id != step.id for t in experts[s.id][:1]]
            template = step_template(pack, step, experts[step.id], others)
            mirror = handedness != template.handedness
            comparator = ComparatorCoach(template, mirror=mirror, language=language)
            coach = TradeCoach(scenario, step, comparator, handedness, language)
            ghost = experts[step.id][0]
            limit = step.time_max or max(20.0, 4 * ghost.duration)
            steps.append(ScenarioStep(
                title={"fr": step.title.fr, "en": step.title.en},
                instruction={"fr": step.instruction.fr, "en": step.instruction.en},
                expert=ghost, coach=coach, scenario_id=scenario.id,
                scenario_version=scenario.version, index=index, time_limit=limit,
                gauges=coach.gauges_now(), pack_path=path, scenario=scenario,
                step_id=step.id, reference=template,
            ))
    return steps
