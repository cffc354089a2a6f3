"""Shows a training session through the renderer: hands, ghost, tools, cues, snapshots.

The session says what is going on; this turns it into the renderer's
:class:`~vrtrainer.render.SceneState` each frame, draws every view, and can
save chosen frames as PNG (headless runs, reports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vrtrainer.backends.base import FrameState
from vrtrainer.compare.wording import comparator_message
from vrtrainer.hands.hand import POSITION_VALID
from vrtrainer.session.advice import VERDICT_TEXT, add_pictogram
from vrtrainer.session.machine import Phase

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


class SessionPresenter:
    """Draws a :class:`~vrtrainer.session.training.TrainingSession` with a renderer.

    ``renderer`` is a :class:`vrtrainer.render.Renderer` whose GL context is
    current whenever :meth:`draw` runs. ``snapshot_dir`` with ``snapshot_every``
    seconds saves frames (side by side when there are two views).
    """

    def __init__(self, renderer: Any = None, snapshot_dir: str | Path | None = None,
                 snapshot_every: float = 1.0, max_snapshots: int = 40,
                 scene: Any = None) -> None:
        from vrtrainer.render import Cues, SceneState

        self.renderer = renderer  # made on the first draw when None (the context is current)
        self.scene = scene
        self.cues = Cues()
        self.scene_state = SceneState(cues=self.cues)
        self.snapshot_dir = None if snapshot_dir is None else Path(snapshot_dir)
        self.snapshot_every = snapshot_every
        self.max_snapshots = max_snapshots
        self.snapshots: list[Path] = []
        self._last_shot = -np.inf
        self._last_phase: Phase | None = None
        self._tools: dict[str, np.ndarray] = {}

        #: Called as hook(cues, session, phase) after the cues are filled (pictograms, simple mode).
        self.cue_hooks: list[Any] = [add_pictogram]

    def draw(self, session: Any, state: FrameState, targets: list[Any]) -> None:
        """Update the scene state from ``session`` and draw every view."""
        s = self.scene_state
        phase = session.phase
        in_feedback = phase is Phase.FEEDBACK and session.last_score is not None
        s.hands = session.replay_frame if in_feedback else state.hands
        s.time = None if in_feedback else state.display_time
        s.ghost = session.ghost
        errors = session.live.joint_error if phase is Phase.ATTEMPT else None
        s.joint_errors = errors
        s.tolerance = 1.0  # errors come as multiples of the step's tolerance
        self._tools.clear()
        for k, name in enumerate(state.tool_names):
            if state.tool_flags[k] & POSITION_VALID:
                self._tools[name] = state.tools[k]
        s.tools = self._tools
        self._fill_cues(session, phase)
        if self.renderer is None:
            from vrtrainer.render import Renderer

            self.renderer = Renderer(self.scene)
        targets = [_render_target(t) for t in targets]
        self.renderer.render_stereo(state.views[: len(targets)], targets, s)
        self._maybe_snapshot(session, state, phase)

    def _fill_cues(self, session: Any, phase: Phase) -> None:
        from vrtrainer.render import Gauge

        c, lang = self.cues, session.language
        step = session.step
        c.language = lang
        c.title = f"{PHASE_TEXT[lang][phase]} — {step.title.get(lang, '')}"
        c.instruction_fr = step.instruction.get("fr", "")
        c.instruction_en = step.instruction.get("en", "")
        c.progress = session._progress()
        c.gauges = [Gauge(**g) for g in getattr(session, "gauges_now", lambda: [])()]
        result = session.last_score
        if phase is Phase.ATTEMPT:
            c.score = session.live.score
            c.message = session.live.message
        elif phase is Phase.FEEDBACK and result is not None:
            c.score = result.score
            verdict = PASSED_TEXT[lang][2 if result.rejected else 0 if result.passed else 1]
            first = comparator_message(result.messages[0], lang) if result.messages else ""
            first = first[:1].upper() + first[1:]  # a sentence after the verdict's full stop
            c.message = f"{verdict}. {first}".strip()
        elif phase is Phase.FEEDBACK and getattr(session, "scoring", False):
            c.score = None
            c.message = SCORING_TEXT[lang]
        else:
            c.score = None
            c.message = ""
        remote = getattr(session, "remote_cue", "")
        if remote and session._now < getattr(session, "remote_cue_until", 0.0):
            prefix = {"fr": "Formateur", "en": "Trainer"}.get(lang, "Trainer")
            c.message = f"{prefix} : {remote}" if lang == "fr" else f"{prefix}: {remote}"
        if session.debug:
            t = session.timings.last
            c.message = (f"{c.message}  [cpu {t['update']:.2f}+{t['render']:.2f} ms]").strip()
        for hook in self.cue_hooks:
            hook(c, session, phase)

    def _maybe_snapshot(self, session: Any, state: FrameState, phase: Phase) -> None:
        if self.snapshot_dir is None or len(self.snapshots) >= self.max_snapshots:
            return
        changed = phase is not self._last_phase
        self._last_phase = phase
        due = state.display_time - self._last_shot >= self.snapshot_every
        if not (changed or (phase is Phase.ATTEMPT and due)):
            return
        self._last_shot = state.display_time
        name = f"frame-{len(self.snapshots):03d}-{phase.value}-step{session.machine.step + 1}.png"
        self.snapshots.append(self.save(self.snapshot_dir / name))

    def save(self, path: Path) -> Path:
        """Write the views last drawn into the offscreen framebuffers as one PNG."""
        from PIL import Image

        fbs = getattr(self, "framebuffers", None)
        if not fbs:
            return path
        images = [fb.read_pixels()[..., :3] for fb in fbs]
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.concatenate(images, axis=1)).save(path)
        return path


def _render_target(target: Any) -> Any:
    """The renderer's target for a backend's: offscreen framebuffers or OpenXR swapchain images."""
    from vrtrainer.render import RenderTarget

    if hasattr(target, "framebuffer"):  # an OpenXR swapchain image's framebuffer
        return RenderTarget(int(target.framebuffer), int(target.width), int(target.height))
    return getattr(target, "target", target)


class OffscreenTargets:
    """An offscreen EGL context with one framebuffer per eye, for headless runs."""

    def __init__(self, width: int = 320, height: int = 240, views: int = 2,
                 scene: Any = None) -> None:
        from vrtrainer.render import EglContext, Framebuffer, Renderer

        self.context = EglContext()
        self.framebuffers = [Framebuffer(width, height) for _ in range(views)]
        self.renderer = Renderer(scene)
        self._targets = [fb.target for fb in self.framebuffers]

    def __call__(self) -> list[Any]:
        return self._targets

    def close(self) -> None:
        if self.context is None:
            return
        self.renderer.close()
        for fb in self.framebuffers:
            fb.delete()
        self.context.close()
        self.context = None
