"""The training sequence of one session, written out as a state machine.

Each step of a scenario goes intro -> watch (the expert ghost demonstrates) ->
attempt (the trainee performs, recorded and tracked live) -> feedback (score
breakdown, replay) -> retry or next step; QUIT ends the session from any
phase. This module holds only the rules; :mod:`vrtrainer.session` acts on
them (recording, scoring, cues).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vrtrainer.backends.base import Input


class Phase(enum.Enum):
    INTRO = "intro"
    WATCH = "watch"
    ATTEMPT = "attempt"
    FEEDBACK = "feedback"
    DONE = "done"


class Trigger(enum.Enum):
    """Things that happen to a session besides a person's input."""

    DEMO_FINISHED = "demo finished"
    TIME_LIMIT = "time limit"
    TRACKING_LOST = "tracking lost"


@dataclass(frozen=True)
class Transition:
    """One move of the machine: from a phase and step to another, and why."""

    before: Phase
    after: Phase
    step_before: int
    step_after: int
    cause: Input | Trigger
    quit: bool = False


class StepMachine:
    """Which phase and step a session is in, and how inputs move it.

    ``n_steps`` steps are taken in order. Unknown or meaningless inputs in a
    phase (e.g. RETRY during the intro) are ignored and return None.
    """

    def __init__(self, n_steps: int) -> None:
        if n_steps < 1:
            raise ValueError("a session needs at least one step")
        self.n_steps = n_steps
        self.phase = Phase.INTRO
        self.step = 0
        self.quit = False
        self.attempts = [0] * n_steps

    def handle(self, cause: Input | Trigger) -> Transition | None:
        """Apply an input or trigger; return the transition, or None if ignored."""
        before, step = self.phase, self.step
        after, new_step = self._next(cause)
        if after is None:
            return None
        if cause is Input.QUIT:
            self.quit = True
        self.phase, self.step = after, new_step
        if after is Phase.ATTEMPT:
            self.attempts[new_step] += 1
        return Transition(before, after, step, new_step, cause, self.quit)

    def _next(self, cause: Input | Trigger) -> tuple[Phase | None, int]:
        p, s = self.phase, self.step
        if p is Phase.DONE:
            return None, s
        if cause is Input.QUIT:
            return Phase.DONE, s
        if p is Phase.INTRO and cause is Input.NEXT:
            return Phase.WATCH, s
        if p is Phase.WATCH and cause in (Input.NEXT, Trigger.DEMO_FINISHED):
            return Phase.ATTEMPT, s
        if p is Phase.ATTEMPT:
            if cause in (Input.NEXT, Trigger.TIME_LIMIT):
                return Phase.FEEDBACK, s
            if cause is Input.RETRY:
                return Phase.ATTEMPT, s
        if p is Phase.FEEDBACK:
            if cause is Input.RETRY:
                return Phase.ATTEMPT, s
            if cause is Input.NEXT:
                return (Phase.INTRO, s + 1) if s + 1 < self.n_steps else (Phase.DONE, s)
        return None, s
