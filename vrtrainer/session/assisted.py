"""The training session with its accessibility aids around it: voice and simple mode.

:class:`AssistedSession` is what the frame loop drives when a trainee has
voice or simple mode: it filters the frame's inputs for simple mode, lets the
session update, then lets the voice look at the result. The session itself
knows nothing of either.
"""

from __future__ import annotations

from typing import Any

from vrtrainer.backends.base import Display, FrameState, Input, RenderTarget
from vrtrainer.hands.hand import POSITION_VALID
from vrtrainer.session.machine import Phase
from vrtrainer.session.simple import SimpleFlow
from vrtrainer.session.training import TrainingSession
from vrtrainer.session.voice import VoiceCoach

#: What must have been said before a phase's "go on" takes effect.
HEAR_FIRST = {Phase.INTRO: ("instruction",), Phase.FEEDBACK: ("verdict", "advice")}


def hands_tracked(state: FrameState) -> bool:
    """True when some hand of the frame is tracked with a valid wrist position."""
    hands = state.hands
    return bool(any(hands.active[h] and hands.flags[h, 1] & POSITION_VALID
                    for h in range(len(hands.active))))


class AssistedSession:
    """A :class:`~vrtrainer.session.training.TrainingSession` plus voice and simple mode."""

    def __init__(self, session: TrainingSession, voice: VoiceCoach | None = None,
                 simple: SimpleFlow | None = None) -> None:
        self.session = session
        self.voice = voice
        self.simple = simple
        self.timings = session.timings
        self._deferred: list[Input] = []
        if simple is not None and session.renderer is not None:  # the session's presenter
            session.renderer.cue_hooks.append(simple.cues)

    def __getattr__(self, name: str) -> Any:
        # What the session has (phase, machine, live...) is read through, e.g. by a publisher.
        return getattr(self.session, name)

    @property
    def finished(self) -> bool:
        return self.session.finished

    def update(self, state: FrameState) -> Display:
        if self.simple is not None:
            self.simple.filter(state, self.session)
        if self.voice is not None:
            self._hear_first(state, self.voice)
        display = self.session.update(state)
        if self.voice is not None:
            self.voice.observe(self.session, state.display_time, hands_tracked(state))
        return display

    def _hear_first(self, state: FrameState, voice: VoiceCoach) -> None:
        """Hold "go on" (or "retry") until the instruction, or the verdict and its advice,
        have been heard in full: a learner who does not read gets them all."""
        kinds = HEAR_FIRST.get(self.session.phase)
        if kinds is None:
            self._deferred = []
            return
        now = state.display_time
        speaking = any(voice.busy_with(k, now) for k in kinds) or bool(
            self.session.phase is Phase.FEEDBACK and self.session.scoring)
        moves: list[Input] = [e for e in state.events if e in (Input.NEXT, Input.RETRY)]
        if moves and speaking:
            state.events[:] = [e for e in state.events if e not in moves]
            self._deferred = self._deferred or moves[:1]
        elif self._deferred and not speaking:
            state.events.extend(self._deferred)
            self._deferred = []

    def render(self, state: FrameState, targets: list[RenderTarget]) -> None:
        self.session.render(state, targets)

    def close(self) -> None:
        try:
            self.session.close()
        finally:
            if self.voice is not None:
                self.voice.close()
