"""One spoken message at a time, the most important first, never over the demonstration.

The queue runs on the session's clock (display time): :meth:`SpeechQueue.tick`
is called once a frame and costs a comparison when nothing is due. A message
is started only when the one before has had time to finish (its WAV
duration) and speech is not held; held spans are the expert demonstration's
(its own audio cues have the floor), and holding stops a message under way.
Messages waiting for synthesis on a worker thread are skipped until their
file exists; stale ones (live advice) expire.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import math
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrtrainer.speech.synth import wav_duration


class Priority(enum.IntEnum):
    """Lower is more important (said first)."""

    VERDICT = 0
    ADVICE = 1
    ALERT = 2  # tracking lost
    COUNTDOWN = 3
    INSTRUCTION = 4
    LIVE = 5


@dataclass(order=True)
class Utterance:
    """A message to say: its text, its WAV (or the future that will give it)."""

    priority: int
    seq: int
    text: str = field(compare=False)
    kind: str = field(compare=False, default="")
    path: Path | None = field(compare=False, default=None)
    future: Future | None = field(compare=False, default=None, repr=False)
    expires: float = field(compare=False, default=math.inf)
    started: float | None = field(compare=False, default=None)
    duration: float = field(compare=False, default=0.0)

    def ready(self) -> bool:
        """True once the WAV exists (resolving a finished future)."""
        if self.path is None and self.future is not None and self.future.done():
            try:
                self.path = self.future.result()
            except Exception:  # a failed synthesis is a message not said
                self.path = None
            self.future = None
        return self.path is not None

    def failed(self) -> bool:
        return self.path is None and self.future is None


class SpeechQueue:
    """Priority queue of :class:`Utterance` played one at a time.

    ``play`` starts a WAV file without blocking (None: only schedule and log,
    as headless runs do); ``stop`` cuts the one playing. ``gap`` seconds of
    silence separate messages. ``spoken`` logs what was started, in order.
    """

    def __init__(self, play: Callable[[Path], Any] | None = None,
                 stop: Callable[[], Any] | None = None, gap: float = 0.3,
                 max_pending: int = 8) -> None:
        self.play = play
        self.stop = stop
        self.gap = gap
        self.max_pending = max_pending
        self.spoken: list[Utterance] = []
        self.current: Utterance | None = None
        self.busy_until = -math.inf
        self._held = False
        self._heap: list[Utterance] = []
        self._seq = itertools.count()

    def say(self, text: str, priority: int, *, path: Path | None = None,
            future: Future | None = None, kind: str = "", expires: float = math.inf
            ) -> Utterance | None:
        """Queue ``text`` (its WAV ``path``, or a ``future`` giving it); duplicates are dropped."""
        if not text or (path is None and future is None):
            return None
        for u in self._heap:
            if u.text == text and u.kind == kind:
                return None
        u = Utterance(int(priority), next(self._seq), text, kind, path, future, expires)
        heapq.heappush(self._heap, u)
        if len(self._heap) > self.max_pending:  # the least important goes
            self._heap.remove(max(self._heap))
            heapq.heapify(self._heap)
        return u

    def drop(self, kinds: tuple[str, ...]) -> None:
        """Forget waiting messages of these kinds (e.g. live advice when the attempt ends)."""
        self._heap = [u for u in self._heap if u.kind not in kinds]
        heapq.heapify(self._heap)

    def hold(self, now: float) -> None:
        """Say nothing until :meth:`release`; a message under way is stopped."""
        self._held = True
        if self.current is not None and now < self.busy_until:
            if self.stop is not None:
                self.stop()
            self.busy_until = now
        self.current = None

    def release(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    @property
    def pending(self) -> list[Utterance]:
        return sorted(self._heap)

    def speaking(self, now: float) -> bool:
        return self.current is not None and now < self.busy_until

    def tick(self, now: float) -> Utterance | None:
        """Start the most important ready message if nothing is playing; return it."""
        if self._held or now < self.busy_until or not self._heap:
            return None
        self.current = None
        while self._heap:
            best = self._heap[0]
            if best.expires <= now or (not best.ready() and best.failed()):
                heapq.heappop(self._heap)
                continue
            if not best.ready() or best.path is None:
                return None  # the most important is still being synthesised: wait for it
            heapq.heappop(self._heap)
            best.started = now
            best.duration = best.duration or wav_duration(best.path)
            self.busy_until = now + best.duration + self.gap
            self.current = best
            self.spoken.append(best)
            if self.play is not None:
                self.play(best.path)
            return best
        return None
