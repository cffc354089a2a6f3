"""Judging one attempt at a scenario step: trade metrics, time limits and pass/fail.

This is what the training session calls at the end of a step (and what the
``scenario try`` command prints): the step's trade metrics over the trainee's
take, its duration against the step's time limits, and a score out of 100
compared with the step's pass threshold, with messages in French and English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vrtrainer.scenario.model import Scenario, Step, Text
from vrtrainer.trade.metrics import MetricResult, compute_metrics, metrics_score


@dataclass
class StepResult:
    """The judgement of one take of one step."""

    step: Step
    score: float
    passed: bool
    duration: float
    time_ok: bool
    metrics: dict[str, MetricResult]
    metrics_score: float
    messages: list[Text] = field(default_factory=list)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Plain data for reports and JSON output, messages in ``lang``."""
        return {
            "step": self.step.id,
            "score": round(self.score, 1),
            "passed": self.passed,
            "duration_s": round(self.duration, 3),
            "time_ok": self.time_ok,
            "metrics_score": round(self.metrics_score, 3),
            "metrics": {
                name: {"value": r.value, "unit": r.unit, "verdict": r.verdict,
                       "band_score": round(r.band_score, 3), "in_band": round(r.in_band, 3),
                       "score": round(r.score, 3), "message": r.message.get(lang)}
                for name, r in self.metrics.items()
            },
            "messages": [m.get(lang) for m in self.messages],
        }


def _fr(value: float) -> str:
    """A number as a French page writes it (decimal comma)."""
    return f"{value:.1f}".removesuffix(".0").replace(".", ",")


def _time_message(step: Step, duration: float) -> Text | None:
    if step.time_min is not None and duration < step.time_min:
        return Text(fr=f"Trop rapide : {_fr(duration)} s (au moins {_fr(step.time_min)} s).",
                    en=f"Too quick: {duration:.1f} s (at least {step.time_min:g} s).")
    if step.time_max is not None and duration > step.time_max:
        return Text(fr=f"Trop long : {_fr(duration)} s (au plus {_fr(step.time_max)} s).",
                    en=f"Too long: {duration:.1f} s (at most {step.time_max:g} s).")
    return None


def judge_step(scenario: Scenario, step: Step, take) -> StepResult:
    """Trade metrics and time limits of ``take`` for ``step``; score out of 100.

    The score is the weighted mean of the metric scores (100 when the step has
    none), less 20 points when the duration is outside the step's limits. The
    step passes when the score reaches its threshold and no trade metric is
    out of its band or unmeasured: each one is a criterion of the trade.
    Messages list the metrics that are not ok, worst first, then the time.
    """
    results = compute_metrics(scenario, take, step.metrics)
    m_score = metrics_score(results)
    duration = float(take.duration)
    time_msg = _time_message(step, duration)
    score = 100.0 * m_score - (20.0 if time_msg else 0.0)
    score = max(0.0, min(100.0, score))
    messages = [r.message for r in sorted(results.values(), key=lambda r: r.score)
                if r.verdict != "ok"]
    if time_msg:
        messages.append(time_msg)
    criteria_met = all(r.verdict in ("ok", "unsteady") for r in results.values())
    return StepResult(step=step, score=score,
                      passed=score >= step.pass_threshold and criteria_met,
                      duration=duration, time_ok=time_msg is None, metrics=results,
                      metrics_score=m_score, messages=messages)
