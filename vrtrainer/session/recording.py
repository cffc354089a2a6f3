"""The trainer's recording session: expert takes in a row, each kept or discarded.

A second application on the same frame loop as training
(:func:`vrtrainer.session.loop.run_loop`): ready -> countdown (3-2-1, seen on
the cue panel and heard) -> recording (until "next" or the time limit) ->
review (keep with NEXT, discard with RETRY, trim proposal shown) -> the next
countdown, until enough takes are kept. QUIT ends it from any phase. Every
take is written incrementally while it is recorded (:class:`TakeWriter`), so
nothing is lost; a discarded take is moved to ``discarded/`` beside the kept
ones rather than deleted.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vrtrainer.backends.base import Display, FrameState, Input, RenderTarget
from vrtrainer.session.loop import FrameTimings
from vrtrainer.takes.take import Take, TakeMeta, TakeWriter, save_take
from vrtrainer.takes.trim import propose_trim, trim_take


class RecordPhase(enum.Enum):
    READY = "ready"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    REVIEW = "review"
    DONE = "done"


#: How a person in front of the engine reads each recording phase (the
#: scripted person of :mod:`vrtrainer.backends.scripted` acts on these).
DISPLAY_PHASE = {
    RecordPhase.READY: "intro",
    RecordPhase.COUNTDOWN: "watch",
    RecordPhase.RECORDING: "attempt",
    RecordPhase.REVIEW: "feedback",
    RecordPhase.DONE: "done",
}


@dataclass
class RecordingPlan:
    """What is recorded: which scenario step, by whom, how many takes, where."""

    scenario_id: str
    step: int  # 1-based
    out_dir: Path  # DIR/<scenario>/step<N>
    takes: int = 3
    performer: str = "expert"
    handedness: str = "right"
    title: dict[str, str] = field(default_factory=dict)
    instruction: dict[str, str] = field(default_factory=dict)
    scenario_version: str = ""
    gesture: str = ""  # built-in gesture name, when recording one
    countdown: float = 3.0
    time_limit: float = 30.0
    nominal_rate: float = 90.0
    trim: bool = False  # apply the trim proposal to kept takes
    synthetic: bool = False
    source: Any = ""  # str, or a callable giving the runtime's name


@dataclass
class RecordedTake:
    """One take as the trainer left it: kept (in the step folder) or discarded."""

    index: int
    path: Path
    kept: bool
    ended_by: str
    frames: int
    duration: float
    start_time: float = 0.0  # the first frame's time (trim times are on the same clock)
    trim: Any = None  # vrtrainer.takes.trim.Trim proposal
    trimmed: bool = False


_TAKE_NAME = re.compile(r"^take-(\d+)-")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "take"


def next_take_index(folder: Path) -> int:
    """1 + the highest take number already in ``folder`` or its ``discarded/``."""
    best = 0
    for sub in (folder, folder / "discarded"):
        if sub.is_dir():
            for p in sub.iterdir():
                m = _TAKE_NAME.match(p.name)
                if m:
                    best = max(best, int(m.group(1)))
    return best + 1


TEXT = {
    "fr": {
        "ready": "Prêt ? NEXT pour commencer",
        "countdown": "Enregistrement dans {n}…",
        "recording": "● Enregistrement {t:.1f} s — NEXT pour arrêter",
        "review": "NEXT : garder · RETRY : refaire",
        "done": "{k} prises gardées",
        "take": "Prise {i}/{n}",
        "motion": "mouvement {a:.2f}–{b:.2f} s",
        "still": "aucun mouvement détecté",
    },
    "en": {
        "ready": "Ready? NEXT to start",
        "countdown": "Recording in {n}…",
        "recording": "● Recording {t:.1f} s — NEXT to stop",
        "review": "NEXT: keep · RETRY: record again",
        "done": "{k} takes kept",
        "take": "Take {i}/{n}",
        "motion": "motion {a:.2f}–{b:.2f} s",
        "still": "no motion found",
    },
}


class RecordingSession:
    """Records ``plan.takes`` kept expert takes, frame by frame, on any backend.

    ``cue`` is called with 'tick' (each countdown second), 'start' and 'stop'
    (e.g. a :class:`~vrtrainer.session.beeps.Beeper`); ``on_take`` with each
    :class:`RecordedTake` once kept or discarded; ``renderer`` draws frames
    (a :class:`~vrtrainer.render.presenter.RecordingPresenter`).
    """

    def __init__(self, plan: RecordingPlan, language: str = "fr",
                 cue: Callable[[str], None] | None = None,
                 on_take: Callable[[RecordedTake], None] | None = None,
                 on_review: Callable[[RecordedTake], None] | None = None,
                 renderer: Any = None, inputs: Callable[[], list[Input]] | None = None) -> None:
        self.plan = plan
        self.language = language
        self.cue = cue or (lambda _c: None)
        self.on_take = on_take
        self.on_review = on_review
        self.renderer = renderer
        self.inputs = inputs
        self.phase = RecordPhase.READY
        self.finished = False
        self.quit = False
        self.timings = FrameTimings()
        self.recorded: list[RecordedTake] = []
        self.pending: RecordedTake | None = None
        self.debug = False
        self._writer: TakeWriter | None = None
        self._take: Take | None = None
        self._now = 0.0
        self._since = 0.0
        self._last_count = 0
        self._started = 0  # takes started (the person's performance index)
        self._display = Display()
        plan.out_dir.mkdir(parents=True, exist_ok=True)

    # --- what others read -------------------------------------------------------

    @property
    def kept(self) -> list[RecordedTake]:
        return [r for r in self.recorded if r.kept]

    @property
    def discarded(self) -> list[RecordedTake]:
        return [r for r in self.recorded if not r.kept]

    @property
    def elapsed(self) -> float:
        """Seconds in the current phase."""
        return self._now - self._since

    def countdown_left(self) -> int:
        """Whole seconds left in the countdown (3, 2, 1), 0 outside it."""
        if self.phase is not RecordPhase.COUNTDOWN:
            return 0
        return max(1, math.ceil(self.plan.countdown - self.elapsed - 1e-9))

    def text(self, key: str, **kw: Any) -> str:
        return TEXT[self.language][key].format(**kw)

    # --- per frame ----------------------------------------------------------------

    def update(self, state: FrameState) -> Display:
        """Apply inputs, run the phase's timers, record the frame when recording."""
        self._now = state.display_time
        events = list(state.events)
        if self.inputs is not None:
            events.extend(self.inputs())
        for event in events:
            if event is Input.TOGGLE_LANGUAGE:
                self.language = "en" if self.language == "fr" else "fr"
            elif event is Input.TOGGLE_DEBUG:
                self.debug = not self.debug
            else:
                self._apply(event, state)
        p = self.phase
        if p is RecordPhase.COUNTDOWN:
            left = self.countdown_left()
            if self.elapsed >= self.plan.countdown - 1e-9:
                self._start_take(state)
            elif left != self._last_count:
                self._last_count = left
                self.cue("tick")
        elif p is RecordPhase.RECORDING and self.elapsed >= self.plan.time_limit:
            self._stop_take("time limit")
        if self.phase is RecordPhase.RECORDING and self._writer is not None:
            self._writer.append(state.hands, state.tools, state.tool_flags, state.head,
                                state.head_flags)
        d = self._display
        d.phase = DISPLAY_PHASE[self.phase]
        d.step = max(0, self._performance_index())
        d.instruction = self.plan.instruction.get(self.language, "")
        d.progress = self.progress()
        d.attempt_elapsed = self.elapsed if self.phase is RecordPhase.RECORDING else 0.0
        return d

    def _performance_index(self) -> int:
        """Which performance a stand-in person gives: one per take, in order."""
        if self.phase in (RecordPhase.RECORDING, RecordPhase.REVIEW):
            return self._started - 1
        return self._started

    def progress(self) -> float:
        if self.phase is RecordPhase.COUNTDOWN:
            return min(1.0, self.elapsed / max(self.plan.countdown, 1e-9))
        if self.phase is RecordPhase.RECORDING:
            return min(1.0, self.elapsed / max(self.plan.time_limit, 1e-9))
        return 1.0 if self.phase in (RecordPhase.REVIEW, RecordPhase.DONE) else 0.0

    def _enter(self, phase: RecordPhase) -> None:
        self.phase = phase
        self._since = self._now
        if phase is RecordPhase.COUNTDOWN:
            self._last_count = self.countdown_left()
            self.cue("tick")
        if phase is RecordPhase.DONE:
            self.finished = True

    def _apply(self, event: Input, state: FrameState) -> None:
        p = self.phase
        if p is RecordPhase.DONE:
            return
        if event is Input.QUIT:
            self.quit = True
            if p is RecordPhase.RECORDING:
                self._stop_take("quit", review=False)
                self._settle(keep=False)
            elif p is RecordPhase.REVIEW:
                self._settle(keep=False)
            self._enter(RecordPhase.DONE)
        elif p is RecordPhase.READY and event is Input.NEXT:
            self._enter(RecordPhase.COUNTDOWN)
        elif p is RecordPhase.RECORDING and event is Input.NEXT:
            self._stop_take("done")
        elif p is RecordPhase.RECORDING and event is Input.RETRY:
            self._stop_take("retry", review=False)
            self._settle(keep=False)
            self._enter(RecordPhase.COUNTDOWN)
        elif p is RecordPhase.REVIEW and event in (Input.NEXT, Input.RETRY):
            self._settle(keep=event is Input.NEXT)
            if len(self.kept) >= self.plan.takes:
                self._enter(RecordPhase.DONE)
            else:
                self._enter(RecordPhase.COUNTDOWN)

    # --- takes ----------------------------------------------------------------------

    def _start_take(self, state: FrameState) -> None:
        plan = self.plan
        index = next_take_index(plan.out_dir)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = f"take-{index}-{_slug(plan.performer)}-{stamp}.vrtake"
        extra: dict[str, Any] = {"take": index, "scenario_version": plan.scenario_version}
        if plan.gesture:
            extra["gesture"] = plan.gesture
        meta = TakeMeta(
            scenario=plan.scenario_id, step=plan.step, role="expert",
            performer=plan.performer, handedness=plan.handedness,
            source=plan.source() if callable(plan.source) else str(plan.source),
            nominal_rate=float(plan.nominal_rate), synthetic=plan.synthetic,
            notes=f"recorded with vrtrainer record, take {index}", extra=extra,
        )
        self._writer = TakeWriter(plan.out_dir / name, meta, tool_names=state.tool_names,
                                  with_head=True)
        self._started += 1
        self._enter(RecordPhase.RECORDING)
        self.cue("start")

    def _stop_take(self, ended_by: str, review: bool = True) -> None:
        """Finalise the take on disk; propose its trim; go to review."""

        writer, self._writer = self._writer, None
        if writer is None:
            return
        self.cue("stop")
        if writer.frames_written == 0:
            writer.abort()
            writer.journal.unlink(missing_ok=True)
            self.pending = None
            return
        take = writer.close(extra={"ended_by": ended_by})
        proposal = propose_trim(take) if take.n_frames >= 3 else None
        self._take = take
        self.pending = RecordedTake(
            index=int(take.meta.extra["take"]), path=writer.path, kept=False,
            ended_by=ended_by, frames=take.n_frames, duration=take.duration,
            start_time=float(take.times[0]), trim=proposal)
        if review:
            self._enter(RecordPhase.REVIEW)
            if self.on_review is not None:
                self.on_review(self.pending)

    def _settle(self, keep: bool) -> None:
        """Keep the pending take (trimmed if asked) or move it to ``discarded/``."""

        rec, take = self.pending, self._take
        self.pending, self._take = None, None
        if rec is None or take is None:
            return
        rec.kept = keep
        if keep:
            if self.plan.trim and rec.trim is not None and rec.trim.moving:
                trimmed = trim_take(take, rec.trim)
                save_take(trimmed, rec.path)
                rec.trimmed = True
                rec.frames, rec.duration = trimmed.n_frames, trimmed.duration
        else:
            folder = rec.path.parent / "discarded"
            folder.mkdir(exist_ok=True)
            target = folder / rec.path.name
            rec.path.replace(target)
            rec.path = target
        self.recorded.append(rec)
        if self.on_take is not None:
            self.on_take(rec)

    # --- drawing and the end ----------------------------------------------------------

    def render(self, state: FrameState, targets: list[RenderTarget]) -> None:
        if self.renderer is None or not targets:
            return
        self.renderer.draw(self, state, targets)

    def close(self) -> None:
        """A take still recording is finalised and kept aside (discarded/), never lost."""
        if self._writer is not None:
            self._stop_take("interrupted", review=False)
        if self.pending is not None:
            self._settle(keep=False)
        self.finished = True
