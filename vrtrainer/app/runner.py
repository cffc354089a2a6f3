"""One runner for every session: a backend by name, its views, the presenter, the loop.

Training and recording are two applications of it: each says what its session is
and how it looks (:class:`~vrtrainer.render.presenter.Look`); the runner picks the
backend from :mod:`vrtrainer.app.backends`, makes the offscreen views or the mirror
window a scripted backend draws into (a headset draws into its own swapchains),
runs :func:`~vrtrainer.session.loop.run_loop`, and closes everything it opened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vrtrainer.app.backends import BackendKind, BackendOptions, backend_kind
from vrtrainer.backends.base import Backend, Input
from vrtrainer.backends.scripted import PersonScript
from vrtrainer.errors import VrtrainerError
from vrtrainer.session.loop import Application, LoopResult, run_loop
from vrtrainer.takes.take import Take

if TYPE_CHECKING:
    from vrtrainer.render.presenter import Presenter
    from vrtrainer.render.scene import Scene
    from vrtrainer.render.surfaces import MirrorTargets, OffscreenTargets


#: Offscreen eye size (pixels) when none is asked for: the cue panel's lines and the
#: framed hands read at it, at about 1.5x the frame cost of 320x240 on llvmpipe
#: (640x480 is 2.6x; docs/performance.md).
DEFAULT_EYE_SIZE = (480, 360)


@dataclass
class StageOptions:
    """How a run is shown: the backend's name, offscreen views or a mirror window."""

    backend: str = "simulated"
    render: bool = True  # draw offscreen views for a scripted backend (snapshots)
    window: bool = False  # a desktop mirror window instead (keys are the person's inputs)
    paced: bool = False  # a scripted backend keeps real time
    size: tuple[int, int] = DEFAULT_EYE_SIZE
    frames_dir: Path | None = None
    script: PersonScript = field(default_factory=PersonScript)
    hand: str = "right"
    title: str = "vrtrainer"
    #: Offscreen and mirror views frame the hands (no head to follow); False: the
    #: backend's head, as a headset would show.
    framed: bool = True


@dataclass
class Stage:
    """What runs around a session: the backend, where it draws, and the presenter."""

    kind: BackendKind
    backend: Backend
    presenter: Presenter | None = None
    surface: OffscreenTargets | MirrorTargets | None = None
    #: The person's inputs from the mirror window's keys, when there is one.
    inputs: Callable[[], list[Input]] | None = None

    def run(self, app: Application) -> LoopResult:
        """Run the loop until the application or the backend ends."""
        return run_loop(self.backend, app)

    def snapshots(self) -> list[Path]:
        return list(self.presenter.snapshots) if self.presenter is not None else []

    def close(self) -> None:
        """Close the views (the backend is closed by the loop)."""
        if self.surface is not None:
            self.surface.close()
            self.surface = None


def open_stage(opts: StageOptions, presenter_of: Callable[..., Presenter],
               scene: Callable[[], Scene | None], takes: Callable[[str], Sequence[Take]],
               tool_names: tuple[str, ...] = ()) -> Stage:
    """The backend ``opts.backend`` with its views and a presenter.

    ``presenter_of`` makes the presenter (:func:`~vrtrainer.render.presenter.
    SessionPresenter` or :func:`~vrtrainer.render.presenter.RecordingPresenter`) from
    the renderer, framebuffers, scene, snapshot folder and after-draw hook.

    ``takes(kind)`` gives the simulated performances or the replayed takes the
    backend needs (kind ``"simulated"`` or ``"replayed"``); ``scene()`` the scene
    to draw, asked only when something is drawn.
    """
    kind = backend_kind(opts.backend)
    if opts.window and kind.headset:
        raise VrtrainerError("--mirror is for the simulated and replay backends; a headset "
                             "shows the session itself")
    surface: OffscreenTargets | MirrorTargets | None = None
    presenter: Presenter | None = None
    inputs: Callable[[], list[Input]] | None = None
    try:
        if not kind.headset and (opts.window or opts.render):
            from vrtrainer.render.surfaces import MirrorTargets, OffscreenTargets

            drawn = scene()
            if opts.window:
                surface = MirrorTargets(*opts.size, scene=drawn, title=opts.title)
                inputs = surface.inputs
            else:
                surface = OffscreenTargets(*opts.size, scene=drawn)
            presenter = presenter_of(
                renderer=surface.renderer, framebuffers=surface.framebuffers,
                snapshot_dir=opts.frames_dir, scene=drawn,
                after_draw=surface.present if opts.window else None, framed=opts.framed)
        elif kind.headset and kind.draws:
            # the renderer is made in the headset's context at the first frame; its
            # swapchain images are not read back, so no snapshots
            presenter = presenter_of(scene=scene())
        backend = kind.make(BackendOptions(
            takes=takes(kind.takes) if kind.takes else [], script=opts.script,
            targets=surface, paced=opts.paced, tool_names=tool_names, tool_hand=opts.hand))
    except BaseException:
        if surface is not None:
            surface.close()
        raise
    return Stage(kind, backend, presenter, surface, inputs)
