"""The training session: what happens each frame of intro, watch, attempt, feedback.

It records the attempt while it runs (crash-safe journal), follows the trainee
live against the expert, moves the expert ghost in step, scores the attempt at
the end and hands the renderer what to draw. It sees frames only through
:class:`~vrtrainer.backends.base.FrameState`, never the backend itself.

The end of an attempt (take saved, scored, aligned for the replay, heard by the
listeners' ``attempt_finished``) runs on a worker thread (:mod:`~vrtrainer.session.finishing`)
while the loop goes on drawing frames, the cue panel saying the score is on its
way; the outcome joins :attr:`TrainingSession.outcomes` on the frame after it
is ready.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vrtrainer.backends.base import Display, FrameState, Input, RenderTarget
from vrtrainer.compare.aligned import align
from vrtrainer.compare.template import Template
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.hand import HAND_COUNT, JOINT_COUNT, HandFrame
from vrtrainer.session.finishing import AttemptWorker
from vrtrainer.session.listeners import SessionListener
from vrtrainer.session.loop import FrameTimings
from vrtrainer.session.machine import Phase, StepMachine, Transition, Trigger
from vrtrainer.session.references import keep_reference
from vrtrainer.takes.take import Take, TakeMeta, TakeWriter, load_take


@dataclass
class LiveFeedback:
    """The comparator's view of the current frame of an attempt."""

    phase: float = 0.0  # where the trainee is in the expert motion, 0..1
    lag_s: float = 0.0  # positive: behind the expert
    joint_error: np.ndarray = field(
        default_factory=lambda: np.zeros((HAND_COUNT, JOINT_COUNT), np.float32)
    )  # error / tolerance per joint; NaN where not scored
    score: float | None = None  # running estimate, 0-100
    message: str = ""


@dataclass
class AttemptScore:
    """Final result of one attempt, as the comparator explains it."""

    score: float
    passed: bool
    rejected: bool
    breakdown: dict[str, Any]
    messages: list[str]


class Coach(Protocol):
    """What the session needs from the comparator for one step."""

    def start(self) -> None:
        """Reset live tracking for a new attempt."""

    def live(self, hands: HandFrame, tools: np.ndarray, tool_flags: np.ndarray,
             out: LiveFeedback) -> LiveFeedback:
        """Follow one trainee frame; fill and return ``out``."""

    def final(self, take: Take) -> AttemptScore:
        """Score the whole recorded attempt."""

    @property
    def template(self) -> Template | None:
        """The comparator template it scores against (None: the replay is not aligned)."""

    def gauges_now(self) -> list[dict[str, Any]]:
        """Live trade-metric gauges (label, value, band, unit); empty if it has none."""


@dataclass
class TrainingStep:
    """One gesture to learn: its texts, the expert to show and the coach that scores."""

    title: dict[str, str]
    instruction: dict[str, str]
    expert: Take
    coach: Coach
    scenario_id: str = ""
    scenario_version: str = ""
    index: int = 0
    time_limit: float = 60.0
    gauges: list[dict[str, Any]] = field(default_factory=list)
    #: The scenario pack the step comes from (its scene, its meshes); None for a
    #: built-in gesture.
    pack_path: Path | None = None
    #: The comparator template the coach scores against; each scored attempt keeps a
    #: copy of it (:mod:`vrtrainer.session.references`) so reports read what was used.
    reference: Any = None
    #: The pack's id of the step ("" for a built-in gesture or a trainer's reference).
    step_id: str = ""

    def simulate_trainee(self, flaws: Sequence[sim.Flaw] = (), seed: int = 0,
                         hand: str = "right", fault: str | None = None) -> Take:
        """A simulated trainee's take of this step: here a built-in gesture's (its id
        after ``gesture/``); pack and reference steps simulate their own motion."""
        if fault:
            raise VrtrainerError("--fault names a scenario's typical fault; "
                                 "for a built-in gesture use --flaw")
        name = self.scenario_id.removeprefix("gesture/")
        return sim.simulate(name, role="trainee", flaws=list(flaws), hand=hand, seed=seed)


#: How many of the latest attempts keep their take in memory (see AttemptOutcome).
TAKES_KEPT = 4


@dataclass
class AttemptOutcome:
    """One attempt as the session ends it: the take on disk and its score.

    ``error`` says why an attempt that was to be scored has no score (the
    comparator failed on it); its take is kept all the same.

    The take stays in memory for the session's last :data:`TAKES_KEPT` attempts; an
    older one is read back from its file when asked for, so that a session of hours
    does not hold every take it recorded.
    """

    step: int
    number: int
    take_path: Path
    score: AttemptScore | None
    ended_by: str
    started: str
    ended: str
    _take: Take | None = field(default=None, repr=False)
    error: str | None = None
    #: The reference the attempt was scored against, as kept in the session's folder
    #: (None when not scored, or when the step has no reference to keep).
    reference_path: Path | None = None

    @property
    def take(self) -> Take:
        """The recorded take (from memory, or read again from ``take_path``)."""
        return self._take if self._take is not None else load_take(self.take_path)

    def release_take(self) -> None:
        """Let the take's arrays go; :attr:`take` reads them from the file from now on."""
        self._take = None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "session"


