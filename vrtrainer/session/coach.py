"""The comparator behind a training step: live tracking and the final score.

A :class:`ComparatorCoach` wraps an expert template from
:mod:`vrtrainer.compare` for the session: it follows each frame of an attempt
(where the trainee is, per-joint error against tolerance) and scores the whole
take at the end with an explained breakdown.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vrtrainer.compare.live import LiveAligner
from vrtrainer.compare.score import quality, score_take
from vrtrainer.compare.template import Template
from vrtrainer.compare.warm import warm_once
from vrtrainer.hands.hand import HandFrame
from vrtrainer.session.training import AttemptScore, LiveFeedback
from vrtrainer.takes.take import Take

LIVE_TEXT = {
    "fr": {"behind": "Un peu plus vite", "ahead": "Plus lentement", "pose": "Corrigez : {}"},
    "en": {"behind": "A little faster", "ahead": "Slow down", "pose": "Fix: {}"},
}


class ComparatorCoach:
    """Live and final scoring of one step against ``template``.

    ``mirror`` compares a left-handed trainee with the mirrored reference;
    ``pass_threshold`` overrides the template's pass mark when given.
    """

    def __init__(self, template: Template, mirror: bool = False,
                 pass_threshold: float | None = None, language: str = "fr",
                 metrics: Any = None) -> None:

        self.template = template
        self.mirror = mirror
        self.pass_threshold = pass_threshold
        self.language = language
        self.metrics = metrics
        self.aligner = LiveAligner(template, mirror=mirror)
        self._duration = max(template.duration, 1e-6)
        warm_once()  # compile now, not on the frame loop at the first attempt

    def start(self) -> None:
        self.aligner.reset()

    def gauges_now(self) -> list[dict[str, Any]]:
        return []  # the comparator alone has no trade gauges

    def live(self, hands: HandFrame, tools: np.ndarray, tool_flags: np.ndarray,
             out: LiveFeedback) -> LiveFeedback:
        s = self.aligner.step(hands)
        out.phase = float(s.progress)
        out.lag_s = float(-s.lead_s)
        out.joint_error[...] = s.joint_z
        z = s.joint_z[np.isfinite(s.joint_z)]
        if z.size:
            out.score = float(100.0 * quality(z).mean())
        text = LIVE_TEXT[self.language]
        if out.lag_s > 0.5:
            out.message = text["behind"]
        elif out.lag_s < -0.5:
            out.message = text["ahead"]
        else:
            out.message = ""
        return out

    def final(self, take: Take) -> AttemptScore:
        score = score_take(take, self.template, mirror=self.mirror or None)
        breakdown = score.to_dict()
        passed = score.passed
        if self.pass_threshold is not None:
            passed = bool(score.total >= self.pass_threshold and not score.rejected)
            breakdown["passed"] = passed
            breakdown["pass_threshold"] = self.pass_threshold
        if self.metrics is not None:
            breakdown["metrics"] = self.metrics(take)
        return AttemptScore(score=float(score.total), passed=passed,
                            rejected=bool(score.rejected), breakdown=breakdown,
                            messages=list(score.messages))  # English: shown via wording
