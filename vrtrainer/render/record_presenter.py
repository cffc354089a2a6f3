"""Shows a recording session: the trainer's hands, the countdown and the take's review.

Turns :class:`~vrtrainer.session.recording.RecordingSession` into the
renderer's scene state each frame: the 3-2-1 countdown as the panel's large
line, the recording time as progress, the trim proposal during review. Can
save chosen frames as PNG, like the training presenter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vrtrainer.backends.base import FrameState
from vrtrainer.hands.hand import POSITION_VALID
from vrtrainer.render.presenter import _render_target
from vrtrainer.session.recording import RecordPhase


class RecordingPresenter:
    """Draws a recording session with a renderer whose GL context is current.

    ``snapshot_dir`` saves a PNG at every phase change and countdown second,
    and every ``snapshot_every`` seconds while recording.
    """

    def __init__(self, renderer: Any = None, snapshot_dir: str | Path | None = None,
                 snapshot_every: float = 1.0, max_snapshots: int = 60,
                 scene: Any = None) -> None:
        from vrtrainer.render import Cues, SceneState

        self.renderer = renderer
        self.scene = scene
        self.cues = Cues()
        self.scene_state = SceneState(cues=self.cues)
        self.snapshot_dir = None if snapshot_dir is None else Path(snapshot_dir)
        self.snapshot_every = snapshot_every
        self.max_snapshots = max_snapshots
        self.snapshots: list[Path] = []
        self.framebuffers: list[Any] = []
        self.after_draw: Any = None  # e.g. a mirror window's present()
        self._last_key: tuple = ()
        self._last_shot = -np.inf
        self._tools: dict[str, np.ndarray] = {}

    def draw(self, session: Any, state: FrameState, targets: list[Any]) -> None:
        s = self.scene_state
        s.hands = state.hands
        s.time = state.display_time
        s.ghost = None
        s.joint_errors = None
        self._tools.clear()
        for k, name in enumerate(state.tool_names):
            if state.tool_flags[k] & POSITION_VALID:
                self._tools[name] = state.tools[k]
        s.tools = self._tools
        self.fill_cues(session)
        if self.renderer is None:
            from vrtrainer.render import Renderer

            self.renderer = Renderer(self.scene)
        self.renderer.render_stereo(state.views[: len(targets)],
                                    [_render_target(t) for t in targets], s)
        if self.after_draw is not None:
            self.after_draw()
        self._maybe_snapshot(session, state)

    def fill_cues(self, session: Any) -> None:
        """The panel's texts for the session's phase (countdown digit as the main line)."""
        c, plan, phase = self.cues, session.plan, session.phase
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

    def _maybe_snapshot(self, session: Any, state: FrameState) -> None:
        if self.snapshot_dir is None or len(self.snapshots) >= self.max_snapshots:
            return
        key = (session.phase, session.countdown_left(), len(session.recorded))
        due = (session.phase is RecordPhase.RECORDING
               and state.display_time - self._last_shot >= self.snapshot_every)
        if key == self._last_key and not due:
            return
        self._last_key = key
        self._last_shot = state.display_time
        name = f"frame-{len(self.snapshots):03d}-{session.phase.value}.png"
        self.snapshots.append(self.save(self.snapshot_dir / name))

    def save(self, path: Path) -> Path:
        """Write the views last drawn into the offscreen framebuffers as one PNG."""
        from PIL import Image

        if not self.framebuffers:
            return path
        images = [fb.read_pixels()[..., :3] for fb in self.framebuffers]
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.concatenate(images, axis=1)).save(path)
        return path
