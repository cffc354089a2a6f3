"""Backends that stand in for a person: a simulated trainee or the replay of a take.

Both play one recorded (or simulated) performance as the trainee's hands,
reacting to what the application shows the way a person would: they wait at
rest, press "next" to start, perform the gesture when the attempt begins and
say "done" when it is over. Time is virtual (frame index / rate), so runs go
as fast as the machine allows, unless ``paced`` asks for real time.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vrtrainer.backends.base import (
    DEFAULT_FOV,
    DEFAULT_IPD,
    Display,
    FrameState,
    Input,
    RenderTarget,
    View,
)
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import quat_rotate
from vrtrainer.takes.take import Take


@dataclass
class PersonScript:
    """How the scripted person behaves in each phase of a session.

    Waits are seconds of session time (``feedback_wait`` from when the score
    is shown, unless ``wait_for_score`` is False: then from the feedback's
    start, so that the session's timeline does not depend on how long scoring
    took). ``retries`` is how many times the person
    asks to retry a step after its feedback before moving on; ``quit_in`` makes
    them quit during a given phase (after ``quit_after`` seconds in it).
    ``discard_reviews`` are the feedback (review) phases, counted from 1 over
    the whole session, at which the person asks to retry instead: a trainer
    recording takes discards those.
    """

    intro_wait: float = 0.3
    watch_skip_after: float | None = None
    done_wait: float = 0.3
    feedback_wait: float = 0.5
    retries: int = 0
    quit_in: str | None = None
    quit_after: float = 0.1
    discard_reviews: tuple[int, ...] = ()
    wait_for_score: bool = True


@dataclass
class ScriptedPerson:
    """Turns what is displayed into inputs and into which take frame to show."""

    script: PersonScript = field(default_factory=PersonScript)
    _phase: str = ""
    _phase_since: float = 0.0
    _attempt_start: float | None = None
    _retried: int = 0
    _pressed: bool = False
    _reviews: int = 0

    def react(self, display: Display, now: float, take_duration: float) -> list[Input]:
        """Inputs a person would give now, having seen ``display``."""
        if display.phase != self._phase:
            self._phase, self._phase_since, self._pressed = display.phase, now, False
            self._attempt_start = now if display.phase == "attempt" else None
            self._reviews += display.phase == "feedback"
        if display.scoring and display.phase == "feedback" and self.script.wait_for_score:
            self._phase_since = now  # a person reads the score before going on
        waited = now - self._phase_since + 1e-9  # frame times are sums of 1/rate
        s = self.script
        if s.quit_in == self._phase and waited >= s.quit_after:
            return [Input.QUIT]
        if self._pressed:
            return []
        press: Input | None = None
        if self._phase == "intro" and waited >= s.intro_wait:
            press = Input.NEXT
        elif self._phase == "watch" and s.watch_skip_after is not None:
            if waited >= s.watch_skip_after:
                press = Input.NEXT
        elif self._phase == "attempt" and waited >= take_duration + s.done_wait:
            press = Input.NEXT
        elif self._phase == "feedback" and waited >= s.feedback_wait:
            if self._reviews in s.discard_reviews:
                press = Input.RETRY
            elif self._retried < s.retries:
                self._retried += 1
                press = Input.RETRY
            else:
                self._retried = 0
                press = Input.NEXT
        if press is None:
            return []
        self._pressed = True
        return [press]

    def take_time(self, now: float) -> float:
        """Seconds into the performance to show now (0 while waiting to start)."""
        return 0.0 if self._attempt_start is None else now - self._attempt_start


def stereo_views(head: np.ndarray, ipd: float = DEFAULT_IPD) -> list[View]:
    """Two eyes either side of a head pose (7,), looking where the head looks."""

    views = []
    for side in (-0.5, 0.5):
        pose = head.astype(np.float32).copy()
        pose[:3] += quat_rotate(head[3:], np.array([side * ipd, 0.0, 0.0])).astype(np.float32)
        views.append(View(pose=pose, fov=DEFAULT_FOV))
    return views


#: Default head: standing at a workbench, 1.6 m eyes, looking 30 degrees down.
DEFAULT_HEAD = np.array([0.0, 1.6, 0.15, -0.2588190, 0.0, 0.0, 0.9659258], np.float32)


class Performances(Sequence[Take]):
    """``count`` performances made on demand by ``make(k)``, one kept in memory at a time.

    ``record --takes N`` with simulated hands used to build all N takes up front; this
    makes each when the person starts it, so memory does not grow with N.
    """

    def __init__(self, make: Callable[[int], Take], count: int) -> None:
        if count < 1:
            raise VrtrainerError("at least one performance is needed")
        self._make = make
        self._count = count
        self._index = -1
        self._take: Take | None = None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, k):  # noqa: ANN001, ANN204  (Sequence's int | slice)
        if isinstance(k, slice):
            raise TypeError("performances are made one at a time")
        if not -self._count <= k < self._count:
            raise IndexError(k)
        k %= self._count
        if k != self._index:
            self._take, self._index = None, k  # drop the previous one first
            self._take = self._make(k)
        return self._take


class TakeBackend:
    """Play ``takes`` (one per step) as the trainee's hands, driven by a scripted person.

    ``renderer_targets`` is a callable giving the offscreen targets for each
    view (or None for a run without rendering). Frames come at ``rate`` Hz of
    virtual time; ``paced`` sleeps to keep to the wall clock. While the session
    shows that an ended attempt is being scored, even an unpaced backend lets one
    frame period of real time pass per frame, as a waiting person would: a loop
    running free would otherwise spend the session's whole virtual time (and the
    worker's CPU) before the score came back on a slow machine.
    """

    name = "take"

    def __init__(
        self,
        takes: Take | Sequence[Take],
        rate: float | None = None,
        script: PersonScript | None = None,
        targets: Callable[[], list[RenderTarget]] | None = None,
        paced: bool = False,
        head: np.ndarray | None = None,
        max_seconds: float = 3600.0,
    ) -> None:
        if isinstance(takes, Take):
            takes = [takes]
        self.takes = takes if isinstance(takes, Performances) else list(takes)
        if not len(self.takes):
            raise VrtrainerError("each performance to play needs at least two frames")
        self.take = self.takes[0]
        # Performances made on demand are checked as they come (see end_frame).
        for take in [self.take] if isinstance(self.takes, Performances) else self.takes:
            self._check_like_first(take)
        self.rate = float(rate or self.take.meta.nominal_rate or 90.0)
        self.person = ScriptedPerson(script or PersonScript())
        self.tool_names = self.take.tool_names
        self._targets = targets
        self.paced = paced
        self.max_frames = int(max_seconds * self.rate)
        self._head = DEFAULT_HEAD if head is None else np.asarray(head, np.float32)
        self._index = -1
        self._pending: list[Input] = []
        self._wall0 = 0.0
        self._closed = False
        self._scoring = False

    def begin(self) -> None:
        self._wall0 = _time.perf_counter()

    def wait_frame(self, state: FrameState) -> bool:
        if self._closed or self._index + 1 >= self.max_frames:
            return False
        self._index += 1
        now = self._index / self.rate
        if self.paced:
            delay = self._wall0 + now - _time.perf_counter()
            if delay > 0:
                _time.sleep(delay)
        elif self._scoring:
            _time.sleep(1.0 / self.rate)
        state.index = self._index
        state.display_time = now
        state.should_render = self._targets is not None
        i = self._frame_at(self.person.take_time(now))
        self.take.frame(i, state.hands)
        state.hands.time = now
        take = self.take
        if self.tool_names and take.tools is not None and take.tool_flags is not None:
            state.tools[...] = take.tools[i]
            state.tool_flags[...] = take.tool_flags[i]
        if take.head is not None and take.head_flags is not None:
            state.head[...] = take.head[i]
            state.head_flags = int(take.head_flags[i])
        else:
            state.head[...] = self._head
            state.head_flags = 15
        if not state.views:
            state.views.extend(stereo_views(state.head))
        else:
            for v, new in zip(state.views, stereo_views(state.head)):
                v.pose[...] = new.pose
        state.events.clear()
        state.events.extend(self._pending)
        self._pending.clear()
        return True

    def _frame_at(self, t: float) -> int:
        times = self.take.times
        i = int(np.searchsorted(times, times[0] + t + 1e-9, side="right")) - 1
        return min(max(i, 0), self.take.n_frames - 1)

    def render_targets(self) -> list[RenderTarget]:
        return [] if self._targets is None else self._targets()

    def _check_like_first(self, take: Take) -> None:
        if take.n_frames < 2:
            raise VrtrainerError("each performance to play needs at least two frames")
        if take.tool_names != self.take.tool_names:
            raise VrtrainerError(
                f"the performances hold different tools: {take.tool_names} and "
                f"{self.take.tool_names}"
            )

    def end_frame(self, state: FrameState, display: Display) -> None:
        take = self.takes[min(display.step, len(self.takes) - 1)]
        if take is not self.take:
            self._check_like_first(take)
        self.take = take
        self._scoring = display.scoring
        self._pending.extend(
            self.person.react(display, state.display_time, self.take.duration)
        )

    def close(self) -> None:
        self._closed = True

    def describe(self) -> dict[str, str]:
        return {"device": self.name, "runtime": "vrtrainer " + self.name}


class SimulatedBackend(TakeBackend):
    """A simulated trainee (``vrtrainer.hands.sim``) performing in front of the engine."""

    name = "simulated"


class ReplayBackend(TakeBackend):
    """A recorded take played back as if performed live.

    The recording already holds the performer's pause before saying "done",
    so the replayed person says it as soon as the take ends: the attempt it
    records is the same take, frame for frame.
    """

    name = "replay"

    def __init__(self, takes: Take | Sequence[Take], script: PersonScript | None = None,
                 **kw: Any) -> None:
        script = script or PersonScript()
        script = PersonScript(**{**script.__dict__, "done_wait": 0.0})
        super().__init__(takes, script=script, **kw)
