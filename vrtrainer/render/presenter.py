"""Shows a session through the renderer: hands, ghost, tools, cues, snapshots.

The session says what is going on; one :class:`Presenter` turns it into the
renderer's :class:`~vrtrainer.render.SceneState` each frame, draws every view,
and can save chosen frames as PNG (headless runs, reports). What differs between
a training and a recording session (which hands, the ghost, the panel's texts,
when a snapshot is worth taking) is its :class:`Look`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vrtrainer.backends.base import FrameState, RenderTarget
from vrtrainer.compare.wording import comparator_message
from vrtrainer.hands.hand import POSITION_VALID
from vrtrainer.render.camera import View, stereo_views
from vrtrainer.render.cues import Cues, Gauge
from vrtrainer.render.framing import FRAMED_FOV, HandFraming, valid_points
from vrtrainer.render.hands import warm_kernels
from vrtrainer.render.renderer import Framebuffer, Renderer, SceneState
from vrtrainer.render.scene import Scene
from vrtrainer.session.advice import VERDICT_TEXT, add_pictogram
from vrtrainer.session.machine import Phase
from vrtrainer.session.recording import RecordPhase
from vrtrainer.takes.take import Take

PHASE_TEXT = {
    "fr": {
        Phase.INTRO: "Préparez-vous",
        Phase.WATCH: "Observez l'expert",
        Phase.ATTEMPT: "À vous !",
        Phase.FEEDBACK: "Résultat",
        Phase.DONE: "Terminé",
    },
    "en": {
        Phase.INTRO: "Get ready",
        Phase.WATCH: "Watch the expert",
        Phase.ATTEMPT: "Your turn!",
        Phase.FEEDBACK: "Result",
        Phase.DONE: "Finished",
    },
}
PASSED_TEXT = VERDICT_TEXT  # one wording, shown and spoken
#: Shown while the attempt just ended is saved and scored off the frame loop.
SCORING_TEXT = {"fr": "Calcul du score...", "en": "Scoring..."}


class Look(Protocol):
    """What differs between presenting a training and a recording session."""

    def fill(self, scene: SceneState, session: Any, state: FrameState) -> None:
        """Set the scene state's hands, ghost, errors and cues from the session."""

    def snapshot_name(self, session: Any, state: FrameState) -> str | None:
        """A file name when this frame is worth a snapshot, else None."""

    def framed_expert(self, session: Any) -> tuple[object, Take | None]:
        """What a framed camera starts from: a key that changes with the step, and the
        expert take whose motion it frames (None: the hands shown only)."""


class Presenter:
    """Draws a session with a renderer, the way its :class:`Look` says; saves snapshots.

    ``renderer`` is a :class:`vrtrainer.render.Renderer` whose GL context is current
    whenever :meth:`draw` runs (made on the first draw when None, e.g. in a headset's
    context). ``framebuffers`` are the offscreen views a snapshot is read from (side by
    side); ``after_draw`` runs after each frame (a mirror window's present).
    ``cue_hooks`` run as ``hook(cues, session, phase)`` once the cues are filled.
    ``framed``: views drawn where no head is (offscreen, mirror window) come from a
    camera framed on the hands and the ghost, the cue panel in the upper part of the
    view (:mod:`vrtrainer.render.framing`), instead of the backend's head.
    """

    def __init__(self, look: Look, renderer: Renderer | None = None,
                 framebuffers: Sequence[Framebuffer] = (),
                 snapshot_dir: str | Path | None = None, max_snapshots: int = 40,
                 scene: Scene | None = None,
                 after_draw: Callable[[], None] | None = None, framed: bool = False) -> None:
        self.look = look
        self.renderer = renderer
        warm_kernels()  # before the loop: a headset's renderer is made at its first frame
        self.framebuffers = list(framebuffers)
        self.scene = scene
        self.cues = Cues()
        self.scene_state = SceneState(cues=self.cues)
        self.snapshot_dir = None if snapshot_dir is None else Path(snapshot_dir)
        self.max_snapshots = max_snapshots
        self.snapshots: list[Path] = []
        self.after_draw = after_draw
        self.cue_hooks: list[Callable[[Cues, Any, Any], None]] = []
        self._tools: dict[str, np.ndarray | None] = {}
        self.framing = HandFraming() if framed else None
        self._panel_pose: np.ndarray | None = None

    def draw(self, session: Any, state: FrameState, targets: list[RenderTarget]) -> None:
        """Update the scene state from ``session`` and draw every view."""
        s = self.scene_state
        self._tools.clear()
        for k, name in enumerate(state.tool_names):
            if state.tool_flags[k] & POSITION_VALID:
                self._tools[name] = state.tools[k]
        s.tools = self._tools
        self.look.fill(s, session, state)
        for hook in self.cue_hooks:
            hook(self.cues, session, session.phase)
        renderer = self.renderer
        if renderer is None:
            renderer = self.renderer = Renderer(self.scene)
        views = state.views[: len(targets)]
        if self.framing is not None and views:
            views = self._framed_views(session, s, views, self.framing, renderer)
        renderer.render_stereo(views, targets, s)
        if self.after_draw is not None:
            self.after_draw()
        if self.snapshot_dir is not None and len(self.snapshots) < self.max_snapshots:
            shot = self.look.snapshot_name(session, state)
            if shot is not None:
                self.snapshots.append(self.save(self.snapshot_dir / shot.format(
                    n=len(self.snapshots))))

    def _framed_views(self, session: Any, s: SceneState, views: list[View],
                      framing: HandFraming, renderer: Renderer) -> list[View]:
        """Eyes framing the step's ghost motion and the hands shown; the panel above them."""
        step, expert = self.look.framed_expert(session)
        if framing.key is not step or framing.lo is None:
            framing.reset(None if expert is None else valid_points(
                expert.poses, expert.flags, expert.active), key=step)
        for frame in (s.hands, s.ghost):
            if frame is not None:
                framing.include(valid_points(frame.poses, frame.flags, frame.active))
        framed = framing.poses()
        if framed is None:
            return views
        camera, panel = framed
        if self._panel_pose is None or not np.array_equal(panel, self._panel_pose):
            renderer.set_cue_pose(panel)
            self._panel_pose = panel
        ipd = float(np.linalg.norm(views[-1].pose[:3] - views[0].pose[:3]))
        eyes = stereo_views(camera, ipd=ipd, fov=FRAMED_FOV)
        return list(eyes[: len(views)]) if len(views) > 1 else [View(camera, FRAMED_FOV)]

    def save(self, path: Path) -> Path:
        """Write the views last drawn into the offscreen framebuffers as one PNG."""
        from PIL import Image

        if not self.framebuffers:
            return path
        images = [fb.read_pixels()[..., :3] for fb in self.framebuffers]
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.concatenate(images, axis=1)).save(path)
        return path


