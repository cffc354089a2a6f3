"""Simple mode for a first session: large text, one action per screen, one way to go on.

The trainee sees one thing to do at a time in large letters (the instruction,
then "watch", then "your turn", then the verdict and one piece of advice with
its pictogram) and goes on with a single action: a pinch held for
:data:`HOLD_S` seconds or the controller's one button. There is no menu: the
language and debug toggles and the retry button are ignored; after a failed
attempt "go on" means "try again", up to :data:`MAX_TRIES` attempts a step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vrtrainer.backends.base import FrameState, Input
from vrtrainer.hands.hand import JOINT_NAMES, POSITION_VALID, HandFrame
from vrtrainer.session.advice import VERDICT_TEXT
from vrtrainer.session.machine import Phase

#: Thumb and index tips closer than this (m) pinch; they must part past the second to re-arm.
PINCH_CLOSE_M = 0.02
PINCH_OPEN_M = 0.035
#: Seconds a pinch is held to mean "go on" (a brief pinch is part of many gestures).
HOLD_S = 0.8
#: Attempts of one step after which "go on" moves to the next step even when failed.
MAX_TRIES = 3

_THUMB = JOINT_NAMES.index("thumb_tip")
_INDEX = JOINT_NAMES.index("index_tip")

SIMPLE_TEXT = {
    "fr": {"watch": "Regardez l'expert", "go": "À vous !", "done": "C'est terminé. Bravo !",
           "next": "Pincez et tenez, ou appuyez, pour continuer",
           "retry": "Pincez et tenez, ou appuyez, pour réessayer"},
    "en": {"watch": "Watch the expert", "go": "Your turn!", "done": "Finished. Well done!",
           "next": "Pinch and hold, or press, to go on",
           "retry": "Pinch and hold, or press, to try again"},
}


class HeldPinch:
    """Turns a pinch held :data:`HOLD_S` seconds (either hand) into one "go on".

    ``progress`` (0-1) is how far the current hold is, for a filling cue.
    After it fires, the fingers must part before it can fire again.
    """

    def __init__(self, hold_s: float = HOLD_S) -> None:
        self.hold_s = hold_s
        self.progress = 0.0
        self._since: float | None = None
        self._armed = True

    def reset(self) -> None:
        self.progress, self._since = 0.0, None

    def update(self, hands: HandFrame, now: float) -> bool:
        gap = pinch_gap(hands)
        if gap > PINCH_OPEN_M:
            self._armed = True
        if not self._armed or gap > PINCH_CLOSE_M:
            self.reset()
            return False
        self._since = now if self._since is None else self._since
        self.progress = min(1.0, (now - self._since) / self.hold_s)
        if self.progress >= 1.0:
            self._armed = False
            self.reset()
            return True
        return False


def pinch_gap(hands: HandFrame) -> float:
    """Smallest thumb-tip to index-tip distance (m) over tracked hands; inf if none."""
    best = np.inf
    for h in range(len(hands.active)):
        if not hands.active[h]:
            continue
        if not (hands.flags[h, _THUMB] & POSITION_VALID and hands.flags[h, _INDEX]
                & POSITION_VALID):
            continue
        d = float(np.linalg.norm(hands.poses[h, _THUMB, :3] - hands.poses[h, _INDEX, :3]))
        best = min(best, d)
    return best


class SimpleFlow:
    """Filters a frame's inputs for simple mode and lays out its one-action screens."""

    IGNORED = (Input.TOGGLE_LANGUAGE, Input.TOGGLE_DEBUG, Input.RETRY)

    def __init__(self, max_tries: int = MAX_TRIES) -> None:
        self.max_tries = max_tries
        self.pinch = HeldPinch()
        self._waiting = False

    def filter(self, state: FrameState, session: Any) -> None:
        """Rewrite ``state.events`` in place: one "go on", meaning retry after a failure."""
        phase = session.phase
        events = [e for e in state.events if e not in self.IGNORED]
        # A pinch is part of many gestures: it means "go on" only between attempts.
        if phase in (Phase.INTRO, Phase.FEEDBACK):
            if self.pinch.update(state.hands, state.display_time) and Input.NEXT not in events:
                events.append(Input.NEXT)
        else:
            self.pinch.reset()
        if phase is not Phase.FEEDBACK:
            self._waiting = False
        elif session.scoring:
            if Input.NEXT in events:  # no verdict yet: "go on" takes effect once it is known
                self._waiting = True
                events = [e for e in events if e is not Input.NEXT]
        elif self._waiting:
            self._waiting = False
            if Input.NEXT not in events:
                events.append(Input.NEXT)
        if phase is Phase.FEEDBACK and self._retry(session):
            events = [Input.RETRY if e is Input.NEXT else e for e in events]
        state.events[:] = events

    def _retry(self, session: Any) -> bool:
        result = session.last_score
        tries = session.machine.attempts[session.machine.step]
        return result is not None and not result.passed and tries < self.max_tries

    def cues(self, cues: Any, session: Any, phase: Phase) -> None:
        """Presenter hook: large text, one thing to do, nothing else on the panel."""
        lang = session.language
        text = SIMPLE_TEXT[lang]
        cues.large = True
        cues.title = ""
        cues.gauges = []
        cues.debug = ""
        cues.hint = ""
        cues.hold = self.pinch.progress
        if phase is Phase.INTRO:
            main = session.step.instruction.get(lang, "")
            cues.message, cues.hint = "", text["next"]
        elif phase is Phase.WATCH:
            main, cues.message = text["watch"], ""
        elif phase is Phase.ATTEMPT:
            main = text["go"]  # the live advice stays as the message, with its pictogram
        elif phase is Phase.FEEDBACK and session.last_score is not None:
            r = session.last_score
            main = VERDICT_TEXT[lang][2 if r.rejected else 0 if r.passed else 1]
            cues.message = r.messages[0] if r.messages and not r.passed else ""
            cues.hint = text["retry"] if self._retry(session) else text["next"]
        else:
            main, cues.message = text["done"], ""
        cues.instruction_fr = cues.instruction_en = main
        cues.score = None


def choose_simple_mode(store: Any, trainee: str, requested: bool | None) -> bool:
    """Simple mode for ``trainee``: ``requested`` (then remembered), else what was remembered.

    ``store`` is the results store (None: nothing remembered, simple mode off
    unless requested). A trainer turns it on for a first session and off when
    the trainee is ready; the choice follows the trainee from session to session.
    """
    if requested is not None:
        if store is not None:
            store.set_preferences(trainee, simple_mode=requested)
        return requested
    prefs = None if store is None else store.preferences(trainee)
    return bool(prefs and prefs["simple_mode"])