class TrainingSession:
    """Drives the steps of one trainee's session, frame by frame.

    ``out_dir`` receives one take per attempt (recorded incrementally).
    ``listeners`` hear its frames, phase changes, finished attempts and its end
    (:class:`~vrtrainer.session.listeners.SessionListener`: the run stores attempts,
    prints progress and publishes through them). Attempts are finished (saved,
    scored) on a worker thread, and ``attempt_finished`` is heard there;
    ``finish_inline`` finishes them on the loop's thread instead (the frame that ends
    an attempt then waits for it).
    """

    def __init__(
        self,
        steps: list[TrainingStep],
        out_dir: str | Path,
        trainee: str = "trainee",
        language: str = "fr",
        source: Any = "",
        renderer: Any = None,
        finish_inline: bool = False,
        listeners: Sequence[SessionListener] = (),
    ) -> None:
        self.steps = steps
        self.machine = StepMachine(len(steps))
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.trainee = trainee
        self.language = language
        self.source = source
        self.listeners = list(listeners)
        self.renderer = renderer
        self.timings = FrameTimings()
        self.outcomes: list[AttemptOutcome] = []
        self.transitions: list[Transition] = []
        self.finished = False
        self.ghost = HandFrame()
        self.live = LiveFeedback()
        self.last_score: AttemptScore | None = None
        self.debug = False
        self._phase_start = 0.0
        self._now = 0.0
        self._writer: TakeWriter | None = None
        self._attempt_started = ""
        self._replay_ghost: np.ndarray | None = None
        self._replay_take: Take | None = None
        self.replay_frame = HandFrame()
        self._display = Display()
        self._worker = AttemptWorker(inline=finish_inline)
        self._references: dict[int, Path | None] = {}
        # A remote trainer's cue for the cue panel, shown until that display time.
        self.remote_cue = ""
        self.remote_cue_until = 0.0
        self._expert_frame(0.0)

    # --- per frame ----------------------------------------------------------

    @property
    def step(self) -> TrainingStep:
        return self.steps[self.machine.step]

    @property
    def phase(self) -> Phase:
        return self.machine.phase

    @property
    def scoring(self) -> bool:
        """True while an ended attempt is still being saved, scored or stored."""
        return self._worker.pending > 0

    @property
    def recording(self) -> bool:
        """True while an attempt's take is being recorded."""
        return self._writer is not None

    def update(self, state: FrameState) -> Display:
        """Apply inputs, advance the phase's work, say what is shown."""
        self._now = state.display_time
        if self._worker.pending:
            self._collect(wait=False)
        for event in state.events:
            if event is Input.TOGGLE_LANGUAGE:
                self.language = "en" if self.language == "fr" else "fr"
            elif event is Input.TOGGLE_DEBUG:
                self.debug = not self.debug
            else:
                self._apply(event, state)
        elapsed = self._now - self._phase_start
        if self.machine.phase is Phase.WATCH and elapsed >= self.step.expert.duration:
            self._apply(Trigger.DEMO_FINISHED, state)
        elif self.machine.phase is Phase.ATTEMPT and elapsed >= self.step.time_limit:
            self._apply(Trigger.TIME_LIMIT, state)
        # The phase's work is done for the phase the frame ends in: an attempt
        # records from the very frame it starts.
        phase = self.machine.phase
        elapsed = self._now - self._phase_start
        if phase is Phase.WATCH:
            self._expert_frame(elapsed)
        elif phase is Phase.ATTEMPT:
            self._record(state)
        elif phase is Phase.FEEDBACK:
            self._feedback_replay(elapsed)
        elif phase is Phase.INTRO:
            self._expert_frame(0.0)
        d = self._display
        d.phase = self.machine.phase.value
        d.step = self.machine.step
        d.instruction = self.step.instruction.get(self.language, "")
        d.progress = self._progress()
        d.attempt_elapsed = elapsed if self.machine.phase is Phase.ATTEMPT else 0.0
        d.scoring = self.scoring
        for listener in self.listeners:
            listener.frame(self, state)
        return d

    def _progress(self) -> float:
        phase = self.machine.phase
        if phase is Phase.ATTEMPT:
            return float(self.live.phase)
        if phase is Phase.WATCH:
            dur = max(self.step.expert.duration, 1e-6)
            return float(min(1.0, (self._now - self._phase_start) / dur))
        return 1.0 if phase in (Phase.FEEDBACK, Phase.DONE) else 0.0

    def _apply(self, cause: Input | Trigger, state: FrameState) -> None:
        before_step = self.machine.step
        was_attempt = self.machine.phase is Phase.ATTEMPT
        t = self.machine.handle(cause)
        if t is None:
            return
        self.transitions.append(t)
        self._phase_start = self._now
        if was_attempt:
            ended_by = "quit" if t.quit else (
                "retry" if cause is Input.RETRY else
                "time limit" if cause is Trigger.TIME_LIMIT else "done")
            self._finish_attempt(before_step, ended_by, score=not t.quit and cause
                                 is not Input.RETRY)
        if t.after is Phase.ATTEMPT:
            self._start_attempt(state)
        if t.after is Phase.DONE:
            self.finished = True
        for listener in self.listeners:
            listener.phase_changed(self, t)

    # --- attempts -------------------------------------------------------------

    def _start_attempt(self, state: FrameState) -> None:
        step = self.step
        n = self.machine.attempts[self.machine.step]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = (f"{_slug(step.scenario_id or step.title.get('en', 'gesture'))}-step{step.index + 1}"
                f"-{_slug(self.trainee)}-attempt{n}-{stamp}.vrtake")
        meta = TakeMeta(
            scenario=step.scenario_id, step=step.index, role="trainee",
            performer=self.trainee,
            source=self.source() if callable(self.source) else self.source,
            nominal_rate=float(step.expert.meta.nominal_rate),
            extra={"attempt": n, "scenario_version": step.scenario_version},
        )
        self._writer = TakeWriter(self.out_dir / name, meta, tool_names=state.tool_names,
                                  with_head=True)
        self._attempt_started = datetime.now(UTC).isoformat(timespec="seconds")
        self.live = LiveFeedback()
        step.coach.start()

    def _record(self, state: FrameState) -> None:
        if self._writer is None:
            return
        self._writer.append(state.hands, state.tools, state.tool_flags, state.head,
                            state.head_flags)
        self.step.coach.live(state.hands, state.tools, state.tool_flags, self.live)
        self._expert_frame(self.live.phase * self.step.expert.duration)

    def _finish_attempt(self, step_index: int, ended_by: str, score: bool) -> None:
        """Hand the ended attempt to the worker; the loop goes on at once."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if writer.frames_written == 0:
            writer.abort()
            writer.journal.unlink(missing_ok=True)
            return
        self.last_score = None
        self._replay_take = None
        self._replay_ghost = None
        extra = {"ended_by": ended_by, "frame_timings_ms": self.timings.summary()}
        started = self._attempt_started
        self._worker.submit(lambda: self._end_attempt(writer, extra, step_index, ended_by,
                                                      score, started))

    def _end_attempt(self, writer: TakeWriter, extra: dict[str, Any], step_index: int,
                     ended_by: str, score: bool, started: str
                     ) -> tuple[AttemptOutcome, np.ndarray | None]:
        """Save, score, align and report one attempt (on the worker thread).

        The take is on disk before scoring starts: a comparator that fails
        leaves an outcome without score, with the error, and the take.
        """
        take = writer.close(extra=extra)
        step = self.steps[step_index]
        result = None
        error = None
        ghost = None
        if score and take.n_frames >= 2:
            try:
                result = step.coach.final(take)
            except Exception as exc:  # the take is kept; the outcome says what failed
                error = f"scoring failed: {type(exc).__name__}: {exc}"
            if result is not None:
                ghost = self._replay_ghost_for(step, take, result)
        reference = self._reference_of(step_index) if result is not None else None
        outcome = AttemptOutcome(
            step=step_index, number=int(take.meta.extra.get("attempt", 1)),
            take_path=writer.path, _take=take, score=result, ended_by=ended_by,
            started=started, ended=datetime.now(UTC).isoformat(timespec="seconds"),
            error=error, reference_path=reference,
        )
        for listener in self.listeners:
            listener.attempt_finished(self, outcome)
        return outcome, ghost

    def _reference_of(self, step_index: int) -> Path | None:
        """The step's reference kept in the session's folder (written once, on the worker).

        A reference that cannot be written (a full disk) leaves the attempt scored and
        stored without it; its report then says the reference was not kept.
        """
        if step_index not in self._references:
            try:
                path = keep_reference(self.steps[step_index], self.out_dir)
            except (OSError, VrtrainerError):
                path = None
            self._references[step_index] = path
        return self._references[step_index]

    def _collect(self, wait: bool) -> None:
        """Take in the attempts the worker has finished (all of them with ``wait``)."""
        for outcome, ghost in self._worker.collect(wait=wait):
            self.outcomes.append(outcome)
            if len(self.outcomes) > TAKES_KEPT:
                self.outcomes[-TAKES_KEPT - 1].release_take()
            if self._worker.pending == 0 and self._writer is None:
                # the latest attempt, and no new one started since: show its feedback
                self.last_score = outcome.score
                if outcome.score is not None:
                    self._replay_take = outcome.take
                    self._replay_ghost = ghost

    # --- the ghost --------------------------------------------------------------

    def _expert_frame(self, t: float) -> None:
        expert = self.step.expert
        i = int(np.searchsorted(expert.times, expert.times[0] + t, side="right")) - 1
        expert.frame(min(max(i, 0), expert.n_frames - 1), self.ghost)

    def _replay_ghost_for(self, step: TrainingStep, take: Take, result: AttemptScore
                          ) -> np.ndarray | None:
        """The expert frame matching each frame of the attempt, for the replay."""
        template = step.coach.template
        if template is None or result.rejected:
            return None  # a rejected take has no meaningful alignment: replay it alone

        return align(take, template, step.expert).ghost_frame

    def _feedback_replay(self, elapsed: float) -> None:
        """Replay the attempt beside the ghost, aligned along the warping path."""
        take = self._replay_take
        if take is None:
            return
        t = elapsed % max(take.duration, 1e-6)
        i = int(np.searchsorted(take.times, take.times[0] + t, side="right")) - 1
        i = min(max(i, 0), take.n_frames - 1)
        take.frame(i, self.replay_frame)
        if self._replay_ghost is not None:
            j = int(self._replay_ghost[i])
            self.step.expert.frame(min(j, self.step.expert.n_frames - 1), self.ghost)

    # --- drawing and the end ------------------------------------------------------

    def gauges_now(self) -> list[dict[str, Any]]:
        """Live trade-metric gauges of the current step (empty if it has none)."""
        if self.machine.phase is not Phase.ATTEMPT:
            return []
        return list(self.step.coach.gauges_now())

    def render(self, state: FrameState, targets: list[RenderTarget]) -> None:
        """Draw each view with the renderer, if there is one."""
        if self.renderer is None or not targets:
            return
        self.renderer.draw(self, state, targets)

    def close(self) -> None:
        """Keep the attempt in progress, if any (its take is finalised on disk), and
        wait for every ended attempt to be finished."""
        try:
            if self._writer is not None:
                self._finish_attempt(self.machine.step, "interrupted", score=False)
        finally:
            self.finished = True
            try:
                self._collect(wait=True)
            finally:
                self._worker.close()
                for listener in self.listeners:
                    listener.closed(self)


class AttemptEndTimings(FrameTimings):
    """Frame timings that also keep each frame's loop work (update + render + submit),
    the loop thread's CPU, and whether an ended attempt was being finished meanwhile:
    the frames a trainee would see hitch at an attempt's end (benchmarks, Monado stage).
    """

    def __init__(self, session: TrainingSession) -> None:
        super().__init__()
        self.session = session
        self.work_ms: list[float] = []
        self.cpu_ms: list[float] = []
        self.finishing: list[bool] = []
        self._was_recording = False
        self._cpu = time.thread_time()

    def record(self, wait: float, update: float, render: float, submit: float) -> None:
        super().record(wait, update, render, submit)
        self.work_ms.append(1e3 * (update + render + submit))
        cpu = time.thread_time()
        self.cpu_ms.append(1e3 * (cpu - self._cpu))
        self._cpu = cpu
        # the frame that ends an attempt, and every frame while it is finished
        ended = self._was_recording and not self.session.recording
        self._was_recording = self.session.recording
        self.finishing.append(ended or self.session.scoring)

    def report(self) -> dict[str, float]:
        """Loop work per frame over the session and over attempt ends (ms), from the
        second frame (the first makes the renderer's GL objects)."""
        work = np.array(self.work_ms[1:])
        cpu = np.array(self.cpu_ms[1:])
        ending = np.array(self.finishing[1:], bool)
        if work.size == 0:
            return {"frames": 0}
        return {"frames": int(work.size), "attempts": len(self.session.outcomes),
                "work_ms_p50": float(np.percentile(work, 50)),
                "work_ms_p999": float(np.percentile(work, 99.9)),
                "work_ms_max": float(work.max()),
                "end_frames": int(ending.sum()),
                "end_work_ms_max": float(work[ending].max()) if ending.any() else 0.0,
                "over_11ms": int((work > 11.0).sum()),
                "cpu_ms_p999": float(np.percentile(cpu, 99.9)),
                "cpu_ms_max": float(cpu.max()),
                "end_cpu_ms_max": float(cpu[ending].max()) if ending.any() else 0.0}

