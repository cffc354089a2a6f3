"""What a training session tells the rest of a run: phases, frames, attempts, its end.

A :class:`SessionListener` is handed to :class:`~vrtrainer.session.training.
TrainingSession` (``listeners=[...]``) and hears, on the frame loop's thread:

- :meth:`~SessionListener.frame` after each frame's update, with that frame's state;
- :meth:`~SessionListener.phase_changed` after each transition of the step machine;
- :meth:`~SessionListener.attempt_finished` when an attempt's take is on disk, with its
  outcome (score None when it was not scored: retry, quit);
- :meth:`~SessionListener.closed` once, when the session ends.

Each method does nothing here; a listener overrides what it needs and returns quickly
(a frame lasts 11 ms at 90 Hz: slow work goes to a thread of the listener's own).
The runs use it to print progress, store attempts and publish to a trainer's server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vrtrainer.backends.base import FrameState

if TYPE_CHECKING:
    from vrtrainer.session.machine import Transition
    from vrtrainer.session.training import AttemptOutcome, TrainingSession


class SessionListener:
    """Hears a training session; every method is a no-op to override."""

    def frame(self, session: TrainingSession, state: FrameState) -> None:
        """After the session updated for ``state`` (before the frame is drawn)."""

    def phase_changed(self, session: TrainingSession, transition: Transition) -> None:
        """After the step machine moved (``session.phase`` is the new phase)."""

    def attempt_finished(self, session: TrainingSession, outcome: AttemptOutcome) -> None:
        """An attempt ended; its take is on disk, ``outcome.score`` set when scored."""

    def closed(self, session: TrainingSession) -> None:
        """The session ended (finished, quit, or the backend stopped)."""
