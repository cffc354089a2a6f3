"""A training session watched from afar: its live state goes out, a trainer's cues come in.

:class:`PublishedSession` stands between the frame loop and a
:class:`~vrtrainer.session.training.TrainingSession`. Each frame it applies the trainer's
commands that arrived (a cue or message shown on the trainee's cue panel, a request to
retry or to end the step, given to the session as the trainee's own inputs would be),
runs the session, and at most ``rate_hz`` times a second (wall clock) offers a snapshot
of what the trainee sees to a :class:`~vrtrainer.session.publisher.Publisher`. Taking the
snapshot copies a few hundred numbers; everything else happens on the publisher's thread.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from vrtrainer.backends.base import Display, FrameState, Input, RenderTarget
from vrtrainer.hands.hand import POSITION_VALID
from vrtrainer.session.machine import Phase

#: The trainer's preset cues, in the trainee's language.
CUE_TEXT = {
    "slower": {"fr": "Plus lentement", "en": "Slower"},
    "faster": {"fr": "Un peu plus vite", "en": "A little faster"},
    "watch_ghost": {"fr": "Regardez encore le fantôme", "en": "Watch the ghost again"},
    "good": {"fr": "C'est bien, continuez", "en": "Good, keep going"},
    "relax": {"fr": "Détendez la main", "en": "Relax your hand"},
}
#: Seconds a trainer's cue stays on the trainee's panel.
CUE_SECONDS = 6.0
TRAINER_PREFIX = {"fr": "Formateur", "en": "Trainer"}


def cue_text(command: dict[str, Any], language: str) -> str:
    """What the trainee reads for a cue or message command ('' for neither)."""
    if command.get("kind") == "cue":
        texts = CUE_TEXT.get(str(command.get("key")))
        return texts[language] if texts else ""
    if command.get("kind") == "message":
        return " ".join(str(command.get("text", "")).split())[:200]
    return ""


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, 3) if math.isfinite(value) else None


class PublishedSession:
    """The frame loop's application: a training session plus its publisher."""

    def __init__(self, session: Any, publisher: Any, rate_hz: float = 15.0,
                 clock: Any = time.monotonic) -> None:
        self.session = session
        self.publisher = publisher
        self.period = 1.0 / rate_hz
        self.clock = clock
        self.timings = session.timings
        self._next_sample = 0.0
        self._valid = 0
        self._expected = 0

    @property
    def finished(self) -> bool:
        return self.session.finished

    def update(self, state: FrameState) -> Display:
        for command in self.publisher.commands():
            self._apply(command, state)
        display = self.session.update(state)
        self._count_coverage(state)
        now = self.clock()
        if now >= self._next_sample:
            self._next_sample = now + self.period
            self.publisher.offer_frame(self.snapshot(state))
        return display

    def render(self, state: FrameState, targets: list[RenderTarget]) -> None:
        self.session.render(state, targets)

    def close(self) -> None:
        try:
            self.session.close()
        finally:
            self.publisher.offer_frame(self.snapshot(None))

    # -- the trainer's commands ---------------------------------------------------------

    def _apply(self, command: dict[str, Any], state: FrameState) -> None:
        kind = command.get("kind")
        s = self.session
        if kind in ("cue", "message"):
            text = cue_text(command, s.language)
            if text:
                s.remote_cue = text
                s.remote_cue_until = state.display_time + CUE_SECONDS
        elif kind == "retry":
            state.events.append(Input.RETRY)
        elif kind == "end_step":
            state.events.append(Input.NEXT)

    # -- what goes out --------------------------------------------------------------------

    def _count_coverage(self, state: FrameState) -> None:
        if self.session.phase is not Phase.ATTEMPT:
            return
        expected = self.session.ghost.active
        valid = (state.hands.flags & POSITION_VALID) != 0
        valid &= state.hands.active[:, None]
        self._valid += int(valid[expected].sum())
        self._expected += int(expected.sum()) * valid.shape[1]

    def snapshot(self, state: FrameState | None) -> dict[str, Any]:
        """The live frame the trainer sees: phase, score, advice, gauges, hands, ghost."""
        s = self.session
        phase = s.phase
        step = s.step
        lang = s.language
        score = None
        advice = ""
        if phase is Phase.ATTEMPT:
            score = _num(s.live.score)
            advice = s.live.message
        elif phase is Phase.FEEDBACK and s.last_score is not None:
            score = _num(s.last_score.score)
            advice = s.last_score.messages[0] if s.last_score.messages else ""
        coverage = None
        if self._expected:
            coverage = round(self._valid / self._expected, 3)
            self._valid = self._expected = 0
        cue = s.remote_cue
        frame: dict[str, Any] = {
            "phase": phase.value,
            "step": s.machine.step,
            "steps": len(s.steps),
            "attempt": s.machine.attempts[s.machine.step],
            "title": step.title.get(lang, ""),
            "instruction": step.instruction.get(lang, ""),
            "progress": _num(s._progress()),
            "score": score,
            "advice": advice,
            "gauges": [{k: (_num(v) if isinstance(v, float | int) else v)
                        for k, v in g.items()} for g in s.gauges_now()],
            "coverage": coverage,
            "cue": cue if state is None or state.display_time < s.remote_cue_until else "",
            "finished": bool(s.finished),
        }
        if state is not None:
            frame["t"] = round(float(state.display_time), 3)
            frame["hands"] = state.hands.poses[:, :, :3].copy()
            frame["hands_active"] = state.hands.active.copy()
            frame["hands_valid"] = ((state.hands.flags & POSITION_VALID) != 0).astype(np.uint8)
            frame["ghost"] = s.ghost.poses[:, :, :3].copy()
            frame["ghost_active"] = s.ghost.active.copy()
        return frame


def result_of(outcome: Any, attempt_id: int | None, session_uuid: str) -> dict[str, Any]:
    """What the trainer's server keeps of one finished attempt."""
    s = outcome.score
    return {
        "step": outcome.step,
        "attempt": outcome.number,
        "attempt_id": attempt_id,
        "session": session_uuid,
        "score": None if s is None else _num(s.score),
        "passed": None if s is None else bool(s.passed),
        "rejected": None if s is None else bool(s.rejected),
        "messages": [] if s is None else [str(m) for m in s.messages[:5]],
        "ended_by": outcome.ended_by,
        "started": outcome.started,
        "ended": outcome.ended,
    }