class TrainingLook:
    """A training session: the trainee's hands (or the replayed attempt in feedback), the
    expert ghost, live joint errors, the phase's texts and gauges, the verdict.

    Snapshots at each phase change, when the feedback's score arrives (the verdict and
    the aligned replay, after "Scoring...") and every ``snapshot_every`` seconds of an
    attempt.
    """

    def __init__(self, snapshot_every: float = 1.0) -> None:
        self.snapshot_every = snapshot_every
        self._last_shot = -np.inf
        self._last_phase: tuple[Phase, bool] | None = None

    def fill(self, s: SceneState, session: Any, state: FrameState) -> None:
        phase = session.phase
        in_feedback = phase is Phase.FEEDBACK and session.last_score is not None
        s.hands = session.replay_frame if in_feedback else state.hands
        s.time = None if in_feedback else state.display_time
        s.ghost = session.ghost
        s.joint_errors = session.live.joint_error if phase is Phase.ATTEMPT else None
        s.tolerance = 1.0  # errors come as multiples of the step's tolerance
        if s.cues is not None:  # the presenter's panel
            self.fill_cues(s.cues, session, phase)

    def framed_expert(self, session: Any) -> tuple[object, Take | None]:
        return session.step, session.step.expert  # the step's ghost motion

    def fill_cues(self, c: Cues, session: Any, phase: Phase) -> None:
        """The panel's texts for the session's phase (and a trainer's cue, when one came)."""
        lang = session.language
        step = session.step
        c.language = lang
        c.title = f"{PHASE_TEXT[lang][phase]} — {step.title.get(lang, '')}"
        c.instruction_fr = step.instruction.get("fr", "")
        c.instruction_en = step.instruction.get("en", "")
        c.progress = session._progress()
        c.gauges = [Gauge(**g) for g in session.gauges_now()]
        result = session.last_score
        c.passed = None
        if phase is Phase.ATTEMPT:
            c.score = session.live.score
            c.message = session.live.message
        elif phase is Phase.FEEDBACK and result is not None:
            c.score = result.score
            c.passed = result.passed
            verdict = PASSED_TEXT[lang][2 if result.rejected else 0 if result.passed else 1]
            first = comparator_message(result.messages[0], lang) if result.messages else ""
            first = first[:1].upper() + first[1:]  # a sentence after the verdict's full stop
            c.message = f"{verdict}. {first}".strip()
        elif phase is Phase.FEEDBACK and session.scoring:
            c.score = None
            c.message = SCORING_TEXT[lang]
        else:
            c.score = None
            c.message = ""
        remote = session.remote_cue
        if remote and session._now < session.remote_cue_until:
            prefix = {"fr": "Formateur", "en": "Trainer"}.get(lang, "Trainer")
            c.message = f"{prefix} : {remote}" if lang == "fr" else f"{prefix}: {remote}"
        if session.debug:
            t = session.timings.last
            c.message = (f"{c.message}  [cpu {t['update']:.2f}+{t['render']:.2f} ms]").strip()

    def snapshot_name(self, session: Any, state: FrameState) -> str | None:
        phase = session.phase
        key = (phase, phase is Phase.FEEDBACK and session.last_score is not None)
        changed = key != self._last_phase
        self._last_phase = key
        due = state.display_time - self._last_shot >= self.snapshot_every
        if not (changed or (phase is Phase.ATTEMPT and due)):
            return None
        self._last_shot = state.display_time
        return f"frame-{{n:03d}}-{phase.value}-step{session.machine.step + 1}.png"


