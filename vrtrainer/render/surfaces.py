"""Where a scripted backend's views are drawn when no headset shows them.

:class:`OffscreenTargets`: an offscreen EGL context with one framebuffer per eye
(headless runs, snapshots). :class:`MirrorTargets`: a desktop window showing both
eyes side by side, whose keys are the person's inputs. Either is called for the
views' render targets, has ``renderer`` and ``framebuffers``, and is closed once.
"""

from __future__ import annotations

from vrtrainer.backends.base import Input, RenderTarget
from vrtrainer.render.context import EglContext, MirrorWindow
from vrtrainer.render.renderer import Framebuffer, Renderer
from vrtrainer.render.scene import Scene

#: Keys of the desktop mirror window.
KEYS = {"space": Input.NEXT, "n": Input.NEXT, "enter": Input.NEXT, "r": Input.RETRY,
        "backspace": Input.RETRY, "escape": Input.QUIT, "q": Input.QUIT,
        "l": Input.TOGGLE_LANGUAGE, "d": Input.TOGGLE_DEBUG}


class _Views:
    """One framebuffer per eye and a renderer, in a GL context (``owner``) this closes."""

    def __init__(self, owner: EglContext | MirrorWindow, width: int, height: int, views: int,
                 scene: Scene | None) -> None:
        self._owner: EglContext | MirrorWindow | None = owner
        self.framebuffers = [Framebuffer(width, height) for _ in range(views)]
        self.renderer = Renderer(scene)
        self._targets = [fb.target for fb in self.framebuffers]

    def __call__(self) -> list[RenderTarget]:
        return self._targets

    def close(self) -> None:
        """Free the renderer, the framebuffers and the context; safe to call twice."""
        if self._owner is None:
            return
        self.renderer.close()
        for fb in self.framebuffers:
            fb.delete()
        self._owner.close()
        self._owner = None


class OffscreenTargets(_Views):
    """An offscreen EGL context with one framebuffer per eye, for headless runs."""

    def __init__(self, width: int = 320, height: int = 240, views: int = 2,
                 scene: Scene | None = None) -> None:
        super().__init__(EglContext(), width, height, views, scene)

    def present(self) -> None:
        """Nothing to show: the views stay in their framebuffers (snapshots read them)."""


class MirrorTargets(_Views):
    """A desktop mirror window (its EGL context) with one framebuffer per eye and its keys."""

    def __init__(self, width: int, height: int, scene: Scene | None = None,
                 title: str = "vrtrainer") -> None:
        self.window = MirrorWindow(2 * width, height, title=title)
        super().__init__(self.window, width, height, 2, scene)

    def present(self) -> None:
        self.window.present(*self.framebuffers)

    def inputs(self) -> list[Input]:
        """Inputs from the keys pressed since the last call; closing the window quits."""
        out = [KEYS[k] for k in self.window.poll_keys() if k in KEYS]
        if self.window.should_close:
            out.append(Input.QUIT)
        return out