class RecordingLook:
    """A recording session: the trainer's hands, the 3-2-1 countdown as the panel's large
    line, the recording time as progress, the trim proposal during review.

    Snapshots at every phase change and countdown second, and every ``snapshot_every``
    seconds while recording.
    """

    def __init__(self, snapshot_every: float = 1.0) -> None:
        self.snapshot_every = snapshot_every
        self._last_key: tuple = ()
        self._last_shot = -np.inf

    def fill(self, s: SceneState, session: Any, state: FrameState) -> None:
        s.hands = state.hands
        s.time = state.display_time
        s.ghost = None
        s.joint_errors = None
        if s.cues is not None:
            self.fill_cues(s.cues, session)

    def framed_expert(self, session: Any) -> tuple[object, Take | None]:
        return None, None  # no ghost while recording: the camera frames the hands

    def fill_cues(self, c: Cues, session: Any) -> None:
        """The panel's texts for the session's phase (countdown digit as the main line)."""
        plan, phase = session.plan, session.phase
        c.language = session.language
        number = len(session.kept) + 1 if phase is not RecordPhase.DONE else len(session.kept)
        title = plan.title.get(session.language, plan.scenario_id)
        c.title = (f"{session.text('take', i=min(number, plan.takes), n=plan.takes)} — "
                   f"{title} ({plan.step})")
        c.progress = session.progress()
        c.score = None
        c.gauges = []
        main = plan.instruction
        c.instruction_fr, c.instruction_en = main.get("fr", ""), main.get("en", "")
        if phase is RecordPhase.READY:
            c.message = session.text("ready")
        elif phase is RecordPhase.COUNTDOWN:
            n = session.countdown_left()
            c.instruction_fr = c.instruction_en = f"{n}"
            c.message = session.text("countdown", n=n)
        elif phase is RecordPhase.RECORDING:
            c.message = session.text("recording", t=session.elapsed)
        elif phase is RecordPhase.REVIEW:
            c.message = session.text("review")
            rec = session.pending
            if rec is not None and rec.trim is not None:
                t = rec.trim
                trim = (session.text("motion", a=t.start_time, b=t.stop_time) if t.moving
                        else session.text("still"))
                c.message = f"{trim} · {c.message}"
        else:
            c.message = session.text("done", k=len(session.kept))
        c.debug = ""
        if session.debug:
            t = session.timings.last
            c.debug = f"cpu {t['update']:.2f} + {t['render']:.2f} ms"

    def snapshot_name(self, session: Any, state: FrameState) -> str | None:
        key = (session.phase, session.countdown_left(), len(session.recorded))
        due = (session.phase is RecordPhase.RECORDING
               and state.display_time - self._last_shot >= self.snapshot_every)
        if key == self._last_key and not due:
            return None
        self._last_key = key
        self._last_shot = state.display_time
        return f"frame-{{n:03d}}-{session.phase.value}.png"


def SessionPresenter(renderer: Renderer | None = None, snapshot_dir: str | Path | None = None,
                     snapshot_every: float = 1.0, max_snapshots: int = 40,
                     scene: Scene | None = None, framebuffers: Sequence[Framebuffer] = (),
                     after_draw: Callable[[], None] | None = None,
                     framed: bool = False) -> Presenter:
    """The presenter of a training session (advice pictograms on its cue panel)."""
    p = Presenter(TrainingLook(snapshot_every), renderer, framebuffers, snapshot_dir,
                  max_snapshots, scene, after_draw, framed)
    p.cue_hooks.append(add_pictogram)
    return p


def RecordingPresenter(renderer: Renderer | None = None,
                       snapshot_dir: str | Path | None = None, snapshot_every: float = 1.0,
                       max_snapshots: int = 60, scene: Scene | None = None,
                       framebuffers: Sequence[Framebuffer] = (),
                       after_draw: Callable[[], None] | None = None,
                       framed: bool = False) -> Presenter:
    """The presenter of a recording session."""
    return Presenter(RecordingLook(snapshot_every), renderer, framebuffers, snapshot_dir,
                     max_snapshots, scene, after_draw, framed)

